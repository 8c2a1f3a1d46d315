//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Testing

@testable import NimbusBlobStore

/// The CPU's CRC-32C and the tables must agree everywhere, or stored records would stop verifying
/// when a data dir moves to a machine without the instruction.
@Suite struct HardwareCRCTests {
    @Test func theInstructionAndTheTablesAgree() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Every length from 0 to 40 and some odd large ones, at every alignment of the first eight bytes.
        let lengths = Array(0...40) + [63, 64, 65, 4_095, 4_096, 65_537, 69_990]
        for offset in 0..<8 {
            for length in lengths where offset + length <= data.count {
                data.withUnsafeBytes { all in
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    #expect(CRC.crc32cUpdate(~0, slice) == CRC.update(~UInt32(0), slice, CRC.castagnoli), "length \(length) offset \(offset)")
                }
            }
        }
        // Known answer, whichever path runs here.
        #expect(CRC.crc32c(Array("123456789".utf8)) == 0xE306_9283)
    }
}

/// A record is its payload and the payload's CRC-32C: `PieceFile` reads it straight into the array it returns
/// (or, for a segment's two data shards, into one buffer) and checks it there, with no copy to drop the CRC.
@Suite struct RecordCheckTests {
    @Test func aRecordWithItsCRCIsIntact() {
        var record = [UInt8](repeating: 7, count: 4_096)
        withUnsafeBytes(of: CRC.crc32c(record).littleEndian) { record.append(contentsOf: $0) }
        #expect(record.withUnsafeBytes { recordIsIntact($0) })
        record[100] ^= 1
        #expect(!record.withUnsafeBytes { recordIsIntact($0) })
    }

    @Test func aWrongCRCIsRefused() {
        #expect(![UInt8]([1, 2, 3, 0, 0, 0, 0]).withUnsafeBytes { recordIsIntact($0) })
        #expect(![UInt8]([1, 2]).withUnsafeBytes { recordIsIntact($0) })
    }
}
