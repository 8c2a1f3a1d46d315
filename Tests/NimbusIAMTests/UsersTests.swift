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

@Suite struct UsersTests {
    @Test func createGetDelete() async throws {
        let iam = IAMHarness()
        let created = try await iam.ok("CreateUser", ["UserName": "bob", "Path": "/team/"])
        #expect(created.value("User", "Arn") == "arn:aws:iam::111122223333:user/team/bob")
        #expect(created["UserId"]?.hasPrefix("AIDA") == true)
        let got = try await iam.ok("GetUser", ["UserName": "BOB"])
        #expect(got.value("User", "UserName") == "bob")
        let dup = try await iam.call("CreateUser", ["UserName": "Bob"])
        #expect(dup.status == 409)
        #expect(dup.errorCode == "EntityAlreadyExists")
        try await iam.ok("DeleteUser", ["UserName": "bob"])
        let gone = try await iam.call("GetUser", ["UserName": "bob"])
        #expect(gone.errorCode == "NoSuchEntity")
        #expect(gone.errorMessage == "The user with name bob cannot be found.")
    }

    @Test func invalidNamesAndPaths() async throws {
        let iam = IAMHarness()
        #expect(try await iam.call("CreateUser", ["UserName": "bad name"]).errorCode == "ValidationError")
        #expect(try await iam.call("CreateUser", ["UserName": String(repeating: "a", count: 65)]).errorCode == "ValidationError")
        #expect(try await iam.call("CreateUser", ["UserName": "ok", "Path": "no-slash"]).errorCode == "ValidationError")
        #expect(try await iam.call("CreateUser", ["UserName": "ok", "Path": "/" + String(repeating: "a", count: 600) + "/"]).errorCode == "ValidationError")
        #expect(try await iam.call("UpdateUser", ["UserName": "ok", "NewPath": "/x"]).errorCode == "ValidationError")
    }

    @Test func renameMovesEverythingTheUserOwns() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "bob"])
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p1", "PolicyDocument": Docs.allowS3])
        try await iam.ok("AttachUserPolicy", ["UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"])
        try await iam.ok("TagUser", ["UserName": "bob", "Tags.member.1.Key": "team", "Tags.member.1.Value": "blue"])
        let key = try await iam.ok("CreateAccessKey", ["UserName": "bob"])
        let keyID = try #require(key["AccessKeyId"])

        try await iam.ok("UpdateUser", ["UserName": "bob", "NewUserName": "robert", "NewPath": "/eng/"])

        #expect(try await iam.call("GetUser", ["UserName": "bob"]).errorCode == "NoSuchEntity")
        let user = try await iam.ok("GetUser", ["UserName": "robert"])
        #expect(user.value("User", "Arn") == "arn:aws:iam::111122223333:user/eng/robert")
        #expect(user.value("User", "Tags", "member", "Value") == "blue")
        #expect(try await iam.ok("ListUserPolicies", ["UserName": "robert"]).texts("member") == ["p1"])
        #expect(try await iam.ok("GetUserPolicy", ["UserName": "robert", "PolicyName": "p1"])["UserName"] == "robert")
        #expect(try await iam.ok("ListAttachedUserPolicies", ["UserName": "robert"])["PolicyName"] == "ReadOnlyAccess")
        #expect(try await iam.ok("ListGroupsForUser", ["UserName": "robert"])["GroupName"] == "devs")
        #expect(try await iam.ok("GetGroup", ["GroupName": "devs"]).value("Users", "member", "UserName") == "robert")
        let keys = try await iam.ok("ListAccessKeys", ["UserName": "robert"])
        #expect(keys["AccessKeyId"] == keyID)
        let entities = try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"])
        #expect(entities.texts("UserName") == ["robert"])
        // The old name is free again, and owns nothing.
        try await iam.ok("CreateUser", ["UserName": "bob"])
        #expect(try await iam.ok("ListUserPolicies", ["UserName": "bob"]).texts("member").isEmpty)
        #expect(try await iam.ok("ListGroupsForUser", ["UserName": "bob"]).all("member").isEmpty)
    }

    @Test func renameConflictsAndCaseOnlyRename() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("CreateUser", ["UserName": "alice"])
        let taken = try await iam.call("UpdateUser", ["UserName": "bob", "NewUserName": "ALICE"])
        #expect(taken.errorCode == "EntityAlreadyExists")
        #expect(try await iam.call("UpdateUser", ["UserName": "nobody", "NewUserName": "x"]).errorCode == "NoSuchEntity")
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        try await iam.ok("UpdateUser", ["UserName": "bob", "NewUserName": "Bob"])
        #expect(try await iam.ok("GetUser", ["UserName": "bob"]).value("User", "UserName") == "Bob")
        #expect(try await iam.ok("ListUserPolicies", ["UserName": "Bob"]).texts("member") == ["p"])
    }

    @Test func tags() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob", "Tags.member.1.Key": "a", "Tags.member.1.Value": "1"])
        try await iam.ok("TagUser", ["UserName": "bob", "Tags.member.1.Key": "A", "Tags.member.1.Value": "2", "Tags.member.2.Key": "b", "Tags.member.2.Value": ""])
        let tags = try await iam.ok("ListUserTags", ["UserName": "bob"])
        #expect(tags.texts("Key") == ["A", "b"])
        #expect(tags.texts("Value") == ["2", ""])
        let page = try await iam.ok("ListUserTags", ["UserName": "bob", "MaxItems": "1"])
        #expect(page.isTruncated)
        let next = try await iam.ok("ListUserTags", ["UserName": "bob", "MaxItems": "1", "Marker": try #require(page.marker)])
        #expect(next.texts("Key") == ["b"])
        #expect(!next.isTruncated)
        try await iam.ok("UntagUser", ["UserName": "bob", "TagKeys.member.1": "a"])
        #expect(try await iam.ok("ListUserTags", ["UserName": "bob"]).texts("Key") == ["b"])
        let reserved = try await iam.call("TagUser", ["UserName": "bob", "Tags.member.1.Key": "aws:x", "Tags.member.1.Value": "v"])
        #expect(reserved.errorCode == "InvalidInput")
        #expect(try await iam.call("TagUser", ["UserName": "nobody", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("ListUserTags", ["UserName": "bob", "Marker": "garbage!"]).errorCode == "InvalidInput")
    }

    @Test func thousandTagsAreRejected() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        var pairs: [(String, String)] = [("UserName", "bob")]
        for i in 1...1000 {
            pairs.append(("Tags.member.\(i).Key", "k\(i)"))
            pairs.append(("Tags.member.\(i).Value", "v"))
        }
        let response = try await iam.call("TagUser", pairs: pairs)
        #expect(response.status >= 400 && response.status < 500)
        #expect(["ValidationError", "LimitExceeded"].contains(response.errorCode ?? ""))
        #expect(try await iam.ok("ListUserTags", ["UserName": "bob"]).all("member").isEmpty)
        // 50 fit, the 51st is over the limit.
        var fifty: [(String, String)] = [("UserName", "bob")]
        for i in 1...50 { fifty += [("Tags.member.\(i).Key", "k\(i)"), ("Tags.member.\(i).Value", "v")] }
        #expect(try await iam.call("TagUser", pairs: fifty).isSuccess)
        let over = try await iam.call("TagUser", ["UserName": "bob", "Tags.member.1.Key": "extra", "Tags.member.1.Value": "v"])
        #expect(over.errorCode == "LimitExceeded")
    }

    @Test func permissionsBoundary() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        let arn = "arn:aws:iam::aws:policy/PowerUserAccess"
        try await iam.ok("PutUserPermissionsBoundary", ["UserName": "bob", "PermissionsBoundary": arn])
        let user = try await iam.ok("GetUser", ["UserName": "bob"])
        #expect(user.value("PermissionsBoundary", "PermissionsBoundaryArn") == arn)
        #expect(user.value("PermissionsBoundary", "PermissionsBoundaryType") == "PermissionsBoundaryPolicy")
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["PermissionsBoundaryUsageCount"] == "1")
        try await iam.ok("DeleteUserPermissionsBoundary", ["UserName": "bob"])
        #expect(try await iam.ok("GetUser", ["UserName": "bob"])["PermissionsBoundary"] == nil)
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["PermissionsBoundaryUsageCount"] == "0")
        #expect(try await iam.call("DeleteUserPermissionsBoundary", ["UserName": "bob"]).errorCode == "NoSuchEntity")
        let missing = try await iam.call("PutUserPermissionsBoundary", ["UserName": "bob", "PermissionsBoundary": "arn:aws:iam::111122223333:policy/nope"])
        #expect(missing.errorCode == "NoSuchEntity")
        let invalid = try await iam.call("PutUserPermissionsBoundary", ["UserName": "bob", "PermissionsBoundary": "not-an-arn-at-all-xxxx"])
        #expect(invalid.errorCode == "InvalidInput")
        // At creation too, and deleting the user releases it.
        try await iam.ok("CreateUser", ["UserName": "carol", "PermissionsBoundary": arn])
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["PermissionsBoundaryUsageCount"] == "1")
        try await iam.ok("DeleteUser", ["UserName": "carol"])
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["PermissionsBoundaryUsageCount"] == "0")
    }

    @Test func deleteConflicts() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        let conflict = try await iam.call("DeleteUser", ["UserName": "bob"])
        #expect(conflict.errorCode == "DeleteConflict")
        #expect(conflict.status == 409)
        try await iam.ok("DeleteUserPolicy", ["UserName": "bob", "PolicyName": "p"])
        try await iam.ok("CreateGroup", ["GroupName": "g"])
        try await iam.ok("AddUserToGroup", ["GroupName": "g", "UserName": "bob"])
        #expect(try await iam.call("DeleteUser", ["UserName": "bob"]).errorCode == "DeleteConflict")
        try await iam.ok("RemoveUserFromGroup", ["GroupName": "g", "UserName": "bob"])
        try await iam.ok("DeleteUser", ["UserName": "bob"])
    }

    @Test func paginationAndAccountIsolation() async throws {
        let iam = IAMHarness()
        for i in 0..<7 { try await iam.ok("CreateUser", ["UserName": "user\(i)"]) }
        var names: [String] = []
        var marker: String?
        repeat {
            let page = try await iam.call("ListUsers", pairs: [("MaxItems", "3")] + (marker.map { [("Marker", $0)] } ?? []))
            #expect(page.isSuccess)
            names += page.texts("UserName")
            marker = page.isTruncated ? page.marker : nil
        } while marker != nil
        #expect(names == (0..<7).map { "user\($0)" })
        let other = Principal.root(of: "444455556666")
        #expect(try await iam.call("ListUsers", as: other).texts("UserName").isEmpty)
        #expect(try await iam.call("GetUser", ["UserName": "user1"], as: other).errorCode == "NoSuchEntity")
        try await iam.ok("CreateUser", ["UserName": "user1"], as: other)
        #expect(try await iam.ok("GetUser", ["UserName": "user1"], as: other).value("User", "Arn") == "arn:aws:iam::444455556666:user/user1")
    }
}

/// Policy documents used across the suites.
enum Docs {
    static let allowS3 = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
    static let allowIAMRead = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}"#
    static let trustEC2 = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
    static let trustAccount = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#

    /// A valid identity policy of about `size` non-whitespace characters.
    static func sized(_ size: Int) -> String {
        let head = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"#
        let tail = #""}]}"#
        return head + String(repeating: "a", count: max(1, size - head.count - tail.count)) + tail
    }
}
