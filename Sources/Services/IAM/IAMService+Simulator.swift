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
    func simulatorHandlers() -> [String: OperationHandler] {
        [
            "SimulatePrincipalPolicy": OperationHandler(simulatePrincipalPolicy),
            "SimulateCustomPolicy": OperationHandler(simulateCustomPolicy),
            "GetContextKeysForPrincipalPolicy": OperationHandler(getContextKeysForPrincipalPolicy),
            "GetContextKeysForCustomPolicy": OperationHandler(getContextKeysForCustomPolicy),
        ]
    }

    /// ```xml
    /// <member><ContextKeyName>aws:SourceIp</ContextKeyName><ContextKeyValues><member>10.0.0.1</member></ContextKeyValues>
    ///   <ContextKeyType>ip</ContextKeyType></member>
    /// ```
    struct ContextEntry: Decodable, Sendable {
        var ContextKeyName: String?
        var ContextKeyValues: [String]?
        var ContextKeyType: String?
    }

    struct SimulatePolicyInput: Decodable, Sendable {
        var PolicySourceArn: String?
        var PolicyInputList: [String]?
        var PermissionsBoundaryPolicyInputList: [String]?
        var ActionNames: [String]
        var ResourceArns: [String]?
        var ResourcePolicy: String?
        var ResourceOwner: String?
        var CallerArn: String?
        var ContextEntries: [ContextEntry]?
        var ResourceHandlingOption: String?
        var MaxItems: Int?
        var Marker: String?
    }

    struct Position: Encodable, Sendable {
        var Line: Int
        var Column: Int
    }

    /// A `MatchedStatements` member.
    struct StatementOutput: Encodable, Sendable {
        var SourcePolicyId: String
        var SourcePolicyType: String
        var StartPosition: Position
        var EndPosition: Position
    }

    struct BoundaryDetail: Encodable, Sendable {
        var AllowedByPermissionsBoundary: Bool
    }

    struct ResourceSpecificResult: Encodable, Sendable {
        var EvalResourceName: String
        var EvalResourceDecision: String
        var MatchedStatements: [StatementOutput]
        var MissingContextValues: [String]
        var EvalDecisionDetails: [String: String]?
        var PermissionsBoundaryDecisionDetail: BoundaryDetail?
    }

    struct EvaluationResult: Encodable, Sendable {
        var EvalActionName: String
        var EvalResourceName: String
        var EvalDecision: String
        var MatchedStatements: [StatementOutput]
        var MissingContextValues: [String]
        var PermissionsBoundaryDecisionDetail: BoundaryDetail?
        var EvalDecisionDetails: [String: String]?
        var ResourceSpecificResults: [ResourceSpecificResult]?
    }

    struct SimulationOutput: Encodable, Sendable {
        var EvaluationResults: [EvaluationResult]
        var IsTruncated: Bool
        var Marker: String?
    }

    /// A policy taking part in a simulation, with how the simulator names it.
    struct SimulatedPolicy: Sendable {
        var policy: CompiledPolicy
        var sourceID: String
        var sourceType: String
    }

    /// Compiles a simulator input policy; bad ones are `InvalidInput`, as the simulator answers.
    static func compileInput(_ document: String, kind: PolicyKind, sourceID: String, sourceType: String) throws(AWSError) -> SimulatedPolicy {
        do {
            let policy = try PolicyDocument.parse(document, kind: kind, id: sourceID)
            return SimulatedPolicy(policy: policy, sourceID: sourceID, sourceType: sourceType)
        } catch {
            throw IAMError.invalidInput("\(sourceID): \(error.message)")
        }
    }

    /// The identity policies, boundary and simulated principal of a user, group or role ARN.
    func principalPolicies(_ arn: String, account: String) async throws -> (
        identity: [SimulatedPolicy], boundary: SimulatedPolicy?, principal: PrincipalContext
    ) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[4] == Substring(account),
            let slash = parts[5].firstIndex(of: "/"), let last = parts[5].lastIndex(of: "/")
        else { throw IAMError.invalidInput("Invalid ARN: \(arn)") }
        let type = String(parts[5][..<slash])
        let name = String(parts[5][parts[5].index(after: last)...])
        let kind: IAMEntityKind
        switch type {
        case "user": kind = .user
        case "group": kind = .group
        case "role": kind = .role
        default: throw IAMError.invalidInput("Invalid ARN: \(arn)")
        }
        let collected = try await store.read { reader -> (PrincipalPolicies, EntityHeader, [String: String]) in
            let entity = try Self.entity(kind, name, account: account, in: reader)
            guard entity.arn == arn else { throw IAMError.noSuchEntity(kind.label, named: name) }
            switch kind {
            case .user:
                let policies = try Self.userPolicies(entity.name, arn: arn, account: account, in: reader)
                return (policies, entity, policies.tags)
            case .role:
                let policies = try Self.rolePolicies(entity.name, arn: arn, account: account, in: reader)
                return (policies, entity, policies.tags)
            case .group:
                var policies = PrincipalPolicies()
                try Self.collect(.group, entity.name, account: account, in: reader, into: &policies.identity)
                return (policies, entity, [:])
            }
        }
        let (policies, entity, tags) = collected
        var identity: [SimulatedPolicy] = []
        for (id, document) in policies.identity {
            let (sourceID, sourceType) = Self.simulatorSource(id)
            identity.append(try Self.compileInput(document, kind: .inlineIdentity, sourceID: sourceID, sourceType: sourceType))
        }
        let boundary = try policies.permissionsBoundary.map { boundary throws(AWSError) in
            let (sourceID, sourceType) = Self.simulatorSource(boundary.id)
            return try Self.compileInput(boundary.document, kind: .permissionsBoundary, sourceID: sourceID, sourceType: sourceType)
        }
        let principal: PrincipalContext =
            switch kind {
            case .user, .group:
                PrincipalContext(
                    kind: .user, arn: kind == .user ? entity.arn : "arn:aws:iam::\(account):user/simulated", accountID: account,
                    userID: entity.id, username: kind == .user ? entity.name : "simulated", tags: tags
                )
            case .role:
                PrincipalContext(
                    kind: .assumedRole, arn: "arn:aws:sts::\(account):assumed-role/\(entity.name)/simulated", accountID: account,
                    userID: "\(entity.id):simulated", sessionIssuerARN: entity.arn, sessionName: "simulated", tags: tags
                )
            }
        return (identity, boundary, principal)
    }

    /// `inline:user/bob/Name@hash` → (`Name`, `user`); `arn:aws:iam::aws:policy/X@v1` → (`X`, `aws-managed`).
    static func simulatorSource(_ id: String) -> (String, String) {
        let base = id.split(separator: "@", maxSplits: 1).first.map(String.init) ?? id
        if base.hasPrefix("inline:") {
            let parts = base.dropFirst("inline:".count).split(separator: "/", maxSplits: 2)
            return (parts.count == 3 ? String(parts[2]) : base, parts.first.map(String.init) ?? "none")
        }
        let name = base.split(separator: "/").last.map(String.init) ?? base
        return (name, base.hasPrefix("arn:aws:iam::aws:") ? "aws-managed" : "user-managed")
    }

    /// The caller a custom simulation runs as: `CallerArn` when given (a user or role ARN), else a user of the account.
    static func callerContext(_ callerArn: String?, account: String) -> PrincipalContext {
        guard let callerArn else {
            return PrincipalContext(kind: .user, arn: "arn:aws:iam::\(account):user/simulated", accountID: account, userID: "AIDASIMULATED", username: "simulated")
        }
        let parts = callerArn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        let callerAccount = parts.count == 6 ? String(parts[4]) : account
        let resource = parts.count == 6 ? parts[5] : ""
        let name = resource.split(separator: "/").last.map(String.init) ?? "simulated"
        if resource.hasPrefix("role/") {
            return PrincipalContext(
                kind: .assumedRole, arn: "arn:aws:sts::\(callerAccount):assumed-role/\(name)/simulated", accountID: callerAccount,
                userID: "AROASIMULATED:simulated", sessionIssuerARN: callerArn, sessionName: "simulated"
            )
        }
        return PrincipalContext(kind: .user, arn: callerArn, accountID: callerAccount, userID: "AIDASIMULATED", username: name)
    }

    static func conditionContext(_ entries: [ContextEntry]?) throws(AWSError) -> ConditionContext {
        var context = ConditionContext()
        for entry in entries ?? [] {
            guard let name = entry.ContextKeyName, !name.isEmpty else { throw IAMError.invalidInput("ContextKeyName must be specified.") }
            context[name] = entry.ContextKeyValues ?? []
        }
        return context
    }

    func runSimulation(
        _ input: SimulatePolicyInput, account: String, identity: [SimulatedPolicy], boundary: SimulatedPolicy?, principal: PrincipalContext
    ) throws(AWSError) -> SimulationOutput {
        guard !input.ActionNames.isEmpty else { throw IAMError.invalidInput("ActionNames must contain at least one action.") }
        let context = try Self.conditionContext(input.ContextEntries)
        let resourcePolicy = try input.ResourcePolicy.map { document throws(AWSError) in
            try Self.compileInput(document, kind: .resourcePolicy, sourceID: "ResourcePolicy", sourceType: "resource")
        }
        var sources: [String: String] = [:]
        for policy in identity + [boundary, resourcePolicy].compactMap({ $0 }) { sources[policy.policy.id] = policy.sourceType }
        let set = PolicySet(identity: identity.map(\.policy), resource: resourcePolicy?.policy, permissionsBoundary: boundary?.policy)
        let resources = input.ResourceArns ?? ["*"]
        let resourceOwner = input.ResourceOwner.flatMap { owner -> String? in
            let parts = owner.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count >= 5 ? String(parts[4]) : nil
        }
        var results: [(String, EvaluationResult)] = []
        for (actionIndex, action) in input.ActionNames.enumerated() {
            for (resourceIndex, resource) in resources.enumerated() {
                let request = EvaluationRequest(
                    action: action, resource: resource, principal: principal, context: context, resourceAccount: resourceOwner
                )
                let simulation = simulate(request, set)
                let statements = simulation.matchedStatements.map { statement in
                    StatementOutput(
                        SourcePolicyId: statement.policyID, SourcePolicyType: sources[statement.policyID] ?? "none",
                        StartPosition: Position(Line: statement.startPosition.line, Column: statement.startPosition.column),
                        EndPosition: Position(Line: statement.endPosition.line, Column: statement.endPosition.column)
                    )
                }
                let boundaryDetail = simulation.allowedByPermissionsBoundary.map(BoundaryDetail.init)
                let details = resourcePolicy == nil ? nil : simulation.decisionDetails
                var result = EvaluationResult(
                    EvalActionName: action, EvalResourceName: resource, EvalDecision: simulation.evalDecision, MatchedStatements: statements,
                    MissingContextValues: simulation.missingContextValues, PermissionsBoundaryDecisionDetail: boundaryDetail,
                    EvalDecisionDetails: details
                )
                if input.ResourceArns != nil {
                    result.ResourceSpecificResults = [
                        ResourceSpecificResult(
                            EvalResourceName: resource, EvalResourceDecision: simulation.evalDecision, MatchedStatements: statements,
                            MissingContextValues: simulation.missingContextValues, EvalDecisionDetails: details,
                            PermissionsBoundaryDecisionDetail: boundaryDetail
                        )
                    ]
                }
                results.append((String(format: "%06d/%06d", actionIndex, resourceIndex), result))
            }
        }
        let page = try Self.slice(results, marker: input.Marker, maxItems: input.MaxItems)
        return SimulationOutput(EvaluationResults: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    static func inputPolicies(_ documents: [String]?, list: String, kind: PolicyKind) throws(AWSError) -> [SimulatedPolicy] {
        var policies: [SimulatedPolicy] = []
        for (index, document) in (documents ?? []).enumerated() {
            policies.append(try compileInput(document, kind: kind, sourceID: "\(list).\(index + 1)", sourceType: "none"))
        }
        return policies
    }

    @Sendable func simulatePrincipalPolicy(_ input: SimulatePolicyInput, context: RequestContext) async throws -> SimulationOutput {
        let account = account(context)
        guard let source = input.PolicySourceArn else {
            throw AWSError.validation("1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null")
        }
        var (identity, boundary, principal) = try await principalPolicies(source, account: account)
        identity += try Self.inputPolicies(input.PolicyInputList, list: "PolicyInputList", kind: .inlineIdentity)
        if let boundaries = input.PermissionsBoundaryPolicyInputList, let first = boundaries.first {
            boundary = try Self.compileInput(first, kind: .permissionsBoundary, sourceID: "PermissionsBoundaryPolicyInputList.1", sourceType: "none")
        }
        if let caller = input.CallerArn { principal = Self.callerContext(caller, account: account) }
        return try runSimulation(input, account: account, identity: identity, boundary: boundary, principal: principal)
    }

    @Sendable func simulateCustomPolicy(_ input: SimulatePolicyInput, context: RequestContext) async throws -> SimulationOutput {
        let account = account(context)
        guard let documents = input.PolicyInputList else {
            throw AWSError.validation("1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
        }
        let identity = try Self.inputPolicies(documents, list: "PolicyInputList", kind: .inlineIdentity)
        let boundary = try input.PermissionsBoundaryPolicyInputList?.first.map { document throws(AWSError) in
            try Self.compileInput(document, kind: .permissionsBoundary, sourceID: "PermissionsBoundaryPolicyInputList.1", sourceType: "none")
        }
        return try runSimulation(input, account: account, identity: identity, boundary: boundary, principal: Self.callerContext(input.CallerArn, account: account))
    }

    struct ContextKeysInput: Decodable, Sendable {
        var PolicySourceArn: String?
        var PolicyInputList: [String]?
    }

    struct ContextKeysOutput: Encodable, Sendable {
        var ContextKeyNames: [String]
    }

    @Sendable func getContextKeysForPrincipalPolicy(_ input: ContextKeysInput, context: RequestContext) async throws -> ContextKeysOutput {
        guard let source = input.PolicySourceArn else {
            throw AWSError.validation("1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null")
        }
        let (identity, _, _) = try await principalPolicies(source, account: account(context))
        let extra = try Self.inputPolicies(input.PolicyInputList, list: "PolicyInputList", kind: .inlineIdentity)
        return ContextKeysOutput(ContextKeyNames: contextKeys(of: (identity + extra).map(\.policy)))
    }

    @Sendable func getContextKeysForCustomPolicy(_ input: ContextKeysInput, context: RequestContext) async throws -> ContextKeysOutput {
        let policies = try Self.inputPolicies(input.PolicyInputList, list: "PolicyInputList", kind: .inlineIdentity)
        return ContextKeysOutput(ContextKeyNames: contextKeys(of: policies.map(\.policy)))
    }
}
