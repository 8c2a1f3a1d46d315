//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusCore
import NimbusStorage
import NimbusWire
import _CryptoExtras

/// The cryptographic operations. Plaintext and material buffers are wiped as soon as they are used;
/// no error message ever includes them.
extension KMSService {
    func cryptoHandlers() -> [String: OperationHandler] {
        [
            "Encrypt": OperationHandler(encrypt),
            "Decrypt": OperationHandler(decrypt),
            "ReEncrypt": OperationHandler(reEncrypt),
            "GenerateDataKey": OperationHandler { (input: GenerateDataKeyInput, context) in
                try await self.generateDataKey(input, context: context, includePlaintext: true)
            },
            "GenerateDataKeyWithoutPlaintext": OperationHandler { (input: GenerateDataKeyInput, context) in
                try await self.generateDataKey(input, context: context, includePlaintext: false)
            },
            "GenerateDataKeyPair": OperationHandler { (input: GenerateDataKeyPairInput, context) in
                try await self.generateDataKeyPair(input, context: context, includePlaintext: true)
            },
            "GenerateDataKeyPairWithoutPlaintext": OperationHandler { (input: GenerateDataKeyPairInput, context) in
                try await self.generateDataKeyPair(input, context: context, includePlaintext: false)
            },
            "GenerateRandom": OperationHandler(generateRandom),
            "Sign": OperationHandler(sign),
            "Verify": OperationHandler(verify),
            "GenerateMac": OperationHandler(generateMac),
            "VerifyMac": OperationHandler(verifyMac),
            "GetPublicKey": OperationHandler(getPublicKey),
            "DeriveSharedSecret": OperationHandler(deriveSharedSecret),
        ]
    }

    // MARK: Encrypt / Decrypt

    struct EncryptInput: Decodable, Sendable {
        var KeyId: String
        var Plaintext: [UInt8]
        var EncryptionContext: [String: String]?
        var EncryptionAlgorithm: String?
        var DryRun: Bool?
    }

    struct EncryptOutput: Encodable, Sendable {
        var CiphertextBlob: [UInt8]
        var KeyId: String
        var EncryptionAlgorithm: String
    }

    @Sendable func encrypt(_ input: EncryptInput, context: RequestContext) async throws -> EncryptOutput {
        var plaintext = input.Plaintext
        defer { wipe(&plaintext) }
        let key = try await key(input.KeyId, context)
        let algorithm = input.EncryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        let blob = try encrypt(plaintext, with: key, algorithm: algorithm, encryptionContext: input.EncryptionContext ?? [:], dryRun: input.DryRun)
        return EncryptOutput(CiphertextBlob: blob, KeyId: key.arn, EncryptionAlgorithm: algorithm)
    }

    /// Encrypts under the key's current backing key (symmetric) or its public key (RSA).
    func encrypt(_ plaintext: [UInt8], with key: KeyRecord, algorithm: String, encryptionContext: [String: String], dryRun: Bool? = nil) throws -> [UInt8] {
        try requireUsable(key)
        try requireUsage(key, KeySpecInfo.encryptDecrypt, operation: "Encrypt")
        try requireEncryptionAlgorithm(key, algorithm)
        if key.keySpec != KeySpecInfo.symmetric {
            let limit = KeyMaterial.rsaMaximumPlaintext(spec: key.keySpec, algorithm: algorithm)
            guard plaintext.count <= limit else {
                throw KMSError.validation("Plaintext is too large for \(algorithm) with a \(key.keySpec) key: at most \(limit) bytes.")
            }
            guard encryptionContext.isEmpty else { throw KMSError.validation("EncryptionContext is not supported with asymmetric KMS keys.") }
        }
        try Self.dryRunCheck(dryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        if key.keySpec == KeySpecInfo.symmetric {
            return try SymmetricCiphertext.seal(
                plaintext, material: material, account: key.account, keyID: key.keyID, version: key.current!.version, context: encryptionContext
            )
        }
        return try KeyMaterial.rsaEncrypt(plaintext, privateKey: material, algorithm: algorithm)
    }

    func requireEncryptionAlgorithm(_ key: KeyRecord, _ algorithm: String) throws {
        guard KeySpecInfo.encryptionAlgorithms(spec: key.keySpec, usage: key.keyUsage)?.contains(algorithm) == true else {
            throw KMSError.invalidKeyUsage("The encryption algorithm \(algorithm) is not compatible with \(key.arn), whose key spec is \(key.keySpec).")
        }
    }

    struct DecryptInput: Decodable, Sendable {
        var CiphertextBlob: [UInt8]?
        var EncryptionContext: [String: String]?
        var KeyId: String?
        var EncryptionAlgorithm: String?
        var DryRun: Bool?
    }

    struct DecryptOutput: Encodable, Sendable {
        var KeyId: String
        var Plaintext: [UInt8]
        var EncryptionAlgorithm: String
        var KeyMaterialId: String?
    }

    @Sendable func decrypt(_ input: DecryptInput, context: RequestContext) async throws -> DecryptOutput {
        guard let blob = input.CiphertextBlob else {
            throw KMSError.validation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
        }
        let algorithm = input.EncryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        let opened = try await decrypt(blob, keyID: input.KeyId, algorithm: algorithm, encryptionContext: input.EncryptionContext ?? [:], context: context, dryRun: input.DryRun)
        return DecryptOutput(KeyId: opened.key.arn, Plaintext: opened.plaintext, EncryptionAlgorithm: algorithm, KeyMaterialId: opened.materialID)
    }

    struct Opened: Sendable {
        var key: KeyRecord
        var plaintext: [UInt8]
        var materialID: String?
    }

    /// Decrypts a blob. Symmetric blobs name their key; `keyID`, when given, must name the same key.
    func decrypt(
        _ blob: [UInt8],
        keyID: String?,
        algorithm: String,
        encryptionContext: [String: String],
        context: RequestContext,
        dryRun: Bool? = nil
    ) async throws -> Opened {
        if algorithm == "SYMMETRIC_DEFAULT" {
            var named: KeyRecord?
            if let keyID { named = try await key(keyID, context) }
            if let named, named.keySpec != KeySpecInfo.symmetric {
                throw KMSError.invalidKeyUsage("The encryption algorithm SYMMETRIC_DEFAULT is not compatible with \(named.arn), whose key spec is \(named.keySpec).")
            }
            guard let parsed = SymmetricCiphertext(parsing: blob) else { throw KMSError.invalidCiphertext }
            let region = context.region
            let stored = try await store.read { try Self.keyRecords.get($0, KMSKeys.keys, KMSKeys.key(parsed.account, region, parsed.keyID)) }
            guard let key = stored else { throw KMSError.invalidCiphertext }
            if let named, named.arn != key.arn { throw KMSError.incorrectKey }
            try requireUsable(key)
            try requireUsage(key, KeySpecInfo.encryptDecrypt, operation: "Decrypt")
            guard let backing = key.material(version: parsed.version) else { throw KMSError.invalidCiphertext }
            try Self.dryRunCheck(dryRun)
            var material = try openMaterial(key, version: parsed.version)
            defer { wipe(&material) }
            let plaintext = try parsed.open(material: material, context: encryptionContext)
            return Opened(key: key, plaintext: plaintext, materialID: backing.materialID)
        }
        guard KeyMaterial.rsaPadding(algorithm) != nil else {
            throw KMSError.validation("1 validation error detected: Value '\(algorithm)' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256]")
        }
        guard let keyID else {
            throw KMSError.validation("KeyId is required to decrypt with an asymmetric KMS key.")
        }
        let key = try await key(keyID, context)
        try requireUsable(key)
        try requireUsage(key, KeySpecInfo.encryptDecrypt, operation: "Decrypt")
        try requireEncryptionAlgorithm(key, algorithm)
        guard encryptionContext.isEmpty else { throw KMSError.validation("EncryptionContext is not supported with asymmetric KMS keys.") }
        try Self.dryRunCheck(dryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        return Opened(key: key, plaintext: try KeyMaterial.rsaDecrypt(blob, privateKey: material, algorithm: algorithm), materialID: nil)
    }

    struct ReEncryptInput: Decodable, Sendable {
        var CiphertextBlob: [UInt8]?
        var SourceEncryptionContext: [String: String]?
        var SourceKeyId: String?
        var DestinationKeyId: String
        var DestinationEncryptionContext: [String: String]?
        var SourceEncryptionAlgorithm: String?
        var DestinationEncryptionAlgorithm: String?
        var DryRun: Bool?
    }

    struct ReEncryptOutput: Encodable, Sendable {
        var CiphertextBlob: [UInt8]
        var SourceKeyId: String
        var KeyId: String
        var SourceEncryptionAlgorithm: String
        var DestinationEncryptionAlgorithm: String
        var SourceKeyMaterialId: String?
        var DestinationKeyMaterialId: String?
    }

    @Sendable func reEncrypt(_ input: ReEncryptInput, context: RequestContext) async throws -> ReEncryptOutput {
        guard let blob = input.CiphertextBlob else {
            throw KMSError.validation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
        }
        let sourceAlgorithm = input.SourceEncryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        let destinationAlgorithm = input.DestinationEncryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        let destination = try await key(input.DestinationKeyId, context)
        var opened = try await decrypt(
            blob, keyID: input.SourceKeyId, algorithm: sourceAlgorithm, encryptionContext: input.SourceEncryptionContext ?? [:], context: context
        )
        defer { wipe(&opened.plaintext) }
        let newBlob = try encrypt(
            opened.plaintext, with: destination, algorithm: destinationAlgorithm,
            encryptionContext: input.DestinationEncryptionContext ?? [:], dryRun: input.DryRun
        )
        return ReEncryptOutput(
            CiphertextBlob: newBlob, SourceKeyId: opened.key.arn, KeyId: destination.arn,
            SourceEncryptionAlgorithm: sourceAlgorithm, DestinationEncryptionAlgorithm: destinationAlgorithm,
            SourceKeyMaterialId: opened.materialID,
            DestinationKeyMaterialId: destination.keySpec == KeySpecInfo.symmetric ? destination.current?.materialID : nil
        )
    }

    // MARK: Data keys

    struct GenerateDataKeyInput: Decodable, Sendable {
        var KeyId: String
        var EncryptionContext: [String: String]?
        var NumberOfBytes: Int?
        var KeySpec: String?
        var DryRun: Bool?
    }

    struct GenerateDataKeyOutput: Encodable, Sendable {
        var CiphertextBlob: [UInt8]
        var Plaintext: [UInt8]?
        var KeyId: String
        var KeyMaterialId: String?
    }

    func generateDataKey(_ input: GenerateDataKeyInput, context: RequestContext, includePlaintext: Bool) async throws -> GenerateDataKeyOutput {
        let count: Int
        switch (input.KeySpec, input.NumberOfBytes) {
        case ("AES_256", nil): count = 32
        case ("AES_128", nil): count = 16
        case (nil, let n?): count = n
        case (nil, nil), (_?, _?): throw KMSError.validation("Please specify either number of bytes or key spec.")
        case (let spec?, nil):
            throw KMSError.validation("1 validation error detected: Value '\(spec)' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]")
        }
        guard (1...1024).contains(count) else {
            throw KMSError.validation("1 validation error detected: Value '\(count)' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024")
        }
        let key = try await key(input.KeyId, context)
        guard key.keySpec == KeySpecInfo.symmetric else {
            throw KMSError.invalidKeyUsage("\(key.arn) is not a symmetric encryption KMS key; data keys need one.")
        }
        var plaintext = KeyMaterial.randomBytes(count)
        defer { wipe(&plaintext) }
        let blob = try encrypt(plaintext, with: key, algorithm: "SYMMETRIC_DEFAULT", encryptionContext: input.EncryptionContext ?? [:], dryRun: input.DryRun)
        return GenerateDataKeyOutput(
            CiphertextBlob: blob, Plaintext: includePlaintext ? plaintext : nil, KeyId: key.arn, KeyMaterialId: key.current?.materialID
        )
    }

    struct GenerateDataKeyPairInput: Decodable, Sendable {
        var EncryptionContext: [String: String]?
        var KeyId: String
        var KeyPairSpec: String
        var DryRun: Bool?
    }

    struct GenerateDataKeyPairOutput: Encodable, Sendable {
        var PrivateKeyCiphertextBlob: [UInt8]
        var PrivateKeyPlaintext: [UInt8]?
        var PublicKey: [UInt8]
        var KeyId: String
        var KeyPairSpec: String
        var KeyMaterialId: String?
    }

    static let dataKeyPairSpecs: Set<String> = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]

    func generateDataKeyPair(_ input: GenerateDataKeyPairInput, context: RequestContext, includePlaintext: Bool) async throws -> GenerateDataKeyPairOutput {
        guard Self.dataKeyPairSpecs.contains(input.KeyPairSpec) else {
            throw KMSError.unsupported("KeyPairSpec \(input.KeyPairSpec) is not supported.")
        }
        let key = try await key(input.KeyId, context)
        guard key.keySpec == KeySpecInfo.symmetric else {
            throw KMSError.invalidKeyUsage("\(key.arn) is not a symmetric encryption KMS key; data key pairs need one.")
        }
        try requireUsable(key)
        try requireUsage(key, KeySpecInfo.encryptDecrypt, operation: "GenerateDataKeyPair")
        try Self.dryRunCheck(input.DryRun)
        var privateKey = try KeyMaterial.generate(spec: input.KeyPairSpec)
        defer { wipe(&privateKey) }
        let publicKey = try KeyMaterial.publicKeyDER(spec: input.KeyPairSpec, privateKey: privateKey)
        let blob = try encrypt(privateKey, with: key, algorithm: "SYMMETRIC_DEFAULT", encryptionContext: input.EncryptionContext ?? [:])
        return GenerateDataKeyPairOutput(
            PrivateKeyCiphertextBlob: blob, PrivateKeyPlaintext: includePlaintext ? privateKey : nil, PublicKey: publicKey,
            KeyId: key.arn, KeyPairSpec: input.KeyPairSpec, KeyMaterialId: key.current?.materialID
        )
    }

    struct GenerateRandomInput: Decodable, Sendable {
        var NumberOfBytes: Int?
        var CustomKeyStoreId: String?
    }

    struct GenerateRandomOutput: Encodable, Sendable {
        var Plaintext: [UInt8]
    }

    @Sendable func generateRandom(_ input: GenerateRandomInput, context: RequestContext) async throws -> GenerateRandomOutput {
        guard let count = input.NumberOfBytes else {
            throw KMSError.validation("1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null")
        }
        guard (1...1024).contains(count) else {
            throw KMSError.validation("1 validation error detected: Value '\(count)' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024")
        }
        if input.CustomKeyStoreId != nil { throw KMSError.unsupported("Custom key stores are not supported.") }
        return GenerateRandomOutput(Plaintext: KeyMaterial.randomBytes(count))
    }

    // MARK: Signatures

    struct SignInput: Decodable, Sendable {
        var KeyId: String
        var Message: [UInt8]
        var MessageType: String?
        var SigningAlgorithm: String
        var DryRun: Bool?
    }

    struct SignOutput: Encodable, Sendable {
        var KeyId: String
        var Signature: [UInt8]
        var SigningAlgorithm: String
    }

    /// Resolves a key for Sign/Verify or GenerateMac/VerifyMac and checks state, usage and algorithm.
    func keyForAlgorithm(_ keyID: String, usage: String, algorithm: String, context: RequestContext, operation: String) async throws -> KeyRecord {
        let key = try await key(keyID, context)
        try requireUsable(key)
        try requireUsage(key, usage, operation: operation)
        let allowed = usage == KeySpecInfo.signVerify
            ? KeySpecInfo.signingAlgorithms(spec: key.keySpec, usage: key.keyUsage)
            : KeySpecInfo.macAlgorithms(spec: key.keySpec, usage: key.keyUsage)
        guard allowed?.contains(algorithm) == true else {
            throw KMSError.invalidKeyUsage("The algorithm \(algorithm) is not compatible with \(key.arn), whose key spec is \(key.keySpec).")
        }
        return key
    }

    @Sendable func sign(_ input: SignInput, context: RequestContext) async throws -> SignOutput {
        let key = try await keyForAlgorithm(input.KeyId, usage: KeySpecInfo.signVerify, algorithm: input.SigningAlgorithm, context: context, operation: "Sign")
        let digest = try KeyMaterial.digest(input.Message, algorithm: input.SigningAlgorithm, messageType: input.MessageType ?? "RAW")
        try Self.dryRunCheck(input.DryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        let signature = try KeyMaterial.sign(digest: digest, spec: key.keySpec, algorithm: input.SigningAlgorithm, privateKey: material)
        return SignOutput(KeyId: key.arn, Signature: signature, SigningAlgorithm: input.SigningAlgorithm)
    }

    struct VerifyInput: Decodable, Sendable {
        var KeyId: String
        var Message: [UInt8]
        var MessageType: String?
        var Signature: [UInt8]
        var SigningAlgorithm: String
        var DryRun: Bool?
    }

    struct VerifyOutput: Encodable, Sendable {
        var KeyId: String
        var SignatureValid: Bool
        var SigningAlgorithm: String
    }

    @Sendable func verify(_ input: VerifyInput, context: RequestContext) async throws -> VerifyOutput {
        let key = try await keyForAlgorithm(input.KeyId, usage: KeySpecInfo.signVerify, algorithm: input.SigningAlgorithm, context: context, operation: "Verify")
        let digest = try KeyMaterial.digest(input.Message, algorithm: input.SigningAlgorithm, messageType: input.MessageType ?? "RAW")
        try Self.dryRunCheck(input.DryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        let valid = (try? KeyMaterial.verify(signature: input.Signature, digest: digest, spec: key.keySpec, algorithm: input.SigningAlgorithm, privateKey: material)) ?? false
        guard valid else { throw KMSError.invalidSignature }
        return VerifyOutput(KeyId: key.arn, SignatureValid: true, SigningAlgorithm: input.SigningAlgorithm)
    }

    struct GetPublicKeyOutput: Encodable, Sendable {
        var KeyId: String
        var PublicKey: [UInt8]
        var CustomerMasterKeySpec: String
        var KeySpec: String
        var KeyUsage: String
        var EncryptionAlgorithms: [String]?
        var SigningAlgorithms: [String]?
        var KeyAgreementAlgorithms: [String]?
    }

    @Sendable func getPublicKey(_ input: KeyIDInput, context: RequestContext) async throws -> GetPublicKeyOutput {
        let key = try await key(input.KeyId, context)
        guard let info = KeySpecInfo.all[key.keySpec], info.isRSA || info.isECC || info.isMLDSA else {
            throw KMSError.unsupported("\(key.arn) is not an asymmetric KMS key; only asymmetric keys have a public key.")
        }
        try requireUsable(key)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        return GetPublicKeyOutput(
            KeyId: key.arn, PublicKey: try KeyMaterial.publicKeyDER(spec: key.keySpec, privateKey: material),
            CustomerMasterKeySpec: key.keySpec, KeySpec: key.keySpec, KeyUsage: key.keyUsage,
            EncryptionAlgorithms: KeySpecInfo.encryptionAlgorithms(spec: key.keySpec, usage: key.keyUsage),
            SigningAlgorithms: KeySpecInfo.signingAlgorithms(spec: key.keySpec, usage: key.keyUsage),
            KeyAgreementAlgorithms: KeySpecInfo.keyAgreementAlgorithms(spec: key.keySpec, usage: key.keyUsage)
        )
    }

    // MARK: Key agreement

    struct DeriveSharedSecretInput: Decodable, Sendable {
        var KeyId: String
        var KeyAgreementAlgorithm: String
        var PublicKey: [UInt8]
        var GrantTokens: [String]?
        var DryRun: Bool?
        var Recipient: RecipientInfo?

        struct RecipientInfo: Decodable, Sendable {
            var KeyEncryptionAlgorithm: String?
            var AttestationDocument: [UInt8]?
        }
    }

    struct DeriveSharedSecretOutput: Encodable, Sendable {
        var KeyId: String
        var SharedSecret: [UInt8]
        var KeyAgreementAlgorithm: String
        var KeyOrigin: String
    }

    /// ECDH between the key's private key, which never leaves, and the caller's public key.
    @Sendable func deriveSharedSecret(_ input: DeriveSharedSecretInput, context: RequestContext) async throws -> DeriveSharedSecretOutput {
        guard input.Recipient == nil else {
            throw KMSError.unsupported("Nimbus has no Nitro Enclaves: DeriveSharedSecret takes no Recipient.")
        }
        let key = try await key(input.KeyId, context)
        try requireUsable(key)
        try requireUsage(key, KeySpecInfo.keyAgreement, operation: "DeriveSharedSecret")
        guard KeySpecInfo.keyAgreementAlgorithms(spec: key.keySpec, usage: key.keyUsage)?.contains(input.KeyAgreementAlgorithm) == true else {
            throw KMSError.invalidKeyUsage("The algorithm \(input.KeyAgreementAlgorithm) is not compatible with \(key.arn).")
        }
        try Self.dryRunCheck(input.DryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        guard let secret = try KeyMaterial.sharedSecret(spec: key.keySpec, privateKey: material, peer: input.PublicKey) else {
            throw KMSError.validation("The public key is not a DER-encoded SubjectPublicKeyInfo of a \(key.keySpec) key.")
        }
        return DeriveSharedSecretOutput(KeyId: key.arn, SharedSecret: secret, KeyAgreementAlgorithm: input.KeyAgreementAlgorithm, KeyOrigin: key.origin)
    }

    // MARK: MACs

    struct GenerateMacInput: Decodable, Sendable {
        var Message: [UInt8]
        var KeyId: String
        var MacAlgorithm: String
        var DryRun: Bool?
    }

    struct GenerateMacOutput: Encodable, Sendable {
        var Mac: [UInt8]
        var MacAlgorithm: String
        var KeyId: String
    }

    @Sendable func generateMac(_ input: GenerateMacInput, context: RequestContext) async throws -> GenerateMacOutput {
        let key = try await keyForAlgorithm(input.KeyId, usage: KeySpecInfo.generateVerifyMac, algorithm: input.MacAlgorithm, context: context, operation: "GenerateMac")
        try Self.dryRunCheck(input.DryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        return GenerateMacOutput(Mac: KeyMaterial.mac(input.Message, algorithm: input.MacAlgorithm, key: material), MacAlgorithm: input.MacAlgorithm, KeyId: key.arn)
    }

    struct VerifyMacInput: Decodable, Sendable {
        var Message: [UInt8]
        var KeyId: String
        var MacAlgorithm: String
        var Mac: [UInt8]
        var DryRun: Bool?
    }

    struct VerifyMacOutput: Encodable, Sendable {
        var KeyId: String
        var MacValid: Bool
        var MacAlgorithm: String
    }

    @Sendable func verifyMac(_ input: VerifyMacInput, context: RequestContext) async throws -> VerifyMacOutput {
        let key = try await keyForAlgorithm(input.KeyId, usage: KeySpecInfo.generateVerifyMac, algorithm: input.MacAlgorithm, context: context, operation: "VerifyMac")
        try Self.dryRunCheck(input.DryRun)
        var material = try openMaterial(key)
        defer { wipe(&material) }
        let expected = KeyMaterial.mac(input.Message, algorithm: input.MacAlgorithm, key: material)
        guard KeyMaterial.constantTimeEquals(expected, input.Mac) else { throw KMSError.invalidMac }
        return VerifyMacOutput(KeyId: key.arn, MacValid: true, MacAlgorithm: input.MacAlgorithm)
    }
}
