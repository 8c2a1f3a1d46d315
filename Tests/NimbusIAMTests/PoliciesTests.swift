//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusPolicy
import Testing

@testable import NimbusIAM

@Suite struct InlinePoliciesTests {
    @Test(arguments: ["User", "Group", "Role"])
    func putGetListDelete(kind: String) async throws {
        let iam = IAMHarness()
        let nameKey = "\(kind)Name"
        try await Self.create(kind, "owner", iam)
        try await iam.ok("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "ReadS3", "PolicyDocument": Docs.allowS3])
        try await iam.ok("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "ReadIAM", "PolicyDocument": Docs.allowIAMRead])
        let got = try await iam.ok("Get\(kind)Policy", [nameKey: "OWNER", "PolicyName": "ReadS3"])
        #expect(got[nameKey] == "owner")
        #expect(got["PolicyName"] == "ReadS3")
        #expect(got["PolicyDocument"] == IAMService.urlEncoded(Docs.allowS3))
        #expect(IAMHarness.urlDecode(got["PolicyDocument"] ?? "") == Docs.allowS3)
        #expect(try await iam.ok("List\(kind)Policies", [nameKey: "owner"]).texts("member") == ["ReadIAM", "ReadS3"])
        let page = try await iam.ok("List\(kind)Policies", [nameKey: "owner", "MaxItems": "1"])
        #expect(page.texts("member") == ["ReadIAM"])
        #expect(page.isTruncated)
        let next = try await iam.ok("List\(kind)Policies", [nameKey: "owner", "MaxItems": "1", "Marker": try #require(page.marker)])
        #expect(next.texts("member") == ["ReadS3"])
        // Replacing keeps one policy.
        try await iam.ok("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "ReadS3", "PolicyDocument": Docs.allowIAMRead])
        #expect(try await iam.ok("List\(kind)Policies", [nameKey: "owner"]).texts("member").count == 2)
        try await iam.ok("Delete\(kind)Policy", [nameKey: "owner", "PolicyName": "ReadS3"])
        let missing = try await iam.call("Get\(kind)Policy", [nameKey: "owner", "PolicyName": "ReadS3"])
        #expect(missing.errorCode == "NoSuchEntity")
        #expect(missing.errorMessage == "The \(kind.lowercased()) policy with name ReadS3 cannot be found.")
        #expect(try await iam.call("Delete\(kind)Policy", [nameKey: "owner", "PolicyName": "ReadS3"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("Put\(kind)Policy", [nameKey: "nobody", "PolicyName": "p", "PolicyDocument": Docs.allowS3]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("List\(kind)Policies", [nameKey: "nobody"]).errorCode == "NoSuchEntity")
    }

    @Test(arguments: [("User", 2048), ("Group", 5120), ("Role", 10240)])
    func aggregateSizeLimit(kind: String, limit: Int) async throws {
        let iam = IAMHarness()
        let nameKey = "\(kind)Name"
        try await Self.create(kind, "owner", iam)
        let half = limit / 2
        try await iam.ok("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "a", "PolicyDocument": Docs.sized(half)])
        // Whitespace does not count.
        let padded = Docs.sized(half - 10).replacingOccurrences(of: ",", with: ",          ")
        try await iam.ok("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "b", "PolicyDocument": padded])
        let over = try await iam.call("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "c", "PolicyDocument": Docs.sized(100)])
        #expect(over.errorCode == "LimitExceeded")
        #expect(over.errorMessage == "Maximum policy size of \(limit) bytes exceeded for \(kind.lowercased()) owner")
        // Replacing a policy counts only its new size.
        try await iam.ok("Put\(kind)Policy", [nameKey: "owner", "PolicyName": "a", "PolicyDocument": Docs.sized(half - 20)])
        #expect(try await iam.ok("List\(kind)Policies", [nameKey: "owner"]).texts("member") == ["a", "b"])
    }

    @Test func malformedAndHostileDocuments() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        let cases = [
            "not json",
            "{}",
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}"#,
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:GetObject","Resource":"*"}]}"#,
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#,
            String(repeating: "[", count: 5000),
        ]
        for document in cases {
            let r = try await iam.call("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": document])
            #expect(r.errorCode == "MalformedPolicyDocument", "\(document.prefix(60)): \(r)")
        }
        let huge = Docs.sized(200_000)
        let r = try await iam.call("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": huge])
        #expect(r.status == 400 || r.status == 409)
        #expect(try await iam.ok("ListUserPolicies", ["UserName": "bob"]).all("member").isEmpty)
    }

    static func create(_ kind: String, _ name: String, _ iam: IAMHarness) async throws {
        switch kind {
        case "User": try await iam.ok("CreateUser", ["UserName": name])
        case "Group": try await iam.ok("CreateGroup", ["GroupName": name])
        default: try await iam.ok("CreateRole", ["RoleName": name, "AssumeRolePolicyDocument": Docs.trustEC2])
        }
    }
}

@Suite struct AttachedPoliciesTests {
    @Test(arguments: ["User", "Group", "Role"])
    func attachDetachList(kind: String) async throws {
        let iam = IAMHarness()
        let nameKey = "\(kind)Name"
        try await InlinePoliciesTests.create(kind, "owner", iam)
        let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        try await iam.ok("Attach\(kind)Policy", [nameKey: "owner", "PolicyArn": arn])
        try await iam.ok("Attach\(kind)Policy", [nameKey: "owner", "PolicyArn": arn])  // twice: still one
        let listed = try await iam.ok("ListAttached\(kind)Policies", [nameKey: "owner"])
        #expect(listed.texts("PolicyArn") == [arn])
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["AttachmentCount"] == "1")
        let entities = try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn])
        #expect(entities.texts("\(kind)Name") == ["owner"])
        #expect(entities.texts("\(kind)Id").first?.count == 21)
        try await iam.ok("Detach\(kind)Policy", [nameKey: "owner", "PolicyArn": arn])
        #expect(try await iam.call("Detach\(kind)Policy", [nameKey: "owner", "PolicyArn": arn]).errorCode == "NoSuchEntity")
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["AttachmentCount"] == "0")
        let missing = try await iam.call("Attach\(kind)Policy", [nameKey: "owner", "PolicyArn": "arn:aws:iam::aws:policy/NoSuchPolicy"])
        #expect(missing.errorCode == "NoSuchEntity")
        #expect(missing.errorMessage == "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
        #expect(try await iam.call("Attach\(kind)Policy", [nameKey: "owner", "PolicyArn": "arn:aws:s3:::bucket/key/x"]).errorCode == "InvalidInput")
        #expect(try await iam.call("Attach\(kind)Policy", [nameKey: "nobody", "PolicyArn": arn]).errorCode == "NoSuchEntity")
    }

    @Test(arguments: ["User", "Group", "Role"])
    func atMostTenManagedPolicies(kind: String) async throws {
        let iam = IAMHarness()
        let nameKey = "\(kind)Name"
        try await InlinePoliciesTests.create(kind, "owner", iam)
        for i in 0..<11 { try await iam.ok("CreatePolicy", ["PolicyName": "p\(i)", "PolicyDocument": Docs.allowS3]) }
        for i in 0..<10 { try await iam.ok("Attach\(kind)Policy", [nameKey: "owner", "PolicyArn": "arn:aws:iam::111122223333:policy/p\(i)"]) }
        let over = try await iam.call("Attach\(kind)Policy", [nameKey: "owner", "PolicyArn": "arn:aws:iam::111122223333:policy/p10"])
        #expect(over.errorCode == "LimitExceeded")
        #expect(over.errorMessage == "Cannot exceed quota for PoliciesPer\(kind): 10")
        let page = try await iam.ok("ListAttached\(kind)Policies", [nameKey: "owner", "MaxItems": "4"])
        #expect(page.texts("PolicyName").count == 4)
        #expect(page.isTruncated)
    }

    @Test func crossAccountCustomerPolicyIsNotAttachable() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreatePolicy", ["PolicyName": "mine", "PolicyDocument": Docs.allowS3])
        let other = Principal.root(of: "444455556666")
        try await iam.ok("CreateUser", ["UserName": "eve"], as: other)
        let r = try await iam.call("AttachUserPolicy", ["UserName": "eve", "PolicyArn": "arn:aws:iam::111122223333:policy/mine"], as: other)
        #expect(r.errorCode == "NoSuchEntity")
        #expect(try await iam.call("GetPolicy", ["PolicyArn": "arn:aws:iam::111122223333:policy/mine"], as: other).errorCode == "NoSuchEntity")
    }
}

@Suite struct ManagedPoliciesTests {
    let arn = "arn:aws:iam::111122223333:policy/team/S3Read"

    @Test func createGetDelete() async throws {
        let iam = IAMHarness()
        let created = try await iam.ok("CreatePolicy", [
            "PolicyName": "S3Read", "Path": "/team/", "PolicyDocument": Docs.allowS3, "Description": "read",
            "Tags.member.1.Key": "k", "Tags.member.1.Value": "v",
        ])
        #expect(created.value("Policy", "Arn") == arn)
        #expect(created.value("Policy", "PolicyId")?.hasPrefix("ANPA") == true)
        #expect(created.value("Policy", "DefaultVersionId") == "v1")
        #expect(created.value("Policy", "AttachmentCount") == "0")
        #expect(created.value("Policy", "PermissionsBoundaryUsageCount") == "0")
        #expect(created.value("Policy", "IsAttachable") == "true")
        #expect(created.value("Policy", "UpdateDate") != nil)
        let dup = try await iam.call("CreatePolicy", ["PolicyName": "s3read", "PolicyDocument": Docs.allowS3])
        #expect(dup.errorCode == "EntityAlreadyExists")
        #expect(dup.errorMessage == "A policy called s3read already exists. Duplicate names are not allowed.")
        let got = try await iam.ok("GetPolicy", ["PolicyArn": arn])
        #expect(got.value("Policy", "Description") == "read")
        let version = try await iam.ok("GetPolicyVersion", ["PolicyArn": arn, "VersionId": "v1"])
        #expect(IAMHarness.urlDecode(version["Document"] ?? "") == Docs.allowS3)
        #expect(version["IsDefaultVersion"] == "true")
        #expect(try await iam.call("GetPolicy", ["PolicyArn": "arn:aws:iam::111122223333:policy/S3Read"]).errorCode == "NoSuchEntity")  // wrong path
        try await iam.ok("DeletePolicy", ["PolicyArn": arn])
        let gone = try await iam.call("GetPolicy", ["PolicyArn": arn])
        #expect(gone.errorCode == "NoSuchEntity")
        #expect(gone.errorMessage == "Policy \(arn) was not found.")
        #expect(try await iam.call("CreatePolicy", ["PolicyName": "x", "PolicyDocument": "{"]).errorCode == "MalformedPolicyDocument")
        #expect(try await iam.call("CreatePolicy", ["PolicyName": "x", "Path": "/bad path/", "PolicyDocument": Docs.allowS3]).errorCode == "ValidationError")
        let tooBig = try await iam.call("CreatePolicy", ["PolicyName": "x", "PolicyDocument": Docs.sized(6_200)])
        #expect(tooBig.errorCode == "LimitExceeded")
        #expect(try await iam.ok("CreatePolicy", ["PolicyName": "x", "PolicyDocument": Docs.sized(6_000)]).isSuccess)
    }

    @Test func versions() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreatePolicy", ["PolicyName": "S3Read", "Path": "/team/", "PolicyDocument": Docs.allowS3])
        let v2 = try await iam.ok("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowIAMRead])
        #expect(v2["VersionId"] == "v2")
        #expect(v2["IsDefaultVersion"] == "false")
        let v3 = try await iam.ok("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowIAMRead, "SetAsDefault": "true"])
        #expect(v3["IsDefaultVersion"] == "true")
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["DefaultVersionId"] == "v3")
        #expect(try await iam.ok("GetPolicyVersion", ["PolicyArn": arn, "VersionId": "v1"])["IsDefaultVersion"] == "false")
        try await iam.ok("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowS3])
        try await iam.ok("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowS3])
        let sixth = try await iam.call("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowS3])
        #expect(sixth.errorCode == "LimitExceeded")
        #expect(sixth.errorMessage?.hasPrefix("A managed policy can have up to 5 versions.") == true)
        let listed = try await iam.ok("ListPolicyVersions", ["PolicyArn": arn])
        #expect(listed.texts("VersionId") == ["v5", "v4", "v3", "v2", "v1"])
        #expect(listed.all("Document").isEmpty)
        let page = try await iam.ok("ListPolicyVersions", ["PolicyArn": arn, "MaxItems": "2"])
        #expect(page.texts("VersionId") == ["v5", "v4"])
        let rest = try await iam.ok("ListPolicyVersions", ["PolicyArn": arn, "MaxItems": "2", "Marker": try #require(page.marker)])
        #expect(rest.texts("VersionId") == ["v3", "v2"])
        let deleteDefault = try await iam.call("DeletePolicyVersion", ["PolicyArn": arn, "VersionId": "v3"])
        #expect(deleteDefault.errorCode == "DeleteConflict")
        #expect(deleteDefault.errorMessage == "Cannot delete the default version of a policy.")
        try await iam.ok("DeletePolicyVersion", ["PolicyArn": arn, "VersionId": "v1"])
        #expect(try await iam.call("GetPolicyVersion", ["PolicyArn": arn, "VersionId": "v1"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("DeletePolicyVersion", ["PolicyArn": arn, "VersionId": "v1"]).errorCode == "NoSuchEntity")
        // Version ids are never reused.
        #expect(try await iam.ok("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowS3])["VersionId"] == "v6")
        try await iam.ok("SetDefaultPolicyVersion", ["PolicyArn": arn, "VersionId": "v6"])
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn])["DefaultVersionId"] == "v6")
        #expect(try await iam.call("SetDefaultPolicyVersion", ["PolicyArn": arn, "VersionId": "v9"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("SetDefaultPolicyVersion", ["PolicyArn": arn, "VersionId": "x1"]).errorCode == "ValidationError")
        let conflict = try await iam.call("DeletePolicy", ["PolicyArn": arn])
        #expect(conflict.errorCode == "DeleteConflict")
        for v in ["v2", "v3", "v4", "v5"] { try await iam.ok("DeletePolicyVersion", ["PolicyArn": arn, "VersionId": v]) }
        try await iam.ok("DeletePolicy", ["PolicyArn": arn])
    }

    @Test func deleteWhileAttachedAndEntities() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreatePolicy", ["PolicyName": "S3Read", "Path": "/team/", "PolicyDocument": Docs.allowS3])
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("AttachUserPolicy", ["UserName": "bob", "PolicyArn": arn])
        try await iam.ok("AttachGroupPolicy", ["GroupName": "devs", "PolicyArn": arn])
        try await iam.ok("PutRolePermissionsBoundary", ["RoleName": "app", "PermissionsBoundary": arn])
        let policy = try await iam.ok("GetPolicy", ["PolicyArn": arn])
        #expect(policy["AttachmentCount"] == "2")
        #expect(policy["PermissionsBoundaryUsageCount"] == "1")
        let attached = try await iam.call("DeletePolicy", ["PolicyArn": arn])
        #expect(attached.errorCode == "DeleteConflict")
        #expect(attached.errorMessage == "Cannot delete a policy attached to entities.")
        let all = try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn])
        #expect(all.texts("UserName") == ["bob"])
        #expect(all.texts("GroupName") == ["devs"])
        #expect(all.texts("RoleName") == ["app"])
        #expect(try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn, "PolicyUsageFilter": "PermissionsBoundary"]).texts("RoleName") == ["app"])
        #expect(try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn, "PolicyUsageFilter": "PermissionsPolicy"]).texts("RoleName").isEmpty)
        #expect(try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn, "EntityFilter": "User"]).texts("GroupName").isEmpty)
        let page = try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn, "MaxItems": "2"])
        #expect(page.isTruncated)
        let rest = try await iam.ok("ListEntitiesForPolicy", ["PolicyArn": arn, "MaxItems": "2", "Marker": try #require(page.marker)])
        #expect(page.texts("GroupName").count + page.texts("UserName").count + page.texts("RoleName").count == 2)
        #expect(rest.texts("GroupName").count + rest.texts("UserName").count + rest.texts("RoleName").count == 1)
        #expect(try await iam.call("ListEntitiesForPolicy", ["PolicyArn": "arn:aws:iam::111122223333:policy/nope"]).errorCode == "NoSuchEntity")
    }

    @Test func listPoliciesFilters() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreatePolicy", ["PolicyName": "local1", "PolicyDocument": Docs.allowS3])
        try await iam.ok("CreatePolicy", ["PolicyName": "local2", "Path": "/x/", "PolicyDocument": Docs.allowS3, "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("AttachUserPolicy", ["UserName": "bob", "PolicyArn": "arn:aws:iam::111122223333:policy/local1"])
        try await iam.ok("AttachUserPolicy", ["UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"])
        try await iam.ok("PutUserPermissionsBoundary", ["UserName": "bob", "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"])
        let all = try await iam.ok("ListPolicies", ["MaxItems": "1000"])
        #expect(all.texts("PolicyName").count == AWSManagedPolicies.all.count + 2)
        #expect(all.all("Tags").isEmpty)
        #expect(try await iam.ok("ListPolicies", ["Scope": "Local"]).texts("PolicyName") == ["local1", "local2"])
        #expect(Set(try await iam.ok("ListPolicies", ["Scope": "AWS"]).texts("PolicyName")) == Set(AWSManagedPolicies.all.map(\.name)))
        #expect(try await iam.ok("ListPolicies", ["Scope": "Local", "PathPrefix": "/x/"]).texts("PolicyName") == ["local2"])
        #expect(Set(try await iam.ok("ListPolicies", ["OnlyAttached": "true"]).texts("PolicyName")) == ["local1", "AdministratorAccess", "PowerUserAccess"])
        #expect(try await iam.ok("ListPolicies", ["OnlyAttached": "true", "PolicyUsageFilter": "PermissionsBoundary"]).texts("PolicyName") == ["PowerUserAccess"])
        #expect(try await iam.call("ListPolicies", ["Scope": "Mine"]).errorCode == "ValidationError")
        var seen: [String] = []
        var marker: String?
        repeat {
            let page = try await iam.call("ListPolicies", pairs: [("MaxItems", "4")] + (marker.map { [("Marker", $0)] } ?? []))
            seen += page.texts("PolicyName")
            marker = page.isTruncated ? page.marker : nil
        } while marker != nil
        #expect(seen == all.texts("PolicyName"))
        // Rendered only for its page, a policy still has its counts.
        let managed = try await iam.ok("ListPolicies", ["Scope": "AWS"])
        let names = managed.texts("PolicyName")
        let administrator = try #require(names.firstIndex(of: "AdministratorAccess"))
        let powerUser = try #require(names.firstIndex(of: "PowerUserAccess"))
        #expect(managed.texts("AttachmentCount")[administrator] == "1")
        #expect(managed.texts("PermissionsBoundaryUsageCount")[powerUser] == "1")
    }

    @Test func tagsOfPolicies() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreatePolicy", ["PolicyName": "S3Read", "Path": "/team/", "PolicyDocument": Docs.allowS3])
        try await iam.ok("TagPolicy", ["PolicyArn": arn, "Tags.member.1.Key": "a", "Tags.member.1.Value": "1"])
        #expect(try await iam.ok("ListPolicyTags", ["PolicyArn": arn]).texts("Key") == ["a"])
        #expect(try await iam.ok("GetPolicy", ["PolicyArn": arn]).value("Policy", "Tags", "member", "Key") == "a")
        try await iam.ok("UntagPolicy", ["PolicyArn": arn, "TagKeys.member.1": "a"])
        #expect(try await iam.ok("ListPolicyTags", ["PolicyArn": arn]).all("member").isEmpty)
        #expect(try await iam.call("TagPolicy", ["PolicyArn": "arn:aws:iam::111122223333:policy/nope", "Tags.member.1.Key": "a", "Tags.member.1.Value": "1"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("TagPolicy", ["PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "Tags.member.1.Key": "a", "Tags.member.1.Value": "1"]).errorCode == "InvalidInput")
    }

    @Test func awsManagedPoliciesAreReadOnlyWithRealDocuments() async throws {
        let iam = IAMHarness()
        for managed in AWSManagedPolicies.all {
            let policy = try await iam.ok("GetPolicy", ["PolicyArn": managed.arn])
            #expect(policy["PolicyName"] == managed.name)
            #expect(policy["DefaultVersionId"] == managed.versionId)
            let version = try await iam.ok("GetPolicyVersion", ["PolicyArn": managed.arn, "VersionId": managed.versionId])
            let document = IAMHarness.urlDecode(try #require(version["Document"]))
            #expect(document == managed.document)
            // Every shipped document passes the same validation customer policies do.
            try iam.service.validatePolicyDocument(document, kind: .identity)
            #expect(try await iam.ok("ListPolicyVersions", ["PolicyArn": managed.arn]).texts("VersionId") == [managed.versionId])
        }
        let admin = IAMHarness.urlDecode(try await iam.ok("GetPolicyVersion", ["PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "VersionId": "v1"])["Document"] ?? "")
        #expect(admin.contains(#""Action": "*""#))
        let arn = "arn:aws:iam::aws:policy/AdministratorAccess"
        #expect(try await iam.call("DeletePolicy", ["PolicyArn": arn]).errorCode == "InvalidInput")
        #expect(try await iam.call("CreatePolicyVersion", ["PolicyArn": arn, "PolicyDocument": Docs.allowS3]).errorCode == "InvalidInput")
        #expect(try await iam.call("GetPolicy", ["PolicyArn": "arn:aws:iam::aws:policy/Nope"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("GetPolicyVersion", ["PolicyArn": arn, "VersionId": "v9"]).errorCode == "NoSuchEntity")
    }
}

@Suite struct AuthorizationTests {
    @Test func userPoliciesIncludeGroupsAndBoundary() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob", "Tags.member.1.Key": "team", "Tags.member.1.Value": "blue"])
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "Mine", "PolicyDocument": Docs.allowS3])
        try await iam.ok("AttachUserPolicy", ["UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"])
        try await iam.ok("CreatePolicy", ["PolicyName": "Custom", "PolicyDocument": Docs.allowIAMRead])
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("PutGroupPolicy", ["GroupName": "devs", "PolicyName": "GroupInline", "PolicyDocument": Docs.allowS3])
        try await iam.ok("AttachGroupPolicy", ["GroupName": "devs", "PolicyArn": "arn:aws:iam::111122223333:policy/Custom"])
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "bob"])
        try await iam.ok("PutUserPermissionsBoundary", ["UserName": "bob", "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"])

        let policies = try await iam.service.policies(for: IAMHarness.userPrincipal("bob"))
        let ids = policies.identity.map(\.id)
        #expect(ids.count == 4)
        #expect(ids.contains { $0.hasPrefix("inline:user/bob/Mine@") })
        #expect(ids.contains("arn:aws:iam::aws:policy/ReadOnlyAccess@\(AWSManagedPolicies.byName["ReadOnlyAccess"]!.versionId)"))
        #expect(ids.contains { $0.hasPrefix("inline:group/devs/GroupInline@") })
        #expect(ids.contains("arn:aws:iam::111122223333:policy/Custom@v1"))
        #expect(policies.identity.first { $0.id == "arn:aws:iam::111122223333:policy/Custom@v1" }?.document == Docs.allowIAMRead)
        #expect(policies.permissionsBoundary?.id == "arn:aws:iam::aws:policy/PowerUserAccess@v12")
        #expect(policies.tags == ["team": "blue"])
        #expect(policies.username == "bob")
    }

    @Test func cacheIsNeverStaleAfterAWrite() async throws {
        let iam = IAMHarness()
        let bob = IAMHarness.userPrincipal("bob")
        try await iam.ok("CreateUser", ["UserName": "bob"])
        #expect(try await iam.service.policies(for: bob).identity.isEmpty)
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        let first = try await iam.service.policies(for: bob).identity
        #expect(first.count == 1)
        // Same content, same id; changed content, new id.
        #expect(try await iam.service.policies(for: bob).identity.map(\.id) == first.map(\.id))
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": Docs.allowIAMRead])
        let second = try await iam.service.policies(for: bob).identity
        #expect(second.first?.document == Docs.allowIAMRead)
        #expect(second.first?.id != first.first?.id)
        // A group write reaches the member.
        try await iam.ok("CreateGroup", ["GroupName": "g"])
        try await iam.ok("AddUserToGroup", ["GroupName": "g", "UserName": "bob"])
        try await iam.ok("AttachGroupPolicy", ["GroupName": "g", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"])
        #expect(try await iam.service.policies(for: bob).identity.count == 2)
        // A new default version of a customer policy is seen at once.
        try await iam.ok("CreatePolicy", ["PolicyName": "c", "PolicyDocument": Docs.allowS3])
        try await iam.ok("AttachUserPolicy", ["UserName": "bob", "PolicyArn": "arn:aws:iam::111122223333:policy/c"])
        #expect(try await iam.service.policies(for: bob).identity.contains { $0.id == "arn:aws:iam::111122223333:policy/c@v1" })
        try await iam.ok("CreatePolicyVersion", ["PolicyArn": "arn:aws:iam::111122223333:policy/c", "PolicyDocument": Docs.allowIAMRead, "SetAsDefault": "true"])
        #expect(try await iam.service.policies(for: bob).identity.contains { $0.id == "arn:aws:iam::111122223333:policy/c@v2" })
        try await iam.ok("RemoveUserFromGroup", ["GroupName": "g", "UserName": "bob"])
        #expect(try await iam.service.policies(for: bob).identity.count == 2)
        iam.service.invalidateCaches()
        #expect(try await iam.service.policies(for: bob).identity.count == 2)
    }

    @Test func roleSessionsRootAndUnknownPrincipals() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2, "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"])
        try await iam.ok("PutRolePolicy", ["RoleName": "app", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        let session = Principal(
            kind: .assumedRole, accountID: IAMHarness.account, arn: "arn:aws:sts::111122223333:assumed-role/app/s1",
            userID: "AROAEXAMPLE:s1", sessionIssuer: "arn:aws:iam::111122223333:role/app"
        )
        let policies = try await iam.service.policies(for: session)
        #expect(policies.identity.map { $0.id.split(separator: "@").first } == ["inline:role/app/p"])
        #expect(policies.tags == ["k": "v"])
        #expect(policies.username == nil)
        #expect(try await iam.service.policies(for: .root(of: IAMHarness.account)).identity.isEmpty)
        #expect(try await iam.service.policies(for: IAMHarness.userPrincipal("ghost")).identity.isEmpty)
        #expect(try await iam.service.policies(for: IAMHarness.userPrincipal("app", path: "/other/")).identity.isEmpty)
    }

    @Test func concurrentReadsAndWritesNeverServeStaleData() async throws {
        let iam = IAMHarness()
        let bob = IAMHarness.userPrincipal("bob")
        try await iam.ok("CreateUser", ["UserName": "bob"])
        for round in 0..<20 {
            async let reads: Void = withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await iam.service.policies(for: bob) } }
                try await group.waitForAll()
            }
            try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p\(round)", "PolicyDocument": Docs.allowS3])
            try await reads
            #expect(try await iam.service.policies(for: bob).identity.count == round + 1)
        }
    }
}
