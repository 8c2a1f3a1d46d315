//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes some pieces of one blob to temporary files, then publishes them all or none.
///
/// Used for whole blobs (every piece) and for rebuilding lost pieces (some). Each piece gets one
/// `write` per segment: a whole blob's segments go out straight from the sealed segment, and the last
/// one collects in a buffer with the footer. A blob that fits in one segment costs
/// `open, write, fdatasync, rename, close` per piece and one `fsync` per directory. A writer that is
/// neither published nor aborted removes its files when it goes away.
final class PieceWriter {
    private let store: BlobStore
    private let layout: BlobLayout
    /// The pieces this writer produces.
    let pieces: [Int]
    /// Where each piece is written before it is published: a new name, or the spare the piece reuses.
    private var temporaryPaths: [String]
    private var descriptors: [CInt]
    /// Whether the file in each slot is a spare, which may be longer than what this writer puts in it.
    private var reused: [Bool]
    private var buffers: [[UInt8]]
    /// The XOR parity record of the segment ``write(sealed:)`` is writing.
    private var parity: [UInt8] = []
    private var offsets: [Int64]
    private var lastWriteback: [Int64]
    private var finished = false
    private var published = false

    /// Asks the kernel to start writeback every this many bytes, so the final sync is short.
    private static let writebackInterval: Int64 = 8 << 20

    init(store: BlobStore, layout: BlobLayout, pieces: [Int]) {
        self.store = store
        self.layout = layout
        self.pieces = pieces
        let suffix = String(temporaryCounter.add(1, ordering: .relaxed).newValue)
        temporaryPaths = pieces.map { store.temporaryPath(layout: layout, piece: $0, suffix: suffix) }
        descriptors = Array(repeating: -1, count: pieces.count)
        reused = Array(repeating: false, count: pieces.count)
        buffers = pieces.map { layout.header(piece: $0) }
        offsets = Array(repeating: 0, count: pieces.count)
        lastWriteback = Array(repeating: 0, count: pieces.count)
    }

    deinit { abort() }

    /// Writes every piece's record of a sealed segment straight from `sealed`, after whatever is buffered
    /// (whole-blob writers, for every segment but the last).
    ///
    /// The buffers would take a copy of each record: with 512 KiB segments, 0.75 MiB more memory per upload
    /// and as many bytes copied. Only XOR parity needs bytes of its own, made in `parity`.
    func write(sealed: [UInt8]) throws {
        try sealed.withUnsafeBytes { raw in
            for slot in pieces.indices {
                try Shards.withPayload(piece: pieces[slot], of: raw, layout.redundancy, parity: &parity) { payload, padded in
                    try writeRecord(slot, payload, padded: padded)
                }
            }
        }
    }

    /// Writes what is buffered for `slot`, then the record of `payload` (with its pad byte when `padded`).
    private func writeRecord(_ slot: Int, _ payload: UnsafeRawBufferPointer, padded: Bool) throws {
        let trailer = Shards.recordCRC(payload, padded: padded).littleEndian
        try withUnsafeBytes(of: UInt8(0)) { pad in
            try withUnsafeBytes(of: trailer) { trailer in
                try buffers[slot].withUnsafeBytes { buffered in
                    try write(slot, [buffered, payload, padded ? pad : UnsafeRawBufferPointer(rebasing: pad[0..<0]), trailer])
                }
            }
        }
        buffers[slot].removeAll(keepingCapacity: true)
    }

    /// Appends every piece's record of a sealed segment (whole-blob writers: the last segment).
    func append(sealed: [UInt8]) {
        sealed.withUnsafeBytes { raw in
            for slot in pieces.indices {
                Shards.appendRecord(piece: pieces[slot], of: raw, layout.redundancy, to: &buffers[slot])
            }
        }
    }

    /// Appends a record payload to the piece in `slot` (rebuilds).
    func append(payload: [UInt8], slot: Int) {
        buffers[slot].append(contentsOf: payload)
        withUnsafeBytes(of: CRC.crc32c(payload).littleEndian) { buffers[slot].append(contentsOf: $0) }
    }

    /// The directory the piece in `slot` goes to.
    private func root(_ slot: Int) -> String { store.roots[layout.placement[pieces[slot]]] }

    /// Writes what is buffered, creating the files on first use.
    func flush() throws {
        for slot in pieces.indices where !buffers[slot].isEmpty {
            try buffers[slot].withUnsafeBytes { try write(slot, [$0]) }
            buffers[slot].removeAll(keepingCapacity: true)
        }
    }

    /// Writes `parts` at the end of the piece in `slot`, creating its file on first use.
    private func write(_ slot: Int, _ parts: [UnsafeRawBufferPointer]) throws {
        if descriptors[slot] < 0 {
            (descriptors[slot], temporaryPaths[slot], reused[slot]) = try store.openTemporary(temporaryPaths[slot], root: root(slot))
        }
        try FileIO.writeAll(descriptors[slot], parts: parts, path: temporaryPaths[slot])
        offsets[slot] += Int64(parts.reduce(0) { $0 + $1.count })
        if offsets[slot] - lastWriteback[slot] >= Self.writebackInterval {
            FileIO.startWriteback(descriptors[slot], offset: lastWriteback[slot], count: Int(offsets[slot] - lastWriteback[slot]))
            lastWriteback[slot] = offsets[slot]
        }
    }

    /// Appends the footer (which holds the size, known only now), then writes, syncs and closes
    /// every file, all pieces at once (they are on different disks; on one, the syncs share a flush).
    func finish(footer: [UInt8]) async throws {
        for slot in pieces.indices where descriptors[slot] < 0 {
            (descriptors[slot], temporaryPaths[slot], reused[slot]) = try store.openTemporary(temporaryPaths[slot], root: root(slot))
        }
        let jobs = pieces.indices.map { slot in
            buffers[slot] += footer
            let (fd, reused, path, bytes) = (descriptors[slot], reused[slot], temporaryPaths[slot], buffers[slot])
            let length = offsets[slot] + Int64(bytes.count)
            let durable = store.configuration.durable
            descriptors[slot] = -1
            buffers[slot] = []
            return { @Sendable in
                defer { close(fd) }
                try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
                // A spare's zeros past the new end go: the footer must be the file's last bytes.
                if reused { try FileIO.truncate(fd, to: length, path: path) }
                if durable { try FileIO.syncData(fd, path: path) }
            }
        }
        try await FileIO.inParallel(jobs)
        finished = true
    }

    /// Renames the finished files into place and syncs their directories.
    ///
    /// Renames under the blob's lock, so a concurrent delete or repair sees all the pieces or none.
    /// With `onlyIfPresent`, publishes only while another piece of the blob still exists (a rebuild
    /// must not resurrect a blob deleted meanwhile) and returns false otherwise.
    @discardableResult
    func publish(onlyIfPresent: Bool = false) async throws -> Bool {
        precondition(finished, "publish before finish")
        let finalPaths = pieces.map { store.piecePath(layout: layout, piece: $0) }
        var renamed: [String] = []
        do {
            let proceed = try store.withBlobLock(layout.id) {
                if onlyIfPresent {
                    let others = (0..<layout.pieceCount).filter { !pieces.contains($0) }
                    guard others.contains(where: { access(store.piecePath(layout: layout, piece: $0), F_OK) == 0 }) else {
                        return false
                    }
                }
                for slot in pieces.indices {
                    try FileIO.renameMakingDirectory(temporaryPaths[slot], finalPaths[slot], durable: store.configuration.durable)
                    renamed.append(finalPaths[slot])
                }
                return true
            }
            guard proceed else { return false }
            published = true
            guard store.configuration.durable else { return true }
            let directories = Set(pieces.map { store.pieceDirectory(layout: layout, piece: $0) })
            try await FileIO.inParallel(directories.map { directory in { @Sendable in try FileIO.syncDirectory(directory) } })
        } catch {
            if !onlyIfPresent {
                for path in renamed { _ = try? FileIO.unlinkIfExists(path) }
            }
            throw error
        }
        return true
    }

    /// Closes and removes the temporary files; nothing of the write remains.
    func abort() {
        for slot in descriptors.indices where descriptors[slot] >= 0 {
            close(descriptors[slot])
            descriptors[slot] = -1
        }
        if !published {
            for path in temporaryPaths { _ = unlink(path) }
        }
    }
}

/// Numbers temporary files: a blob's id makes them unique between blobs, this between writers of one blob.
private let temporaryCounter = Atomic<UInt64>(0)
