//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

package import Crypto
package import Foundation
package import NIOSSL
import SwiftASN1
package import X509

/// The local CA that signs the HTTPS port's certificate, so that `AWS_CA_BUNDLE=<data-dir>/ca.pem` works.
///
/// The CA's key is kept (sealed by the caller) so that `ca.pem` stays valid across restarts; the server's
/// own key and certificate are made anew at every start, which costs about a millisecond.
package struct LocalCertificateAuthority: Sendable {
    package let caKey: P256.Signing.PrivateKey
    package let caCertificate: Certificate

    /// A new CA valid for ten years.
    package static func create(now: Date = Date()) throws -> LocalCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Nimbus")
            CommonName("Nimbus Local CA")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key)
        )
        return LocalCertificateAuthority(caKey: key, caCertificate: certificate)
    }

    /// Restores a CA from its key (raw representation) and certificate PEM.
    package init(keyRepresentation: [UInt8], certificatePEM: String) throws {
        self.caKey = try P256.Signing.PrivateKey(rawRepresentation: keyRepresentation)
        self.caCertificate = try Certificate(pemEncoded: certificatePEM)
    }

    private init(caKey: P256.Signing.PrivateKey, caCertificate: Certificate) {
        self.caKey = caKey
        self.caCertificate = caCertificate
    }

    package var certificatePEM: String {
        get throws { try caCertificate.serializeAsPEM().pemString }
    }

    /// A server certificate for localhost names (including virtual-hosted S3) and the loopback addresses,
    /// plus `extraNames` (the configured host), as a TLS configuration offering TLS 1.2+ with ECDHE only.
    package func serverTLSConfiguration(extraNames: [String] = [], now: Date = Date()) throws -> TLSConfiguration {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = ["localhost", "*.localhost", "s3.localhost", "*.s3.localhost", "localhost.localstack.cloud"]
            .map { .dnsName($0) }
        names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
        names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))))
        for name in extraNames where !name.isEmpty {
            if let v4 = IPv4Octets(name) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(v4))))
            } else if name != "0.0.0.0", name != "::" {
                names.append(.dnsName(name))
            }
        }
        let subject = try DistinguishedName {
            OrganizationName("Nimbus")
            CommonName("localhost")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(397 * 86400),
            issuer: caCertificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(caKey)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        var caSerializer = DER.Serializer()
        try caSerializer.serialize(caCertificate)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)),
                .certificate(try NIOSSLCertificate(bytes: caSerializer.serializedBytes, format: .der)),
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem))
        )
        tls.minimumTLSVersion = .tlsv12
        // TLS 1.2 suites with ephemeral ECDH only; every TLS 1.3 suite is forward-secret already.
        tls.cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"
        return tls
    }
}

/// The four octets of a dotted-quad IPv4 address, or nil.
private func IPv4Octets(_ s: String) -> [UInt8]? {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    let octets = parts.compactMap { UInt8($0) }
    return octets.count == 4 ? octets : nil
}
