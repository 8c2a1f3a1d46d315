//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobStore {
    /// Re-reads every piece of every blob at most `bytesPerSecond` (nil: as fast as it can),
    /// repairs what it can from the redundancy and reports what it found.
    ///
    /// Needs no keys: records are checked against their CRC-32C, parity against the data shards,
    /// and each blob's layout is taken from the headers and footers of its pieces. Walks one
    /// fan-out directory at a time, so memory stays small however many blobs there are. Also
    /// removes temporary files that crashed writes left behind, and, given `orphans`, the blobs whose
    /// pieces no record names (only blobs of piece files; a packed blob's slot is found and reused by
    /// the next small blob only once its record names it, so an orphaned one keeps its 12 KiB).
    public func scrub(bytesPerSecond: Int64?, orphans: OrphanSweep? = nil) async throws -> ScrubReport {
        var report = ScrubReport()
        var pacer = Pacer(bytesPerSecond: bytesPerSecond)
        var orphans = orphans
        // Old enough to be orphans, by id: piece → directory. Asked about in batches, to bound memory.
        var candidates: [String: [Int: Int]] = [:]
        for root in Set(roots) { removeStaleTemporaryFiles(root: root, olderThan: 3600) }
        for prefix in 0..<256 {
            let name = Hex.encode([UInt8(prefix)])
            // id → piece → directory
            var found: [String: [Int: Int]] = [:]
            var seen: Set<String> = []
            for (directory, root) in roots.enumerated() where seen.insert(root).inserted {
                for file in (try? FileIO.list(root + "/" + name)) ?? [] {
                    guard let (id, piece) = Self.parsePieceName(file), id.hasPrefix(name) else { continue }
                    found[id, default: [:]][piece] = directory
                }
            }
            for id in found.keys.sorted() {
                try Task.checkCancellation()
                let result = try await checked { try await scrubBlob(id: id, locations: found[id]!, pacer: &pacer) }
                add(result, id: id, to: &report)
                if let orphans, isOlder(id: id, locations: found[id]!, than: orphans.minimumAge) { candidates[id] = found[id]! }
            }
            if let sweep = orphans, candidates.count >= Self.orphanBatch || (prefix == 255 && !candidates.isEmpty) {
                do {
                    report.orphansRemoved += try await removeOrphans(candidates, sweep)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // Without the records nothing is known to be an orphan; the scrub itself goes on.
                    report.orphanSweepFailed = true
                    orphans = nil
                }
                candidates = [:]
            }
        }
        try await scrubPacks(report: &report, pacer: &pacer, orphans: orphans)
        return report
    }

    /// How many orphan candidates are asked about at once.
    static let orphanBatch = 50_000

    private func pieceFile(id: String, piece: Int, directory: Int) -> String {
        roots[directory] + "/" + id.prefix(2) + "/" + id + "." + String(piece)
    }

    /// Whether every piece file of the blob `id` was last written `age` seconds ago or earlier.
    private func isOlder(id: String, locations: [Int: Int], than age: Double) -> Bool {
        locations.allSatisfy { piece, directory in (FileIO.age(pieceFile(id: id, piece: piece, directory: directory)) ?? 0) >= age }
    }

    /// Removes the candidates no record names and no reader holds; returns how many.
    private func removeOrphans(_ candidates: [String: [Int: Int]], _ orphans: OrphanSweep) async throws -> Int {
        let named = try await orphans.referenced(Set(candidates.keys))
        var removed = 0
        for (id, locations) in candidates.sorted(by: { $0.key < $1.key }) where !named.contains(id) && !isHeld(id) {
            let gone = withBlobLock(id) { () -> Bool in
                // Written again since it was found (a repair, or an id reused): not an orphan after all.
                guard isOlder(id: id, locations: locations, than: orphans.minimumAge) else { return false }
                // Every piece of it, also one this scrub rebuilt a moment ago.
                var seen: Set<String> = []
                for (directory, root) in roots.enumerated() where seen.insert(root).inserted {
                    for file in (try? FileIO.list(root + "/" + id.prefix(2))) ?? [] {
                        guard let (named, piece) = Self.parsePieceName(file), named == id else { continue }
                        let path = pieceFile(id: id, piece: piece, directory: directory)
                        if !recycle(path, root: root) { _ = try? FileIO.unlinkIfExists(path) }
                    }
                }
                return true
            }
            if gone { removed += 1 }
        }
        return removed
    }

    /// Removes the packed blob of `layout` in `slot` if no record names it, no reader holds it, and under the slot's
    /// lock fewer of its blocks are there than it needs; false when it is left alone (to be reported).
    private func removeIncompleteOrphan(_ layout: BlobLayout, slot: Int64, _ orphans: OrphanSweep) async throws -> Bool {
        let named: Set<String>
        do {
            named = try await orphans.referenced([layout.id])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return false
        }
        guard !named.contains(layout.id), !isHeld(layout.id) else { return false }
        return try withSlotLock(slot) { () throws -> Bool in
            let present = (0..<layout.pieceCount).filter { piece in
                guard case .bytes(let header) = packs.read(root: roots[layout.placement[piece]], slot: slot, piece: piece, count: BlobLayout.headerSize)
                else { return false }
                return header == layout.header(piece: piece)
            }
            // Complete now: a writer's, finished since the scrub read it. Not an orphan to take.
            guard present.count < layout.minimumPieces else { return false }
            return !(try removePacked(layout, slot: slot)).isEmpty
        }
    }

    /// The result of checking one blob; unrecoverable when the check failed.
    private func checked(_ check: () async throws -> BlobCheck) async throws -> BlobCheck {
        do {
            return try await check()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            var result = BlobCheck()
            result.unrecoverable = true
            return result
        }
    }

    private func add(_ result: BlobCheck, id: String, to report: inout ScrubReport) {
        if result.gone { return }
        report.blobsChecked += 1
        report.bytesChecked += result.bytes
        report.corruptPieces += result.corrupt
        report.missingPieces += result.missing
        report.repaired += result.repaired
        if result.unrecoverable { report.unrecoverable.append(id) }
        counters.add(.scrubbedBytes, Int(result.bytes))
        counters.add(.corruptPieces, result.corrupt + result.missing)
        counters.add(.repairedPieces, result.repaired)
        counters.add(.unrecoverable, result.unrecoverable ? 1 : 0)
    }

    /// Checks the blobs of the pack files, slot by slot, reading a batch of slots from every directory at once
    /// (16 slots: 192 KiB per directory, one `pread` each).
    ///
    /// A packed blob found too damaged to rebuild is, more often than damage, what a crash left of one being
    /// deleted (its blocks are zeroed one by one): given `orphans`, one that no record names is removed instead
    /// of reported, once it is seen incomplete under its slot's lock (a writer writes a slot's blocks under it).
    private func scrubPacks(report: inout ScrubReport, pacer: inout Pacer, orphans: OrphanSweep?) async throws {
        packs.forgetRemovedFiles()
        let directories = roots.indices.filter { roots.firstIndex(of: roots[$0]) == $0 }
        let batch: Int64 = 16
        let slotBytes = PackTier.blocksPerSlot * PackTier.blockSize
        let reclaiming = !packs.leftoversReclaimed.load(ordering: .relaxed)
        for pack in packs.packNumbers() {
            let slots = packs.slots(inPack: pack)
            var first: Int64 = 0
            while first < slots {
                try Task.checkCancellation()
                let count = Int(min(batch, slots - first))
                let start = pack * PackTier.slotsPerPack + first
                // The blocks of `count` slots from each directory's file; zeros where it ends or is not.
                let contents = directories.map { directory -> [UInt8] in
                    let file = try? packs.file(root: roots[directory], slot: start, create: false)
                    var bytes = file.flatMap { try? FileIO.pread($0.fd, count: count * slotBytes, offset: PackTier.offset(slot: start, piece: 0), path: $0.path) } ?? []
                    bytes.append(contentsOf: repeatElement(0, count: count * slotBytes - bytes.count))
                    return bytes
                }
                if reclaiming, start < packs.slotsBeforeStart {
                    let earlier = Int(min(Int64(count), packs.slotsBeforeStart - start))
                    report.reclaimedBlocks += reclaimIdleBlocks(start: start, count: earlier, directories: directories, contents: contents)
                }
                for i in 0..<count {
                    let blocks = directories.indices.flatMap { d in
                        (0..<PackTier.blocksPerSlot).map { piece in
                            let at = i * slotBytes + piece * PackTier.blockSize
                            return (directory: directories[d], piece: piece, block: contents[d][at..<at + PackTier.blockSize])
                        }
                    }
                    let (layout, nameless) = packedBlob(slot: start + Int64(i), blocks: blocks)
                    guard let layout else {
                        report.corruptPieces += nameless
                        counters.add(.corruptPieces, nameless)
                        continue
                    }
                    let result = try await checked { try await checkAndRepair(layout, pacer: &pacer) }
                    if result.unrecoverable, let orphans, try await removeIncompleteOrphan(layout, slot: start + Int64(i), orphans) {
                        report.orphansRemoved += 1
                        continue
                    }
                    add(result, id: layout.id, to: &report)
                }
                first += Int64(count)
            }
        }
        if reclaiming { packs.leftoversReclaimed.store(true, ordering: .relaxed) }
    }

    /// Punches out the blocks among `count` slots from `start` (read into `contents`, by directory) whose header
    /// is zeros but which have disk space: deleted blobs' blocks that an earlier process kept for reuse and
    /// stopped before it wrote them again (``PackTier``). A slot kept for reuse now is left alone, and each block's
    /// header is read again under its slot's lock, because a writer may have taken the slot since. Returns
    /// how many blocks it punched out.
    func reclaimIdleBlocks(start: Int64, count: Int, directories: [Int], contents: [[UInt8]]) -> Int {
        var reclaimed = 0
        for (d, directory) in directories.enumerated() {
            let root = roots[directory]
            guard let file = try? packs.file(root: root, slot: start, create: false) else { continue }
            var known: (range: Range<Int64>, data: Bool)?
            for i in 0..<count {
                let slot = start + Int64(i)
                for piece in 0..<PackTier.blocksPerSlot {
                    let at = (i * PackTier.blocksPerSlot + piece) * PackTier.blockSize
                    guard contents[d][at..<at + BlobLayout.headerSize].allSatisfy({ $0 == 0 }),
                        packs.isAllocated(file, offset: PackTier.offset(slot: slot, piece: piece), known: &known),
                        !packs.isIdle(slot)
                    else { continue }
                    let punched = withSlotLock(slot) { () -> Bool in
                        guard !packs.isIdle(slot),
                            case .missing = packs.read(root: root, slot: slot, piece: piece, count: BlobLayout.headerSize)
                        else { return false }
                        return packs.punchIfSupported(root: root, slot: slot, piece: piece)
                    }
                    if punched { reclaimed += 1 }
                }
            }
        }
        return reclaimed
    }

    /// The blob in `slot`, worked out from the blocks found there (by majority of the pieces whose header
    /// and footer are intact), with its pieces where they were found or else where its id places them; and
    /// how many blocks hold something that names no blob. Those (a write a crash cut short before the blob
    /// was stored, or damage) are counted as corrupt and left alone: there is nothing to rebuild them from.
    private func packedBlob(slot: Int64, blocks: [(directory: Int, piece: Int, block: ArraySlice<UInt8>)]) -> (BlobLayout?, nameless: Int) {
        struct Description: Hashable {
            var idBytes: [UInt8]
            var redundancy: BlobRedundancy
            var segmentSize: Int
            var size: Int64
        }
        var votes: [Description: Int] = [:]
        var locations: [Description: [Int: Int]] = [:]
        var nameless = 0
        for (directory, piece, block) in blocks where !block.prefix(BlobLayout.headerSize).allSatisfy({ $0 == 0 }) {
            guard let header = PieceHeader(block), header.piece == piece, let size = Self.packedSize(block, header.redundancy) else {
                nameless += 1
                continue
            }
            let description = Description(idBytes: header.idBytes, redundancy: header.redundancy, segmentSize: header.segmentSize, size: size)
            votes[description, default: 0] += 1
            locations[description, default: [:]][piece] = directory
        }
        guard let best = votes.max(by: { $0.value < $1.value })?.key else { return (nil, nameless) }
        let found = locations[best]!
        let computed = placement(for: best.idBytes, best.redundancy)
        let layout = BlobLayout(
            id: Hex.encode(best.idBytes),
            idBytes: best.idBytes,
            redundancy: best.redundancy,
            segmentSize: best.segmentSize,
            size: best.size,
            placement: (0..<best.redundancy.pieceCount).map { found[$0] ?? computed[$0] },
            slot: slot
        )
        return (layout, nameless)
    }

    /// The size of the blob whose packed piece is `block`, read from its footer, which ends the piece: the
    /// footer of a blob of n bytes (one segment) follows the header, the record of its n + 16 sealed bytes
    /// (half of them under XOR parity) and the record's CRC.
    static func packedSize(_ block: ArraySlice<UInt8>, _ redundancy: BlobRedundancy) -> Int64? {
        let base = block.startIndex
        let limit = redundancy == .mirror ? mirroredSizeLimit : packedSizeLimit
        for size in 0...Int(limit) {
            let payload = BlobLayout.payloadLength(sealed: size + BlobLayout.tagSize, redundancy)
            let at = base + BlobLayout.headerSize + payload + BlobLayout.crcSize
            guard at + BlobLayout.footerSize <= block.endIndex,
                block[at + 8..<at + 12].elementsEqual(BlobLayout.footerMagic),
                let parsed = parseFooter(block[at..<at + BlobLayout.footerSize]), parsed == Int64(size)
            else { continue }
            return parsed
        }
        return nil
    }

    /// `<32 hex digits>.<piece>`, nil for anything else.
    static func parsePieceName(_ name: String) -> (String, Int)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, BlobID.bytes(String(parts[0])) != nil, let piece = Int(parts[1]), (0..<3).contains(piece) else {
            return nil
        }
        return (String(parts[0]), piece)
    }

    /// Works out a blob's layout from its pieces (by majority of the intact headers and footers),
    /// then checks and repairs it.
    private func scrubBlob(id: String, locations: [Int: Int], pacer: inout Pacer) async throws -> BlobCheck {
        guard let idBytes = BlobID.bytes(id) else { return BlobCheck() }
        struct Description: Hashable {
            var redundancy: BlobRedundancy
            var segmentSize: Int
            var size: Int64
        }
        var votes: [Description: Int] = [:]
        for (piece, directory) in locations.sorted(by: { $0.key < $1.key }) {
            let path = roots[directory] + "/" + id.prefix(2) + "/" + id + "." + String(piece)
            guard let fd = try? FileIO.openIfExists(path, O_RDONLY) else { continue }
            defer { close(fd) }
            guard let length = try? FileIO.size(fd, path: path), length >= Int64(BlobLayout.headerSize + BlobLayout.footerSize),
                let headerBytes = try? FileIO.pread(fd, count: BlobLayout.headerSize, offset: 0, path: path),
                let footerBytes = try? FileIO.pread(fd, count: BlobLayout.footerSize, offset: length - Int64(BlobLayout.footerSize), path: path),
                let header = PieceHeader(headerBytes), header.piece == piece, header.idBytes == idBytes,
                let size = parseFooter(footerBytes)
            else { continue }
            let candidate = BlobLayout(
                id: id,
                idBytes: idBytes,
                redundancy: header.redundancy,
                segmentSize: header.segmentSize,
                size: size,
                placement: []
            )
            guard candidate.fileLength == length else { continue }
            votes[Description(redundancy: header.redundancy, segmentSize: header.segmentSize, size: size), default: 0] += 1
        }
        guard let best = votes.max(by: { $0.value < $1.value })?.key else {
            // No piece can even say what the blob is.
            var result = BlobCheck()
            result.corrupt = locations.count
            result.unrecoverable = true
            return result
        }
        let computed = placement(for: idBytes, best.redundancy)
        let layout = BlobLayout(
            id: id,
            idBytes: idBytes,
            redundancy: best.redundancy,
            segmentSize: best.segmentSize,
            size: best.size,
            placement: (0..<best.redundancy.pieceCount).map { locations[$0] ?? computed[$0] }
        )
        return try await checkAndRepair(layout, pacer: &pacer)
    }

    /// Verifies every record of every piece of a blob and rebuilds what is bad: records in place,
    /// missing or damaged files whole (published only if the blob still exists).
    func checkAndRepair(_ layout: BlobLayout, pacer: inout Pacer) async throws -> BlobCheck {
        if layout.slot != nil {
            let result = try checkAndRepairPacked(layout)
            try await pacer.account(result.bytes)
            return result
        }
        var result = BlobCheck()
        let n = layout.pieceCount
        var files: [PieceFile?] = Array(repeating: nil, count: n)
        var rebuild: [Int] = []
        var corrupt: Set<Int> = []
        var badFooters: [Int] = []
        for piece in 0..<n {
            switch PieceFile.open(self, layout, piece: piece, checkFooter: true) {
            case .intact(let file):
                files[piece] = file
                if !file.footerIntact {
                    corrupt.insert(piece)
                    badFooters.append(piece)
                }
            case .missing:
                result.missing += 1
                rebuild.append(piece)
            case .damaged:
                corrupt.insert(piece)
                rebuild.append(piece)
            }
        }
        if result.missing == n {
            result.gone = true
            return result
        }
        // Every segment of these pieces is lost; both schemes survive one lost piece per segment.
        guard rebuild.count <= 1 else {
            result.corrupt = corrupt.count
            result.unrecoverable = true
            return result
        }
        let writer = rebuild.isEmpty ? nil : PieceWriter(store: self, layout: layout, pieces: rebuild)
        var rewritten: Set<Int> = []
        for k in 0..<layout.segmentCount {
            try Task.checkCancellation()
            var payloads: [Int: [UInt8]] = [:]
            for piece in 0..<n {
                guard let file = files[piece] else { continue }
                if let payload = file.payload(layout, k) {
                    payloads[piece] = payload
                } else {
                    corrupt.insert(piece)
                }
            }
            let bytes = Int64(files.compactMap { $0 }.count) * Int64(layout.payloadLength(k) + BlobLayout.crcSize)
            result.bytes += bytes
            let bad = (0..<n).filter { payloads[$0] == nil }
            if bad.count > 1 {
                result.unrecoverable = true
                break
            }
            if let piece = bad.first {
                let rebuilt = Shards.rebuild(from: payloads.keys.sorted().map { payloads[$0]! }, layout.redundancy)
                if let writer, let slot = writer.pieces.firstIndex(of: piece) {
                    writer.append(payload: rebuilt, slot: slot)
                    try writer.flush()
                } else {
                    try rewriteRecord(layout, piece: piece, segment: k, payload: rebuilt)
                    rewritten.insert(piece)
                }
            } else if !Self.consistent(payloads, layout.redundancy) {
                // Every record matches its CRC yet the pieces disagree: no way to tell which is
                // wrong without the key. A reader (which has it) still gets authenticated data or an error.
                result.unrecoverable = true
                break
            }
            try await pacer.account(bytes)
        }
        result.corrupt = corrupt.count
        if result.unrecoverable {
            writer?.abort()
            return result
        }
        for piece in badFooters { try rewriteFooter(layout, piece: piece) }
        if let writer {
            try await writer.finish(footer: layout.footer())
            if try await writer.publish(onlyIfPresent: true) {
                result.repaired += rebuild.count
            } else {
                result.gone = true
            }
        }
        result.repaired += rewritten.union(badFooters).count
        return result
    }

    /// True when the redundancy agrees with the data: parity is the XOR of the shards, or the copies are equal.
    static func consistent(_ payloads: [Int: [UInt8]], _ redundancy: BlobRedundancy) -> Bool {
        switch redundancy {
        case .mirror: payloads[0] == payloads[1]
        case .xorParity: Shards.rebuild(from: [payloads[0]!, payloads[1]!], redundancy) == payloads[2]
        }
    }
}

/// What checking one blob found.
struct BlobCheck {
    var bytes: Int64 = 0
    var corrupt = 0
    var missing = 0
    var repaired = 0
    var unrecoverable = false
    /// The blob was deleted while being checked (or was never there).
    var gone = false
}

/// Keeps a byte stream under a rate by sleeping when it gets ahead.
struct Pacer {
    let bytesPerSecond: Int64?
    private let start = ContinuousClock.now
    private var bytes: Int64 = 0

    init(bytesPerSecond: Int64?) { self.bytesPerSecond = bytesPerSecond }

    mutating func account(_ n: Int64) async throws {
        bytes += n
        guard let bytesPerSecond, bytesPerSecond > 0 else { return }
        let due = start + .seconds(Double(bytes) / Double(bytesPerSecond))
        if due > .now { try await Task.sleep(until: due, clock: .continuous) }
    }
}
