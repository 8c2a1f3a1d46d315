//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
import NimbusPolicy
import Synchronization

/// The identity side of a principal, as IAM stores it.
struct IdentityPolicies: Sendable {
    /// Each policy with a stable id, so its compiled form can be cached.
    var identity: [(id: String, document: String)]
    var permissionsBoundary: (id: String, document: String)?
    var tags: [String: String]
    var username: String?
}

/// Where the authorizer learns a principal's policies (IAM).
protocol IdentityPolicySource: Sendable {
    func identityPolicies(for principal: Principal) async throws -> IdentityPolicies
}

/// Decides every request with the IAM policy engine, as AWS does: the account's root may act in its
/// own account; IAM users and role sessions need an identity policy that allows (within their
/// permissions boundary), and an explicit deny anywhere wins.
struct PolicyAuthorizer: Authorizer {
    let identities: any IdentityPolicySource
    let cache = CompiledPolicyCache()

    func authorize(_ request: AuthorizationRequest) async throws(AWSError) {
        let principal = request.context.principal
        let policies: PolicySet
        let principalContext: PrincipalContext
        switch principal.kind {
        case .root:
            policies = PolicySet()
            principalContext = PrincipalContext(principal)
        case .anonymous:
            // Only a resource policy can let an anonymous request in; no service has one yet.
            policies = PolicySet()
            principalContext = .anonymous
        case .user, .assumedRole, .federatedUser:
            let stored: IdentityPolicies
            do {
                stored = try await identities.identityPolicies(for: principal)
            } catch let error as AWSError {
                throw error
            } catch {
                throw AWSError.internalFailure()
            }
            policies = PolicySet(
                identity: stored.identity.compactMap { cache.compiled(id: $0.id, document: $0.document, kind: .inlineIdentity) },
                permissionsBoundary: stored.permissionsBoundary.flatMap {
                    cache.compiled(id: $0.id, document: $0.document, kind: .permissionsBoundary)
                }
            )
            principalContext = PrincipalContext(principal, username: stored.username, sessionIssuerARN: principal.sessionIssuer, tags: stored.tags)
        }
        var context = ConditionContext.global(for: request.context)
        context.set("aws:PrincipalArn", principal.kind == .assumedRole ? (principal.sessionIssuer ?? principal.arn) : principal.arn)
        context.set("aws:PrincipalAccount", principal.accountID)
        context.set("aws:userid", principal.userID)
        context.set("aws:ViaAWSService", "false")
        if let username = principalContext.username { context.set("aws:username", username) }
        for (key, value) in principalContext.tags { context.set("aws:PrincipalTag/\(key)", value) }
        for (key, values) in request.conditionKeys { context[key] = values }

        for resource in request.resources {
            let evaluation = NimbusPolicy.evaluate(
                EvaluationRequest(
                    action: request.action,
                    resource: resource,
                    principal: principalContext,
                    context: context,
                    resourceAccount: ARN(resource).map(\.accountID).flatMap { $0.isEmpty ? nil : $0 }
                ),
                policies
            )
            guard evaluation.isAllowed else {
                throw AWSError.accessDenied(evaluation.denialMessage(principalARN: principal.arn, action: request.action, resource: resource))
            }
        }
    }
}

/// Compiled policies by id, recompiled when the document under an id changes.
///
/// IAM hands out the same string storage for an unchanged policy, so the equality check is usually
/// a pointer comparison. Documents that fail to parse are left out (they were validated when stored).
final class CompiledPolicyCache: Sendable {
    private let entries = Mutex<[String: (document: String, policy: CompiledPolicy)]>([:])
    private static let capacity = 10_000

    func compiled(id: String, document: String, kind: PolicyKind) -> CompiledPolicy? {
        if let hit = entries.withLock({ $0[id] }), hit.document == document { return hit.policy }
        guard let policy = try? PolicyDocument.parse(document, kind: kind, id: id) else { return nil }
        entries.withLock {
            if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
            $0[id] = (document, policy)
        }
        return policy
    }
}
