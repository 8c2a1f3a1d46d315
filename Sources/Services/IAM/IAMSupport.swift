//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage

/// ```xml
/// <member><Key>team</Key><Value>blue</Value></member>
/// ```
struct Tag: Codable, Sendable, Hashable {
    var Key: String
    var Value: String
}

/// The `<AttachedPermissionsBoundary>` of users and roles.
struct AttachedPermissionsBoundary: Codable, Sendable, Hashable {
    var PermissionsBoundaryType: String = "PermissionsBoundaryPolicy"
    var PermissionsBoundaryArn: String
}

/// A stored IAM user; also the `<User>` element of `CreateUser` / `GetUser` / `ListUsers`.
struct UserRecord: Codable, Sendable {
    var Path: String
    var UserName: String
    var UserId: String
    var Arn: String
    var CreateDate: Date
    var PasswordLastUsed: Date?
    var PermissionsBoundary: AttachedPermissionsBoundary?
    var Tags: [Tag]?
}

/// IAM's errors, with AWS's codes, statuses and message forms.
enum IAMError {
    static func noSuchEntity(_ message: String) -> AWSError {
        AWSError(code: "NoSuchEntity", message: message, status: 404)
    }
    /// "The user with name bob cannot be found."
    static func noSuchEntity(_ kind: String, named name: String) -> AWSError {
        noSuchEntity("The \(kind) with name \(name) cannot be found.")
    }
    /// "User with name bob already exists."
    static func alreadyExists(_ kind: String, named name: String) -> AWSError {
        AWSError(code: "EntityAlreadyExists", message: "\(kind) with name \(name) already exists.", status: 409)
    }
    static func deleteConflict(_ message: String) -> AWSError {
        AWSError(code: "DeleteConflict", message: message, status: 409)
    }
    static func limitExceeded(_ message: String) -> AWSError {
        AWSError(code: "LimitExceeded", message: message, status: 409)
    }
    static func invalidInput(_ message: String) -> AWSError {
        AWSError(code: "InvalidInput", message: message, status: 400)
    }
    static func malformedPolicy(_ message: String) -> AWSError {
        AWSError(code: "MalformedPolicyDocument", message: message, status: 400)
    }
}

/// IAM's `Marker` / `MaxItems` / `IsTruncated` pagination over a key range.
struct IAMPage<Item: Sendable>: Sendable {
    var items: [Item]
    var isTruncated: Bool
    /// The marker to pass for the next page, when truncated.
    var marker: String?
}

extension IAMService {
    /// The account a request acts on: the caller's.
    func account(_ context: RequestContext) -> String { context.principal.accountID }

    /// One page of the JSON records under `prefix` in `namespace`, in key order.
    ///
    /// The marker is the last key of the previous page, base64-encoded so it reads as opaque; a
    /// marker that does not belong to this prefix is `InvalidInput`, as AWS answers a forged one.
    func page<Item: Decodable & Sendable>(
        _ type: Item.Type,
        _ namespace: String,
        prefix: String,
        marker: String?,
        maxItems: Int?,
        where include: @escaping @Sendable (Item) -> Bool = { _ in true }
    ) async throws -> IAMPage<Item> {
        let limit = maxItems ?? 100
        guard (1...1000).contains(limit) else {
            throw AWSError.validation("1 validation error detected: Value '\(limit)' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
        }
        var after: String?
        if let marker {
            guard let data = Data(base64Encoded: marker), let key = String(data: data, encoding: .utf8), key.hasPrefix(prefix) else {
                throw IAMError.invalidInput("Invalid Marker.")
            }
            after = key
        }
        return try await store.read { [after] reader in
            var items: [Item] = []
            var cursor = after
            var lastKey: String?
            let decoder = JSONDecoder()
            while items.count <= limit {
                let batch = try reader.scan(namespace, prefix: prefix, after: cursor, reverse: false, limit: 256)
                if batch.isEmpty { break }
                for entry in batch {
                    let item = try decoder.decode(Item.self, from: Data(entry.value))
                    guard include(item) else { continue }
                    if items.count == limit {
                        return IAMPage(items: items, isTruncated: true, marker: lastKey.map { Data($0.utf8).base64EncodedString() })
                    }
                    items.append(item)
                    lastKey = entry.key
                }
                cursor = batch.last?.key
            }
            return IAMPage(items: items, isTruncated: false, marker: nil)
        }
    }
}

/// AWS's rules for the names and paths of IAM entities.
enum IAMValidation {
    /// `Path`: `/` alone, or `/…/` of printable ASCII, at most 512 characters.
    static func path(_ path: String?, member: String = "path") throws(AWSError) -> String {
        guard let path else { return "/" }
        let ok = path.utf8.count <= 512 && path.hasPrefix("/") && path.hasSuffix("/")
            && path.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
        guard ok else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(path)' at '\(member)' failed to satisfy constraint: "
                    + "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
            )
        }
        return path
    }

    /// Tags: at most 50, keys 1–128 and values 0–256 characters, keys unique regardless of case, no `aws:` keys.
    static func tags(_ tags: [Tag]?, existing: [Tag] = []) throws(AWSError) -> [Tag] {
        var merged = existing
        for tag in tags ?? [] {
            guard (1...128).contains(tag.Key.count), tag.Value.count <= 256 else {
                throw IAMError.invalidInput("Tag keys must be 1 to 128 characters and values at most 256 characters.")
            }
            guard !tag.Key.lowercased().hasPrefix("aws:") else {
                throw IAMError.invalidInput("User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS tags.")
            }
            if let i = merged.firstIndex(where: { $0.Key.lowercased() == tag.Key.lowercased() }) {
                merged[i] = tag
            } else {
                merged.append(tag)
            }
        }
        let given = (tags ?? []).map { $0.Key.lowercased() }
        guard Set(given).count == given.count else {
            throw IAMError.invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        }
        guard merged.count <= 50 else {
            throw IAMError.limitExceeded("The number of tags has reached the maximum limit.")
        }
        return merged
    }

    static func arn(_ account: String, _ type: String, path: String, name: String) -> String {
        "arn:aws:iam::\(account):\(type)\(path)\(name)"
    }
}
