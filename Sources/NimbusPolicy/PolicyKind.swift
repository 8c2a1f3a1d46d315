//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// What a policy document is for; decides which elements it must and must not have, and its size quota.
public struct PolicyKind: Sendable, Hashable, CustomStringConvertible {
    public enum Role: String, Sendable, Hashable {
        /// A customer managed (or AWS managed) identity policy.
        case managedIdentity
        /// An inline user, group or role policy; its quota is an aggregate the IAM service enforces.
        case inlineIdentity
        /// A resource-based policy: S3 bucket policy, KMS key policy, SQS queue policy …
        case resource
        /// A role's trust policy (`AssumeRolePolicyDocument`).
        case trust
        case permissionsBoundary
        /// An inline or managed session policy passed to `AssumeRole`, `GetFederationToken` …
        case session
        case serviceControl
    }

    public var role: Role
    /// The quota this document is checked against when parsed, in characters excluding whitespace;
    /// nil when the quota is an aggregate or belongs to the service that stores the policy.
    public var sizeLimit: Int?

    public init(role: Role, sizeLimit: Int?) {
        self.role = role
        self.sizeLimit = sizeLimit
    }

    public var description: String { role.rawValue }

    /// A managed identity policy (`CreatePolicy`, `CreatePolicyVersion`): 6,144 characters.
    public static let identity = PolicyKind(role: .managedIdentity, sizeLimit: PolicyLimits.managedPolicySize)
    /// An inline identity policy; the aggregate quota (`PolicyLimits.inline…`) is the IAM service's.
    public static let inlineIdentity = PolicyKind(role: .inlineIdentity, sizeLimit: nil)
    /// A resource-based policy; the owning service enforces its own size quota (S3: 20 KB, KMS: 32 KB).
    public static let resourcePolicy = PolicyKind(role: .resource, sizeLimit: nil)
    public static func resourcePolicy(sizeLimit: Int) -> PolicyKind { PolicyKind(role: .resource, sizeLimit: sizeLimit) }
    /// A trust policy with the default quota of 2,048 characters.
    public static let trustPolicy = PolicyKind(role: .trust, sizeLimit: PolicyLimits.trustPolicyDefault)
    /// A trust policy with a raised quota (at most 4,096).
    public static func trustPolicy(sizeLimit: Int) -> PolicyKind {
        PolicyKind(role: .trust, sizeLimit: min(sizeLimit, PolicyLimits.trustPolicyMaximum))
    }
    /// A permissions boundary is a managed policy: 6,144 characters.
    public static let permissionsBoundary = PolicyKind(role: .permissionsBoundary, sizeLimit: PolicyLimits.managedPolicySize)
    /// A session policy: 2,048 characters of plaintext (the packed-size limit is STS's).
    public static let sessionPolicy = PolicyKind(role: .session, sizeLimit: PolicyLimits.sessionPolicyPlaintext)
    public static let serviceControlPolicy = PolicyKind(role: .serviceControl, sizeLimit: PolicyLimits.serviceControlPolicy)

    /// Identity-like documents apply to the caller and must not name a principal.
    var forbidsPrincipal: Bool {
        switch role {
        case .managedIdentity, .inlineIdentity, .permissionsBoundary, .session, .serviceControl: true
        case .resource, .trust: false
        }
    }

    /// Documents IAM itself validates (Sid rules, `Resource` must be an ARN).
    var isIAMValidated: Bool { role != .resource && role != .serviceControl }

    /// The quota name IAM reports in `LimitExceeded`.
    var quotaName: String {
        switch role {
        case .trust: "ACLSizePerRole"
        case .session: "PolicySize"
        case .serviceControl: "PolicyContentSize"
        default: "PolicySize"
        }
    }
}

/// Whose inline policies an aggregate quota applies to.
public enum InlinePolicyOwner: String, Sendable, Hashable {
    case user, group, role
}

/// IAM's and STS's policy size quotas, in characters not counting whitespace.
public enum PolicyLimits {
    /// Managed policies (and permissions boundaries).
    public static let managedPolicySize = 6_144
    /// The aggregate of all inline policies of one user.
    public static let inlineUserAggregate = 2_048
    /// The aggregate of all inline policies of one group.
    public static let inlineGroupAggregate = 5_120
    /// The aggregate of all inline policies of one role.
    public static let inlineRoleAggregate = 10_240
    /// Role trust policies by default, and at most after a quota increase.
    public static let trustPolicyDefault = 2_048
    public static let trustPolicyMaximum = 4_096
    /// Inline plus managed session policies passed to STS, as plaintext.
    public static let sessionPolicyPlaintext = 2_048
    /// Organizations service control policies.
    public static let serviceControlPolicy = 5_120
    /// Beyond this many bytes no document is even parsed (hostile input).
    public static let absoluteMaximumBytes = 1 << 20

    /// The aggregate inline quota for one kind of owner.
    public static func inlineAggregate(for owner: InlinePolicyOwner) -> Int {
        switch owner {
        case .user: inlineUserAggregate
        case .group: inlineGroupAggregate
        case .role: inlineRoleAggregate
        }
    }

    /// A document's size as IAM counts it: characters that are not whitespace.
    public static func size(of document: String) -> Int {
        var count = 0
        for scalar in document.unicodeScalars where !(scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r") {
            count += 1
        }
        return count
    }
}
