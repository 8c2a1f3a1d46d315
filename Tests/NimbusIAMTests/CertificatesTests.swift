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
import SwiftASN1
import Testing
import X509

@testable import NimbusIAM

@Suite struct CertificatesTests {
    static let account = IAMHarness.account

    @Test func signingCertificates() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.createUser("bob")
        let first = try IAMTestPKI.selfSigned("bob-1", now: clock.now)
        let uploaded = try await iam.ok("UploadSigningCertificate", ["UserName": "bob", "CertificateBody": first.pem])
        let id = try #require(uploaded["CertificateId"])
        #expect(id.count >= 24)
        #expect(uploaded["Status"] == "Active")
        let duplicate = try await iam.call("UploadSigningCertificate", ["UserName": "bob", "CertificateBody": first.pem])
        #expect(duplicate.errorCode == "DuplicateCertificate")

        try await iam.ok("UploadSigningCertificate", ["UserName": "bob", "CertificateBody": try IAMTestPKI.selfSigned("bob-2", now: clock.now).pem])
        let third = try await iam.call("UploadSigningCertificate", ["UserName": "bob", "CertificateBody": try IAMTestPKI.selfSigned("bob-3", now: clock.now).pem])
        #expect(third.errorCode == "LimitExceeded")
        #expect(third.errorMessage == "Cannot exceed quota for SigningCertificatesPerUser: 2")
        #expect(try await iam.ok("ListSigningCertificates", ["UserName": "bob"]).texts("CertificateId").count == 2)

        try await iam.ok("UpdateSigningCertificate", ["UserName": "bob", "CertificateId": id, "Status": "Inactive"])
        #expect(try await iam.ok("ListSigningCertificates", ["UserName": "bob"]).all("member").contains { $0.text("CertificateId") == id && $0.text("Status") == "Inactive" })
        #expect(try await iam.call("DeleteUser", ["UserName": "bob"]).errorMessage == "Cannot delete entity, must delete signing certificates first.")
        try await iam.ok("DeleteSigningCertificate", ["UserName": "bob", "CertificateId": id])
        #expect(try await iam.call("DeleteSigningCertificate", ["UserName": "bob", "CertificateId": id]).errorCode == "NoSuchEntity")

        #expect(try await iam.call("UploadSigningCertificate", ["UserName": "bob", "CertificateBody": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]).errorCode == "MalformedCertificate")
        let expired = try IAMTestPKI.selfSigned("old", now: clock.now - 86_400 * 10, notAfter: 86_400)
        #expect(try await iam.call("UploadSigningCertificate", ["UserName": "bob", "CertificateBody": expired.pem]).errorCode == "MalformedCertificate")
        #expect(try await iam.call("UploadSigningCertificate", ["UserName": "nobody", "CertificateBody": first.pem]).errorCode == "NoSuchEntity")
    }

    @Test func serverCertificates() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        let web = try IAMTestPKI.selfSigned("www.example.com", now: clock.now)
        let uploaded = try await iam.ok("UploadServerCertificate", [
            "ServerCertificateName": "web", "Path": "/cloudfront/", "CertificateBody": web.pem, "PrivateKey": web.keyPEM,
            "Tags.member.1.Key": "env", "Tags.member.1.Value": "prod",
        ])
        #expect(uploaded["Arn"] == "arn:aws:iam::\(Self.account):server-certificate/cloudfront/web")
        #expect(uploaded["ServerCertificateId"]?.hasPrefix("ASCA") == true)
        #expect(uploaded["Expiration"] != nil)
        #expect(try await iam.call("UploadServerCertificate", ["ServerCertificateName": "WEB", "CertificateBody": web.pem, "PrivateKey": web.keyPEM]).errorCode == "EntityAlreadyExists")

        let got = try await iam.ok("GetServerCertificate", ["ServerCertificateName": "web"])
        #expect(got["CertificateBody"]?.contains("BEGIN CERTIFICATE") == true)
        #expect(!got.xml.contains("PRIVATE KEY"))
        #expect(!(try await iam.storedText(IAMKeys.serverCertificates)).contains("PRIVATE KEY"))
        #expect(try await iam.ok("ListServerCertificates", ["PathPrefix": "/cloudfront/"]).texts("ServerCertificateName") == ["web"])
        #expect(try await iam.ok("ListServerCertificates", ["PathPrefix": "/elb/"]).texts("ServerCertificateName").isEmpty)

        try await iam.ok("TagServerCertificate", ["ServerCertificateName": "web", "Tags.member.1.Key": "team", "Tags.member.1.Value": "edge"])
        #expect(try await iam.ok("ListServerCertificateTags", ["ServerCertificateName": "web"]).texts("Key") == ["env", "team"])
        try await iam.ok("UntagServerCertificate", ["ServerCertificateName": "web", "TagKeys.member.1": "env"])
        #expect(try await iam.ok("ListServerCertificateTags", ["ServerCertificateName": "web"]).texts("Key") == ["team"])

        try await iam.ok("UpdateServerCertificate", ["ServerCertificateName": "web", "NewServerCertificateName": "web-2", "NewPath": "/elb/"])
        #expect(try await iam.call("GetServerCertificate", ["ServerCertificateName": "web"]).errorCode == "NoSuchEntity")
        #expect(try await iam.ok("GetServerCertificate", ["ServerCertificateName": "web-2"])["Arn"] == "arn:aws:iam::\(Self.account):server-certificate/elb/web-2")

        // The key must belong to the certificate.
        let other = try IAMTestPKI.selfSigned("other", now: clock.now)
        #expect(try await iam.call("UploadServerCertificate", ["ServerCertificateName": "mismatch", "CertificateBody": web.pem, "PrivateKey": other.keyPEM]).errorCode == "KeyPairMismatch")
        #expect(try await iam.call("UploadServerCertificate", ["ServerCertificateName": "garbage", "CertificateBody": "nope", "PrivateKey": "nope"]).errorCode == "MalformedCertificate")

        try await iam.ok("DeleteServerCertificate", ["ServerCertificateName": "web-2"])
        #expect(try await iam.call("DeleteServerCertificate", ["ServerCertificateName": "web-2"]).errorCode == "NoSuchEntity")
    }
}

/// Certificates made in the test, valid around `now`, so nothing committed expires.
enum IAMTestPKI {
    struct Issued {
        var pem: String
        var keyPEM: String
    }

    static func selfSigned(_ name: String, now: Date, notAfter: TimeInterval = 86_400 * 365) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: now - 3600,
            notValidAfter: now + notAfter,
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: Certificate.Extensions(),
            issuerPrivateKey: .init(key)
        )
        return Issued(pem: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }
}
