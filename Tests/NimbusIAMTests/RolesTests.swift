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

@Suite struct RolesTests {
    @Test func createAndGet() async throws {
        let iam = IAMHarness()
        let created = try await iam.ok("CreateRole", [
            "RoleName": "app", "Path": "/service/", "AssumeRolePolicyDocument": Docs.trustEC2, "Description": "the app",
            "MaxSessionDuration": "7200", "Tags.member.1.Key": "env", "Tags.member.1.Value": "prod",
        ])
        #expect(created.value("Role", "Arn") == "arn:aws:iam::111122223333:role/service/app")
        #expect(created.value("Role", "RoleId")?.hasPrefix("AROA") == true)
        #expect(created.value("Role", "AssumeRolePolicyDocument") == IAMService.urlEncoded(Docs.trustEC2))
        let got = try await iam.ok("GetRole", ["RoleName": "APP"])
        let encoded = try #require(got.value("Role", "AssumeRolePolicyDocument"))
        #expect(encoded.hasPrefix("%7B%22Version%22%3A%222012-10-17%22"))
        #expect(IAMHarness.urlDecode(encoded) == Docs.trustEC2)
        #expect(got.value("Role", "MaxSessionDuration") == "7200")
        #expect(got.value("Role", "Description") == "the app")
        #expect(got.value("Role", "Tags", "member", "Key") == "env")
        #expect(got.all("RoleLastUsed").count == 1)
        #expect(try await iam.call("CreateRole", ["RoleName": "App", "AssumeRolePolicyDocument": Docs.trustEC2]).errorCode == "EntityAlreadyExists")
        let missing = try await iam.call("GetRole", ["RoleName": "nope"])
        #expect(missing.errorCode == "NoSuchEntity")
        #expect(missing.errorMessage == "The role with name nope cannot be found.")
        // Default session duration is one hour.
        try await iam.ok("CreateRole", ["RoleName": "other", "AssumeRolePolicyDocument": Docs.trustAccount])
        #expect(try await iam.ok("GetRole", ["RoleName": "other"]).value("Role", "MaxSessionDuration") == "3600")
    }

    @Test func invalidInput() async throws {
        let iam = IAMHarness()
        for duration in ["3599", "43201", "0"] {
            let r = try await iam.call("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": Docs.trustEC2, "MaxSessionDuration": duration])
            #expect(r.errorCode == "ValidationError", "duration \(duration)")
        }
        #expect(try await iam.call("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": "{not json"]).errorCode == "MalformedPolicyDocument")
        #expect(try await iam.call("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": Docs.allowS3]).errorCode == "MalformedPolicyDocument")
        let huge = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":""#
            + String(repeating: "x", count: 3000) + #""},"Action":"sts:AssumeRole"}]}"#
        #expect(try await iam.call("CreateRole", ["RoleName": "r", "AssumeRolePolicyDocument": huge]).errorCode == "LimitExceeded")
        #expect(try await iam.call("CreateRole", ["RoleName": String(repeating: "r", count: 65), "AssumeRolePolicyDocument": Docs.trustEC2]).errorCode == "ValidationError")
        #expect(try await iam.call("GetRole", ["RoleName": "r"]).errorCode == "NoSuchEntity")  // nothing was created
    }

    @Test func updates() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("UpdateRole", ["RoleName": "app", "Description": "d1", "MaxSessionDuration": "43200"])
        var role = try await iam.ok("GetRole", ["RoleName": "app"])
        #expect(role.value("Role", "Description") == "d1")
        #expect(role.value("Role", "MaxSessionDuration") == "43200")
        let described = try await iam.ok("UpdateRoleDescription", ["RoleName": "app", "Description": "d2"])
        #expect(described.value("Role", "Description") == "d2")
        try await iam.ok("UpdateAssumeRolePolicy", ["RoleName": "app", "PolicyDocument": Docs.trustAccount])
        role = try await iam.ok("GetRole", ["RoleName": "app"])
        #expect(IAMHarness.urlDecode(role.value("Role", "AssumeRolePolicyDocument") ?? "") == Docs.trustAccount)
        #expect(try await iam.call("UpdateAssumeRolePolicy", ["RoleName": "app", "PolicyDocument": "[]"]).errorCode == "MalformedPolicyDocument")
        #expect(try await iam.call("UpdateRole", ["RoleName": "app", "MaxSessionDuration": "100"]).errorCode == "ValidationError")
        #expect(try await iam.call("UpdateRole", ["RoleName": "nope"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("UpdateAssumeRolePolicy", ["RoleName": "nope", "PolicyDocument": Docs.trustEC2]).errorCode == "NoSuchEntity")
    }

    @Test func listRolesOmitsTagsAndPaginates() async throws {
        let iam = IAMHarness()
        for i in 0..<4 {
            try await iam.ok("CreateRole", ["RoleName": "r\(i)", "AssumeRolePolicyDocument": Docs.trustEC2, "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        }
        let first = try await iam.ok("ListRoles", ["MaxItems": "3"])
        #expect(first.texts("RoleName") == ["r0", "r1", "r2"])
        #expect(first.all("Tags").isEmpty)
        #expect(first.texts("AssumeRolePolicyDocument").allSatisfy { $0.hasPrefix("%7B") })
        let rest = try await iam.ok("ListRoles", ["MaxItems": "3", "Marker": try #require(first.marker)])
        #expect(rest.texts("RoleName") == ["r3"])
        #expect(try await iam.ok("ListRoles", ["PathPrefix": "/nothing/"]).all("member").isEmpty)
    }

    @Test func deleteConflicts() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("AttachRolePolicy", ["RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
        #expect(try await iam.call("DeleteRole", ["RoleName": "app"]).errorMessage == "Cannot delete entity, must detach all policies first.")
        try await iam.ok("DetachRolePolicy", ["RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
        try await iam.ok("PutRolePolicy", ["RoleName": "app", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        #expect(try await iam.call("DeleteRole", ["RoleName": "app"]).errorMessage == "Cannot delete entity, must delete policies first.")
        try await iam.ok("DeleteRolePolicy", ["RoleName": "app", "PolicyName": "p"])
        try await iam.ok("CreateInstanceProfile", ["InstanceProfileName": "web"])
        try await iam.ok("AddRoleToInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app"])
        let conflict = try await iam.call("DeleteRole", ["RoleName": "app"])
        #expect(conflict.errorCode == "DeleteConflict")
        #expect(conflict.errorMessage == "Cannot delete entity, must remove roles from instance profile first.")
        try await iam.ok("RemoveRoleFromInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app"])
        try await iam.ok("DeleteRole", ["RoleName": "app"])
        #expect(try await iam.call("DeleteRole", ["RoleName": "app"]).errorCode == "NoSuchEntity")
    }

    @Test func tagsAndBoundary() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("TagRole", ["RoleName": "app", "Tags.member.1.Key": "team", "Tags.member.1.Value": "a"])
        #expect(try await iam.ok("ListRoleTags", ["RoleName": "app"]).texts("Key") == ["team"])
        try await iam.ok("UntagRole", ["RoleName": "app", "TagKeys.member.1": "TEAM"])
        #expect(try await iam.ok("ListRoleTags", ["RoleName": "app"]).all("member").isEmpty)
        let boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
        try await iam.ok("PutRolePermissionsBoundary", ["RoleName": "app", "PermissionsBoundary": boundary])
        #expect(try await iam.ok("GetRole", ["RoleName": "app"]).value("PermissionsBoundary", "PermissionsBoundaryArn") == boundary)
        let info = try #require(try await iam.service.role(arn: "arn:aws:iam::111122223333:role/app"))
        #expect(info.permissionsBoundary == boundary)
        try await iam.ok("DeleteRolePermissionsBoundary", ["RoleName": "app"])
        #expect(try await iam.call("DeleteRolePermissionsBoundary", ["RoleName": "app"]).errorCode == "NoSuchEntity")
        let withBoundary = try await iam.call("CreateRole", [
            "RoleName": "b", "AssumeRolePolicyDocument": Docs.trustEC2, "PermissionsBoundary": "arn:aws:iam::111122223333:policy/missing",
        ])
        #expect(withBoundary.errorCode == "NoSuchEntity")
        #expect(try await iam.call("GetRole", ["RoleName": "b"]).errorCode == "NoSuchEntity")
    }

    @Test func roleLookupForSTS() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateRole", [
            "RoleName": "app", "Path": "/svc/", "AssumeRolePolicyDocument": Docs.trustAccount, "MaxSessionDuration": "7200",
            "Tags.member.1.Key": "k", "Tags.member.1.Value": "v",
        ])
        let info = try #require(try await iam.service.role(arn: "arn:aws:iam::111122223333:role/svc/app"))
        #expect(info.name == "app")
        #expect(info.trustPolicy == Docs.trustAccount)
        #expect(info.maxSessionDuration == 7200)
        #expect(info.tags == ["k": "v"])
        #expect(info.roleID.hasPrefix("AROA"))
        #expect(try await iam.service.role(arn: "arn:aws:iam::111122223333:role/app") == nil)  // wrong path
        #expect(try await iam.service.role(arn: "arn:aws:iam::444455556666:role/svc/app") == nil)  // other account
        #expect(try await iam.service.role(arn: "garbage") == nil)
        try await iam.service.noteRoleUsed(arn: info.arn, region: "eu-west-1")
        #expect(try await iam.ok("GetRole", ["RoleName": "app"]).value("RoleLastUsed", "Region") == "eu-west-1")
    }

    // MARK: Instance profiles

    @Test func instanceProfiles() async throws {
        let iam = IAMHarness()
        let created = try await iam.ok("CreateInstanceProfile", ["InstanceProfileName": "web", "Path": "/p/", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        #expect(created.value("InstanceProfile", "Arn") == "arn:aws:iam::111122223333:instance-profile/p/web")
        #expect(created.value("InstanceProfile", "InstanceProfileId")?.hasPrefix("AIPA") == true)
        #expect(try await iam.call("CreateInstanceProfile", ["InstanceProfileName": "WEB"]).errorCode == "EntityAlreadyExists")
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("CreateRole", ["RoleName": "app2", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("AddRoleToInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app"])
        #expect(try await iam.call("AddRoleToInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app"]).errorCode == "EntityAlreadyExists")
        let second = try await iam.call("AddRoleToInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app2"])
        #expect(second.errorCode == "LimitExceeded")
        #expect(second.errorMessage == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
        let got = try await iam.ok("GetInstanceProfile", ["InstanceProfileName": "web"])
        #expect(got.value("Roles", "member", "RoleName") == "app")
        #expect(got.value("Roles", "member", "AssumeRolePolicyDocument")?.hasPrefix("%7B") == true)
        #expect(try await iam.ok("ListInstanceProfilesForRole", ["RoleName": "app"]).texts("InstanceProfileName") == ["web"])
        #expect(try await iam.ok("ListInstanceProfilesForRole", ["RoleName": "app2"]).all("member").isEmpty)
        #expect(try await iam.ok("ListInstanceProfiles").texts("InstanceProfileName") == ["web"])
        #expect(try await iam.call("DeleteInstanceProfile", ["InstanceProfileName": "web"]).errorCode == "DeleteConflict")
        try await iam.ok("TagInstanceProfile", ["InstanceProfileName": "web", "Tags.member.1.Key": "k2", "Tags.member.1.Value": "v2"])
        #expect(try await iam.ok("ListInstanceProfileTags", ["InstanceProfileName": "web"]).texts("Key") == ["k", "k2"])
        try await iam.ok("UntagInstanceProfile", ["InstanceProfileName": "web", "TagKeys.member.1": "k"])
        #expect(try await iam.ok("ListInstanceProfileTags", ["InstanceProfileName": "web"]).texts("Key") == ["k2"])
        #expect(try await iam.call("RemoveRoleFromInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app2"]).errorCode == "NoSuchEntity")
        try await iam.ok("RemoveRoleFromInstanceProfile", ["InstanceProfileName": "web", "RoleName": "app"])
        try await iam.ok("DeleteInstanceProfile", ["InstanceProfileName": "web"])
        let gone = try await iam.call("GetInstanceProfile", ["InstanceProfileName": "web"])
        #expect(gone.errorCode == "NoSuchEntity")
        #expect(gone.errorMessage == "Instance Profile web cannot be found.")
        #expect(try await iam.call("ListInstanceProfileTags", ["InstanceProfileName": "web"]).errorCode == "NoSuchEntity")
    }
}
