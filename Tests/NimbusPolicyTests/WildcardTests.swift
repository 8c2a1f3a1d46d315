//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
@testable import NimbusPolicy
import Testing

/// The compiled matchers against a slow, obviously correct reference, on many small random cases.
@Suite struct WildcardTests {
    /// Reference semantics: `*` any run, `?` one character; in ARN mode, wildcards in the first five
    /// segments do not cross a colon unless the star ends its segment.
    static func reference(_ pattern: [Character], _ input: [Character], arn: Bool, caseInsensitive: Bool) -> Bool {
        let isARN = arn && String(pattern.prefix(4)) == "arn:" && pattern.filter { $0 == ":" }.count >= 5
        var restricted: [Bool] = []
        var colons = 0
        for (i, c) in pattern.enumerated() {
            let inSegment = isARN && colons < 5
            if c == ":" { colons += 1 }
            let endsSegment = i + 1 == pattern.count || pattern[i + 1] == ":"
            restricted.append(inSegment && !(c == "*" && endsSegment))
        }
        var memo: [Int: Bool] = [:]
        func eq(_ a: Character, _ b: Character) -> Bool { caseInsensitive ? a.lowercased() == b.lowercased() : a == b }
        func go(_ p: Int, _ s: Int) -> Bool {
            if let m = memo[p * 10_000 + s] { return m }
            let r: Bool
            if p == pattern.count {
                r = s == input.count
            } else if pattern[p] == "*" {
                r = go(p + 1, s) || (s < input.count && !(restricted[p] && input[s] == ":") && go(p, s + 1))
            } else if s == input.count {
                r = false
            } else if pattern[p] == "?" {
                r = !(restricted[p] && input[s] == ":") && go(p + 1, s + 1)
            } else {
                r = eq(pattern[p], input[s]) && go(p + 1, s + 1)
            }
            memo[p * 10_000 + s] = r
            return r
        }
        return go(0, 0)
    }

    @Test(arguments: [false, true])
    func randomPatternsAgreeWithTheReference(_ arn: Bool) {
        var rng = SplitMix(seed: arn ? 7 : 11)
        let alphabet: [Character] = ["a", "b", "A", ":", "é", "/"]
        let patternAlphabet: [Character] = alphabet + ["*", "?", "*"]
        for _ in 0..<4_000 {
            var pattern = Array((0..<rng.next(8)).map { _ in patternAlphabet[rng.next(patternAlphabet.count)] })
            if arn && rng.next(2) == 0 { pattern = Array("arn:") + pattern + Array(":a:b:") + pattern }
            var input = Array((0..<rng.next(10)).map { _ in alphabet[rng.next(alphabet.count)] })
            if arn && rng.next(2) == 0 { input = Array("arn:") + input + Array(":a:b:") + input }
            let ci = !arn && rng.next(2) == 0
            let glob = arn
                ? Glob(resource: String(pattern))
                : Glob(String(pattern), caseInsensitive: ci)
            let expected = Self.reference(pattern, input, arn: arn, caseInsensitive: ci)
            #expect(glob.matches(String(input)) == expected, "\(String(pattern)) ~ \(String(input)) ci=\(ci)")
            // And the same pattern as it lives in a compiled policy's arena.
            let program = MatcherProgramProbe(glob)
            #expect(program.matches(String(input)) == expected, "program: \(String(pattern)) ~ \(String(input))")
        }
    }

    @Test func shapes() {
        #expect(Glob("*").kind == .any)
        #expect(Glob("abc").kind == .exact)
        #expect(Glob("abc*").kind == .prefix)
        #expect(Glob("*abc").kind == .suffix)
        #expect(Glob("*abc*").kind == .contains)
        #expect(Glob("a*b*c").kind == .segments)
        #expect(Glob("a?c*").kind == .scalarSegments)
        #expect(Glob(resource: "arn:aws:s3:::b/*").kind == .prefix)
        #expect(Glob(resource: "arn:aws:ec2:us-*-1:1:instance/*").kind == .automaton)
        #expect(Glob(String(repeating: "*", count: 10_000)).kind == .any)
        #expect(Glob(String(repeating: "*", count: 10_000)).tokens.count == 1)
    }
}

/// A one-statement policy around one resource pattern, to test the arena form of a pattern.
struct MatcherProgramProbe {
    let program: MatcherProgram

    init(_ glob: Glob) {
        let statement = CompiledStatement(
            sid: nil, index: 0, effect: .allow, actions: [ActionPattern("*")], notAction: false, resources: [.glob(glob)], notResource: false,
            principals: nil, notPrincipal: false, conditions: [], start: SourcePosition(line: 1, column: 1), end: SourcePosition(line: 1, column: 1),
            contextKeys: []
        )
        program = MatcherProgram([statement])
    }

    func matches(_ input: String) -> Bool {
        var s = input
        return s.withUTF8 { program.matchesResource(program.statements[0], $0) }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(max(bound, 1)))
    }
}
