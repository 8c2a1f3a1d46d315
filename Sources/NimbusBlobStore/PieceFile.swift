//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One piece file, opened and checked: the right length, a header naming this blob and piece.
final class PieceFile {
    let descriptor: CInt
    let path: String
    /// The whole file, when it is small enough to read in one call.
    private let contents: [UInt8]?
    /// False when the footer was checked and found wrong (the records may still be good).
    let footerIntact: Bool

    /// Files up to this size are read whole on open: one `pread` instead of three calls.
    static let wholeFileLimit: Int64 = 256 << 10

    private init(descriptor: CInt, path: String, contents: [UInt8]?, footerIntact: Bool) {
        self.descriptor = descriptor
        self.path = path
        self.contents = contents
        self.footerIntact = footerIntact
    }

    /// -1 for a copy in a pack file, which is read whole and whose file stays open.
    deinit { if descriptor >= 0 { close(descriptor) } }

    enum State {
        case intact(PieceFile)
        case missing
        /// Unreadable, the wrong length, or a header that is not this piece's.
        case damaged
    }

    /// Opens piece `piece` of `layout` and checks its length and header (and footer, if asked:
    /// see ``footerIntact``).
    static func open(_ store: BlobStore, _ layout: BlobLayout, piece: Int, checkFooter: Bool) -> State {
        if let slot = layout.slot {
            let root = store.roots[layout.placement[piece]]
            switch store.packs.read(root: root, slot: slot, piece: piece, count: Int(layout.fileLength)) {
            case .missing: return .missing
            case .unreadable: return .damaged
            case .bytes(let whole):
                guard whole.prefix(BlobLayout.headerSize).elementsEqual(layout.header(piece: piece)) else {
                    // An intact header of another blob: this one was deleted and its slot reused (``PackTier``).
                    if let other = PieceHeader(whole), other.idBytes != layout.idBytes { return .missing }
                    return .damaged
                }
                let footerIntact = !checkFooter || whole.suffix(BlobLayout.footerSize).elementsEqual(layout.footer())
                let path = store.packs.path(root: root, pack: slot / PackTier.slotsPerPack)
                return .intact(PieceFile(descriptor: -1, path: path, contents: whole, footerIntact: footerIntact))
            }
        }
        let path = store.piecePath(layout: layout, piece: piece)
        let descriptor: CInt
        do {
            guard let fd = try FileIO.openIfExists(path, O_RDONLY) else { return .missing }
            descriptor = fd
        } catch {
            return .damaged
        }
        let length = layout.fileLength
        var contents: [UInt8]?
        let header: [UInt8]
        var footer: [UInt8] = []
        do {
            if length <= wholeFileLimit {
                guard let whole = try FileIO.preadToEnd(descriptor, expected: Int(length), offset: 0, path: path) else {
                    close(descriptor)
                    return .damaged
                }
                header = Array(whole.prefix(BlobLayout.headerSize))
                footer = Array(whole.suffix(BlobLayout.footerSize))
                contents = whole
            } else {
                guard try FileIO.size(descriptor, path: path) == length else { close(descriptor); return .damaged }
                header = try FileIO.pread(descriptor, count: BlobLayout.headerSize, offset: 0, path: path)
                if checkFooter {
                    footer = try FileIO.pread(descriptor, count: BlobLayout.footerSize, offset: length - Int64(BlobLayout.footerSize), path: path)
                }
            }
        } catch {
            close(descriptor)
            return .damaged
        }
        guard header == layout.header(piece: piece) else {
            close(descriptor)
            return .damaged
        }
        let footerIntact = !checkFooter || footer == layout.footer()
        return .intact(PieceFile(descriptor: descriptor, path: path, contents: contents, footerIntact: footerIntact))
    }

    /// Record `k`'s payload, verified; nil when unreadable or damaged.
    func payload(_ layout: BlobLayout, _ k: Int) -> [UInt8]? {
        let count = layout.payloadLength(k) + BlobLayout.crcSize
        var intact = false
        let payload = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            intact = readRecord(layout, k, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = intact ? count - BlobLayout.crcSize : 0
        }
        return intact ? payload : nil
    }

    /// Reads record `k` (payload and CRC) to the start of `target` and checks it; false when it cannot be
    /// read whole or does not match its CRC. `target` must have room for the record.
    func readRecord(_ layout: BlobLayout, _ k: Int, into target: UnsafeMutableRawBufferPointer) -> Bool {
        let offset = layout.recordOffset(k)
        let count = layout.payloadLength(k) + BlobLayout.crcSize
        guard target.count >= count else { return false }
        let record = UnsafeMutableRawBufferPointer(rebasing: target[0..<count])
        if let contents {
            guard Int(offset) + count <= contents.count else { return false }
            contents.withUnsafeBytes { record.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<(Int(offset) + count)])) }
        } else {
            guard (try? FileIO.pread(descriptor, into: record, offset: offset, path: path)) == count else { return false }
        }
        return recordIsIntact(UnsafeRawBufferPointer(record))
    }
}

extension BlobStore {
    /// Rewrites the footer of piece `piece` in place, durably.
    func rewriteFooter(_ layout: BlobLayout, piece: Int) throws {
        let path = piecePath(layout: layout, piece: piece)
        guard let fd = try FileIO.openIfExists(path, O_WRONLY) else { return }
        defer { close(fd) }
        let offset = layout.fileLength - Int64(BlobLayout.footerSize)
        try layout.footer().withUnsafeBytes { try FileIO.pwriteAll(fd, $0, offset: offset, path: path) }
        if configuration.durable { try FileIO.syncData(fd, path: path) }
    }

    /// Rewrites record `k` of piece `piece` in place with a rebuilt payload, durably.
    func rewriteRecord(_ layout: BlobLayout, piece: Int, segment k: Int, payload: [UInt8]) throws {
        if layout.slot != nil {
            try restorePacked(layout, piece: piece, payload: payload)
            return
        }
        let path = piecePath(layout: layout, piece: piece)
        guard let fd = try FileIO.openIfExists(path, O_WRONLY) else { return }
        defer { close(fd) }
        var record = payload
        withUnsafeBytes(of: CRC.crc32c(payload).littleEndian) { record.append(contentsOf: $0) }
        try record.withUnsafeBytes { try FileIO.pwriteAll(fd, $0, offset: layout.recordOffset(k), path: path) }
        if configuration.durable { try FileIO.syncData(fd, path: path) }
    }
}

extension BlobStore {
    /// Writes piece `piece` of a packed blob whole from its record payload, durably; false (and nothing
    /// written) when the blob's other pieces are gone, because it was deleted meanwhile.
    @discardableResult
    func restorePacked(_ layout: BlobLayout, piece: Int, payload: [UInt8]) throws -> Bool {
        try withSlotLock(layout.slot!) { try restorePackedLocked(layout, piece: piece, payload: payload) }
    }

    /// ``restorePacked(_:piece:payload:)`` for a caller that holds the blob's lock.
    private func restorePackedLocked(_ layout: BlobLayout, piece: Int, payload: [UInt8]) throws -> Bool {
        let slot = layout.slot!
        // A delete zeroes or punches out every piece under the lock: while another one is there, so is the blob.
        let present = (0..<layout.pieceCount).contains { other in
            guard other != piece,
                case .bytes(let header) = packs.read(root: roots[layout.placement[other]], slot: slot, piece: other, count: BlobLayout.headerSize)
            else { return false }
            return header == layout.header(piece: other)
        }
        guard present else { return false }
        let bytes = packedPiece(layout, piece: piece) { block in
            block += payload
            withUnsafeBytes(of: CRC.crc32c(payload).littleEndian) { block.append(contentsOf: $0) }
        }
        try packs.syncNow(packs.write(bytes, root: roots[layout.placement[piece]], slot: slot, index: piece))
        return true
    }

    /// ``checkAndRepair(_:pacer:)`` for a packed blob: every piece read whole, and one bad or missing piece
    /// written again from the others.
    ///
    /// Under the slot's lock, which a writer holds while it writes the pieces and a delete while it zeroes
    /// them: the scrubber walks the pack files while blobs are written, and would otherwise take a blob
    /// whose last pieces are not written yet for one that has lost them.
    func checkAndRepairPacked(_ layout: BlobLayout) throws -> BlobCheck {
        try withSlotLock(layout.slot!) { try checkAndRepairPackedLocked(layout) }
    }

    private func checkAndRepairPackedLocked(_ layout: BlobLayout) throws -> BlobCheck {
        var result = BlobCheck()
        var payloads: [Int: [UInt8]] = [:]
        var bad: [Int] = []
        for piece in 0..<layout.pieceCount {
            switch PieceFile.open(self, layout, piece: piece, checkFooter: true) {
            case .intact(let file):
                if let payload = file.payload(layout, 0) { payloads[piece] = payload }
                if payloads[piece] == nil || !file.footerIntact {
                    result.corrupt += 1
                    bad.append(piece)
                }
            case .missing:
                result.missing += 1
                bad.append(piece)
            case .damaged:
                result.corrupt += 1
                bad.append(piece)
            }
        }
        if result.missing == layout.pieceCount {
            result.gone = true
            return result
        }
        result.bytes = Int64(payloads.count * (layout.payloadLength(0) + BlobLayout.crcSize))
        // Both schemes survive one lost piece. Pieces that each match their CRC yet disagree: no telling which
        // is wrong without the key.
        guard bad.count <= 1, bad.count == 1 || Self.consistent(payloads, layout.redundancy) else {
            result.unrecoverable = true
            return result
        }
        if let piece = bad.first {
            let rebuilt = Shards.rebuild(from: payloads.keys.sorted().map { payloads[$0]! }, layout.redundancy)
            guard try restorePackedLocked(layout, piece: piece, payload: rebuilt) else {
                result.gone = true
                return result
            }
            result.repaired = 1
        }
        return result
    }
}
