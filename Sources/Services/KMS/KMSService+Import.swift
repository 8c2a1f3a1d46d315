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

/// Imported key material (Origin `EXTERNAL`): the client wraps its material with a one-time RSA public
/// key from `GetParametersForImport` and sends it back with the import token.
extension KMSService {
    static let importTokenPrefix = Array("nimbus-kms-import-token:".utf8)
    static let importParametersLifetime: TimeInterval = 24 * 3600

    func importHandlers() -> [String: OperationHandler] {
        [
            "GetParametersForImport": OperationHandler(getParametersForImport),
            "ImportKeyMaterial": OperationHandler(importKeyMaterial),
            "DeleteImportedKeyMaterial": OperationHandler { (input: DeleteImportedKeyMaterialInput, context) in
                let key = try await self.updateKey(input.KeyId, context) { key in
                    try self.requireExternal(key)
                    try self.requireNotPendingDeletion(key)
                    key.materials = []
                    key.state = KeyState.pendingImport
                }
                return DeleteImportedKeyMaterialOutput(KeyId: key.arn, KeyMaterialId: key.importedMaterialFingerprint.map { _ in Self.materialID(keyID: key.keyID, version: 1) })
            },
        ]
    }

    func requireExternal(_ key: KeyRecord) throws {
        guard key.origin == "EXTERNAL" else {
            throw KMSError.unsupported("\(key.arn) was not created with Origin EXTERNAL; only such keys take imported key material.")
        }
    }

    struct GetParametersForImportInput: Decodable, Sendable {
        var KeyId: String
        var WrappingAlgorithm: String
        var WrappingKeySpec: String
    }

    struct GetParametersForImportOutput: Encodable, Sendable {
        var KeyId: String
        var ImportToken: [UInt8]
        var PublicKey: [UInt8]
        var ParametersValidTo: Date
    }

    static let wrappingAlgorithms: Set<String> = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]

    @Sendable func getParametersForImport(_ input: GetParametersForImportInput, context: RequestContext) async throws -> GetParametersForImportOutput {
        guard Self.wrappingAlgorithms.contains(input.WrappingAlgorithm) else {
            throw KMSError.unsupported("WrappingAlgorithm \(input.WrappingAlgorithm) is not supported.")
        }
        let size: _RSA.Signing.KeySize
        switch input.WrappingKeySpec {
        case "RSA_2048": size = .bits2048
        case "RSA_3072": size = .bits3072
        case "RSA_4096": size = .bits4096
        default: throw KMSError.unsupported("WrappingKeySpec \(input.WrappingKeySpec) is not supported.")
        }
        let key = try await key(input.KeyId, context, allowAlias: false, crossAccount: false)
        try requireExternal(key)
        try requireNotPendingDeletion(key)
        let wrapping = try _RSA.Signing.PrivateKey(keySize: size)
        var privateDER = [UInt8](wrapping.pkcs8DERRepresentation)
        defer { wipe(&privateDER) }
        let tokenID = Hex.encode(KeyMaterial.randomBytes(24))
        let validTo = clock.now.addingTimeInterval(Self.importParametersLifetime)
        let record = ImportParametersRecord(
            tokenID: tokenID, wrappingAlgorithm: input.WrappingAlgorithm, wrappingKeySpec: input.WrappingKeySpec,
            sealedPrivateKey: Data(try rootKey.seal(privateDER, context: KMSKeys.importContext(account: key.account, region: key.region, keyID: key.keyID, tokenID: tokenID))),
            validTo: validTo
        )
        try await store.write { tx in
            try tx.putJSON(KMSKeys.importTokens, KMSKeys.key(key.account, key.region, key.keyID) + "/" + tokenID, record)
        }
        return GetParametersForImportOutput(
            KeyId: key.arn, ImportToken: Self.importTokenPrefix + Array(tokenID.utf8),
            PublicKey: [UInt8](wrapping.publicKey.derRepresentation), ParametersValidTo: validTo
        )
    }

    struct ImportKeyMaterialInput: Decodable, Sendable {
        var KeyId: String
        var ImportToken: [UInt8]
        var EncryptedKeyMaterial: [UInt8]
        var ValidTo: Date?
        var ExpirationModel: String?
        var ImportType: String?
        var KeyMaterialDescription: String?
        var KeyMaterialId: String?
    }

    struct ImportKeyMaterialOutput: Encodable, Sendable {
        var KeyId: String
        var KeyMaterialId: String
    }

    @Sendable func importKeyMaterial(_ input: ImportKeyMaterialInput, context: RequestContext) async throws -> ImportKeyMaterialOutput {
        let now = clock.now
        let expirationModel = input.ExpirationModel ?? (input.ValidTo == nil ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : "KEY_MATERIAL_EXPIRES")
        switch (expirationModel, input.ValidTo) {
        case ("KEY_MATERIAL_EXPIRES", nil):
            throw KMSError.validation("A ValidTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        case ("KEY_MATERIAL_DOES_NOT_EXPIRE", _?):
            throw KMSError.validation("A ValidTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
        case ("KEY_MATERIAL_EXPIRES", let validTo?):
            guard validTo > now, validTo <= now.addingTimeInterval(365 * 86_400) else {
                throw KMSError.validation("ValidTo must be in the future and at most 365 days from now.")
            }
        default: break
        }
        let key = try await key(input.KeyId, context, allowAlias: false, crossAccount: false)
        try requireExternal(key)
        try requireNotPendingDeletion(key)
        guard input.ImportToken.count > Self.importTokenPrefix.count, Array(input.ImportToken.prefix(Self.importTokenPrefix.count)) == Self.importTokenPrefix else {
            throw KMSError.invalidImportToken()
        }
        let tokenID = String(decoding: input.ImportToken.dropFirst(Self.importTokenPrefix.count), as: UTF8.self)
        let tokenKey = KMSKeys.key(key.account, key.region, key.keyID) + "/" + tokenID
        guard tokenID.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              let parameters = try await store.read({ try $0.getJSON(ImportParametersRecord.self, KMSKeys.importTokens, tokenKey) })
        else { throw KMSError.invalidImportToken() }
        guard parameters.validTo > now else { throw KMSError.expiredImportToken() }

        var material = try unwrapImported(input.EncryptedKeyMaterial, parameters: parameters, key: key)
        defer { wipe(&material) }
        try Self.checkImportedMaterialLength(material.count, spec: key.keySpec)
        let fingerprint = Self.importFingerprint(keyID: key.keyID, material: material)
        if let previous = key.importedMaterialFingerprint, previous != fingerprint {
            throw KMSError.incorrectKeyMaterial()
        }
        var copy = material
        var backing = try seal(&copy, key: key, version: 1, rotationType: nil)
        backing.expirationModel = expirationModel
        backing.validTo = input.ValidTo
        let account = key.account
        let region = key.region
        let keyID = key.keyID
        let stored = try await store.write { [backing] tx in
            guard var fresh = try tx.getJSON(KeyRecord.self, KMSKeys.keys, KMSKeys.key(account, region, keyID)) else {
                throw KMSError.keyNotFound(key.arn)
            }
            if fresh.state == KeyState.pendingDeletion { throw KMSError.invalidState("\(fresh.arn) is pending deletion.") }
            if let previous = fresh.importedMaterialFingerprint, previous != fingerprint { throw KMSError.incorrectKeyMaterial() }
            fresh.materials = [backing]
            fresh.importedMaterialFingerprint = fingerprint
            if fresh.state == KeyState.pendingImport { fresh.state = KeyState.enabled }
            try tx.putJSON(KMSKeys.keys, KMSKeys.key(account, region, keyID), fresh)
            try tx.delete(KMSKeys.importTokens, tokenKey)
            return fresh
        }
        return ImportKeyMaterialOutput(KeyId: stored.arn, KeyMaterialId: backing.materialID)
    }

    /// Undoes the client's wrapping; anything that does not unwrap is `InvalidCiphertextException`.
    func unwrapImported(_ wrapped: [UInt8], parameters: ImportParametersRecord, key: KeyRecord) throws -> [UInt8] {
        var privateDER: [UInt8]
        do {
            privateDER = try rootKey.open(
                [UInt8](parameters.sealedPrivateKey),
                context: KMSKeys.importContext(account: key.account, region: key.region, keyID: key.keyID, tokenID: parameters.tokenID)
            )
        } catch {
            throw AWSError.internalFailure()
        }
        defer { wipe(&privateDER) }
        guard let privateKey = try? _RSA.Encryption.PrivateKey(derRepresentation: privateDER) else { throw AWSError.internalFailure() }
        let sha256 = parameters.wrappingAlgorithm.hasSuffix("SHA_256")
        let padding: _RSA.Encryption.Padding = sha256 ? .PKCS1_OAEP_SHA256 : .PKCS1_OAEP
        if parameters.wrappingAlgorithm.hasPrefix("RSAES_OAEP") {
            guard let plain = try? privateKey.decrypt(wrapped, padding: padding) else { throw KMSError.invalidCiphertext }
            return [UInt8](plain)
        }
        // RSA_AES_KEY_WRAP: RSA-OAEP(ephemeral AES key) ‖ AES-KWP(ephemeral key, material).
        let modulusBytes = privateKey.keySizeInBits / 8
        guard wrapped.count > modulusBytes + 8 else { throw KMSError.invalidCiphertext }
        guard var aesKey = try? [UInt8](privateKey.decrypt(wrapped[0..<modulusBytes], padding: padding)), [16, 24, 32].contains(aesKey.count) else {
            throw KMSError.invalidCiphertext
        }
        defer { wipe(&aesKey) }
        guard let material = try? AESKeyWrapPadded.unwrap(Array(wrapped[modulusBytes...]), kek: SymmetricKey(data: aesKey)) else {
            throw KMSError.invalidCiphertext
        }
        return material
    }

    static func checkImportedMaterialLength(_ count: Int, spec: String) throws {
        let range: ClosedRange<Int>
        switch spec {
        case KeySpecInfo.symmetric: range = 32...32
        case "HMAC_224": range = 28...64
        case "HMAC_256": range = 32...64
        case "HMAC_384": range = 48...128
        case "HMAC_512": range = 64...128
        default: throw KMSError.unsupported("Key material cannot be imported into a \(spec) key.")
        }
        guard range.contains(count) else { throw KMSError.incorrectKeyMaterial() }
    }

    /// A commitment to imported material, so a re-import must bring the same material, as AWS requires.
    /// Domain-separated SHA-256 over the key id and material: it identifies, and does not reveal, the key.
    static func importFingerprint(keyID: String, material: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: Array("nimbus-kms-import-fingerprint/\(keyID)/".utf8) + material))
    }

    struct DeleteImportedKeyMaterialInput: Decodable, Sendable {
        var KeyId: String
        var KeyMaterialId: String?
    }

    struct DeleteImportedKeyMaterialOutput: Encodable, Sendable {
        var KeyId: String
        var KeyMaterialId: String?
    }
}
