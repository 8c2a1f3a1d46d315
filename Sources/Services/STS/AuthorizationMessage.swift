//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
public import NimbusCore
public import NimbusStorage

/// The details of a denial that services such as EC2 hide in an "encoded authorization failure message",
/// which only `sts:DecodeAuthorizationMessage` in the same account can read.
///
/// The encoding is the JSON sealed under the root key with the account bound as context, base64: opaque,
/// tamper-evident, and useless in another account or another Nimbus.
public struct AuthorizationMessage: Sendable, Codable, Equatable {
    public struct Principal: Sendable, Codable, Equatable {
        public var id: String
        public var name: String?
        public var arn: String
    }

    public struct Items<Item: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
        public var items: [Item]
    }

    public struct Condition: Sendable, Codable, Equatable {
        public struct Value: Sendable, Codable, Equatable { public var value: String }
        public var key: String
        public var values: Items<Value>
    }

    public struct Context: Sendable, Codable, Equatable {
        public var principal: Principal
        public var action: String
        public var resource: String
        public var conditions: Items<Condition>
    }

    public var allowed: Bool
    public var explicitDeny: Bool
    public var matchedStatements: Items<String>
    public var failures: Items<String>
    public var context: Context

    public init(denied principal: NimbusCore.Principal, action: String, resource: String, explicitDeny: Bool, conditions: [String: [String]]) {
        let name = principal.kind == .user ? principal.arn.split(separator: "/").last.map(String.init) : nil
        self.allowed = false
        self.explicitDeny = explicitDeny
        self.matchedStatements = Items(items: [])
        self.failures = Items(items: [])
        self.context = Context(
            principal: Principal(id: principal.userID, name: name, arn: principal.arn),
            action: action,
            resource: resource,
            conditions: Items(items: conditions.keys.sorted().map { key in
                Condition(key: key, values: Items(items: (conditions[key] ?? []).map { Condition.Value(value: $0) }))
            })
        )
    }

    private static func sealContext(_ account: String) -> String { "sts:authorization-message:\(account)" }

    /// The opaque form a service puts after "Encoded authorization failure message: ".
    public func encoded(rootKey: RootKey, account: String) throws -> String {
        let json = try JSONEncoder().encode(self)
        return Data(try rootKey.seal(Array(json), context: Self.sealContext(account))).base64EncodedString()
    }

    /// The JSON `DecodeAuthorizationMessage` returns, or nil when `encoded` was not made for `account` by
    /// this Nimbus (or was altered).
    public static func decodedJSON(_ encoded: String, rootKey: RootKey, account: String) -> String? {
        guard encoded.utf8.count <= 10_240, let sealed = Data(base64Encoded: encoded),
            let json = try? rootKey.open(Array(sealed), context: sealContext(account))
        else { return nil }
        return String(decoding: json, as: UTF8.self)
    }
}
