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

/// The resource each KMS operation acts on and the condition keys it adds, from the Service
/// Authorization Reference ("Actions defined by AWS Key Management Service").
///
/// Key operations act on `arn:aws:kms:REGION:ACCOUNT:key/KEY_ID`. The templates below fill in the
/// `KeyId` as given, which is right for a key id; for a key ARN, alias name or alias ARN the server
/// replaces the resource with ``KMSService/resolveKeyARN(_:account:region:)`` (an alias naming nothing
/// leaves the template's resource, which no key-specific statement matches: fail closed).
extension KMSService {
    static let authorizationTable: [String: OperationAuthorization] = {
        var table: [String: OperationAuthorization] = [:]
        let key = "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"
        let alias = "arn:${Partition}:kms:${Region}:${Account}:${AliasName}"
        for operation in keyOperations {
            table[operation] = OperationAuthorization(resource: key)
        }
        // Aliases need permission on the alias and on the key(s) it points to.
        table["CreateAlias"] = OperationAuthorization(resources: [alias, "arn:${Partition}:kms:${Region}:${Account}:key/${TargetKeyId}"])
        table["UpdateAlias"] = OperationAuthorization(resources: [alias, "arn:${Partition}:kms:${Region}:${Account}:key/${TargetKeyId}"])
        table["DeleteAlias"] = OperationAuthorization(resource: alias)
        table["ReEncrypt"] = OperationAuthorization(
            actions: ["kms:ReEncryptFrom", "kms:ReEncryptTo"],
            resources: ["arn:${Partition}:kms:${Region}:${Account}:key/${DestinationKeyId}", "arn:${Partition}:kms:${Region}:${Account}:key/${SourceKeyId}"]
        )
        // Decrypt of a symmetric blob may name no key: the server resolves it from the blob (``resolveCiphertextKeyARN``).
        // Account-level operations act on `*`: CreateKey, ListKeys, ListAliases, GenerateRandom, ListRetirableGrants.
        // RetireGrant is authorized by the grant itself (its retiring or grantee principal), in the handler.
        table["RetireGrant"] = .unauthorized
        return table
    }()

    static let keyOperations = [
        "DescribeKey", "EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "UpdateKeyDescription",
        "TagResource", "UntagResource", "ListResourceTags", "Encrypt", "Decrypt", "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify",
        "GenerateMac", "VerifyMac", "GetPublicKey", "EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus",
        "RotateKeyOnDemand", "ListKeyRotations", "GetKeyPolicy", "PutKeyPolicy", "ListKeyPolicies", "CreateGrant",
        "ListGrants", "RevokeGrant", "GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial",
        "ReplicateKey", "UpdatePrimaryRegion", "DeriveSharedSecret",
    ]

    /// The key ARN a symmetric ciphertext blob names, for authorizing a `Decrypt` or `ReEncrypt` without a key id.
    public static func ciphertextKeyARN(_ blob: [UInt8], region: String) -> String? {
        guard let parsed = SymmetricCiphertext(parsing: blob) else { return nil }
        return keyARN(account: parsed.account, region: region, id: parsed.keyID)
    }

    /// Condition keys of each operation: `kms:CallerAccount`, the encryption context, algorithms, and the
    /// key's own properties (`kms:KeySpec`, `kms:KeyUsage`, `kms:KeyOrigin`, `kms:ResourceAliases` …).
    func authorizationContextProviders() -> [String: AuthorizationContextProvider] {
        var providers: [String: AuthorizationContextProvider] = [:]
        let operations = Self.keyOperations + ["CreateKey", "CreateAlias", "UpdateAlias", "ReEncrypt", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants", "DeleteAlias"]
        for operation in operations {
            providers[operation] = { [self] input, context in
                try await self.conditionKeys(operation: operation, input: input, context: context)
            }
        }
        return providers
    }

    func conditionKeys(operation: String, input: ShapeValue, context: RequestContext) async throws -> [String: [String]] {
        var keys: [String: [String]] = ["kms:CallerAccount": [context.principal.accountID]]
        func put(_ name: String, _ member: String) {
            if let value = input[member]?.stringValue { keys[name] = [value] }
        }
        // Encryption context: `kms:EncryptionContext:<key>` and `kms:EncryptionContextKeys`.
        var encryptionContext: [String: String] = [:]
        for member in ["EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext"] {
            if case .map(let map)? = input[member] {
                for (k, v) in map { if let s = v.stringValue { encryptionContext[k] = s } }
            }
        }
        if !encryptionContext.isEmpty {
            keys["kms:EncryptionContextKeys"] = encryptionContext.keys.sorted()
            for (k, v) in encryptionContext { keys["kms:EncryptionContext:\(k)"] = [v] }
        }
        put("kms:EncryptionAlgorithm", "EncryptionAlgorithm")
        if operation == "ReEncrypt" {
            put("kms:EncryptionAlgorithm", "DestinationEncryptionAlgorithm")
            put("kms:ReEncryptOnSameKey", "__none__")
            if let source = input["SourceKeyId"]?.stringValue, let destination = input["DestinationKeyId"]?.stringValue {
                keys["kms:ReEncryptOnSameKey"] = [source == destination ? "true" : "false"]
            }
        }
        if ["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"].contains(operation),
           keys["kms:EncryptionAlgorithm"] == nil {
            keys["kms:EncryptionAlgorithm"] = ["SYMMETRIC_DEFAULT"]
        }
        put("kms:SigningAlgorithm", "SigningAlgorithm")
        if operation == "Sign" || operation == "Verify" { keys["kms:MessageType"] = [input["MessageType"]?.stringValue ?? "RAW"] }
        put("kms:MacAlgorithm", "MacAlgorithm")
        put("kms:DataKeyPairSpec", "KeyPairSpec")
        put("kms:WrappingAlgorithm", "WrappingAlgorithm")
        put("kms:WrappingKeySpec", "WrappingKeySpec")
        put("kms:ExpirationModel", "ExpirationModel")
        put("kms:ReplicaRegion", "ReplicaRegion")
        put("kms:KeyAgreementAlgorithm", "KeyAgreementAlgorithm")
        put("kms:PrimaryRegion", "PrimaryRegion")
        if let days = input["PendingWindowInDays"]?.integerValue { keys["kms:ScheduleKeyDeletionPendingWindowInDays"] = [String(days)] }
        if let days = input["RotationPeriodInDays"]?.integerValue { keys["kms:RotationPeriodInDays"] = [String(days)] }
        if let bypass = input["BypassPolicyLockoutSafetyCheck"]?.booleanValue { keys["kms:BypassPolicyLockoutSafetyCheck"] = [String(bypass)] }
        if operation == "CreateGrant" {
            if let operations = input["Operations"]?.listValue { keys["kms:GrantOperations"] = operations.compactMap(\.stringValue) }
            put("kms:GranteePrincipal", "GranteePrincipal")
            put("kms:RetiringPrincipal", "RetiringPrincipal")
            keys["kms:GrantIsForAWSResource"] = ["false"]
            if let constraints = input["Constraints"] {
                keys["kms:GrantConstraintType"] = ["EncryptionContextEquals", "EncryptionContextSubset"].filter { constraints[$0] != nil }
            }
        }
        if operation == "CreateKey" {
            keys["kms:KeySpec"] = [input["KeySpec"]?.stringValue ?? input["CustomerMasterKeySpec"]?.stringValue ?? KeySpecInfo.symmetric]
            keys["kms:KeyUsage"] = [input["KeyUsage"]?.stringValue ?? KeySpecInfo.encryptDecrypt]
            keys["kms:KeyOrigin"] = [input["Origin"]?.stringValue ?? "AWS_KMS"]
            keys["kms:MultiRegion"] = [String(input["MultiRegion"]?.booleanValue ?? false)]
        }
        if operation == "CreateKey" || operation == "TagResource" || operation == "UntagResource" {
            keys.merge(OperationAuthorization.requestTagKeys(input, key: "TagKey", value: "TagValue")) { _, tag in tag }
        }
        // The key's own properties, when the request names an existing key.
        let named = input["KeyId"]?.stringValue ?? input["TargetKeyId"]?.stringValue ?? input["DestinationKeyId"]?.stringValue
        if let named {
            if named.hasPrefix("alias/") || (named.hasPrefix("arn:") && named.contains(":alias/")) {
                keys["kms:RequestAlias"] = [named.hasPrefix("arn:") ? String(named[named.range(of: ":alias/")!.lowerBound...].dropFirst()) : named]
            }
            let account = context.principal.accountID
            let region = context.region
            let found: (KeyRecord, [String])? = try await store.read { reader in
                guard let key = try? Self.lookup(named, account: account, region: region, in: reader, allowAlias: true) else { return nil }
                return (key, try Self.aliasNames(of: key.keyID, account: key.account, region: key.region, in: reader))
            }
            if let (key, aliases) = found {
                keys["kms:KeySpec"] = [key.keySpec]
                keys["kms:KeyUsage"] = [key.keyUsage]
                keys["kms:KeyOrigin"] = [key.origin]
                keys["kms:MultiRegion"] = [String(key.multiRegion)]
                if let type = key.multiRegionType { keys["kms:MultiRegionKeyType"] = [type] }
                keys["kms:KeyManager"] = ["CUSTOMER"]
                if !aliases.isEmpty { keys["kms:ResourceAliases"] = aliases }
                for tag in key.tags { keys["aws:ResourceTag/\(tag.TagKey)"] = [tag.TagValue] }
            }
        }
        return keys
    }
}
