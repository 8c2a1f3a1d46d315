//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusPolicy
import NimbusStorage
import NimbusWire

/// ```json
/// {"KeyMetadata": {"AWSAccountId": "111122223333", "KeyId": "1234abcd-…", "Arn": "arn:aws:kms:…:key/1234abcd-…",
///   "CreationDate": 1.7E9, "Enabled": true, "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled",
///   "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}}
/// ```
struct KeyMetadata: Encodable, Sendable {
    var AWSAccountId: String
    var KeyId: String
    var Arn: String
    var CreationDate: Date
    var Enabled: Bool
    var Description: String
    var KeyUsage: String
    var KeyState: String
    var DeletionDate: Date?
    var ValidTo: Date?
    var Origin: String
    var ExpirationModel: String?
    var KeyManager: String = "CUSTOMER"
    var CustomerMasterKeySpec: String
    var KeySpec: String
    var EncryptionAlgorithms: [String]?
    var SigningAlgorithms: [String]?
    var MacAlgorithms: [String]?
    var KeyAgreementAlgorithms: [String]?
    var MultiRegion: Bool
    var MultiRegionConfiguration: NimbusKMS.MultiRegionConfiguration?
    var PendingDeletionWindowInDays: Int?
    var CurrentKeyMaterialId: String?

    init(_ key: KeyRecord) {
        AWSAccountId = key.account
        KeyId = key.keyID
        Arn = key.arn
        CreationDate = key.createdAt
        Enabled = key.isEnabled
        Description = key.description
        KeyUsage = key.keyUsage
        KeyState = key.state
        DeletionDate = key.deletionDate
        PendingDeletionWindowInDays = [NimbusKMS.KeyState.pendingDeletion, NimbusKMS.KeyState.pendingReplicaDeletion].contains(key.state)
            ? key.pendingWindowInDays : nil
        Origin = key.origin
        if key.origin == "EXTERNAL" {
            ExpirationModel = key.current?.expirationModel
            ValidTo = key.current?.validTo
        }
        CustomerMasterKeySpec = key.keySpec
        KeySpec = key.keySpec
        EncryptionAlgorithms = KeySpecInfo.encryptionAlgorithms(spec: key.keySpec, usage: key.keyUsage)
        SigningAlgorithms = KeySpecInfo.signingAlgorithms(spec: key.keySpec, usage: key.keyUsage)
        MacAlgorithms = KeySpecInfo.macAlgorithms(spec: key.keySpec, usage: key.keyUsage)
        KeyAgreementAlgorithms = KeySpecInfo.keyAgreementAlgorithms(spec: key.keySpec, usage: key.keyUsage)
        MultiRegion = key.multiRegion
        MultiRegionConfiguration = NimbusKMS.MultiRegionConfiguration(key)
        if key.keySpec == KeySpecInfo.symmetric { CurrentKeyMaterialId = key.current?.materialID }
    }
}

struct KeyMetadataOutput: Encodable, Sendable {
    var KeyMetadata: KeyMetadata
}

struct KeyIDInput: Decodable, Sendable {
    var KeyId: String
    var GrantTokens: [String]?
}

/// KMS's `Limit` / `Marker` / `NextMarker` / `Truncated` pagination.
struct KMSPage<Item: Sendable>: Sendable {
    var items: [Item]
    var nextMarker: String?
    var truncated: Bool { nextMarker != nil }
}

extension KMSService {
    func keyHandlers() -> [String: OperationHandler] {
        [
            "CreateKey": OperationHandler(createKey),
            "DescribeKey": OperationHandler { (input: KeyIDInput, context) in
                KeyMetadataOutput(KeyMetadata: KeyMetadata(try await self.key(input.KeyId, context)))
            },
            "ListKeys": OperationHandler(listKeys),
            "UpdateKeyDescription": OperationHandler { (input: UpdateKeyDescriptionInput, context) in
                try await self.updateKey(input.KeyId, context) { key in
                    try self.requireNotPendingDeletion(key)
                    key.description = input.Description
                }
                return EmptyShape()
            },
            "EnableKey": OperationHandler { (input: KeyIDInput, context) in
                try await self.setEnabled(input.KeyId, true, context)
                return EmptyShape()
            },
            "DisableKey": OperationHandler { (input: KeyIDInput, context) in
                try await self.setEnabled(input.KeyId, false, context)
                return EmptyShape()
            },
            "ScheduleKeyDeletion": OperationHandler(scheduleKeyDeletion),
            "CancelKeyDeletion": OperationHandler { (input: KeyIDInput, context) in
                let key = try await self.updateKey(input.KeyId, context) { key in
                    guard key.state == KeyState.pendingDeletion || key.state == KeyState.pendingReplicaDeletion else {
                        throw KMSError.invalidState("\(key.arn) is not pending deletion.")
                    }
                    // AWS leaves a key whose deletion was cancelled disabled (imported keys without material stay pending import).
                    key.state = key.current == nil ? KeyState.pendingImport : KeyState.disabled
                    key.deletionDate = nil
                    key.pendingWindowInDays = nil
                }
                return KeyIDOutput(KeyId: key.arn)
            },
            "TagResource": OperationHandler { (input: TagResourceInput, context) in
                try await self.updateKey(input.KeyId, context) { key in
                    try self.requireNotPendingDeletion(key)
                    key.tags = try Self.mergeTags(key.tags, input.Tags)
                }
                return EmptyShape()
            },
            "UntagResource": OperationHandler { (input: UntagResourceInput, context) in
                try await self.updateKey(input.KeyId, context) { key in
                    try self.requireNotPendingDeletion(key)
                    let remove = Set(input.TagKeys)
                    key.tags.removeAll { remove.contains($0.TagKey) }
                }
                return EmptyShape()
            },
            "ListResourceTags": OperationHandler { (input: ListResourceTagsInput, context) in
                let key = try await self.key(input.KeyId, context, allowAlias: false, crossAccount: false)
                let page = try Self.pageOfArray(key.tags.sorted { $0.TagKey < $1.TagKey }, limit: input.Limit, defaultLimit: 50, marker: input.Marker)
                return ListResourceTagsOutput(Tags: page.items, NextMarker: page.nextMarker, Truncated: page.truncated)
            },
        ]
    }

    /// EnableKey / DisableKey: only between Enabled and Disabled; pending import or deletion refuses.
    func setEnabled(_ keyID: String, _ enabled: Bool, _ context: RequestContext) async throws {
        try await updateKey(keyID, context) { key in
            switch key.state {
            case KeyState.enabled, KeyState.disabled: key.state = enabled ? KeyState.enabled : KeyState.disabled
            case KeyState.pendingImport: throw KMSError.invalidState("\(key.arn) is pending import.")
            default: throw KMSError.invalidState("\(key.arn) is pending deletion.")
            }
        }
    }

    struct KeyIDOutput: Encodable, Sendable {
        var KeyId: String
    }

    struct UpdateKeyDescriptionInput: Decodable, Sendable {
        var KeyId: String
        var Description: String
    }

    struct CreateKeyInput: Decodable, Sendable {
        var Policy: String?
        var Description: String?
        var KeyUsage: String?
        var CustomerMasterKeySpec: String?
        var KeySpec: String?
        var Origin: String?
        var CustomKeyStoreId: String?
        var BypassPolicyLockoutSafetyCheck: Bool?
        var Tags: [KMSTag]?
        var MultiRegion: Bool?
        var XksKeyId: String?
    }

    /// Keys per account and Region (AWS's default quota is 100,000).
    static let keysPerRegion = 100_000

    @Sendable func createKey(_ input: CreateKeyInput, context: RequestContext) async throws -> KeyMetadataOutput {
        let account = context.principal.accountID
        let region = context.region
        if input.KeySpec != nil, input.CustomerMasterKeySpec != nil {
            throw KMSError.validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
        }
        let spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? KeySpecInfo.symmetric
        guard let info = KeySpecInfo.all[spec] else {
            throw KMSError.unsupported("KeySpec \(spec) is not supported in this Region.")
        }
        let usage = input.KeyUsage ?? KeySpecInfo.encryptDecrypt
        guard info.usages.contains(usage) else {
            throw KMSError.validation("KeyUsage \(usage) is not compatible with KeySpec \(spec)")
        }
        let origin = input.Origin ?? "AWS_KMS"
        switch origin {
        case "AWS_KMS": break
        case "EXTERNAL":
            guard info.isSymmetric || info.isHMAC else {
                throw KMSError.unsupported("Nimbus imports key material only into SYMMETRIC_DEFAULT and HMAC keys.")
            }
        default:
            throw KMSError.unsupported("Origin \(origin) is not supported: Nimbus has no custom key stores.")
        }
        if input.CustomKeyStoreId != nil { throw KMSError.unsupported("Custom key stores are not supported.") }
        let multiRegion = input.MultiRegion == true
        if multiRegion, origin == "EXTERNAL" {
            throw KMSError.unsupported("Nimbus does not import key material into multi-Region keys.")
        }
        let tags = try Self.mergeTags([], input.Tags ?? [])
        let id = multiRegion ? Self.newMultiRegionKeyID() : UUID().uuidString.lowercased()
        let arn = Self.keyARN(account: account, region: region, id: id)
        let policy: String
        if let given = input.Policy {
            try Self.validateKeyPolicy(given)
            policy = given
        } else {
            policy = Self.defaultKeyPolicy(account: account)
        }
        var key = KeyRecord(
            keyID: id, account: account, region: region, arn: arn, createdAt: clock.now,
            description: input.Description ?? "", keySpec: spec, keyUsage: usage, origin: origin,
            state: origin == "EXTERNAL" ? KeyState.pendingImport : KeyState.enabled,
            policy: policy, tags: tags, rotationEnabled: false, materials: [], multiRegion: multiRegion
        )
        if multiRegion {
            key.multiRegionType = Self.primary
            key.primaryRegion = region
            key.replicaRegions = []
        }
        if origin == "AWS_KMS" {
            var material = try KeyMaterial.generate(spec: spec)
            key.materials = [try seal(&material, key: key, version: 1, rotationType: nil)]
        }
        try await store.write { [key] tx in
            let existing = try tx.scan(KMSKeys.keys, prefix: "\(account)/\(region)/", after: nil, reverse: false, limit: Self.keysPerRegion)
            guard existing.count < Self.keysPerRegion else {
                throw KMSError.limitExceeded("You have reached the limit of \(Self.keysPerRegion) KMS keys in this Region.")
            }
            try tx.putJSON(KMSKeys.keys, KMSKeys.key(account, region, id), key)
        }
        return KeyMetadataOutput(KeyMetadata: KeyMetadata(key))
    }

    /// The policy AWS gives a key created through the API without one: the account may use IAM policies
    /// to allow every KMS operation on it.
    static func defaultKeyPolicy(account: String) -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::\(account):root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """
    }

    struct ListInput: Decodable, Sendable {
        var Limit: Int?
        var Marker: String?
    }

    struct KeyListEntry: Encodable, Sendable {
        var KeyId: String
        var KeyArn: String
    }

    struct ListKeysOutput: Encodable, Sendable {
        var Keys: [KeyListEntry]
        var NextMarker: String?
        var Truncated: Bool
    }

    @Sendable func listKeys(_ input: ListInput, context: RequestContext) async throws -> ListKeysOutput {
        let page = try await page(KeyRecord.self, KMSKeys.keys, prefix: "\(context.principal.accountID)/\(context.region)/", limit: input.Limit, defaultLimit: 1000, marker: input.Marker)
        return ListKeysOutput(Keys: page.items.map { KeyListEntry(KeyId: $0.keyID, KeyArn: $0.arn) }, NextMarker: page.nextMarker, Truncated: page.truncated)
    }

    struct ScheduleKeyDeletionInput: Decodable, Sendable {
        var KeyId: String
        var PendingWindowInDays: Int?
    }

    struct ScheduleKeyDeletionOutput: Encodable, Sendable {
        var KeyId: String
        var DeletionDate: Date
        var KeyState: String
        var PendingWindowInDays: Int
    }

    @Sendable func scheduleKeyDeletion(_ input: ScheduleKeyDeletionInput, context: RequestContext) async throws -> ScheduleKeyDeletionOutput {
        let days = input.PendingWindowInDays ?? 30
        guard days >= 7 else {
            throw KMSError.validation("1 validation error detected: Value '\(days)' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7")
        }
        guard days <= 30 else {
            throw KMSError.validation("1 validation error detected: Value '\(days)' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30")
        }
        let deletion = clock.now.addingTimeInterval(Double(days) * 86_400)
        let key = try await updateKey(input.KeyId, context) { key in
            try self.requireNotPendingDeletion(key)
            key.enabledBeforeDeletion = key.isEnabled
            // A primary key outlives its replicas: it is deleted once they are gone and its window has passed.
            key.state = key.multiRegionType == Self.primary && !(key.replicaRegions ?? []).isEmpty
                ? KeyState.pendingReplicaDeletion : KeyState.pendingDeletion
            key.deletionDate = deletion
            key.pendingWindowInDays = days
        }
        return ScheduleKeyDeletionOutput(KeyId: key.arn, DeletionDate: deletion, KeyState: key.state, PendingWindowInDays: days)
    }

    // MARK: Tags

    struct TagResourceInput: Decodable, Sendable {
        var KeyId: String
        var Tags: [KMSTag]
    }

    struct UntagResourceInput: Decodable, Sendable {
        var KeyId: String
        var TagKeys: [String]
    }

    struct ListResourceTagsInput: Decodable, Sendable {
        var KeyId: String
        var Limit: Int?
        var Marker: String?
    }

    struct ListResourceTagsOutput: Encodable, Sendable {
        var Tags: [KMSTag]
        var NextMarker: String?
        var Truncated: Bool
    }

    /// At most 50 tags; keys 1–128 and values 0–256 characters; no `aws:` keys. A tag with an existing key replaces it.
    static func mergeTags(_ existing: [KMSTag], _ new: [KMSTag]) throws -> [KMSTag] {
        var merged = existing
        for tag in new {
            guard (1...128).contains(tag.TagKey.count), tag.TagValue.count <= 256 else {
                throw KMSError.tagException("Tag keys must be 1 to 128 characters and tag values at most 256 characters.")
            }
            guard !tag.TagKey.lowercased().hasPrefix("aws:") else {
                throw KMSError.tagException("Tags beginning with aws: are reserved.")
            }
            if let i = merged.firstIndex(where: { $0.TagKey == tag.TagKey }) {
                merged[i] = tag
            } else {
                merged.append(tag)
            }
        }
        guard merged.count <= 50 else {
            throw KMSError.limitExceeded("A KMS key can have at most 50 tags.")
        }
        return merged
    }

    // MARK: Pagination

    /// One page of JSON records under `prefix`. The marker is the last key of the previous page,
    /// base64-encoded; one that does not belong to `prefix` is `InvalidMarkerException`.
    func page<Item: Decodable & Sendable>(
        _ type: Item.Type,
        _ namespace: String,
        prefix: String,
        limit: Int?,
        defaultLimit: Int,
        marker: String?,
        where include: @escaping @Sendable (Item) -> Bool = { _ in true }
    ) async throws -> KMSPage<Item> {
        let limit = limit ?? defaultLimit
        var after: String?
        if let marker {
            guard let data = Data(base64Encoded: marker), let key = String(data: data, encoding: .utf8), key.hasPrefix(prefix) else {
                throw KMSError.invalidMarker()
            }
            after = key
        }
        return try await store.read { [after] reader in
            var items: [Item] = []
            var cursor = after
            var lastKey: String?
            let decoder = JSONDecoder()
            while true {
                let batch = try reader.scan(namespace, prefix: prefix, after: cursor, reverse: false, limit: 256)
                if batch.isEmpty { break }
                for entry in batch {
                    let item = try decoder.decode(Item.self, from: Data(entry.value))
                    guard include(item) else { continue }
                    if items.count == limit {
                        return KMSPage(items: items, nextMarker: lastKey.map { Data($0.utf8).base64EncodedString() })
                    }
                    items.append(item)
                    lastKey = entry.key
                }
                cursor = batch.last?.key
            }
            return KMSPage(items: items, nextMarker: nil)
        }
    }

    /// Pagination over a small list held in one record: the marker is the index to continue at.
    static func pageOfArray<Item: Sendable>(_ all: [Item], limit: Int?, defaultLimit: Int, marker: String?) throws -> KMSPage<Item> {
        let limit = limit ?? defaultLimit
        var start = 0
        if let marker {
            guard let data = Data(base64Encoded: marker), let text = String(data: data, encoding: .utf8),
                  text.hasPrefix("i:"), let index = Int(text.dropFirst(2)), (0...all.count).contains(index)
            else { throw KMSError.invalidMarker() }
            start = index
        }
        let end = min(all.count, start + limit)
        let next = end < all.count ? Data("i:\(end)".utf8).base64EncodedString() : nil
        return KMSPage(items: Array(all[start..<end]), nextMarker: next)
    }
}
