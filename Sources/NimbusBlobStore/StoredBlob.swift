//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

/// How a blob's pieces protect it.
public enum BlobRedundancy: String, Sendable, Codable, Hashable {
    /// Two data shards and their XOR parity in three directories: 1.5× the bytes, survives the loss
    /// or corruption of any one directory.
    case xorParity = "xor-2+1"
    /// Two full copies: 2× the bytes, for stores with fewer than three directories and for blobs small
    /// enough that a copy fits one 4 KiB block (``BlobStore/mirroredSizeLimit``).
    case mirror = "mirror-2"

    /// How many pieces (files) a blob has.
    public var pieceCount: Int { 2 + (self == .xorParity ? 1 : 0) }
}

/// What the store returns for a written blob; the caller keeps it with the object's metadata and
/// hands it back to read, delete or locate the blob.
public struct StoredBlob: Sendable, Codable, Hashable {
    /// 32 lowercase hex digits, random; names the piece files.
    public var id: String
    /// Plaintext length in bytes.
    public var size: Int64
    /// MD5 of the plaintext (S3's ETag for a single-part upload).
    public var md5: [UInt8]
    /// The requested checksums of the plaintext, base64 of the big-endian bytes as S3 returns them.
    public var checksums: [ChecksumAlgorithm: String]
    /// How the pieces protect the data.
    public var redundancy: BlobRedundancy
    /// Plaintext bytes per encrypted segment.
    public var segmentSize: Int
    /// The configured directory (by position) holding each piece.
    public var placement: [Int]
    /// Where in the pack files the pieces of a blob of one block per piece are (``BlobStore/packedSizeLimit``);
    /// nil when each piece is a file of its own.
    public var slot: Int64?

    public init(
        id: String,
        size: Int64,
        md5: [UInt8],
        checksums: [ChecksumAlgorithm: String],
        redundancy: BlobRedundancy,
        segmentSize: Int,
        placement: [Int],
        slot: Int64? = nil
    ) {
        self.id = id
        self.size = size
        self.md5 = md5
        self.checksums = checksums
        self.redundancy = redundancy
        self.segmentSize = segmentSize
        self.placement = placement
        self.slot = slot
    }

    /// The MD5 in lowercase hex, the form of an ETag.
    public var md5Hex: String { Hex.encode(md5) }
}

// The MD5 is stored as base64 (see `encodeBytes`), the slot only when there is one; the other members as synthesized.
extension StoredBlob {
    private enum CodingKeys: String, CodingKey {
        case id, size, md5, checksums, redundancy, segmentSize, placement, slot
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            size: try c.decode(Int64.self, forKey: .size),
            md5: try c.decodeBytes(forKey: .md5),
            checksums: try c.decode([ChecksumAlgorithm: String].self, forKey: .checksums),
            redundancy: try c.decode(BlobRedundancy.self, forKey: .redundancy),
            segmentSize: try c.decode(Int.self, forKey: .segmentSize),
            placement: try c.decode([Int].self, forKey: .placement),
            slot: try c.decodeIfPresent(Int64.self, forKey: .slot)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(size, forKey: .size)
        try c.encodeBytes(md5, forKey: .md5)
        try c.encode(checksums, forKey: .checksums)
        try c.encode(redundancy, forKey: .redundancy)
        try c.encode(segmentSize, forKey: .segmentSize)
        try c.encode(placement, forKey: .placement)
        try c.encodeIfPresent(slot, forKey: .slot)
    }
}

/// Counters since the store was opened.
public struct BlobStoreStatistics: Sendable, Hashable {
    /// Bytes of pieces the scrubber has read.
    public var scrubbedBytes: Int64 = 0
    /// Pieces found damaged (a bad record, header or length) or missing, by reads and scrubs.
    public var corruptPieces: Int64 = 0
    /// Pieces rewritten from the redundancy.
    public var repairedPieces: Int64 = 0
    /// Blobs found that could not be reconstructed.
    public var unrecoverable: Int64 = 0
    /// Segments a read had to reconstruct from the redundancy instead of reading directly.
    public var readsFailedOver: Int64 = 0

    public init() {}
}

/// How a scrub finds blobs that nothing owns: a crash between a blob's write and the commit of the record
/// naming it, or between a record's removal and its blobs', leaves pieces no record names, which nothing
/// else would ever remove.
public struct OrphanSweep: Sendable {
    /// Seconds since a blob's pieces were last written before it may count as an orphan: a blob is written
    /// before the record that names it is committed, milliseconds later.
    public var minimumAge: Double
    /// Of the given blob ids, those that some record names, read in one consistent view of the records.
    public var referenced: @Sendable (Set<String>) async throws -> Set<String>

    public init(minimumAge: Double, referenced: @escaping @Sendable (Set<String>) async throws -> Set<String>) {
        self.minimumAge = minimumAge
        self.referenced = referenced
    }
}

/// What one scrub found.
public struct ScrubReport: Sendable, Hashable {
    public var blobsChecked = 0
    public var bytesChecked: Int64 = 0
    /// Pieces with a bad record, header, footer or length.
    public var corruptPieces = 0
    /// Pieces whose file did not exist.
    public var missingPieces = 0
    /// Pieces rewritten from the redundancy.
    public var repaired = 0
    /// Ids of blobs with too few intact pieces to repair.
    public var unrecoverable: [String] = []
    /// Blocks of deleted small blobs given back to the file system (``BlobStore/reclaimIdleBlocks``).
    public var reclaimedBlocks = 0
    /// Blobs no record named any more, removed (``OrphanSweep``).
    public var orphansRemoved = 0
    /// The records could not be read to tell orphans: none was removed after that.
    public var orphanSweepFailed = false

    public init() {}
}
