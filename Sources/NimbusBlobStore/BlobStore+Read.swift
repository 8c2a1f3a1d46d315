//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

extension BlobStore {
    /// The plaintext of bytes `range` of `blob` (nil: all of it), one chunk per segment.
    ///
    /// Only the segments holding the range are read and decrypted. Each record is checked against
    /// its CRC-32C and each segment against its GCM tag. A bad or missing piece is rebuilt from the
    /// others transparently: a bad record is rewritten in place at once, a missing or damaged file
    /// is rebuilt when the read ends; both show in ``statistics``. Throws
    /// ``BlobStoreError/corrupt(_:)`` only when a segment cannot be reconstructed,
    /// ``BlobStoreError/notFound(_:)`` when no piece exists, and
    /// ``BlobStoreError/authenticationFailed(_:)`` for the wrong key.
    public func read(_ blob: StoredBlob, key: BlobKey, range: ClosedRange<Int64>?) -> AsyncThrowingStream<[UInt8], any Error> {
        let reader = BlobReader(store: self, blob: blob, key: key, range: range)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }
}

/// The state of one read: open pieces, the next segment, what needs repair.
actor BlobReader {
    private let store: BlobStore
    private let blob: StoredBlob
    private let key: BlobKey
    private let range: ClosedRange<Int64>?

    private var layout: BlobLayout!
    private var cipher: SegmentCipher!
    private var segment = 0
    private var lastSegment = 0
    private var started = false
    private var finished = false
    private var pieces: [PieceFile.State?] = []
    /// Pieces found bad (counted once each).
    private var damaged: Set<Int> = []
    /// Pieces whose whole file must be rebuilt (missing or damaged header or length).
    private var rebuildWhole: Set<Int> = []
    private var repairedInPlace: Set<Int> = []

    init(store: BlobStore, blob: StoredBlob, key: BlobKey, range: ClosedRange<Int64>?) {
        self.store = store
        self.blob = blob
        self.key = key
        self.range = range
    }

    func next() async throws -> [UInt8]? {
        if finished { return nil }
        do {
            if !started { try start() }
            while segment <= lastSegment {
                try Task.checkCancellation()
                let k = segment
                let plaintext = try load(k)
                segment += 1
                let segmentStart = Int64(k) * Int64(layout.segmentSize)
                let lower = max(0, Int((range?.lowerBound ?? 0) - segmentStart))
                let upper = min(plaintext.count, Int((range?.upperBound ?? Int64.max - 1) + 1 - segmentStart))
                if lower < upper {
                    return lower == 0 && upper == plaintext.count ? plaintext : Array(plaintext[lower..<upper])
                }
            }
            finished = true
            try await repairWholePieces()
            return nil
        } catch {
            finished = true
            pieces = []
            throw error
        }
    }

    private func start() throws {
        started = true
        layout = try BlobLayout(blob, directoryCount: store.roots.count)
        if let range {
            guard range.lowerBound >= 0, range.upperBound < blob.size else { throw BlobStoreError.invalidRange }
            let segments = layout.segments(range)
            segment = segments.lowerBound
            lastSegment = segments.upperBound
        } else {
            lastSegment = layout.segmentCount - 1
        }
        cipher = SegmentCipher(key: key, idBytes: layout.idBytes)
        pieces = Array(repeating: nil, count: layout.pieceCount)
    }

    /// The plaintext of segment `k`, reconstructed and repaired if a piece is bad.
    private func load(_ k: Int) throws -> [UInt8] {
        let redundancy = layout.redundancy
        // The common case, both data shards intact: read straight into one buffer, the second record over
        // the first one's CRC once that has been checked.
        if redundancy == .xorParity, let sealed = bothShards(k) {
            guard let plaintext = cipher.open(sealed, index: k) else { throw BlobStoreError.authenticationFailed(layout.id) }
            return plaintext
        }
        let primaries = redundancy == .xorParity ? [0, 1] : [0]
        var payloads: [Int: [UInt8]] = [:]
        var bad: [Int] = []
        for piece in primaries {
            if let payload = payload(piece, k) { payloads[piece] = payload } else { bad.append(piece) }
        }
        if !bad.isEmpty {
            let spare = layout.pieceCount - 1
            if let payload = payload(spare, k) { payloads[spare] = payload }
            guard payloads.count >= primaries.count else {
                if pieces.allSatisfy({ if case .missing = $0 { true } else { false } }) {
                    throw BlobStoreError.notFound(layout.id)
                }
                store.counters.add(.unrecoverable, 1)
                throw BlobStoreError.corrupt(layout.id)
            }
            for piece in bad {
                payloads[piece] = Shards.rebuild(from: payloads.keys.sorted().map { payloads[$0]! }, redundancy)
            }
            store.counters.add(.readsFailedOver, 1)
        }
        let sealed = Shards.sealed(from: primaries.map { payloads[$0]! }, length: layout.sealedLength(k), redundancy)
        guard let plaintext = cipher.open(sealed, index: k) else { throw BlobStoreError.authenticationFailed(layout.id) }
        // Authenticated: what was rebuilt is right, so write it back.
        for piece in bad where !rebuildWhole.contains(piece) {
            try store.rewriteRecord(layout, piece: piece, segment: k, payload: payloads[piece]!)
            if repairedInPlace.insert(piece).inserted { store.counters.add(.repairedPieces, 1) }
        }
        return plaintext
    }

    /// Segment `k` sealed, from intact records of both data shards (XOR parity); nil when either is missing
    /// or damaged, for ``load(_:)``'s general path to sort out.
    private func bothShards(_ k: Int) -> [UInt8]? {
        for piece in 0..<2 where pieces[piece] == nil {
            pieces[piece] = PieceFile.open(store, layout, piece: piece, checkFooter: false)
        }
        guard case .intact(let first) = pieces[0], case .intact(let second) = pieces[1] else { return nil }
        let length = layout.sealedLength(k)
        let half = layout.payloadLength(k)
        // Room for the first payload and the whole second record (its payload may end in a pad byte past
        // `length`, then its CRC).
        var intact = false
        let sealed = [UInt8](unsafeUninitializedCapacity: 2 * half + BlobLayout.crcSize) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            initialized = 0
            guard first.readRecord(layout, k, into: raw),
                second.readRecord(layout, k, into: UnsafeMutableRawBufferPointer(rebasing: raw[half...]))
            else { return }
            intact = true
            initialized = length
        }
        return intact ? sealed : nil
    }

    /// The checked payload of record `k` of `piece`, opening the piece on first use.
    private func payload(_ piece: Int, _ k: Int) -> [UInt8]? {
        if pieces[piece] == nil {
            pieces[piece] = PieceFile.open(store, layout, piece: piece, checkFooter: false)
        }
        guard case .intact(let file) = pieces[piece] else {
            rebuildWhole.insert(piece)
            noteDamaged(piece)
            return nil
        }
        guard let payload = file.payload(layout, k) else {
            noteDamaged(piece)
            return nil
        }
        return payload
    }

    private func noteDamaged(_ piece: Int) {
        if damaged.insert(piece).inserted { store.counters.add(.corruptPieces, 1) }
    }

    /// Rebuilds missing or damaged piece files once the read is done.
    private func repairWholePieces() async throws {
        guard !rebuildWhole.isEmpty else { return }
        pieces = []
        var pacer = Pacer(bytesPerSecond: nil)
        let result = try await store.checkAndRepair(layout, pacer: &pacer)
        store.counters.add(.repairedPieces, result.repaired)
        if result.unrecoverable { store.counters.add(.unrecoverable, 1) }
    }
}
