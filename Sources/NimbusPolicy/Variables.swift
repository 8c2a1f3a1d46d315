//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

extension EvaluationRequest {
    /// A key's values: the principal's for the keys it defines (`aws:username` …, which a request
    /// cannot forge), else the request's.
    @inline(__always)
    func values(_ key: LookupKey) -> ContextValues {
        if key.isPrincipalKey {
            guard let value = principal.value(forLowercasedKey: key.lowercased) else { return .none }
            return .one(value)
        }
        if let values = context.values(for: key) {
            return values.count == 1 ? .one(values[0]) : .many(values)
        }
        return .none
    }
}

/// A key's values without allocating for the common single value.
enum ContextValues {
    case none
    case one(String)
    case many([String])

    var isEmpty: Bool {
        switch self {
        case .none: true
        case .one: false
        case .many(let v): v.isEmpty
        }
    }

    /// The only value, when there is exactly one (variables need that).
    var single: String? {
        switch self {
        case .none: nil
        case .one(let v): v
        case .many(let v): v.count == 1 ? v[0] : nil
        }
    }

    @inline(__always)
    func contains(where predicate: (String) -> Bool) -> Bool {
        switch self {
        case .none: false
        case .one(let v): predicate(v)
        case .many(let vs): vs.contains(where: predicate)
        }
    }

    @inline(__always)
    func allSatisfy(_ predicate: (String) -> Bool) -> Bool {
        switch self {
        case .none: true
        case .one(let v): predicate(v)
        case .many(let vs): vs.allSatisfy(predicate)
        }
    }
}

/// A string with policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`.
///
/// Variables are only recognised in version 2012-10-17 documents. A variable's value is always literal:
/// a `*` in a user name is not a wildcard. Use `${*}`, `${?}` and `${$}` for literal `*`, `?`, `$`.
struct Template: Sendable {
    enum Part: Sendable {
        case text(String)
        case literal(Unicode.Scalar)
        case variable(key: LookupKey, name: String, defaultValue: String?)
    }

    let parts: [Part]

    /// Nil when the text has no variables or escapes (then it is used as it is).
    static func parse(_ text: String) -> Template? {
        guard text.contains("${") else { return nil }
        var parts: [Part] = []
        var pending = ""
        var rest = Substring(text)
        var found = false
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            let inner = rest[open.upperBound..<close].trimmingSpaces
            let part: Part?
            switch inner {
            case "*": part = .literal("*")
            case "?": part = .literal("?")
            case "$": part = .literal("$")
            default:
                var name = inner
                var defaultValue: String?
                if let comma = inner.firstIndex(of: ",") {
                    name = inner[..<comma].trimmingSpaces
                    let d = inner[inner.index(after: comma)...].trimmingSpaces
                    if d.count >= 2, d.first == "'", d.last == "'" {
                        defaultValue = String(d.dropFirst().dropLast())
                    } else {
                        name = ""
                    }
                }
                // A variable names a context key: "vendor:name".
                if let colon = name.firstIndex(of: ":"), colon != name.startIndex, name.index(after: colon) != name.endIndex,
                    !name.contains(where: { $0 == "$" || $0 == "{" || $0 == "}" || $0 == " " })
                {
                    part = .variable(key: LookupKey(String(name)), name: String(name), defaultValue: defaultValue)
                } else {
                    part = nil
                }
            }
            if let part {
                pending += rest[..<open.lowerBound]
                if !pending.isEmpty { parts.append(.text(pending)) }
                pending = ""
                parts.append(part)
                found = true
            } else {
                pending += rest[..<rest.index(after: open.lowerBound)]
                rest = rest[rest.index(after: open.lowerBound)...]
                continue
            }
            rest = rest[rest.index(after: close)...]
        }
        pending += rest
        if !pending.isEmpty { parts.append(.text(pending)) }
        return found ? Template(parts: parts) : nil
    }

    /// The context keys the variables read, as written.
    var variableNames: [String] {
        parts.compactMap {
            if case .variable(_, let name, _) = $0 { return name }
            return nil
        }
    }

    /// The pattern characters after substitution; nil when a variable has no value and no default.
    func resolveCharacters(_ request: EvaluationRequest) -> [Glob.Character]? {
        var out: [Glob.Character] = []
        for part in parts {
            switch part {
            case .text(let t): out.append(contentsOf: t.unicodeScalars.map { Glob.Character(scalar: $0, literal: false) })
            case .literal(let s): out.append(Glob.Character(scalar: s, literal: true))
            case .variable(let key, _, let defaultValue):
                guard let value = request.values(key).single ?? defaultValue else { return nil }
                out.append(contentsOf: value.unicodeScalars.map { Glob.Character(scalar: $0, literal: true) })
            }
        }
        return out
    }

    /// The plain string after substitution; nil when a variable has no value and no default.
    func resolveString(_ request: EvaluationRequest) -> String? {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .literal(let s): out.unicodeScalars.append(s)
            case .variable(let key, _, let defaultValue):
                guard let value = request.values(key).single ?? defaultValue else { return nil }
                out += value
            }
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
