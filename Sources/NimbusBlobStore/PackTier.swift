//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import CNimbusSystem
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where blobs small enough for one 4 KiB block per piece live: blocks in pack files shared by many blobs, not
/// a file per piece. That is a blob of up to ``BlobStore/packedSizeLimit`` bytes (8,072: three XOR pieces of
/// one block each), or of up to ``BlobStore/mirroredSizeLimit`` (4,028: two mirrored copies) in a store of
/// fewer than three directories and whenever two blocks do.
///
/// A file per piece cost a 4 KiB PUT three files made and renamed into place, and six flushes of the disk's
/// write cache (one per file and one per directory), every writer on its own. Here a piece is written in
/// place into its directory's pack file, and the writers of a moment share one `fdatasync` per pack file
/// (group commit, like the metadata store's and the event log's; ``PackSyncer``): the flushes per PUT fall with the number of
/// writers, and no file is made, renamed or unlinked.
///
/// **Layout.** Slots are numbered across the store; slot `s` is in pack `s / slotsPerPack`, the file
/// `<directory>/packs/<pack>.pack` of each directory. Piece `p` of the blob in slot `s` is the block at
/// `((s % slotsPerPack) × 3 + p) × 4096` of that file in directory `placement[p]`: the piece as a piece file
/// would hold it (header, one record, footer; ``BlobLayout``), then zeros. Each piece has its own offset, so
/// that all fit one file when the store has a single directory. The files are sparse: blocks no piece uses
/// are holes, and deleting a blob punches its blocks out, giving them back to the file system. Holes read as
/// zeros and zeros are no header, so a piece is missing when its header is all zeros. The ``StoredBlob`` keeps
/// its slot; the scrubber, which has no metadata, finds the blobs by their headers.
///
/// **Reuse.** A deleted blob's slot is kept for the next blob placed the same way (``release(_:placement:)``,
/// up to ``BlobStore/maxIdlePackSlots``): its blocks are zeroed in place and stay allocated, so that the next blob
/// overwrites them. Writing into a hole makes the file system allocate a block, and the `fdatasync` then
/// writes the file's extents as well as the data; punching the hole out is another change of them. An S3
/// overwrite did both for every piece: 4 KiB PUTs at 16 connections ran 1.7k/s at 720 µs of server CPU each
/// with punching, 2.9k/s at 480 µs with reuse. Only a blob of the same placement reuses a slot, so that it
/// covers every block the deleted one had. Idle slots live in memory: a clean stop punches their blocks out
/// (``BlobStore/finishForStop()``), and those a crash leaves are allocated blocks of zeros, which the next
/// process's first scrub punches out
/// (``BlobStore/reclaimIdleBlocks``). The
/// next new slot after a restart is past the end of the longest pack file.
///
/// A packed blob's blocks are written, deleted and repaired under its *slot's* lock
/// (``BlobStore/withSlotLock(_:_:)``): two blobs share a slot one after the other, and the one deleted must not
/// be repaired over the one written.
final class PackTier: Sendable {
    static let blockSize = 4096
    /// Blocks per slot: one per piece of the widest redundancy.
    static let blocksPerSlot = 3
    /// Slots per pack file: 2¹⁷ slots of three blocks each address 1.5 GiB (sparse) per file, so a million
    /// small blobs open eight files per directory.
    static let slotsPerPack: Int64 = 1 << 17
    private static let slotBytes = Int64(blocksPerSlot * blockSize)

    private let roots: [String]
    private let durable: Bool
    private let nextSlot: Atomic<Int64>
    /// Every pack file opened so far, by path; they stay open.
    private let files = Mutex<[String: PackFile]>([:])
    /// The group commits of the pack files, by device (`st_dev`).
    private let syncers = Mutex<[UInt64: PackSyncer]>([:])

    /// The slots earlier processes used: the only ones whose blocks of zeros can be left over from slots a process
    /// kept for reuse when it stopped. Once a scrub has been through them (``leftoversReclaimed``), no slot can
    /// be left over until this process stops, and scrubs do not look for them.
    let slotsBeforeStart: Int64
    let leftoversReclaimed = Atomic(false)

    init(roots: [String], durable: Bool) {
        self.roots = roots
        self.durable = durable
        slotsBeforeStart = Self.slotsInUse(roots: roots)
        nextSlot = Atomic(slotsBeforeStart)
    }

    /// One past the highest slot any pack file reaches.
    private static func slotsInUse(roots: [String]) -> Int64 {
        var next: Int64 = 0
        for root in Set(roots) {
            for name in (try? FileIO.list(root + "/packs")) ?? [] {
                guard let pack = packNumber(name),
                    let fd = try? FileIO.openIfExists(root + "/packs/" + name, O_RDONLY)
                else { continue }
                defer { close(fd) }
                guard let size = try? FileIO.size(fd, path: name) else { continue }
                next = max(next, pack * slotsPerPack + (size + slotBytes - 1) / slotBytes)
            }
        }
        return next
    }


    /// Deleted blobs' slots by their placement, to be written again; and the same slots as a set.
    private let idle = Mutex<(byPlacement: [[Int]: [Int64]], all: Set<Int64>)>(([:], []))

    /// A slot for a blob placed in `placement`: an idle one of the same placement, or one no blob has had.
    func allocate(placement: [Int]) -> Int64 {
        let reused = idle.withLock { idle -> Int64? in
            guard let slot = idle.byPlacement[placement]?.popLast() else { return nil }
            idle.all.remove(slot)
            return slot
        }
        return reused ?? nextSlot.add(1, ordering: .relaxed).oldValue
    }

    /// Keeps `slot`, whose blob (placed in `placement`) is being deleted, for the next blob placed the same way;
    /// false when enough are kept already. The caller holds the slot's lock and has zeroed the blob's blocks.
    func release(_ slot: Int64, placement: [Int]) -> Bool {
        idle.withLock { idle in
            guard idle.all.count < BlobStore.maxIdlePackSlots, idle.all.insert(slot).inserted else { return false }
            idle.byPlacement[placement, default: []].append(slot)
            return true
        }
    }

    /// Every slot kept for reuse, with its placement; none is kept afterwards.
    func takeIdle() -> [(slot: Int64, placement: [Int])] {
        idle.withLock { idle in
            defer { idle = ([:], []) }
            return idle.byPlacement.flatMap { placement, slots in slots.map { ($0, placement) } }
        }
    }

    /// Whether `slot` is kept for reuse.
    func isIdle(_ slot: Int64) -> Bool { idle.withLock { $0.all.contains(slot) } }

    /// Writes zeros over the block of piece `piece` in `slot`, which then reads as no piece and keeps its disk space.
    func zero(root: String, slot: Int64, piece: Int) throws {
        guard let file = try file(root: root, slot: slot, create: false) else { return }
        try Self.zeroBlock.withUnsafeBytes {
            try FileIO.pwriteAll(file.fd, $0, offset: Self.offset(slot: slot, piece: piece), path: file.path)
        }
    }

    private static let zeroBlock = [UInt8](repeating: 0, count: blockSize)

    /// The numbers of the pack files in any directory, in order.
    func packNumbers() -> [Int64] {
        Set(Set(roots).flatMap { root in ((try? FileIO.list(root + "/packs")) ?? []).compactMap(Self.packNumber) }).sorted()
    }

    /// `<n>.pack`.
    private static func packNumber(_ name: String) -> Int64? {
        guard name.hasSuffix(".pack"), let n = Int64(name.dropLast(5)), n >= 0, String(n) + ".pack" == name else { return nil }
        return n
    }

    func path(root: String, pack: Int64) -> String { root + "/packs/" + String(pack) + ".pack" }

    /// Where piece `piece` of the blob in `slot` is in its pack file.
    static func offset(slot: Int64, piece: Int) -> Int64 {
        ((slot % slotsPerPack) * Int64(blocksPerSlot) + Int64(piece)) * Int64(blockSize)
    }

    /// The pack file of `slot` in `root`, opened once; nil when it does not exist and `create` is false. A
    /// new file's name is made durable before it is used.
    ///
    /// A file removed behind the store's back (a lost directory) is not used: bytes written to it would be gone
    /// at the next start, and reading it would serve what a restart cannot. For writing, the open file must
    /// still be the one at its path (one `stat`); for reading, still have a name (one `fstat`, which misses a
    /// directory renamed away; ``forgetRemovedFiles()`` lets the scrubber catch that too).
    func file(root: String, slot: Int64, create: Bool) throws -> PackFile? {
        let path = path(root: root, pack: slot / Self.slotsPerPack)
        if let file = files.withLock({ $0[path] }) {
            if create ? file.isAtItsPath() : file.isLinked() { return file }
            files.withLock { if $0[path] === file { $0[path] = nil } }
        }
        let fd: CInt
        if create {
            let directory = root + "/packs"
            if access(directory, F_OK) != 0 {
                try FileIO.makeDirectory(directory)
                if durable { try FileIO.syncDirectory(root) }
            }
            fd = try FileIO.open(path, O_RDWR | O_CREAT, 0o600)
            if durable {
                do { try FileIO.syncDirectory(directory) } catch { close(fd); throw error }
            }
        } else {
            guard let opened = try FileIO.openIfExists(path, O_RDWR) else { return nil }
            fd = opened
        }
        let opened = PackFile(fd: fd, path: path)
        // Another task may have opened it meanwhile: theirs is kept, and `opened` closes its descriptor as it goes.
        return files.withLock { files in
            if let existing = files[path] { return existing }
            files[path] = opened
            return opened
        }
    }

    enum Block {
        case bytes([UInt8])
        /// A hole, or past the end of the file, or no file: nothing was written there or it was deleted.
        case missing
        case unreadable
    }

    /// The first `count` bytes of the block of piece `piece` in `slot`, in `root`.
    func read(root: String, slot: Int64, piece: Int, count: Int) -> Block {
        let file: PackFile
        do {
            guard let opened = try self.file(root: root, slot: slot, create: false) else { return .missing }
            file = opened
        } catch {
            return .unreadable
        }
        guard let bytes = try? FileIO.pread(file.fd, count: count, offset: Self.offset(slot: slot, piece: piece), path: file.path) else {
            return .unreadable
        }
        if bytes.count < count || bytes.prefix(BlobLayout.headerSize).allSatisfy({ $0 == 0 }) { return .missing }
        return .bytes(bytes)
    }

    /// Writes `piece` (at most a block; zeros fill the rest) as piece `index` of the blob in `slot`, in `root`.
    /// Durable only once ``sync(_:)`` of the returned file returns.
    @discardableResult
    func write(_ piece: consuming [UInt8], root: String, slot: Int64, index: Int) throws -> PackFile {
        precondition(piece.count <= Self.blockSize, "a packed piece is one block")
        let file = try file(root: root, slot: slot, create: true)!
        var block = piece
        block.append(contentsOf: repeatElement(0, count: Self.blockSize - block.count))
        try block.withUnsafeBytes { try FileIO.pwriteAll(file.fd, $0, offset: Self.offset(slot: slot, piece: index), path: file.path) }
        return file
    }

    /// Makes what was written to `files` durable, sharing each file's `fdatasync` with the other writers of the moment.
    func sync(_ files: [PackFile]) async throws {
        guard durable, !files.isEmpty else { return }
        var byDevice: [(syncer: PackSyncer, files: [PackFile])] = []
        for file in files {
            let syncer = syncer(device: file.device)
            if let index = byDevice.firstIndex(where: { $0.syncer === syncer }) {
                byDevice[index].files.append(file)
            } else {
                byDevice.append((syncer, [file]))
            }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let waiter = SyncWaiter(count: byDevice.count, continuation: continuation)
            for (syncer, files) in byDevice { syncer.requestSync(files) { waiter.finished($0) } }
        }
    }

    /// The group commit of the pack files on `device`.
    private func syncer(device: UInt64) -> PackSyncer {
        syncers.withLock { syncers in
            if let syncer = syncers[device] { return syncer }
            let syncer = PackSyncer()
            syncers[device] = syncer
            return syncer
        }
    }

    /// Makes the block of piece `piece` in `slot` read as zeros and frees its disk space where the file system can.
    func punch(root: String, slot: Int64, piece: Int) throws {
        guard let file = try file(root: root, slot: slot, create: false) else { return }
        let offset = Self.offset(slot: slot, piece: piece)
        while nimbus_punch_hole(file.fd, offset, Int64(Self.blockSize)) != 0 {
            if errno == EINTR { continue }
            // No holes here: zeros, in place.
            let zeros = [UInt8](repeating: 0, count: Self.blockSize)
            try zeros.withUnsafeBytes { try FileIO.pwriteAll(file.fd, $0, offset: offset, path: file.path) }
            return
        }
    }

    /// Whether the block at `offset` of `file` has disk space (`SEEK_DATA`), remembering in `known` the range
    /// of data or hole it found, so that the next blocks of a scan cost no call. True where the file system
    /// cannot tell (it reports everything as data) or the platform cannot ask.
    func isAllocated(_ file: PackFile, offset: Int64, known: inout (range: Range<Int64>, data: Bool)?) -> Bool {
        if let known, known.range.contains(offset) { return known.data }
        let data = nimbus_seek_extent(file.fd, offset, 0)
        if data < 0 {
            // ENXIO: nothing but holes from here to the end.
            let noMoreData = errno == ENXIO
            known = noMoreData ? (offset..<Int64.max, false) : nil
            return !noMoreData
        }
        if data > offset {
            known = (offset..<data, false)
            return false
        }
        let hole = nimbus_seek_extent(file.fd, offset, 1)
        known = hole > offset ? (offset..<hole, true) : nil
        return true
    }

    /// Punches out the block of piece `piece` in `slot`; false where the file system cannot (nothing written then).
    func punchIfSupported(root: String, slot: Int64, piece: Int) -> Bool {
        guard let file = try? file(root: root, slot: slot, create: false) else { return false }
        while nimbus_punch_hole(file.fd, Self.offset(slot: slot, piece: piece), Int64(Self.blockSize)) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    /// Makes what was written to `file` durable now, on the caller's thread (repairs).
    func syncNow(_ file: PackFile) throws {
        if durable { try FileIO.syncData(file.fd, path: file.path) }
    }

    /// Closes the files that are no longer at their paths, so that they are opened (or found missing) again.
    func forgetRemovedFiles() {
        let open = files.withLock { Array($0.values) }
        for file in open where !file.isAtItsPath() {
            files.withLock { if $0[file.path] === file { $0[file.path] = nil } }
        }
    }

    /// Removes every pack file; slots start again from 0.
    func removeAll() throws {
        files.withLock { $0.removeAll() }
        idle.withLock { $0 = ([:], []) }
        for root in Set(roots) {
            for name in try FileIO.list(root + "/packs") where Self.packNumber(name) != nil {
                _ = try FileIO.unlinkIfExists(root + "/packs/" + name)
            }
        }
        nextSlot.store(0, ordering: .relaxed)
    }

    /// The length of the longest of pack `pack`'s files, in slots.
    func slots(inPack pack: Int64) -> Int64 {
        var longest: Int64 = 0
        for root in Set(roots) {
            guard let file = try? file(root: root, slot: pack * Self.slotsPerPack, create: false),
                let size = try? FileIO.size(file.fd, path: file.path)
            else { continue }
            longest = max(longest, (size + Self.slotBytes - 1) / Self.slotBytes)
        }
        return min(longest, Self.slotsPerPack)
    }
}

/// An open pack file.
final class PackFile: Sendable {
    let fd: CInt
    let path: String
    /// The file's identity, to tell whether it is still the one at `path`.
    let device: UInt64
    private let inode: UInt64

    init(fd: CInt, path: String) {
        self.fd = fd
        self.path = path
        var status = stat()
        if fstat(fd, &status) != 0 { status = stat() }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    deinit { close(fd) }

    func isLinked() -> Bool {
        var status = stat()
        return fstat(fd, &status) == 0 && status.st_nlink > 0
    }

    func isAtItsPath() -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}

/// The group commit of the pack files of one device: writers ask for their files to be synced, and one thread
/// takes every request waiting, calls `fdatasync` once for each file they name, and answers them all; requests
/// made meanwhile wait for the next round.
///
/// One thread per device, not per file: a PUT writes a block into each directory's file, and with the three
/// directories on one disk (the default) a thread per file cost three wake-ups per round and more, smaller
/// rounds: 4 KiB PUTs at 16 connections, 495 µs of server CPU each with a thread per file, 428 µs with one.
/// Directories on separate disks keep their flushes in parallel.
final class PackSyncer: Sendable {
    private let queue: DispatchQueue
    private let state = Mutex<(running: Bool, waiting: [Request])>((false, []))

    private struct Request: Sendable {
        var files: [PackFile]
        var done: @Sendable (Result<Void, any Error>) -> Void
    }

    init() {
        // A serial queue runs on libdispatch's overcommitting pool: a job blocked in `fdatasync` has a thread of its own.
        queue = DispatchQueue(label: "nimbus.blobstore.pack-sync")
    }

    /// Calls `done` once an `fdatasync` of each of `files` that began after this call has returned (with the
    /// first error, if any).
    func requestSync(_ files: [PackFile], _ done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let start = state.withLock { state in
            state.waiting.append(Request(files: files, done: done))
            if state.running { return false }
            state.running = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            // Taken before the syncs begin: every write of these requests is already in its file.
            let batch = state.withLock { state in
                let batch = state.waiting
                state.waiting = []
                if batch.isEmpty { state.running = false }
                return batch
            }
            if batch.isEmpty { return }
            var synced: [ObjectIdentifier: Result<Void, any Error>] = [:]
            for request in batch {
                for file in request.files where synced[ObjectIdentifier(file)] == nil {
                    synced[ObjectIdentifier(file)] = Result { try FileIO.syncData(file.fd, path: file.path) }
                }
            }
            for request in batch {
                let failure = request.files.lazy.compactMap { file -> (any Error)? in
                    if case .failure(let error) = synced[ObjectIdentifier(file)] { return error }
                    return nil
                }.first
                request.done(failure.map { .failure($0) } ?? .success(()))
            }
        }
    }
}

/// Resumes one writer when all the syncs it waits for are done, with the first error.
private final class SyncWaiter: Sendable {
    private let continuation: CheckedContinuation<Void, any Error>
    private let state: Mutex<(remaining: Int, error: (any Error)?)>

    init(count: Int, continuation: CheckedContinuation<Void, any Error>) {
        self.continuation = continuation
        state = Mutex((count, nil))
    }

    func finished(_ result: Result<Void, any Error>) {
        let (done, error) = state.withLock { state in
            if case .failure(let failure) = result, state.error == nil { state.error = failure }
            state.remaining -= 1
            return (state.remaining == 0, state.error)
        }
        guard done else { return }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }
}
