//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusWire

// The policy of a browser-based upload ("Creating a POST policy"), base64 of UTF-8 JSON:
//
//   { "expiration": "2007-12-01T12:00:00.000Z",
//     "conditions": [
//       {"bucket": "johnsmith"},                      exact match
//       ["eq", "$acl", "public-read"],                exact match
//       ["starts-with", "$key", "user/eric/"],        prefix ("" matches anything)
//       ["content-length-range", 1048576, 10485760]   the file's size, inclusive
//     ] }
//
// Field names are case-insensitive; values are compared as sent. Each form field except `policy`,
// `x-amz-signature`, `signature`, `AWSAccessKeyId`, `file` and `x-ignore-*` must be named by a condition.
// A starts-with on Content-Type holding a comma-separated list must hold for every item.

/// A decoded POST policy: when it expires and what the form must satisfy.
struct PostPolicy: Sendable, Equatable {
    enum Condition: Sendable, Equatable {
        case equals(field: String, value: String)
        case startsWith(field: String, prefix: String)
        case contentLengthRange(min: Int64, max: Int64)
    }

    var expiration: Date
    var conditions: [Condition]

    /// Fields that need no condition: the signature's own, and the file.
    static func isExempt(_ field: String) -> Bool {
        ["policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"].contains(field) || field.hasPrefix("x-ignore-")
    }

    /// Decodes the `policy` form field, refusing anything but a well-formed policy with `InvalidPolicyDocument`.
    init(base64 text: String) throws(AWSError) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let json = try? JSONSerialization.jsonObject(with: data), let object = json as? [String: Any]
        else { throw Self.invalid("Invalid JSON.") }
        guard let expirationValue = object["expiration"] else { throw Self.invalid("Policy missing expiration.") }
        // ISO 8601 with its `T` (`2007-12-01T12:00:00.000Z`): S3 refuses the space form that lenient parsers take.
        guard let text = expirationValue as? String, text.utf8.dropFirst(10).first == UInt8(ascii: "T"),
            let expiration = TimestampCoding.parse(text, format: .iso8601)
        else {
            throw Self.invalid("Invalid 'expiration' value: '\(String(describing: expirationValue).prefix(64))'")
        }
        guard let list = object["conditions"] else { throw Self.invalid("Policy missing conditions.") }
        guard let conditions = list as? [Any] else { throw Self.invalid("Invalid 'conditions' value: must be a List.") }
        self.expiration = expiration
        self.conditions = []
        for condition in conditions { self.conditions.append(try Self.condition(condition)) }
    }

    init(expiration: Date, conditions: [Condition]) {
        self.expiration = expiration
        self.conditions = conditions
    }

    private static func condition(_ value: Any) throws(AWSError) -> Condition {
        if let simple = value as? [String: Any] {
            guard simple.count == 1, let entry = simple.first else {
                throw invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
            }
            guard let string = entry.value as? String else { throw invalid("Invalid Simple-Condition: value must be a string.") }
            return .equals(field: entry.key.lowercased(), value: string)
        }
        guard let items = value as? [Any], let operation = items.first as? String else {
            throw invalid("Invalid Condition: must be a List or an Object.")
        }
        switch operation.lowercased() {
        case "eq", "starts-with":
            guard items.count == 3 else { throw invalid("Invalid '\(operation)' condition: wrong number of arguments.") }
            guard let field = items[1] as? String, field.hasPrefix("$"), field.count > 1 else {
                throw invalid("Invalid '\(operation)' condition: the field name must be a string starting with '$'.")
            }
            guard let operand = items[2] as? String else { throw invalid("Invalid '\(operation)' condition: value must be a string.") }
            let name = String(field.dropFirst()).lowercased()
            return operation.lowercased() == "eq" ? .equals(field: name, value: operand) : .startsWith(field: name, prefix: operand)
        case "content-length-range":
            guard items.count == 3, let min = integer(items[1]), let max = integer(items[2]), min >= 0, min <= max else {
                throw invalid("Invalid content-length-range condition: expecting two non-negative integers, minimum first.")
            }
            return .contentLengthRange(min: min, max: max)
        default:
            throw invalid("Invalid Condition: unknown operation '\(operation.prefix(64))'.")
        }
    }

    /// A JSON integer, or a string of digits (some form builders quote the bounds).
    private static func integer(_ value: Any) -> Int64? {
        if let string = value as? String { return Int64(string) }
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9e18 else { return nil }
        return Int64(double)
    }

    /// Checks the form against the policy: expiry, each condition in order, then fields no condition names.
    ///
    /// - Parameters:
    ///   - fields: the form's fields by lowercased name, `key` after `${filename}` substitution; `bucket` is the
    ///     bucket the request is addressed to.
    ///   - formFieldNames: the names the form actually sent (lowercased), for the extra-fields check.
    ///   - fileSize: the file's size, when known; nil leaves `content-length-range` to ``checkSize(_:ended:)``
    ///     while the file streams in.
    func check(fields: [String: String], formFieldNames: [String], fileSize: Int64?, now: Date) throws(AWSError) {
        guard now < expiration else { throw Self.denied("Policy expired.") }
        var named: Set<String> = []
        for condition in conditions {
            switch condition {
            case .equals(let field, let value):
                named.insert(field)
                guard (fields[field] ?? "") == value else { throw Self.failed(["eq", "$" + field, value]) }
            case .startsWith(let field, let prefix):
                named.insert(field)
                let value = fields[field] ?? ""
                let items = field == "content-type" ? value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [value]
                guard items.allSatisfy({ $0.hasPrefix(prefix) }) else { throw Self.failed(["starts-with", "$" + field, prefix]) }
            case .contentLengthRange:
                if let fileSize { try checkSize(fileSize, ended: true) }
            }
        }
        var extra: [String] = []
        for name in formFieldNames where !Self.isExempt(name) && !named.contains(name) && !extra.contains(name) { extra.append(name) }
        guard extra.isEmpty else { throw Self.denied("Extra input fields: " + extra.joined(separator: ", ")) }
    }

    /// `content-length-range` against a file `size` bytes long so far: too large as soon as it is, too small
    /// only once it has `ended`.
    func checkSize(_ size: Int64, ended: Bool) throws(AWSError) {
        for case .contentLengthRange(let min, let max) in conditions {
            if size > max { throw AWSError.entityTooLarge(size, max: max) }
            if ended, size < min { throw Self.tooSmall(size, min: min) }
        }
    }

    // MARK: Errors

    static func invalid(_ detail: String) -> AWSError {
        AWSError(code: "InvalidPolicyDocument", message: "Invalid Policy: " + detail, status: 400)
    }

    static func denied(_ detail: String) -> AWSError {
        AWSError(code: "AccessDenied", message: "Invalid according to Policy: " + detail, status: 403)
    }

    /// `Policy Condition failed: ["eq", "$key", "a"]`, written as JSON strings are.
    static func failed(_ items: [String]) -> AWSError {
        let quoted = items.map { item -> String in
            let data = (try? JSONSerialization.data(withJSONObject: [item], options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self).dropFirst().dropLast().description
        }
        return denied("Policy Condition failed: [" + quoted.joined(separator: ", ") + "]")
    }

    static func tooSmall(_ size: Int64, min: Int64) -> AWSError {
        AWSError(
            code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed size", status: 400,
            extra: [("ProposedSize", String(size)), ("MinSizeAllowed", String(min))]
        )
    }
}
