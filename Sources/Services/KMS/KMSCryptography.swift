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
import _CryptoExtras

/// Overwrites a buffer that held key material or plaintext. Swift may have copied the array before
/// (copy-on-write), so this is best effort, but it keeps the buffers we own from lingering.
func wipe(_ bytes: inout [UInt8]) {
    for i in bytes.indices { bytes[i] = 0 }
}

/// What each `KeySpec` supports, as AWS's "Key spec reference" lists it.
struct KeySpecInfo: Sendable {
    var spec: String
    /// The key usages the spec allows.
    var usages: [String]

    static let symmetric = "SYMMETRIC_DEFAULT"
    static let encryptDecrypt = "ENCRYPT_DECRYPT"
    static let signVerify = "SIGN_VERIFY"
    static let generateVerifyMac = "GENERATE_VERIFY_MAC"
    static let keyAgreement = "KEY_AGREEMENT"

    static let all: [String: KeySpecInfo] = {
        var table: [String: KeySpecInfo] = [symmetric: KeySpecInfo(spec: symmetric, usages: [encryptDecrypt])]
        for rsa in ["RSA_2048", "RSA_3072", "RSA_4096"] { table[rsa] = KeySpecInfo(spec: rsa, usages: [encryptDecrypt, signVerify]) }
        for ecc in ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"] { table[ecc] = KeySpecInfo(spec: ecc, usages: [signVerify, keyAgreement]) }
        // Signatures over the message itself. (ML_DSA_44 is not here: swift-crypto implements ML-DSA-65 and -87.)
        for spec in ["ECC_NIST_EDWARDS25519", "ML_DSA_65", "ML_DSA_87"] { table[spec] = KeySpecInfo(spec: spec, usages: [signVerify]) }
        for hmac in ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"] { table[hmac] = KeySpecInfo(spec: hmac, usages: [generateVerifyMac]) }
        return table
    }()

    var isRSA: Bool { spec.hasPrefix("RSA_") }
    var isECC: Bool { spec.hasPrefix("ECC_") }
    var isMLDSA: Bool { spec.hasPrefix("ML_DSA_") }
    /// Keys that sign the message itself (`MessageType` RAW), not a digest of it.
    static func signsMessage(_ algorithm: String) -> Bool { algorithm == "ED25519_SHA_512" || algorithm == "ML_DSA_SHAKE_256" }
    var isHMAC: Bool { spec.hasPrefix("HMAC_") }
    var isSymmetric: Bool { spec == Self.symmetric }

    static func encryptionAlgorithms(spec: String, usage: String) -> [String]? {
        guard usage == encryptDecrypt else { return nil }
        return spec == symmetric ? ["SYMMETRIC_DEFAULT"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    }

    static func keyAgreementAlgorithms(spec: String, usage: String) -> [String]? {
        usage == keyAgreement ? ["ECDH"] : nil
    }

    static func signingAlgorithms(spec: String, usage: String) -> [String]? {
        guard usage == signVerify else { return nil }
        switch spec {
        case "ECC_NIST_EDWARDS25519": return ["ED25519_SHA_512"]
        case "ML_DSA_65", "ML_DSA_87": return ["ML_DSA_SHAKE_256"]
        case "ECC_NIST_P256": return ["ECDSA_SHA_256"]
        case "ECC_NIST_P384": return ["ECDSA_SHA_384"]
        case "ECC_NIST_P521": return ["ECDSA_SHA_512"]
        default:
            return ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
                    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"]
        }
    }

    static func macAlgorithms(spec: String, usage: String) -> [String]? {
        guard usage == generateVerifyMac, spec.hasPrefix("HMAC_") else { return nil }
        return ["HMAC_SHA_" + spec.dropFirst("HMAC_".count)]
    }

    /// HMAC key lengths in bytes: the digest size of the hash.
    static func hmacKeyLength(_ spec: String) -> Int? {
        ["HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64][spec]
    }
}

/// Key material: generation, public keys, and the operations that use it. Material is handled as
/// `[UInt8]` only long enough to build a CryptoKit key, then wiped.
enum KeyMaterial {
    /// New random material for `spec`: 32 bytes for symmetric keys, the HMAC key, or a PKCS #8 DER private key.
    static func generate(spec: String) throws -> [UInt8] {
        switch spec {
        case KeySpecInfo.symmetric: return randomBytes(32)
        case "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512": return randomBytes(KeySpecInfo.hmacKeyLength(spec)!)
        case "RSA_2048": return [UInt8](try _RSA.Signing.PrivateKey(keySize: .bits2048).pkcs8DERRepresentation)
        case "RSA_3072": return [UInt8](try _RSA.Signing.PrivateKey(keySize: .bits3072).pkcs8DERRepresentation)
        case "RSA_4096": return [UInt8](try _RSA.Signing.PrivateKey(keySize: .bits4096).pkcs8DERRepresentation)
        case "ECC_NIST_P256": return [UInt8](P256.Signing.PrivateKey().derRepresentation)
        case "ECC_NIST_P384": return [UInt8](P384.Signing.PrivateKey().derRepresentation)
        case "ECC_NIST_P521": return [UInt8](P521.Signing.PrivateKey().derRepresentation)
        // The 32-byte private key and the 32-byte seeds, from which the keys are rebuilt for each operation.
        case "ECC_NIST_EDWARDS25519": return [UInt8](Curve25519.Signing.PrivateKey().rawRepresentation)
        case "ML_DSA_65": return [UInt8](try MLDSA65.PrivateKey().seedRepresentation)
        case "ML_DSA_87": return [UInt8](try MLDSA87.PrivateKey().seedRepresentation)
        default: throw KMSError.unsupported("KeySpec \(spec) is not supported.")
        }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// ECDH between the key's private key (`der`) and `peer`, a DER SubjectPublicKeyInfo on the same curve: the raw
    /// shared secret (the x coordinate), as KMS's DeriveSharedSecret returns it; nil when `peer` is not such a key.
    static func sharedSecret(spec: String, privateKey der: [UInt8], peer: [UInt8]) throws -> [UInt8]? {
        func raw(_ secret: SharedSecret) -> [UInt8] { secret.withUnsafeBytes { Array($0) } }
        switch spec {
        case "ECC_NIST_P256":
            guard let other = try? P256.KeyAgreement.PublicKey(derRepresentation: peer) else { return nil }
            let signing = try P256.Signing.PrivateKey(derRepresentation: der)
            return raw(try P256.KeyAgreement.PrivateKey(rawRepresentation: signing.rawRepresentation).sharedSecretFromKeyAgreement(with: other))
        case "ECC_NIST_P384":
            guard let other = try? P384.KeyAgreement.PublicKey(derRepresentation: peer) else { return nil }
            let signing = try P384.Signing.PrivateKey(derRepresentation: der)
            return raw(try P384.KeyAgreement.PrivateKey(rawRepresentation: signing.rawRepresentation).sharedSecretFromKeyAgreement(with: other))
        case "ECC_NIST_P521":
            guard let other = try? P521.KeyAgreement.PublicKey(derRepresentation: peer) else { return nil }
            let signing = try P521.Signing.PrivateKey(derRepresentation: der)
            return raw(try P521.KeyAgreement.PrivateKey(rawRepresentation: signing.rawRepresentation).sharedSecretFromKeyAgreement(with: other))
        default:
            return nil
        }
    }

    /// The DER-encoded X.509 SubjectPublicKeyInfo of an asymmetric key.
    static func publicKeyDER(spec: String, privateKey der: [UInt8]) throws -> [UInt8] {
        switch spec {
        case "ECC_NIST_EDWARDS25519":
            return subjectPublicKeyInfo(algorithm: ed25519OID, key: [UInt8](try Curve25519.Signing.PrivateKey(rawRepresentation: der).publicKey.rawRepresentation))
        case "ML_DSA_65":
            return subjectPublicKeyInfo(algorithm: mlDSA65OID, key: [UInt8](try MLDSA65.PrivateKey(seedRepresentation: der, publicKey: nil).publicKey.rawRepresentation))
        case "ML_DSA_87":
            return subjectPublicKeyInfo(algorithm: mlDSA87OID, key: [UInt8](try MLDSA87.PrivateKey(seedRepresentation: der, publicKey: nil).publicKey.rawRepresentation))
        case "RSA_2048", "RSA_3072", "RSA_4096": return [UInt8](try _RSA.Signing.PrivateKey(derRepresentation: der).publicKey.derRepresentation)
        case "ECC_NIST_P256": return [UInt8](try P256.Signing.PrivateKey(derRepresentation: der).publicKey.derRepresentation)
        case "ECC_NIST_P384": return [UInt8](try P384.Signing.PrivateKey(derRepresentation: der).publicKey.derRepresentation)
        case "ECC_NIST_P521": return [UInt8](try P521.Signing.PrivateKey(derRepresentation: der).publicKey.derRepresentation)
        default: throw KMSError.unsupported("Only asymmetric KMS keys have a public key.")
        }
    }

    /// Object identifiers, DER-encoded: id-Ed25519 (RFC 8410), id-ml-dsa-65 and id-ml-dsa-87 (FIPS 204, RFC 9881).
    static let ed25519OID: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]
    static let mlDSA65OID: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12]
    static let mlDSA87OID: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x13]

    /// `SEQUENCE { SEQUENCE { algorithm } , BIT STRING key }`, for algorithms without parameters.
    static func subjectPublicKeyInfo(algorithm: [UInt8], key: [UInt8]) -> [UInt8] {
        func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
            let n = content.count
            let length: [UInt8] = n < 0x80 ? [UInt8(n)] : n < 0x100 ? [0x81, UInt8(n)] : [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
            return [tag] + length + content
        }
        return tlv(0x30, tlv(0x30, algorithm) + tlv(0x03, [0x00] + key))
    }

    // MARK: RSA encryption

    static func rsaPadding(_ algorithm: String) -> _RSA.Encryption.Padding? {
        switch algorithm {
        case "RSAES_OAEP_SHA_1": .PKCS1_OAEP
        case "RSAES_OAEP_SHA_256": .PKCS1_OAEP_SHA256
        default: nil
        }
    }

    /// The largest plaintext RSA-OAEP takes with this key size and hash (AWS's table: 214/190 bytes for 2048 …).
    static func rsaMaximumPlaintext(spec: String, algorithm: String) -> Int {
        let modulus = (Int(spec.dropFirst("RSA_".count)) ?? 2048) / 8
        let hash = algorithm == "RSAES_OAEP_SHA_1" ? 20 : 32
        return modulus - 2 * hash - 2
    }

    static func rsaEncrypt(_ plaintext: [UInt8], privateKey der: [UInt8], algorithm: String) throws -> [UInt8] {
        guard let padding = rsaPadding(algorithm) else { throw KMSError.invalidKeyUsage("Invalid encryption algorithm.") }
        let key = try _RSA.Encryption.PrivateKey(derRepresentation: der)
        return [UInt8](try key.publicKey.encrypt(plaintext, padding: padding))
    }

    static func rsaDecrypt(_ ciphertext: [UInt8], privateKey der: [UInt8], algorithm: String) throws -> [UInt8] {
        guard let padding = rsaPadding(algorithm) else { throw KMSError.invalidCiphertext }
        let key = try _RSA.Encryption.PrivateKey(derRepresentation: der)
        do {
            return [UInt8](try key.decrypt(ciphertext, padding: padding))
        } catch {
            throw KMSError.invalidCiphertext
        }
    }

    // MARK: Signatures

    /// The hash a signing algorithm uses: 32, 48 or 64 bytes.
    static func digestLength(_ algorithm: String) -> Int? {
        if algorithm.hasSuffix("SHA_256") { return 32 }
        if algorithm.hasSuffix("SHA_384") { return 48 }
        if algorithm.hasSuffix("SHA_512") { return 64 }
        return nil
    }

    /// The digest to sign: the hash of `message` for `RAW`, `message` itself for `DIGEST`.
    static func digest(_ message: [UInt8], algorithm: String, messageType: String) throws -> [UInt8] {
        if KeySpecInfo.signsMessage(algorithm) {
            guard messageType == "RAW" else {
                throw KMSError.validation("The \(algorithm) signing algorithm supports only the RAW message type in Nimbus.")
            }
            return message
        }
        guard let length = digestLength(algorithm) else { throw KMSError.invalidKeyUsage("Invalid signing algorithm.") }
        if messageType == "DIGEST" {
            guard message.count == length else {
                throw KMSError.validation("Digest is invalid length for algorithm \(algorithm).")
            }
            return message
        }
        switch length {
        case 32: return Array(SHA256.hash(data: message))
        case 48: return Array(SHA384.hash(data: message))
        default: return Array(SHA512.hash(data: message))
        }
    }

    static func sign(digest: [UInt8], spec: String, algorithm: String, privateKey der: [UInt8]) throws -> [UInt8] {
        if spec.hasPrefix("RSA_") {
            let key = try _RSA.Signing.PrivateKey(derRepresentation: der)
            let padding: _RSA.Signing.Padding = algorithm.hasPrefix("RSASSA_PSS") ? .PSS : .insecurePKCS1v1_5
            let signature: _RSA.Signing.RSASignature
            switch digest.count {
            case 32: signature = try key.signature(for: try sha256Digest(digest), padding: padding)
            case 48: signature = try key.signature(for: try sha384Digest(digest), padding: padding)
            default: signature = try key.signature(for: try sha512Digest(digest), padding: padding)
            }
            return [UInt8](signature.rawRepresentation)
        }
        switch spec {
        // `digest` is the message itself for these (``KeySpecInfo/signsMessage(_:)``).
        case "ECC_NIST_EDWARDS25519": return [UInt8](try Curve25519.Signing.PrivateKey(rawRepresentation: der).signature(for: digest))
        case "ML_DSA_65": return [UInt8](try MLDSA65.PrivateKey(seedRepresentation: der, publicKey: nil).signature(for: digest))
        case "ML_DSA_87": return [UInt8](try MLDSA87.PrivateKey(seedRepresentation: der, publicKey: nil).signature(for: digest))
        case "ECC_NIST_P256": return [UInt8](try P256.Signing.PrivateKey(derRepresentation: der).signature(for: try sha256Digest(digest)).derRepresentation)
        case "ECC_NIST_P384": return [UInt8](try P384.Signing.PrivateKey(derRepresentation: der).signature(for: try sha384Digest(digest)).derRepresentation)
        case "ECC_NIST_P521": return [UInt8](try P521.Signing.PrivateKey(derRepresentation: der).signature(for: try sha512Digest(digest)).derRepresentation)
        default: throw KMSError.invalidKeyUsage("Invalid signing algorithm.")
        }
    }

    static func verify(signature: [UInt8], digest: [UInt8], spec: String, algorithm: String, privateKey der: [UInt8]) throws -> Bool {
        if spec.hasPrefix("RSA_") {
            let key = try _RSA.Signing.PrivateKey(derRepresentation: der).publicKey
            let padding: _RSA.Signing.Padding = algorithm.hasPrefix("RSASSA_PSS") ? .PSS : .insecurePKCS1v1_5
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch digest.count {
            case 32: return key.isValidSignature(rsaSignature, for: try sha256Digest(digest), padding: padding)
            case 48: return key.isValidSignature(rsaSignature, for: try sha384Digest(digest), padding: padding)
            default: return key.isValidSignature(rsaSignature, for: try sha512Digest(digest), padding: padding)
            }
        }
        switch spec {
        case "ECC_NIST_EDWARDS25519": return try Curve25519.Signing.PrivateKey(rawRepresentation: der).publicKey.isValidSignature(signature, for: digest)
        case "ML_DSA_65": return try MLDSA65.PrivateKey(seedRepresentation: der, publicKey: nil).publicKey.isValidSignature(signature, for: digest)
        case "ML_DSA_87": return try MLDSA87.PrivateKey(seedRepresentation: der, publicKey: nil).publicKey.isValidSignature(signature, for: digest)
        case "ECC_NIST_P256":
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return try P256.Signing.PrivateKey(derRepresentation: der).publicKey.isValidSignature(parsed, for: try sha256Digest(digest))
        case "ECC_NIST_P384":
            guard let parsed = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return try P384.Signing.PrivateKey(derRepresentation: der).publicKey.isValidSignature(parsed, for: try sha384Digest(digest))
        case "ECC_NIST_P521":
            guard let parsed = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return try P521.Signing.PrivateKey(derRepresentation: der).publicKey.isValidSignature(parsed, for: try sha512Digest(digest))
        default: return false
        }
    }

    // A precomputed digest (MessageType DIGEST) as CryptoKit's digest type. CryptoKit offers no public
    // initializer, and its digests are plain fixed-size byte storage, so the bytes are loaded into one;
    // the result is checked byte for byte, so a layout change fails loudly instead of signing garbage.
    static func sha256Digest(_ bytes: [UInt8]) throws -> SHA256Digest { try loadDigest(bytes) }
    static func sha384Digest(_ bytes: [UInt8]) throws -> SHA384Digest { try loadDigest(bytes) }
    static func sha512Digest(_ bytes: [UInt8]) throws -> SHA512Digest { try loadDigest(bytes) }

    private static func loadDigest<D: Digest>(_ bytes: [UInt8]) throws -> D {
        guard bytes.count == D.byteCount, MemoryLayout<D>.size == D.byteCount else {
            throw AWSError.internalFailure()
        }
        let digest = bytes.withUnsafeBytes { $0.loadUnaligned(as: D.self) }
        guard Array(digest) == bytes else { throw AWSError.internalFailure() }
        return digest
    }

    // MARK: HMAC

    static func mac(_ message: [UInt8], algorithm: String, key material: [UInt8]) -> [UInt8] {
        switch algorithm {
        case "HMAC_SHA_224": return HMACSHA224.authenticationCode(message, key: material)
        case "HMAC_SHA_256": return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: material)))
        case "HMAC_SHA_384": return Array(HMAC<SHA384>.authenticationCode(for: message, using: SymmetricKey(data: material)))
        default: return Array(HMAC<SHA512>.authenticationCode(for: message, using: SymmetricKey(data: material)))
        }
    }

    /// Compares without an early exit, so the time taken does not reveal how many bytes matched.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// HMAC-SHA-224 (RFC 4231), which swift-crypto lacks: SHA-224 (FIPS 180-4) is SHA-256 with another
/// initial state, truncated to 28 bytes.
enum HMACSHA224 {
    static func authenticationCode(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? hash(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var inner = k.map { $0 ^ 0x36 }
        var outer = k.map { $0 ^ 0x5c }
        defer { wipe(&k); wipe(&inner); wipe(&outer) }
        return hash(outer + hash(inner + message))
    }

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0xc105_9ed8, 0x367c_d507, 0x3070_dd17, 0xf70e_5939, 0xffc0_0b31, 0x6858_1511, 0x64f9_8fa7, 0xbefa_4fa4]
        var data = message
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(data[j]) << 24 | UInt32(data[j + 1]) << 16 | UInt32(data[j + 2]) << 8 | UInt32(data[j + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
        }
        wipe(&data)
        return h.prefix(7).flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}

/// AES Key Wrap with Padding (RFC 5649), the second half of `RSA_AES_KEY_WRAP_SHA_*` import wrapping.
enum AESKeyWrapPadded {
    private static let aivPrefix: [UInt8] = [0xA6, 0x59, 0x59, 0xA6]

    static func wrap(_ plaintext: [UInt8], kek: SymmetricKey) throws -> [UInt8] {
        let mli = UInt32(plaintext.count)
        var aiv = aivPrefix
        for shift in stride(from: 24, through: 0, by: -8) { aiv.append(UInt8(truncatingIfNeeded: mli >> UInt32(shift))) }
        var padded = plaintext + [UInt8](repeating: 0, count: (8 - plaintext.count % 8) % 8)
        defer { wipe(&padded) }
        if padded.count == 8 {
            var block = aiv + padded
            try AES.permute(&block, key: kek)
            return block
        }
        var a = aiv
        var r = stride(from: 0, to: padded.count, by: 8).map { Array(padded[$0..<$0 + 8]) }
        let n = r.count
        for j in 0..<6 {
            for i in 0..<n {
                var block = a + r[i]
                try AES.permute(&block, key: kek)
                let t = UInt64(n * j + i + 1)
                a = Array(block[0..<8])
                for k in 0..<8 { a[k] ^= UInt8(truncatingIfNeeded: t >> UInt64(56 - 8 * k)) }
                r[i] = Array(block[8..<16])
            }
        }
        return a + r.flatMap { $0 }
    }

    /// Nil when the integrity check fails (wrong key or tampered input).
    static func unwrap(_ ciphertext: [UInt8], kek: SymmetricKey) throws -> [UInt8]? {
        guard ciphertext.count >= 16, ciphertext.count % 8 == 0 else { return nil }
        var a: [UInt8]
        var plain: [UInt8]
        if ciphertext.count == 16 {
            var block = ciphertext
            try AES.inversePermute(&block, key: kek)
            a = Array(block[0..<8])
            plain = Array(block[8..<16])
        } else {
            a = Array(ciphertext[0..<8])
            var r = stride(from: 8, to: ciphertext.count, by: 8).map { Array(ciphertext[$0..<$0 + 8]) }
            let n = r.count
            for j in stride(from: 5, through: 0, by: -1) {
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let t = UInt64(n * j + i + 1)
                    for k in 0..<8 { a[k] ^= UInt8(truncatingIfNeeded: t >> UInt64(56 - 8 * k)) }
                    var block = a + r[i]
                    try AES.inversePermute(&block, key: kek)
                    a = Array(block[0..<8])
                    r[i] = Array(block[8..<16])
                }
            }
            plain = r.flatMap { $0 }
        }
        guard Array(a[0..<4]) == aivPrefix else { wipe(&plain); return nil }
        let mli = Int(a[4]) << 24 | Int(a[5]) << 16 | Int(a[6]) << 8 | Int(a[7])
        guard mli <= plain.count, mli > plain.count - 8, plain[mli...].allSatisfy({ $0 == 0 }) else { wipe(&plain); return nil }
        let result = Array(plain[0..<mli])
        wipe(&plain)
        return result
    }
}
