//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// One question to the authorizer: may this principal perform this action on these resources?
public struct AuthorizationRequest: Sendable {
    /// The IAM action, e.g. `sts:GetCallerIdentity`, `s3:GetObject`.
    public var action: String
    /// The resource ARNs the action touches; `*` when the action has no resource type.
    public var resources: [String]
    public var context: RequestContext
    /// Service-specific condition keys of this request (`sts:ExternalId`, `aws:RequestTag/…`).
    public var conditionKeys: [String: [String]]

    public init(action: String, resources: [String] = ["*"], context: RequestContext, conditionKeys: [String: [String]] = [:]) {
        self.action = action
        self.resources = resources
        self.context = context
        self.conditionKeys = conditionKeys
    }
}

/// The seam where the policy engine plugs in: every request passes through `authorize` after decoding.
public protocol Authorizer: Sendable {
    /// Returns when the request is allowed; throws the protocol-neutral `AccessDenied` otherwise.
    func authorize(_ request: AuthorizationRequest) async throws(AWSError)
}

/// The rule until IAM policies are evaluated: an account's root may do anything in its own account
/// and nothing elsewhere; every other principal is denied.
public struct RootOnlyAuthorizer: Authorizer {
    public init() {}

    public func authorize(_ request: AuthorizationRequest) async throws(AWSError) {
        let principal = request.context.principal
        let ownAccount = request.resources.allSatisfy { resource in
            guard resource != "*", let arn = ARN(resource), !arn.accountID.isEmpty else { return true }
            return arn.accountID == principal.accountID
        }
        guard principal.kind == .root, ownAccount else {
            throw .accessDenied(
                "User: \(principal.arn) is not authorized to perform: \(request.action) on resource: "
                    + "\(request.resources.first ?? "*")"
            )
        }
    }
}
