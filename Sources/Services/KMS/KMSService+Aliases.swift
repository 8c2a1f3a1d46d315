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
import NimbusWire

extension KMSService {
    func aliasHandlers() -> [String: OperationHandler] {
        [
            "CreateAlias": OperationHandler { (input: AliasInput, context) in
                try await self.putAlias(input, context: context, create: true)
                return EmptyShape()
            },
            "UpdateAlias": OperationHandler { (input: AliasInput, context) in
                try await self.putAlias(input, context: context, create: false)
                return EmptyShape()
            },
            "DeleteAlias": OperationHandler { (input: DeleteAliasInput, context) in
                let account = context.principal.accountID
                let region = context.region
                try Self.validateAliasName(input.AliasName)
                try await self.store.write { tx in
                    guard let alias = try tx.getJSON(AliasRecord.self, KMSKeys.aliases, KMSKeys.key(account, region, input.AliasName)) else {
                        throw KMSError.aliasNotFound(Self.aliasARN(account: account, region: region, name: input.AliasName))
                    }
                    try Self.removeAlias(alias, account: account, region: region, in: tx)
                }
                return EmptyShape()
            },
            "ListAliases": OperationHandler(listAliases),
        ]
    }

    struct AliasInput: Decodable, Sendable {
        var AliasName: String
        var TargetKeyId: String
    }

    struct DeleteAliasInput: Decodable, Sendable {
        var AliasName: String
    }

    /// `alias/` followed by letters, digits, `/`, `_` and `-`; `alias/aws/` is reserved for AWS managed keys.
    static func validateAliasName(_ name: String) throws {
        guard name.hasPrefix("alias/"), name.count > "alias/".count else {
            throw KMSError.validation("Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
        }
        if name.hasPrefix("alias/aws/") || name == "alias/aws" {
            throw KMSError.notAuthorized("\(name) must not begin with alias/aws/. The alias/aws/ prefix is reserved for AWS managed keys.")
        }
    }

    func putAlias(_ input: AliasInput, context: RequestContext, create: Bool) async throws {
        let account = context.principal.accountID
        let region = context.region
        let now = clock.now
        try Self.validateAliasName(input.AliasName)
        try await store.write { tx in
            let key = try Self.lookup(input.TargetKeyId, account: account, region: region, in: tx, allowAlias: false, crossAccount: false)
            if key.state == KeyState.pendingDeletion { throw KMSError.invalidState("\(key.arn) is pending deletion.") }
            let storeKey = KMSKeys.key(account, region, input.AliasName)
            let arn = Self.aliasARN(account: account, region: region, name: input.AliasName)
            let existing = try tx.getJSON(AliasRecord.self, KMSKeys.aliases, storeKey)
            var alias: AliasRecord
            if create {
                guard existing == nil else { throw KMSError.alreadyExists("An alias with the name \(arn) already exists") }
                alias = AliasRecord(AliasName: input.AliasName, AliasArn: arn, TargetKeyId: key.keyID, CreationDate: now, LastUpdatedDate: now)
            } else {
                guard let found = existing else { throw KMSError.aliasNotFound(arn) }
                // The new key must have the same type and usage as the current one, as AWS requires.
                if let current = found.TargetKeyId,
                   let old = try tx.getJSON(KeyRecord.self, KMSKeys.keys, KMSKeys.key(account, region, current)),
                   old.keySpec != key.keySpec || old.keyUsage != key.keyUsage {
                    throw KMSError.validation("\(key.arn) has a different key spec or key usage than the key the alias points to.")
                }
                alias = found
                alias.TargetKeyId = key.keyID
                alias.LastUpdatedDate = now
            }
            try Self.storeAlias(alias, replacing: existing, account: account, region: region, in: tx)
        }
    }

    /// Writes `alias` and its entry in `KMSKeys.aliasTargets`, moving that entry off the key `previous` named.
    static func storeAlias(_ alias: AliasRecord, replacing previous: AliasRecord?, account: String, region: String, in tx: any StoreWriter) throws {
        if let old = previous?.TargetKeyId, old != alias.TargetKeyId {
            try tx.delete(KMSKeys.aliasTargets, KMSKeys.aliasTarget(account, region, old, alias.AliasName))
        }
        try tx.putJSON(KMSKeys.aliases, KMSKeys.key(account, region, alias.AliasName), alias)
        if let target = alias.TargetKeyId {
            try tx.put(KMSKeys.aliasTargets, KMSKeys.aliasTarget(account, region, target, alias.AliasName), [])
        }
    }

    /// Deletes `alias` and its entry in `KMSKeys.aliasTargets`.
    static func removeAlias(_ alias: AliasRecord, account: String, region: String, in tx: any StoreWriter) throws {
        try tx.delete(KMSKeys.aliases, KMSKeys.key(account, region, alias.AliasName))
        if let target = alias.TargetKeyId {
            try tx.delete(KMSKeys.aliasTargets, KMSKeys.aliasTarget(account, region, target, alias.AliasName))
        }
    }

    /// The names of the aliases that point at `keyID`, in name order: one short scan of `KMSKeys.aliasTargets`.
    static func aliasNames(of keyID: String, account: String, region: String, in reader: any StoreReader) throws -> [String] {
        let prefix = KMSKeys.key(account, region, keyID) + "/"
        return try reader.scan(KMSKeys.aliasTargets, prefix: prefix).map { String($0.key.utf8.dropFirst(prefix.utf8.count))! }
    }

    struct ListAliasesInput: Decodable, Sendable {
        var KeyId: String?
        var Limit: Int?
        var Marker: String?
    }

    struct ListAliasesOutput: Encodable, Sendable {
        var Aliases: [AliasRecord]
        var NextMarker: String?
        var Truncated: Bool
    }

    @Sendable func listAliases(_ input: ListAliasesInput, context: RequestContext) async throws -> ListAliasesOutput {
        let account = context.principal.accountID
        let region = context.region
        if let keyID = input.KeyId {
            let target = try await key(keyID, context, allowAlias: false, crossAccount: false).keyID
            return try await listAliases(of: target, account: account, region: region, input: input)
        }
        let limit = input.Limit ?? 50
        let prefix = "\(account)/\(region)/"
        let page = try await page(AliasRecord.self, KMSKeys.aliases, prefix: prefix, limit: limit, defaultLimit: 50, marker: input.Marker)
        // AWS lists the aliases reserved for AWS managed keys before their keys exist, without a TargetKeyId. They
        // go into the page in order: those past the marker, and, when stored aliases follow the page, before its end.
        let after = input.Marker.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        let stored = Set(try await store.read { reader in
            try Self.predefinedAliases.filter { try reader.get(KMSKeys.aliases, KMSKeys.key(account, region, $0)) != nil }
        })
        let reserved = Self.predefinedAliases.filter { name in
            let key = KMSKeys.key(account, region, name)
            return !stored.contains(name) && after.map { key > $0 } ?? true
                && (!page.truncated || page.items.last.map { key < KMSKeys.key(account, region, $0.AliasName) } ?? true)
        }
        guard !reserved.isEmpty else { return ListAliasesOutput(Aliases: page.items, NextMarker: page.nextMarker, Truncated: page.truncated) }
        let merged = (page.items + reserved.map {
            AliasRecord(AliasName: $0, AliasArn: Self.aliasARN(account: account, region: region, name: $0))
        }).sorted { $0.AliasName < $1.AliasName }
        let items = Array(merged.prefix(limit))
        let truncated = page.truncated || merged.count > limit
        let marker = truncated ? items.last.map { Data(KMSKeys.key(account, region, $0.AliasName).utf8).base64EncodedString() } : nil
        return ListAliasesOutput(Aliases: items, NextMarker: marker, Truncated: truncated)
    }

    /// The aliases of the AWS managed keys that ListAliases shows in every account and Region, created or not.
    static let predefinedAliases = [
        "acm", "dynamodb", "ebs", "elasticfilesystem", "es", "glue", "kinesisvideo", "lambda", "rds", "redshift", "s3",
        "secretsmanager", "ssm", "xray",
    ].map { "alias/aws/" + $0 }

    /// ListAliases of one key: its entries in `KMSKeys.aliasTargets`, then their records. The marker is the one
    /// the account-wide listing makes (the last alias's key in `KMSKeys.aliases`), so either listing reads it.
    private func listAliases(of keyID: String, account: String, region: String, input: ListAliasesInput) async throws -> ListAliasesOutput {
        let limit = input.Limit ?? 50
        let scope = KMSKeys.key(account, region, "")
        var after: String?
        if let marker = input.Marker {
            guard let data = Data(base64Encoded: marker), let key = String(data: data, encoding: .utf8), key.hasPrefix(scope) else {
                throw KMSError.invalidMarker()
            }
            after = KMSKeys.aliasTarget(account, region, keyID, String(key.dropFirst(scope.count)))
        }
        let prefix = KMSKeys.key(account, region, keyID) + "/"
        return try await store.read { [after] reader in
            let entries = try reader.scan(KMSKeys.aliasTargets, prefix: prefix, after: after, reverse: false, limit: limit + 1)
            var aliases: [AliasRecord] = []
            for entry in entries.prefix(limit) {
                let name = String(entry.key.dropFirst(prefix.count))
                if let alias = try reader.getJSON(AliasRecord.self, KMSKeys.aliases, KMSKeys.key(account, region, name)) { aliases.append(alias) }
            }
            guard entries.count > limit, let last = aliases.last else { return ListAliasesOutput(Aliases: aliases, NextMarker: nil, Truncated: false) }
            let marker = Data(KMSKeys.key(account, region, last.AliasName).utf8).base64EncodedString()
            return ListAliasesOutput(Aliases: aliases, NextMarker: marker, Truncated: true)
        }
    }
}
