//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation
import NimbusCore
import Synchronization

/// Where the blob store keeps its pieces, and how it cuts blobs.
public struct BlobStoreConfiguration: Sendable {
    /// The fault domains, one directory each, ideally on separate disks. Identified by position:
    /// a ``StoredBlob`` names its directories by index, so keep the order.
    public var directories: [URL]
    /// Plaintext bytes per encrypted segment: the unit of encryption, verification and range reads.
    public var segmentSize: Int
    /// Whether a write returns only once its pieces and their names are on stable storage. False for
    /// a store that dies with its process (`nimbus serve --ephemeral`): a crash loses it whole anyway,
    /// and the flushes were most of an S3 PUT's time.
    public var durable: Bool

    /// Every large transfer in flight holds a few segments (plaintext, sealed, the cipher's output, parity). With
    /// 1 MiB, four 16 MiB parts in flight (as SDK transfer managers send them) took the server's peak RSS to 48 MiB
    /// on upload and 56–59 MiB over an upload and a download; 512 KiB gave 38–40 and 49–51 MiB at the same rates
    /// (230–240 MB/s up, 1.8–1.9 GB/s down). 256 KiB saved 6 MiB more on upload but cost downloads 5–8 %.
    public static let defaultSegmentSize = 512 << 10

    public init(directories: [URL], segmentSize: Int = defaultSegmentSize, durable: Bool = true) {
        self.directories = directories
        self.segmentSize = segmentSize
        self.durable = durable
    }

    /// The default: three directories `<data-dir>/blobs/d0`, `d1` and `d2`.
    public init(dataDirectory: URL, segmentSize: Int = defaultSegmentSize) {
        let blobs = dataDirectory.appendingPathComponent("blobs")
        self.init(directories: (0..<3).map { blobs.appendingPathComponent("d\($0)") }, segmentSize: segmentSize)
    }
}

/// The durable, encrypted, redundant store of object data under S3.
///
/// A blob is written once, read any number of times (whole or by range) and deleted; the caller
/// keeps the returned ``StoredBlob`` and the ``BlobKey`` with the object's metadata.
///
/// **Redundancy.** With three or more directories a blob is erasure coded: two data shards and one
/// XOR parity shard, each in its own directory. That costs 1.5× the bytes (mirroring costs 2×,
/// triple replication 3×) and still survives the loss or corruption of any one directory, which is
/// what a single-node store with a few disks can promise; XOR is the one parity code that needs no
/// Galois-field arithmetic and runs at memory speed. Wider codes (4+2 Reed–Solomon) would lower the
/// overhead further and are a matter of `BlobRedundancy` cases once there are more fault domains.
/// With fewer than three directories there is nothing to spread parity over, so blobs are mirrored
/// (two copies; in one directory they protect against bit rot only). Blobs of up to
/// ``mirroredSizeLimit`` bytes (about 4 KiB) are mirrored whatever the directories: one block per copy,
/// less disk and one file fewer than three parity pieces. With more directories than pieces, each blob
/// picks its directories by rendezvous hashing of its id. See ``BlobLayout`` for the format.
///
/// **Integrity.** Every record carries a CRC-32C, so a reader knows which piece is bad without the
/// key; the GCM tag of each segment authenticates the plaintext. A bad or missing piece is rebuilt
/// from the others, on read or by ``scrub(bytesPerSecond:)``, and rewritten in place.
///
/// **Durability.** ``write(_:key:checksums:maxBytes:)`` returns only when every piece is fsync'ed
/// under its final name and the directories are fsync'ed (unless the store is not
/// ``BlobStoreConfiguration/durable``); until then the pieces are temporary
/// files that vanish on error or cancellation (and stray ones left by a crash are removed later).
///
/// **Small blobs** (up to ``packedSizeLimit``, one 4 KiB block per piece) are not files of their own: their
/// pieces are blocks in shared pack files, made durable by one `fdatasync` per pack file for all the writers
/// of a moment (``PackTier``). Everything above holds for them too.
///
/// File I/O is blocking and runs on the calling task's thread, as the other stores do.
public final class BlobStore: Sendable {
    public let configuration: BlobStoreConfiguration
    /// Directory paths, by position.
    let roots: [String]
    /// The blocks of small blobs.
    let packs: PackTier
    let counters = Counters()
    /// Striped locks that make publishing, deleting and rebuilding a blob's pieces exclusive.
    private let locks: [NSLock]
    /// Piece files of deleted blobs, by root, for the next pieces written there (see ``recycle(_:root:)``).
    private let spares = Mutex<[String: [String]]>([:])
    private let spareCounter = Atomic<UInt64>(0)
    /// Names this store's spares (`spare-<token>-<n>`), so that the sweep of stale temporary files
    /// can tell them from those of an earlier process.
    private let spareToken = Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255) })
    /// Empties or removes deleted pieces' files that are not zeroed in place, away from the deleting
    /// request: freeing blocks waits for the device when the file system is mounted with `discard`, and
    /// doing it inline took a fifth off a 1 GiB upload that replaced another. Until then the file is in
    /// `tmp/`, off the piece path, holding ciphertext whose key the caller has destroyed.
    private let reclaimer = DispatchQueue(label: "nimbus.blobstore.reclaim", qos: .utility)
    /// Holds by blob id (how many), and the blobs deleted while held (``hold(_:)``).
    private let holds = Mutex<(count: [String: Int], deferred: [String: StoredBlob])>(([:], [:]))
    /// Roots whose file system cannot zero a range in place; their spares are emptied instead.
    private let zeroingUnsupported = Mutex<Set<String>>([])
    /// How many deleted small blobs' slots are kept for reuse at most (``PackTier``: 12 KiB of allocated blocks
    /// each, across the directories); past that a delete punches its blocks out.
    package static let maxIdlePackSlots = 1024
    /// Spare files kept per root; more are unlinked.
    package static let sparesPerRoot = 64
    /// Spares up to this size keep their blocks; larger ones are emptied, so that deleting a large object
    /// frees its disk space. At most `sparesPerRoot` × this stays allocated per root.
    package static let maxSpareSizeKeepingBlocks: Int64 = 256 << 10

    /// Opens (creating if needed) the directories of a store.
    public init(configuration: BlobStoreConfiguration) throws {
        guard !configuration.directories.isEmpty else {
            throw BlobStoreError.invalidConfiguration("a blob store needs at least one directory")
        }
        guard BlobLayout.segmentSizes.contains(configuration.segmentSize) else {
            throw BlobStoreError.invalidConfiguration("segment size \(configuration.segmentSize) is not in \(BlobLayout.segmentSizes)")
        }
        self.configuration = configuration
        roots = configuration.directories.map { $0.standardizedFileURL.path }
        packs = PackTier(roots: roots, durable: configuration.durable)
        locks = (0..<64).map { _ in NSLock() }
        for root in Set(roots) {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileIO.makeDirectory(root + "/tmp")
            // The prefix directories (`00`…`ff`) are made as pieces first land in them: making all 768 of a
            // fresh store here was a third of the server's start-up time.
            if configuration.durable { try FileIO.syncDirectory(root) }
            removeStaleTemporaryFiles(root: root, olderThan: 3600)
        }
    }

    // MARK: Write

    /// Streams `body` to disk, encrypting each segment with AES-256-GCM under `key`, computing the
    /// MD5 of the plaintext and the requested checksums, writing redundant pieces, fsync'ing them and
    /// their directories before returning.
    ///
    /// Memory stays at a few segments whatever the body's size. Throws ``BlobStoreError/tooLarge``
    /// as soon as more than `maxBytes` arrive. On any error or cancellation nothing is left behind.
    public func write<Body: AsyncSequence & Sendable>(
        _ body: Body,
        key: BlobKey,
        checksums: Set<ChecksumAlgorithm>,
        maxBytes: Int64
    ) async throws -> StoredBlob where Body.Element == [UInt8] {
        let (id, idBytes) = BlobID.random()
        let (redundancy, placement) = placement(for: idBytes)
        let segmentSize = configuration.segmentSize
        // Made at the first whole segment, or at the end: until then a blob may still turn out small enough to mirror.
        var writer: PieceWriter?
        func pieceWriter() -> PieceWriter {
            if let writer { return writer }
            let layout = BlobLayout(id: id, idBytes: idBytes, redundancy: redundancy, segmentSize: segmentSize, size: 0, placement: placement)
            let made = PieceWriter(store: self, layout: layout, pieces: Array(0..<redundancy.pieceCount))
            writer = made
            return made
        }
        let cipher = SegmentCipher(key: key, idBytes: idBytes)
        var digests = PlaintextDigests(checksums)
        var segment: [UInt8] = []
        var sealed: [UInt8] = []
        var size: Int64 = 0
        var index = 0
        do {
            for try await chunk in body {
                try Task.checkCancellation()
                size += Int64(chunk.count)
                guard size <= maxBytes else { throw BlobStoreError.tooLarge }
                var offset = 0
                while offset < chunk.count {
                    let take = min(segmentSize - segment.count, chunk.count - offset)
                    if segment.isEmpty && take == segmentSize {
                        // A whole segment inside the chunk: no copy.
                        digests = try await process(chunk[offset..<offset + take], index: index, digests: digests, cipher: cipher, sealed: &sealed)
                        try pieceWriter().write(sealed: sealed)
                        index += 1
                    } else {
                        if segment.capacity < segmentSize { segment.reserveCapacity(segmentSize) }
                        segment.append(contentsOf: chunk[offset..<offset + take])
                        if segment.count == segmentSize {
                            digests = try await process(segment[...], index: index, digests: digests, cipher: cipher, sealed: &sealed)
                            try pieceWriter().write(sealed: sealed)
                            index += 1
                            segment.removeAll(keepingCapacity: true)
                        }
                    }
                    offset += take
                }
            }
            if !segment.isEmpty || index == 0 {
                digests = try await process(segment[...], index: index, digests: digests, cipher: cipher, sealed: &sealed)
                if writer == nil, size <= (redundancy == .xorParity ? Self.packedSizeLimit : Self.mirroredSizeLimit) {
                    let mirrored = size <= Self.mirroredSizeLimit
                    let packedPlacement = mirrored ? self.placement(for: idBytes, .mirror) : placement
                    let layout = BlobLayout(
                        id: id,
                        idBytes: idBytes,
                        redundancy: mirrored ? .mirror : redundancy,
                        segmentSize: segmentSize,
                        size: size,
                        placement: packedPlacement,
                        slot: packs.allocate(placement: packedPlacement)
                    )
                    try Task.checkCancellation()
                    try await writePacked(layout, sealed: sealed)
                    return StoredBlob(layout, digests: digests)
                }
                // The last segment stays in the writer's buffers, to go out with the footer in `finish`.
                pieceWriter().append(sealed: sealed)
            }
            try Task.checkCancellation()
            let layout = BlobLayout(id: id, idBytes: idBytes, redundancy: redundancy, segmentSize: segmentSize, size: size, placement: placement)
            try await pieceWriter().finish(footer: layout.footer())
            try Task.checkCancellation()
            try await pieceWriter().publish()
        } catch {
            writer?.abort()
            throw error
        }
        return StoredBlob(
            BlobLayout(id: id, idBytes: idBytes, redundancy: redundancy, segmentSize: segmentSize, size: size, placement: placement),
            digests: digests
        )
    }

    /// Writes the pieces of a small blob into their pack files and waits until they are durable; on error,
    /// none is left.
    private func writePacked(_ layout: BlobLayout, sealed: [UInt8]) async throws {
        let slot = layout.slot!
        var written: [PackFile] = []
        do {
            // Under the slot's lock, so that the scrubber sees all the pieces or none (``checkAndRepairPacked(_:)``).
            try withSlotLock(slot) {
                for piece in 0..<layout.pieceCount {
                    let bytes = packedPiece(layout, piece: piece) { block in
                        sealed.withUnsafeBytes { Shards.appendRecord(piece: piece, of: $0, layout.redundancy, to: &block) }
                    }
                    let file = try packs.write(bytes, root: roots[layout.placement[piece]], slot: slot, index: piece)
                    if !written.contains(where: { $0 === file }) { written.append(file) }
                }
            }
            try await packs.sync(written)
        } catch {
            withSlotLock(slot) {
                for piece in 0..<layout.pieceCount { try? packs.punch(root: roots[layout.placement[piece]], slot: slot, piece: piece) }
            }
            throw error
        }
    }

    /// Piece `piece` of a packed blob as its block begins: header, the record `appendRecord` adds, footer; with
    /// room for the zeros that fill the block, so that ``PackTier/write(_:root:slot:index:)`` adds them in place.
    func packedPiece(_ layout: BlobLayout, piece: Int, appendRecord: (inout [UInt8]) -> Void) -> [UInt8] {
        var block: [UInt8] = []
        block.reserveCapacity(PackTier.blockSize)
        block += layout.header(piece: piece)
        appendRecord(&block)
        block += layout.footer()
        return block
    }

    /// Seals one segment into `sealed` while another task hashes its plaintext.
    private func process(
        _ plaintext: ArraySlice<UInt8>,
        index: Int,
        digests: PlaintextDigests,
        cipher: SegmentCipher,
        sealed: inout [UInt8]
    ) async throws -> PlaintextDigests {
        // Below this, a child task costs more than it saves.
        if plaintext.count < 64 << 10 {
            var digests = digests
            try plaintext.withUnsafeBytes { raw in
                digests.update(raw)
                try cipher.seal(raw, index: index, into: &sealed)
            }
            return digests
        }
        async let hashed = digests.updating(plaintext)
        try plaintext.withUnsafeBytes { try cipher.seal($0, index: index, into: &sealed) }
        return await hashed
    }

    // MARK: Delete

    /// Removes every piece of `blob`. Deleting a blob that is already gone does nothing.
    /// (The caller destroys the data key.) A blob that a ``BlobHold`` holds is removed when the last hold ends.
    ///
    /// The directories are not synced: the bytes were unreadable once the caller's record and its data
    /// key were gone, and a crash that undoes an unlink leaves only sealed bytes behind. Syncing them
    /// cost every overwriting PUT three fsyncs, on the caller's thread.
    public func delete(_ blob: StoredBlob) async throws {
        let held = holds.withLock { holds in
            guard holds.count[blob.id] != nil else { return false }
            holds.deferred[blob.id] = blob
            return true
        }
        if held { return }
        try deleteNow(blob)
    }

    /// Whether a ``BlobHold`` holds the blob `id`.
    func isHeld(_ id: String) -> Bool {
        holds.withLock { $0.count[id] != nil }
    }

    /// ``delete(_:)`` without looking at holds.
    private func deleteNow(_ blob: StoredBlob) throws {
        let layout = try BlobLayout(blob, directoryCount: roots.count)
        if let slot = layout.slot {
            try withSlotLock(slot) { _ = try removePacked(layout, slot: slot) }
            return
        }
        try withBlobLock(layout.id) {
            for piece in 0..<layout.pieceCount {
                let path = piecePath(layout: layout, piece: piece)
                if !recycle(path, root: roots[layout.placement[piece]]) { try FileIO.unlinkIfExists(path) }
            }
        }
    }

    /// Zeroes the blocks of `slot` that name the blob of `layout` and gives the slot back; the caller holds the
    /// slot's lock. Returns which pieces it found there.
    func removePacked(_ layout: BlobLayout, slot: Int64) throws -> [Int] {
        // Only blocks that name this blob: a slot is a number in a record, not a name made from the
        // blob's id as a piece file's is, and a wrong one must not take another blob's data with it.
        let named = (0..<layout.pieceCount).filter { piece in
            guard case .bytes(let header) = packs.read(root: roots[layout.placement[piece]], slot: slot, piece: piece, count: BlobLayout.headerSize)
            else { return false }
            return header == layout.header(piece: piece)
        }
        guard !named.isEmpty else { return [] }
        // Zeroed first: once released, the slot may be handed to a writer, who waits for this lock.
        for piece in named { try packs.zero(root: roots[layout.placement[piece]], slot: slot, piece: piece) }
        if packs.release(slot, placement: layout.placement) { return named }
        for piece in named { try packs.punch(root: roots[layout.placement[piece]], slot: slot, piece: piece) }
        return named
    }

    // MARK: Holds

    /// Keeps `blobs` from being deleted until the hold ends (when it is deinitialized): a reader holds the blobs
    /// of the record it read, so that an overwrite or delete committed meanwhile does not take the pieces away
    /// mid-read. A delete of a held blob is carried out when the last hold on it ends.
    ///
    /// A blob deleted before the hold was taken is not brought back: the caller takes the hold, then reads
    /// its record again, and starts over if the record has changed (a record is deleted before its blobs).
    public func hold(_ blobs: [StoredBlob]) -> BlobHold {
        let ids = blobs.map(\.id)
        holds.withLock { holds in
            for id in ids { holds.count[id, default: 0] += 1 }
        }
        return BlobHold(store: self, ids: ids)
    }

    /// Ends a hold of `ids`; deletes, away from the caller, the blobs deleted while held that no hold holds now.
    func release(_ ids: [String]) {
        let due = holds.withLock { holds -> [StoredBlob] in
            var due: [StoredBlob] = []
            for id in ids {
                guard let count = holds.count[id] else { continue }
                if count > 1 {
                    holds.count[id] = count - 1
                } else {
                    holds.count[id] = nil
                    if let blob = holds.deferred.removeValue(forKey: id) { due.append(blob) }
                }
            }
            return due
        }
        guard !due.isEmpty else { return }
        reclaimer.async { [self] in
            for blob in due { try? deleteNow(blob) }
        }
    }

    /// At a clean stop, once no request runs: carries out the deletes that holds deferred, and gives back to the file
    /// system the blocks of the slots kept for reuse, which would otherwise wait for the next start's first scrub.
    public func finishForStop() {
        reclaimer.sync {}
        let deferred = holds.withLock { holds in
            defer { holds = ([:], [:]) }
            return Array(holds.deferred.values)
        }
        for blob in deferred { try? deleteNow(blob) }
        for (slot, placement) in packs.takeIdle() {
            withSlotLock(slot) {
                for piece in placement.indices {
                    _ = packs.punchIfSupported(root: roots[placement[piece]], slot: slot, piece: piece)
                }
            }
        }
    }

    // MARK: Spare files

    /// Keeps a deleted piece's file to be written again, renamed into the root's `tmp/` and zeroed, or
    /// hands it to ``reclaimer`` to be emptied or removed; false when the file is not there.
    ///
    /// Making a file and unlinking one for every piece of every overwrite was a third of an S3 PUT's
    /// CPU time on ext4 without a journal: allocating an inode skips the recently freed ones, reading
    /// the inode table to find them. A spare is renamed instead and keeps its inode. Its bytes read as
    /// zeros from now on, as an unlinked file's could not be read, but its blocks stay allocated: the
    /// next piece overwrites them and ``PieceWriter`` trims what is left. Emptying the file (a truncate)
    /// freed the blocks only for the next piece to allocate them again, and cost three times as much
    /// per piece on ext4 (more with `discard`). A spare over ``maxSpareSizeKeepingBlocks``, or where
    /// zeroing in place is not supported, is emptied: deleting a large object must give its disk space
    /// back. Spares left by a crash are temporary files like any other, removed after an hour.
    func recycle(_ path: String, root: String) -> Bool {
        let spare = root + "/tmp/" + sparePrefix + String(spareCounter.add(1, ordering: .relaxed).newValue)
        guard (try? FileIO.rename(path, spare)) != nil else { return false }
        if hasRoomForSpare(root), zeroInPlace(spare, root: root) {
            keep(spare, root: root)
        } else {
            reclaimer.async { [self] in
                if hasRoomForSpare(root), truncate(spare, 0) == 0 {
                    keep(spare, root: root)
                } else {
                    _ = try? FileIO.unlinkIfExists(spare)
                }
            }
        }
        return true
    }

    private func hasRoomForSpare(_ root: String) -> Bool {
        spares.withLock { $0[root, default: []].count < Self.sparesPerRoot }
    }

    /// Adds an emptied or zeroed spare to `root`'s list, or unlinks it when the list is full.
    private func keep(_ spare: String, root: String) {
        let kept = spares.withLock { spares in
            guard spares[root, default: []].count < Self.sparesPerRoot else { return false }
            spares[root, default: []].append(spare)
            return true
        }
        if !kept { _ = try? FileIO.unlinkIfExists(spare) }
    }

    /// Waits until every deleted piece handed to the reclaimer is emptied or removed.
    package func finishReclaiming() {
        reclaimer.sync {}
    }

    /// Zeroes a spare in place, unless `root`'s file system was found not to support it (then every
    /// deletion would open, stat and close a file for nothing before truncating it anyway).
    private func zeroInPlace(_ spare: String, root: String) -> Bool {
        guard !zeroingUnsupported.withLock({ $0.contains(root) }) else { return false }
        switch FileIO.zeroKeepingBlocks(spare, limit: Self.maxSpareSizeKeepingBlocks) {
        case .zeroed: return true
        case .tooLarge, .failed: return false
        case .unsupported:
            zeroingUnsupported.withLock { _ = $0.insert(root) }
            return false
        }
    }

    /// Opens a temporary file to write a piece into: a spare of `root` where there is one, as it is and
    /// under its own name (`reused`: it may be longer than what is written, and the writer trims it),
    /// else a new, empty file at `path`. Returns where the file is.
    func openTemporary(_ path: String, root: String) throws -> (fd: CInt, path: String, reused: Bool) {
        while let spare = spares.withLock({ $0[root]?.popLast() }) {
            // Removed behind the store's back (the sweep takes spares off the list first): try the next.
            if let fd = try? FileIO.open(spare, O_WRONLY) { return (fd, spare, true) }
        }
        return (try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600), path, false)
    }

    // MARK: Statistics

    /// Counters since the store was opened.
    public var statistics: BlobStoreStatistics {
        var s = BlobStoreStatistics()
        s.scrubbedBytes = counters.scrubbedBytes.load(ordering: .relaxed)
        s.corruptPieces = counters.corruptPieces.load(ordering: .relaxed)
        s.repairedPieces = counters.repairedPieces.load(ordering: .relaxed)
        s.unrecoverable = counters.unrecoverable.load(ordering: .relaxed)
        s.readsFailedOver = counters.readsFailedOver.load(ordering: .relaxed)
        return s
    }

    final class Counters: Sendable {
        let scrubbedBytes = Atomic<Int64>(0)
        let corruptPieces = Atomic<Int64>(0)
        let repairedPieces = Atomic<Int64>(0)
        let unrecoverable = Atomic<Int64>(0)
        let readsFailedOver = Atomic<Int64>(0)

        enum Counter { case scrubbedBytes, corruptPieces, repairedPieces, unrecoverable, readsFailedOver }

        func add(_ counter: Counter, _ n: Int) {
            guard n != 0 else { return }
            let delta = Int64(n)
            switch counter {
            case .scrubbedBytes: scrubbedBytes.add(delta, ordering: .relaxed)
            case .corruptPieces: corruptPieces.add(delta, ordering: .relaxed)
            case .repairedPieces: repairedPieces.add(delta, ordering: .relaxed)
            case .unrecoverable: unrecoverable.add(delta, ordering: .relaxed)
            case .readsFailedOver: readsFailedOver.add(delta, ordering: .relaxed)
            }
        }
    }

    // MARK: Placement and paths

    /// The largest blob that is mirrored rather than coded when there are three directories: its piece
    /// (header, sealed bytes, CRC and footer) fits one 4 KiB block, the unit file systems allocate in. Two such
    /// pieces take two blocks where three XOR pieces take three, and a write, a read and a delete touch
    /// two files instead of three (a read, one instead of two), with the same protection: each copy is in
    /// its own directory, so any one directory can still be lost.
    public static let mirroredSizeLimit: Int64 = Int64(4096 - BlobLayout.headerSize - BlobLayout.tagSize - BlobLayout.crcSize - BlobLayout.footerSize)

    /// The largest blob kept in the pack files (``PackTier``) rather than in files of its own, when it is coded:
    /// each of its three pieces fits one 4 KiB block. (Mirrored blobs are packed up to ``mirroredSizeLimit``.)
    public static let packedSizeLimit: Int64 = 2 * Int64(4096 - BlobLayout.headerSize - BlobLayout.crcSize - BlobLayout.footerSize) - Int64(BlobLayout.tagSize)

    /// The redundancy and directories of a new blob of unknown size.
    func placement(for idBytes: [UInt8]) -> (BlobRedundancy, [Int]) {
        let redundancy: BlobRedundancy = roots.count >= 3 ? .xorParity : .mirror
        return (redundancy, placement(for: idBytes, redundancy))
    }

    /// Directories by rendezvous hashing: each blob ranks the directories by a hash of (id, index)
    /// and takes the best; adding a directory moves only the blobs that rank it first.
    func placement(for idBytes: [UInt8], _ redundancy: BlobRedundancy) -> [Int] {
        let n = roots.count
        if n == 1 { return Array(repeating: 0, count: redundancy.pieceCount) }
        if n == redundancy.pieceCount { return Array(0..<n) }
        let ranked = (0..<n).map { d in (CRC.crc32c(idBytes + [UInt8(truncatingIfNeeded: d), UInt8(truncatingIfNeeded: d >> 8)]), d) }
            .sorted { $0 > $1 }
        let chosen = ranked.prefix(redundancy.pieceCount).map(\.1)
        return chosen.count == redundancy.pieceCount ? chosen : (0..<redundancy.pieceCount).map { chosen[$0 % chosen.count] }
    }

    func pieceDirectory(layout: BlobLayout, piece: Int) -> String {
        roots[layout.placement[piece]] + "/" + layout.id.prefix(2)
    }

    func piecePath(layout: BlobLayout, piece: Int) -> String {
        pieceDirectory(layout: layout, piece: piece) + "/" + layout.id + "." + String(piece)
    }

    func temporaryPath(layout: BlobLayout, piece: Int, suffix: String) -> String {
        roots[layout.placement[piece]] + "/tmp/" + layout.id + "." + String(piece) + "." + suffix
    }

    func withBlobLock<T>(_ id: String, _ body: () throws -> T) rethrows -> T {
        try locks[id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF } % locks.count].withLock(body)
    }

    /// The lock of a packed blob's blocks: by slot, not by blob, because a slot is reused (``PackTier``).
    func withSlotLock<T>(_ slot: Int64, _ body: () throws -> T) rethrows -> T {
        try locks[Int(slot.magnitude % UInt64(locks.count))].withLock(body)
    }

    private var sparePrefix: String { "spare-" + spareToken + "-" }

    /// Removes temporary files a crash left behind (older than `age` seconds, so not in use), and this
    /// store's spares that have waited that long.
    ///
    /// A spare's age says nothing about whether it is in use: renaming keeps the deleted piece's time,
    /// and a writer may have taken it a moment ago without writing yet. So one of this store's spares
    /// is removed only if it is still in the list, and it leaves the list first, under the lock the
    /// writers take it with; one out of the list belongs to a writer and is left alone.
    func removeStaleTemporaryFiles(root: String, olderThan age: Double) {
        let ours = sparePrefix
        for name in (try? FileIO.list(root + "/tmp")) ?? [] {
            let path = root + "/tmp/" + name
            guard let fileAge = FileIO.age(path), fileAge >= age else { continue }
            if name.hasPrefix(ours) {
                let idle = spares.withLock { spares in
                    guard let index = spares[root]?.firstIndex(of: path) else { return false }
                    spares[root]!.remove(at: index)
                    return true
                }
                guard idle else { continue }
            }
            _ = try? FileIO.unlinkIfExists(path)
        }
    }
}

/// MD5 and the requested checksums of a plaintext stream.
struct PlaintextDigests: Sendable {
    private var md5Hasher = Insecure.MD5()
    private var others: [StreamingChecksum]

    init(_ algorithms: Set<ChecksumAlgorithm>) {
        others = ChecksumAlgorithm.allCases.filter(algorithms.contains).map(StreamingChecksum.init)
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        md5Hasher.update(bufferPointer: bytes)
        for i in others.indices { others[i].update(bytes) }
    }

    func updating(_ bytes: ArraySlice<UInt8>) -> PlaintextDigests {
        var copy = self
        bytes.withUnsafeBytes { copy.update($0) }
        return copy
    }

    func md5() -> [UInt8] { Array(md5Hasher.finalize()) }

    func checksums() -> [ChecksumAlgorithm: String] {
        Dictionary(uniqueKeysWithValues: others.map { ($0.algorithm, $0.finalizeBase64()) })
    }
}

extension StoredBlob {
    init(_ layout: BlobLayout, digests: PlaintextDigests) {
        self.init(
            id: layout.id,
            size: layout.size,
            md5: digests.md5(),
            checksums: digests.checksums(),
            redundancy: layout.redundancy,
            segmentSize: layout.segmentSize,
            placement: layout.placement,
            slot: layout.slot
        )
    }
}

/// Blobs kept from deletion while someone reads them (``BlobStore/hold(_:)``); the hold ends when this is
/// deinitialized.
public final class BlobHold: Sendable {
    private let store: BlobStore
    private let ids: [String]

    init(store: BlobStore, ids: [String]) {
        self.store = store
        self.ids = ids
    }

    deinit { store.release(ids) }
}
