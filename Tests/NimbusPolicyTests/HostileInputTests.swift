//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

/// Input built to hurt: deep nesting, huge documents, invalid UTF-8, pathological wildcards.
/// None may crash, hang or take more than linear-ish time.
@Suite struct HostileInputTests {
    /// Fails the test when `body` takes absurdly long (an exponential matcher would take hours).
    func bounded<T>(_ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        let result = try body()
        #expect(ContinuousClock.now - start < .seconds(20))
        return result
    }

    @Test(arguments: [10, 33, 1_000, 100_000])
    func deepArrays(_ depth: Int) {
        let json = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: PolicyError.malformed) { try PolicyDocument.parse(json, kind: .resourcePolicy) }
    }

    @Test func deepObjectsInsideACondition() {
        let nested = String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000)
        let json = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":"# + nested + "}]}"
        #expect(throws: PolicyError.malformed) { try PolicyDocument.parse(json, kind: .inlineIdentity) }
    }

    @Test func unterminatedEverything() {
        for json in [#"{"Version":"2012-10-17""#, #"{"Version":"#, #"{"Statement":[{"Effect":"Allow""#, "\"", "{\"a\":\"\\", "[1,", "-", "1e", "tru", "nul"] {
            #expect(throws: PolicyError.malformed) { try PolicyDocument.parse(json, kind: .identity) }
        }
    }

    @Test func hugeDocument() {
        let statement = #"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}"#
        let json = #"{"Version":"2012-10-17","Statement":["# + Array(repeating: statement, count: 20_000).joined(separator: ",") + "]}"
        #expect(json.utf8.count > 1 << 20)
        // Over the absolute ceiling: refused before parsing, for every kind.
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(json, kind: .resourcePolicy) }
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(json, kind: .identity) }
    }

    @Test func manyStatementsStillEvaluate() throws {
        let statements = (0..<3_000).map { #"{"Sid":"S\#($0)","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k\#($0)"}"# }
        let json = #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}"
        let policy = try PolicyDocument.parse(json, kind: .resourcePolicy)
        let request = EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/k2999", principal: .anonymous)
        #expect(bounded { decide(request, PolicySet(resource: policy)) } == .allow)
    }

    @Test func invalidUTF8() {
        let prefix = Array(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/"#.utf8)
        let suffix = Array(#""}]}"#.utf8)
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
            #expect(throws: PolicyError.malformed) { try PolicyDocument.parse(bytes: prefix + bad + suffix, kind: .identity) }
            #expect(throws: PolicyError.malformed) { try PolicyDocument.parse(bytes: prefix + bad + suffix, kind: .resourcePolicy) }
        }
        #expect(throws: Never.self) { try PolicyDocument.parse(bytes: prefix + Array("é".utf8) + suffix, kind: .identity) }
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(bytes: [UInt8](repeating: 0x20, count: (1 << 20) + 1), kind: .identity) }
    }

    @Test func nulAndControlCharacters() {
        for raw in ["\u{0}", "\u{7}", "\u{1B}"] {
            let json = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/"# + raw + #""}]}"#
            #expect(throws: PolicyError.malformed) { try PolicyDocument.parse(json, kind: .identity) }
        }
    }

    @Test func absurdActionWildcards() throws {
        let stars = String(repeating: "*", count: 5_000)
        let policy = try PolicyDocument.parse(doc(allow("s3:\(stars)x")), kind: .identity)
        let miss = EvaluationRequest(action: "s3:" + String(repeating: "a", count: 100_000), resource: "*", principal: bob)
        let hit = EvaluationRequest(action: "s3:" + String(repeating: "a", count: 100_000) + "x", resource: "*", principal: bob)
        #expect(bounded { decide(miss, PolicySet(identity: [policy])) } == .implicitDeny(.identity))
        #expect(bounded { decide(hit, PolicySet(identity: [policy])) } == .allow)
    }

    @Test func alternatingStarsAndLetters() throws {
        // The classic exponential case for backtracking matchers.
        let pattern = String(repeating: "*a", count: 1_000) + "b"
        let policy = try PolicyDocument.parse(doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/\(pattern)"])), kind: .inlineIdentity)
        let request = EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::bucket/" + String(repeating: "a", count: 50_000), principal: bob)
        #expect(bounded { decide(request, PolicySet(identity: [policy])) } == .implicitDeny(.identity))
        let match = EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::bucket/" + String(repeating: "a", count: 5_000) + "b", principal: bob)
        #expect(bounded { decide(match, PolicySet(identity: [policy])) } == .allow)
    }

    @Test func questionMarksAndStars() throws {
        let pattern = String(repeating: "?*", count: 1_000) + "z"
        let policy = try PolicyDocument.parse(doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/\(pattern)"])), kind: .inlineIdentity)
        let request = EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::bucket/" + String(repeating: "a", count: 20_000), principal: bob)
        #expect(bounded { decide(request, PolicySet(identity: [policy])) } == .implicitDeny(.identity))
    }

    @Test func segmentWildcardsAgainstManyColons() throws {
        let policy = try PolicyDocument.parse(doc(allow("s3:GetObject", on: ["arn:a*a:s*?*?*3:r*g:1*1:x*y"])), kind: .inlineIdentity)
        let resource = "arn:" + String(repeating: "a:", count: 20_000) + "y"
        let request = EvaluationRequest(action: "s3:GetObject", resource: resource, principal: bob)
        #expect(bounded { decide(request, PolicySet(identity: [policy])) } == .implicitDeny(.identity))
    }

    @Test func pathologicalStringLike() throws {
        let pattern = String(repeating: "*a", count: 2_000) + "?b"
        let block = #"{"StringLike":{"s3:prefix":""# + pattern + #""}}"#
        let policy = try PolicyDocument.parse(doc(allow("s3:ListBucket", when: block)), kind: .inlineIdentity)
        var context = ConditionContext()
        context.set("s3:prefix", String(repeating: "a", count: 30_000))
        let request = EvaluationRequest(action: "s3:ListBucket", resource: "*", principal: bob, context: context)
        #expect(bounded { decide(request, PolicySet(identity: [policy])) } == .implicitDeny(.identity))
    }

    @Test func hostileContextValues() throws {
        let policy = try PolicyDocument.parse(
            doc(allow("s3:*", when: #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"NumericLessThan":{"s3:max-keys":10}}"#)),
            kind: .identity
        )
        let values = ["", ":", "::::::::::::", "1.2.3.4.5", "999.1.1.1", "1:2:3:4:5:6:7:8:9", "::ffff:10.0.0.1x", "nan", "inf", "-0",
                      "9999-99-99", "2026-13-01T00:00:00Z", String(repeating: "9", count: 10_000), "\u{0}", "😀"]
        for v in values {
            var context = ConditionContext()
            context.set("aws:SourceIp", v)
            context.set("aws:CurrentTime", v)
            context.set("s3:max-keys", v)
            let request = EvaluationRequest(action: "s3:GetObject", resource: "*", principal: bob, context: context)
            #expect(decide(request, PolicySet(identity: [policy])) == .implicitDeny(.identity), "\(v)")
        }
    }

    @Test func hostileVariables() throws {
        let resources = ["arn:aws:s3:::b/${", "arn:aws:s3:::b/${}", "arn:aws:s3:::b/${aws:username", "arn:aws:s3:::b/${aws:username,}", "arn:aws:s3:::b/${aws:username, 'unterminated}",
                         "arn:aws:s3:::b/${${aws:username}}", "arn:aws:s3:::b/" + String(repeating: "${*}", count: 1_000)]
        for r in resources {
            let policy = try PolicyDocument.parse(doc(allow("s3:GetObject", on: [r])), kind: .inlineIdentity)
            let request = EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/x", principal: bob)
            #expect(decide(request, PolicySet(identity: [policy])) == .implicitDeny(.identity), "\(r)")
        }
    }
}
