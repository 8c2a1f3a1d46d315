//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The context keys a policy reads, in conditions and in policy variables, each once (compared
/// case-insensitively) in the order they first appear: `GetContextKeysForCustomPolicy` /
/// `GetContextKeysForPrincipalPolicy`.
public func contextKeys(of policy: CompiledPolicy) -> [String] {
    contextKeys(of: [policy])
}

/// The context keys several policies read, each once, in order of first appearance.
public func contextKeys(of policies: [CompiledPolicy]) -> [String] {
    var seen: Set<String> = []
    var keys: [String] = []
    for policy in policies {
        for statement in policy.statements {
            for key in statement.contextKeys where seen.insert(key.lowercased()).inserted { keys.append(key) }
        }
    }
    return keys
}

/// One answer of `SimulatePrincipalPolicy` / `SimulateCustomPolicy` for an action and a resource.
public struct SimulationResult: Sendable {
    public var actionName: String
    public var resourceName: String
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    public var evalDecision: String
    public var decision: Decision
    public var matchedStatements: [MatchedStatement]
    /// Context keys the policies needed that the request did not supply.
    public var missingContextValues: [String]
    /// The decision each kind of policy taken on its own would give (`EvalDecisionDetails`), keyed by
    /// `PolicyType.rawValue` (`IAM Policy`, `Resource Policy` …).
    public var decisionDetails: [String: String]
    /// Whether the permissions boundary allowed the action (nil when there is none).
    public var allowedByPermissionsBoundary: Bool?
}

/// Simulates one request: the full decision plus what the simulator reports about it.
public func simulate(_ request: EvaluationRequest, _ policies: PolicySet) -> SimulationResult {
    let evaluation = evaluate(request, policies)
    var details: [String: String] = [:]
    func detail(_ type: PolicyType, _ present: Bool) {
        guard present else { return }
        let statements = evaluation.matchedStatements.filter { $0.policyType == type }
        if statements.contains(where: { $0.effect == .deny }) {
            details[type.rawValue] = "explicitDeny"
        } else if statements.contains(where: { $0.effect == .allow }) {
            details[type.rawValue] = "allowed"
        } else {
            details[type.rawValue] = "implicitDeny"
        }
    }
    detail(.identity, !policies.identity.isEmpty)
    detail(.resource, policies.resource != nil)
    detail(.permissionsBoundary, policies.permissionsBoundary != nil)
    detail(.session, !policies.session.isEmpty)
    detail(.serviceControl, !policies.serviceControl.isEmpty)
    var boundary: Bool?
    if policies.permissionsBoundary != nil {
        boundary = details[PolicyType.permissionsBoundary.rawValue] == "allowed"
    }
    return SimulationResult(
        actionName: request.action,
        resourceName: request.resource,
        evalDecision: evaluation.decision.evalDecision,
        decision: evaluation.decision,
        matchedStatements: evaluation.matchedStatements,
        missingContextValues: evaluation.missingContextKeys,
        decisionDetails: details,
        allowedByPermissionsBoundary: boundary
    )
}
