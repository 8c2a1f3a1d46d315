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
import Synchronization
import Testing

@Suite struct BlobStoreTests {
    static let segment = 64 << 10

    @Test(arguments: [0, 1, segment - 1, segment, segment + 1, 3 * segment + 17])
    func roundTrip(_ size: Int) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let data = randomBytes(size, seed: UInt64(size) + 1)
            let key = BlobKey.random()
            let blob = try await store.write(body(data, chunkSize: 1000), key: key, checksums: Set(ChecksumAlgorithm.allCases), maxBytes: 1 << 30)
            #expect(blob.size == Int64(size))
            let mirrored = Int64(size) <= BlobStore.mirroredSizeLimit
            #expect(blob.redundancy == (mirrored ? .mirror : .xorParity))
            #expect(blob.md5 == Array(Insecure.MD5.hash(data: data)))
            for algorithm in ChecksumAlgorithm.allCases {
                var checksum = StreamingChecksum(algorithm)
                checksum.update(data)
                #expect(blob.checksums[algorithm] == checksum.finalizeBase64())
            }
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            // Three pieces, 1.5× the sealed bytes plus headers, footers and CRCs; two copies of a tiny blob, one
            // block each, in the pack files of two directories.
            let pieces = files(under: root)
            #expect(pieces.count == (mirrored ? 2 : 3))
            if mirrored {
                #expect(Set(pieces.map { $0.deletingLastPathComponent().deletingLastPathComponent() }).count == 2)
                #expect(pieces.map(allocatedBytes).reduce(0, +) == 2 * 4096)
            } else {
                let stored = pieces.map { (try? $0.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0 }.reduce(0, +)
                #expect(Double(stored) <= 1.5 * Double(size) + 300)
            }
        }
    }

    /// Up to the limit a blob is two copies, each one 4 KiB block of a pack file, in two of the three
    /// directories; a byte more and it is coded again, three blocks, and above the packed size limit three
    /// files. A copy damaged or lost is read around and rebuilt, and deleting the blob zeroes both blocks, which
    /// keep their disk space for the next blob placed the same way.
    @Test func tinyBlobsAreMirroredInOneBlockEach() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let limit = Int(BlobStore.mirroredSizeLimit)
            let above = try await store.write(body(randomBytes(limit + 1, seed: 2)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30)
            #expect(above.redundancy == .xorParity && above.placement.count == 3 && above.slot != nil)
            try await store.delete(above)
            let large = Int(BlobStore.packedSizeLimit) + 1
            let unpacked = try await store.write(body(randomBytes(large, seed: 3)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30)
            #expect(unpacked.redundancy == .xorParity && unpacked.slot == nil)
            #expect(files(under: root).filter { $0.pathExtension != "pack" }.count == 3)
            try await store.delete(unpacked)

            let data = randomBytes(limit, seed: 1)
            let key = BlobKey.random()
            let blob = try await store.write(body(data, chunkSize: 1000), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(blob.redundancy == .mirror && blob.slot != nil)
            #expect(Set(blob.placement).count == 2)
            let copies = (0..<2).map { packedCopy(root, blob, piece: $0) }
            // Each file: the copy's block, and one of `above`'s, zeroed and kept for the next coded blob.
            for copy in copies {
                #expect(allocatedBytes(copy.file) == 2 * 4096)
            }
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(try await collect(store.read(blob, key: key, range: 10...19)) == Array(data[10...19]))

            var damaged = try block(copies[0])
            damaged[2000] ^= 0x5A
            try overwrite(copies[0], with: damaged)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(store.statistics.repairedPieces == 1)
            #expect(try block(copies[0]) != damaged)
            let original = try block(copies[1])
            try overwrite(copies[1], with: Array(repeating: 0, count: 4096))
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.blobsChecked == 1 && report.missingPieces == 1 && report.repaired == 1)
            #expect(try block(copies[1]) == original)

            try await store.delete(blob)
            for copy in copies {
                #expect(try block(copy).allSatisfy { $0 == 0 })
                #expect(allocatedBytes(copy.file) == 2 * 4096)
            }
            await #expect(throws: BlobStoreError.notFound(blob.id)) { try await collect(store.read(blob, key: key, range: nil)) }
            #expect(try await store.scrub(bytesPerSecond: nil).blobsChecked == 0)
        }
    }

    /// A deleted small blob's slot goes to the next blob placed the same way, whose blocks overwrite the zeroed
    /// ones in place (no block allocated or freed); a store keeps at most ``BlobStore/maxIdlePackSlots`` and punches
    /// out the blocks of the rest. Slots a store kept when it stopped are found by the next one's scrubber,
    /// blocks of zeros with disk space, and punched out; a slot kept now is left for its next blob.
    @Test func deletedSmallBlobsSlotsAreReusedOrGivenBack() async throws {
        try await withTemporaryDirectory { root in
            var store = try makeStore(in: root)
            let key = BlobKey.random()
            let size = Int(BlobStore.mirroredSizeLimit) + 1
            // Coded blobs are always placed in d0, d1, d2 in a store of three directories.
            let first = try await store.write(body(randomBytes(size, seed: 1)), key: key, checksums: [], maxBytes: 1 << 20)
            let second = try await store.write(body(randomBytes(size, seed: 2)), key: key, checksums: [], maxBytes: 1 << 20)
            #expect(first.placement == [0, 1, 2] && second.slot == first.slot! + 1)
            try await store.delete(first)
            for piece in 0..<3 {
                #expect(try block(packedCopy(root, first, piece: piece)).allSatisfy { $0 == 0 })
                #expect(allocatedBytes(packedCopy(root, first, piece: piece).file) == 2 * 4096)
            }
            #expect(try await store.scrub(bytesPerSecond: nil).reclaimedBlocks == 0)
            let third = try await store.write(body(randomBytes(size, seed: 3)), key: key, checksums: [], maxBytes: 1 << 20)
            #expect(third.slot == first.slot)
            #expect(try await collect(store.read(third, key: key, range: nil)) == randomBytes(size, seed: 3))
            #expect(try await collect(store.read(second, key: key, range: nil)) == randomBytes(size, seed: 2))
            // Deleting the first blob again (a stale record) leaves its slot's new blob alone.
            try await store.delete(first)
            #expect(try await collect(store.read(third, key: key, range: nil)) == randomBytes(size, seed: 3))
            #expect(try await store.scrub(bytesPerSecond: nil).blobsChecked == 2)

            // Stopped with a slot kept: the next store writes past it, and its scrubber gives the blocks back.
            try await store.delete(third)
            store = try makeStore(in: root)
            let fourth = try await store.write(body(randomBytes(size, seed: 4)), key: key, checksums: [], maxBytes: 1 << 20)
            #expect(fourth.slot == second.slot! + 1)
            #expect(allocatedBytes(packedCopy(root, first, piece: 0).file) == 3 * 4096)
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.reclaimedBlocks == 3 && report.blobsChecked == 2 && report.corruptPieces == 0)
            for piece in 0..<3 {
                #expect(allocatedBytes(packedCopy(root, first, piece: piece).file) == 2 * 4096)
            }
            #expect(try await collect(store.read(second, key: key, range: nil)) == randomBytes(size, seed: 2))
            #expect(try await collect(store.read(fourth, key: key, range: nil)) == randomBytes(size, seed: 4))
            #expect(try await store.scrub(bytesPerSecond: nil).reclaimedBlocks == 0)

            // Past the store's limit of kept slots, a delete punches its blocks out.
            let many = try await withThrowingTaskGroup(of: StoredBlob.self) { group in
                for n in 0...BlobStore.maxIdlePackSlots {
                    group.addTask { [store] in try await store.write(body(randomBytes(size, seed: UInt64(n))), key: key, checksums: [], maxBytes: 1 << 20) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let before = allocatedBytes(packedCopy(root, first, piece: 0).file)
            for blob in many { try await store.delete(blob) }
            #expect(allocatedBytes(packedCopy(root, first, piece: 0).file) == before - 4096)
        }
    }

    /// Many small writers at once each get a slot of their own (their syncs are shared); a store opened again
    /// reads them all and gives new blobs slots past theirs, in one directory as in three.
    @Test(arguments: [3, 1])
    func packedBlobsOfManyWritersSurviveReopening(directories: Int) async throws {
        try await withTemporaryDirectory { root in
            var store = try makeStore(in: root, directories: directories)
            let key = BlobKey.random()
            let blobs = try await withThrowingTaskGroup(of: (Int, StoredBlob).self) { group in
                for n in 0..<64 {
                    group.addTask { [store] in
                        (n, try await store.write(body(randomBytes(n * 50, seed: UInt64(n) + 7)), key: key, checksums: [], maxBytes: 1 << 20))
                    }
                }
                var blobs: [Int: StoredBlob] = [:]
                for try await (n, blob) in group { blobs[n] = blob }
                return blobs
            }
            #expect(Set(blobs.values.compactMap(\.slot)).count == 64)
            store = try makeStore(in: root, directories: directories)
            for (n, blob) in blobs {
                #expect(try await collect(store.read(blob, key: key, range: nil)) == randomBytes(n * 50, seed: UInt64(n) + 7))
            }
            let next = try await store.write(body([1, 2, 3]), key: key, checksums: [], maxBytes: 1 << 20)
            #expect(next.slot! > blobs.values.map { $0.slot! }.max()!)
            #expect(try await collect(store.read(next, key: key, range: nil)) == [1, 2, 3])
            // A directory's pack files lost: the scrubber writes every copy they held again.
            if directories == 3 {
                try FileManager.default.removeItem(at: root.appendingPathComponent("d0/packs"))
                let report = try await store.scrub(bytesPerSecond: nil)
                let inD0 = blobs.values.filter { $0.placement.contains(0) }.count + (next.placement.contains(0) ? 1 : 0)
                #expect(report.blobsChecked == 65)
                #expect(report.missingPieces == inD0)
                #expect(report.repaired == inD0)
                #expect(report.unrecoverable.isEmpty)
                #expect(try await store.scrub(bytesPerSecond: nil).repaired == 0)
            }
            try store.removeAll()
            #expect(files(under: root).isEmpty)
            #expect(try await store.write(body([4]), key: key, checksums: [], maxBytes: 1 << 20).slot == 0)
        }
    }

    /// The scrubber walks the pack files while small blobs are written into them: a blob whose pieces are
    /// being written is seen whole or not at all, never as one that lost pieces.
    @Test func scrubbingWhileSmallBlobsAreWrittenFindsNothingWrong() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, durable: false)
            let key = BlobKey.random()
            let writers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 0..<4 {
                        group.addTask {
                            for i in 0..<150 {
                                _ = try await store.write(body(randomBytes(5_000, seed: UInt64(n * 1000 + i))), key: key, checksums: [], maxBytes: 1 << 20)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var scrubs = 0
            while !writers.isCancelled, scrubs < 1_000 {
                let report = try await store.scrub(bytesPerSecond: nil)
                #expect(report.unrecoverable.isEmpty && report.corruptPieces == 0 && report.missingPieces == 0 && report.repaired == 0)
                scrubs += 1
                if report.blobsChecked == 600 { break }
            }
            try await writers.value
            #expect(store.statistics.unrecoverable == 0)
        }
    }

    /// The same with deletes, so that slots pass from deleted blobs to new ones while the scrubber and readers
    /// look at them: each blob reads back whole while it lives, and the scrubber never finds a piece missing,
    /// damaged or repairs one (it would have written a deleted blob's piece over a new one's).
    @Test func slotsReusedWhileScrubbingAndReadingStayIntact() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, durable: false)
            let key = BlobKey.random()
            let done = Atomic(false)
            let writers = Task {
                defer { done.store(true, ordering: .relaxed) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 0..<4 {
                        group.addTask {
                            var previous: StoredBlob?
                            for i in 0..<150 {
                                // Mirrored and coded blobs by turns: slots of two kinds of placement.
                                let data = randomBytes(i % 2 == 0 ? 3_000 : 5_000, seed: UInt64(n * 1000 + i))
                                let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 20)
                                #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
                                if let previous { try await store.delete(previous) }
                                previous = blob
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var scrubs = 0
            while !done.load(ordering: .relaxed) {
                let report = try await store.scrub(bytesPerSecond: nil)
                #expect(report.unrecoverable.isEmpty && report.corruptPieces == 0 && report.missingPieces == 0 && report.repaired == 0)
                scrubs += 1
            }
            try await writers.value
            #expect(scrubs > 1)
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.blobsChecked == 4 && report.corruptPieces == 0 && report.missingPieces == 0)
            #expect(store.statistics.unrecoverable == 0 && store.statistics.repairedPieces == 0)
        }
    }

    @Test func fiveMebibytesWithDefaultSegments() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let data = randomBytes(5 << 20, seed: 5)
            let key = BlobKey.random()
            let blob = try await store.write(body(data, chunkSize: 100_000), key: key, checksums: [.crc32c], maxBytes: 1 << 30)
            #expect(blob.md5 == Array(Insecure.MD5.hash(data: data)))
            #expect(blob.md5Hex == Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined())
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(store.statistics == BlobStoreStatistics())
        }
    }

    @Test(arguments: [1, 2, 4])
    func otherDirectoryCounts(_ count: Int) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, directories: count, segmentSize: Self.segment)
            let data = randomBytes(200_000)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(blob.redundancy == (count >= 3 ? .xorParity : .mirror))
            #expect(Set(blob.placement).count == min(count, blob.redundancy.pieceCount))
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            // Survives a damaged first piece in every layout.
            try flipByte(piecePath(root, blob, piece: 0), at: 100)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(store.statistics.repairedPieces == 1)
        }
    }

    /// A 999-byte segment seals to 1,015 bytes: XOR parity pads the second half with a zero byte, written
    /// after the record's bytes for every segment but the last, and appended with them for the last.
    @Test(arguments: [3, 2])
    func segmentsOfOddSealedLength(directories: Int) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, directories: directories, segmentSize: 999)
            let data = randomBytes(5_000, seed: 9)
            let key = BlobKey.random()
            let blob = try await store.write(body(data, chunkSize: 777), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(try await collect(store.read(blob, key: key, range: 998...2000)) == Array(data[998...2000]))
            // Read as written, not around a bad piece.
            #expect(store.statistics == BlobStoreStatistics())
            let clean = try await store.scrub(bytesPerSecond: nil)
            #expect(clean.corruptPieces == 0 && clean.missingPieces == 0)
            // Every piece is rebuilt byte for byte from the others.
            for piece in 0..<blob.redundancy.pieceCount {
                let path = piecePath(root, blob, piece: piece)
                let original = try Data(contentsOf: path)
                try FileManager.default.removeItem(at: path)
                let report = try await store.scrub(bytesPerSecond: nil)
                #expect(report.missingPieces == 1 && report.repaired == 1)
                #expect(try Data(contentsOf: path) == original)
            }
        }
    }

    @Test func rangeReads() async throws {
        try await withTemporaryDirectory { root in
            let segment = 1000
            let store = try makeStore(in: root, segmentSize: segment)
            let data = randomBytes(5_500, seed: 3)
            let key = BlobKey.random()
            let blob = try await store.write(body(data, chunkSize: 777), key: key, checksums: [], maxBytes: 1 << 30)
            let ranges: [ClosedRange<Int64>] = [
                0...0, 0...999, 0...1000, 999...1000, 500...2500, 1000...1999, 5499...5499, 4999...5499, 0...5499, 1234...4321,
            ]
            for range in ranges {
                let got = try await collect(store.read(blob, key: key, range: range))
                #expect(got == Array(data[Int(range.lowerBound)...Int(range.upperBound)]), "\(range)")
            }
            for bad: ClosedRange<Int64> in [0...5500, -1...3, 5500...5600] {
                await #expect(throws: BlobStoreError.invalidRange) { try await collect(store.read(blob, key: key, range: bad)) }
            }
        }
    }

    @Test func rangeReadDecryptsOnlyItsSegments() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: 1000)
            let data = randomBytes(10_000)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            // Destroy segment 0 in two pieces: reads that do not touch it still succeed.
            let recordStride = (1000 + 16 + 1) / 2 + 4
            try flipByte(piecePath(root, blob, piece: 0), at: 32 + 10)
            try flipByte(piecePath(root, blob, piece: 1), at: 32 + 10)
            #expect(try await collect(store.read(blob, key: key, range: 3000...4999)) == Array(data[3000...4999]))
            await #expect(throws: BlobStoreError.corrupt(blob.id)) { try await collect(store.read(blob, key: key, range: 0...10)) }
            _ = recordStride
        }
    }

    /// Also for a store that does not flush (an ephemeral server's): it writes, reads and repairs the same.
    @Test(arguments: [true, false])
    func flippedByteIsReadAroundAndRepaired(durable: Bool) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment, durable: durable)
            let data = randomBytes(300_000, seed: 11)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            let path = piecePath(root, blob, piece: 1)
            let original = try Data(contentsOf: path)
            try flipByte(path, at: 32 + 40_000)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            let stats = store.statistics
            #expect(stats.corruptPieces == 1)
            #expect(stats.repairedPieces == 1)
            #expect(stats.readsFailedOver == 1)
            #expect(try Data(contentsOf: path) == original)
            // A second read finds nothing wrong.
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(store.statistics == stats)
        }
    }

    @Test(arguments: [true, false])
    func missingDirectoryPieceIsReadAroundAndScrubRepairsIt(durable: Bool) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment, durable: durable)
            let data = randomBytes(200_000, seed: 12)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            let other = try await store.write(body(randomBytes(1000)), key: key, checksums: [], maxBytes: 1 << 30)
            let path = piecePath(root, blob, piece: 2)
            let original = try Data(contentsOf: path)
            try FileManager.default.removeItem(at: path)
            // Reads need only the data shards; remove one of those too, in another blob's copy.
            #expect(try await collect(store.read(blob, key: key, range: 0...99)) == Array(data[0...99]))
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.blobsChecked == 2)
            #expect(report.missingPieces == 1)
            #expect(report.corruptPieces == 0)
            #expect(report.repaired == 1)
            #expect(report.unrecoverable.isEmpty)
            #expect(try Data(contentsOf: path) == original)
            #expect(store.statistics.repairedPieces == 1)
            // A clean store scrubs clean.
            let again = try await store.scrub(bytesPerSecond: nil)
            #expect(again.blobsChecked == 2 && again.repaired == 0 && again.missingPieces == 0 && again.corruptPieces == 0)
            #expect(again.bytesChecked > Int64(data.count + 1000))
            _ = other
        }
    }

    @Test func missingDataPieceIsRebuiltByTheRead() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let data = randomBytes(150_000, seed: 13)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            let path = piecePath(root, blob, piece: 0)
            let original = try Data(contentsOf: path)
            // The whole directory is gone, as when a disk is replaced.
            try FileManager.default.removeItem(at: root.appendingPathComponent("d\(blob.placement[0])"))
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: root.appendingPathComponent("d\(blob.placement[0])/tmp"), withIntermediateDirectories: true)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(store.statistics.repairedPieces == 1)
            #expect(store.statistics.readsFailedOver == 3)
            #expect(try Data(contentsOf: path) == original)
        }
    }

    @Test func parityDamageIsFoundByScrub() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let data = randomBytes(100_000, seed: 14)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            let path = piecePath(root, blob, piece: 2)
            let original = try Data(contentsOf: path)
            try flipByte(path, at: 32 + 5)
            try flipByte(path, at: 40_000)
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.corruptPieces == 1 && report.repaired == 1 && report.unrecoverable.isEmpty)
            #expect(try Data(contentsOf: path) == original)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
        }
    }

    @Test func twoDamagedPiecesAreUnrecoverable() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let data = randomBytes(100_000, seed: 15)
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            try flipByte(piecePath(root, blob, piece: 0), at: 32 + 1000)
            try flipByte(piecePath(root, blob, piece: 2), at: 32 + 1000)
            await #expect(throws: BlobStoreError.corrupt(blob.id)) { try await collect(store.read(blob, key: key, range: nil)) }
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.unrecoverable == [blob.id])
            #expect(store.statistics.unrecoverable >= 1)
        }
    }

    @Test func wrongKeyFails() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let blob = try await store.write(body(randomBytes(5000)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30)
            await #expect(throws: BlobStoreError.authenticationFailed(blob.id)) {
                try await collect(store.read(blob, key: BlobKey.random(), range: nil))
            }
            // Nothing was "repaired" on the strength of a wrong key.
            #expect(store.statistics == BlobStoreStatistics())
        }
    }

    @Test func tooLargeLeavesNothingBehind() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            for size in [1001, 300_000] {
                await #expect(throws: BlobStoreError.tooLarge) {
                    try await store.write(body(randomBytes(size)), key: BlobKey.random(), checksums: [.sha256], maxBytes: 1000)
                }
            }
            #expect(files(under: root).isEmpty)
            // Exactly the limit is fine (two copies: 1,000 bytes are mirrored).
            _ = try await store.write(body(randomBytes(1000)), key: BlobKey.random(), checksums: [], maxBytes: 1000)
            #expect(files(under: root).count == 2)
        }
    }

    @Test func cancellationLeavesNothingBehind() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
            let task = Task { try await store.write(stream, key: BlobKey.random(), checksums: [], maxBytes: 1 << 30) }
            // Enough for a few segments on disk, then the body stalls.
            for _ in 0..<5 { continuation.yield(randomBytes(Self.segment)) }
            while files(under: root).isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(50))
            task.cancel()
            continuation.finish()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(files(under: root).isEmpty)
        }
    }

    @Test func failingBodyLeavesNothingBehind() async throws {
        struct Broken: Error {}
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let failing = AsyncThrowingStream<[UInt8], any Error> { continuation in
                continuation.yield(randomBytes(3 * Self.segment))
                continuation.finish(throwing: Broken())
            }
            await #expect(throws: Broken.self) { try await store.write(failing, key: BlobKey.random(), checksums: [], maxBytes: 1 << 30) }
            #expect(files(under: root).isEmpty)
        }
    }

    /// A held blob deleted meanwhile stays readable until the last hold ends, and is gone then; deleting it
    /// again, or a blob no one holds, is not deferred.
    @Test(arguments: [100, 100_000])
    func heldBlobsAreDeletedWhenTheLastHoldEnds(size: Int) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let key = BlobKey.random()
            let data = randomBytes(size, seed: 5)
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 20)
            var holds = [store.hold([blob]), store.hold([blob])]
            try await store.delete(blob)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            holds.removeFirst()
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            holds.removeAll()
            // The deferred delete runs on the store's background queue.
            var gone = false
            for _ in 0..<200 where !gone {
                do {
                    _ = try await collect(store.read(blob, key: key, range: nil))
                    try await Task.sleep(for: .milliseconds(10))
                } catch BlobStoreError.notFound {
                    gone = true
                }
            }
            #expect(gone)
            let other = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 20)
            try await store.delete(other)
            await #expect(throws: BlobStoreError.notFound(other.id)) { try await collect(store.read(other, key: key, range: nil)) }
        }
    }

    /// A clean stop carries out the deletes holds deferred and gives the kept slots' blocks back.
    @Test func aCleanStopLeavesNothingDeletedBehind() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let key = BlobKey.random()
            let held = try await store.write(body(randomBytes(100_000, seed: 1)), key: key, checksums: [], maxBytes: 1 << 20)
            let small = try await store.write(body(randomBytes(5_000, seed: 2)), key: key, checksums: [], maxBytes: 1 << 20)
            let hold = store.hold([held])
            try await store.delete(held)
            try await store.delete(small)
            #expect(allocatedBytes(packedCopy(root, small, piece: 0).file) == 4096)
            store.finishForStop()
            withExtendedLifetime(hold) {}
            // No piece file left (a deleted piece's file is kept in `tmp/`, zeroed, for the next one).
            #expect(files(under: root).filter { $0.pathExtension != "pack" && $0.deletingLastPathComponent().lastPathComponent != "tmp" }.isEmpty)
            for piece in 0..<3 { #expect(allocatedBytes(packedCopy(root, small, piece: piece).file) == 0) }
        }
    }

    @Test func deleteRemovesEveryPiece() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let blob = try await store.write(body(randomBytes(70_000)), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(files(under: root).count == 3)
            try await store.delete(blob)
            // Nothing of the blob is left: its piece files are gone or kept as spares that read as zeros.
            #expect(files(under: root).allSatisfy { $0.lastPathComponent.hasPrefix("spare-") && readsAsZeros($0) })
            try await store.delete(blob)  // already gone: fine
            await #expect(throws: BlobStoreError.notFound(blob.id)) { try await collect(store.read(blob, key: key, range: nil)) }
            #expect(try await store.scrub(bytesPerSecond: nil).blobsChecked == 0)
        }
    }

    @Test func deletedPiecesFilesAreWrittenAgain() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let old = try await store.write(body(randomBytes(70_000)), key: key, checksums: [], maxBytes: 1 << 30)
            let oldInodes = Set((0..<3).map { inode(piecePath(root, old, piece: $0)) })
            try await store.delete(old)
            #expect(files(under: root).count == 3)
            let data = randomBytes(50_000)
            let new = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            // The new pieces are the old files, zeroed, written again and trimmed; no spare is left.
            #expect(Set((0..<3).map { inode(piecePath(root, new, piece: $0)) }) == oldInodes)
            #expect(files(under: root).count == 3)
            #expect(try await collect(store.read(new, key: key, range: nil)) == data)
            #expect(try await store.scrub(bytesPerSecond: nil).corruptPieces == 0)
        }
    }

    /// Spares are any size: pieces longer and shorter than the files they reuse read back whole, and
    /// the scrubber finds every file the length its footer says. (9,000 bytes: above the size kept in the
    /// pack files, so that old and new pieces are three files each.)
    @Test(arguments: [(9_000, 200_000), (200_000, 9_000), (70_000, 70_000)])
    func sparesOfAnySizeAreWrittenAgain(_ sizes: (old: Int, new: Int)) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let old = try await store.write(body(randomBytes(sizes.old, seed: 1)), key: key, checksums: [], maxBytes: 1 << 30)
            let oldLengths = (0..<3).map { fileSize(piecePath(root, old, piece: $0)) }
            try await store.delete(old)
            #expect(files(under: root).allSatisfy { readsAsZeros($0) })
            let data = randomBytes(sizes.new, seed: 2)
            let new = try await store.write(body(data), key: key, checksums: [.crc32c], maxBytes: 1 << 30)
            #expect(try await collect(store.read(new, key: key, range: nil)) == data)
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.corruptPieces == 0 && report.missingPieces == 0)
            if sizes.old == sizes.new {
                #expect((0..<3).map { fileSize(piecePath(root, new, piece: $0)) } == oldLengths)
            }
        }
    }

    /// Deleting a large object gives its disk space back: its spares are emptied, not zeroed in place.
    @Test func largeSparesFreeTheirBlocks() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let size = Int(BlobStore.maxSpareSizeKeepingBlocks) * 3
            let blob = try await store.write(body(randomBytes(size, seed: 4)), key: key, checksums: [], maxBytes: 1 << 30)
            #expect((0..<3).allSatisfy { fileSize(piecePath(root, blob, piece: $0)) > Int(BlobStore.maxSpareSizeKeepingBlocks) })
            try await store.delete(blob)
            // Emptied away from the deleting request; meanwhile only the name under tmp/ is left.
            #expect(files(under: root).allSatisfy { $0.lastPathComponent.hasPrefix("spare-") })
            store.finishReclaiming()
            let spares = files(under: root)
            #expect(spares.count == 3)
            #expect(spares.allSatisfy { fileSize($0) == 0 && allocatedBytes($0) == 0 })
            // And they are written again like any other spare.
            let data = randomBytes(9_000, seed: 5)
            let next = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(try await collect(store.read(next, key: key, range: nil)) == data)
        }
    }

    /// Where the file system cannot zero a range in place (tmpfs), spares are emptied instead, every time,
    /// and written again just the same.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/shm")))
    func sparesOnAFileSystemWithoutZeroRange() async throws {
        let root = URL(fileURLWithPath: "/dev/shm").appendingPathComponent("nimbus-blob-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try makeStore(in: root, segmentSize: Self.segment)
        let key = BlobKey.random()
        for round in 0..<3 {
            let data = randomBytes(20_000 + round * 5_000, seed: UInt64(round) + 1)
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            try await store.delete(blob)
            store.finishReclaiming()
            #expect(files(under: root).allSatisfy { $0.lastPathComponent.hasPrefix("spare-") && readsAsZeros($0) })
        }
        #expect(try await store.scrub(bytesPerSecond: nil).blobsChecked == 0)
    }

    /// The sweep of stale temporary files never takes a spare a writer holds, however old its time: a
    /// spare keeps the time of the piece it was, and an hour-old one may be taken and written at once.
    @Test func theSweepLeavesSparesInUseAlone() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            try await store.delete(store.write(body(randomBytes(70_000)), key: key, checksums: [], maxBytes: 1 << 30))
            let spares = files(under: root)
            #expect(spares.count == 3)
            // A writer takes the three spares and writes its first segments, then waits for the rest. The
            // spares are made old first, so that the writer's writes show which ones it holds.
            for spare in spares { try age(spare, by: 7200) }
            let data = randomBytes(5 * Self.segment + 100, seed: 9)
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
            continuation.yield(Array(data[..<(3 * Self.segment)]))
            let writing = Task { try await store.write(stream, key: key, checksums: [], maxBytes: 1 << 30) }
            let held = { spares.allSatisfy { modificationAge($0) < 600 } }
            for _ in 0..<3000 where !held() { try await Task.sleep(for: .milliseconds(10)) }
            try #require(held())
            for spare in spares { try age(spare, by: 7200) }
            _ = try await store.scrub(bytesPerSecond: nil)
            #expect(spares.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
            continuation.yield(Array(data[(3 * Self.segment)...]))
            continuation.finish()
            let blob = try await writing.value
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
        }
    }

    /// Idle spares an hour old are swept and written no more, and so are those a crash left behind.
    @Test func theSweepRemovesIdleAndLeftOverSpares() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            try await store.delete(store.write(body(randomBytes(70_000)), key: key, checksums: [], maxBytes: 1 << 30))
            let leftOver = root.appendingPathComponent("d0/tmp/spare-0badf00d-7")
            FileManager.default.createFile(atPath: leftOver.path, contents: Data(count: 100))
            for file in files(under: root) { try age(file, by: 7200) }
            _ = try await store.scrub(bytesPerSecond: nil)
            #expect(files(under: root).isEmpty)
            let data = randomBytes(20_000, seed: 3)
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            #expect(files(under: root).count == 3)
        }
    }

    @Test func sparesAreBoundedPerDirectory() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            var blobs: [StoredBlob] = []
            for _ in 0..<(BlobStore.sparesPerRoot + 10) {
                // 9,000 bytes: coded and too large for the pack files, so a piece file in every directory.
                blobs.append(try await store.write(body(randomBytes(9_000)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30))
            }
            for blob in blobs { try await store.delete(blob) }
            store.finishReclaiming()
            let spares = files(under: root)
            #expect(spares.allSatisfy { $0.lastPathComponent.hasPrefix("spare-") && readsAsZeros($0) })
            // Each blob has a piece in each of the three directories.
            #expect(spares.count == 3 * BlobStore.sparesPerRoot)
        }
    }

    @Test func scrubIsRateLimited() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            _ = try await store.write(body(randomBytes(400_000)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30)
            let clock = ContinuousClock()
            let start = clock.now
            let report = try await store.scrub(bytesPerSecond: 2 << 20)
            let elapsed = clock.now - start
            // 1.5 × 400 KB at 2 MiB/s: about 0.29 s.
            #expect(report.bytesChecked > 600_000)
            #expect(elapsed >= .milliseconds(200))
            #expect(store.statistics.scrubbedBytes == report.bytesChecked)
        }
    }

    @Test func storedBlobEncodesChecksumsAsAnObject() throws {
        let blob = StoredBlob(
            id: String(repeating: "ab", count: 16), size: 3, md5: [1, 2], checksums: [.crc32c: "AAAAAA=="],
            redundancy: .xorParity, segmentSize: 1 << 20, placement: [0, 1, 2]
        )
        let json = try JSONEncoder().encode(blob)
        #expect(String(decoding: json, as: UTF8.self).contains(#""CRC32C":"AAAAAA==""#))
        #expect(try JSONDecoder().decode(StoredBlob.self, from: json) == blob)
    }

    @Test func keysAreRedactedAndSized() throws {
        let key = BlobKey.random()
        #expect(key.bytes.count == 32)
        #expect(!"\(key)".contains(key.bytes.map { String(format: "%02x", $0) }.joined()))
        #expect("\(key)" == "BlobKey(redacted)")
        #expect(String(reflecting: key) == "BlobKey(redacted)")
        #expect(try BlobKey(bytes: key.bytes).bytes == key.bytes)
        #expect(throws: BlobStoreError.invalidKey) { try BlobKey(bytes: [1, 2, 3]) }
    }

    @Test func invalidConfigurations() {
        #expect(throws: BlobStoreError.self) { try BlobStore(configuration: BlobStoreConfiguration(directories: [])) }
        #expect(throws: BlobStoreError.self) {
            try BlobStore(configuration: BlobStoreConfiguration(directories: [URL(fileURLWithPath: "/tmp/x")], segmentSize: 0))
        }
    }
}

@Suite struct StoredBlobCodingTests {
    let blob = StoredBlob(
        id: "0123456789abcdef0123456789abcdef",
        size: 4096,
        md5: Array(Insecure.MD5.hash(data: Array("body".utf8))),
        checksums: [.crc32c: "yZRlqg=="],
        redundancy: .xorParity,
        segmentSize: 65536,
        placement: [2, 0, 1]
    )

    @Test func md5IsStoredAsBase64() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(blob), as: UTF8.self)
        #expect(json == #"{"checksums":{"CRC32C":"yZRlqg=="},"id":"0123456789abcdef0123456789abcdef","md5":"hBotaJrYa9FhFEdFPCLG/A==","placement":[2,0,1],"redundancy":"xor-2+1","segmentSize":65536,"size":4096}"#)
        #expect(try JSONDecoder().decode(StoredBlob.self, from: Data(json.utf8)) == blob)
        #expect(blob.md5Hex == "841a2d689ad86bd1611447453c22c6fc")
    }

    /// Records written before the MD5 was base64 keep working.
    @Test func readsTheMD5AsANumberArray() throws {
        let old = #"{"checksums":{"CRC32C":"yZRlqg=="},"id":"0123456789abcdef0123456789abcdef","md5":[132,26,45,104,154,216,107,209,97,20,71,69,60,34,198,252],"placement":[2,0,1],"redundancy":"xor-2+1","segmentSize":65536,"size":4096}"#
        #expect(try JSONDecoder().decode(StoredBlob.self, from: Data(old.utf8)) == blob)
    }
}
