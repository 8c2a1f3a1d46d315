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

/// Grants: delegated permissions on one key, evaluated by the authorizer through
/// ``KMSService/grantAllows(keyARN:principalARN:operation:encryptionContext:)``. Grants take effect
/// at once here, so grant tokens are accepted and need not be presented.
extension KMSService {
    func grantHandlers() -> [String: OperationHandler] {
        [
            "CreateGrant": OperationHandler(createGrant),
            "ListGrants": OperationHandler(listGrants),
            "ListRetirableGrants": OperationHandler(listRetirableGrants),
            "RetireGrant": OperationHandler(retireGrant),
            "RevokeGrant": OperationHandler { (input: RevokeGrantInput, context) in
                let key = try await self.key(input.KeyId, context, allowAlias: false)
                try Self.dryRunCheck(input.DryRun)
                let storeKey = KMSKeys.key(key.account, key.region, key.keyID) + "/" + input.GrantId
                try await self.store.write { tx in
                    guard try tx.get(KMSKeys.grants, storeKey) != nil else {
                        throw KMSError.notFound("Grant ID \(input.GrantId) not found")
                    }
                    try tx.delete(KMSKeys.grants, storeKey)
                }
                return EmptyShape()
            },
        ]
    }

    /// Which grant operations each kind of key can have, as AWS enforces on CreateGrant.
    static func grantOperations(for key: KeyRecord) -> Set<String> {
        var common: Set<String> = ["CreateGrant", "RetireGrant", "DescribeKey"]
        switch key.keyUsage {
        case KeySpecInfo.encryptDecrypt where key.keySpec == KeySpecInfo.symmetric:
            common.formUnion(["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
                              "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"])
        case KeySpecInfo.encryptDecrypt:
            common.formUnion(["Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"])
        case KeySpecInfo.signVerify:
            common.formUnion(["Sign", "Verify", "GetPublicKey"])
        default:
            common.formUnion(["GenerateMac", "VerifyMac"])
        }
        return common
    }

    struct CreateGrantInput: Decodable, Sendable {
        var KeyId: String
        var GranteePrincipal: String
        var RetiringPrincipal: String?
        var Operations: [String]
        var Constraints: GrantConstraints?
        var GrantTokens: [String]?
        var Name: String?
        var DryRun: Bool?
    }

    struct CreateGrantOutput: Encodable, Sendable {
        var GrantToken: String
        var GrantId: String
    }

    @Sendable func createGrant(_ input: CreateGrantInput, context: RequestContext) async throws -> CreateGrantOutput {
        guard !input.Operations.isEmpty else {
            throw KMSError.validation("1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        let key = try await key(input.KeyId, context, allowAlias: false)
        try requireNotPendingDeletion(key)
        if key.state == KeyState.pendingImport { throw KMSError.invalidState("\(key.arn) is pending import.") }
        let allowed = Self.grantOperations(for: key)
        for operation in input.Operations where !allowed.contains(operation) {
            throw KMSError.validation("Grant operation \(operation) is not valid for \(key.arn), whose key spec is \(key.keySpec) and key usage is \(key.keyUsage).")
        }
        if let constraints = input.Constraints, constraints.EncryptionContextEquals != nil, constraints.EncryptionContextSubset != nil {
            throw KMSError.validation("Grant constraints may have EncryptionContextEquals or EncryptionContextSubset, not both.")
        }
        try Self.dryRunCheck(input.DryRun)
        let prefix = KMSKeys.key(key.account, key.region, key.keyID) + "/"
        let grantID = Hex.encode(KeyMaterial.randomBytes(32))
        let token = Self.grantToken(storeKeyPrefix: prefix, grantID: grantID)
        let grant = GrantRecord(
            KeyId: key.arn, GrantId: grantID, Name: input.Name, CreationDate: clock.now,
            GranteePrincipal: input.GranteePrincipal, RetiringPrincipal: input.RetiringPrincipal,
            IssuingAccount: "arn:aws:iam::\(context.principal.accountID):root",
            Operations: input.Operations, Constraints: input.Constraints, token: token
        )
        return try await store.write { tx in
            // A grant with the same name and parameters is the same grant (CreateGrant is idempotent by Name).
            if let name = input.Name {
                for (_, existing) in try tx.scanJSON(GrantRecord.self, KMSKeys.grants, prefix: prefix)
                where existing.Name == name && existing.GranteePrincipal == grant.GranteePrincipal
                    && existing.RetiringPrincipal == grant.RetiringPrincipal && Set(existing.Operations) == Set(grant.Operations)
                    && existing.Constraints == grant.Constraints {
                    return CreateGrantOutput(GrantToken: existing.token ?? token, GrantId: existing.GrantId)
                }
            }
            try tx.putJSON(KMSKeys.grants, prefix + grantID, grant)
            return CreateGrantOutput(GrantToken: token, GrantId: grantID)
        }
    }

    /// An opaque token naming the grant: base64 of its store key and 16 random bytes.
    static func grantToken(storeKeyPrefix: String, grantID: String) -> String {
        let nonce = Hex.encode(KeyMaterial.randomBytes(16))
        return Data("\(storeKeyPrefix)\(grantID)#\(nonce)".utf8).base64EncodedString()
    }

    struct ListGrantsInput: Decodable, Sendable {
        var Limit: Int?
        var Marker: String?
        var KeyId: String
        var GrantId: String?
        var GranteePrincipal: String?
    }

    struct ListGrantsOutput: Encodable, Sendable {
        var Grants: [GrantListEntry]
        var NextMarker: String?
        var Truncated: Bool
    }

    /// `GrantListEntry`: the stored grant without its token.
    struct GrantListEntry: Encodable, Sendable {
        var KeyId: String
        var GrantId: String
        var Name: String?
        var CreationDate: Date
        var GranteePrincipal: String
        var RetiringPrincipal: String?
        var IssuingAccount: String
        var Operations: [String]
        var Constraints: GrantConstraints?

        init(_ grant: GrantRecord) {
            KeyId = grant.KeyId
            GrantId = grant.GrantId
            Name = grant.Name
            CreationDate = grant.CreationDate
            GranteePrincipal = grant.GranteePrincipal
            RetiringPrincipal = grant.RetiringPrincipal
            IssuingAccount = grant.IssuingAccount
            Operations = grant.Operations
            Constraints = grant.Constraints
        }
    }

    @Sendable func listGrants(_ input: ListGrantsInput, context: RequestContext) async throws -> ListGrantsOutput {
        let key = try await key(input.KeyId, context, allowAlias: false)
        let page = try await page(
            GrantRecord.self, KMSKeys.grants, prefix: KMSKeys.key(key.account, key.region, key.keyID) + "/",
            limit: input.Limit, defaultLimit: 50, marker: input.Marker,
            where: { grant in
                (input.GrantId == nil || grant.GrantId == input.GrantId) && (input.GranteePrincipal == nil || grant.GranteePrincipal == input.GranteePrincipal)
            }
        )
        return ListGrantsOutput(Grants: page.items.map(GrantListEntry.init), NextMarker: page.nextMarker, Truncated: page.truncated)
    }

    struct ListRetirableGrantsInput: Decodable, Sendable {
        var Limit: Int?
        var Marker: String?
        var RetiringPrincipal: String
    }

    @Sendable func listRetirableGrants(_ input: ListRetirableGrantsInput, context: RequestContext) async throws -> ListGrantsOutput {
        let page = try await page(
            GrantRecord.self, KMSKeys.grants, prefix: "", limit: input.Limit, defaultLimit: 50, marker: input.Marker,
            where: { $0.RetiringPrincipal == input.RetiringPrincipal }
        )
        return ListGrantsOutput(Grants: page.items.map(GrantListEntry.init), NextMarker: page.nextMarker, Truncated: page.truncated)
    }

    struct RetireGrantInput: Decodable, Sendable {
        var GrantToken: String?
        var KeyId: String?
        var GrantId: String?
        var DryRun: Bool?
    }

    struct RevokeGrantInput: Decodable, Sendable {
        var KeyId: String
        var GrantId: String
        var DryRun: Bool?
    }

    /// Retires a grant named by its token, or by key and grant id. Only the retiring principal, or the
    /// grantee of a grant that allows `RetireGrant`, may retire it (the authorizer does not see grants).
    @Sendable func retireGrant(_ input: RetireGrantInput, context: RequestContext) async throws -> EmptyShape {
        let storeKey: String
        if let token = input.GrantToken {
            guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
                  let hash = text.lastIndex(of: "#")
            else { throw KMSError.invalidGrantToken() }
            storeKey = String(text[..<hash])
        } else if let keyID = input.KeyId, let grantID = input.GrantId {
            let key = try await key(keyID, context, allowAlias: false)
            storeKey = KMSKeys.key(key.account, key.region, key.keyID) + "/" + grantID
        } else {
            throw KMSError.validation("Specify either a GrantToken or both a KeyId and a GrantId.")
        }
        let caller = [context.principal.arn, context.principal.sessionIssuer].compactMap { $0 }
        let dryRun = input.DryRun
        try await store.write { tx in
            guard let grant = try tx.getJSON(GrantRecord.self, KMSKeys.grants, storeKey) else {
                if input.GrantToken != nil { throw KMSError.invalidGrantToken() }
                throw KMSError.notFound("Grant ID \(input.GrantId ?? "") not found")
            }
            if let token = input.GrantToken, grant.token != token { throw KMSError.invalidGrantToken() }
            let mayRetire = caller.contains { arn in
                arn == grant.RetiringPrincipal || (arn == grant.GranteePrincipal && grant.Operations.contains("RetireGrant"))
            }
            guard mayRetire else {
                throw AWSError(code: "AccessDeniedException", message: "User: \(caller.first ?? "") is not authorized to perform: kms:RetireGrant on this grant", status: 400)
            }
            try Self.dryRunCheck(dryRun)
            try tx.delete(KMSKeys.grants, storeKey)
        }
        return EmptyShape()
    }
}
