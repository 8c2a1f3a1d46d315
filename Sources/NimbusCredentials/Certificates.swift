//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation
public import NimbusCore
import SwiftASN1
public import X509
import _CryptoExtras

/// What IAM keeps of an uploaded signing certificate (`UploadSigningCertificate`).
public struct SigningCertificateInfo: Sendable, Hashable {
    /// AWS-style certificate id: 28 upper-case base-32 characters derived from the certificate's
    /// DER bytes, so that uploading the same certificate twice gives the same id (`DuplicateCertificate`).
    public var certificateID: String
    /// The certificate re-encoded as one canonical PEM block.
    public var certificateBody: String
    public var subject: String
    public var issuer: String
    /// The serial number as colon-separated hex.
    public var serialNumber: String
    public var notValidBefore: Date
    public var notValidAfter: Date
    /// `RSA`, `EC P-256`, `EC P-384`, `EC P-521` or `Ed25519`.
    public var keyAlgorithm: String
    public var keySizeInBits: Int
    /// SHA-256 of the DER bytes, lower-case hex.
    public var sha256Fingerprint: String
    /// The parsed certificate, for callers that need more than the fields above.
    public var certificate: Certificate
}

/// What IAM keeps of an uploaded server certificate (`UploadServerCertificate`). The private key is
/// not part of it: the caller seals it under the root key and never returns it.
public struct ServerCertificateInfo: Sendable, Hashable {
    public var certificateBody: String
    /// The chain, re-encoded as canonical PEM blocks, nil when none was given.
    public var certificateChain: String?
    public var subject: String
    public var issuer: String
    public var serialNumber: String
    public var notValidBefore: Date
    /// `ServerCertificateMetadata.Expiration`.
    public var expiration: Date
    /// `ServerCertificateMetadata.UploadDate`: the `now` of the check.
    public var uploadDate: Date
    public var keyAlgorithm: String
    public var keySizeInBits: Int
    /// How many certificates the chain held.
    public var chainLength: Int
    public var sha256Fingerprint: String
}

/// AWS's size limits: `certificateBodyType` and `privateKeyType` hold 16 KiB, `certificateChainType` 2 MiB.
let maximumCertificateLength = 16_384
let maximumChainLength = 2_097_152

/// Parses and checks an X.509 signing certificate in PEM.
///
/// - Throws: `MalformedCertificate` for anything that is not exactly one PEM certificate, or one that
///   is expired or not yet valid at `now`.
public func parseSigningCertificate(pem: String, now: Date = Date()) throws(AWSError) -> SigningCertificateInfo {
    let certificate = try parseSingleCertificate(pem)
    try checkValidity(certificate, at: now)
    let der = derBytes(of: certificate)
    let (algorithm, bits) = describeKey(certificate.publicKey)
    let digest = Array(SHA256.hash(data: der))
    return SigningCertificateInfo(
        certificateID: String(Base32.encode(digest).prefix(28)),
        certificateBody: pemString(of: certificate),
        subject: certificate.subject.description,
        issuer: certificate.issuer.description,
        serialNumber: certificate.serialNumber.description,
        notValidBefore: certificate.notValidBefore,
        notValidAfter: certificate.notValidAfter,
        keyAlgorithm: algorithm,
        keySizeInBits: bits,
        sha256Fingerprint: hex(digest),
        certificate: certificate
    )
}

/// Checks a server certificate upload: the certificate, its unencrypted private key (RSA, or EC
/// P-256/P-384/P-521) and the optional chain.
///
/// - Throws: `MalformedCertificate` when the certificate, key or chain does not parse, the certificate
///   is expired or not yet valid, or the chain is not in order (each certificate signed by the next,
///   the first by the certificate's issuer); `KeyPairMismatch` when the key is not the certificate's.
public func validateServerCertificate(
    certificatePEM: String,
    privateKeyPEM: String,
    chainPEM: String? = nil,
    now: Date = Date()
) throws(AWSError) -> ServerCertificateInfo {
    let certificate = try parseSingleCertificate(certificatePEM)

    guard privateKeyPEM.utf8.count <= maximumCertificateLength else {
        throw .malformedCertificate("The private key is larger than the maximum of \(maximumCertificateLength) characters.")
    }
    let privateKey: Certificate.PrivateKey
    do {
        privateKey = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
    } catch {
        throw .malformedCertificate("Unable to parse private key. The private key must be an unencrypted PEM-encoded RSA or EC key.")
    }
    let (algorithm, bits) = describeKey(certificate.publicKey)
    guard algorithm == "RSA" || algorithm.hasPrefix("EC ") else {
        throw .invalidCertificate("Unsupported public key algorithm \(algorithm). Server certificates must use RSA or ECDSA keys.")
    }
    guard privateKey.publicKey == certificate.publicKey else {
        throw .keyPairMismatch()
    }
    try checkValidity(certificate, at: now)

    var chain: [Certificate] = []
    if let chainPEM, !chainPEM.allSatisfy(\.isWhitespace) {
        guard chainPEM.utf8.count <= maximumChainLength else {
            throw .malformedCertificate("The certificate chain is larger than the maximum of \(maximumChainLength) characters.")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: chainPEM)
        } catch {
            throw .malformedCertificate("Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.")
        }
        for (index, document) in documents.enumerated() {
            guard document.discriminator == "CERTIFICATE", let parsed = try? Certificate(derEncoded: document.derBytes) else {
                throw .malformedCertificate(
                    "Unable to parse certificate chain. The certificate at index \(index) of the chain is not a PEM-encoded X.509 certificate."
                )
            }
            chain.append(parsed)
        }
        guard !chain.isEmpty else {
            throw .malformedCertificate("Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.")
        }
        var child = certificate
        for (index, parent) in chain.enumerated() {
            guard child.issuer == parent.subject, parent.publicKey.isValidSignature(child.signature, for: child) else {
                throw .malformedCertificate(
                    "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, "
                        + "followed by any intermediaries in order. The index within the chain of the invalid certificate is: \(index)"
                )
            }
            child = parent
        }
    }

    return ServerCertificateInfo(
        certificateBody: pemString(of: certificate),
        certificateChain: chain.isEmpty ? nil : chain.map(pemString(of:)).joined(separator: "\n"),
        subject: certificate.subject.description,
        issuer: certificate.issuer.description,
        serialNumber: certificate.serialNumber.description,
        notValidBefore: certificate.notValidBefore,
        expiration: certificate.notValidAfter,
        uploadDate: now,
        keyAlgorithm: algorithm,
        keySizeInBits: bits,
        chainLength: chain.count,
        sha256Fingerprint: hex(Array(SHA256.hash(data: derBytes(of: certificate))))
    )
}

// MARK: Helpers

/// Exactly one `CERTIFICATE` PEM block that parses as X.509.
func parseSingleCertificate(_ pem: String) throws(AWSError) -> Certificate {
    let malformed = AWSError.malformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    guard pem.utf8.count <= maximumCertificateLength else {
        throw .malformedCertificate("The certificate is larger than the maximum of \(maximumCertificateLength) characters.")
    }
    guard let documents = try? PEMDocument.parseMultiple(pemString: pem), documents.count == 1,
        documents[0].discriminator == "CERTIFICATE"
    else { throw malformed }
    guard let certificate = try? Certificate(derEncoded: documents[0].derBytes) else { throw malformed }
    return certificate
}

func checkValidity(_ certificate: Certificate, at now: Date) throws(AWSError) {
    if now > certificate.notValidAfter {
        throw .malformedCertificate(
            "Certificate is no longer valid. The 'Not After' date restriction on the certificate has passed."
        )
    }
    if now < certificate.notValidBefore {
        throw .malformedCertificate(
            "Certificate is not yet valid. The 'Not Before' date restriction on the certificate has not been reached."
        )
    }
}

func derBytes(of certificate: Certificate) -> [UInt8] {
    var serializer = DER.Serializer()
    // Serialising a certificate that was just parsed or built cannot fail.
    try? serializer.serialize(certificate)
    return serializer.serializedBytes
}

func pemString(of certificate: Certificate) -> String {
    PEMDocument(type: "CERTIFICATE", derBytes: derBytes(of: certificate)).pemString
}

func describeKey(_ key: Certificate.PublicKey) -> (String, Int) {
    if let rsa = _RSA.Signing.PublicKey(key) { return ("RSA", rsa.keySizeInBits) }
    if P256.Signing.PublicKey(key) != nil { return ("EC P-256", 256) }
    if P384.Signing.PublicKey(key) != nil { return ("EC P-384", 384) }
    if P521.Signing.PublicKey(key) != nil { return ("EC P-521", 521) }
    if Curve25519.Signing.PublicKey(key) != nil { return ("Ed25519", 256) }
    return ("unknown", 0)
}

/// Lowercase hex, each byte's two digits apart from the next byte's by `separator` (`aa:bb` for SSH fingerprints).
func hex(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
    separator.isEmpty ? Hex.encode(bytes) : bytes.map { Hex.encode(CollectionOfOne($0)) }.joined(separator: separator)
}
