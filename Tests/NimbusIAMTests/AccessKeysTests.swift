//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAuth
import NimbusCore
import NimbusStorage
import Testing

@testable import NimbusIAM

@Suite struct AccessKeysTests {
    @Test func createListUpdateDelete() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let created = try await iam.ok("CreateAccessKey", ["UserName": "bob"])
        let id = try #require(created["AccessKeyId"])
        let secret = try #require(created["SecretAccessKey"])
        #expect(id.hasPrefix("AKIA") && id.count == 20)
        #expect(secret.count == 40)
        #expect(created["Status"] == "Active")
        #expect(created["UserName"] == "bob")

        let listed = try await iam.ok("ListAccessKeys", ["UserName": "bob"])
        #expect(listed.texts("AccessKeyId") == [id])
        #expect(listed["SecretAccessKey"] == nil)
        #expect(!listed.xml.contains(secret))

        try await iam.ok("UpdateAccessKey", ["UserName": "bob", "AccessKeyId": id, "Status": "Inactive"])
        #expect(try await iam.ok("ListAccessKeys", ["UserName": "bob"])["Status"] == "Inactive")

        try await iam.ok("DeleteAccessKey", ["UserName": "bob", "AccessKeyId": id])
        #expect(try await iam.ok("ListAccessKeys", ["UserName": "bob"]).texts("AccessKeyId").isEmpty)
        let again = try await iam.call("DeleteAccessKey", ["UserName": "bob", "AccessKeyId": id])
        #expect(again.errorCode == "NoSuchEntity")
        #expect(again.errorMessage == "The Access Key with id \(id) cannot be found.")
    }

    @Test func atMostTwoKeysPerUser() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        try await iam.ok("CreateAccessKey", ["UserName": "bob"])
        try await iam.ok("CreateAccessKey", ["UserName": "bob"])
        let third = try await iam.call("CreateAccessKey", ["UserName": "bob"])
        #expect(third.status == 409)
        #expect(third.errorCode == "LimitExceeded")
        #expect(third.errorMessage == "Cannot exceed quota for AccessKeysPerUser: 2")
        #expect(try await iam.ok("ListAccessKeys", ["UserName": "bob"]).texts("AccessKeyId").count == 2)
    }

    @Test func rotationWithoutDowntime() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let provider = iam.service.credentialProvider
        let first = try #require(try await iam.ok("CreateAccessKey", ["UserName": "bob"])["AccessKeyId"])
        let firstCredential = try #require(try await provider.credential(for: first))
        #expect(firstCredential.isActive)
        #expect(firstCredential.principal.kind == .user)
        #expect(firstCredential.principal.arn == "arn:aws:iam::\(IAMHarness.account):user/bob")
        #expect(firstCredential.principal.userID.hasPrefix("AIDA"))
        #expect(firstCredential.principal.accountID == IAMHarness.account)

        let second = try await iam.ok("CreateAccessKey", ["UserName": "bob"])
        let secondID = try #require(second["AccessKeyId"])
        let secondCredential = try #require(try await provider.credential(for: secondID))
        #expect(secondCredential.isActive)
        #expect(secondCredential.secretAccessKey == second["SecretAccessKey"])

        // The first key is cached; deactivating it must take effect before UpdateAccessKey returns.
        try await iam.ok("UpdateAccessKey", ["UserName": "bob", "AccessKeyId": first, "Status": "Inactive"])
        #expect(try await provider.credential(for: first)?.isActive == false)
        #expect(try await provider.credential(for: secondID)?.isActive == true)

        try await iam.ok("UpdateAccessKey", ["UserName": "bob", "AccessKeyId": first, "Status": "Active"])
        #expect(try await provider.credential(for: first)?.isActive == true)
        try await iam.ok("UpdateAccessKey", ["UserName": "bob", "AccessKeyId": first, "Status": "Inactive"])
        try await iam.ok("DeleteAccessKey", ["UserName": "bob", "AccessKeyId": first])
        #expect(try await provider.credential(for: first) == nil)
        #expect(try await provider.credential(for: secondID)?.isActive == true)
    }

    @Test func providerRefusesUnknownKeys() async throws {
        let iam = IAMHarness.credentials()
        let provider = iam.service.credentialProvider
        #expect(try await provider.credential(for: "AKIAAAAAAAAAAAAAAAAA") == nil)
        #expect(try await provider.credential(for: "ASIAAAAAAAAAAAAAAAAA") == nil)
        #expect(try await provider.credential(for: "") == nil)
        #expect(try await provider.credential(for: "AKIA" + String(repeating: "A", count: 5000)) == nil)
    }

    @Test func lastUsed() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.createUser("bob")
        let id = try #require(try await iam.ok("CreateAccessKey", ["UserName": "bob"])["AccessKeyId"])

        let never = try await iam.ok("GetAccessKeyLastUsed", ["AccessKeyId": id])
        #expect(never["UserName"] == "bob")
        #expect(never["ServiceName"] == "N/A")
        #expect(never["Region"] == "N/A")
        #expect(never["LastUsedDate"] == nil)

        iam.service.noteKeyUsed(accessKeyID: id, service: "s3", region: "eu-west-1", at: clock.now)
        iam.service.noteKeyUsed(accessKeyID: id, service: "iam", region: "us-east-1", at: clock.now - 60)
        try await iam.service.flushKeyUsage()
        let used = try await iam.ok("GetAccessKeyLastUsed", ["AccessKeyId": id])
        #expect(used["ServiceName"] == "s3")
        #expect(used["Region"] == "eu-west-1")
        #expect(used["LastUsedDate"] != nil)
        let stored = try await iam.store.read { try $0.getJSON(AccessKeyRecord.self, IAMKeys.accessKeys, id) }
        #expect(stored?.LastUsedService == "s3")
        #expect(stored?.LastUsedDate == clock.now)

        // A use not flushed yet is already visible.
        clock.advance(by: 120)
        iam.service.noteKeyUsed(accessKeyID: id, service: "sts", region: "us-west-2", at: clock.now)
        #expect(try await iam.ok("GetAccessKeyLastUsed", ["AccessKeyId": id])["ServiceName"] == "sts")
    }

    @Test func errors() async throws {
        let iam = IAMHarness.credentials()
        #expect(try await iam.call("CreateAccessKey", ["UserName": "nobody"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("ListAccessKeys", ["UserName": "nobody"]).errorCode == "NoSuchEntity")
        try await iam.createUser("bob")
        try await iam.createUser("alice")
        let id = try #require(try await iam.ok("CreateAccessKey", ["UserName": "bob"])["AccessKeyId"])
        // Another user's key is not found under alice.
        #expect(try await iam.call("UpdateAccessKey", ["UserName": "alice", "AccessKeyId": id, "Status": "Inactive"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("DeleteAccessKey", ["UserName": "alice", "AccessKeyId": id]).errorCode == "NoSuchEntity")
        #expect(try await iam.service.credentialProvider.credential(for: id)?.isActive == true)
        // Expired is in the model's enum but cannot be set.
        let expired = try await iam.call("UpdateAccessKey", ["UserName": "bob", "AccessKeyId": id, "Status": "Expired"])
        #expect(expired.status == 400)
        #expect(try await iam.call("GetAccessKeyLastUsed", ["AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"]).errorCode == "NoSuchEntity")
        // Keys of another account are invisible.
        let other = Principal.root(of: "999988887777")
        #expect(try await iam.call("GetAccessKeyLastUsed", ["AccessKeyId": id], as: other).errorCode == "NoSuchEntity")
        // A user with keys cannot be deleted.
        let conflict = try await iam.call("DeleteUser", ["UserName": "bob"])
        #expect(conflict.errorCode == "DeleteConflict")
        #expect(conflict.errorMessage == "Cannot delete entity, must delete access keys first.")
    }

    @Test func callerWithoutUserName() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let bob = IAMHarness.userPrincipal("bob")
        let id = try #require(try await iam.ok("CreateAccessKey", as: bob)["AccessKeyId"])
        #expect(try await iam.ok("ListAccessKeys", as: bob).texts("AccessKeyId") == [id])
        // The root user's own keys are the account directory's: IAM lists none.
        #expect(try await iam.ok("ListAccessKeys").texts("AccessKeyId").isEmpty)
        #expect(try await iam.call("CreateAccessKey").status == 400)
    }

    @Test func secretSealedAtRest() async throws {
        let iam = IAMHarness.credentials()
        try await iam.createUser("bob")
        let created = try await iam.ok("CreateAccessKey", ["UserName": "bob"])
        let secret = try #require(created["SecretAccessKey"])
        let stored = try await iam.storedText(IAMKeys.accessKeys) + (try await iam.storedText(IAMKeys.userAccessKeys))
        #expect(!stored.contains(secret))
        #expect(!stored.contains(Data(secret.utf8).base64EncodedString()))
    }
}
