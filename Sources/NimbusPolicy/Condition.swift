//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// A condition operator: its family, whether it is negated, `…IfExists` and the set qualifier.
struct ConditionOperator: Sendable, Hashable {
    enum Family: Sendable, Hashable {
        case stringEquals
        case stringEqualsIgnoreCase
        case stringLike
        case numeric(Comparison)
        case date(Comparison)
        case bool
        case binaryEquals
        case ipAddress
        case arn
        case null
    }

    enum Comparison: Sendable, Hashable {
        case equals, lessThan, lessThanEquals, greaterThan, greaterThanEquals
    }

    enum Qualifier: Sendable, Hashable {
        case none, forAllValues, forAnyValue
    }

    var family: Family
    var negated: Bool
    var ifExists: Bool
    var qualifier: Qualifier
    /// As written in the policy.
    var name: String

    private static let bases: [String: (Family, Bool)] = [
        "StringEquals": (.stringEquals, false), "StringNotEquals": (.stringEquals, true),
        "StringEqualsIgnoreCase": (.stringEqualsIgnoreCase, false), "StringNotEqualsIgnoreCase": (.stringEqualsIgnoreCase, true),
        "StringLike": (.stringLike, false), "StringNotLike": (.stringLike, true),
        "NumericEquals": (.numeric(.equals), false), "NumericNotEquals": (.numeric(.equals), true),
        "NumericLessThan": (.numeric(.lessThan), false), "NumericLessThanEquals": (.numeric(.lessThanEquals), false),
        "NumericGreaterThan": (.numeric(.greaterThan), false), "NumericGreaterThanEquals": (.numeric(.greaterThanEquals), false),
        "DateEquals": (.date(.equals), false), "DateNotEquals": (.date(.equals), true),
        "DateLessThan": (.date(.lessThan), false), "DateLessThanEquals": (.date(.lessThanEquals), false),
        "DateGreaterThan": (.date(.greaterThan), false), "DateGreaterThanEquals": (.date(.greaterThanEquals), false),
        "Bool": (.bool, false),
        "BinaryEquals": (.binaryEquals, false),
        "IpAddress": (.ipAddress, false), "NotIpAddress": (.ipAddress, true),
        "ArnEquals": (.arn, false), "ArnLike": (.arn, false), "ArnNotEquals": (.arn, true), "ArnNotLike": (.arn, true),
        "Null": (.null, false),
    ]

    init?(_ text: String) {
        name = text
        var rest = Substring(text)
        qualifier = .none
        if rest.hasPrefix("ForAllValues:") {
            qualifier = .forAllValues
            rest = rest.dropFirst("ForAllValues:".count)
        } else if rest.hasPrefix("ForAnyValue:") {
            qualifier = .forAnyValue
            rest = rest.dropFirst("ForAnyValue:".count)
        }
        ifExists = false
        if rest.hasSuffix("IfExists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        guard let (family, negated) = Self.bases[String(rest)] else { return nil }
        if family == .null && (ifExists || qualifier != .none) { return nil }
        self.family = family
        self.negated = negated
    }
}

/// One key of one operator of a `Condition` block, compiled.
final class CompiledCondition: Sendable {
    enum Value: Sendable {
        case text(String)
        case glob(Glob)
        case number(Double?)
        case date(Double?)
        case cidr(CIDR?)
        /// An ARN pattern: the six colon-separated parts, each a pattern of its own.
        case arn([Glob])
        /// Holds policy variables; compiled after substitution.
        case template(Template)
    }

    let op: ConditionOperator
    /// The key as written, and lowercased for lookups.
    let key: String
    let lookupKey: LookupKey
    let values: [Value]
    let hasTemplates: Bool

    init(op: ConditionOperator, key: String, rawValues: [String], variables: Bool) {
        self.op = op
        self.key = key
        self.lookupKey = LookupKey(key)
        self.values = rawValues.map { raw in
            if variables, let t = Template.parse(raw) { return .template(t) }
            return CompiledCondition.compile(raw, op.family)
        }
        self.hasTemplates = values.contains { if case .template = $0 { return true } else { return false } }
    }

    static func compile(_ raw: String, _ family: ConditionOperator.Family) -> Value {
        switch family {
        case .stringEquals, .binaryEquals, .null: .text(raw)
        case .stringEqualsIgnoreCase, .bool: .text(raw.lowercased())
        case .stringLike: .glob(Glob(raw))
        case .numeric: .number(Double(raw))
        case .date: .date(PolicyDate.parse(raw))
        case .ipAddress: .cidr(CIDR(raw))
        case .arn: .arn(arnParts(raw.unicodeScalars.map { Glob.Character(scalar: $0, literal: false) }))
        }
    }

    static func compile(_ chars: [Glob.Character], _ family: ConditionOperator.Family) -> Value {
        switch family {
        case .stringLike: return .glob(Glob(characters: chars, arnAware: false, caseInsensitive: false))
        case .arn: return .arn(arnParts(chars))
        default:
            var s = ""
            s.unicodeScalars.append(contentsOf: chars.map(\.scalar))
            return compile(s, family)
        }
    }

    /// Splits an ARN pattern into its six parts; a pattern with fewer parts is one part.
    static func arnParts(_ chars: [Glob.Character]) -> [Glob] {
        var parts: [[Glob.Character]] = [[]]
        for c in chars {
            if c.scalar == ":", parts.count < 6 {
                parts.append([])
            } else {
                parts[parts.count - 1].append(c)
            }
        }
        if parts.count < 6 { return [Glob(characters: chars, arnAware: false, caseInsensitive: false)] }
        return parts.map { Glob(characters: $0, arnAware: false, caseInsensitive: false) }
    }

    /// Whether the condition holds. `missing` collects the key when the request lacks it.
    func evaluate(_ request: EvaluationRequest, missing: inout [String]?) -> Bool {
        let contextValues = request.values(lookupKey)
        if op.family == .null {
            let absent = contextValues.isEmpty
            if absent { missing?.append(key) }
            return values.contains { value in
                guard case .text(let t) = value else { return false }
                return t.lowercased() == "true" ? absent : t.lowercased() == "false" ? !absent : false
            }
        }
        if contextValues.isEmpty {
            missing?.append(key)
            if op.ifExists { return true }
            switch op.qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case .none: return op.negated
            }
        }
        // Values with variables are resolved per request; the rest were compiled once.
        var resolved: [Value]? = nil
        if hasTemplates {
            let r = values.compactMap { v -> Value? in
                guard case .template(let t) = v else { return v }
                guard let chars = t.resolveCharacters(request) else { return nil }
                return CompiledCondition.compile(chars, op.family)
            }
            // A variable without a value (and no default) makes the condition false.
            if r.count < values.count { return false }
            resolved = r
        }
        let policyValues = resolved ?? values
        let negated = op.negated
        switch op.qualifier {
        case .none:
            let hit = contextValues.contains { c in matchesAny(c, policyValues) }
            return negated ? !hit : hit
        case .forAnyValue:
            return contextValues.contains { c in matchesAny(c, policyValues) != negated }
        case .forAllValues:
            return contextValues.allSatisfy { c in matchesAny(c, policyValues) != negated }
        }
    }

    /// Whether one context value matches at least one policy value (the operator's positive sense).
    @inline(__always)
    private func matchesAny(_ context: String, _ policyValues: [Value]) -> Bool {
        switch op.family {
        case .stringEquals, .binaryEquals:
            return policyValues.contains { if case .text(let t) = $0 { return t == context } else { return false } }
        case .bool:
            guard let b = Self.parseBool(context) else { return false }
            return policyValues.contains { if case .text(let t) = $0 { return t == (b ? "true" : "false") } else { return false } }
        case .stringEqualsIgnoreCase:
            return policyValues.contains { if case .text(let t) = $0 { return equalsFolded(t, context) } else { return false } }
        case .stringLike:
            var c = context
            return c.withUTF8 { buf in
                policyValues.contains { if case .glob(let g) = $0 { return g.matches(buf) } else { return false } }
            }
        case .numeric(let comparison):
            guard let n = Double(context) else { return false }
            return policyValues.contains { if case .number(let p?) = $0 { return compare(n, p, comparison) } else { return false } }
        case .date(let comparison):
            guard let d = PolicyDate.parse(context) else { return false }
            return policyValues.contains { if case .date(let p?) = $0 { return compare(d, p, comparison) } else { return false } }
        case .ipAddress:
            guard let ip = IPAddress(context) else { return false }
            return policyValues.contains { if case .cidr(let c?) = $0 { return c.contains(ip) } else { return false } }
        case .arn:
            return policyValues.contains { if case .arn(let parts) = $0 { return matchARN(context, parts) } else { return false } }
        case .null:
            return false
        }
    }

    /// `true` or `false` in any case, without allocating.
    @inline(__always)
    static func parseBool(_ s: String) -> Bool? {
        var word: UInt64 = 0
        var count = 0
        for b in s.utf8 {
            count += 1
            if count > 5 { return nil }
            word = word << 8 | UInt64(Glob.fold(b))
        }
        if count == 4 && word == 0x7472_7565 { return true }  // "true"
        if count == 5 && word == 0x66_616C_7365 { return false }  // "false"
        return nil
    }

    /// `folded` (already lowercased) equals `value` ignoring case, without allocating for ASCII.
    @inline(__always)
    private func equalsFolded(_ folded: String, _ value: String) -> Bool {
        var f = folded
        var v = value
        let ascii: Bool? = f.withUTF8 { fb in
            v.withUTF8 { vb in
                if fb.count != vb.count { return nil }
                for i in 0..<fb.count {
                    if fb[i] >= 0x80 || vb[i] >= 0x80 { return nil }
                    if fb[i] != Glob.fold(vb[i]) { return false }
                }
                return true
            }
        }
        return ascii ?? (folded == value.lowercased())
    }

    @inline(__always)
    private func compare(_ a: Double, _ b: Double, _ c: ConditionOperator.Comparison) -> Bool {
        switch c {
        case .equals: a == b
        case .lessThan: a < b
        case .lessThanEquals: a <= b
        case .greaterThan: a > b
        case .greaterThanEquals: a >= b
        }
    }

    private func matchARN(_ value: String, _ parts: [Glob]) -> Bool {
        if parts.count == 1 { return parts[0].matches(value) }
        let pieces = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard pieces.count == 6 else { return false }
        for i in 0..<6 where !parts[i].matches(String(pieces[i])) { return false }
        return true
    }
}
