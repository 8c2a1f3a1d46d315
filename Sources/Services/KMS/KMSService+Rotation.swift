//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
import NimbusCore
import NimbusStorage
import NimbusWire

/// Rotation adds a backing key; encryption uses the newest, and every older one still decrypts the
/// ciphertexts that name it. Only symmetric keys with KMS-generated material rotate.
extension KMSService {
    /// On-demand rotations per key (AWS's quota).
    static let onDemandRotationLimit = 25

    func rotationHandlers() -> [String: OperationHandler] {
        [
            "EnableKeyRotation": OperationHandler { (input: EnableKeyRotationInput, context) in
                let days = input.RotationPeriodInDays ?? 365
                guard (90...2560).contains(days) else {
                    throw KMSError.validation("1 validation error detected: Value '\(days)' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560")
                }
                let now = self.clock.now
                try await self.updateKey(input.KeyId, context) { key in
                    try self.requireRotatable(key)
                    try self.requireNotReplica(key)
                    key.rotationEnabled = true
                    key.rotationPeriodInDays = days
                    key.nextRotationDate = now.addingTimeInterval(Double(days) * 86_400)
                }
                return EmptyShape()
            },
            "DisableKeyRotation": OperationHandler { (input: KeyIDInput, context) in
                try await self.updateKey(input.KeyId, context) { key in
                    try self.requireRotatable(key)
                    try self.requireNotReplica(key)
                    key.rotationEnabled = false
                    key.nextRotationDate = nil
                }
                return EmptyShape()
            },
            "GetKeyRotationStatus": OperationHandler { (input: KeyIDInput, context) in
                let key = try await self.key(input.KeyId, context, allowAlias: false)
                guard key.keySpec == KeySpecInfo.symmetric else {
                    throw KMSError.unsupported("\(key.arn) does not support automatic key rotation.")
                }
                try self.requireNotPendingDeletion(key)
                return RotationStatusOutput(
                    KeyRotationEnabled: key.rotationEnabled, KeyId: key.arn,
                    RotationPeriodInDays: key.rotationEnabled ? key.rotationPeriodInDays : nil,
                    NextRotationDate: key.rotationEnabled ? key.nextRotationDate : nil,
                    OnDemandRotationStartDate: key.onDemandRotationStartDate
                )
            },
            "RotateKeyOnDemand": OperationHandler { (input: KeyIDInput, context) in
                var material = try KeyMaterial.generate(spec: KeySpecInfo.symmetric)
                defer { wipe(&material) }
                let now = self.clock.now
                let key = try await self.updateKey(input.KeyId, context, then: { [material] key, tx in
                    try self.sealIntoReplicas(of: key, material: material, backing: key.current!, in: tx)
                }) { [material] key in
                    try self.requireRotatable(key)
                    try self.requireNotReplica(key)
                    try self.requireUsable(key)
                    guard key.materials.filter({ $0.rotationType == "ON_DEMAND" }).count < Self.onDemandRotationLimit else {
                        throw KMSError.limitExceeded("\(key.arn) has reached the limit of \(Self.onDemandRotationLimit) on-demand rotations.")
                    }
                    var copy = material
                    key.materials.append(try self.seal(&copy, key: key, version: (key.current?.version ?? 0) + 1, rotationType: "ON_DEMAND"))
                    key.onDemandRotationStartDate = now
                }
                return KeyIDOutput(KeyId: key.arn)
            },
            "ListKeyRotations": OperationHandler { (input: ListKeyRotationsInput, context) in
                let key = try await self.key(input.KeyId, context, allowAlias: false, crossAccount: false)
                guard key.keySpec == KeySpecInfo.symmetric else {
                    throw KMSError.unsupported("\(key.arn) does not support key rotation.")
                }
                let includeAll = input.IncludeKeyMaterial == "ALL_KEY_MATERIAL"
                let entries = key.materials.filter { includeAll || $0.rotationType != nil }.map { backing in
                    RotationEntry(
                        KeyId: key.keyID, KeyMaterialId: backing.materialID,
                        KeyMaterialState: backing.version == key.current?.version ? "CURRENT" : "NON_CURRENT",
                        RotationDate: backing.rotationType == nil ? nil : backing.createdAt, RotationType: backing.rotationType
                    )
                }
                let page = try Self.pageOfArray(entries, limit: input.Limit, defaultLimit: 100, marker: input.Marker)
                return ListKeyRotationsOutput(Rotations: page.items, NextMarker: page.nextMarker, Truncated: page.truncated)
            },
        ]
    }

    func requireRotatable(_ key: KeyRecord) throws {
        guard key.keySpec == KeySpecInfo.symmetric, key.origin == "AWS_KMS" else {
            throw KMSError.unsupported("\(key.arn) does not support key rotation: only symmetric encryption keys with KMS key material rotate.")
        }
        switch key.state {
        case KeyState.disabled: throw KMSError.disabled(key.arn)
        case KeyState.pendingDeletion: throw KMSError.invalidState("\(key.arn) is pending deletion.")
        default: break
        }
    }

    struct EnableKeyRotationInput: Decodable, Sendable {
        var KeyId: String
        var RotationPeriodInDays: Int?
    }

    struct RotationStatusOutput: Encodable, Sendable {
        var KeyRotationEnabled: Bool
        var KeyId: String
        var RotationPeriodInDays: Int?
        var NextRotationDate: Date?
        var OnDemandRotationStartDate: Date?
    }

    struct ListKeyRotationsInput: Decodable, Sendable {
        var KeyId: String
        var IncludeKeyMaterial: String?
        var Limit: Int?
        var Marker: String?
    }

    struct RotationEntry: Encodable, Sendable {
        var KeyId: String
        var KeyMaterialId: String
        var KeyMaterialState: String
        var RotationDate: Date?
        var RotationType: String?
    }

    struct ListKeyRotationsOutput: Encodable, Sendable {
        var Rotations: [RotationEntry]
        var NextMarker: String?
        var Truncated: Bool
    }

    // MARK: Maintenance

    /// Deletes keys whose waiting period has ended (with their aliases, grants and import parameters),
    /// rotates keys whose automatic rotation is due, and expires imported material past its `ValidTo`
    /// (the key becomes `PendingImport`). The server calls this periodically; it is idempotent.
    public func runMaintenance(now: Date) async throws {
        let all = try await store.read { try $0.scanJSON(KeyRecord.self, KMSKeys.keys) }
        for (storeKey, key) in all {
            if key.state == KeyState.pendingDeletion || (key.state == KeyState.pendingReplicaDeletion && (key.replicaRegions ?? []).isEmpty),
                let date = key.deletionDate, date <= now
            {
                try await deleteKeyNow(storeKey: storeKey, key: key)
            } else if key.rotationEnabled, key.state != KeyState.pendingDeletion, let next = key.nextRotationDate, next <= now {
                try await rotateAutomatically(storeKey: storeKey, now: now)
            } else if key.origin == "EXTERNAL", let validTo = key.current?.validTo, validTo <= now {
                try await store.write { tx in
                    guard var fresh = try tx.getJSON(KeyRecord.self, KMSKeys.keys, storeKey) else { return }
                    guard let current = fresh.current?.validTo, current <= now else { return }
                    fresh.materials = []
                    if fresh.state != KeyState.pendingDeletion { fresh.state = KeyState.pendingImport }
                    try tx.putJSON(KMSKeys.keys, storeKey, fresh)
                }
            }
        }
    }

    private func deleteKeyNow(storeKey: String, key: KeyRecord) async throws {
        try await store.write { tx in
            guard let fresh = try tx.getJSON(KeyRecord.self, KMSKeys.keys, storeKey),
                fresh.state == KeyState.pendingDeletion || (fresh.state == KeyState.pendingReplicaDeletion && (fresh.replicaRegions ?? []).isEmpty)
            else { return }
            try tx.delete(KMSKeys.keys, storeKey)
            if fresh.multiRegionType == Self.replica { try Self.forgetReplica(fresh, in: tx) }
            try tx.deleteAll(KMSKeys.grants, prefix: storeKey + "/")
            try tx.deleteAll(KMSKeys.importTokens, prefix: storeKey + "/")
            for name in try Self.aliasNames(of: key.keyID, account: key.account, region: key.region, in: tx) {
                guard let alias = try tx.getJSON(AliasRecord.self, KMSKeys.aliases, KMSKeys.key(key.account, key.region, name)) else { continue }
                try Self.removeAlias(alias, account: key.account, region: key.region, in: tx)
            }
        }
    }

    private func rotateAutomatically(storeKey: String, now: Date) async throws {
        var material = try KeyMaterial.generate(spec: KeySpecInfo.symmetric)
        defer { wipe(&material) }
        try await store.write { [material] tx in
            guard var key = try tx.getJSON(KeyRecord.self, KMSKeys.keys, storeKey), key.rotationEnabled,
                  let next = key.nextRotationDate, next <= now, let period = key.rotationPeriodInDays
            else { return }
            var copy = material
            key.materials.append(try self.seal(&copy, key: key, version: (key.current?.version ?? 0) + 1, rotationType: "AUTOMATIC"))
            try self.sealIntoReplicas(of: key, material: material, backing: key.current!, in: tx)
            var upcoming = next
            while upcoming <= now { upcoming = upcoming.addingTimeInterval(Double(period) * 86_400) }
            key.nextRotationDate = upcoming
            try tx.putJSON(KMSKeys.keys, storeKey, key)
        }
    }
}
