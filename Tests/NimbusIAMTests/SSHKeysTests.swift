//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Testing
import _CryptoExtras

@testable import NimbusIAM

@Suite struct SSHKeysTests {
    static let keys = (0..<6).map { _ in try! _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey }

    @Test func lifecycle() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let key = Self.keys[0]
        let uploaded = try await iam.ok("UploadSSHPublicKey", ["UserName": "bob", "SSHPublicKeyBody": key.pemRepresentation])
        let id = try #require(uploaded["SSHPublicKeyId"])
        #expect(id.hasPrefix("APKA"))
        #expect(uploaded["Fingerprint"]?.split(separator: ":").count == 16)
        #expect(uploaded["SSHPublicKeyBody"]?.hasPrefix("ssh-rsa AAAA") == true)
        #expect(try await iam.call("UploadSSHPublicKey", ["UserName": "bob", "SSHPublicKeyBody": key.pemRepresentation]).errorCode == "DuplicateSSHPublicKey")

        let ssh = try await iam.ok("GetSSHPublicKey", ["UserName": "bob", "SSHPublicKeyId": id, "Encoding": "SSH"])
        let line = try #require(ssh["SSHPublicKeyBody"])
        #expect(line.hasPrefix("ssh-rsa "))
        let pem = try await iam.ok("GetSSHPublicKey", ["UserName": "bob", "SSHPublicKeyId": id, "Encoding": "PEM"])
        #expect(pem["SSHPublicKeyBody"]?.trimmingCharacters(in: .whitespacesAndNewlines) == key.pemRepresentation.trimmingCharacters(in: .whitespacesAndNewlines))
        // The OpenSSH line uploads as the same key.
        #expect(try await iam.call("UploadSSHPublicKey", ["UserName": "bob", "SSHPublicKeyBody": line]).errorCode == "DuplicateSSHPublicKey")

        let listed = try await iam.ok("ListSSHPublicKeys", ["UserName": "bob"])
        #expect(listed.texts("SSHPublicKeyId") == [id])
        #expect(listed["SSHPublicKeyBody"] == nil)
        try await iam.ok("UpdateSSHPublicKey", ["UserName": "bob", "SSHPublicKeyId": id, "Status": "Inactive"])
        #expect(try await iam.ok("ListSSHPublicKeys", ["UserName": "bob"])["Status"] == "Inactive")
        #expect(try await iam.call("DeleteUser", ["UserName": "bob"]).errorMessage == "Cannot delete entity, must delete SSH public keys first.")
        try await iam.ok("DeleteSSHPublicKey", ["UserName": "bob", "SSHPublicKeyId": id])
        #expect(try await iam.call("GetSSHPublicKey", ["UserName": "bob", "SSHPublicKeyId": id, "Encoding": "SSH"]).errorCode == "NoSuchEntity")
        try await iam.ok("DeleteUser", ["UserName": "bob"])
    }

    @Test func limitAndHostileKeys() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        for key in Self.keys.prefix(5) {
            try await iam.ok("UploadSSHPublicKey", ["UserName": "bob", "SSHPublicKeyBody": key.pemRepresentation])
        }
        let sixth = try await iam.call("UploadSSHPublicKey", ["UserName": "bob", "SSHPublicKeyBody": Self.keys[5].pemRepresentation])
        #expect(sixth.errorCode == "LimitExceeded")

        try await iam.createUser("eve")
        for body in ["garbage", "ssh-rsa !!!notbase64", "ssh-rsa AAAAB3NzaC1yc2E=", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"] {
            let refused = try await iam.call("UploadSSHPublicKey", ["UserName": "eve", "SSHPublicKeyBody": body])
            #expect(["UnrecognizedPublicKeyEncoding", "InvalidPublicKey"].contains(refused.errorCode), "\(body): \(refused)")
        }
        #expect(try await iam.ok("ListSSHPublicKeys", ["UserName": "eve"]).texts("SSHPublicKeyId").isEmpty)
        #expect(try await iam.call("UploadSSHPublicKey", ["UserName": "nobody", "SSHPublicKeyBody": Self.keys[0].pemRepresentation]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("GetSSHPublicKey", ["UserName": "bob", "SSHPublicKeyId": "APKAAAAAAAAAAAAAAAAAA", "Encoding": "DER"]).status == 400)
    }

    @Test func pemOfOpenSSHLine() {
        #expect(IAMService.pemPublicKey(fromOpenSSH: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA") == nil)
        #expect(IAMService.pemPublicKey(fromOpenSSH: "ssh-rsa AAAA") == nil)
        #expect(IAMService.pemPublicKey(fromOpenSSH: "") == nil)
    }
}
