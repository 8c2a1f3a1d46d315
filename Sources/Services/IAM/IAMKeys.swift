//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// Where IAM keeps its entities in the metadata store.
///
/// Every key starts with the 12-digit account id, so accounts never see each other's entities.
/// IAM names are unique regardless of case, so name keys use the lowercased name; the record keeps
/// the name as given. Keys of things that belong to a user, group or role are `<account>/<owner>/<…>`
/// so that "does this user still have X?" is a prefix scan.
enum IAMKeys {
    // Entities: key `<account>/<lowercased name>`.
    static let users = "iam.users"
    static let groups = "iam.groups"
    static let roles = "iam.roles"
    static let instanceProfiles = "iam.instance-profiles"
    /// Customer managed policies, key `<account>/<lowercased name>` (names are unique regardless of path);
    /// versions in `policyVersions`.
    static let policies = "iam.policies"
    /// Key `<account>/<lowercased policy name>/<version id>`.
    static let policyVersions = "iam.policy-versions"
    /// Uses of managed policies (AWS and customer) as permissions policy (`p`) or boundary (`b`):
    /// `<account>/<policy ref>/<p|b>/<entity type>/<lowercased entity name>`, where the policy ref is the
    /// lowercased name of a customer policy or `aws:<name>` for an AWS managed one. Counts and
    /// `ListEntitiesForPolicy` come from here.
    static let policyEntities = "iam.policy-entities"
    /// Unique ids (`AIDA…`, `AGPA…`, `AROA…`, `ANPA…`, `AIPA…`) → `<type>:<account>/<lowercased name>`.
    static let ids = "iam.ids"

    // Owned by a user: key `<account>/<lowercased user>/<item>`.
    static let userInlinePolicies = "iam.user-policies"
    static let userAttachedPolicies = "iam.user-attached"
    static let userGroups = "iam.user-groups"
    static let userAccessKeys = "iam.user-keys"
    static let loginProfiles = "iam.login-profiles"
    static let userMFADevices = "iam.user-mfa"
    static let signingCertificates = "iam.signing-certs"
    static let sshPublicKeys = "iam.ssh-keys"

    /// What must be gone before `DeleteUser` may delete a user (`DeleteConflict` otherwise).
    static let userScoped = [
        userInlinePolicies, userAttachedPolicies, userGroups, userAccessKeys, loginProfiles,
        userMFADevices, signingCertificates, sshPublicKeys,
    ]

    // Owned by a group / role: key `<account>/<lowercased owner>/<item>`.
    static let groupMembers = "iam.group-members"
    static let groupInlinePolicies = "iam.group-policies"
    static let groupAttachedPolicies = "iam.group-attached"
    static let roleInlinePolicies = "iam.role-policies"
    static let roleAttachedPolicies = "iam.role-attached"
    static let roleInstanceProfiles = "iam.role-instance-profiles"

    /// Access keys by id (`AKIA…`) → the key record, for authentication. Per-user listing in `userAccessKeys`.
    static let accessKeys = "iam.access-keys"
    /// Virtual MFA devices by `<account>/<serial number>`.
    static let mfaDevices = "iam.mfa-devices"
    static let serverCertificates = "iam.server-certs"
    static let oidcProviders = "iam.oidc-providers"
    /// Account-level settings: key `<account>/alias` (and `alias/<alias>` → account, for global uniqueness), `<account>/password-policy`, `<account>/credential-report`.
    static let account = "iam.account"

    static func key(_ account: String, _ parts: String...) -> String {
        ([account] + parts).joined(separator: "/")
    }

    /// The key of a named entity: names compare without case.
    static func nameKey(_ account: String, _ name: String) -> String {
        "\(account)/\(name.lowercased())"
    }
}
