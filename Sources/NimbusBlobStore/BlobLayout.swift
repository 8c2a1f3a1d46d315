//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusCore

/// Where the bytes of one blob are, and the on-disk format of its pieces.
///
/// A blob is cut into segments of `segmentSize` plaintext bytes (the last one shorter; an empty blob
/// has one empty segment, so its tag still authenticates it). Segment k is sealed with AES-256-GCM
/// into `ciphertext ‖ tag` (L = plaintext + 16 bytes) and split into one record per piece:
///
/// - ``BlobRedundancy/xorParity``: h = ⌈L/2⌉; piece 0 holds sealed[0..<h], piece 1 sealed[h..<L]
///   padded with a zero byte when L is odd, piece 2 their XOR.
/// - ``BlobRedundancy/mirror``: pieces 0 and 1 both hold the L sealed bytes.
///
/// Each piece is one file, `<directory>/<id[0..<2]>/<id>.<piece>`:
///
/// ```
/// piece   = header ‖ record[0] ‖ … ‖ record[n-1] ‖ footer
/// header  = "NBLB" ‖ version (1) ‖ redundancy (1 xor, 2 mirror) ‖ piece index ‖ piece count
///           ‖ segment size (u32 LE) ‖ blob id (16 bytes) ‖ CRC-32C of the 28 bytes before (u32 LE)   32 bytes
/// record  = payload ‖ CRC-32C(payload) (u32 LE)
/// footer  = blob size (u64 LE) ‖ "NBLE" ‖ CRC-32C of the 12 bytes before (u32 LE)                     16 bytes
/// ```
///
/// Every record but the last has the same length, so record k is at a computed offset and a range
/// read touches only its segments. The CRC-32C says which piece of a segment is bad without the key
/// (the scrubber has no keys); the GCM tag authenticates what is finally decrypted. The header and
/// footer let the scrubber rebuild the layout from the files alone.
struct BlobLayout: Sendable {
    static let headerSize = 32
    static let footerSize = 16
    static let tagSize = 16
    static let crcSize = 4
    static let version: UInt8 = 1
    static let headerMagic = Array("NBLB".utf8)
    static let footerMagic = Array("NBLE".utf8)
    /// Segment sizes the format accepts (the header holds a u32).
    static let segmentSizes = 1...(1 << 30)
    /// Sizes the format accepts: 1 PiB, far above S3's 5 TiB, and far from overflowing offsets.
    static let sizes: ClosedRange<Int64> = 0...(1 << 50)

    let id: String
    let idBytes: [UInt8]
    let redundancy: BlobRedundancy
    let segmentSize: Int
    let size: Int64
    /// Directory index of each piece.
    let placement: [Int]
    /// The blob's slot in the pack files (``PackTier``); nil when each piece is a file of its own.
    let slot: Int64?

    init(id: String, idBytes: [UInt8], redundancy: BlobRedundancy, segmentSize: Int, size: Int64, placement: [Int], slot: Int64? = nil) {
        self.id = id
        self.idBytes = idBytes
        self.redundancy = redundancy
        self.segmentSize = segmentSize
        self.size = size
        self.placement = placement
        self.slot = slot
    }

    /// The layout of a blob the caller hands back, checked: it names files, so it must not name others.
    init(_ blob: StoredBlob, directoryCount: Int) throws {
        guard let idBytes = BlobID.bytes(blob.id),
            Self.segmentSizes.contains(blob.segmentSize),
            Self.sizes.contains(blob.size),
            blob.placement.count == blob.redundancy.pieceCount,
            blob.placement.allSatisfy({ (0..<directoryCount).contains($0) })
        else { throw BlobStoreError.invalidBlob(blob.id) }
        self.init(
            id: blob.id,
            idBytes: idBytes,
            redundancy: blob.redundancy,
            segmentSize: blob.segmentSize,
            size: blob.size,
            placement: blob.placement,
            slot: blob.slot
        )
        if let slot = blob.slot {
            guard slot >= 0, segmentCount == 1, fileLength <= Int64(PackTier.blockSize) else {
                throw BlobStoreError.invalidBlob(blob.id)
            }
        }
    }

    var pieceCount: Int { redundancy.pieceCount }
    /// How many pieces rebuild the blob: two of the three of XOR parity, one of the two copies of a mirror.
    var minimumPieces: Int { redundancy == .xorParity ? 2 : 1 }

    var segmentCount: Int {
        let s = Int64(segmentSize)
        return size == 0 ? 1 : Int(size / s + (size % s == 0 ? 0 : 1))
    }

    func plaintextLength(_ k: Int) -> Int {
        k < segmentCount - 1 ? segmentSize : Int(size - Int64(segmentCount - 1) * Int64(segmentSize))
    }

    func sealedLength(_ k: Int) -> Int { plaintextLength(k) + Self.tagSize }

    func payloadLength(_ k: Int) -> Int { Self.payloadLength(sealed: sealedLength(k), redundancy) }

    static func payloadLength(sealed: Int, _ redundancy: BlobRedundancy) -> Int {
        redundancy == .xorParity ? (sealed + 1) / 2 : sealed
    }

    /// Distance between the starts of two records.
    var recordStride: Int { Self.payloadLength(sealed: segmentSize + Self.tagSize, redundancy) + Self.crcSize }

    func recordOffset(_ k: Int) -> Int64 { Int64(Self.headerSize) + Int64(k) * Int64(recordStride) }

    var fileLength: Int64 {
        let last = segmentCount - 1
        return recordOffset(last) + Int64(payloadLength(last) + Self.crcSize + Self.footerSize)
    }

    /// The segments holding plaintext bytes `range`.
    func segments(_ range: ClosedRange<Int64>) -> ClosedRange<Int> {
        Int(range.lowerBound / Int64(segmentSize))...Int(range.upperBound / Int64(segmentSize))
    }

    func header(piece: Int) -> [UInt8] {
        var bytes = Self.headerMagic
        bytes.reserveCapacity(Self.headerSize)
        bytes += [Self.version, redundancy.code, UInt8(piece), UInt8(pieceCount)]
        withUnsafeBytes(of: UInt32(segmentSize).littleEndian) { bytes += $0 }
        bytes += idBytes
        withUnsafeBytes(of: CRC.crc32c(bytes).littleEndian) { bytes += $0 }
        return bytes
    }

    func footer() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.footerSize)
        withUnsafeBytes(of: UInt64(size).littleEndian) { bytes += $0 }
        bytes += Self.footerMagic
        withUnsafeBytes(of: CRC.crc32c(bytes).littleEndian) { bytes += $0 }
        return bytes
    }
}

/// A parsed piece header; nil for anything malformed.
struct PieceHeader: Hashable {
    var redundancy: BlobRedundancy
    var piece: Int
    var segmentSize: Int
    var idBytes: [UInt8]

    init?(_ bytes: some Collection<UInt8>) {
        let b = Array(bytes.prefix(BlobLayout.headerSize))
        guard b.count == BlobLayout.headerSize,
            Array(b[0..<4]) == BlobLayout.headerMagic,
            b[4] == BlobLayout.version,
            let redundancy = BlobRedundancy(code: b[5]),
            Int(b[7]) == redundancy.pieceCount,
            Int(b[6]) < redundancy.pieceCount,
            readLE(b, 28, as: UInt32.self) == CRC.crc32c(Array(b[0..<28]))
        else { return nil }
        let segmentSize = Int(readLE(b, 8, as: UInt32.self))
        guard BlobLayout.segmentSizes.contains(segmentSize) else { return nil }
        self.redundancy = redundancy
        self.piece = Int(b[6])
        self.segmentSize = segmentSize
        self.idBytes = Array(b[12..<28])
    }
}

/// The blob size in a piece footer; nil for anything malformed.
func parseFooter(_ bytes: some Collection<UInt8>) -> Int64? {
    let b = Array(bytes.suffix(BlobLayout.footerSize))
    guard b.count == BlobLayout.footerSize,
        Array(b[8..<12]) == BlobLayout.footerMagic,
        readLE(b, 12, as: UInt32.self) == CRC.crc32c(Array(b[0..<12]))
    else { return nil }
    let size = readLE(b, 0, as: UInt64.self)
    guard size <= UInt64(BlobLayout.sizes.upperBound) else { return nil }
    return Int64(size)
}

private func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as: T.Type) -> T {
    var value: T = 0
    for i in (0..<MemoryLayout<T>.size).reversed() { value = value << 8 | T(bytes[offset + i]) }
    return value
}

extension BlobRedundancy {
    var code: UInt8 { self == .xorParity ? 1 : 2 }

    init?(code: UInt8) {
        switch code {
        case 1: self = .xorParity
        case 2: self = .mirror
        default: return nil
        }
    }
}

/// Blob ids: 16 random bytes, written as 32 lowercase hex digits.
enum BlobID {
    static func random() -> (String, [UInt8]) {
        // BoringSSL's generator: seeded from the OS, then no system call per id.
        let bytes = SymmetricKey(size: .init(bitCount: 128)).withUnsafeBytes { Array($0) }
        return (Hex.encode(bytes), bytes)
    }

    /// The bytes of a well-formed id, nil for anything else (which keeps ids from naming other files).
    static func bytes(_ id: String) -> [UInt8]? {
        let utf8 = Array(id.utf8)
        guard utf8.count == 32 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for i in stride(from: 0, to: 32, by: 2) {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// AES-256-GCM for the segments of one blob.
///
/// The segment key is HKDF-SHA256(blob key, salt: blob id), so even a blob key reused for two blobs
/// gives each its own key, and a counter nonce (the segment index) never repeats under a key. The
/// index in the nonce also stops segments from being reordered or moved.
struct SegmentCipher {
    private let key: SymmetricKey

    init(key: BlobKey, idBytes: [UInt8]) {
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key.key,
            salt: idBytes,
            info: Array("nimbus blob segment v1".utf8),
            outputByteCount: 32
        )
    }

    /// Replaces `sealed` with `ciphertext ‖ tag` of segment `index`.
    func seal(_ plaintext: UnsafeRawBufferPointer, index: Int, into sealed: inout [UInt8]) throws {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: Self.nonce(index))
        sealed.removeAll(keepingCapacity: true)
        // Room for the tag too: appending it to a buffer the ciphertext filled would double its capacity.
        sealed.reserveCapacity(plaintext.count + BlobLayout.tagSize)
        sealed.append(contentsOf: box.ciphertext)
        sealed.append(contentsOf: box.tag)
    }

    /// The plaintext of segment `index`, nil if it does not authenticate.
    func open(_ sealed: [UInt8], index: Int) -> [UInt8]? {
        guard sealed.count >= BlobLayout.tagSize,
            let box = try? AES.GCM.SealedBox(
                nonce: Self.nonce(index),
                ciphertext: sealed[..<(sealed.count - BlobLayout.tagSize)],
                tag: sealed[(sealed.count - BlobLayout.tagSize)...]
            ),
            let plaintext = try? AES.GCM.open(box, using: key)
        else { return nil }
        return [UInt8](plaintext)
    }

    private static func nonce(_ index: Int) -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        let counter = UInt64(index)
        for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * i)) }
        return try! AES.GCM.Nonce(data: bytes)  // 12 bytes: always a valid GCM nonce.
    }
}

/// Splitting a sealed segment into records, and rebuilding one record from the others.
enum Shards {
    /// Calls `body` with piece `piece`'s payload of a sealed segment, and whether a zero byte follows it in
    /// the record (the second half of an odd-length segment under XOR parity). Parity is made in `parity`.
    static func withPayload<R>(
        piece: Int,
        of sealed: UnsafeRawBufferPointer,
        _ redundancy: BlobRedundancy,
        parity: inout [UInt8],
        _ body: (_ payload: UnsafeRawBufferPointer, _ padded: Bool) throws -> R
    ) rethrows -> R {
        let count = sealed.count
        let half = (count + 1) / 2
        switch (redundancy, piece) {
        case (.mirror, _):
            return try body(sealed, false)
        case (.xorParity, 0):
            return try body(UnsafeRawBufferPointer(rebasing: sealed[0..<half]), false)
        case (.xorParity, 1):
            return try body(UnsafeRawBufferPointer(rebasing: sealed[half..<count]), count % 2 == 1)
        default:
            if parity.count != half { parity = [UInt8](repeating: 0, count: half) }
            parity.withUnsafeMutableBytes { out in
                xor(UnsafeRawBufferPointer(rebasing: sealed[0..<half]), UnsafeRawBufferPointer(rebasing: sealed[half..<count]), into: out)
            }
            return try parity.withUnsafeBytes { try body($0, false) }
        }
    }

    /// The CRC-32C a record ends with: of its payload, and of the pad byte when there is one.
    static func recordCRC(_ payload: UnsafeRawBufferPointer, padded: Bool) -> UInt32 {
        var state = CRC.crc32cUpdate(~0, payload)
        if padded { state = withUnsafeBytes(of: UInt8(0)) { CRC.crc32cUpdate(state, $0) } }
        return ~state
    }

    /// Appends piece `piece`'s record (payload ‖ CRC-32C) of a sealed segment to `out`.
    static func appendRecord(piece: Int, of sealed: UnsafeRawBufferPointer, _ redundancy: BlobRedundancy, to out: inout [UInt8]) {
        var parity: [UInt8] = []
        withPayload(piece: piece, of: sealed, redundancy, parity: &parity) { payload, padded in
            // The whole record at once: the CRC appended to a buffer the payload filled would double its capacity.
            out.reserveCapacity(out.count + payload.count + (padded ? 1 : 0) + BlobLayout.crcSize)
            out.append(contentsOf: payload)
            if padded { out.append(0) }
            withUnsafeBytes(of: recordCRC(payload, padded: padded).littleEndian) { out.append(contentsOf: $0) }
        }
    }

    /// The payload of the one missing piece of a segment, from the payloads of the others.
    static func rebuild(from others: [[UInt8]], _ redundancy: BlobRedundancy) -> [UInt8] {
        if redundancy == .mirror || others.count == 1 { return others[0] }
        var out = [UInt8](repeating: 0, count: others[0].count)
        others[0].withUnsafeBytes { a in
            others[1].withUnsafeBytes { b in
                out.withUnsafeMutableBytes { xor(a, b, into: $0) }
            }
        }
        return out
    }

    /// The sealed segment (L bytes) from the primary payloads: piece 0 (and 1 for XOR parity).
    static func sealed(from primaries: [[UInt8]], length: Int, _ redundancy: BlobRedundancy) -> [UInt8] {
        if redundancy == .mirror { return primaries[0] }
        var sealed = primaries[0]
        sealed.append(contentsOf: primaries[1][0..<(length - primaries[0].count)])
        return sealed
    }

    /// `out[i] = a[i] ^ b[i]` over `out.count` bytes, where b may be one byte shorter (then 0).
    static func xor(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        let n = out.count
        guard n > 0, let pa = a.baseAddress, let po = out.baseAddress else { return }
        let pb = b.baseAddress
        let common = min(b.count, n)
        var i = 0
        if let pb {
            while i + 8 <= common {
                let word = pa.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ pb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                po.storeBytes(of: word, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < common {
                po.storeBytes(of: pa.load(fromByteOffset: i, as: UInt8.self) ^ pb.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                i += 1
            }
        }
        while i < n {
            po.storeBytes(of: pa.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}

/// Whether `record` (payload ‖ CRC-32C of the payload, little-endian) matches its CRC.
func recordIsIntact(_ record: UnsafeRawBufferPointer) -> Bool {
    guard record.count >= BlobLayout.crcSize else { return false }
    let n = record.count - BlobLayout.crcSize
    return UInt32(littleEndian: record.loadUnaligned(fromByteOffset: n, as: UInt32.self)) == CRC.crc32c(UnsafeRawBufferPointer(rebasing: record[0..<n]))
}
