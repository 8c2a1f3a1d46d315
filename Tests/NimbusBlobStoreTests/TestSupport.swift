//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore

/// Runs `body` with a fresh directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-blob-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// A store of `count` directories under `root`.
func makeStore(in root: URL, directories count: Int = 3, segmentSize: Int = 1 << 20, durable: Bool = true) throws -> BlobStore {
    try BlobStore(configuration: BlobStoreConfiguration(
        directories: (0..<count).map { root.appendingPathComponent("d\($0)") },
        segmentSize: segmentSize,
        durable: durable
    ))
}

/// Deterministic pseudo-random bytes (xorshift64*).
func randomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8]()
    out.reserveCapacity(count)
    while out.count < count {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let word = state &* 0x2545_F491_4F6C_DD1D
        for i in 0..<8 where out.count < count { out.append(UInt8(truncatingIfNeeded: word >> (8 * i))) }
    }
    return out
}

/// `bytes` as an async body in chunks of `chunkSize`.
func body(_ bytes: [UInt8], chunkSize: Int = 64 << 10) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunkSize)
            continuation.yield(Array(bytes[offset..<end]))
            offset = end
        }
        continuation.finish()
    }
}

/// Everything a read stream yields.
func collect(_ stream: AsyncThrowingStream<[UInt8], any Error>) async throws -> [UInt8] {
    var out: [UInt8] = []
    for try await chunk in stream { out += chunk }
    return out
}

/// Every regular file below `root` (the store's fan-out directories are not counted).
func files(under root: URL) -> [URL] {
    guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
    return enumerator.compactMap { $0 as? URL }.filter {
        (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
    }
}

/// The file of piece `piece` of `blob`.
func piecePath(_ root: URL, _ blob: StoredBlob, piece: Int) -> URL {
    root.appendingPathComponent("d\(blob.placement[piece])")
        .appendingPathComponent(String(blob.id.prefix(2)))
        .appendingPathComponent("\(blob.id).\(piece)")
}

/// Flips one byte of a file at `offset`.
func flipByte(_ url: URL, at offset: Int) throws {
    var data = try Data(contentsOf: url)
    data[offset] ^= 0x5A
    try data.write(to: url)
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// The size of a file, -1 when it cannot be read.
func fileSize(_ url: URL) -> Int {
    (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? -1
}

/// The bytes of disk the file holds (its blocks), -1 when it cannot be read.
func allocatedBytes(_ url: URL) -> Int {
    var status = stat()
    guard stat(url.path, &status) == 0 else { return -1 }
    return Int(status.st_blocks) * 512
}

/// Whether every byte of the file reads as zero (an empty file does); false when it cannot be read.
func readsAsZeros(_ url: URL) -> Bool {
    guard let data = try? Data(contentsOf: url) else { return false }
    return data.allSatisfy { $0 == 0 }
}

/// The inode number of a file (0 when it cannot be read): the same file after a rename has the same one.
func inode(_ url: URL) -> UInt64 {
    ((try? FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber]) as? NSNumber)?.uint64Value ?? 0
}

/// Sets a file's modification time `seconds` into the past, as if it had not been touched since.
func age(_ url: URL, by seconds: TimeInterval) throws {
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -seconds)], ofItemAtPath: url.path)
}

/// Seconds since a file was last written (infinity if it is gone).
func modificationAge(_ url: URL) -> TimeInterval {
    guard let date = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date else { return .infinity }
    return -date.timeIntervalSinceNow
}

/// Where copy `piece` of a packed blob is: its pack file and the offset of its block (the layout `PackTier`
/// describes: 2¹⁷ slots of three blocks per file).
func packedCopy(_ root: URL, _ blob: StoredBlob, piece: Int) -> (file: URL, offset: UInt64) {
    let slotsPerPack: Int64 = 1 << 17
    let slot = blob.slot!
    let file = root.appendingPathComponent("d\(blob.placement[piece])/packs/\(slot / slotsPerPack).pack")
    return (file, UInt64(((slot % slotsPerPack) * 3 + Int64(piece)) * 4096))
}

/// The 4 KiB block of a packed copy.
func block(_ copy: (file: URL, offset: UInt64)) throws -> [UInt8] {
    let handle = try FileHandle(forReadingFrom: copy.file)
    defer { try? handle.close() }
    try handle.seek(toOffset: copy.offset)
    return Array(try handle.read(upToCount: 4096) ?? Data())
}

/// Overwrites the block of a packed copy with `bytes` (at most 4 KiB).
func overwrite(_ copy: (file: URL, offset: UInt64), with bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: copy.file)
    defer { try? handle.close() }
    try handle.seek(toOffset: copy.offset)
    try handle.write(contentsOf: Data(bytes))
}
