//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
public import NimbusCore
public import NimbusStorage
public import NimbusWire

/// AWS Key Management Service: symmetric, RSA, ECC and HMAC keys per account and Region, with aliases,
/// key policies, grants, rotation and imported key material.
///
/// Key material lives in the metadata store only sealed under the root key, one sealing context per key
/// and backing-key version; plaintext and material never appear in errors or logs.
///
/// Handlers live in `KMSService+<Area>.swift`. The server wires, besides ``definition()``:
/// ``keyPolicy(keyARN:)`` (the key policy, a required resource policy), ``grantAllows(keyARN:principalARN:operation:encryptionContext:)``,
/// ``resolveKeyARN(_:account:region:)`` (aliases and ids to the key ARN for authorization) and
/// ``runMaintenance(now:)`` (deletions, automatic rotation, expiry of imported material).
public final class KMSService: Sendable {
    let store: any MetadataStore
    let rootKey: RootKey
    let clock: WallClock

    public init(store: any MetadataStore, rootKey: RootKey, clock: WallClock = .system) {
        self.store = store
        self.rootKey = rootKey
        self.clock = clock
    }

    /// Data migrations of the KMS namespaces.
    public static let migrations: [StoreMigration] = [
        // Data dirs from before `KMSKeys.aliasTargets` get the index of the aliases they already have.
        StoreMigration("v2-alias-targets") { tx in
            for (storeKey, alias) in try tx.scanJSON(AliasRecord.self, KMSKeys.aliases) {
                guard let target = alias.TargetKeyId else { continue }
                let scope = storeKey.split(separator: "/", maxSplits: 2)
                guard scope.count == 3 else { continue }
                try tx.put(KMSKeys.aliasTargets, KMSKeys.aliasTarget(String(scope[0]), String(scope[1]), target, alias.AliasName), [])
            }
        }
    ]

    public func definition() -> ServiceDefinition {
        var handlers: [String: OperationHandler] = [:]
        for table in [
            keyHandlers(), aliasHandlers(), cryptoHandlers(), rotationHandlers(), policyHandlers(), grantHandlers(), importHandlers(),
            multiRegionHandlers(),
        ] {
            handlers.merge(table) { first, _ in first }
        }
        var definition = ServiceDefinition(
            model: .kms,
            handlers: handlers,
            authorization: Self.authorizationTable,
            authorizationContext: authorizationContextProviders()
        )
        definition.resourceResolvers = resourceResolvers()
        return definition
    }

    // MARK: For the server

    /// The key policy of the key `keyARN`, for the authorizer to evaluate as the key's resource policy;
    /// nil when there is no such key.
    public func keyPolicy(keyARN: String) async throws -> String? {
        guard let (account, region, id) = Self.parseKeyARN(keyARN) else { return nil }
        return try await store.read { try Self.keyRecords.get($0, KMSKeys.keys, KMSKeys.key(account, region, id))?.policy }
    }

    /// Whether a grant on `keyARN` gives `principalARN` the KMS `operation` (`Decrypt`, `Encrypt` …,
    /// without the `kms:` prefix) for a request with `encryptionContext`.
    ///
    /// For a role session pass the role's ARN too (a second call), since grants name roles.
    public func grantAllows(keyARN: String, principalARN: String, operation: String, encryptionContext: [String: String]) async throws -> Bool {
        guard let (account, region, id) = Self.parseKeyARN(keyARN) else { return false }
        let operation = operation.hasPrefix("kms:") ? String(operation.dropFirst(4)) : operation
        let grants = try await store.read { try $0.scanJSON(GrantRecord.self, KMSKeys.grants, prefix: KMSKeys.key(account, region, id) + "/") }
        return grants.contains { $0.value.allows(principalARN: principalARN, operation: operation, encryptionContext: encryptionContext) }
    }

    /// The key ARN that a `KeyId` (key id, key ARN, alias name or alias ARN) names for a caller in
    /// `account` and `region`; nil when it names nothing. The authorizer uses it as the resource.
    public func resolveKeyARN(_ keyID: String, account: String, region: String) async throws -> String? {
        try await store.read { reader in
            try? Self.lookup(keyID, account: account, region: region, in: reader, allowAlias: true, crossAccount: true).arn
        }
    }

    // MARK: Lookups

    static func keyARN(account: String, region: String, id: String) -> String { "arn:aws:kms:\(region):\(account):key/\(id)" }
    static func aliasARN(account: String, region: String, name: String) -> String { "arn:aws:kms:\(region):\(account):\(name)" }

    /// `(account, region, key id)` of `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    static func parseKeyARN(_ arn: String) -> (String, String, String)? {
        guard let parsed = ARN(arn), parsed.service == "kms", parsed.resource.hasPrefix("key/") else { return nil }
        return (parsed.accountID, parsed.region, String(parsed.resource.dropFirst(4)))
    }

    /// A lowercase UUID (`8-4-4-4-12` hex digits), checked on bytes: Foundation's `UUID(uuidString:)` and a
    /// lowercased copy showed in every KMS call's profile.
    static func isKeyID(_ s: String) -> Bool {
        // A multi-Region key: `mrk-` and 32 hex digits.
        if s.hasPrefix("mrk-") {
            let digits = s.utf8.dropFirst(4)
            return digits.count == 32 && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        }
        var count = 0
        for byte in s.utf8 {
            switch count {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return false }
            default:
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) else {
                    return false
                }
            }
            count += 1
            if count > 36 { return false }
        }
        return count == 36
    }

    /// The key a `KeyId` names: a key id, a key ARN, or (where `allowAlias`) an alias name or alias ARN.
    ///
    /// - Throws: `NotFoundException` for a missing key or alias, or a malformed id.
    static func lookup(
        _ keyID: String,
        account: String,
        region: String,
        in reader: any StoreReader,
        allowAlias: Bool,
        crossAccount: Bool = true
    ) throws -> KeyRecord {
        var account = account
        var region = region
        var id = keyID
        if keyID.hasPrefix("arn:") {
            guard let arn = ARN(keyID), arn.service == "kms", Identifiers.isAccountID(arn.accountID) else {
                throw KMSError.invalidArn("\(keyID) is not a valid ARN.")
            }
            guard crossAccount || arn.accountID == account, arn.region == region else {
                throw KMSError.keyNotFound(keyID)
            }
            account = arn.accountID
            region = arn.region
            id = arn.resource
            if id.hasPrefix("key/") {
                id = String(id.dropFirst(4))
            } else if !id.hasPrefix("alias/") {
                throw KMSError.invalidArn("\(keyID) is not a valid ARN.")
            }
        }
        if id.hasPrefix("alias/") {
            guard allowAlias else { throw KMSError.invalidKeyID(keyID) }
            guard let alias = try reader.getJSON(AliasRecord.self, KMSKeys.aliases, KMSKeys.key(account, region, id)),
                  let target = alias.TargetKeyId
            else { throw KMSError.aliasNotFound(aliasARN(account: account, region: region, name: id)) }
            id = target
        }
        guard isKeyID(id) else { throw KMSError.invalidKeyID(keyID) }
        guard let key = try keyRecords.get(reader, KMSKeys.keys, KMSKeys.key(account, region, id)) else {
            throw KMSError.keyNotFound(keyARN(account: account, region: region, id: id))
        }
        return key
    }

    /// Key records as read several times per call (resolver, key policy, handler), decoded once per change.
    static let keyRecords = DecodedRecordCache<KeyRecord>()

    /// Reads the key `keyID` names for the caller.
    func key(_ keyID: String, _ context: RequestContext, allowAlias: Bool = true, crossAccount: Bool = true) async throws -> KeyRecord {
        let account = context.principal.accountID
        let region = context.region
        return try await store.read { reader in
            try Self.lookup(keyID, account: account, region: region, in: reader, allowAlias: allowAlias, crossAccount: crossAccount)
        }
    }

    /// Re-reads the key inside a write, applies `change`, stores it and returns the new record.
    @discardableResult
    func updateKey(
        _ keyID: String,
        _ context: RequestContext,
        allowAlias: Bool = false,
        crossAccount: Bool = false,
        then: (@Sendable (KeyRecord, any StoreWriter) throws -> Void)? = nil,
        _ change: @escaping @Sendable (inout KeyRecord) throws -> Void
    ) async throws -> KeyRecord {
        let account = context.principal.accountID
        let region = context.region
        return try await store.write { tx in
            var key = try Self.lookup(keyID, account: account, region: region, in: tx, allowAlias: allowAlias, crossAccount: crossAccount)
            try change(&key)
            try tx.putJSON(KMSKeys.keys, KMSKeys.key(key.account, key.region, key.keyID), key)
            try then?(key, tx)
            return key
        }
    }

    /// Throws unless the key can be used for cryptography now: `DisabledException` for a disabled key,
    /// `KMSInvalidStateException` for one pending deletion or import (or whose imported material expired).
    func requireUsable(_ key: KeyRecord) throws {
        switch key.state {
        case KeyState.enabled: break
        case KeyState.disabled: throw KMSError.disabled(key.arn)
        case KeyState.pendingDeletion: throw KMSError.invalidState("\(key.arn) is pending deletion.")
        case KeyState.pendingImport: throw KMSError.invalidState("\(key.arn) is pending import.")
        default: throw KMSError.invalidState("\(key.arn) is \(key.state).")
        }
        if let validTo = key.current?.validTo, validTo <= clock.now {
            throw KMSError.invalidState("\(key.arn) is pending import.")
        }
        guard key.current != nil else { throw KMSError.invalidState("\(key.arn) is pending import.") }
    }

    /// Throws `KMSInvalidStateException` while the key is pending deletion (management operations).
    func requireNotPendingDeletion(_ key: KeyRecord) throws {
        if key.state == KeyState.pendingDeletion || key.state == KeyState.pendingReplicaDeletion {
            throw KMSError.invalidState("\(key.arn) is pending deletion.")
        }
    }

    func requireUsage(_ key: KeyRecord, _ usage: String, operation: String) throws {
        guard key.keyUsage == usage else {
            throw KMSError.invalidKeyUsage("\(key.arn) key usage is \(key.keyUsage) which is not valid for \(operation).")
        }
    }

    /// Opens the material of `version` (the current one by default). The caller wipes the result.
    func openMaterial(_ key: KeyRecord, version: Int? = nil) throws -> [UInt8] {
        guard let backing = version.map({ key.material(version: $0) }) ?? key.current else { throw KMSError.invalidCiphertext }
        let context = KMSKeys.materialContext(account: key.account, region: key.region, keyID: key.keyID, version: backing.version)
        do {
            return try rootKey.open([UInt8](backing.sealed), context: context)
        } catch {
            throw AWSError.internalFailure()
        }
    }

    /// Seals new material as backing key `version`; wipes `material`.
    func seal(_ material: inout [UInt8], key: KeyRecord, version: Int, rotationType: String?) throws -> BackingKey {
        defer { wipe(&material) }
        let context = KMSKeys.materialContext(account: key.account, region: key.region, keyID: key.keyID, version: version)
        return BackingKey(
            version: version,
            materialID: Self.materialID(keyID: key.keyID, version: version),
            sealed: Data(try rootKey.seal(material, context: context)),
            createdAt: clock.now,
            rotationType: rotationType
        )
    }

    /// The public `KeyMaterialId`: derived from the key id and version, never from the material.
    static func materialID(keyID: String, version: Int) -> String {
        SHA256Hex.hex(Array("nimbus-kms-material/\(keyID)/\(version)".utf8))
    }

    static func dryRunCheck(_ dryRun: Bool?) throws {
        if dryRun == true { throw KMSError.dryRun() }
    }
}

/// Hex of a SHA-256, for identifiers.
enum SHA256Hex {
    static func hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}
