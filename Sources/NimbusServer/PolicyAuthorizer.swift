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

/// A resource's own policy: a role's trust policy, later bucket and key policies.
struct ResourcePolicy: Sendable {
    var id: String
    var document: String
    var kind: PolicyKind
    /// Trust and key policies must allow by themselves; an identity policy alone is not enough.
    var required: Bool
    /// The account that owns the resource when its ARN does not say (S3 buckets).
    var account: String? = nil
}

/// Permissions that are not policies: KMS grants. Consulted only when no policy denied explicitly.
protocol GrantSource: Sendable {
    func grantAllows(action: String, resource: String, principal: Principal, conditionKeys: [String: [String]]) async throws -> Bool
}

protocol ResourcePolicySource: Sendable {
    /// The policy of `resource` that governs `action`, if the resource has one.
    func resourcePolicy(action: String, resource: String) async throws -> ResourcePolicy?
}

/// Decides every request with the IAM policy engine, as AWS does: the account's root may act in its
/// own account; IAM users and role sessions need an identity policy that allows (within their
/// permissions boundary), and an explicit deny anywhere wins.
struct PolicyAuthorizer: Authorizer {
    let identities: any IdentityPolicySource
    let resourcePolicies: any ResourcePolicySource
    var grants: (any GrantSource)? = nil
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
            policies = PolicySet()
            principalContext = .anonymous
        case .webIdentity:
            // Has no policies of its own: only a role's trust policy can let it in.
            policies = PolicySet()
            principalContext = PrincipalContext(principal)
        case .user, .assumedRole, .federatedUser:
            let stored: IdentityPolicies
            do {
                // A federated user has the permissions of the IAM user who federated, within the session policy.
                var owner = principal
                if principal.kind == .federatedUser, let issuer = principal.sessionIssuer {
                    owner = Principal(kind: issuer.hasSuffix(":root") ? .root : .user, accountID: principal.accountID, arn: issuer, userID: principal.userID)
                }
                stored = owner.kind == .root ? IdentityPolicies(identity: [], tags: [:]) : try await identities.identityPolicies(for: owner)
            } catch let error as AWSError {
                throw error
            } catch {
                throw AWSError.internalFailure()
            }
            policies = PolicySet(
                identity: stored.identity.compactMap { cache.compiled(id: $0.id, document: $0.document, kind: .inlineIdentity) },
                permissionsBoundary: stored.permissionsBoundary.flatMap {
                    cache.compiled(id: $0.id, document: $0.document, kind: .permissionsBoundary)
                },
                session: principal.sessionPolicies.enumerated().compactMap { index, document in
                    cache.compiled(id: "session:\(principal.accessKeyID ?? principal.arn)#\(index)", document: document, kind: .sessionPolicy)
                }
            )
            let tags = stored.tags.merging(principal.sessionTags) { _, session in session }
            principalContext = PrincipalContext(principal, username: stored.username, sessionIssuerARN: principal.sessionIssuer, tags: tags)
        }
        // aws:PrincipalArn, aws:username, aws:PrincipalTag/… come from the principal context, never the request.
        var context = ConditionContext.global(for: request.context)
        for (key, values) in request.conditionKeys { context[key] = values }

        for resource in request.resources {
            var policies = policies
            let resourcePolicy: ResourcePolicy?
            do {
                resourcePolicy = resource == "*" ? nil : try await resourcePolicies.resourcePolicy(action: request.action, resource: resource)
            } catch let error as AWSError {
                throw error
            } catch {
                throw AWSError.internalFailure()
            }
            if let resourcePolicy, !resourcePolicy.document.isEmpty {
                policies.resource = cache.compiled(id: resourcePolicy.id, document: resourcePolicy.document, kind: resourcePolicy.kind)
            }
            policies.resourcePolicyRequired = resourcePolicy?.required ?? Self.requiresResourcePolicy(request.action)
            // `decide` is the allocation-free path; `evaluate` is for the simulator.
            let decision = NimbusPolicy.decide(
                EvaluationRequest(
                    action: request.action,
                    resource: resource,
                    principal: principalContext,
                    context: context,
                    resourceAccount: resourcePolicy?.account ?? Self.accountField(of: resource)
                ),
                policies
            )
            guard decision.isAllowed else {
                if case .implicitDeny = decision, let grants, !principal.isAnonymous,
                    (try? await grants.grantAllows(action: request.action, resource: resource, principal: principal, conditionKeys: request.conditionKeys)) == true
                {
                    continue
                }
                throw AWSError.accessDenied(decision.denialMessage(principalARN: principal.arn, action: request.action, resource: resource))
            }
        }
    }
}

extension PolicyAuthorizer {
    /// The account field of an ARN (`arn:partition:service:region:account:…`), nil when empty or not an
    /// ARN; without parsing the rest, as this runs for every resource of every request.
    static func accountField(of arn: String) -> String? {
        guard arn.hasPrefix("arn:") else { return nil }
        var field = 0
        var start = arn.startIndex
        for index in arn.indices where arn[index] == ":" {
            field += 1
            if field == 4 { start = arn.index(after: index) }
            if field == 5 { return start < index ? String(arn[start..<index]) : nil }
        }
        return nil
    }

    /// Actions whose resource must itself allow: a role that does not exist has no trust policy, and
    /// nobody may assume it.
    static func requiresResourcePolicy(_ action: String) -> Bool {
        action.lowercased().hasPrefix("sts:assumerole")
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
