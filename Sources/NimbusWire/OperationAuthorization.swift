//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// What an operation needs to be allowed: its IAM action(s) and the resources it acts on, as the
/// Service Authorization Reference lists them. Declared by the service as data, not code.
///
/// ```swift
/// "CreateUser": .init(resource: "arn:${Partition}:iam::${Account}:user${Path}${UserName}", defaults: ["Path": "/"])
/// ```
public struct OperationAuthorization: Sendable {
    /// The actions; empty uses `<service prefix>:<OperationName>`.
    public var actions: [String]
    /// Resource ARN templates. `${Account}`, `${Region}`, `${Partition}` and `${<InputMember>}` are filled in
    /// from the request; a template whose member is absent from the input and from `defaults` is skipped.
    /// No template means `*`.
    public var resources: [String]
    /// Values for members the input may leave out (IAM's `Path` is `/`).
    public var defaults: [String: String]
    /// False for the few operations AWS never authorizes (`sts:GetCallerIdentity`).
    public var requiresAuthorization: Bool
    /// The actions instead, when the input has this member: S3 asks `s3:GetObjectVersion`, not
    /// `s3:GetObject`, of a request that names a version.
    public var whenPresent: (member: String, actions: [String])?

    public init(actions: [String] = [], resources: [String] = [], defaults: [String: String] = [:], requiresAuthorization: Bool = true) {
        self.actions = actions
        self.resources = resources
        self.defaults = defaults
        self.requiresAuthorization = requiresAuthorization
    }

    public init(action: String? = nil, resource: String, defaults: [String: String] = [:]) {
        self.init(actions: action.map { [$0] } ?? [], resources: [resource], defaults: defaults)
    }

    /// Needs no permission at all.
    public static let unauthorized = OperationAuthorization(requiresAuthorization: false)

    /// The same, but asking for `actions` when the input has `member`.
    public func when(_ member: String, actions: [String]) -> OperationAuthorization {
        var copy = self
        copy.whenPresent = (member, actions)
        return copy
    }

    /// The actions this request needs; `defaultAction` when the declaration names none.
    public func actions(for input: ShapeValue, defaultAction: @autoclosure () -> String) -> [String] {
        if let whenPresent, input[whenPresent.member] != nil { return whenPresent.actions }
        return actions.isEmpty ? [defaultAction()] : actions
    }

    /// The concrete resource ARNs for one request; `["*"]` when none applies.
    public func resourceARNs(input: ShapeValue, account: String, region: String, partition: String = "aws") -> [String] {
        var arns: [String] = []
        for template in resources {
            if let arn = Self.render(template, input: input, account: account, region: region, partition: partition, defaults: defaults) {
                arns.append(arn)
            }
        }
        return arns.isEmpty ? ["*"] : arns
    }

    static func render(
        _ template: String,
        input: ShapeValue,
        account: String,
        region: String,
        partition: String,
        defaults: [String: String]
    ) -> String? {
        var out = ""
        var rest = Substring(template)
        // On bytes: Foundation's `range(of:)` was most of authorizing an S3 GET.
        while let dollar = rest.utf8.firstIndex(of: UInt8(ascii: "$")) {
            let brace = rest.utf8.index(after: dollar)
            guard brace < rest.endIndex, rest.utf8[brace] == UInt8(ascii: "{") else {
                out += rest[..<brace]
                rest = rest[brace...]
                continue
            }
            out += rest[..<dollar]
            let nameStart = rest.utf8.index(after: brace)
            guard let close = rest.utf8[nameStart...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
            let name = String(rest[nameStart..<close])
            switch name {
            case "Account": out += account
            case "Region": out += region
            case "Partition": out += partition
            default:
                guard let value = input[name]?.stringValue ?? defaults[name] else { return nil }
                out += value
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}

extension OperationAuthorization {
    /// `aws:RequestTag/<key>` and `aws:TagKeys` of a request that carries tags as a list of key/value
    /// structures (`Tags: [{Key, Value}]`), or names tag keys to remove (`TagKeys: [String]`).
    ///
    /// - Parameters:
    ///   - key: the member holding a tag's key (`Key`; KMS says `TagKey`).
    ///   - value: the member holding its value (`Value`; KMS says `TagValue`).
    public static func requestTagKeys(_ input: ShapeValue, key: String = "Key", value: String = "Value") -> [String: [String]] {
        var keys: [String: [String]] = [:]
        if let tags = input["Tags"]?.listValue {
            var tagKeys: [String] = []
            for tag in tags {
                guard let k = tag[key]?.stringValue else { continue }
                tagKeys.append(k)
                if let v = tag[value]?.stringValue { keys["aws:RequestTag/\(k)"] = [v] }
            }
            if !tagKeys.isEmpty { keys["aws:TagKeys"] = tagKeys }
        }
        if let removed = input["TagKeys"]?.listValue {
            keys["aws:TagKeys"] = removed.compactMap(\.stringValue)
        }
        return keys
    }
}
