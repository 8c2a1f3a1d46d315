//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore

/// Where KMS keeps its state in the metadata store.
///
/// Keys and aliases belong to an account and a Region, so every key starts `<account>/<region>/`.
/// Key material is never stored in plaintext: each backing key is sealed with the root key under the
/// context ``KMSKeys/materialContext(account:region:keyID:version:)``.
enum KMSKeys {
    /// `<account>/<region>/<key id>` → ``KeyRecord``.
    static let keys = "kms.keys"
    /// `<account>/<region>/<alias name>` → ``AliasRecord``.
    static let aliases = "kms.aliases"
    /// `<account>/<region>/<key id>/<alias name>` → nothing: the aliases of one key, which every request that names
    /// a key reads (`kms:ResourceAliases`), without reading every alias of the account. Written only by
    /// `KMSService.storeAlias` and `KMSService.removeAlias`, with the alias itself.
    static let aliasTargets = "kms.alias-targets"
    /// `<account>/<region>/<key id>/<grant id>` → ``GrantRecord``.
    static let grants = "kms.grants"
    /// `<account>/<region>/<key id>/<token id>` → ``ImportParametersRecord``.
    static let importTokens = "kms.import-tokens"

    static func key(_ account: String, _ region: String, _ keyID: String) -> String { "\(account)/\(region)/\(keyID)" }

    static func aliasTarget(_ account: String, _ region: String, _ keyID: String, _ aliasName: String) -> String {
        "\(account)/\(region)/\(keyID)/\(aliasName)"
    }

    /// The root-key sealing context of one backing key version: a sealed blob cannot be moved to another key.
    static func materialContext(account: String, region: String, keyID: String, version: Int) -> String {
        "kms/key-material/\(account)/\(region)/\(keyID)/v\(version)"
    }

    static func importContext(account: String, region: String, keyID: String, tokenID: String) -> String {
        "kms/import-wrapping-key/\(account)/\(region)/\(keyID)/\(tokenID)"
    }
}

/// ```json
/// {"TagKey": "team", "TagValue": "blue"}
/// ```
struct KMSTag: Codable, Sendable, Hashable {
    var TagKey: String
    var TagValue: String
}

/// One version of a key's material (a "backing key"), sealed under the root key (`Data`: base64 in the stored JSON).
struct BackingKey: Codable, Sendable {
    /// 1 for the first material; each rotation or import adds one.
    var version: Int
    /// Hex id of the material, the `KeyMaterialId` AWS shows (SHA-256 of key id and version, not of the material).
    var materialID: String
    /// `RootKey.seal(material, context: KMSKeys.materialContext(...))`.
    var sealed: Data
    var createdAt: Date
    /// `AUTOMATIC` or `ON_DEMAND` for rotated material; nil for the first.
    var rotationType: String?
    /// Imported material: when it expires (nil: never).
    var validTo: Date?
    var expirationModel: String?
}

/// A KMS key: its metadata, policy, tags, rotation settings and sealed material.
struct KeyRecord: Codable, Sendable {
    var keyID: String
    var account: String
    var region: String
    var arn: String
    var createdAt: Date
    var description: String
    var keySpec: String
    var keyUsage: String
    var origin: String
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`.
    var state: String
    /// The state to return to when a deletion is cancelled or material is imported: enabled or disabled.
    var enabledBeforeDeletion: Bool?
    var deletionDate: Date?
    var pendingWindowInDays: Int?
    var policy: String
    var tags: [KMSTag]
    var rotationEnabled: Bool
    var rotationPeriodInDays: Int?
    var nextRotationDate: Date?
    var onDemandRotationStartDate: Date?
    /// Oldest first; the last is the current material. Empty for an EXTERNAL key before its first import.
    var materials: [BackingKey]
    /// The KeyMaterialId of material deleted with DeleteImportedKeyMaterial, so a re-import must match it.
    var importedMaterialFingerprint: String?
    var multiRegion: Bool
    /// A multi-Region key's part: `PRIMARY` or `REPLICA`; with the Region of the primary and those of the replicas.
    var multiRegionType: String? = nil
    var primaryRegion: String? = nil
    var replicaRegions: [String]? = nil

    var isEnabled: Bool { state == KeyState.enabled }
    var current: BackingKey? { materials.last }
    func material(version: Int) -> BackingKey? { materials.first { $0.version == version } }
}

enum KeyState {
    static let enabled = "Enabled"
    static let disabled = "Disabled"
    static let pendingDeletion = "PendingDeletion"
    static let pendingImport = "PendingImport"
    /// A multi-Region primary key scheduled for deletion while it still has replicas.
    static let pendingReplicaDeletion = "PendingReplicaDeletion"
}

/// An alias; also the `AliasListEntry` of `ListAliases`.
struct AliasRecord: Codable, Sendable {
    var AliasName: String
    var AliasArn: String
    var TargetKeyId: String?
    var CreationDate: Date?
    var LastUpdatedDate: Date?
}

/// `GrantConstraints`.
struct GrantConstraints: Codable, Sendable, Hashable {
    var EncryptionContextSubset: [String: String]?
    var EncryptionContextEquals: [String: String]?
}

/// A grant; also the `GrantListEntry` of `ListGrants`.
struct GrantRecord: Codable, Sendable {
    var KeyId: String
    var GrantId: String
    var Name: String?
    var CreationDate: Date
    var GranteePrincipal: String
    var RetiringPrincipal: String?
    var IssuingAccount: String
    var Operations: [String]
    var Constraints: GrantConstraints?
    /// The grant token handed out at creation (not returned by ListGrants).
    var token: String?

    /// Whether the grant allows `operation` with `context` for `principal`.
    func allows(principalARN: String, operation: String, encryptionContext: [String: String]) -> Bool {
        guard GranteePrincipal == principalARN, Operations.contains(operation) else { return false }
        guard let constraints = Constraints else { return true }
        if let equals = constraints.EncryptionContextEquals, equals != encryptionContext { return false }
        if let subset = constraints.EncryptionContextSubset {
            for (key, value) in subset where encryptionContext[key] != value { return false }
        }
        return true
    }
}

/// An outstanding `GetParametersForImport`: the wrapping private key, sealed, until `validTo`.
struct ImportParametersRecord: Codable, Sendable {
    var tokenID: String
    var wrappingAlgorithm: String
    var wrappingKeySpec: String
    var sealedPrivateKey: Data
    var validTo: Date
}

/// KMS's errors, with AWS's codes. All are client faults (HTTP 400) unless noted.
enum KMSError {
    static func notFound(_ message: String) -> AWSError { AWSError(code: "NotFoundException", message: message, status: 400) }
    static func keyNotFound(_ arn: String) -> AWSError { notFound("Key '\(arn)' does not exist") }
    static func aliasNotFound(_ arn: String) -> AWSError { notFound("Alias \(arn) is not found.") }
    static func invalidKeyID(_ id: String) -> AWSError { notFound("Invalid keyId '\(id)'") }
    static func invalidArn(_ message: String) -> AWSError { AWSError(code: "InvalidArnException", message: message, status: 400) }
    static func disabled(_ arn: String) -> AWSError { AWSError(code: "DisabledException", message: "\(arn) is disabled.", status: 400) }
    static func invalidState(_ message: String) -> AWSError { AWSError(code: "KMSInvalidStateException", message: message, status: 400) }
    static func invalidKeyUsage(_ message: String) -> AWSError { AWSError(code: "InvalidKeyUsageException", message: message, status: 400) }
    /// AWS answers a ciphertext it cannot decrypt without a message, so nothing about it leaks.
    static let invalidCiphertext = AWSError(code: "InvalidCiphertextException", message: "", status: 400)
    static let incorrectKey = AWSError(
        code: "IncorrectKeyException",
        message: "The key ID in the request does not identify a KMS key that can perform this operation.",
        status: 400
    )
    static let invalidSignature = AWSError(code: "KMSInvalidSignatureException", message: "", status: 400)
    static let invalidMac = AWSError(code: "KMSInvalidMacException", message: "", status: 400)
    static func alreadyExists(_ message: String) -> AWSError { AWSError(code: "AlreadyExistsException", message: message, status: 400) }
    static func notAuthorized(_ message: String) -> AWSError { AWSError(code: "NotAuthorizedException", message: message, status: 400) }
    static func malformedPolicy(_ message: String) -> AWSError { AWSError(code: "MalformedPolicyDocumentException", message: message, status: 400) }
    static func limitExceeded(_ message: String) -> AWSError { AWSError(code: "LimitExceededException", message: message, status: 400) }
    static func unsupported(_ message: String) -> AWSError { AWSError(code: "UnsupportedOperationException", message: message, status: 400) }
    static func invalidMarker() -> AWSError { AWSError(code: "InvalidMarkerException", message: "Invalid marker.", status: 400) }
    static func invalidGrantToken() -> AWSError { AWSError(code: "InvalidGrantTokenException", message: "Grant token is invalid.", status: 400) }
    static func invalidGrantID() -> AWSError { AWSError(code: "InvalidGrantIdException", message: "Grant id is invalid.", status: 400) }
    static func invalidAliasName(_ message: String) -> AWSError { AWSError(code: "InvalidAliasNameException", message: message, status: 400) }
    static func invalidImportToken() -> AWSError {
        AWSError(code: "InvalidImportTokenException", message: "The import token is invalid or expired.", status: 400)
    }
    static func incorrectKeyMaterial() -> AWSError {
        AWSError(code: "IncorrectKeyMaterialException", message: "The key material in the request is not valid for this KMS key.", status: 400)
    }
    static func expiredImportToken() -> AWSError {
        AWSError(code: "ExpiredImportTokenException", message: "The import token has expired.", status: 400)
    }
    static func tagException(_ message: String) -> AWSError { AWSError(code: "TagException", message: message, status: 400) }
    static func validation(_ message: String) -> AWSError { AWSError(code: "ValidationException", message: message, status: 400) }
    static func dryRun() -> AWSError {
        AWSError(code: "DryRunOperationException", message: "The request would have succeeded, but the DryRun option is set.", status: 412)
    }
}
