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

@Suite struct SimulatorTests {
    static let denyDelete = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#
    static let ipCondition = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#

    @Test func customPolicy() async throws {
        let iam = IAMHarness()
        let r = try await iam.ok("SimulateCustomPolicy", [
            "PolicyInputList.member.1": Docs.allowS3, "PolicyInputList.member.2": Self.denyDelete,
            "ActionNames.member.1": "s3:GetObject", "ActionNames.member.2": "s3:DeleteObject", "ActionNames.member.3": "iam:CreateUser",
        ])
        #expect(r.texts("EvalActionName") == ["s3:GetObject", "s3:DeleteObject", "iam:CreateUser"])
        #expect(r.texts("EvalDecision") == ["allowed", "explicitDeny", "implicitDeny"])
        #expect(r.texts("SourcePolicyId").contains("PolicyInputList.1"))
        #expect(try await iam.call("SimulateCustomPolicy", ["PolicyInputList.member.1": "nope", "ActionNames.member.1": "s3:GetObject"]).errorCode == "InvalidInput")
    }

    @Test func contextEntriesAndMissingValues() async throws {
        let iam = IAMHarness()
        let inside = try await iam.ok("SimulateCustomPolicy", [
            "PolicyInputList.member.1": Self.ipCondition, "ActionNames.member.1": "s3:GetObject",
            "ContextEntries.member.1.ContextKeyName": "aws:SourceIp", "ContextEntries.member.1.ContextKeyValues.member.1": "10.1.2.3",
            "ContextEntries.member.1.ContextKeyType": "ip",
        ])
        #expect(inside["EvalDecision"] == "allowed")
        let outside = try await iam.ok("SimulateCustomPolicy", [
            "PolicyInputList.member.1": Self.ipCondition, "ActionNames.member.1": "s3:GetObject",
            "ContextEntries.member.1.ContextKeyName": "aws:SourceIp", "ContextEntries.member.1.ContextKeyValues.member.1": "192.0.2.1",
            "ContextEntries.member.1.ContextKeyType": "ip",
        ])
        #expect(outside["EvalDecision"] == "implicitDeny")
        let missing = try await iam.ok("SimulateCustomPolicy", ["PolicyInputList.member.1": Self.ipCondition, "ActionNames.member.1": "s3:GetObject"])
        #expect(missing["EvalDecision"] == "implicitDeny")
        #expect(missing.texts("member").contains("aws:SourceIp"))
    }

    @Test func resourcePolicyAndResources() async throws {
        let iam = IAMHarness()
        let bucketPolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#
        let r = try await iam.ok("SimulateCustomPolicy", [
            "PolicyInputList.member.1": #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
            "ActionNames.member.1": "s3:GetObject",
            "ResourceArns.member.1": "arn:aws:s3:::bucket/key", "ResourceArns.member.2": "arn:aws:s3:::other/key",
            "ResourcePolicy": bucketPolicy, "CallerArn": "arn:aws:iam::111122223333:user/bob",
            "ResourceOwner": "arn:aws:iam::111122223333:root",
        ])
        #expect(r.members(of: "EvaluationResults").compactMap { $0.text("EvalResourceName") } == ["arn:aws:s3:::bucket/key", "arn:aws:s3:::other/key"])
        #expect(r.members(of: "EvaluationResults").compactMap { $0.text("EvalDecision") } == ["allowed", "implicitDeny"])
        #expect(r.texts("SourcePolicyType").contains("resource"))
    }

    @Test func principalPolicyWithGroupsBoundaryAndPagination() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("CreateGroup", ["GroupName": "devs"])
        try await iam.ok("AddUserToGroup", ["GroupName": "devs", "UserName": "bob"])
        try await iam.ok("AttachGroupPolicy", ["GroupName": "devs", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "NoDelete", "PolicyDocument": Self.denyDelete])
        let arn = "arn:aws:iam::111122223333:user/bob"
        let r = try await iam.ok("SimulatePrincipalPolicy", [
            "PolicySourceArn": arn, "ActionNames.member.1": "s3:GetObject", "ActionNames.member.2": "s3:DeleteObject",
            "ActionNames.member.3": "s3:PutObject",
        ])
        #expect(r.texts("EvalDecision") == ["allowed", "explicitDeny", "implicitDeny"])
        let types = Set(r.texts("SourcePolicyType"))
        #expect(types.contains("aws-managed"))
        #expect(types.contains("user"))
        // A boundary that does not allow s3 turns the allow into an implicit deny.
        try await iam.ok("PutUserPermissionsBoundary", ["UserName": "bob", "PermissionsBoundary": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
        let bounded = try await iam.ok("SimulatePrincipalPolicy", ["PolicySourceArn": arn, "ActionNames.member.1": "s3:GetObject"])
        #expect(bounded["EvalDecision"] == "implicitDeny")
        #expect(bounded["AllowedByPermissionsBoundary"] == "false")
        let page = try await iam.ok("SimulatePrincipalPolicy", [
            "PolicySourceArn": arn, "ActionNames.member.1": "iam:GetUser", "ActionNames.member.2": "iam:ListUsers", "MaxItems": "1",
        ])
        #expect(page.texts("EvalActionName") == ["iam:GetUser"])
        let rest = try await iam.ok("SimulatePrincipalPolicy", [
            "PolicySourceArn": arn, "ActionNames.member.1": "iam:GetUser", "ActionNames.member.2": "iam:ListUsers", "MaxItems": "1",
            "Marker": try #require(page.marker),
        ])
        #expect(rest.texts("EvalActionName") == ["iam:ListUsers"])
        #expect(rest.texts("EvalDecision") == ["implicitDeny"])  // the boundary allows it, no identity policy does
        let missing = try await iam.call("SimulatePrincipalPolicy", ["PolicySourceArn": "arn:aws:iam::111122223333:user/ghost", "ActionNames.member.1": "s3:GetObject"])
        #expect(missing.errorCode == "NoSuchEntity")
        let role = try await iam.call("SimulatePrincipalPolicy", ["PolicySourceArn": "arn:aws:iam::111122223333:role/none", "ActionNames.member.1": "s3:GetObject"])
        #expect(role.errorCode == "NoSuchEntity")
    }

    @Test func roleAndGroupSources() async throws {
        let iam = IAMHarness()
        try await iam.ok("CreateRole", ["RoleName": "app", "AssumeRolePolicyDocument": Docs.trustEC2])
        try await iam.ok("PutRolePolicy", ["RoleName": "app", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        let role = try await iam.ok("SimulatePrincipalPolicy", ["PolicySourceArn": "arn:aws:iam::111122223333:role/app", "ActionNames.member.1": "s3:GetObject"])
        #expect(role["EvalDecision"] == "allowed")
        #expect(role["SourcePolicyType"] == "role")
        try await iam.ok("CreateGroup", ["GroupName": "g"])
        try await iam.ok("PutGroupPolicy", ["GroupName": "g", "PolicyName": "p", "PolicyDocument": Docs.allowS3])
        let group = try await iam.ok("SimulatePrincipalPolicy", ["PolicySourceArn": "arn:aws:iam::111122223333:group/g", "ActionNames.member.1": "s3:GetObject"])
        #expect(group["EvalDecision"] == "allowed")
    }

    @Test func contextKeys() async throws {
        let iam = IAMHarness()
        let custom = try await iam.ok("GetContextKeysForCustomPolicy", ["PolicyInputList.member.1": Self.ipCondition])
        #expect(custom.texts("member") == ["aws:SourceIp"])
        try await iam.ok("CreateUser", ["UserName": "bob"])
        try await iam.ok("PutUserPolicy", ["UserName": "bob", "PolicyName": "p", "PolicyDocument": Self.ipCondition])
        let principal = try await iam.ok("GetContextKeysForPrincipalPolicy", [
            "PolicySourceArn": "arn:aws:iam::111122223333:user/bob",
            "PolicyInputList.member.1": #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#,
        ])
        #expect(Set(principal.texts("member").map { $0.lowercased() }) == ["aws:sourceip", "aws:username", "aws:securetransport"])
        #expect(try await iam.call("GetContextKeysForPrincipalPolicy", ["PolicySourceArn": "arn:aws:iam::111122223333:user/ghost"]).errorCode == "NoSuchEntity")
        #expect(try await iam.call("GetContextKeysForCustomPolicy", ["PolicyInputList.member.1": "{"]).errorCode == "InvalidInput")
    }
}
