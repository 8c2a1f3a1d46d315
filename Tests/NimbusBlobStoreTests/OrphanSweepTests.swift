//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import Synchronization
import Testing

/// The scrubber's removal of blobs no record names: only old ones, never a named or held one, never when the
/// records cannot be read.
@Suite struct OrphanSweepTests {
    /// A blob of piece files (above the packed size limit).
    static let size = Int(BlobStore.packedSizeLimit) + 1

    private func pieceFiles(_ root: URL, _ blob: StoredBlob) -> [URL] {
        files(under: root).filter { $0.lastPathComponent.hasPrefix(blob.id + ".") }
    }

    /// Sets every piece file of `blob` back in time, as if written an hour ago.
    private func age(_ root: URL, _ blob: StoredBlob, by seconds: Double = 3600) throws {
        for file in pieceFiles(root, blob) {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: file.path)
        }
    }

    private func write(_ store: BlobStore, seed: UInt64) async throws -> StoredBlob {
        try await store.write(body(randomBytes(Self.size, seed: seed)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30)
    }

    @Test func removesOnlyOldBlobsNoRecordNamesAndNoReaderHolds() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let named = try await write(store, seed: 1)
            let orphan = try await write(store, seed: 2)
            let young = try await write(store, seed: 3)
            let held = try await write(store, seed: 4)
            for blob in [named, orphan, held] { try age(root, blob) }
            let asked = Mutex<Set<String>>([])
            let sweep = OrphanSweep(minimumAge: 600) { candidates in
                asked.withLock { $0.formUnion(candidates) }
                return candidates.intersection([named.id])
            }
            let hold = store.hold([held])
            let report = try await store.scrub(bytesPerSecond: nil, orphans: sweep)
            #expect(report.orphansRemoved == 1)
            // The young blob was not even asked about: it may be a write whose record is being committed.
            #expect(asked.withLock { $0 } == [named.id, orphan.id, held.id])
            #expect(pieceFiles(root, orphan).isEmpty)
            for blob in [named, young, held] { #expect(pieceFiles(root, blob).count == 3) }
            withExtendedLifetime(hold) {}
        }
    }

    @Test func removesEveryPieceOfAnOrphanEvenOneTheScrubRebuilt() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let orphan = try await write(store, seed: 5)
            try age(root, orphan)
            try FileManager.default.removeItem(at: pieceFiles(root, orphan)[0])
            let report = try await store.scrub(bytesPerSecond: nil, orphans: OrphanSweep(minimumAge: 600) { _ in [] })
            #expect(report.orphansRemoved == 1)
            #expect(pieceFiles(root, orphan).isEmpty)
            #expect(try await store.scrub(bytesPerSecond: nil, orphans: OrphanSweep(minimumAge: 600) { _ in [] }).blobsChecked == 0)
        }
    }

    /// A packed blob a crash left half deleted (its blocks are zeroed one by one) is too damaged to rebuild: a scrub
    /// with a sweep removes it when no record names it, and reports it when one does.
    @Test func aHalfDeletedPackedBlobNoRecordNamesIsRemovedNotReported() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let size = Int(BlobStore.mirroredSizeLimit) + 100  // XOR parity, three blocks in the pack files
            let leftover = try await store.write(body(randomBytes(size, seed: 7)), key: BlobKey.random(), checksums: [], maxBytes: 1 << 30)
            #expect(leftover.slot != nil && leftover.redundancy == .xorParity)
            for piece in [0, 1] { try overwrite(packedCopy(root, leftover, piece: piece), with: Array(repeating: 0, count: 4096)) }
            let third = packedCopy(root, leftover, piece: 2)
            let intact = try block(third)

            // Named by a record: damage, reported, left alone.
            let named = try await store.scrub(bytesPerSecond: nil, orphans: OrphanSweep(minimumAge: 600) { $0 })
            #expect(named.unrecoverable == [leftover.id] && named.orphansRemoved == 0)
            #expect(try block(third) == intact)
            // Named by none: removed, not reported; the next scrub finds nothing.
            let swept = try await store.scrub(bytesPerSecond: nil, orphans: OrphanSweep(minimumAge: 600) { _ in [] })
            #expect(swept.unrecoverable.isEmpty && swept.orphansRemoved == 1)
            #expect(try block(third).allSatisfy { $0 == 0 })
            let after = try await store.scrub(bytesPerSecond: nil, orphans: OrphanSweep(minimumAge: 600) { _ in [] })
            #expect(after.unrecoverable.isEmpty && after.orphansRemoved == 0 && after.blobsChecked == 0)
        }
    }

    struct RecordsUnreadable: Error {}

    @Test func removesNothingWhenTheRecordsCannotBeRead() async throws {
        try await withTemporaryDirectory { root in
            let store = try makeStore(in: root)
            let blob = try await write(store, seed: 6)
            try age(root, blob)
            let report = try await store.scrub(bytesPerSecond: nil, orphans: OrphanSweep(minimumAge: 600) { _ in throw RecordsUnreadable() })
            #expect(report.orphanSweepFailed && report.orphansRemoved == 0 && report.blobsChecked == 1)
            #expect(pieceFiles(root, blob).count == 3)
            // Without a sweep nothing is removed either.
            #expect(try await store.scrub(bytesPerSecond: nil).orphansRemoved == 0)
            #expect(pieceFiles(root, blob).count == 3)
        }
    }
}
