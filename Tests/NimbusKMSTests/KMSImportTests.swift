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
import Testing
import _CryptoExtras

@testable import NimbusKMS

/// Wraps key material the way a client does for ImportKeyMaterial.
enum ImportHelper {
    struct Imported {
        var keyID: String
        var material: [UInt8]
    }

    static func wrap(_ material: [UInt8], publicKey: [UInt8], algorithm: String) throws -> [UInt8] {
        let rsa = try _RSA.Encryption.PublicKey(derRepresentation: publicKey)
        let padding: _RSA.Encryption.Padding = algorithm.hasSuffix("SHA_256") ? .PKCS1_OAEP_SHA256 : .PKCS1_OAEP
        if algorithm.hasPrefix("RSAES_OAEP") {
            return [UInt8](try rsa.encrypt(material, padding: padding))
        }
        let ephemeral = KeyMaterial.randomBytes(32)
        return [UInt8](try rsa.encrypt(ephemeral, padding: padding)) + (try AESKeyWrapPadded.wrap(material, kek: SymmetricKey(data: ephemeral)))
    }

    static func parameters(_ kms: KMSHarness, keyID: String, algorithm: String, wrappingSpec: String = "RSA_2048") async throws -> (token: String, publicKey: [UInt8]) {
        let response = try await kms.ok("GetParametersForImport", ["KeyId": keyID, "WrappingAlgorithm": algorithm, "WrappingKeySpec": wrappingSpec])
        let token = try #require(response.string("ImportToken"))
        let publicKey = try #require(response.blob("PublicKey"))
        let validTo = try #require(response.value("ParametersValidTo") as? Double)
        #expect(abs(validTo - Date().addingTimeInterval(86_400).timeIntervalSince1970) < 60)
        return (token, publicKey)
    }

    static func importKey(_ kms: KMSHarness, spec: String, algorithm: String, material: [UInt8]? = nil, extra: [String: Any] = [:]) async throws -> Imported {
        let usage = spec.hasPrefix("HMAC") ? "GENERATE_VERIFY_MAC" : "ENCRYPT_DECRYPT"
        let id = try await kms.createKey(["KeySpec": spec, "KeyUsage": usage, "Origin": "EXTERNAL"])
        let material = material ?? KeyMaterial.randomBytes(spec == "SYMMETRIC_DEFAULT" ? 32 : KeySpecInfo.hmacKeyLength(spec)!)
        let (token, publicKey) = try await parameters(kms, keyID: id, algorithm: algorithm)
        var body: [String: Any] = ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": KMSHarness.b64(try wrap(material, publicKey: publicKey, algorithm: algorithm))]
        body.merge(extra) { _, new in new }
        try await kms.ok("ImportKeyMaterial", body)
        return Imported(keyID: id, material: material)
    }
}

@Suite("KMS imported key material")
struct KMSImportTests {
    @Test(arguments: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
    func importSymmetricMaterial(algorithm: String) async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey(["Origin": "EXTERNAL"])
        let described = try await kms.ok("DescribeKey", ["KeyId": id])
        #expect(described.string("KeyMetadata", "KeyState") == "PendingImport")
        #expect(described.string("KeyMetadata", "Origin") == "EXTERNAL")
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([1])]).errorCode == "KMSInvalidStateException")

        let material = KeyMaterial.randomBytes(32)
        let (token, publicKey) = try await ImportHelper.parameters(kms, keyID: id, algorithm: algorithm)
        let wrapped = try ImportHelper.wrap(material, publicKey: publicKey, algorithm: algorithm)
        var tampered = wrapped
        tampered[tampered.count - 1] ^= 1
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": KMSHarness.b64(tampered)]).errorCode == "InvalidCiphertextException")
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": KMSHarness.b64([1, 2, 3]), "EncryptedKeyMaterial": KMSHarness.b64(wrapped)]).errorCode == "InvalidImportTokenException")
        try await kms.ok("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": KMSHarness.b64(wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"])
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "KeyState") == "Enabled")
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": KMSHarness.b64(wrapped)]).errorCode == "InvalidImportTokenException", "a token is used once")

        let blob = try #require(try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([4, 5, 6])]).blob("CiphertextBlob"))
        // The ciphertext is AES-GCM under exactly the imported material.
        let parsed = try #require(SymmetricCiphertext(parsing: blob))
        #expect(try parsed.open(material: material, context: [:]) == [4, 5, 6])
    }

    @Test func deleteAndReimportSameMaterial() async throws {
        let kms = KMSHarness()
        let imported = try await ImportHelper.importKey(kms, spec: "SYMMETRIC_DEFAULT", algorithm: "RSA_AES_KEY_WRAP_SHA_256")
        let id = imported.keyID
        let blob = try #require(try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([7])]).string("CiphertextBlob"))
        try await kms.ok("DeleteImportedKeyMaterial", ["KeyId": id])
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "KeyState") == "PendingImport")
        #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob]).errorCode == "KMSInvalidStateException")

        let (token, publicKey) = try await ImportHelper.parameters(kms, keyID: id, algorithm: "RSAES_OAEP_SHA_256")
        let other = KeyMaterial.randomBytes(32)
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": KMSHarness.b64(try ImportHelper.wrap(other, publicKey: publicKey, algorithm: "RSAES_OAEP_SHA_256"))]).errorCode == "IncorrectKeyMaterialException")
        try await kms.ok("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": KMSHarness.b64(try ImportHelper.wrap(imported.material, publicKey: publicKey, algorithm: "RSAES_OAEP_SHA_256"))])
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": blob]).blob("Plaintext") == [7])

        let normal = try await kms.createKey()
        #expect(try await kms.call("GetParametersForImport", ["KeyId": normal, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"]).errorCode == "UnsupportedOperationException")
        #expect(try await kms.call("DeleteImportedKeyMaterial", ["KeyId": normal]).errorCode == "UnsupportedOperationException")
        #expect(try await kms.call("EnableKeyRotation", ["KeyId": id]).errorCode == "UnsupportedOperationException")
    }

    @Test func expiringMaterialMakesTheKeyPendingImport() async throws {
        let kms = KMSHarness()
        let validTo = Date().addingTimeInterval(3600).timeIntervalSince1970.rounded()
        let imported = try await ImportHelper.importKey(
            kms, spec: "SYMMETRIC_DEFAULT", algorithm: "RSAES_OAEP_SHA_1", extra: ["ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": validTo]
        )
        let described = try await kms.ok("DescribeKey", ["KeyId": imported.keyID])
        #expect(described.string("KeyMetadata", "ExpirationModel") == "KEY_MATERIAL_EXPIRES")
        #expect(described.value("KeyMetadata", "ValidTo") as? Double == validTo)
        try await kms.service.runMaintenance(now: Date())
        #expect(try await kms.ok("DescribeKey", ["KeyId": imported.keyID]).string("KeyMetadata", "KeyState") == "Enabled")
        try await kms.service.runMaintenance(now: Date().addingTimeInterval(7200))
        #expect(try await kms.ok("DescribeKey", ["KeyId": imported.keyID]).string("KeyMetadata", "KeyState") == "PendingImport")

        let id = try await kms.createKey(["Origin": "EXTERNAL"])
        let (token, publicKey) = try await ImportHelper.parameters(kms, keyID: id, algorithm: "RSAES_OAEP_SHA_256")
        let wrapped = KMSHarness.b64(try ImportHelper.wrap(KeyMaterial.randomBytes(32), publicKey: publicKey, algorithm: "RSAES_OAEP_SHA_256"))
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_EXPIRES"]).errorCode == "ValidationException")
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ValidTo": Date().addingTimeInterval(-10).timeIntervalSince1970]).errorCode == "ValidationException")
        let short = KMSHarness.b64(try ImportHelper.wrap(KeyMaterial.randomBytes(16), publicKey: publicKey, algorithm: "RSAES_OAEP_SHA_256"))
        #expect(try await kms.call("ImportKeyMaterial", ["KeyId": id, "ImportToken": token, "EncryptedKeyMaterial": short]).errorCode == "IncorrectKeyMaterialException")
        #expect(try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "KeyState") == "PendingImport", "refused imports change nothing")
    }

    @Test func importedHMACKey() async throws {
        let kms = KMSHarness()
        let material = KeyMaterial.randomBytes(32)
        let imported = try await ImportHelper.importKey(kms, spec: "HMAC_256", algorithm: "RSA_AES_KEY_WRAP_SHA_256", material: material)
        let message = Array("hello".utf8)
        let mac = try await kms.ok("GenerateMac", ["KeyId": imported.keyID, "Message": KMSHarness.b64(message), "MacAlgorithm": "HMAC_SHA_256"])
        #expect(mac.blob("Mac") == Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: material))))
    }

    @Test func aesKeyWrapWithPaddingMatchesRFC5649() throws {
        func bytes(_ hex: String) -> [UInt8] {
            stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
        }
        let kek = SymmetricKey(data: bytes("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"))
        let twenty = bytes("c37b7e6492584340bed12207808941155068f738")
        #expect(try AESKeyWrapPadded.wrap(twenty, kek: kek) == bytes("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"))
        let seven = bytes("466f7250617369")
        #expect(try AESKeyWrapPadded.wrap(seven, kek: kek) == bytes("afbeb0f07dfbf5419200f2ccb50bb24f"))
        #expect(try AESKeyWrapPadded.unwrap(bytes("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"), kek: kek) == twenty)
        #expect(try AESKeyWrapPadded.unwrap(bytes("afbeb0f07dfbf5419200f2ccb50bb24f"), kek: kek) == seven)
        #expect(try AESKeyWrapPadded.unwrap(bytes("afbeb0f07dfbf5419200f2ccb50bb24e"), kek: kek) == nil)
    }
}
