//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
public import NimbusCore
import NimbusStorage

// KMS as other services use it (S3's SSE-KMS): the same operations, called in-process on behalf of the
// caller. Deciding whether the caller may use the key is the calling service's job (with
// `kms:ViaService`), as it is AWS's.

extension KMSService {
    /// The AWS managed key `alias/aws/<service>` of the caller's account and region, created on first use.
    public func awsManagedKey(service: String, context: RequestContext) async throws -> String {
        let account = context.principal.accountID
        let region = context.region
        let aliasName = "alias/aws/\(service)"
        let storeKey = KMSKeys.key(account, region, aliasName)
        if let alias = try await store.read({ try $0.getJSON(AliasRecord.self, KMSKeys.aliases, storeKey) }), let target = alias.TargetKeyId {
            return Self.keyARN(account: account, region: region, id: target)
        }
        var owner = context
        owner.principal = .root(of: account, accessKeyID: nil)
        let created = try await createKey(
            CreateKeyInput(Description: "Default key that protects my \(service.uppercased()) objects when no other key is defined"),
            context: owner
        )
        let keyID = created.KeyMetadata.KeyId
        let now = clock.now
        let arn = Self.aliasARN(account: account, region: region, name: aliasName)
        // Two first uses at once: the first alias wins; the other key stays unused.
        return try await store.write { tx in
            if let existing = try tx.getJSON(AliasRecord.self, KMSKeys.aliases, storeKey), let target = existing.TargetKeyId {
                return Self.keyARN(account: account, region: region, id: target)
            }
            let alias = AliasRecord(AliasName: aliasName, AliasArn: arn, TargetKeyId: keyID, CreationDate: now, LastUpdatedDate: now)
            try Self.storeAlias(alias, replacing: nil, account: account, region: region, in: tx)
            return Self.keyARN(account: account, region: region, id: keyID)
        }
    }

    /// A 256-bit data key under `keyID`, bound to `encryptionContext`: its plaintext (the caller must wipe
    /// it), the ciphertext blob to store, and the key's ARN.
    public func generateDataKey(
        keyID: String, encryptionContext: [String: String], context: RequestContext
    ) async throws -> (plaintext: [UInt8], ciphertext: [UInt8], keyARN: String) {
        let output = try await generateDataKey(
            GenerateDataKeyInput(KeyId: keyID, EncryptionContext: encryptionContext, KeySpec: "AES_256"), context: context, includePlaintext: true
        )
        guard let plaintext = output.Plaintext else { throw AWSError.internalFailure() }
        return (plaintext, output.CiphertextBlob, output.KeyId)
    }

    /// The plaintext of a data key `generateDataKey` made.
    public func decryptDataKey(_ ciphertext: [UInt8], encryptionContext: [String: String], context: RequestContext) async throws -> [UInt8] {
        try await decrypt(DecryptInput(CiphertextBlob: ciphertext, EncryptionContext: encryptionContext), context: context).Plaintext
    }
}
