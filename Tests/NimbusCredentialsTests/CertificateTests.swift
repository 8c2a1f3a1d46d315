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
import NimbusCredentials
import SwiftASN1
import Testing
import X509
import _CryptoExtras

/// Certificates made for each run, valid around a fixed `now`, so nothing committed expires.
enum TestPKI {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct Issued {
        var certificate: Certificate
        var key: Certificate.PrivateKey
        var keyPEM: String
        var pem: String { try! certificate.serializeAsPEM().pemString }
    }

    static func issue(
        _ name: String,
        key: Certificate.PrivateKey,
        keyPEM: String,
        issuer: Issued? = nil,
        isCA: Bool = false,
        notBefore: Date = now - 3600,
        notAfter: Date = now + 86_400 * 365
    ) throws -> Issued {
        let subject = try DistinguishedName { CommonName(name) }
        let signer = issuer?.key ?? key
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: key.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: issuer?.certificate.subject ?? subject,
            subject: subject,
            signatureAlgorithm: signer.supportedSignatureAlgorithms.first!,
            extensions: try Certificate.Extensions {
                Critical(isCA ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : BasicConstraints.notCertificateAuthority)
            },
            issuerPrivateKey: signer
        )
        return Issued(certificate: certificate, key: key, keyPEM: keyPEM)
    }

    static func p256(_ name: String, issuer: Issued? = nil, isCA: Bool = false, notBefore: Date = now - 3600, notAfter: Date = now + 86_400 * 365) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        return try issue(name, key: .init(key), keyPEM: key.pemRepresentation, issuer: issuer, isCA: isCA, notBefore: notBefore, notAfter: notAfter)
    }

    static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static let root = try! p256("Nimbus Test Root", isCA: true)
    static let intermediate = try! p256("Nimbus Test Intermediate", issuer: root, isCA: true)
    static let leaf = try! p256("www.example.com", issuer: intermediate)
    static let rsaLeaf = try! issue("rsa.example.com", key: .init(rsaKey), keyPEM: rsaKey.pemRepresentation, issuer: intermediate)
}

@Suite struct SigningCertificateTests {
    @Test func validCertificate() throws {
        let info = try parseSigningCertificate(pem: TestPKI.rsaLeaf.pem, now: TestPKI.now)
        #expect(info.certificateID.count == 28)
        #expect(info.certificateID.allSatisfy { $0.isUppercase || ("2"..."7").contains($0) })
        #expect(info.keyAlgorithm == "RSA" && info.keySizeInBits == 2048)
        #expect(info.subject == "CN=rsa.example.com")
        #expect(info.issuer == "CN=Nimbus Test Intermediate")
        #expect(info.notValidAfter == TestPKI.rsaLeaf.certificate.notValidAfter)
        #expect(info.sha256Fingerprint.count == 64)
        #expect(info.certificateBody.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        // The same certificate, however it is wrapped, has the same id.
        let rewrapped = "\n\n  " + TestPKI.rsaLeaf.pem.replacingOccurrences(of: "\n", with: "\r\n") + "\n\n"
        #expect((try? parseSigningCertificate(pem: rewrapped, now: TestPKI.now))?.certificateID == info.certificateID)
        #expect(try parseSigningCertificate(pem: TestPKI.leaf.pem, now: TestPKI.now).certificateID != info.certificateID)
        #expect(try parseSigningCertificate(pem: TestPKI.leaf.pem, now: TestPKI.now).keyAlgorithm == "EC P-256")
    }

    @Test func expiredAndNotYetValid() throws {
        let expired = try TestPKI.p256("old", notBefore: TestPKI.now - 86_400 * 10, notAfter: TestPKI.now - 86_400)
        let future = try TestPKI.p256("new", notBefore: TestPKI.now + 86_400, notAfter: TestPKI.now + 86_400 * 10)
        #expect(throws: AWSError.malformedCertificate("")) { try parseSigningCertificate(pem: expired.pem, now: TestPKI.now) }
        #expect(throws: AWSError.malformedCertificate("")) { try parseSigningCertificate(pem: future.pem, now: TestPKI.now) }
        do {
            _ = try parseSigningCertificate(pem: expired.pem, now: TestPKI.now)
        } catch {
            #expect(error.message == "Certificate is no longer valid. The 'Not After' date restriction on the certificate has passed.")
        }
    }

    @Test(arguments: [
        "", "garbage", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----",
        "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
        "-----BEGIN CERTIFICATE-----\n" + String(repeating: "QUFB", count: 5000) + "\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n" + String(repeating: "A", count: 64) + "\n-----END CERTIFICATE-----",
        String(repeating: "-----BEGIN CERTIFICATE-----\n", count: 1000),
        "\u{0}\u{1}\u{2}", String(decoding: [0xFF, 0xFE, 0x2D, 0x2D], as: UTF8.self),
        String(repeating: "x", count: 10_000_000),
    ])
    func garbageIsMalformed(_ pem: String) {
        #expect(throws: AWSError.malformedCertificate("")) { try parseSigningCertificate(pem: pem, now: TestPKI.now) }
    }

    @Test func twoCertificatesAreOneTooMany() throws {
        let both = TestPKI.leaf.pem + "\n" + TestPKI.rsaLeaf.pem
        #expect(throws: AWSError.malformedCertificate("")) { try parseSigningCertificate(pem: both, now: TestPKI.now) }
    }

    @Test func certificateWithAKeyDERInside() throws {
        // A PEM block labelled CERTIFICATE whose DER is not a certificate.
        let der = Array(P256.Signing.PrivateKey().publicKey.derRepresentation)
        let pem = PEMDocument(type: "CERTIFICATE", derBytes: der).pemString
        #expect(throws: AWSError.malformedCertificate("")) { try parseSigningCertificate(pem: pem, now: TestPKI.now) }
    }
}

@Suite struct ServerCertificateTests {
    static var chainPEM: String { TestPKI.intermediate.pem + "\n" + TestPKI.root.pem }

    @Test func validWithChain() throws {
        let info = try validateServerCertificate(
            certificatePEM: TestPKI.leaf.pem,
            privateKeyPEM: TestPKI.leaf.keyPEM,
            chainPEM: Self.chainPEM,
            now: TestPKI.now
        )
        #expect(info.expiration == TestPKI.leaf.certificate.notValidAfter)
        #expect(info.uploadDate == TestPKI.now)
        #expect(info.chainLength == 2)
        #expect(info.keyAlgorithm == "EC P-256")
        #expect(info.subject == "CN=www.example.com")
        #expect(info.certificateChain?.components(separatedBy: "-----BEGIN CERTIFICATE-----").count == 3)
    }

    @Test func rsaKeysInEveryPEMForm() throws {
        for keyPEM in [TestPKI.rsaKey.pemRepresentation, TestPKI.rsaKey.pkcs8PEMRepresentation] {
            let info = try validateServerCertificate(
                certificatePEM: TestPKI.rsaLeaf.pem,
                privateKeyPEM: keyPEM,
                chainPEM: Self.chainPEM,
                now: TestPKI.now
            )
            #expect(info.keyAlgorithm == "RSA" && info.keySizeInBits == 2048)
        }
    }

    @Test func otherCurves() throws {
        let p384 = P384.Signing.PrivateKey()
        let p521 = P521.Signing.PrivateKey()
        let c384 = try TestPKI.issue("p384", key: .init(p384), keyPEM: p384.pemRepresentation)
        let c521 = try TestPKI.issue("p521", key: .init(p521), keyPEM: p521.pemRepresentation)
        #expect(try validateServerCertificate(certificatePEM: c384.pem, privateKeyPEM: c384.keyPEM, now: TestPKI.now).keyAlgorithm == "EC P-384")
        #expect(try validateServerCertificate(certificatePEM: c521.pem, privateKeyPEM: c521.keyPEM, chainPEM: "", now: TestPKI.now).keyAlgorithm == "EC P-521")
    }

    @Test func mismatchedKey() throws {
        #expect(throws: AWSError.keyPairMismatch()) {
            try validateServerCertificate(certificatePEM: TestPKI.leaf.pem, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation, now: TestPKI.now)
        }
        #expect(throws: AWSError.keyPairMismatch()) {
            try validateServerCertificate(certificatePEM: TestPKI.leaf.pem, privateKeyPEM: TestPKI.rsaKey.pemRepresentation, now: TestPKI.now)
        }
    }

    @Test func badKeys() throws {
        for key in ["", "garbage", TestPKI.leaf.pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----",
                    "-----BEGIN PRIVATE KEY-----\n" + String(repeating: "QUFB", count: 5000) + "\n-----END PRIVATE KEY-----"] {
            #expect(throws: AWSError.malformedCertificate("")) {
                try validateServerCertificate(certificatePEM: TestPKI.leaf.pem, privateKeyPEM: key, now: TestPKI.now)
            }
        }
    }

    @Test func chainOutOfOrderOrForeign() throws {
        func message(_ chain: String) -> String? {
            do {
                _ = try validateServerCertificate(certificatePEM: TestPKI.leaf.pem, privateKeyPEM: TestPKI.leaf.keyPEM, chainPEM: chain, now: TestPKI.now)
                return nil
            } catch {
                #expect(error.code == "MalformedCertificate")
                return error.message
            }
        }
        #expect(message(TestPKI.intermediate.pem) == nil)  // the root may be left out
        #expect(message(TestPKI.root.pem + TestPKI.intermediate.pem)?.hasSuffix("The index within the chain of the invalid certificate is: 0") == true)
        #expect(message(TestPKI.intermediate.pem + TestPKI.leaf.pem)?.hasSuffix("is: 1") == true)
        let stranger = try TestPKI.p256("Nimbus Test Intermediate", isCA: true)  // same name, other key
        #expect(message(stranger.pem)?.hasSuffix("is: 0") == true)
        #expect(message("garbage") != nil)
        #expect(message(TestPKI.intermediate.pem + "\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----") != nil)
        #expect(message(TestPKI.intermediate.pem + TestPKI.leaf.keyPEM) != nil)
        #expect(message(String(repeating: TestPKI.intermediate.pem, count: 5000)) != nil)  // over 2 MiB
    }

    @Test func expiredServerCertificate() throws {
        let old = try TestPKI.p256("old", notBefore: TestPKI.now - 86_400 * 10, notAfter: TestPKI.now - 1)
        #expect(throws: AWSError.malformedCertificate("")) {
            try validateServerCertificate(certificatePEM: old.pem, privateKeyPEM: old.keyPEM, now: TestPKI.now)
        }
    }

    @Test func ed25519IsRefused() throws {
        let key = Curve25519.Signing.PrivateKey()
        let cert = try TestPKI.issue("ed", key: .init(key), keyPEM: key.pemRepresentation)
        #expect(throws: AWSError.invalidCertificate("")) {
            try validateServerCertificate(certificatePEM: cert.pem, privateKeyPEM: cert.keyPEM, now: TestPKI.now)
        }
    }

    @Test func garbageCertificate() {
        #expect(throws: AWSError.malformedCertificate("")) {
            try validateServerCertificate(certificatePEM: "nope", privateKeyPEM: TestPKI.leaf.keyPEM, now: TestPKI.now)
        }
    }
}
