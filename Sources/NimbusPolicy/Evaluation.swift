//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// The kinds of policy that take part in a decision, named as AWS's denial messages name them.
public enum PolicyType: String, Sendable, Hashable, CaseIterable {
    case identity = "IAM Policy"
    case resource = "Resource Policy"
    case permissionsBoundary = "Permissions Boundary"
    case session = "Session Policy"
    case serviceControl = "Organizations SCP"

    /// The phrase in AWS's `AccessDenied` messages: `identity-based policy`, `permissions boundary` …
    public var phrase: String {
        switch self {
        case .identity: "identity-based policy"
        case .resource: "resource-based policy"
        case .permissionsBoundary: "permissions boundary"
        case .session: "session policy"
        case .serviceControl: "service control policy"
        }
    }

    fileprivate var article: String { self == .identity ? "an" : "a" }
}

/// The outcome of an evaluation, with the kind of policy that denied or failed to allow.
public enum Decision: Sendable, Hashable {
    case allow
    /// A `Deny` statement of this kind of policy applied.
    case explicitDeny(PolicyType)
    /// No policy of this kind allowed the request.
    case implicitDeny(PolicyType)

    public var isAllowed: Bool { self == .allow }

    /// The policy simulator's `EvalDecision`: `allowed`, `explicitDeny` or `implicitDeny`.
    public var evalDecision: String {
        switch self {
        case .allow: "allowed"
        case .explicitDeny: "explicitDeny"
        case .implicitDeny: "implicitDeny"
        }
    }

    /// AWS's `AccessDenied` message, e.g. `User: arn:aws:iam::111122223333:user/bob is not authorized
    /// to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/alice because no
    /// identity-based policy allows the iam:CreateUser action`.
    public func denialMessage(principalARN: String, action: String, resource: String) -> String {
        let head = "User: \(principalARN) is not authorized to perform: \(action) on resource: \(resource)"
        switch self {
        case .allow: return head
        case .explicitDeny(let type): return "\(head) with an explicit deny in \(type.article) \(type.phrase)"
        case .implicitDeny(let type): return "\(head) because no \(type.phrase) allows the \(action) action"
        }
    }
}

/// A statement that applied to the request, for the policy simulator's `MatchedStatements`.
public struct MatchedStatement: Sendable, Hashable {
    /// The `CompiledPolicy.id` of the policy holding the statement.
    public var policyID: String
    public var policyType: PolicyType
    public var sid: String?
    public var effect: PolicyEffect
    /// Zero-based position of the statement in its policy.
    public var statementIndex: Int
    /// Where the statement's object starts and ends in the document (1-based lines and columns).
    public var startPosition: SourcePosition
    public var endPosition: SourcePosition
}

/// A decision with the statements that led to it.
public struct Evaluation: Sendable {
    public var decision: Decision
    /// Every statement whose action, resource, principal and conditions matched, allow and deny.
    public var matchedStatements: [MatchedStatement]
    /// Condition keys (and variables) the matched-by-action statements read that the request lacked,
    /// for the simulator's `MissingContextValues`.
    public var missingContextKeys: [String]

    public var isAllowed: Bool { decision.isAllowed }

    public func denialMessage(principalARN: String, action: String, resource: String) -> String {
        decision.denialMessage(principalARN: principalARN, action: action, resource: resource)
    }
}

/// All the policies that bear on one request.
public struct PolicySet: Sendable {
    /// The principal's identity-based policies: attached managed, inline, and its groups' policies.
    public var identity: [CompiledPolicy]
    /// The resource's policy (bucket policy, key policy, role trust policy …), if it has one.
    public var resource: CompiledPolicy?
    public var permissionsBoundary: CompiledPolicy?
    /// Session policies passed when the session was created (inline and managed, combined).
    /// Empty means none were passed; they then do not limit the session.
    public var session: [CompiledPolicy]
    /// Service control policies from the organization root down to the principal's account;
    /// every level must allow. Empty when the account is not in an organization (or is its management account).
    public var serviceControl: [[CompiledPolicy]]
    /// Set for role trust policies and KMS key policies, which must allow the request themselves.
    public var resourcePolicyRequired: Bool

    public init(
        identity: [CompiledPolicy] = [],
        resource: CompiledPolicy? = nil,
        permissionsBoundary: CompiledPolicy? = nil,
        session: [CompiledPolicy] = [],
        serviceControl: [[CompiledPolicy]] = [],
        resourcePolicyRequired: Bool = false
    ) {
        self.identity = identity
        self.resource = resource
        self.permissionsBoundary = permissionsBoundary
        self.session = session
        self.serviceControl = serviceControl
        self.resourcePolicyRequired = resourcePolicyRequired
    }
}

/// One question: may this principal perform this action on this resource, in this context?
public struct EvaluationRequest: Sendable {
    /// `service:Action`, matched case-insensitively.
    public var action: String
    /// The resource ARN, or `*` for actions without a resource type; matched case-sensitively.
    public var resource: String
    public var principal: PrincipalContext
    public var context: ConditionContext
    /// The account that owns the resource; nil means the principal's own account.
    public var resourceAccount: String?

    public init(action: String, resource: String, principal: PrincipalContext, context: ConditionContext = ConditionContext(), resourceAccount: String? = nil) {
        self.action = action
        self.resource = resource
        self.principal = principal
        self.context = context
        self.resourceAccount = resourceAccount
    }
}

/// Evaluates a request against its policies with AWS's logic, recording the matched statements.
///
/// Explicit deny anywhere wins; then every level of service control policies must allow; then, in
/// the resource's account, a resource-based policy that names the exact principal allows on its own,
/// one that names the role (or `*`) replaces the identity policy but not the boundary or session
/// policy, and otherwise identity-based policies, the permissions boundary and session policies must
/// all allow. Across accounts both the resource policy and the caller's side must allow. The root
/// user is allowed in its own account unless denied.
public func evaluate(_ request: EvaluationRequest, _ policies: PolicySet) -> Evaluation {
    var recorder = Recorder(enabled: true)
    let decision = PolicyEvaluator.run(request, policies, &recorder)
    return Evaluation(decision: decision, matchedStatements: recorder.matches, missingContextKeys: recorder.missingKeys)
}

/// The decision alone: the allocation-free path for the request pipeline.
public func decide(_ request: EvaluationRequest, _ policies: PolicySet) -> Decision {
    var recorder = Recorder(enabled: false)
    return PolicyEvaluator.run(request, policies, &recorder)
}

struct Recorder {
    let enabled: Bool
    var matches: [MatchedStatement] = []
    var missingKeys: [String] = []
    var missingSeen: Set<String> = []
    var denied: [PolicyType] = []

    init(enabled: Bool) { self.enabled = enabled }

    mutating func noteMissing(_ keys: [String]) {
        for k in keys where missingSeen.insert(k.lowercased()).inserted { missingKeys.append(k) }
    }
}

enum PolicyEvaluator {
    struct Outcome {
        var deny = false
        var allow: PrincipalGrant?
    }

    static func run(_ request: EvaluationRequest, _ policies: PolicySet, _ recorder: inout Recorder) -> Decision {
        var action = request.action
        var resource = request.resource
        return action.withUTF8 { a in
            resource.withUTF8 { r in
                decide(request, policies, a, r, &recorder)
            }
        }
    }

    private static func decide(
        _ request: EvaluationRequest,
        _ policies: PolicySet,
        _ action: UnsafeBufferPointer<UInt8>,
        _ resource: UnsafeBufferPointer<UInt8>,
        _ recorder: inout Recorder
    ) -> Decision {
        let kind = request.principal.kind
        let sameAccount = request.resourceAccount.map { $0 == request.principal.accountID } ?? true
        let isIAM = request.principal.isIAMEntity
        let recording = recorder.enabled

        // Service control policies: principals of member accounts, including root.
        var scpMissing = false
        if isIAM || kind == .root {
            for level in policies.serviceControl {
                var levelAllows = false
                for j in level.indices {
                    let o = level.withUnsafeBufferPointer { scan($0[j], .serviceControl, action, resource, request, &recorder) }
                    if o.deny {
                        if !recording { return .explicitDeny(.serviceControl) }
                        recorder.denied.append(.serviceControl)
                    }
                    if o.allow != nil { levelAllows = true }
                }
                if !levelAllows { scpMissing = true }
            }
        }

        var resourceGrant: PrincipalGrant?
        if let policy = policies.resource {
            let boundaryAttached = isIAM && policies.permissionsBoundary != nil
            let o = scan(policy, .resource, action, resource, request, &recorder, boundaryAttached: boundaryAttached)
            if o.deny {
                if !recording { return .explicitDeny(.resource) }
                recorder.denied.append(.resource)
            }
            resourceGrant = o.allow
        }

        var identityAllows = false
        var boundaryAllows = true
        var sessionAllows = true
        if isIAM {
            for j in policies.identity.indices {
                let o = policies.identity.withUnsafeBufferPointer { scan($0[j], .identity, action, resource, request, &recorder) }
                if o.deny {
                    if !recording { return .explicitDeny(.identity) }
                    recorder.denied.append(.identity)
                }
                if o.allow != nil { identityAllows = true }
            }
            if let boundary = policies.permissionsBoundary {
                let o = scan(boundary, .permissionsBoundary, action, resource, request, &recorder)
                if o.deny {
                    if !recording { return .explicitDeny(.permissionsBoundary) }
                    recorder.denied.append(.permissionsBoundary)
                }
                boundaryAllows = o.allow != nil
            }
            if kind != .user, !policies.session.isEmpty {
                sessionAllows = false
                for j in policies.session.indices {
                    let o = policies.session.withUnsafeBufferPointer { scan($0[j], .session, action, resource, request, &recorder) }
                    if o.deny {
                        if !recording { return .explicitDeny(.session) }
                        recorder.denied.append(.session)
                    }
                    if o.allow != nil { sessionAllows = true }
                }
            }
        }

        if let first = recorder.denied.first { return .explicitDeny(first) }
        if scpMissing { return .implicitDeny(.serviceControl) }

        switch kind {
        case .root:
            if sameAccount && !policies.resourcePolicyRequired { return .allow }
            return resourceGrant != nil ? .allow : .implicitDeny(.resource)
        case .anonymous, .service, .webIdentity:
            return resourceGrant != nil ? .allow : .implicitDeny(.resource)
        case .user, .assumedRole, .federatedUser:
            if sameAccount {
                switch resourceGrant {
                case .direct?:
                    return .allow
                case .entity?:
                    if !boundaryAllows { return .implicitDeny(.permissionsBoundary) }
                    if !sessionAllows { return .implicitDeny(.session) }
                    return .allow
                case .account?, nil:
                    if policies.resourcePolicyRequired && resourceGrant == nil { return .implicitDeny(.resource) }
                }
            } else if resourceGrant == nil {
                return .implicitDeny(.resource)
            }
            if !identityAllows { return .implicitDeny(.identity) }
            if !boundaryAllows { return .implicitDeny(.permissionsBoundary) }
            if !sessionAllows { return .implicitDeny(.session) }
            return .allow
        }
    }

    /// Finds whether any statement of one policy denies, and the strongest grant among those that allow.
    @inline(__always)
    static func scan(
        _ policy: CompiledPolicy,
        _ type: PolicyType,
        _ action: UnsafeBufferPointer<UInt8>,
        _ resource: UnsafeBufferPointer<UInt8>,
        _ request: EvaluationRequest,
        _ recorder: inout Recorder,
        boundaryAttached: Bool = false
    ) -> Outcome {
        var outcome = Outcome()
        let recording = recorder.enabled
        let program = policy.program
        // The service prefix and the rest of the action, split once.
        var colon = 0
        while colon < action.count && action[colon] != UInt8(ascii: ":") { colon += 1 }
        let vendor = program.vendorID(UnsafeBufferPointer(rebasing: action[0..<colon]))
        let name = UnsafeBufferPointer(rebasing: action[min(colon + 1, action.count)..<action.count])
        for i32 in program.candidates(for: vendor) {
            let i = Int(i32)
            let record = program.statements[i]
            // Once an allow is certain, only deny statements can change the outcome.
            if !recording, !record.isDeny, outcome.allow == .direct { continue }
            guard program.matchesAction(record, vendor: vendor, name: name) else { continue }
            var grant = PrincipalGrant.direct
            if record.resourceNeedsScope || record.needsFullCheck {
                let statement = policy.statements[i]
                if record.resourceNeedsScope {
                    guard statement.matchesResource(resource, request) else { continue }
                } else {
                    guard program.matchesResource(record, resource) else { continue }
                }
                if statement.principals != nil {
                    if let g = statement.grant(for: request.principal) {
                        grant = g
                    } else if statement.notPrincipal && record.isDeny && boundaryAttached {
                        // AWS: a Deny with NotPrincipal always denies an IAM principal that has a
                        // permissions boundary, whatever NotPrincipal lists.
                        grant = .entity
                    } else {
                        continue
                    }
                }
                if !statement.conditions.isEmpty {
                    if recording {
                        var missing: [String]? = []
                        var all = true
                        for c in statement.conditions where !c.evaluate(request, missing: &missing) { all = false }
                        recorder.noteMissing(missing ?? [])
                        if !all { continue }
                    } else {
                        var none: [String]? = nil
                        var all = true
                        for c in statement.conditions where !c.evaluate(request, missing: &none) {
                            all = false
                            break
                        }
                        if !all { continue }
                    }
                }
                if recording { recordMatch(statement, policy, type, &recorder) }
            } else {
                guard program.matchesResource(record, resource) else { continue }
                if recording { recordMatch(policy.statements[i], policy, type, &recorder) }
            }
            if record.isDeny {
                outcome.deny = true
                if !recording { return outcome }
            } else if outcome.allow == nil || grant > outcome.allow! {
                outcome.allow = grant
            }
        }
        return outcome
    }

    private static func recordMatch(_ statement: CompiledStatement, _ policy: CompiledPolicy, _ type: PolicyType, _ recorder: inout Recorder) {
        recorder.matches.append(
            MatchedStatement(
                policyID: policy.id,
                policyType: type,
                sid: statement.sid,
                effect: statement.effect,
                statementIndex: statement.index,
                startPosition: statement.start,
                endPosition: statement.end
            )
        )
    }
}
extension CompiledStatement {
    func matchesAction(_ action: String) -> Bool {
        actions.contains { $0.matches(action) } != notAction
    }

    @inline(__always)
    func matchesResource(_ resource: UnsafeBufferPointer<UInt8>, _ request: EvaluationRequest) -> Bool {
        guard let resources else { return true }
        var hit = false
        for pattern in resources {
            switch pattern {
            case .glob(let glob):
                hit = glob.matches(resource)
            case .template(let template):
                if let chars = template.resolveCharacters(request) {
                    hit = Glob(characters: chars, arnAware: true, caseInsensitive: false).matches(resource)
                }
            }
            if hit { break }
        }
        return hit != notResource
    }

    /// How the statement's principal element names the caller; identity-like statements name it directly.
    @inline(__always)
    func grant(for principal: PrincipalContext) -> PrincipalGrant? {
        guard let principals else { return .direct }
        var best: PrincipalGrant?
        for pattern in principals {
            if let g = pattern.grant(for: principal), best == nil || g > best! { best = g }
        }
        if notPrincipal { return best == nil ? .entity : nil }
        return best
    }
}
