//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import Testing

/// Every parser of on-disk data and of caller-supplied layouts faces hostile bytes: errors, never crashes.
@Suite struct HostileInputTests {
    static let segment = 4096

    private func damage(_ url: URL, _ kind: Int) throws {
        switch kind {
        case 0: try Data().write(to: url)  // empty
        case 1: try Data(try Data(contentsOf: url).prefix(10)).write(to: url)  // truncated inside the header
        case 2: try Data(try Data(contentsOf: url).dropLast(1)).write(to: url)  // truncated footer
        case 3: try Data(randomBytes(try Data(contentsOf: url).count, seed: 99)).write(to: url)  // garbage of the right length
        case 4: try flipByte(url, at: 5)  // header field
        case 5: try flipByte(url, at: try Data(contentsOf: url).count - 3)  // footer CRC
        default: try (try Data(contentsOf: url) + Data([1, 2, 3])).write(to: url)  // trailing bytes
        }
    }

    @Test(arguments: 0..<7)
    func damagedPieceFilesAreRepaired(_ kind: Int) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let data = randomBytes(10_000, seed: UInt64(kind))
            let key = BlobKey.random()
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            let path = piecePath(root, blob, piece: kind % 3)
            let original = try Data(contentsOf: path)
            try damage(path, kind)
            // Footer damage is invisible to reads (they take the size from the StoredBlob); the scrub finds it.
            #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.unrecoverable.isEmpty)
            #expect(try Data(contentsOf: path) == original)
            #expect(store.statistics.repairedPieces == 1)
        }
    }

    /// Two damaged pieces: the blob is lost unless one damage spares the records (a bad footer).
    /// Either way the scrub and the read agree, and nothing crashes.
    @Test(arguments: 0..<7)
    func twoDamagedPieceFilesFailCleanly(_ kind: Int) async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let data = randomBytes(10_000)
            let blob = try await store.write(body(data), key: key, checksums: [], maxBytes: 1 << 30)
            try damage(piecePath(root, blob, piece: 0), kind)
            try damage(piecePath(root, blob, piece: 1), (kind + 3) % 7)
            let report = try await store.scrub(bytesPerSecond: nil)
            let footerOnly = kind == 5 || (kind + 3) % 7 == 5
            #expect(report.unrecoverable == (footerOnly ? [] : [blob.id]))
            if footerOnly {
                #expect(try await collect(store.read(blob, key: key, range: nil)) == data)
            } else {
                await #expect(throws: BlobStoreError.corrupt(blob.id)) { try await collect(store.read(blob, key: key, range: nil)) }
            }
        }
    }

    @Test func strayFilesInTheStoreAreSurvived() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let blob = try await store.write(body(randomBytes(5000)), key: key, checksums: [], maxBytes: 1 << 30)
            let fanOut = root.appendingPathComponent("d0/ab")
            // Prefix directories are made as pieces land in them; this one may not exist yet.
            try FileManager.default.createDirectory(at: fanOut, withIntermediateDirectories: true)
            let bogusID = "ab" + String(repeating: "0", count: 30)
            try Data(randomBytes(100)).write(to: fanOut.appendingPathComponent("\(bogusID).0"))
            try Data().write(to: fanOut.appendingPathComponent("\(bogusID).1"))
            try Data(randomBytes(64)).write(to: fanOut.appendingPathComponent("not-a-piece"))
            try Data(randomBytes(64)).write(to: fanOut.appendingPathComponent("\(bogusID).7"))
            try Data(randomBytes(64)).write(to: fanOut.appendingPathComponent("\(bogusID).x"))
            let report = try await store.scrub(bytesPerSecond: nil)
            #expect(report.blobsChecked == 2)
            #expect(report.unrecoverable == [bogusID])
            #expect(try await collect(store.read(blob, key: key, range: nil)).count == 5000)
        }
    }

    @Test func hostileStoredBlobsAreRejected() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root, segmentSize: Self.segment)
            let key = BlobKey.random()
            let good = try await store.write(body(randomBytes(5000)), key: key, checksums: [], maxBytes: 1 << 30)
            var variants: [StoredBlob] = []
            for id in ["../../../etc/passwd", "", String(repeating: "A", count: 32), String(repeating: "g", count: 32)] {
                var blob = good
                blob.id = id
                variants.append(blob)
            }
            var blob = good
            blob.placement = [0, 1, 7]
            variants.append(blob)
            blob = good
            blob.placement = [0, 1]
            variants.append(blob)
            blob = good
            blob.segmentSize = 0
            variants.append(blob)
            blob = good
            blob.size = -1
            variants.append(blob)
            blob = good
            blob.size = Int64.max
            variants.append(blob)
            // A slot is for blobs of one block per piece (this one has two segments), and never negative.
            blob = good
            blob.slot = 0
            variants.append(blob)
            for variant in variants {
                await #expect(throws: BlobStoreError.invalidBlob(variant.id)) { try await collect(store.read(variant, key: key, range: nil)) }
                await #expect(throws: BlobStoreError.invalidBlob(variant.id)) { try await store.delete(variant) }
            }
            // A lying size or segment size: the pieces do not have that length, so nothing reads them.
            for (size, segmentSize) in [(good.size + 1, good.segmentSize), (good.size, good.segmentSize * 2), (1 << 40, good.segmentSize)] {
                var lying = good
                lying.size = size
                lying.segmentSize = segmentSize
                await #expect(throws: (any Error).self) { try await collect(store.read(lying, key: key, range: nil)) }
            }
            // A packed blob's slot: never negative; another blob's, whose headers name that blob; or one never
            // written.
            let small = try await store.write(body(randomBytes(100)), key: key, checksums: [], maxBytes: 1 << 30)
            let other = try await store.write(body(randomBytes(100)), key: key, checksums: [], maxBytes: 1 << 30)
            var negative = small
            negative.slot = -1
            await #expect(throws: BlobStoreError.invalidBlob(small.id)) { try await collect(store.read(negative, key: key, range: nil)) }
            for slot in [other.slot!, other.slot! + 1_000, 1 << 40] {
                var moved = small
                moved.slot = slot
                await #expect(throws: (any Error).self) { try await collect(store.read(moved, key: key, range: nil)) }
                // Deleting it removes nothing that is not its own: the other blob keeps every copy.
                try await store.delete(moved)
                #expect(try await store.scrub(bytesPerSecond: nil).missingPieces == 0)
            }
            #expect(try await collect(store.read(good, key: key, range: nil)).count == 5000)
            #expect(try await collect(store.read(small, key: key, range: nil)).count == 100)
            #expect(try await collect(store.read(other, key: key, range: nil)).count == 100)
        }
    }
}
