//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Synchronization

/// Checks a decoded input against the model's constraints and words failures the way AWS does:
/// `1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null`.
struct Validator {
    let model: ServiceModel
    var failures: [String] = []
    private static let maxReported = 100

    init(model: ServiceModel) { self.model = model }

    /// AWS's path segment for a member: the member name with its first letter lowercased.
    static func pathName(_ member: String) -> String {
        // Member names start with an ASCII letter: lowered in place, where `Character.lowercased()` went through
        // Unicode's tables and the concatenation allocated, for every member of every request audited.
        var member = member
        return member.withUTF8 { name in
            guard let first = name.first, first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else { return nil }
            return String(unsafeUninitializedCapacity: name.count) { out in
                _ = out.initialize(from: name)
                out[0] = first | 0x20
                return name.count
            }
        } ?? Self.unicodePathName(member)
    }

    private static func unicodePathName(_ member: String) -> String {
        guard let first = member.first, !first.isASCII else { return member }
        return first.lowercased() + member.dropFirst()
    }

    mutating func validate(structure value: ShapeValue, shape: Shape, path: String) {
        validate(structure: value, shape: shape, path: { path })
    }

    // Paths are closures, called only for a failure or a nested member: made eagerly, they were a string or two
    // for every member of every valid request.
    private mutating func validate(structure value: ShapeValue, shape: Shape, path: () -> String) {
        guard case .structure(let members) = value else { return }
        for member in shape.members {
            func memberPath() -> String {
                let parent = path()
                return parent.isEmpty ? Self.pathName(member.name) : parent + "." + Self.pathName(member.name)
            }
            guard let target = model.shapes[member.ref.shape] else { continue }
            if let v = members[member.name] {
                validate(v, shape: target, path: memberPath)
            } else if shape.required.contains(member.name), !member.ref.streaming, !target.streaming {
                fail(nil, memberPath(), "Member must not be null", sensitive: false)
            }
        }
    }

    private mutating func validate(_ value: ShapeValue, shape: Shape, path: () -> String) {
        guard failures.count < Self.maxReported else { return }
        switch (shape.type, value) {
        case (.structure, .structure):
            validate(structure: value, shape: shape, path: path)
        case (.list, .list(let items)):
            checkLength(items.count, shape, value, path)
            if let ref = shape.member, let target = model.shapes[ref.shape] {
                for (i, item) in items.enumerated() { validate(item, shape: target, path: { "\(path()).\(i + 1).member" }) }
            }
        case (.map, .map(let entries)), (.map, .structure(let entries)):
            checkLength(entries.count, shape, value, path)
            if let ref = shape.value, let target = model.shapes[ref.shape] {
                for (k, v) in entries.sorted(by: { $0.key < $1.key }) { validate(v, shape: target, path: { "\(path()).\(k)" }) }
            }
        case (.string, .string(let s)):
            // AWS reports the pattern before the length when both fail.
            if let allowed = shape.enumValues, !allowed.isEmpty, !allowed.contains(s) {
                fail(value, path, "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]", sensitive: shape.sensitive)
            } else if let pattern = shape.pattern, !PatternCache.shared.matches(pattern, s) {
                fail(value, path, "Member must satisfy regular expression pattern: \(pattern)", sensitive: shape.sensitive)
            }
            // Unicode scalars, as AWS's models mean a string's length: an `é` written as `e` and a combining
            // accent is two, though one `Character`.
            checkLength(s.unicodeScalars.count, shape, value, path)
        case (.blob, .blob(let b)):
            checkLength(b.count, shape, value, path)
        case (.integer, .integer(let n)), (.long, .integer(let n)), (.short, .integer(let n)), (.byte, .integer(let n)):
            checkRange(Double(n), shape, value, path)
        case (.float, .double(let d)), (.double, .double(let d)), (.bigdecimal, .double(let d)):
            checkRange(d, shape, value, path)
        default:
            break
        }
    }

    private mutating func checkLength(_ count: Int, _ shape: Shape, _ value: ShapeValue, _ path: () -> String) {
        if let min = shape.min, Double(count) < min {
            fail(value, path, "Member must have length greater than or equal to \(Int(min))", sensitive: shape.sensitive)
        }
        if let max = shape.max, Double(count) > max {
            fail(value, path, "Member must have length less than or equal to \(Int(max))", sensitive: shape.sensitive)
        }
    }

    private mutating func checkRange(_ n: Double, _ shape: Shape, _ value: ShapeValue, _ path: () -> String) {
        if let min = shape.min, n < min {
            fail(value, path, "Member must have value greater than or equal to \(Self.number(min))", sensitive: shape.sensitive)
        }
        if let max = shape.max, n > max {
            fail(value, path, "Member must have value less than or equal to \(Self.number(max))", sensitive: shape.sensitive)
        }
    }

    private static func number(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e18 ? String(Int64(d)) : String(d)
    }

    private mutating func fail(_ value: ShapeValue?, _ path: () -> String, _ constraint: String, sensitive: Bool) {
        fail(value, path(), constraint, sensitive: sensitive)
    }

    private mutating func fail(_ value: ShapeValue?, _ path: String, _ constraint: String, sensitive: Bool) {
        guard failures.count < Self.maxReported else { return }
        let shown: String
        if sensitive {
            shown = "Value"
        } else if let value {
            var text = Self.display(value)
            if text.count > 256 { text = String(text.prefix(256)) + "…" }
            shown = "Value '\(text)'"
        } else {
            shown = "Value null"
        }
        failures.append("\(shown) at '\(path)' failed to satisfy constraint: \(constraint)")
    }

    static func display(_ value: ShapeValue) -> String {
        switch value {
        case .string(let s): s
        case .integer(let i): String(i)
        case .double(let d): String(d)
        case .boolean(let b): b ? "true" : "false"
        case .timestamp(let d): TimestampCoding.format(d, .iso8601)
        case .blob: "java.nio.HeapByteBuffer"
        case .list(let items): "[" + items.map(display).joined(separator: ", ") + "]"
        case .map(let m), .structure(let m): "{" + m.keys.sorted().map { "\($0)=\(display(m[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    /// The AWS message for the collected failures, or nil when there are none.
    var message: String? {
        guard !failures.isEmpty else { return nil }
        let count = failures.count
        return "\(count) validation error\(count == 1 ? "" : "s") detected: " + failures.joined(separator: "; ")
    }
}

/// Compiled model patterns, shared by all requests. Patterns ICU cannot compile are not enforced.
final class PatternCache: Sendable {
    static let shared = PatternCache()

    /// `NSRegularExpression` is immutable and documented as safe to share between threads.
    private struct Compiled: @unchecked Sendable { let regex: NSRegularExpression? }
    private let cache = Mutex<[String: Compiled]>([:])

    func matches(_ pattern: String, _ s: String) -> Bool {
        let compiled = cache.withLock { cache in
            if let hit = cache[pattern] { return hit }
            let c = Compiled(regex: try? NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z", options: [.dotMatchesLineSeparators]))
            if cache.count < 10_000 { cache[pattern] = c }
            return c
        }
        guard let regex = compiled.regex else { return true }
        // Bound the work a hostile string can cause.
        guard s.utf16.count <= 1 << 16 else { return true }
        return regex.firstMatch(in: s, range: NSRange(location: 0, length: s.utf16.count)) != nil
    }
}

/// Turns wire text (query parameter, header, URI label, XML text) into a value of a scalar shape.
struct ScalarReader {
    struct Failure: Error {
        var message: String
    }

    static func read(_ text: String, shape: Shape, format: TimestampFormat) throws(Failure) -> ShapeValue {
        switch shape.type {
        case .string:
            return .string(text)
        case .integer, .long, .short, .byte, .biginteger:
            guard let i = Int64(text.trimmingCharacters(in: .whitespaces)) else { throw Failure(message: "'\(text)' is not a valid integer") }
            return .integer(i)
        case .float, .double, .bigdecimal:
            switch text {
            case "NaN": return .double(.nan)
            case "Infinity": return .double(.infinity)
            case "-Infinity": return .double(-.infinity)
            default:
                guard let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite else { throw Failure(message: "'\(text)' is not a valid number") }
                return .double(d)
            }
        case .boolean:
            switch text.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: throw Failure(message: "'\(text)' is not a valid boolean")
            }
        case .timestamp:
            guard let d = TimestampCoding.parse(text, format: format) ?? TimestampCoding.parse(text, format: nil) else {
                throw Failure(message: "'\(text)' is not a valid timestamp")
            }
            return .timestamp(d)
        case .blob:
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else { throw Failure(message: "'\(text)' is not valid base64") }
            return .blob(Array(data))
        default:
            throw Failure(message: "a \(shape.type.rawValue) cannot be read from text")
        }
    }

    /// The wire text of a scalar value of `shape`.
    static func write(_ value: ShapeValue, shape: Shape?, format: TimestampFormat, fractional: Bool = false) -> String {
        switch value {
        case .string(let s): return s
        case .integer(let i):
            if let type = shape?.type, [.float, .double, .bigdecimal].contains(type) { return Self.double(Double(i)) }
            return String(i)
        case .double(let d):
            if let type = shape?.type, [.integer, .long, .short, .byte].contains(type), d.rounded() == d, abs(d) < 9e18 { return String(Int64(d)) }
            return Self.double(d)
        case .boolean(let b): return b ? "true" : "false"
        case .timestamp(let d): return TimestampCoding.format(d, format, fractional: fractional)
        case .blob(let b): return Data(b).base64EncodedString()
        case .list(let items): return items.map { write($0, shape: nil, format: format) }.joined(separator: ",")
        case .map, .structure: return ""
        }
    }

    static func double(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return String(d)
    }
}
