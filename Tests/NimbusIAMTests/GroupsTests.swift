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

@testable import NimbusIAM

@Suite struct GroupsTests {
    @Test func createGetListDelete() async throws {
        let iam = IAMHarness()
        let created = try await iam.ok("CreateGroup", ["GroupName": "Admins", "Path": "/ops/"])
        #expect(created.value("Group", "Arn") == "arn:aws:iam::111122223333:group/ops/Admins")
        #expect(created.value("Group", "GroupId")?.hasPrefix("AGPA") == true)
        #expect(try await iam.call("CreateGroup", ["GroupName": "admins"]).errorCode == "EntityAlreadyExists")
        let got = try await iam.ok("GetGroup", ["GroupName": "ADMINS"])
        #expect(got.value("Group", "GroupName") == "Admins")
        #expect(got.members(of: "Users").isEmpty)
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        #expect(try await iam.ok("ListGroups").texts("GroupName") == ["Admins", "devs"])
        #expect(try await iam.ok("ListGroups", ["PathPrefix": "/ops/"]).texts("GroupName") == ["Admins"])
        try await iam.ok("DeleteGroup", ["GroupName": "Admins"])
        let gone = try await iam.call("GetGroup", ["GroupName": "Admins"])
        #expect(gone.errorCode == "NoSuchEntity")
        #expect(gone.errorMessage == "The group with name Admins cannot be found.")
        #expect(try await iam.call("DeleteGroup", ["GroupName": "Admins"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("CreateGroup", ["GroupName": "bad/name"]).errorCode == "ValidationError")
    }

    @Test func membership() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        for name in ["carol", "alice", "bob"] { try await iam.ok("CreateUser", ["UserName": name]) }
        for name in ["carol", "alice", "bob"] { try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": name]) }
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "BOB"])  // again: no-op
        let group = try await iam.ok("GetGroup", ["GroupName": "devs"])
        #expect(group.members(of: "Users").compactMap { $0.text("UserName") } == ["alice", "bob", "carol"])
        let page = try await iam.ok("GetGroup", ["GroupName": "devs", "MaxItems": "2"])
        #expect(page.members(of: "Users").count == 2)
        #expect(page.isTruncated)
        let rest = try await iam.ok("GetGroup", ["GroupName": "devs", "MaxItems": "2", "Marker": try #require(page.marker)])
        #expect(rest.members(of: "Users").compactMap { $0.text("UserName") } == ["carol"])
        #expect(try await iam.ok("ListGroupsForUser", ["UserName": "alice"]).texts("GroupName") == ["devs"])
        #expect(try await iam.call("AddUserToGroup", ["GroupName": "devs", "UserName": "nobody"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("AddUserToGroup", ["GroupName": "nope", "UserName": "alice"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("ListGroupsForUser", ["UserName": "nobody"]).errorCode == "NoSuchEntity")
        try await iam.ok("RemoveUserFromGroup", ["GroupName": "devs", "UserName": "alice"])
        #expect(try await iam.call("RemoveUserFromGroup", ["GroupName": "devs", "UserName": "alice"]).errorCode == "NoSuchEntity")
        #expect(try await iam.ok("ListGroupsForUser", ["UserName": "alice"]).all("member").isEmpty)
    }

    @Test func atMostTenGroupsPerUser() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        for i in 0..<11 { try await iam.ok("CreateGroup", ["GroupName": "g\(i)"]) }
        for i in 0..<10 { try await iam.ok("AddUserToGroup", ["GroupName": "g\(i)", "UserName": "bob"]) }
        let over = try await iam.call("AddUserToGroup", ["GroupName": "g10", "UserName": "bob"])
        #expect(over.errorCode == "LimitExceeded")
        #expect(over.errorMessage == "Cannot exceed quota for GroupsPerUser: 10")
    }

    @Test func deleteConflicts() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "bob"])
        let members = try await iam.call("DeleteGroup", ["GroupName": "devs"])
        #expect(members.errorCode == "DeleteConflict")
        #expect(members.errorMessage == "Cannot delete entity, must remove users from group first.")
        try await iam.ok("RemoveUserFromGroup", ["GroupName": "devs", "UserName": "bob"])
        try await iam.ok("PutGroupPolicy", ["GroupName": "devs", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        #expect(try await iam.call("DeleteGroup", ["GroupName": "devs"]).errorMessage == "Cannot delete entity, must delete policies first.")
        try await iam.ok("DeleteGroupPolicy", ["GroupName": "devs", "PolicyName": "p"])
        try await iam.ok("AttachGroupPolicy", ["GroupName": "devs", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
        #expect(try await iam.call("DeleteGroup", ["GroupName": "devs"]).errorMessage == "Cannot delete entity, must detach all policies first.")
        try await iam.ok("DetachGroupPolicy", ["GroupName": "devs", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
        try await iam.ok("DeleteGroup", ["GroupName": "devs"])
    }

    @Test func renameCarriesMembersAndPolicies() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "bob"])
        try await iam.ok("PutGroupPolicy", ["GroupName": "devs", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        try await iam.ok("AttachGroupPolicy", ["GroupName": "devs", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
        try await iam.ok("CreateGroup", ["GroupName": "ops"])
        #expect(try await iam.call("UpdateGroup", ["GroupName": "devs", "NewGroupName": "OPS"]).errorCode == "EntityAlreadyExists")
        #expect(try await iam.call("UpdateGroup", ["GroupName": "nope", "NewGroupName": "x"]).errorCode == "NoSuchEntity")
        try await iam.ok("UpdateGroup", ["GroupName": "devs", "NewGroupName": "engineers", "NewPath": "/eng/"])
        let group = try await iam.ok("GetGroup", ["GroupName": "engineers"])
        #expect(group.value("Group", "Arn") == "arn:aws:iam::111122223333:group/eng/engineers")
        #expect(group.members(of: "Users").compactMap { $0.text("UserName") } == ["bob"])
        #expect(try await iam.ok("ListGroupsForUser", ["UserName": "bob"]).texts("GroupName") == ["engineers"])
        #expect(try await iam.ok("ListGroupPolicies", ["GroupName": "engineers"]).texts("member") == ["p"])
        #expect(try await iam.ok("ListAttachedGroupPolicies", ["GroupName": "engineers"])["PolicyName"] == "IAMReadOnlyAccess")
        #expect(try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"]).texts("GroupName") == ["engineers"])
        #expect(try await iam.call("GetGroup", ["GroupName": "devs"]).errorCode == "NoSuchEntity")
        // bob's policies now come from the renamed group.
        let policies = try await iam.service.policies(for: IAMHarness.userPrincipal("bob"))
        #expect(policies.identity.contains { $0.id.hasPrefix("inline:group/engineers/p@") })
    }

    @Test func listPagination() async throws {
        let iam = IAMHarness()
        for i in 0..<5 { try await iam.ok("CreateGroup", ["GroupName": "g\(i)"]) }
        let first = try await iam.ok("ListGroups", ["MaxItems": "2"])
        #expect(first.texts("GroupName") == ["g0", "g1"])
        let second = try await iam.ok("ListGroups", ["MaxItems": "2", "Marker": try #require(first.marker)])
        #expect(second.texts("GroupName") == ["g2", "g3"])
        #expect(try await iam.call("ListGroups", ["MaxItems": "0"]).errorCode == "ValidationError")
        #expect(try await iam.call("ListGroups", ["MaxItems": "1001"]).errorCode == "ValidationError")
        #expect(try await iam.call("ListGroups", ["Marker": Data("999999999999/x".utf8).base64EncodedString()]).errorCode == "InvalidInput")
    }
}
