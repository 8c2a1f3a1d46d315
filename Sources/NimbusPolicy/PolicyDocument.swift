//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

/// Parses and validates IAM policy documents.
///
/// ```swift
/// let policy = try PolicyDocument.parse(json, kind: .identity, id: "arn:aws:iam::111122223333:policy/ReadOnly")
/// let evaluation = evaluate(request, PolicySet(identity: [policy]))
/// ```
public enum PolicyDocument {
    /// Parses, validates and compiles a policy document.
    /// - Throws: `PolicyError` with IAM's `MalformedPolicyDocument` or `LimitExceeded` message.
    public static func parse(_ json: String, kind: PolicyKind, id: String = "") throws(PolicyError) -> CompiledPolicy {
        var text = json
        let result = text.withUTF8 { buf in
            Result { () throws(PolicyError) -> CompiledPolicy in try parse(utf8: buf, kind: kind, id: id) }
        }
        return try result.get()
    }

    /// Parses a document from raw bytes, which must be valid UTF-8.
    public static func parse(bytes: [UInt8], kind: PolicyKind, id: String = "") throws(PolicyError) -> CompiledPolicy {
        guard bytes.count <= PolicyLimits.absoluteMaximumBytes else {
            throw .quotaExceeded(kind.quotaName, limit: kind.sizeLimit ?? PolicyLimits.absoluteMaximumBytes)
        }
        guard String(validatingUTF8Bytes: bytes) != nil else { throw .syntax }
        let result = bytes.withUnsafeBufferPointer { buf in
            Result { () throws(PolicyError) -> CompiledPolicy in try parse(utf8: buf, kind: kind, id: id) }
        }
        return try result.get()
    }

    /// Validates a document without keeping the compiled form.
    public static func validate(_ json: String, kind: PolicyKind) throws(PolicyError) {
        _ = try parse(json, kind: kind)
    }

    static func parse(utf8 buf: UnsafeBufferPointer<UInt8>, kind: PolicyKind, id: String) throws(PolicyError) -> CompiledPolicy {
        guard buf.count <= PolicyLimits.absoluteMaximumBytes else {
            throw .quotaExceeded(kind.quotaName, limit: kind.sizeLimit ?? PolicyLimits.absoluteMaximumBytes)
        }
        if let limit = kind.sizeLimit {
            var size = 0
            var i = 0
            while i < buf.count {
                let b = buf[i]
                if !(b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D) && b & 0xC0 != 0x80 { size += 1 }
                i += 1
            }
            if size > limit { throw .quotaExceeded(kind.quotaName, limit: limit) }
        }
        if kind.isIAMValidated {
            // IAM documents may hold only tab, line feed, carriage return and U+0020 … U+00FF.
            var i = 0
            while i < buf.count {
                let scalar = Glob.decodeScalar(buf, &i)
                if scalar < 0x20 && scalar != 0x09 && scalar != 0x0A && scalar != 0x0D || scalar > 0xFF { throw .syntax }
            }
        }
        let root: JSONNode
        do {
            root = try PolicyJSONParser.parse(buf)
        } catch {
            throw .syntax
        }
        var compiler = Compiler(kind: kind, lines: LineTable(Array(buf)))
        return try compiler.compile(root, id: id)
    }
}

private struct Compiler {
    let kind: PolicyKind
    let lines: LineTable
    var version: PolicyVersion = .v2008_10_17
    var sids: Set<String> = []

    init(kind: PolicyKind, lines: LineTable) {
        self.kind = kind
        self.lines = lines
    }

    mutating func compile(_ root: JSONNode, id: String) throws(PolicyError) -> CompiledPolicy {
        guard case .object(let members, _, _) = root else { throw .syntax }
        var documentID: String?
        var statementNode: JSONNode?
        for (key, value) in members {
            switch key {
            case "Version":
                guard case .string(let v) = value else { throw .syntax }
                guard let parsed = PolicyVersion(rawValue: v) else { throw .legacyParsing }
                version = parsed
            case "Id":
                guard case .string(let v) = value else { throw .syntax }
                documentID = v
            case "Statement":
                statementNode = value
            default:
                throw .syntax
            }
        }
        guard let statementNode else { throw .missingField("Statement") }
        var statementNodes: [JSONNode]
        switch statementNode {
        case .object: statementNodes = [statementNode]
        case .array(let items): statementNodes = items
        default: throw .syntax
        }
        var statements: [CompiledStatement] = []
        statements.reserveCapacity(statementNodes.count)
        for (i, node) in statementNodes.enumerated() {
            statements.append(try compileStatement(node, index: i))
        }
        // Statements were compiled with byte offsets; turn them into lines and columns in one pass.
        let positions = lines.positions(of: statements.flatMap { [$0.start.column, $0.end.column] })
        statements = statements.enumerated().map { i, s in s.at(start: positions[2 * i], end: positions[2 * i + 1]) }
        return CompiledPolicy(id: id, kind: kind, version: version, documentID: documentID, statements: statements)
    }

    private var variables: Bool { version == .v2012_10_17 }

    private func strings(_ node: JSONNode) throws(PolicyError) -> [String] {
        switch node {
        case .string(let s): return [s]
        case .array(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw .syntax }
                out.append(s)
            }
            return out
        default: throw .syntax
        }
    }

    private mutating func compileStatement(_ node: JSONNode, index: Int) throws(PolicyError) -> CompiledStatement {
        guard case .object(let members, let startOffset, let endOffset) = node else { throw .syntax }
        var sid: String?
        var effect: PolicyEffect?
        var actionNode: (JSONNode, Bool)?
        var resourceNode: (JSONNode, Bool)?
        var principalNode: (JSONNode, Bool)?
        var conditionNode: JSONNode?
        for (key, value) in members {
            switch key {
            case "Sid":
                guard case .string(let s) = value else { throw .syntax }
                sid = s
            case "Effect":
                guard case .string(let e) = value else { throw .syntax }
                guard let parsed = PolicyEffect(rawValue: e) else { throw .invalidEffect(e) }
                effect = parsed
            case "Action", "NotAction":
                if actionNode != nil { throw .syntax }
                actionNode = (value, key == "NotAction")
            case "Resource", "NotResource":
                if resourceNode != nil { throw .syntax }
                resourceNode = (value, key == "NotResource")
            case "Principal", "NotPrincipal":
                if principalNode != nil { throw .syntax }
                principalNode = (value, key == "NotPrincipal")
            case "Condition":
                conditionNode = value
            default:
                throw .syntax
            }
        }
        if let sid, kind.isIAMValidated {
            guard sid.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
                throw .sidNotAlphanumeric
            }
        }
        if let sid, !sid.isEmpty, kind.isIAMValidated {
            guard sids.insert(sid).inserted else { throw .sidNotUnique }
        }
        // Principal rules first: they are what IAM reports for a document of the wrong kind.
        if principalNode != nil, kind.forbidsPrincipal {
            throw kind.role == .serviceControl ? .prohibitedField(principalNode!.1 ? "NotPrincipal" : "Principal") : .shouldNotSpecifyPrincipal
        }
        if principalNode == nil, !kind.forbidsPrincipal { throw .missingField("Principal") }
        if kind.role == .trust, let (_, not) = resourceNode { throw .prohibitedField(not ? "NotResource" : "Resource") }
        guard let effect else { throw .missingField("Effect") }

        // Actions.
        guard let (actionValue, notAction) = actionNode else { throw .mustContainActions }
        let actionStrings = try strings(actionValue)
        if actionStrings.isEmpty { throw .mustContainActions }
        var actions: [ActionPattern] = []
        for a in actionStrings {
            try validateAction(a)
            actions.append(ActionPattern(a))
        }

        // Resources.
        var resources: [ResourcePattern]?
        var notResource = false
        if let (resourceValue, not) = resourceNode {
            let list = try strings(resourceValue)
            if list.isEmpty { throw .mustContainResources }
            notResource = not
            var compiled: [ResourcePattern] = []
            for r in list {
                try validateResource(r)
                if variables, let t = Template.parse(r) {
                    compiled.append(.template(t))
                } else {
                    compiled.append(.glob(Glob(resource: r)))
                }
            }
            resources = compiled
        } else if kind.role != .trust {
            throw .mustContainResources
        }

        // Principals.
        var principals: [PrincipalPattern]?
        var notPrincipal = false
        if let (value, not) = principalNode {
            principals = try compilePrincipal(value)
            notPrincipal = not
        }

        // Conditions.
        var conditions: [CompiledCondition] = []
        if let conditionNode {
            guard case .object(let operators, _, _) = conditionNode else { throw .syntax }
            for (opName, block) in operators {
                guard let op = ConditionOperator(opName) else { throw .invalidConditionType(opName) }
                guard case .object(let keys, _, _) = block else { throw .syntax }
                for (key, valueNode) in keys {
                    try validateConditionKey(key)
                    var raw: [String] = []
                    switch valueNode {
                    case .array(let items):
                        for item in items { raw.append(try scalarText(item)) }
                    default:
                        raw.append(try scalarText(valueNode))
                    }
                    conditions.append(CompiledCondition(op: op, key: key, rawValues: raw, variables: variables))
                }
            }
        }

        var keys: [String] = []
        var seen: Set<String> = []
        func note(_ k: String) {
            if seen.insert(k.lowercased()).inserted { keys.append(k) }
        }
        for c in conditions {
            note(c.key)
            for v in c.values { if case .template(let t) = v { t.variableNames.forEach(note) } }
        }
        for r in resources ?? [] { if case .template(let t) = r { t.variableNames.forEach(note) } }

        return CompiledStatement(
            sid: sid,
            index: index,
            effect: effect,
            actions: actions,
            notAction: notAction,
            resources: resources,
            notResource: notResource,
            principals: principals,
            notPrincipal: notPrincipal,
            conditions: conditions,
            start: SourcePosition(line: 0, column: startOffset),
            end: SourcePosition(line: 0, column: max(startOffset, endOffset - 1)),
            contextKeys: keys
        )
    }

    private func scalarText(_ node: JSONNode) throws(PolicyError) -> String {
        switch node {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: throw .syntax
        }
    }

    private func validateAction(_ action: String) throws(PolicyError) {
        if action == "*" { return }
        let colons = action.utf8.lazy.filter { $0 == UInt8(ascii: ":") }.count
        if colons == 0 {
            throw kind.role == .resource ? .malformed("Policy has invalid action") : .vendorPrefix
        }
        if colons > 1 { throw kind.role == .resource ? .malformed("Policy has invalid action") : .oneColon }
        let vendor = action.prefix { $0 != ":" }
        if vendor.isEmpty { throw kind.role == .resource ? .malformed("Policy has invalid action") : .vendorPrefix }
        if vendor.contains("*") || vendor.contains("?") {
            throw kind.role == .resource ? .malformed("Policy has invalid action") : .vendorWildcard
        }
        if kind.role == .trust, vendor.lowercased() != "sts" {
            throw .malformed("AssumeRole policy may only specify STS AssumeRole actions.")
        }
    }

    private func validateResource(_ resource: String) throws(PolicyError) {
        if resource == "*" { return }
        let valid = resource.hasPrefix("arn:") && resource.utf8.lazy.filter { $0 == UInt8(ascii: ":") }.count >= 5
            && resource.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).dropFirst().prefix(2).allSatisfy { !$0.isEmpty }
        if valid { return }
        if kind.role == .resource { throw .malformed("Policy has invalid resource") }
        throw version == .v2008_10_17 ? .legacyParsing : .invalidResource(resource)
    }

    private func validateConditionKey(_ key: String) throws(PolicyError) {
        guard let colon = key.firstIndex(of: ":"), colon != key.startIndex, key.index(after: colon) != key.endIndex else {
            throw kind.role == .resource ? .malformed("Policy has an invalid condition key") : .vendorPrefix
        }
    }

    private func compilePrincipal(_ node: JSONNode) throws(PolicyError) -> [PrincipalPattern] {
        switch node {
        case .string(let s):
            guard s == "*" else { throw .malformed("Invalid principal in policy") }
            return [.everyone]
        case .object(let members, _, _):
            guard !members.isEmpty else { throw .malformed("Invalid principal in policy") }
            var out: [PrincipalPattern] = []
            for (type, value) in members {
                let list: [String]
                do {
                    list = try strings(value)
                } catch {
                    throw .malformed("Invalid principal in policy")
                }
                if list.isEmpty { throw .malformed("Invalid principal in policy") }
                for entry in list { out.append(try principalPattern(type, entry)) }
            }
            return out
        default:
            throw .malformed("Invalid principal in policy")
        }
    }

    private func principalPattern(_ type: String, _ value: String) throws(PolicyError) -> PrincipalPattern {
        let invalid = PolicyError.invalidPrincipal(type, value)
        switch type {
        case "AWS":
            if value == "*" { return .everyone }
            if Identifiers.isAccountID(value) { return .account(value) }
            if value.contains("*") || value.contains("?") { throw invalid }
            if value.hasPrefix("arn:") {
                guard let arn = ParsedARN(value), Identifiers.isAccountID(arn.account) else { throw invalid }
                switch arn.service {
                case "iam":
                    if arn.resource == "root" { return .account(String(arn.account)) }
                    if arn.resource.hasPrefix("user/"), arn.resource.count > 5 { return .user(value) }
                    if arn.resource.hasPrefix("role/"), arn.resource.count > 5 { return .role(value) }
                    throw invalid
                case "sts":
                    let parts = arn.resource.split(separator: "/", omittingEmptySubsequences: false)
                    if parts.first == "assumed-role", parts.count >= 3, parts.allSatisfy({ !$0.isEmpty }) { return .session(value) }
                    if parts.first == "federated-user", parts.count == 2, !parts[1].isEmpty { return .session(value) }
                    throw invalid
                default:
                    throw invalid
                }
            }
            if value.utf8.count == 21, value.hasPrefix("A"), value.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }) {
                return .uniqueID(value)
            }
            throw invalid
        case "Service":
            guard !value.isEmpty, !value.contains("*"), !value.contains("?"), !value.contains(" ") else { throw invalid }
            return .service(value)
        case "Federated":
            guard !value.isEmpty, !value.contains("*"), !value.contains("?"), !value.contains(" ") else { throw invalid }
            return .federated(value)
        case "CanonicalUser":
            guard value.utf8.count == 64, value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw invalid
            }
            return .canonicalUser(value)
        default:
            throw .malformed("Invalid principal in policy")
        }
    }
}

/// An ARN split at its first five colons.
struct ParsedARN {
    var partition: Substring
    var service: Substring
    var region: Substring
    var account: Substring
    var resource: Substring

    init?(_ s: String) {
        let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        partition = parts[1]
        service = parts[2]
        region = parts[3]
        account = parts[4]
        resource = parts[5]
    }
}
