//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
import NimbusStorage
import NimbusWire

/// The resource each IAM operation acts on, from the Service Authorization Reference.
///
/// Entities are named without their path (`user/alice`): the input names only the entity, and a path
/// other than `/` is the exception. List operations act on the path prefix (`user/`), as AWS's
/// denial messages show. Operations not listed act on `*`.
extension IAMService {
    static let authorizationTable: [String: OperationAuthorization] = {
        var table: [String: OperationAuthorization] = [:]
        func on(_ template: String, _ operations: [String], defaults: [String: String] = [:]) {
            for operation in operations { table[operation] = OperationAuthorization(resource: template, defaults: defaults) }
        }
        let iam = "arn:${Partition}:iam::${Account}"
        on("\(iam):user${Path}${UserName}", ["CreateUser"], defaults: ["Path": "/"])
        on("\(iam):user/${UserName}", [
            "GetUser", "UpdateUser", "DeleteUser", "TagUser", "UntagUser", "ListUserTags",
            "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
            "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
            "AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies", "ListGroupsForUser",
            "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey",
            "CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile",
            "EnableMFADevice", "ResyncMFADevice", "DeactivateMFADevice", "ListMFADevices",
            "UploadSigningCertificate", "ListSigningCertificates", "UpdateSigningCertificate", "DeleteSigningCertificate",
            "UploadSSHPublicKey", "GetSSHPublicKey", "ListSSHPublicKeys", "UpdateSSHPublicKey", "DeleteSSHPublicKey",
        ])
        on("\(iam):user${PathPrefix}", ["ListUsers"], defaults: ["PathPrefix": "/"])
        on("\(iam):group${Path}${GroupName}", ["CreateGroup"], defaults: ["Path": "/"])
        on("\(iam):group/${GroupName}", [
            "GetGroup", "UpdateGroup", "DeleteGroup", "PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy",
            "ListGroupPolicies", "AttachGroupPolicy", "DetachGroupPolicy", "ListAttachedGroupPolicies",
            "AddUserToGroup", "RemoveUserFromGroup",
        ])
        on("\(iam):group${PathPrefix}", ["ListGroups"], defaults: ["PathPrefix": "/"])
        on("\(iam):role${Path}${RoleName}", ["CreateRole"], defaults: ["Path": "/"])
        on("\(iam):role/${RoleName}", [
            "GetRole", "UpdateRole", "UpdateRoleDescription", "UpdateAssumeRolePolicy", "DeleteRole",
            "TagRole", "UntagRole", "ListRoleTags", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
            "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
            "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies", "ListInstanceProfilesForRole",
        ])
        on("\(iam):role${PathPrefix}", ["ListRoles"], defaults: ["PathPrefix": "/"])
        on("\(iam):policy${Path}${PolicyName}", ["CreatePolicy"], defaults: ["Path": "/"])
        on("${PolicyArn}", [
            "GetPolicy", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions",
            "DeletePolicyVersion", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy", "ListPolicyTags",
            "ListEntitiesForPolicy",
        ])
        on("\(iam):policy${PathPrefix}", ["ListPolicies"], defaults: ["PathPrefix": "/"])
        on("\(iam):instance-profile${Path}${InstanceProfileName}", ["CreateInstanceProfile"], defaults: ["Path": "/"])
        on("\(iam):instance-profile/${InstanceProfileName}", [
            "GetInstanceProfile", "DeleteInstanceProfile", "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile",
            "TagInstanceProfile", "UntagInstanceProfile", "ListInstanceProfileTags",
        ])
        on("\(iam):instance-profile${PathPrefix}", ["ListInstanceProfiles"], defaults: ["PathPrefix": "/"])
        on("\(iam):mfa${Path}${VirtualMFADeviceName}", ["CreateVirtualMFADevice"], defaults: ["Path": "/"])
        on("${SerialNumber}", ["DeleteVirtualMFADevice", "GetMFADevice", "TagMFADevice", "UntagMFADevice", "ListMFADeviceTags"])
        on("${OpenIDConnectProviderArn}", [
            "GetOpenIDConnectProvider", "DeleteOpenIDConnectProvider", "AddClientIDToOpenIDConnectProvider",
            "RemoveClientIDFromOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
            "TagOpenIDConnectProvider", "UntagOpenIDConnectProvider", "ListOpenIDConnectProviderTags",
        ])
        on("\(iam):server-certificate${Path}${ServerCertificateName}", ["UploadServerCertificate"], defaults: ["Path": "/"])
        on("\(iam):server-certificate/${ServerCertificateName}", [
            "GetServerCertificate", "UpdateServerCertificate", "DeleteServerCertificate",
            "TagServerCertificate", "UntagServerCertificate", "ListServerCertificateTags",
        ])
        return table
    }()
}

/// The tags of a user or role, read without the rest of its record.
private struct TaggedEntity: Decodable {
    var Tags: [Tag]?
}

extension IAMService {
    /// The condition keys of tagging: `aws:RequestTag/…` and `aws:TagKeys` for the tags a request sets or
    /// removes, and `aws:ResourceTag/…` (also `iam:ResourceTag/…`) for the user or role it acts on, for
    /// attribute-based rules such as "only roles whose `team` tag is mine".
    func tagConditionKeys(_ operation: String, input: ShapeValue, context: RequestContext) async throws -> [String: [String]] {
        var keys = OperationAuthorization.requestTagKeys(input)
        let target: (namespace: String, name: String)?
        if operation != "CreateUser", let name = input["UserName"]?.stringValue {
            target = (IAMKeys.users, name)
        } else if operation != "CreateRole", let name = input["RoleName"]?.stringValue {
            target = (IAMKeys.roles, name)
        } else {
            target = nil
        }
        if let target {
            let key = IAMKeys.nameKey(account(context), target.name)
            let entity = try await store.read { try $0.getJSON(TaggedEntity.self, target.namespace, key) }
            for tag in entity?.Tags ?? [] {
                keys["aws:ResourceTag/\(tag.Key)"] = [tag.Value]
                keys["iam:ResourceTag/\(tag.Key)"] = [tag.Value]
            }
        }
        return keys
    }
}
