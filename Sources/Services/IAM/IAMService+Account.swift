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
import NimbusStorage
import NimbusWire

extension IAMService {
    func accountHandlers() -> [String: OperationHandler] {
        [
            "CreateAccountAlias": OperationHandler(createAccountAlias),
            "DeleteAccountAlias": OperationHandler(deleteAccountAlias),
            "ListAccountAliases": OperationHandler(listAccountAliases),
            "GetAccountSummary": OperationHandler(getAccountSummary),
            "GetAccountAuthorizationDetails": OperationHandler(getAccountAuthorizationDetails),
        ]
    }

    // MARK: Alias

    /// Aliases are unique across all accounts: `alias/<alias>` → owning account, beside `<account>/alias`.
    static func aliasOwnerKey(_ alias: String) -> String { "alias/\(alias)" }

    struct AccountAliasInput: Decodable, Sendable {
        var AccountAlias: String
    }

    static func checkAlias(_ alias: String) throws(AWSError) {
        let bytes = Array(alias.utf8)
        let allowed = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard (3...63).contains(bytes.count), allowed, bytes.first != 0x2D, bytes.last != 0x2D, !alias.contains("--") else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(alias)' at 'accountAlias' failed to satisfy constraint: "
                    + "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
            )
        }
        // An alias that is a 12-digit number would read as an account id in sign-in URLs.
        guard !Identifiers.isAccountID(alias) else {
            throw IAMError.invalidInput("The account alias \(alias) is not valid: it must not be a 12-digit number.")
        }
    }

    /// Sets the account's alias, replacing the one it had (an account has at most one).
    @Sendable func createAccountAlias(_ input: AccountAliasInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        try Self.checkAlias(input.AccountAlias)
        try await write(account) { tx in
            let ownerKey = Self.aliasOwnerKey(input.AccountAlias)
            if let owner = try tx.get(IAMKeys.account, ownerKey), String(decoding: owner, as: UTF8.self) != account {
                throw AWSError(code: "EntityAlreadyExists", message: "The account alias \(input.AccountAlias) already exists.", status: 409)
            }
            if let old = try tx.get(IAMKeys.account, IAMKeys.key(account, "alias")) {
                try tx.delete(IAMKeys.account, Self.aliasOwnerKey(String(decoding: old, as: UTF8.self)))
            }
            try tx.put(IAMKeys.account, IAMKeys.key(account, "alias"), Array(input.AccountAlias.utf8))
            try tx.put(IAMKeys.account, ownerKey, Array(account.utf8))
        }
        return EmptyShape()
    }

    @Sendable func deleteAccountAlias(_ input: AccountAliasInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        try await write(account) { tx in
            guard let current = try tx.get(IAMKeys.account, IAMKeys.key(account, "alias")),
                String(decoding: current, as: UTF8.self) == input.AccountAlias
            else {
                throw IAMError.noSuchEntity("The account alias \(input.AccountAlias) cannot be found.")
            }
            try tx.delete(IAMKeys.account, IAMKeys.key(account, "alias"))
            try tx.delete(IAMKeys.account, Self.aliasOwnerKey(input.AccountAlias))
        }
        return EmptyShape()
    }

    struct ListAccountAliasesInput: Decodable, Sendable {
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListAccountAliasesOutput: Encodable, Sendable {
        var AccountAliases: [String]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listAccountAliases(_ input: ListAccountAliasesInput, context: RequestContext) async throws -> ListAccountAliasesOutput {
        let account = account(context)
        let alias = try await store.read { try $0.get(IAMKeys.account, IAMKeys.key(account, "alias")) }
        let items = alias.map { [("alias", String(decoding: $0, as: UTF8.self))] } ?? []
        let page = try Self.slice(items, marker: input.Marker, maxItems: input.MaxItems)
        return ListAccountAliasesOutput(AccountAliases: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    // MARK: Summary

    struct AccountSummaryOutput: Encodable, Sendable {
        var SummaryMap: [String: Int]
    }

    @Sendable func getAccountSummary(_ input: EmptyShape, context: RequestContext) async throws -> AccountSummaryOutput {
        let account = account(context)
        let prefix = account + "/"
        let counts = try await store.read { reader in
            func count(_ namespace: String) throws -> Int { try reader.scan(namespace, prefix: prefix).count }
            return [
                "Users": try count(IAMKeys.users),
                "Groups": try count(IAMKeys.groups),
                "Roles": try count(IAMKeys.roles),
                "InstanceProfiles": try count(IAMKeys.instanceProfiles),
                "Policies": try count(IAMKeys.policies),
                "PolicyVersionsInUse": try count(IAMKeys.policyVersions),
                "ServerCertificates": try count(IAMKeys.serverCertificates),
                "MFADevices": try count(IAMKeys.mfaDevices),
                "MFADevicesInUse": try count(IAMKeys.userMFADevices),
                "Providers": try count(IAMKeys.oidcProviders),
            ]
        }
        var summary: [String: Int] = [
            "UsersQuota": Self.usersPerAccount,
            "GroupsQuota": Self.groupsPerAccount,
            "RolesQuota": Self.rolesPerAccount,
            "InstanceProfilesQuota": Self.instanceProfilesPerAccount,
            "PoliciesQuota": Self.policiesPerAccount,
            "PolicyVersionsInUseQuota": 10_000,
            "ServerCertificatesQuota": 20,
            "UserPolicySizeQuota": PolicyLimits.inlineUserAggregate,
            "GroupPolicySizeQuota": PolicyLimits.inlineGroupAggregate,
            "RolePolicySizeQuota": PolicyLimits.inlineRoleAggregate,
            "PolicySizeQuota": PolicyLimits.managedPolicySize,
            "AssumeRolePolicySizeQuota": PolicyLimits.trustPolicyDefault,
            "GroupsPerUserQuota": Self.groupsPerUser,
            "SigningCertificatesPerUserQuota": 2,
            "AccessKeysPerUserQuota": 2,
            "AttachedPoliciesPerGroupQuota": 10,
            "AttachedPoliciesPerRoleQuota": 10,
            "AttachedPoliciesPerUserQuota": 10,
            "VersionsPerPolicyQuota": Self.versionsPerPolicy,
            "GlobalEndpointTokenVersion": 1,
            "AccountMFAEnabled": 0,
            "AccountAccessKeysPresent": 0,
            "AccountPasswordPresent": 0,
            "AccountSigningCertificatesPresent": 0,
        ]
        summary.merge(counts) { _, counted in counted }
        return AccountSummaryOutput(SummaryMap: summary)
    }

    // MARK: Authorization details

    struct GetAccountAuthorizationDetailsInput: Decodable, Sendable {
        var Filter: [String]?
        var MaxItems: Int?
        var Marker: String?
    }

    struct PolicyDetail: Encodable, Sendable {
        var PolicyName: String
        var PolicyDocument: String
    }

    struct UserDetail: Encodable, Sendable {
        var Path: String
        var UserName: String
        var UserId: String
        var Arn: String
        var CreateDate: Date
        var UserPolicyList: [PolicyDetail]
        var GroupList: [String]
        var AttachedManagedPolicies: [AttachedPolicy]
        var PermissionsBoundary: AttachedPermissionsBoundary?
        var Tags: [Tag]?
    }

    struct GroupDetail: Encodable, Sendable {
        var Path: String
        var GroupName: String
        var GroupId: String
        var Arn: String
        var CreateDate: Date
        var GroupPolicyList: [PolicyDetail]
        var AttachedManagedPolicies: [AttachedPolicy]
    }

    struct RoleDetail: Encodable, Sendable {
        var Path: String
        var RoleName: String
        var RoleId: String
        var Arn: String
        var CreateDate: Date
        var AssumeRolePolicyDocument: String?
        var InstanceProfileList: [InstanceProfileOutput]
        var RolePolicyList: [PolicyDetail]
        var AttachedManagedPolicies: [AttachedPolicy]
        var PermissionsBoundary: AttachedPermissionsBoundary?
        var Tags: [Tag]?
        var RoleLastUsed: RoleLastUsed?
    }

    struct ManagedPolicyDetail: Encodable, Sendable {
        var PolicyName: String
        var PolicyId: String
        var Arn: String
        var Path: String
        var DefaultVersionId: String
        var AttachmentCount: Int
        var PermissionsBoundaryUsageCount: Int
        var IsAttachable: Bool
        var Description: String?
        var CreateDate: Date
        var UpdateDate: Date
        var PolicyVersionList: [PolicyVersionRecord]
    }

    struct AuthorizationDetailsOutput: Encodable, Sendable {
        var UserDetailList: [UserDetail]
        var GroupDetailList: [GroupDetail]
        var RoleDetailList: [RoleDetail]
        var Policies: [ManagedPolicyDetail]
        var IsTruncated: Bool
        var Marker: String?
    }

    enum AuthorizationDetail: Sendable {
        case user(UserDetail)
        case group(GroupDetail)
        case role(RoleDetail)
        case policy(ManagedPolicyDetail)
    }

    @Sendable func getAccountAuthorizationDetails(_ input: GetAccountAuthorizationDetailsInput, context: RequestContext) async throws
        -> AuthorizationDetailsOutput
    {
        let account = account(context)
        let filter = Set(input.Filter ?? ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])
        let prefix = account + "/"
        let items = try await store.read { reader -> [(String, AuthorizationDetail)] in
            var items: [(String, AuthorizationDetail)] = []
            func inline(_ kind: IAMEntityKind, _ name: String) throws -> [PolicyDetail] {
                try reader.scanJSON(InlinePolicyRecord.self, kind.inlineNamespace, prefix: IAMKeys.nameKey(account, name) + "/")
                    .map { PolicyDetail(PolicyName: $0.value.PolicyName, PolicyDocument: Self.urlEncoded($0.value.PolicyDocument)) }
            }
            func attached(_ kind: IAMEntityKind, _ name: String) throws -> [AttachedPolicy] {
                try reader.scanJSON(AttachedPolicy.self, kind.attachedNamespace, prefix: IAMKeys.nameKey(account, name) + "/").map(\.value)
            }
            if filter.contains("User") {
                for (key, user) in try reader.scanJSON(UserRecord.self, IAMKeys.users, prefix: prefix) {
                    let groups = try reader.scanJSON(MembershipRecord.self, IAMKeys.userGroups, prefix: key + "/").map(\.value.GroupName)
                    items.append((
                        "1/" + key,
                        .user(UserDetail(
                            Path: user.Path, UserName: user.UserName, UserId: user.UserId, Arn: user.Arn, CreateDate: user.CreateDate,
                            UserPolicyList: try inline(.user, user.UserName), GroupList: groups,
                            AttachedManagedPolicies: try attached(.user, user.UserName), PermissionsBoundary: user.PermissionsBoundary, Tags: user.Tags
                        ))
                    ))
                }
            }
            if filter.contains("Group") {
                for (key, group) in try reader.scanJSON(GroupRecord.self, IAMKeys.groups, prefix: prefix) {
                    items.append((
                        "2/" + key,
                        .group(GroupDetail(
                            Path: group.Path, GroupName: group.GroupName, GroupId: group.GroupId, Arn: group.Arn, CreateDate: group.CreateDate,
                            GroupPolicyList: try inline(.group, group.GroupName), AttachedManagedPolicies: try attached(.group, group.GroupName)
                        ))
                    ))
                }
            }
            if filter.contains("Role") {
                for (key, role) in try reader.scanJSON(RoleRecord.self, IAMKeys.roles, prefix: prefix) {
                    let profiles = try reader.scanJSON(InstanceProfileLink.self, IAMKeys.roleInstanceProfiles, prefix: key + "/").compactMap { link in
                        try reader.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, IAMKeys.nameKey(account, link.value.InstanceProfileName))
                            .map { try Self.render($0, account: account, in: reader) }
                    }
                    let output = role.output
                    items.append((
                        "3/" + key,
                        .role(RoleDetail(
                            Path: role.Path, RoleName: role.RoleName, RoleId: role.RoleId, Arn: role.Arn, CreateDate: role.CreateDate,
                            AssumeRolePolicyDocument: output.AssumeRolePolicyDocument, InstanceProfileList: profiles,
                            RolePolicyList: try inline(.role, role.RoleName), AttachedManagedPolicies: try attached(.role, role.RoleName),
                            PermissionsBoundary: role.PermissionsBoundary, Tags: role.Tags, RoleLastUsed: output.RoleLastUsed
                        ))
                    ))
                }
            }
            if filter.contains("LocalManagedPolicy") {
                for (key, record) in try reader.scanJSON(ManagedPolicyRecord.self, IAMKeys.policies, prefix: prefix) {
                    let policy = try Self.render(record, account: account, in: reader)
                    let versions = try reader.scanJSON(
                        PolicyVersionRecord.self, IAMKeys.policyVersions, prefix: IAMKeys.key(account, record.PolicyName.lowercased()) + "/"
                    ).map { entry in
                        var version = entry.value
                        version.Document = version.Document.map(Self.urlEncoded)
                        return version
                    }
                    items.append(("4/" + key, .policy(Self.detail(policy, versions: versions))))
                }
            }
            if filter.contains("AWSManagedPolicy") {
                // Only the AWS managed policies in use in this account, as AWS answers.
                for managed in AWSManagedPolicies.all {
                    let policy = try Self.render(managed, account: account, in: reader)
                    guard policy.AttachmentCount + policy.PermissionsBoundaryUsageCount > 0 else { continue }
                    let version = PolicyVersionRecord(
                        Document: Self.urlEncoded(managed.document), VersionId: managed.versionId, IsDefaultVersion: true, CreateDate: managed.updateDate
                    )
                    items.append(("5/" + managed.name, .policy(Self.detail(policy, versions: [version]))))
                }
            }
            return items
        }
        let page = try Self.slice(items, marker: input.Marker, maxItems: input.MaxItems)
        var output = AuthorizationDetailsOutput(
            UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [], IsTruncated: page.isTruncated, Marker: page.marker
        )
        for item in page.items {
            switch item {
            case .user(let user): output.UserDetailList.append(user)
            case .group(let group): output.GroupDetailList.append(group)
            case .role(let role): output.RoleDetailList.append(role)
            case .policy(let policy): output.Policies.append(policy)
            }
        }
        return output
    }

    static func detail(_ policy: PolicyOutput, versions: [PolicyVersionRecord]) -> ManagedPolicyDetail {
        ManagedPolicyDetail(
            PolicyName: policy.PolicyName, PolicyId: policy.PolicyId, Arn: policy.Arn, Path: policy.Path, DefaultVersionId: policy.DefaultVersionId,
            AttachmentCount: policy.AttachmentCount, PermissionsBoundaryUsageCount: policy.PermissionsBoundaryUsageCount,
            IsAttachable: policy.IsAttachable, Description: policy.Description, CreateDate: policy.CreateDate, UpdateDate: policy.UpdateDate,
            PolicyVersionList: versions
        )
    }
}
