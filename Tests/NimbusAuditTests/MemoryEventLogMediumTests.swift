//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

@testable import NimbusAudit
import Testing

/// The in-memory event log files behave as the files on disk do, across their chunks' edges.
@Suite struct MemoryEventLogMediumTests {
    /// A file on disk as a plain array, to compare with.
    struct Reference {
        var bytes: [UInt8] = []
        mutating func write(_ data: [UInt8], at offset: Int) {
            if offset > bytes.count { bytes += Array(repeating: 0, count: offset - bytes.count) }
            let overlap = min(data.count, bytes.count - offset)
            bytes.replaceSubrange(offset..<(offset + overlap), with: data[..<overlap])
            bytes += data[overlap...]
        }
    }

    @Test func writesReadsAndTruncatesAcrossChunks() throws {
        let medium = MemoryEventLogMedium()
        var reference = Reference()
        let chunk = MemoryFile.chunkSize
        try medium.create(7, header: [1, 2, 3])
        reference.write([1, 2, 3], at: 0)
        var generator = SystemRandomNumberGenerator()
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        // Appends that end exactly on, just before and just past a chunk's edge, one larger than a chunk,
        // an overwrite across an edge, and a write past the end that leaves a gap.
        let writes: [(offset: Int?, count: Int)] = [
            (nil, chunk - 3), (nil, 1), (nil, 2 * chunk + 5), (chunk - 10, 20), (nil, 0), (3 * chunk + 100, 50), (5, 3 * chunk),
        ]
        for write in writes {
            let data = bytes(write.count)
            let offset = write.offset ?? reference.bytes.count
            try medium.write(7, data, at: Int64(offset))
            reference.write(data, at: offset)
            #expect(try medium.size(7) == Int64(reference.bytes.count))
        }
        #expect(try medium.read(7, at: 0, count: .max) == reference.bytes)
        for (offset, count) in [(0, 1), (chunk - 1, 2), (chunk, chunk), (chunk + 7, 2 * chunk), (reference.bytes.count - 3, 10), (reference.bytes.count + 5, 10)] {
            let start = min(offset, reference.bytes.count)
            let expected = Array(reference.bytes[start..<min(start + count, reference.bytes.count)])
            #expect(try medium.read(7, at: Int64(offset), count: count) == expected)
        }
        for size in [3 * chunk + 1, 2 * chunk, chunk - 1, 0] {
            try medium.truncate(7, to: Int64(size))
            reference.bytes.removeLast(reference.bytes.count - size)
            #expect(try medium.size(7) == Int64(size))
            #expect(try medium.read(7, at: 0, count: .max) == reference.bytes)
        }
        // A truncated file grows again from where it was cut.
        try medium.write(7, [9, 9], at: 0)
        #expect(try medium.read(7, at: 0, count: 10) == [9, 9])
        #expect(try medium.read(8, at: 0, count: 1) == nil)
        #expect(throws: EventLogError.self) { try medium.write(8, [1], at: 0) }
    }
}
