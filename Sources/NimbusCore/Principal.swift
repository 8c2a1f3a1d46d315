//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// Who made a request, as authentication established it.
///
/// This is what the authorizer decides on and what CloudTrail records as `userIdentity`.
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The account's root user (`arn:aws:iam::123456789012:root`).
        case root = "Root"
        case user = "IAMUser"
        case assumedRole = "AssumedRole"
        case federatedUser = "FederatedUser"
        /// The holder of a web identity token (OIDC) asking to assume a role; `arn` is the provider's ARN.
        case webIdentity = "WebIdentityUser"
        /// No credentials at all; only resource policies can let such a request through.
        case anonymous = "AWSAccount"
    }

    public var kind: Kind
    /// The 12-digit account the principal belongs to; `"anonymous"` for anonymous callers.
    public var accountID: String
    /// The principal's ARN, e.g. `arn:aws:iam::123456789012:user/alice`.
    public var arn: String
    /// AWS's unique id: the account id for root, `AIDA…` for users, `AROA…:session` for role sessions.
    public var userID: String
    /// The access key that signed the request, if any.
    public var accessKeyID: String?
    /// When MFA was last presented for these credentials, for `aws:MultiFactorAuthAge`.
    public var mfaAuthenticatedAt: Date?
    /// Set for temporary credentials: the role (or, for federation, the IAM user) the session came from.
    public var sessionIssuer: String?
    /// Session policies passed when temporary credentials were made; they limit the session's permissions.
    public var sessionPolicies: [String] = []
    /// Session tags (`aws:PrincipalTag` for the session, over the role's own tags).
    public var sessionTags: [String: String] = [:]
    public var sourceIdentity: String?
    /// When the temporary credentials were issued.
    public var sessionCreatedAt: Date?
    /// The token's `sub` claim, for a web identity caller.
    public var federatedSubject: String?

    public init(
        kind: Kind,
        accountID: String,
        arn: String,
        userID: String,
        accessKeyID: String? = nil,
        mfaAuthenticatedAt: Date? = nil,
        sessionIssuer: String? = nil
    ) {
        self.kind = kind
        self.accountID = accountID
        self.arn = arn
        self.userID = userID
        self.accessKeyID = accessKeyID
        self.mfaAuthenticatedAt = mfaAuthenticatedAt
        self.sessionIssuer = sessionIssuer
    }

    /// The root user of `accountID`.
    public static func root(of accountID: String, accessKeyID: String? = nil) -> Principal {
        Principal(kind: .root, accountID: accountID, arn: "arn:aws:iam::\(accountID):root", userID: accountID, accessKeyID: accessKeyID)
    }

    public static let anonymous = Principal(kind: .anonymous, accountID: "anonymous", arn: "*", userID: "anonymous")

    public var isAnonymous: Bool { kind == .anonymous }
}
