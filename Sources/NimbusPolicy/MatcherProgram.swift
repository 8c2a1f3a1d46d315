//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The hot part of a compiled policy in flat, reference-free memory: per statement its effect and
/// where its action and resource patterns are, and every pattern's bytes in one arena.
///
/// Evaluation walks this with raw pointers, so checking a statement that does not apply costs no
/// reference counting and no allocation. Statements whose action and resource match and that also
/// have conditions, principals or variables continue on `CompiledStatement`.
final class MatcherProgram: @unchecked Sendable {
    // @unchecked: the buffers are written once in init and only read afterwards; deinit frees them.

    struct Statement {
        var isDeny: Bool
        var notAction: Bool
        var notResource: Bool
        /// No `Resource` element (trust policies): every resource.
        var anyResource: Bool
        /// A resource holds a policy variable: match it on the `CompiledStatement`.
        var resourceNeedsScope: Bool
        /// Conditions or a principal element to check after action and resource matched.
        var needsFullCheck: Bool
        /// The service every action pattern names (an index into `vendors`), `-1` when one is `*`,
        /// `-2` when they name different services.
        var vendor: Int32
        /// The bytes (lowercased) an action name must start with for any pattern to match: a 256-bit set.
        var firstBytes: (UInt64, UInt64, UInt64, UInt64)
        var actionStart: Int32
        var actionCount: Int32
        var resourceStart: Int32
        var resourceCount: Int32
    }

    struct Pattern {
        /// For action patterns, the service (index into `vendors`); `-1` for any.
        var vendor: Int32
        /// The (lowercased, for case-insensitive patterns) first byte every match starts with; 0 when none.
        var firstByte: UInt8
        var kind: GlobKind
        var caseInsensitive: Bool
        var anchoredStart: Bool
        var anchoredEnd: Bool
        var literal: SegmentRange
        var segmentStart: Int32
        var segmentCount: Int32
        var tokenStart: Int32
        var tokenCount: Int32
    }

    let statements: UnsafeMutableBufferPointer<Statement>
    let patterns: UnsafeMutableBufferPointer<Pattern>
    let bytes: UnsafeMutableBufferPointer<UInt8>
    let segments: UnsafeMutableBufferPointer<SegmentRange>
    let tokens: UnsafeMutableBufferPointer<Glob.Token>
    /// The distinct service prefixes of the policy's actions, lowercased, as ranges of `bytes`.
    let vendors: UnsafeMutableBufferPointer<SegmentRange>
    /// Per service (by index, then one more for any other service): the statements that can apply,
    /// as ranges of `candidates`. A request for `s3:…` never looks at an `ec2:…` statement.
    let candidateLists: UnsafeMutableBufferPointer<SegmentRange>
    let candidates: UnsafeMutableBufferPointer<Int32>

    init(_ compiled: [CompiledStatement]) {
        var statements: [Statement] = []
        var patterns: [Pattern] = []
        var bytes: [UInt8] = []
        var segments: [SegmentRange] = []
        var tokens: [Glob.Token] = []
        var vendorNames: [[UInt8]] = []
        var statementVendors: [Set<Int32>] = []

        func add(_ g: Glob, vendor: Int32 = -1) {
            let literal = SegmentRange(start: Int32(bytes.count), count: Int32(g.literal.count))
            bytes.append(contentsOf: g.literal)
            let base = Int32(bytes.count)
            bytes.append(contentsOf: g.segmentBytes)
            let segmentStart = Int32(segments.count)
            for r in g.segmentRanges {
                segments.append(SegmentRange(start: g.kind == .scalarSegments ? r.start : r.start + base, count: r.count))
            }
            let tokenStart = Int32(tokens.count)
            if g.kind == .automaton || g.kind == .scalarSegments { tokens.append(contentsOf: g.tokens) }
            var first: UInt8 = 0
            switch g.kind {
            case .exact, .prefix, .automaton: first = g.literal.first ?? 0
            case .segments where g.anchoredStart: first = g.segmentBytes.first ?? 0
            default: first = 0
            }
            patterns.append(
                Pattern(
                    vendor: vendor,
                    firstByte: first,
                    kind: g.kind,
                    caseInsensitive: g.caseInsensitive,
                    anchoredStart: g.anchoredStart,
                    anchoredEnd: g.anchoredEnd,
                    literal: literal,
                    segmentStart: segmentStart,
                    segmentCount: Int32(g.segmentRanges.count),
                    tokenStart: tokenStart,
                    tokenCount: Int32(tokens.count) - tokenStart
                )
            )
        }

        for s in compiled {
            let actionStart = Int32(patterns.count)
            var statementVendor: Int32?
            var vendorSet: Set<Int32> = []
            for a in s.actions {
                var id: Int32 = -1
                if let v = a.vendor {
                    if let existing = vendorNames.firstIndex(of: v) {
                        id = Int32(existing)
                    } else {
                        id = Int32(vendorNames.count)
                        vendorNames.append(v)
                    }
                }
                add(a.name, vendor: id)
                vendorSet.insert(id)
                if statementVendor == nil {
                    statementVendor = id
                } else if statementVendor != id {
                    statementVendor = statementVendor == -1 || id == -1 ? -1 : -2
                }
            }
            statementVendors.append(vendorSet)
            var mask: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for a in s.actions {
                guard let b = Self.firstByte(of: a.name) else {
                    mask = (~0, ~0, ~0, ~0)
                    break
                }
                switch b >> 6 {
                case 0: mask.0 |= 1 << UInt64(b & 63)
                case 1: mask.1 |= 1 << UInt64(b & 63)
                case 2: mask.2 |= 1 << UInt64(b & 63)
                default: mask.3 |= 1 << UInt64(b & 63)
                }
            }
            let resourceStart = Int32(patterns.count)
            var needsScope = false
            for r in s.resources ?? [] {
                switch r {
                case .glob(let g): add(g)
                case .template: needsScope = true
                }
            }
            statements.append(
                Statement(
                    isDeny: s.effect == .deny,
                    notAction: s.notAction,
                    notResource: s.notResource,
                    anyResource: s.resources == nil,
                    resourceNeedsScope: needsScope,
                    needsFullCheck: !s.conditions.isEmpty || s.principals != nil,
                    vendor: statementVendor ?? -2,
                    firstBytes: mask,
                    actionStart: actionStart,
                    actionCount: resourceStart - actionStart,
                    resourceStart: resourceStart,
                    resourceCount: Int32(patterns.count) - resourceStart
                )
            )
        }
        var vendorRanges: [SegmentRange] = []
        for v in vendorNames {
            vendorRanges.append(SegmentRange(start: Int32(bytes.count), count: Int32(v.count)))
            bytes.append(contentsOf: v)
        }
        self.vendors = Self.copy(vendorRanges)
        var lists: [SegmentRange] = []
        var flat: [Int32] = []
        for v in Int32(-3)..<Int32(vendorNames.count) where v == -3 || v >= 0 {
            let start = Int32(flat.count)
            for (i, set) in statementVendors.enumerated() where compiled[i].notAction || set.contains(-1) || set.contains(v) {
                flat.append(Int32(i))
            }
            lists.append(SegmentRange(start: start, count: Int32(flat.count) - start))
        }
        // The list for "any other service" goes last.
        lists.append(lists.removeFirst())
        self.candidateLists = Self.copy(lists)
        self.candidates = Self.copy(flat)
        self.statements = Self.copy(statements)
        self.patterns = Self.copy(patterns)
        self.bytes = Self.copy(bytes)
        self.segments = Self.copy(segments)
        self.tokens = Self.copy(tokens)
    }

    /// The byte every match of `g` starts with, when there is one.
    static func firstByte(of g: Glob) -> UInt8? {
        switch g.kind {
        case .exact, .prefix: return g.literal.first
        case .automaton: return g.literal.first
        case .segments: return g.anchoredStart ? g.segmentBytes.first : nil
        case .scalarSegments:
            if g.anchoredStart, case .scalar(let s)? = g.tokens.first, s < 0x80 { return UInt8(s) }
            return nil
        case .any, .suffix, .contains: return nil
        }
    }

    /// A buffer that always has a base address (capacity at least one), so the pointer arithmetic above
    /// never meets nil, even for a policy without statements.
    private static func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
        _ = buffer.initialize(from: array)
        return UnsafeMutableBufferPointer(start: buffer.baseAddress, count: array.count)
    }

    deinit {
        statements.deallocate()
        patterns.deallocate()
        bytes.deallocate()
        segments.deallocate()
        tokens.deallocate()
        vendors.deallocate()
        candidateLists.deallocate()
        candidates.deallocate()
    }

    /// The statements that can apply to an action of this service (\`vendorID\`'s answer).
    @inline(__always)
    func candidates(for vendor: Int32) -> UnsafeBufferPointer<Int32> {
        let r = candidateLists[vendor >= 0 ? Int(vendor) : candidateLists.count - 1]
        return UnsafeBufferPointer(start: candidates.baseAddress! + Int(r.start), count: Int(r.count))
    }

    /// The index of the action's service prefix among this policy's, `-3` when no pattern names it.
    @inline(__always)
    func vendorID(_ vendor: UnsafeBufferPointer<UInt8>) -> Int32 {
        var i = 0
        while i < vendors.count {
            let r = vendors[i]
            if Int(r.count) == vendor.count,
                GlobCore.equal(UnsafeBufferPointer(start: bytes.baseAddress! + Int(r.start), count: Int(r.count)), vendor, 0, true)
            {
                return Int32(i)
            }
            i += 1
        }
        return -3
    }

    @inline(__always)
    func matches(pattern index: Int, _ input: UnsafeBufferPointer<UInt8>) -> Bool {
        let p = patterns[index]
        if p.kind == .exact && Int(p.literal.count) != input.count { return false }
        if p.firstByte != 0 {
            guard let b = input.first else { return false }
            if (p.caseInsensitive ? Glob.fold(b) : b) != p.firstByte { return false }
        }
        let base = UnsafePointer(bytes.baseAddress!)
        return GlobCore.match(
            kind: p.kind,
            caseInsensitive: p.caseInsensitive,
            literal: UnsafeBufferPointer(start: base + Int(p.literal.start), count: Int(p.literal.count)),
            segmentBytes: UnsafeBufferPointer(start: base, count: bytes.count),
            segments: UnsafeBufferPointer(start: segments.baseAddress! + Int(p.segmentStart), count: Int(p.segmentCount)),
            anchoredStart: p.anchoredStart,
            anchoredEnd: p.anchoredEnd,
            tokens: UnsafeBufferPointer(start: tokens.baseAddress! + Int(p.tokenStart), count: Int(p.tokenCount)),
            input: input
        )
    }

    /// Whether a statement's `Action`/`NotAction` covers the action (service id and the part after the colon).
    @inline(__always)
    func matchesAction(_ s: Statement, vendor: Int32, name: UnsafeBufferPointer<UInt8>) -> Bool {
        if s.vendor >= 0 && s.vendor != vendor { return s.notAction }
        if let first = name.first {
            let b = Glob.fold(first)
            let word: UInt64
            switch b >> 6 {
            case 0: word = s.firstBytes.0
            case 1: word = s.firstBytes.1
            case 2: word = s.firstBytes.2
            default: word = s.firstBytes.3
            }
            if word & (1 << UInt64(b & 63)) == 0 { return s.notAction }
        }
        var hit = false
        var k = Int(s.actionStart)
        let end = k + Int(s.actionCount)
        while k < end {
            let pv = patterns[k].vendor
            if (pv < 0 || pv == vendor) && matches(pattern: k, name) {
                hit = true
                break
            }
            k += 1
        }
        return hit != s.notAction
    }

    /// Whether statement `i`'s `Resource`/`NotResource` covers the resource (patterns without variables).
    @inline(__always)
    func matchesResource(_ s: Statement, _ resource: UnsafeBufferPointer<UInt8>) -> Bool {
        if s.anyResource { return true }
        var hit = false
        var k = Int(s.resourceStart)
        let end = k + Int(s.resourceCount)
        while k < end {
            if matches(pattern: k, resource) {
                hit = true
                break
            }
            k += 1
        }
        return hit != s.notResource
    }
}
