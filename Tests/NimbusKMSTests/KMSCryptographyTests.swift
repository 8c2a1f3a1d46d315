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
import Testing
import _CryptoExtras

@testable import NimbusKMS

@Suite("KMS cryptography")
struct KMSCryptographyTests {
    @Test func symmetricRoundTripWithContext() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let other = try await kms.createKey()
        let plaintext: [UInt8] = Array("attack at dawn".utf8)
        let encrypted = try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64(plaintext), "EncryptionContext": ["dept": "finance", "app": "ledger"]])
        let blob = try #require(encrypted.string("CiphertextBlob"))
        #expect(encrypted.string("EncryptionAlgorithm") == "SYMMETRIC_DEFAULT")
        #expect(Data(base64Encoded: blob)!.range(of: Data(plaintext)) == nil)

        let decrypted = try await kms.ok("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["app": "ledger", "dept": "finance"]])
        #expect(decrypted.blob("Plaintext") == plaintext)
        #expect(decrypted.string("KeyId") == KMSHarness.arn(id))
        try await kms.ok("Decrypt", ["CiphertextBlob": blob, "KeyId": id, "EncryptionContext": ["app": "ledger", "dept": "finance"]])
        try await kms.ok("Decrypt", ["CiphertextBlob": blob, "KeyId": KMSHarness.arn(id), "EncryptionContext": ["app": "ledger", "dept": "finance"]])

        for wrong: [String: String] in [[:], ["dept": "finance"], ["app": "ledger", "dept": "hr"], ["app": "ledger", "dept": "finance", "x": "y"]] {
            #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": wrong]).errorCode == "InvalidCiphertextException")
        }
        let wrongKey = try await kms.call("Decrypt", ["CiphertextBlob": blob, "KeyId": other, "EncryptionContext": ["app": "ledger", "dept": "finance"]])
        #expect(wrongKey.errorCode == "IncorrectKeyException")

        let reEncrypted = try await kms.ok("ReEncrypt", [
            "CiphertextBlob": blob, "SourceEncryptionContext": ["app": "ledger", "dept": "finance"],
            "DestinationKeyId": other, "DestinationEncryptionContext": ["new": "ctx"],
        ])
        #expect(reEncrypted.string("SourceKeyId") == KMSHarness.arn(id))
        #expect(reEncrypted.string("KeyId") == KMSHarness.arn(other))
        let moved = try #require(reEncrypted.string("CiphertextBlob"))
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": moved, "EncryptionContext": ["new": "ctx"]]).blob("Plaintext") == plaintext)
    }

    @Test func multiRegionKeyIDsParseFromCiphertextsAndNothingLikeThem() throws {
        let material = [UInt8](repeating: 7, count: 32)
        let id = "mrk-" + String(repeating: "0123456789abcdef", count: 2)
        let blob = try SymmetricCiphertext.seal([1, 2, 3], material: material, account: "123456789012", keyID: id, version: 2, context: [:])
        let parsed = try #require(SymmetricCiphertext(parsing: blob))
        #expect(parsed.keyID == id && parsed.version == 2)
        #expect(try parsed.open(material: material, context: [:]) == [1, 2, 3])
        #expect(KMSService.isKeyID(id) && !KMSService.isKeyID("mrk-" + String(repeating: "g", count: 32)) && !KMSService.isKeyID("mrk-abc"))
        // An id of the right length that is neither a UUID nor `mrk-` and hex is not one of our blobs.
        for bad in ["mrk-" + String(repeating: "G", count: 32), "MRK-" + String(repeating: "0", count: 32), "xrk-" + String(repeating: "0", count: 32)] {
            var forged = blob
            forged.replaceSubrange(15..<51, with: Array(bad.utf8))
            #expect(SymmetricCiphertext(parsing: forged) == nil)
        }
    }

    @Test func plaintextLimitsAndBadInput() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([UInt8](repeating: 7, count: 4096))])
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([UInt8](repeating: 7, count: 4097))]).errorCode == "ValidationException")
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": ""]).status == 400)
        let badBase64 = try await kms.call("Encrypt", raw: Array(#"{"KeyId":"\#(id)","Plaintext":"***not base64***"}"#.utf8))
        #expect(badBase64.status == 400)
        #expect(try await kms.call("Decrypt", raw: Array(#"{"CiphertextBlob":"%%%"}"#.utf8)).status == 400)
        #expect(try await kms.call("Encrypt", raw: Array("{".utf8)).status == 400)
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([1]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"]).errorCode == "InvalidKeyUsageException")
    }

    @Test func tamperedAndTruncatedCiphertextsAreRefused() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let encrypted = try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64(Array("secret".utf8))])
        let blob = try #require(encrypted.blob("CiphertextBlob"))
        for index in stride(from: 0, to: blob.count, by: 3) {
            var tampered = blob
            tampered[index] ^= 0x01
            let response = try await kms.call("Decrypt", ["CiphertextBlob": KMSHarness.b64(tampered)])
            #expect(["InvalidCiphertextException", "IncorrectKeyException"].contains(response.errorCode ?? ""), "byte \(index): \(response)")
            #expect(response.status == 400)
        }
        for length in [1, 2, 3, 10, 54, 55, 66, 82, blob.count - 1] {
            let response = try await kms.call("Decrypt", ["CiphertextBlob": KMSHarness.b64(Array(blob.prefix(length)))])
            #expect(response.errorCode == "InvalidCiphertextException", "length \(length)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let garbage = (0..<Int.random(in: 1...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try await kms.call("Decrypt", ["CiphertextBlob": KMSHarness.b64(garbage)]).errorCode == "InvalidCiphertextException")
        }
        let errors = try await kms.call("Decrypt", ["CiphertextBlob": KMSHarness.b64(Array(blob.dropLast()))])
        #expect(errors.errorMessage?.contains("secret") != true)
    }

    @Test(arguments: ["RSA_2048", "RSA_3072", "RSA_4096"])
    func rsaEncryption(spec: String) async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey(["KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT"])
        let publicKey = try await kms.ok("GetPublicKey", ["KeyId": id])
        #expect(publicKey.value("EncryptionAlgorithms") as? [String] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        #expect(publicKey.string("KeyUsage") == "ENCRYPT_DECRYPT")
        let spki = try #require(publicKey.blob("PublicKey"))
        let rsa = try _RSA.Encryption.PublicKey(derRepresentation: spki)
        #expect(rsa.keySizeInBits == Int(spec.dropFirst(4)))
        for algorithm in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
            let plaintext = Array("hello \(algorithm)".utf8)
            let encrypted = try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64(plaintext), "EncryptionAlgorithm": algorithm])
            let blob = try #require(encrypted.string("CiphertextBlob"))
            let decrypted = try await kms.ok("Decrypt", ["CiphertextBlob": blob, "KeyId": id, "EncryptionAlgorithm": algorithm])
            #expect(decrypted.blob("Plaintext") == plaintext)
            // Encrypted locally with the public key, as clients do offline.
            let padding: _RSA.Encryption.Padding = algorithm == "RSAES_OAEP_SHA_1" ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256
            let offline = try rsa.encrypt(plaintext, padding: padding)
            let decryptedOffline = try await kms.ok("Decrypt", ["CiphertextBlob": KMSHarness.b64([UInt8](offline)), "KeyId": id, "EncryptionAlgorithm": algorithm])
            #expect(decryptedOffline.blob("Plaintext") == plaintext)
            #expect(try await kms.call("Decrypt", ["CiphertextBlob": blob, "KeyId": id, "EncryptionAlgorithm": algorithm == "RSAES_OAEP_SHA_1" ? "RSAES_OAEP_SHA_256" : "RSAES_OAEP_SHA_1"]).errorCode == "InvalidCiphertextException")
        }
        #expect(try await kms.call("Decrypt", ["CiphertextBlob": KMSHarness.b64([1, 2, 3]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"]).errorCode == "ValidationException")
        let tooLong = [UInt8](repeating: 1, count: KeyMaterial.rsaMaximumPlaintext(spec: spec, algorithm: "RSAES_OAEP_SHA_256") + 1)
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64(tooLong), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"]).errorCode == "ValidationException")
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([1])]).errorCode == "InvalidKeyUsageException")
        #expect(try await kms.call("Sign", ["KeyId": id, "Message": KMSHarness.b64([1]), "SigningAlgorithm": "RSASSA_PSS_SHA_256"]).errorCode == "InvalidKeyUsageException")
    }

    @Test(arguments: ["RSA_2048", "RSA_3072", "RSA_4096"])
    func rsaSignatures(spec: String) async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey(["KeySpec": spec, "KeyUsage": "SIGN_VERIFY"])
        let publicKey = try await kms.ok("GetPublicKey", ["KeyId": id])
        let rsa = try _RSA.Signing.PublicKey(derRepresentation: try #require(publicKey.blob("PublicKey")))
        #expect((publicKey.value("SigningAlgorithms") as? [String])?.count == 6)
        let message = Array("the message".utf8)
        for algorithm in ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"] {
            let signed = try await kms.ok("Sign", ["KeyId": id, "Message": KMSHarness.b64(message), "SigningAlgorithm": algorithm])
            let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(signed.blob("Signature")))
            let padding: _RSA.Signing.Padding = algorithm.contains("PSS") ? .PSS : .insecurePKCS1v1_5
            let valid: Bool = switch algorithm.suffix(3) {
            case "256": rsa.isValidSignature(signature, for: SHA256.hash(data: message), padding: padding)
            case "384": rsa.isValidSignature(signature, for: SHA384.hash(data: message), padding: padding)
            default: rsa.isValidSignature(signature, for: SHA512.hash(data: message), padding: padding)
            }
            #expect(valid, "\(algorithm) verifies with the public key")
            try await kms.ok("Verify", ["KeyId": id, "Message": KMSHarness.b64(message), "Signature": signed.string("Signature")!, "SigningAlgorithm": algorithm])
            #expect(try await kms.call("Verify", ["KeyId": id, "Message": KMSHarness.b64(message + [0]), "Signature": signed.string("Signature")!, "SigningAlgorithm": algorithm]).errorCode == "KMSInvalidSignatureException")
        }
        // A precomputed digest signs like the raw message.
        let digest = Array(SHA256.hash(data: message))
        let signed = try await kms.ok("Sign", ["KeyId": id, "Message": KMSHarness.b64(digest), "MessageType": "DIGEST", "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"])
        #expect(rsa.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signed.blob("Signature")!), for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5))
        #expect(try await kms.call("Sign", ["KeyId": id, "Message": KMSHarness.b64([1, 2]), "MessageType": "DIGEST", "SigningAlgorithm": "RSASSA_PSS_SHA_256"]).errorCode == "ValidationException")
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([1]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"]).errorCode == "InvalidKeyUsageException")
    }

    @Test(arguments: [("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_512")])
    func ecdsaSignatures(spec: String, algorithm: String) async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey(["KeySpec": spec, "KeyUsage": "SIGN_VERIFY"])
        let publicKey = try await kms.ok("GetPublicKey", ["KeyId": id])
        #expect(publicKey.value("SigningAlgorithms") as? [String] == [algorithm])
        #expect(publicKey.string("KeySpec") == spec)
        let spki = try #require(publicKey.blob("PublicKey"))
        let message = Array("sign me".utf8)
        let signed = try await kms.ok("Sign", ["KeyId": id, "Message": KMSHarness.b64(message), "SigningAlgorithm": algorithm])
        let der = try #require(signed.blob("Signature"))
        #expect(der.first == 0x30, "ECDSA signatures are DER, as AWS returns them")
        let valid: Bool = switch spec {
        case "ECC_NIST_P256": try P256.Signing.PublicKey(derRepresentation: spki).isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: der), for: message)
        case "ECC_NIST_P384": try P384.Signing.PublicKey(derRepresentation: spki).isValidSignature(try P384.Signing.ECDSASignature(derRepresentation: der), for: message)
        default: try P521.Signing.PublicKey(derRepresentation: spki).isValidSignature(try P521.Signing.ECDSASignature(derRepresentation: der), for: message)
        }
        #expect(valid)
        try await kms.ok("Verify", ["KeyId": id, "Message": KMSHarness.b64(message), "Signature": KMSHarness.b64(der), "SigningAlgorithm": algorithm])
        #expect(try await kms.call("Verify", ["KeyId": id, "Message": KMSHarness.b64(Array("other".utf8)), "Signature": KMSHarness.b64(der), "SigningAlgorithm": algorithm]).errorCode == "KMSInvalidSignatureException")
        #expect(try await kms.call("Verify", ["KeyId": id, "Message": KMSHarness.b64(message), "Signature": KMSHarness.b64([0x30, 0x01]), "SigningAlgorithm": algorithm]).errorCode == "KMSInvalidSignatureException")
        #expect(try await kms.call("Sign", ["KeyId": id, "Message": KMSHarness.b64(message), "SigningAlgorithm": "RSASSA_PSS_SHA_256"]).errorCode == "InvalidKeyUsageException")
        let digestLength = spec == "ECC_NIST_P256" ? 32 : spec == "ECC_NIST_P384" ? 48 : 64
        let digest: [UInt8] = switch digestLength {
        case 32: Array(SHA256.hash(data: message))
        case 48: Array(SHA384.hash(data: message))
        default: Array(SHA512.hash(data: message))
        }
        let digestSigned = try await kms.ok("Sign", ["KeyId": id, "Message": KMSHarness.b64(digest), "MessageType": "DIGEST", "SigningAlgorithm": algorithm])
        try await kms.ok("Verify", ["KeyId": id, "Message": KMSHarness.b64(message), "Signature": digestSigned.string("Signature")!, "SigningAlgorithm": algorithm])
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([1])]).errorCode == "InvalidKeyUsageException")
    }

    @Test(arguments: [("HMAC_224", "HMAC_SHA_224"), ("HMAC_256", "HMAC_SHA_256"), ("HMAC_384", "HMAC_SHA_384"), ("HMAC_512", "HMAC_SHA_512")])
    func macs(spec: String, algorithm: String) async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey(["KeySpec": spec, "KeyUsage": "GENERATE_VERIFY_MAC"])
        let described = try await kms.ok("DescribeKey", ["KeyId": id])
        #expect(described.value("KeyMetadata", "MacAlgorithms") as? [String] == [algorithm])
        let message = KMSHarness.b64(Array("mac me".utf8))
        let generated = try await kms.ok("GenerateMac", ["KeyId": id, "Message": message, "MacAlgorithm": algorithm])
        let mac = try #require(generated.blob("Mac"))
        #expect(mac.count == Int(algorithm.suffix(3))! / 8)
        let verified = try await kms.ok("VerifyMac", ["KeyId": id, "Message": message, "MacAlgorithm": algorithm, "Mac": KMSHarness.b64(mac)])
        #expect(verified.value("MacValid") as? Bool == true)
        var wrong = mac
        wrong[0] ^= 1
        #expect(try await kms.call("VerifyMac", ["KeyId": id, "Message": message, "MacAlgorithm": algorithm, "Mac": KMSHarness.b64(wrong)]).errorCode == "KMSInvalidMacException")
        let otherAlgorithm = algorithm == "HMAC_SHA_256" ? "HMAC_SHA_512" : "HMAC_SHA_256"
        #expect(try await kms.call("GenerateMac", ["KeyId": id, "Message": message, "MacAlgorithm": otherAlgorithm]).errorCode == "InvalidKeyUsageException")
        #expect(try await kms.call("Encrypt", ["KeyId": id, "Plaintext": message]).errorCode == "InvalidKeyUsageException")
        #expect(try await kms.call("GetPublicKey", ["KeyId": id]).errorCode == "UnsupportedOperationException")
    }

    @Test func hmacSHA224MatchesRFC4231() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(HMACSHA224.authenticationCode(Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20)))
            == "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22")
        #expect(hex(HMACSHA224.authenticationCode(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), key: [UInt8](repeating: 0xaa, count: 131)))
            == "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e")
        #expect(hex(HMACSHA224.hash(Array("abc".utf8))) == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
    }

    @Test func dataKeysAndRandom() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let generated = try await kms.ok("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256", "EncryptionContext": ["k": "v"]])
        let plaintext = try #require(generated.blob("Plaintext"))
        #expect(plaintext.count == 32)
        let decrypted = try await kms.ok("Decrypt", ["CiphertextBlob": generated.string("CiphertextBlob")!, "EncryptionContext": ["k": "v"]])
        #expect(decrypted.blob("Plaintext") == plaintext)
        #expect(try await kms.ok("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_128"]).blob("Plaintext")?.count == 16)
        #expect(try await kms.ok("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 1024]).blob("Plaintext")?.count == 1024)
        let without = try await kms.ok("GenerateDataKeyWithoutPlaintext", ["KeyId": id, "KeySpec": "AES_256"])
        #expect(without.value("Plaintext") == nil)
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": without.string("CiphertextBlob")!]).blob("Plaintext")?.count == 32)
        #expect(try await kms.call("GenerateDataKey", ["KeyId": id]).errorCode == "ValidationException")
        #expect(try await kms.call("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256", "NumberOfBytes": 32]).errorCode == "ValidationException")
        #expect(try await kms.call("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 1025]).errorCode == "ValidationException")
        #expect(try await kms.call("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 0]).errorCode == "ValidationException")

        for spec in ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384"] {
            let pair = try await kms.ok("GenerateDataKeyPair", ["KeyId": id, "KeyPairSpec": spec, "EncryptionContext": ["p": spec]])
            let privateKey = try #require(pair.blob("PrivateKeyPlaintext"))
            let publicKey = try #require(pair.blob("PublicKey"))
            switch spec {
            case "RSA_2048":
                #expect(try _RSA.Signing.PrivateKey(derRepresentation: privateKey).publicKey.derRepresentation == Data(publicKey))
            case "ECC_NIST_P256":
                #expect(try P256.Signing.PrivateKey(derRepresentation: privateKey).publicKey.derRepresentation == Data(publicKey))
            default:
                #expect(try P384.Signing.PrivateKey(derRepresentation: privateKey).publicKey.derRepresentation == Data(publicKey))
            }
            let opened = try await kms.ok("Decrypt", ["CiphertextBlob": pair.string("PrivateKeyCiphertextBlob")!, "EncryptionContext": ["p": spec]])
            #expect(opened.blob("Plaintext") == privateKey)
        }
        let withoutPair = try await kms.ok("GenerateDataKeyPairWithoutPlaintext", ["KeyId": id, "KeyPairSpec": "ECC_NIST_P521"])
        #expect(withoutPair.value("PrivateKeyPlaintext") == nil)
        #expect(withoutPair.blob("PublicKey") != nil)
        #expect(try await kms.call("GenerateDataKeyPair", ["KeyId": id, "KeyPairSpec": "SM2"]).status == 400)

        #expect(try await kms.ok("GenerateRandom", ["NumberOfBytes": 64]).blob("Plaintext")?.count == 64)
        #expect(try await kms.call("GenerateRandom", ["NumberOfBytes": 1025]).errorCode == "ValidationException")
        #expect(try await kms.call("GenerateRandom", [:]).errorCode == "ValidationException")
        let sign = try await kms.createKey(["KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"])
        #expect(try await kms.call("GenerateDataKey", ["KeyId": sign, "KeySpec": "AES_256"]).errorCode == "InvalidKeyUsageException")
    }

    @Test func rotationKeepsOldCiphertextsDecryptable() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        let before = try #require(try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([1, 1, 1])]).string("CiphertextBlob"))
        let firstMaterial = try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "CurrentKeyMaterialId")
        try await kms.ok("RotateKeyOnDemand", ["KeyId": id])
        let secondMaterial = try await kms.ok("DescribeKey", ["KeyId": id]).string("KeyMetadata", "CurrentKeyMaterialId")
        #expect(firstMaterial != secondMaterial)
        let after = try #require(try await kms.ok("Encrypt", ["KeyId": id, "Plaintext": KMSHarness.b64([2, 2, 2])]).string("CiphertextBlob"))
        let beforeVersion = SymmetricCiphertext(parsing: [UInt8](Data(base64Encoded: before)!))!.version
        let afterVersion = SymmetricCiphertext(parsing: [UInt8](Data(base64Encoded: after)!))!.version
        #expect(afterVersion == beforeVersion + 1, "new encryptions use the newest backing key")
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": before]).blob("Plaintext") == [1, 1, 1])
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": after]).blob("Plaintext") == [2, 2, 2])

        #expect(try await kms.ok("GetKeyRotationStatus", ["KeyId": id]).value("KeyRotationEnabled") as? Bool == false)
        #expect(try await kms.call("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 89]).errorCode == "ValidationException")
        try await kms.ok("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 90])
        let status = try await kms.ok("GetKeyRotationStatus", ["KeyId": id])
        #expect(status.value("KeyRotationEnabled") as? Bool == true)
        #expect(status.value("RotationPeriodInDays") as? Int == 90)
        try await kms.service.runMaintenance(now: Date().addingTimeInterval(91 * 86_400))
        let rotations = try await kms.ok("ListKeyRotations", ["KeyId": id])
        let types = (rotations.value("Rotations") as? [[String: Any]])?.compactMap { $0["RotationType"] as? String }
        #expect(types == ["ON_DEMAND", "AUTOMATIC"])
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": before]).blob("Plaintext") == [1, 1, 1])
        #expect(try await kms.ok("Decrypt", ["CiphertextBlob": after]).blob("Plaintext") == [2, 2, 2])
        try await kms.service.runMaintenance(now: Date().addingTimeInterval(91 * 86_400))
        #expect((try await kms.ok("ListKeyRotations", ["KeyId": id]).value("Rotations") as? [Any])?.count == 2, "maintenance is idempotent")
        try await kms.ok("DisableKeyRotation", ["KeyId": id])
        #expect(try await kms.ok("GetKeyRotationStatus", ["KeyId": id]).value("KeyRotationEnabled") as? Bool == false)

        let rsa = try await kms.createKey(["KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"])
        #expect(try await kms.call("EnableKeyRotation", ["KeyId": rsa]).errorCode == "UnsupportedOperationException")
        #expect(try await kms.call("RotateKeyOnDemand", ["KeyId": rsa]).errorCode == "UnsupportedOperationException")
        try await kms.ok("DisableKey", ["KeyId": id])
        #expect(try await kms.call("EnableKeyRotation", ["KeyId": id]).errorCode == "DisabledException")
    }

    @Test func storeHoldsNoPlaintextKeyMaterial() async throws {
        let kms = KMSHarness()
        let id = try await kms.createKey()
        var secrets: [[UInt8]] = []
        for _ in 0..<3 {
            secrets.append(try #require(try await kms.ok("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"]).blob("Plaintext")))
        }
        let pair = try await kms.ok("GenerateDataKeyPair", ["KeyId": id, "KeyPairSpec": "ECC_NIST_P256"])
        secrets.append(Array(try #require(pair.blob("PrivateKeyPlaintext")).suffix(64)))
        // Imported material is known to the test, so the store can be searched for the key itself.
        let imported = try await ImportHelper.importKey(kms, spec: "SYMMETRIC_DEFAULT", algorithm: "RSAES_OAEP_SHA_256")
        secrets.append(imported.material)
        try await kms.ok("RotateKeyOnDemand", ["KeyId": id])

        let namespaces = [KMSKeys.keys, KMSKeys.aliases, KMSKeys.grants, KMSKeys.importTokens]
        let values = try await kms.store.read { reader in
            try namespaces.flatMap { try reader.scan($0).map(\.value) }
        }
        #expect(!values.isEmpty)
        for secret in secrets {
            let needles: [[UInt8]] = [
                secret,
                Array(Data(secret).base64EncodedString().utf8.prefix(40)),
                Array(secret.prefix(16).map(String.init).joined(separator: ",").utf8),
                Array(secret.prefix(16).map { String(format: "%02x", $0) }.joined().utf8),
            ]
            for value in values {
                for needle in needles {
                    #expect(value.firstRange(of: needle) == nil, "a stored value contains plaintext key material")
                }
            }
        }
    }
}
