//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

// MARK: Principals

let account = "111122223333"
let otherAccount = "444455556666"

let bob = PrincipalContext(
    kind: .user, arn: "arn:aws:iam::111122223333:user/bob", accountID: account, userID: "AIDABOBBOBBOBBOBBOB01",
    username: "bob", tags: ["team": "blue", "Project": "apollo"]
)
let carol = PrincipalContext(
    kind: .user, arn: "arn:aws:iam::111122223333:user/division/carol", accountID: account, userID: "AIDACAROLCAROLCAROL1", username: "carol"
)
let alice = PrincipalContext(
    kind: .user, arn: "arn:aws:iam::444455556666:user/alice", accountID: otherAccount, userID: "AIDAALICEALICEALICE1", username: "alice"
)
let devSession = PrincipalContext(
    kind: .assumedRole, arn: "arn:aws:sts::111122223333:assumed-role/Dev/s1", accountID: account, userID: "AROADEVDEVDEVDEVDEV01:s1",
    sessionIssuerARN: "arn:aws:iam::111122223333:role/Dev", sessionName: "s1", tags: ["team": "red"]
)
let otherSession = PrincipalContext(
    kind: .assumedRole, arn: "arn:aws:sts::444455556666:assumed-role/Ops/o1", accountID: otherAccount, userID: "AROAOPSOPSOPSOPSOPS01:o1",
    sessionIssuerARN: "arn:aws:iam::444455556666:role/Ops", sessionName: "o1"
)
let fedUser = PrincipalContext(
    kind: .federatedUser, arn: "arn:aws:sts::111122223333:federated-user/fed", accountID: account, userID: "111122223333:fed",
    sessionIssuerARN: "arn:aws:iam::111122223333:user/bob", sessionName: "fed"
)
let root = PrincipalContext.root(of: account)
let otherRoot = PrincipalContext.root(of: otherAccount)
let anonymous = PrincipalContext.anonymous
let trail = PrincipalContext.service("cloudtrail.amazonaws.com")
let oidc = PrincipalContext(
    kind: .webIdentity, arn: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", accountID: "",
    userID: "repo:org/app:ref:refs/heads/main"
)

// MARK: Documents

/// A 2012-10-17 document with these statements.
func doc(_ statements: String...) -> String {
    #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}"
}

/// A JSON string or array from Swift strings.
func json(_ values: [String]) -> String {
    values.count == 1 ? "\"\(values[0])\"" : "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]"
}

func allow(_ actions: String..., on resources: [String] = ["*"], when condition: String? = nil, sid: String? = nil) -> String {
    statement("Allow", actions, resources, condition, sid: sid)
}

func deny(_ actions: String..., on resources: [String] = ["*"], when condition: String? = nil, sid: String? = nil) -> String {
    statement("Deny", actions, resources, condition, sid: sid)
}

func statement(
    _ effect: String, _ actions: [String], _ resources: [String], _ condition: String?, sid: String? = nil,
    principal: String? = nil, notAction: Bool = false, notResource: Bool = false, notPrincipal: Bool = false
) -> String {
    var s = "{"
    if let sid { s += "\"Sid\":\"\(sid)\"," }
    s += "\"Effect\":\"\(effect)\","
    if let principal { s += "\"\(notPrincipal ? "NotPrincipal" : "Principal")\":\(principal)," }
    s += "\"\(notAction ? "NotAction" : "Action")\":\(json(actions))"
    if !resources.isEmpty { s += ",\"\(notResource ? "NotResource" : "Resource")\":\(json(resources))" }
    if let condition { s += ",\"Condition\":\(condition)" }
    return s + "}"
}

/// A resource-policy `Allow` statement naming principals (`not` makes it `NotPrincipal`).
func grant(_ principal: String, _ actions: String..., on resources: [String] = ["*"], when condition: String? = nil, not: Bool = false) -> String {
    statement("Allow", actions, resources, condition, principal: principal, notPrincipal: not)
}

/// A resource-policy `Deny` statement naming principals.
func refuse(_ principal: String, _ actions: String..., on resources: [String] = ["*"], when condition: String? = nil, not: Bool = false) -> String {
    statement("Deny", actions, resources, condition, principal: principal, notPrincipal: not)
}

func parse(_ json: String, _ kind: PolicyKind = .identity, id: String = "p") -> CompiledPolicy {
    do {
        return try PolicyDocument.parse(json, kind: kind, id: id)
    } catch {
        Issue.record("policy did not parse: \(error)\n\(json)")
        return try! PolicyDocument.parse(doc(), kind: .identity)
    }
}

// MARK: Cases

/// One row of the evaluation table: policies, a request, and AWS's answer.
struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var identity: [String] = []
    var resourcePolicy: String? = nil
    var boundary: String? = nil
    var session: [String] = []
    var scp: [[String]] = []
    var required = false
    var action = "s3:GetObject"
    var resource = "arn:aws:s3:::bucket/key"
    var principal = bob
    var context: [String: [String]] = [:]
    var resourceAccount: String? = nil
    var expect: Decision

    var testDescription: String { name }

    func run() {
        let set = PolicySet(
            identity: identity.enumerated().map { parse($1, .identity, id: "identity\($0)") },
            resource: resourcePolicy.map { parse($0, required ? .trustPolicy : .resourcePolicy, id: "resource") },
            permissionsBoundary: boundary.map { parse($0, .permissionsBoundary, id: "boundary") },
            session: session.map { parse($0, .sessionPolicy, id: "session") },
            serviceControl: scp.map { level in level.map { parse($0, .serviceControlPolicy, id: "scp") } },
            resourcePolicyRequired: required
        )
        let request = EvaluationRequest(
            action: action, resource: resource, principal: principal, context: ConditionContext(context), resourceAccount: resourceAccount
        )
        let fast = decide(request, set)
        let full = evaluate(request, set)
        #expect(fast == expect, "\(name): decide")
        #expect(full.decision == expect, "\(name): evaluate")
    }
}

extension Case {
    /// An identity policy allowing s3:GetObject on everything under one condition block.
    static func condition(
        _ name: String, _ block: String, _ context: [String: [String]], _ allowed: Bool, principal: PrincipalContext = bob
    ) -> Case {
        Case(
            name: name,
            identity: [doc(allow("s3:GetObject", when: block))],
            principal: principal,
            context: context,
            expect: allowed ? .allow : .implicitDeny(.identity)
        )
    }

    /// A condition with one operator and one key: `{"op": {"key": values}}`.
    static func op(
        _ op: String, _ key: String, _ values: String, _ context: [String: [String]], _ allowed: Bool, principal: PrincipalContext = bob,
        _ name: String = ""
    ) -> Case {
        condition("\(op) \(key) \(values) ctx=\(context) \(name)", "{\"\(op)\":{\"\(key)\":\(values)}}", context, allowed, principal: principal)
    }
}
