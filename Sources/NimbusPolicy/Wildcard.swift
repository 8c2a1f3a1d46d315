//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// A compiled `*`/`?` pattern.
///
/// Common shapes (`*`, exact, `prefix*`, `*suffix`, `*infix*`) match with one byte comparison; the
/// rest run as a position-set automaton over Unicode scalars, which costs at most
/// (input length × pattern length) steps and never backtracks, so `****…a` cannot blow up.
final class Glob: Sendable {
    enum Token: Sendable, Equatable {
        case scalar(UInt32)
        /// `?`: any one character.
        case one
        /// `?` inside a colon-delimited ARN segment: any one character but `:`.
        case oneInSegment
        /// `*`: any run of characters.
        case star
        /// `*` inside a colon-delimited ARN segment: any run without `:`.
        case starInSegment

        var isStar: Bool { self == .star || self == .starInSegment }
    }

    let kind: GlobKind
    let caseInsensitive: Bool
    /// The bytes of `exact`/`prefix`/`suffix`/`contains` patterns; for the automaton, the literal
    /// bytes every match starts with.
    let literal: [UInt8]
    /// For `segments`: the literal runs between stars, as ranges of `segmentBytes`.
    let segmentBytes: [UInt8]
    let segmentRanges: [SegmentRange]
    let anchoredStart: Bool
    let anchoredEnd: Bool
    let tokens: [Token]

    /// One pattern character; `literal` characters are never wildcards (`${*}`, variable values).
    struct Character {
        var scalar: Unicode.Scalar
        var literal: Bool
    }

    /// A pattern where `*` and `?` match anything (actions, `StringLike`, ARN components).
    convenience init(_ pattern: String, caseInsensitive: Bool = false) {
        self.init(characters: pattern.unicodeScalars.map { Character(scalar: $0, literal: false) }, arnAware: false, caseInsensitive: caseInsensitive)
    }

    /// A `Resource` pattern: when it is an ARN, a wildcard in one of the first five colon-separated
    /// segments stays inside that segment unless it is the segment's last character.
    convenience init(resource pattern: String) {
        self.init(characters: pattern.unicodeScalars.map { Character(scalar: $0, literal: false) }, arnAware: true, caseInsensitive: false)
    }

    init(characters: [Character], arnAware: Bool, caseInsensitive: Bool) {
        self.caseInsensitive = caseInsensitive
        var isARN = false
        if arnAware, characters.count >= 4 {
            let head = characters.prefix(4).map { Swift.Character($0.scalar) }
            isARN = String(head) == "arn:" && characters.lazy.filter { $0.scalar == ":" }.count >= 5
        }
        var tokens: [Token] = []
        tokens.reserveCapacity(characters.count)
        var colons = 0
        for (i, c) in characters.enumerated() {
            let inSegment = isARN && colons < 5
            if !c.literal, c.scalar == "*" {
                let endsSegment = i + 1 == characters.count || characters[i + 1].scalar == ":"
                let token: Token = inSegment && !endsSegment ? .starInSegment : .star
                // Runs of stars collapse to one; an unrestricted star absorbs a restricted one.
                if let last = tokens.last, last.isStar {
                    if token == .star { tokens[tokens.count - 1] = .star }
                } else {
                    tokens.append(token)
                }
            } else if !c.literal, c.scalar == "?" {
                tokens.append(inSegment ? .oneInSegment : .one)
            } else {
                if c.scalar == ":" { colons += 1 }
                tokens.append(.scalar(caseInsensitive ? Glob.fold(c.scalar.value) : c.scalar.value))
            }
        }
        self.tokens = tokens
        let plan = GlobPlan(tokens)
        self.kind = plan.kind
        self.literal = plan.literal
        self.segmentBytes = plan.segmentBytes
        self.segmentRanges = plan.segmentRanges
        self.anchoredStart = plan.anchoredStart
        self.anchoredEnd = plan.anchoredEnd
    }

    static func bytes(_ tokens: ArraySlice<Token>) -> [UInt8]? {
        var out: [UInt8] = []
        for t in tokens {
            guard case .scalar(let s) = t else { return nil }
            out.append(contentsOf: UTF8.encode(Unicode.Scalar(s)!)!)
        }
        return out
    }

    @inline(__always)
    static func fold(_ s: UInt32) -> UInt32 { s >= 0x41 && s <= 0x5A ? s | 0x20 : s }
    @inline(__always)
    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    var isAny: Bool { kind == .any }

    func matches(_ string: String) -> Bool {
        var s = string
        return s.withUTF8 { matches($0) }
    }

    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        literal.withUnsafeBufferPointer { lit in
            segmentBytes.withUnsafeBufferPointer { segBytes in
                segmentRanges.withUnsafeBufferPointer { ranges in
                    tokens.withUnsafeBufferPointer { toks in
                        GlobCore.match(
                            kind: kind, caseInsensitive: caseInsensitive, literal: lit, segmentBytes: segBytes,
                            segments: ranges, anchoredStart: anchoredStart, anchoredEnd: anchoredEnd, tokens: toks, input: input
                        )
                    }
                }
            }
        }
    }

    /// Decodes one scalar from valid UTF-8 (Swift strings always are), advancing `i`.
    @inline(__always)
    static func decodeScalar(_ input: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> UInt32 {
        let b0 = UInt32(input[i])
        if b0 < 0x80 {
            i += 1
            return b0
        }
        let length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2
        var value = b0 & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        var k = 1
        while k < length && i + k < input.count {
            value = value << 6 | (UInt32(input[i + k]) & 0x3F)
            k += 1
        }
        i += k
        return value
    }
}

/// How a compiled pattern is matched.
enum GlobKind: UInt8, Sendable {
    case any, exact, prefix, suffix, contains
    /// Literal runs separated by unrestricted stars: matched greedily, left to right.
    case segments
    /// Runs with `?` separated by unrestricted stars: the same, scalar by scalar (ranges index `tokens`).
    case scalarSegments
    /// Patterns with `?` or segment-bounded stars: the position-set automaton.
    case automaton
}

/// A range of bytes in an arena.
struct SegmentRange: Sendable {
    var start: Int32
    var count: Int32
}

/// How to match a token list, decided once when the pattern is compiled.
struct GlobPlan {
    var kind: GlobKind = .automaton
    var literal: [UInt8] = []
    var segmentBytes: [UInt8] = []
    var segmentRanges: [SegmentRange] = []
    var anchoredStart = true
    var anchoredEnd = true

    init(_ tokens: [Glob.Token]) {
        if tokens.contains(.one) && !tokens.contains(where: { $0 == .oneInSegment || $0 == .starInSegment }) {
            // Fixed-width runs between stars: greedy leftmost matching is exact and never backtracks.
            kind = .scalarSegments
            anchoredStart = tokens.first != .star
            anchoredEnd = tokens.last != .star
            var start = -1
            for i in 0...tokens.count {
                let t = i < tokens.count ? tokens[i] : .star
                if t == .star {
                    if start >= 0 { segmentRanges.append(SegmentRange(start: Int32(start), count: Int32(i - start))) }
                    start = -1
                } else if start < 0 {
                    start = i
                }
            }
            return
        }
        if tokens.contains(where: { $0 == .one || $0 == .oneInSegment || $0 == .starInSegment }) {
            kind = .automaton
            for t in tokens {
                guard case .scalar(let s) = t else { break }
                literal.append(contentsOf: UTF8.encode(Unicode.Scalar(s)!)!)
            }
            return
        }
        let stars = tokens.indices.filter { tokens[$0] == .star }
        switch stars.count {
        case 0:
            kind = .exact
            literal = Glob.bytes(tokens[...])!
        case 1 where tokens.count == 1:
            kind = .any
        case 1 where stars[0] == tokens.count - 1:
            kind = .prefix
            literal = Glob.bytes(tokens.dropLast())!
        case 1 where stars[0] == 0:
            kind = .suffix
            literal = Glob.bytes(tokens.dropFirst())!
        case 2 where stars[0] == 0 && stars[1] == tokens.count - 1:
            kind = .contains
            literal = Glob.bytes(tokens.dropFirst().dropLast())!
        default:
            kind = .segments
            anchoredStart = tokens.first != .star
            anchoredEnd = tokens.last != .star
            var run: [Glob.Token] = []
            for t in tokens + [.star] {
                guard t == .star else {
                    run.append(t)
                    continue
                }
                if run.isEmpty { continue }
                let bytes = Glob.bytes(run[...])!
                segmentRanges.append(SegmentRange(start: Int32(segmentBytes.count), count: Int32(bytes.count)))
                segmentBytes.append(contentsOf: bytes)
                run.removeAll()
            }
        }
    }
}

/// The matching itself, over raw buffers, so that compiled policies can keep every pattern in one arena.
enum GlobCore {
    @inline(__always)
    static func match(
        kind: GlobKind,
        caseInsensitive: Bool,
        literal: UnsafeBufferPointer<UInt8>,
        segmentBytes: UnsafeBufferPointer<UInt8>,
        segments: UnsafeBufferPointer<SegmentRange>,
        anchoredStart: Bool,
        anchoredEnd: Bool,
        tokens: UnsafeBufferPointer<Glob.Token>,
        input: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        switch kind {
        case .any:
            return true
        case .exact:
            return literal.count == input.count && equal(literal, input, 0, caseInsensitive)
        case .prefix:
            return input.count >= literal.count && equal(literal, input, 0, caseInsensitive)
        case .suffix:
            return input.count >= literal.count && equal(literal, input, input.count - literal.count, caseInsensitive)
        case .contains:
            return find(literal, input, from: 0, to: input.count, caseInsensitive) != nil
        case .segments:
            var position = 0
            var end = input.count
            var first = 0
            var last = segments.count - 1
            if anchoredStart {
                let seg = slice(segmentBytes, segments[0])
                guard input.count >= seg.count, equal(seg, input, 0, caseInsensitive) else { return false }
                position = seg.count
                first = 1
            }
            if anchoredEnd {
                let seg = slice(segmentBytes, segments[last])
                guard input.count - seg.count >= position, equal(seg, input, input.count - seg.count, caseInsensitive) else {
                    return false
                }
                end = input.count - seg.count
                last -= 1
            }
            if first <= last {
                for j in first...last {
                    let seg = slice(segmentBytes, segments[j])
                    guard let at = find(seg, input, from: position, to: end, caseInsensitive) else { return false }
                    position = at + seg.count
                }
            }
            return true
        case .scalarSegments:
            return matchScalarSegments(tokens, segments, anchoredStart, anchoredEnd, caseInsensitive, input)
        case .automaton:
            if input.count < literal.count || !equal(literal, input, 0, caseInsensitive) { return false }
            return runAutomaton(tokens, caseInsensitive, input)
        }
    }

    /// Star-separated runs of scalars and `?`: each run at its leftmost place, the first and last anchored
    /// when the pattern does not start or end with a star.
    static func matchScalarSegments(
        _ tokens: UnsafeBufferPointer<Glob.Token>,
        _ segments: UnsafeBufferPointer<SegmentRange>,
        _ anchoredStart: Bool,
        _ anchoredEnd: Bool,
        _ ci: Bool,
        _ input: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        func run(_ r: SegmentRange) -> UnsafeBufferPointer<Glob.Token> {
            UnsafeBufferPointer(start: tokens.baseAddress.map { $0 + Int(r.start) }, count: Int(r.count))
        }
        var position = 0
        var end = input.count
        var first = 0
        var last = segments.count - 1
        if anchoredStart {
            guard let e = matchRun(run(segments[0]), input, at: 0, limit: end, ci) else { return false }
            position = e
            first = 1
            if segments.count == 1 && anchoredEnd { return e == input.count }
        }
        if anchoredEnd, last >= first {
            // The last run has a fixed number of scalars: it starts that many scalars before the end.
            let tail = run(segments[last])
            var start = input.count
            for _ in 0..<tail.count {
                guard start > position else { return false }
                start -= 1
                while start > position && input[start] & 0xC0 == 0x80 { start -= 1 }
            }
            guard start >= position, matchRun(tail, input, at: start, limit: input.count, ci) == input.count else { return false }
            end = start
            last -= 1
        }
        if first <= last {
            for j in first...last {
                let r = run(segments[j])
                var start = position
                var found: Int? = nil
                while start < end || (r.isEmpty && start == end) {
                    if let e = matchRun(r, input, at: start, limit: end, ci) {
                        found = e
                        break
                    }
                    start += 1
                    while start < end && input[start] & 0xC0 == 0x80 { start += 1 }
                }
                guard let found else { return false }
                position = found
            }
        }
        return true
    }

    /// Where a run of scalars and `?` ends when it starts at `at`, or nil when it does not match there.
    @inline(__always)
    static func matchRun(_ run: UnsafeBufferPointer<Glob.Token>, _ input: UnsafeBufferPointer<UInt8>, at: Int, limit: Int, _ ci: Bool) -> Int? {
        var i = at
        for t in run {
            guard i < limit else { return nil }
            var c = Glob.decodeScalar(input, &i)
            if i > limit { return nil }
            switch t {
            case .scalar(let s):
                if ci { c = Glob.fold(c) }
                if s != c { return nil }
            case .one:
                break
            default:
                return nil
            }
        }
        return i
    }

    @inline(__always)
    static func slice(_ bytes: UnsafeBufferPointer<UInt8>, _ r: SegmentRange) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes.baseAddress.map { $0 + Int(r.start) }, count: Int(r.count))
    }

    @inline(__always)
    static func equal(_ pattern: UnsafeBufferPointer<UInt8>, _ input: UnsafeBufferPointer<UInt8>, _ offset: Int, _ ci: Bool) -> Bool {
        if ci {
            for i in 0..<pattern.count where pattern[i] != Glob.fold(input[offset + i]) { return false }
        } else {
            for i in 0..<pattern.count where pattern[i] != input[offset + i] { return false }
        }
        return true
    }

    /// The first offset in `from..<to` where `pattern` occurs entirely before `to`.
    @inline(__always)
    static func find(_ pattern: UnsafeBufferPointer<UInt8>, _ input: UnsafeBufferPointer<UInt8>, from: Int, to: Int, _ ci: Bool) -> Int? {
        if pattern.isEmpty { return from }
        if to - from < pattern.count { return nil }
        let first = pattern[0]
        var start = from
        while start <= to - pattern.count {
            let b = ci ? Glob.fold(input[start]) : input[start]
            if b == first && equal(pattern, input, start, ci) { return start }
            start += 1
        }
        return nil
    }

    static func runAutomaton(_ toks: UnsafeBufferPointer<Glob.Token>, _ caseInsensitive: Bool, _ input: UnsafeBufferPointer<UInt8>) -> Bool {
        let m = toks.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: 2 * (m + 1)) { storage in
            var current = storage.baseAddress!
            var next = current + (m + 1)
            for p in 0...m { current[p] = false }
            current[0] = true
            closeOverStars(current, toks)
            var i = 0
            while i < input.count {
                var c = Glob.decodeScalar(input, &i)
                if caseInsensitive { c = Glob.fold(c) }
                var alive = false
                for p in 0...m { next[p] = false }
                for p in 0..<m where current[p] {
                    switch toks[p] {
                    case .scalar(let s):
                        if s == c {
                            next[p + 1] = true
                            alive = true
                        }
                    case .one:
                        next[p + 1] = true
                        alive = true
                    case .oneInSegment:
                        if c != 0x3A {
                            next[p + 1] = true
                            alive = true
                        }
                    case .star:
                        next[p] = true
                        alive = true
                    case .starInSegment:
                        if c != 0x3A {
                            next[p] = true
                            alive = true
                        }
                    }
                }
                if !alive { return false }
                closeOverStars(next, toks)
                swap(&current, &next)
            }
            return current[m]
        }
    }

    /// A star can match nothing: a state before a star is also the state after it.
    @inline(__always)
    static func closeOverStars(_ states: UnsafeMutablePointer<Bool>, _ toks: UnsafeBufferPointer<Glob.Token>) {
        for p in 0..<toks.count where states[p] && toks[p].isStar { states[p + 1] = true }
    }
}
