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

@Suite struct AccountTests {
    @Test func aliases() async throws {
        let iam = IAMHarness()
        #expect(try await iam.ok("ListAccountAliases").all("member").isEmpty)
        try await iam.ok("CreateAccountAlias", ["AccountAlias": "my-company"])
        #expect(try await iam.ok("ListAccountAliases").texts("member") == ["my-company"])
        try await iam.ok("CreateAccountAlias", ["AccountAlias": "renamed"])  // replaces: one alias per account
        #expect(try await iam.ok("ListAccountAliases").texts("member") == ["renamed"])
        let other = Principal.root(of: "444455556666")
        let taken = try await iam.call("CreateAccountAlias", ["AccountAlias": "renamed"], as: other)
        #expect(taken.errorCode == "EntityAlreadyExists")
        try await iam.ok("CreateAccountAlias", ["AccountAlias": "my-company"], as: other)  // released by the rename
        for bad in ["UPPER", "ab", "-lead", "trail-", "dou--ble", "has space", "123456789012"] {
            let r = try await iam.call("CreateAccountAlias", ["AccountAlias": bad])
            #expect(r.errorCode == "ValidationError" || r.errorCode == "InvalidInput", "\(bad): \(r)")
        }
        #expect(try await iam.call("DeleteAccountAlias", ["AccountAlias": "nope"]).errorCode == "NoSuchEntity")
        try await iam.ok("DeleteAccountAlias", ["AccountAlias": "renamed"])
        #expect(try await iam.ok("ListAccountAliases").all("member").isEmpty)
    }

    @Test func summaryCountsAndQuotas() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "a"])
        try await iam.ok("CreateUser", ["UserName": "b"])
        try await iam.ok("CreateGroup", ["GroupName": "g"])
        try await iam.ok("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("CreatePolicy", ["PolicyName": "p", "PolicyDocument": Docs.allowS3])
        try await iam.ok("CreateInstanceProfile", ["InstanceProfileName": "ip"])
        let summary = try await iam.ok("GetAccountSummary")
        var map: [String: String] = [:]
        for entry in summary.all("entry") { map[entry.text("key") ?? ""] = entry.text("value") }
        #expect(map["Users"] == "2")
        #expect(map["Groups"] == "1")
        #expect(map["Roles"] == "1")
        #expect(map["Policies"] == "1")
        #expect(map["InstanceProfiles"] == "1")
        #expect(map["UsersQuota"] == "5000")
        #expect(map["GroupsQuota"] == "300")
        #expect(map["RolesQuota"] == "1000")
        #expect(map["PoliciesQuota"] == "1500")
        #expect(map["PolicySizeQuota"] == "6144")
        #expect(map["UserPolicySizeQuota"] == "2048")
        #expect(map["RolePolicySizeQuota"] == "10240")
        #expect(map["AttachedPoliciesPerUserQuota"] == "10")
        #expect(map["VersionsPerPolicyQuota"] == "5")
        // Another account sees its own counts.
        let other = try await iam.ok("GetAccountSummary", as: .root(of: "444455556666"))
        #expect(other.all("entry").first { $0.text("key") == "Users" }?.text("value") == "0")
    }

    @Test func authorizationDetails() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "inline", "PolicyDocument": Docs.allowS3])
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "bob"])
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("AttachRolePolicy", ["RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"])
        try await iam.ok("CreatePolicy", ["PolicyName": "custom", "PolicyDocument": Docs.allowIAMRead])
        let all = try await iam.ok("GetAccountAuthorizationDetails")
        #expect(all.value("UserDetailList", "member", "UserName") == "bob")
        #expect(all.value("UserDetailList", "member", "GroupList", "member") == "devs")
        #expect(IAMHarness.urlDecode(all.value("UserPolicyList", "member", "PolicyDocument") ?? "") == Docs.allowS3)
        #expect(all.value("GroupDetailList", "member", "GroupName") == "devs")
        #expect(all.value("RoleDetailList", "member", "RoleName") == "app")
        #expect(IAMHarness.urlDecode(all.value("RoleDetailList", "member", "AssumeRolePolicyDocument") ?? "") == Docs.trustEC2)
        #expect(Set(all.members(of: "Policies").compactMap { $0.text("PolicyName") }) == ["custom", "ReadOnlyAccess"])
        let roles = try await iam.ok("GetAccountAuthorizationDetails", ["Filter.member.1": "Role"])
        #expect(roles.members(of: "UserDetailList").isEmpty)
        #expect(roles.members(of: "RoleDetailList").count == 1)
        var seen = 0
        var marker: String?
        repeat {
            let page = try await iam.call("GetAccountAuthorizationDetails", pairs: [("MaxItems", "2")] + (marker.map { [("Marker", $0)] } ?? []))
            seen += ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"].map { page.members(of: $0).count }.reduce(0, +)
            marker = page.isTruncated ? page.marker : nil
        } while marker != nil
        #expect(seen == 5)
        #expect(try await iam.call("GetAccountAuthorizationDetails", ["Filter.member.1": "Nope"]).errorCode == "ValidationError")
    }
}
