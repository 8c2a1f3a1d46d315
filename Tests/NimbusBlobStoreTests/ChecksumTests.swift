//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusBlobStore
import Testing

@Suite struct ChecksumTests {
    @Test func knownAnswers() {
        let check = "123456789".bytes
        #expect(StreamingChecksum.compute(.crc32, check) == [0xCB, 0xF4, 0x39, 0x26])
        #expect(StreamingChecksum.compute(.crc32c, check) == [0xE3, 0x06, 0x92, 0x83])
        #expect(StreamingChecksum.compute(.crc64nvme, check) == [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88])
        // Empty input: the initial value inverted back.
        #expect(StreamingChecksum.compute(.crc32, []) == [0, 0, 0, 0])
        #expect(StreamingChecksum.compute(.crc32c, []) == [0, 0, 0, 0])
        #expect(StreamingChecksum.compute(.crc64nvme, []) == [0, 0, 0, 0, 0, 0, 0, 0])
        // RFC 3720 B.4: 32 bytes of zeros.
        #expect(StreamingChecksum.compute(.crc32c, [UInt8](repeating: 0, count: 32)) == [0x8A, 0x91, 0x36, 0xAA])
        #expect(StreamingChecksum.compute(.crc32c, [UInt8](repeating: 0xFF, count: 32)) == [0x62, 0xA8, 0xAB, 0x43])
    }

    /// S3's FULL_OBJECT checksum of a multipart object: the parts' CRCs combined equal the CRC of the whole.
    @Test(arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func crcsOfPartsCombineIntoTheCRCOfTheWhole(algorithm: ChecksumAlgorithm) {
        var generator = SystemRandomNumberGenerator()
        for sizes in [[1], [0, 5], [5, 0], [3, 1, 4], [1 << 20, 17, 0, 65_537], [9, 1 << 16]] {
            let parts = sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } }
            let combined = algorithm.combined(parts.map { (StreamingChecksum.compute(algorithm, $0), Int64($0.count)) })
            #expect(combined == StreamingChecksum.compute(algorithm, parts.flatMap { $0 }), "\(sizes)")
        }
        #expect(algorithm.combined([]) == StreamingChecksum.compute(algorithm, []))
    }

    @Test func onlyTheCRCsCombine() {
        #expect(ChecksumAlgorithm.sha256.combined([(StreamingChecksum.compute(.sha256, [1]), 1)]) == nil)
        #expect(ChecksumAlgorithm.crc32.combined([([1, 2, 3], 1)]) == nil)  // a digest of the wrong length
    }

    @Test func base64AsS3ReturnsIt() {
        var crc = StreamingChecksum(.crc32)
        crc.update("123456789".bytes)
        #expect(crc.finalizeBase64() == "y/Q5Jg==")
        var sha = StreamingChecksum(.sha256)
        sha.update("abc".bytes)
        #expect(sha.finalizeBase64() == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        var sha1 = StreamingChecksum(.sha1)
        sha1.update("abc".bytes)
        #expect(sha1.finalizeBase64() == "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
    }

    /// Any split of the input gives the one-shot answer (exercises the 8-byte steps and the tails),
    /// and the table-driven CRCs agree with a bit-at-a-time reference.
    @Test(arguments: ChecksumAlgorithm.allCases)
    func streamingMatchesOneShotAndReference(_ algorithm: ChecksumAlgorithm) {
        let data = randomBytes(10_000, seed: 7)
        let whole = StreamingChecksum.compute(algorithm, data)
        for split in [1, 3, 7, 8, 9, 63, 4096] {
            var checksum = StreamingChecksum(algorithm)
            var offset = 0
            while offset < data.count {
                let end = min(data.count, offset + split)
                checksum.update(data[offset..<end])
                offset = end
            }
            #expect(checksum.finalize() == whole, "split \(split)")
        }
        for length in [0, 1, 5, 8, 13, 100, 1001] {
            let prefix = Array(data.prefix(length))
            let expected: [UInt8]? =
                switch algorithm {
                case .crc32: bigEndian(referenceCRC(prefix, polynomial: UInt32(0xEDB8_8320)))
                case .crc32c: bigEndian(referenceCRC(prefix, polynomial: UInt32(0x82F6_3B78)))
                case .crc64nvme: bigEndian(referenceCRC(prefix, polynomial: UInt64(0x9A6C_9329_AC4B_C9B5)))
                case .sha1: Array(Insecure.SHA1.hash(data: prefix))
                case .sha256: Array(SHA256.hash(data: prefix))
                }
            #expect(StreamingChecksum.compute(algorithm, prefix) == expected, "length \(length)")
        }
    }

    /// Bit at a time, straight from the definition of a reflected CRC.
    private func referenceCRC<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8], polynomial: T) -> T {
        var crc = ~T(0)
        for byte in bytes {
            crc ^= T(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return ~crc
    }

    private func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
