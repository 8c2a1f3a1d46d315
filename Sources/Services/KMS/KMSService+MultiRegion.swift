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

// Multi-Region keys: a primary key (`mrk-` id) and replicas of it in other Regions, each a key record of its own
// Region with the same id and the same key material, so that a ciphertext made in one Region decrypts in
// another. The material is sealed per record (its Region is in the root key's context) and rotates with the
// primary: each new backing key is sealed into every replica in the rotation's own transaction. Every record of
// the set lists the primary's Region and the replicas' (`primaryRegion`, `replicaRegions`), as DescribeKey shows.

extension KMSService {
    static let primary = "PRIMARY"
    static let replica = "REPLICA"

    /// A new multi-Region key id: `mrk-` and 32 hex digits.
    static func newMultiRegionKeyID() -> String {
        "mrk-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// `^[a-z]+-[a-z]+(-[a-z]+)?-[0-9]+$`: the shape of a Region name.
    static func isRegionName(_ region: String) -> Bool {
        let parts = region.split(separator: "-", omittingEmptySubsequences: false)
        guard (3...4).contains(parts.count), let last = parts.last, !last.isEmpty, last.allSatisfy(\.isASCII), last.allSatisfy(\.isNumber) else {
            return false
        }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 >= "a" && $0 <= "z" } }
    }

    func multiRegionHandlers() -> [String: OperationHandler] {
        [
            "ReplicateKey": OperationHandler(replicateKey),
            "UpdatePrimaryRegion": OperationHandler { (input: UpdatePrimaryRegionInput, context) in
                try await self.updatePrimaryRegion(input, context: context)
                return EmptyShape()
            },
        ]
    }

    struct ReplicateKeyInput: Decodable, Sendable {
        var KeyId: String
        var ReplicaRegion: String
        var Policy: String?
        var BypassPolicyLockoutSafetyCheck: Bool?
        var Description: String?
        var Tags: [KMSTag]?
    }

    struct ReplicateKeyOutput: Encodable, Sendable {
        var ReplicaKeyMetadata: KeyMetadata
        var ReplicaPolicy: String
        var ReplicaTags: [KMSTag]
    }

    @Sendable func replicateKey(_ input: ReplicateKeyInput, context: RequestContext) async throws -> ReplicateKeyOutput {
        guard Self.isRegionName(input.ReplicaRegion) else {
            throw KMSError.validation("1 validation error detected: Value '\(input.ReplicaRegion)' at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$")
        }
        let policy = input.Policy ?? Self.defaultKeyPolicy(account: context.principal.accountID)
        if input.Policy != nil { try Self.validateKeyPolicy(policy) }
        let tags = try Self.mergeTags([], input.Tags ?? [])
        let now = clock.now
        let account = context.principal.accountID
        let region = context.region
        let replica: KeyRecord = try await store.write { tx in
            var primary = try Self.lookup(input.KeyId, account: account, region: region, in: tx, allowAlias: false, crossAccount: false)
            guard primary.multiRegion else { throw KMSError.unsupported("\(primary.arn) is not a multi-Region key.") }
            guard primary.multiRegionType == Self.primary else {
                throw KMSError.unsupported("\(primary.arn) is a replica key; replicate its primary key in \(primary.primaryRegion ?? "its primary Region").")
            }
            try self.requireNotPendingDeletion(primary)
            guard input.ReplicaRegion != primary.region else {
                throw KMSError.validation("The replica Region \(input.ReplicaRegion) is the primary key's Region.")
            }
            let replicaStoreKey = KMSKeys.key(account, input.ReplicaRegion, primary.keyID)
            guard try tx.get(KMSKeys.keys, replicaStoreKey) == nil else {
                throw KMSError.alreadyExists("\(Self.keyARN(account: account, region: input.ReplicaRegion, id: primary.keyID)) already exists.")
            }
            var replica = primary
            replica.region = input.ReplicaRegion
            replica.arn = Self.keyARN(account: account, region: input.ReplicaRegion, id: primary.keyID)
            replica.createdAt = now
            replica.description = input.Description ?? primary.description
            replica.policy = policy
            replica.tags = tags
            replica.state = primary.state == KeyState.disabled ? KeyState.disabled : KeyState.enabled
            replica.enabledBeforeDeletion = nil
            replica.deletionDate = nil
            replica.pendingWindowInDays = nil
            replica.multiRegionType = Self.replica
            replica.materials = try primary.materials.map { backing in
                var material = try self.openMaterial(primary, version: backing.version)
                var sealed = try self.seal(&material, key: replica, version: backing.version, rotationType: backing.rotationType)
                sealed.createdAt = backing.createdAt
                sealed.expirationModel = backing.expirationModel
                sealed.validTo = backing.validTo
                return sealed
            }
            let regions = (primary.replicaRegions ?? []) + [input.ReplicaRegion]
            primary.replicaRegions = regions
            replica.replicaRegions = regions
            try tx.putJSON(KMSKeys.keys, KMSKeys.key(account, region, primary.keyID), primary)
            try tx.putJSON(KMSKeys.keys, replicaStoreKey, replica)
            try Self.setReplicaRegions(regions, primaryRegion: region, of: primary.keyID, account: account, except: [region, input.ReplicaRegion], in: tx)
            return replica
        }
        return ReplicateKeyOutput(ReplicaKeyMetadata: KeyMetadata(replica), ReplicaPolicy: replica.policy, ReplicaTags: replica.tags)
    }

    struct UpdatePrimaryRegionInput: Decodable, Sendable {
        var KeyId: String
        var PrimaryRegion: String
    }

    func updatePrimaryRegion(_ input: UpdatePrimaryRegionInput, context: RequestContext) async throws {
        let account = context.principal.accountID
        let region = context.region
        try await store.write { tx in
            var primary = try Self.lookup(input.KeyId, account: account, region: region, in: tx, allowAlias: false, crossAccount: false)
            guard primary.multiRegion else { throw KMSError.unsupported("\(primary.arn) is not a multi-Region key.") }
            guard primary.multiRegionType == Self.primary else {
                throw KMSError.unsupported("\(primary.arn) is not the primary key; call UpdatePrimaryRegion in \(primary.primaryRegion ?? "its primary Region").")
            }
            try self.requireNotPendingDeletion(primary)
            guard input.PrimaryRegion != region else { return }
            let target = KMSKeys.key(account, input.PrimaryRegion, primary.keyID)
            guard var promoted = try tx.getJSON(KeyRecord.self, KMSKeys.keys, target) else {
                throw KMSError.keyNotFound(Self.keyARN(account: account, region: input.PrimaryRegion, id: primary.keyID))
            }
            try self.requireNotPendingDeletion(promoted)
            let regions = ((primary.replicaRegions ?? []).filter { $0 != input.PrimaryRegion } + [region]).sorted()
            primary.multiRegionType = Self.replica
            promoted.multiRegionType = Self.primary
            for var record in [primary, promoted] {
                record.primaryRegion = input.PrimaryRegion
                record.replicaRegions = regions
                try tx.putJSON(KMSKeys.keys, KMSKeys.key(account, record.region, record.keyID), record)
            }
            try Self.setReplicaRegions(regions, primaryRegion: input.PrimaryRegion, of: primary.keyID, account: account,
                                       except: [region, input.PrimaryRegion], in: tx)
        }
    }

    /// Writes the set's Regions into each of its other records.
    static func setReplicaRegions(
        _ regions: [String], primaryRegion: String, of keyID: String, account: String, except: Set<String>, in tx: any StoreWriter
    ) throws {
        for other in regions where !except.contains(other) {
            let storeKey = KMSKeys.key(account, other, keyID)
            guard var record = try tx.getJSON(KeyRecord.self, KMSKeys.keys, storeKey) else { continue }
            record.replicaRegions = regions
            record.primaryRegion = primaryRegion
            try tx.putJSON(KMSKeys.keys, storeKey, record)
        }
    }

    /// After a primary key gained backing key `backing` (material `material`, which this wipes), seals it into each replica.
    func sealIntoReplicas(of primary: KeyRecord, material: [UInt8], backing: BackingKey, in tx: any StoreWriter) throws {
        guard primary.multiRegionType == Self.primary else { return }
        for region in primary.replicaRegions ?? [] {
            let storeKey = KMSKeys.key(primary.account, region, primary.keyID)
            guard var replica = try tx.getJSON(KeyRecord.self, KMSKeys.keys, storeKey),
                !replica.materials.contains(where: { $0.version == backing.version })
            else { continue }
            var copy = material
            var sealed = try seal(&copy, key: replica, version: backing.version, rotationType: backing.rotationType)
            sealed.createdAt = backing.createdAt
            replica.materials.append(sealed)
            try tx.putJSON(KMSKeys.keys, storeKey, replica)
        }
    }

    /// Rotation is the primary key's: a replica's is refused.
    func requireNotReplica(_ key: KeyRecord) throws {
        if key.multiRegionType == Self.replica {
            throw KMSError.unsupported("\(key.arn) is a multi-Region replica key; its rotation is managed by its primary key in \(key.primaryRegion ?? "its primary Region").")
        }
    }

    /// When a replica is deleted, the rest of its set forgets it.
    static func forgetReplica(_ key: KeyRecord, in tx: any StoreWriter) throws {
        guard key.multiRegion, let regions = key.replicaRegions, let primaryRegion = key.primaryRegion else { return }
        let remaining = regions.filter { $0 != key.region }
        for region in [primaryRegion] + remaining where region != key.region {
            let storeKey = KMSKeys.key(key.account, region, key.keyID)
            guard var record = try tx.getJSON(KeyRecord.self, KMSKeys.keys, storeKey) else { continue }
            record.replicaRegions = remaining
            try tx.putJSON(KMSKeys.keys, storeKey, record)
        }
    }
}

/// DescribeKey's `MultiRegionConfiguration`.
struct MultiRegionConfiguration: Encodable, Sendable {
    struct Key: Encodable, Sendable {
        var Arn: String
        var Region: String
    }
    var MultiRegionKeyType: String
    var PrimaryKey: Key
    var ReplicaKeys: [Key]

    init?(_ key: KeyRecord) {
        guard key.multiRegion, let type = key.multiRegionType, let primaryRegion = key.primaryRegion else { return nil }
        MultiRegionKeyType = type
        PrimaryKey = Key(Arn: KMSService.keyARN(account: key.account, region: primaryRegion, id: key.keyID), Region: primaryRegion)
        ReplicaKeys = (key.replicaRegions ?? []).map { Key(Arn: KMSService.keyARN(account: key.account, region: $0, id: key.keyID), Region: $0) }
    }
}
