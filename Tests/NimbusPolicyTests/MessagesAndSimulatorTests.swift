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
import Testing

/// AWS's `AccessDenied` messages, the simulator's answers, context keys, and the request context.
@Suite struct MessagesAndSimulatorTests {
    static let head = "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/alice"

    @Test(arguments: [
        (Decision.implicitDeny(.identity), "because no identity-based policy allows the iam:CreateUser action"),
        (.explicitDeny(.identity), "with an explicit deny in an identity-based policy"),
        (.explicitDeny(.resource), "with an explicit deny in a resource-based policy"),
        (.implicitDeny(.resource), "because no resource-based policy allows the iam:CreateUser action"),
        (.implicitDeny(.permissionsBoundary), "because no permissions boundary allows the iam:CreateUser action"),
        (.explicitDeny(.permissionsBoundary), "with an explicit deny in a permissions boundary"),
        (.implicitDeny(.session), "because no session policy allows the iam:CreateUser action"),
        (.explicitDeny(.session), "with an explicit deny in a session policy"),
        (.explicitDeny(.serviceControl), "with an explicit deny in a service control policy"),
        (.implicitDeny(.serviceControl), "because no service control policy allows the iam:CreateUser action"),
    ])
    func denialMessages(_ decision: Decision, _ reason: String) {
        let message = decision.denialMessage(
            principalARN: "arn:aws:iam::111122223333:user/bob", action: "iam:CreateUser", resource: "arn:aws:iam::111122223333:user/alice"
        )
        #expect(message == Self.head + " " + reason)
    }

    @Test func theIssueExample() throws {
        let request = EvaluationRequest(action: "iam:CreateUser", resource: "arn:aws:iam::111122223333:user/alice", principal: bob)
        let evaluation = evaluate(request, PolicySet(identity: [try PolicyDocument.parse(doc(allow("iam:Get*")), kind: .identity)]))
        #expect(
            evaluation.denialMessage(principalARN: bob.arn, action: request.action, resource: request.resource)
                == "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/alice because no identity-based policy allows the iam:CreateUser action"
        )
        #expect(evaluation.decision.evalDecision == "implicitDeny")
        #expect(Decision.allow.evalDecision == "allowed")
        #expect(Decision.explicitDeny(.session).evalDecision == "explicitDeny")
    }

    @Test func matchedStatementsAndPositions() throws {
        let json = """
            {
              "Version": "2012-10-17",
              "Statement": [
                {"Sid": "ReadAll", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
                {
                  "Sid": "NoSecrets",
                  "Effect": "Deny",
                  "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::secret/*"
                }
              ]
            }
            """
        let policy = try PolicyDocument.parse(json, kind: .identity, id: "arn:aws:iam::111122223333:policy/Read")
        let allowed = evaluate(EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::public/x", principal: bob), PolicySet(identity: [policy]))
        #expect(allowed.decision == .allow)
        #expect(allowed.matchedStatements.map(\.sid) == ["ReadAll"])
        #expect(allowed.matchedStatements[0].policyID == "arn:aws:iam::111122223333:policy/Read")
        #expect(allowed.matchedStatements[0].policyType == .identity)
        #expect(allowed.matchedStatements[0].startPosition == SourcePosition(line: 4, column: 5))
        #expect(allowed.matchedStatements[0].endPosition == SourcePosition(line: 4, column: 79))

        let denied = evaluate(EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::secret/x", principal: bob), PolicySet(identity: [policy]))
        #expect(denied.decision == .explicitDeny(.identity))
        #expect(denied.matchedStatements.map(\.sid) == ["ReadAll", "NoSecrets"])
        #expect(denied.matchedStatements[1].effect == .deny)
        #expect(denied.matchedStatements[1].statementIndex == 1)
        #expect(denied.matchedStatements[1].startPosition == SourcePosition(line: 5, column: 5))
        #expect(denied.matchedStatements[1].endPosition == SourcePosition(line: 10, column: 5))
    }

    @Test func missingContextValues() throws {
        let policy = try PolicyDocument.parse(
            doc(
                allow("s3:GetObject", when: #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#),
                allow("ec2:*", when: #"{"StringEquals":{"ec2:Region":"x"}}"#)
            ),
            kind: .identity
        )
        var context = ConditionContext()
        context.set("aws:SourceIp", "10.1.1.1")
        let result = simulate(EvaluationRequest(action: "s3:GetObject", resource: "*", principal: bob, context: context), PolicySet(identity: [policy]))
        #expect(result.evalDecision == "implicitDeny")
        // Only the statements that apply to the action read keys; ec2:Region is not asked for.
        #expect(result.missingContextValues == ["aws:MultiFactorAuthPresent"])
        #expect(result.decisionDetails == ["IAM Policy": "implicitDeny"])
        #expect(result.allowedByPermissionsBoundary == nil)
    }

    @Test func simulationDetails() throws {
        let set = PolicySet(
            identity: [try PolicyDocument.parse(doc(allow("s3:*")), kind: .identity, id: "id")],
            resource: try PolicyDocument.parse(doc(refuse(#""*""#, "s3:DeleteObject")), kind: .resourcePolicy, id: "bucket"),
            permissionsBoundary: try PolicyDocument.parse(doc(allow("s3:Get*")), kind: .permissionsBoundary, id: "boundary")
        )
        let read = simulate(EvaluationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/k", principal: bob), set)
        #expect(read.evalDecision == "allowed")
        #expect(read.allowedByPermissionsBoundary == true)
        #expect(read.decisionDetails["IAM Policy"] == "allowed")
        #expect(read.decisionDetails["Resource Policy"] == "implicitDeny")
        let delete = simulate(EvaluationRequest(action: "s3:DeleteObject", resource: "arn:aws:s3:::b/k", principal: bob), set)
        #expect(delete.evalDecision == "explicitDeny")
        #expect(delete.decision == .explicitDeny(.resource))
        #expect(delete.allowedByPermissionsBoundary == false)
        #expect(delete.matchedStatements.map(\.policyID) == ["bucket", "id"])
    }

    @Test func contextKeysOfPolicies() throws {
        let policy = try PolicyDocument.parse(
            doc(
                allow("s3:ListBucket", when: #"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]},"Bool":{"aws:SecureTransport":"true"}}"#),
                allow("s3:GetObject", on: ["arn:aws:s3:::b/${aws:PrincipalTag/team}/*"], when: #"{"StringEquals":{"AWS:SecureTransport":"true"}}"#)
            ),
            kind: .identity
        )
        #expect(contextKeys(of: policy) == ["s3:prefix", "aws:username", "aws:SecureTransport", "aws:PrincipalTag/team"])
        let other = try PolicyDocument.parse(doc(allow("*", when: #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)), kind: .identity)
        #expect(contextKeys(of: [policy, other]).last == "aws:SourceIp")
        // 2008 documents have no variables.
        let legacy = try PolicyDocument.parse(#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}]}"#, kind: .identity)
        #expect(contextKeys(of: legacy).isEmpty)
    }

    @Test func conditionContext() {
        var context: ConditionContext = ["aws:SourceIp": "10.0.0.1"]
        #expect(context["AWS:SOURCEIP"] == ["10.0.0.1"])
        context["aws:TagKeys"] = ["a", "b"]
        context.set("AWS:TagKeys", "c")
        #expect(context["aws:tagkeys"] == ["c"])
        #expect(context.keys == ["AWS:TagKeys", "aws:SourceIp"])
        context["aws:TagKeys"] = nil
        #expect(context["aws:TagKeys"] == nil)
        #expect(context.keys == ["aws:SourceIp"])
        for i in 0..<200 { context.set("k:\(i)", "\(i)") }
        for i in 0..<200 { #expect(context["K:\(i)"] == ["\(i)"]) }
    }

    @Test func globalKeysFromTheRequestContext() {
        let date = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        func request(_ principal: Principal) -> RequestContext {
            RequestContext(
                requestID: "r", receivedAt: date, sourceIP: "203.0.113.9", userAgent: "aws-cli/2", region: "eu-west-1", service: "s3",
                operation: "GetObject", principal: principal, isSecureTransport: true
            )
        }
        let longTerm = ConditionContext.global(for: request(Principal(kind: .user, accountID: account, arn: bob.arn, userID: bob.userID, accessKeyID: "AKIAEXAMPLE")))
        #expect(longTerm["aws:SourceIp"] == ["203.0.113.9"])
        #expect(longTerm["aws:SecureTransport"] == ["true"])
        #expect(longTerm["aws:CurrentTime"] == ["2026-01-01T00:00:00Z"])
        #expect(longTerm["aws:EpochTime"] == ["1767225600"])
        #expect(longTerm["aws:UserAgent"] == ["aws-cli/2"])
        #expect(longTerm["aws:RequestedRegion"] == ["eu-west-1"])
        #expect(longTerm["aws:MultiFactorAuthPresent"] == nil)
        let temporary = ConditionContext.global(for: request(Principal(kind: .assumedRole, accountID: account, arn: devSession.arn, userID: devSession.userID, accessKeyID: "ASIAEXAMPLE")))
        #expect(temporary["aws:MultiFactorAuthPresent"] == ["false"])
        let mfa = ConditionContext.global(
            for: request(Principal(kind: .user, accountID: account, arn: bob.arn, userID: bob.userID, accessKeyID: "ASIAEXAMPLE", mfaAuthenticatedAt: date - 90))
        )
        #expect(mfa["aws:MultiFactorAuthPresent"] == ["true"])
        #expect(mfa["aws:MultiFactorAuthAge"] == ["90"])
    }

    @Test func principalFromAuthentication() {
        let user = PrincipalContext(Principal(kind: .user, accountID: account, arn: "arn:aws:iam::111122223333:user/team/bob", userID: "AIDAX"))
        #expect(user.kind == .user)
        #expect(user.username == "bob")
        #expect(user.principalARN == "arn:aws:iam::111122223333:user/team/bob")
        let session = PrincipalContext(
            Principal(kind: .assumedRole, accountID: account, arn: "arn:aws:sts::111122223333:assumed-role/Dev/s1", userID: "AROAX:s1", sessionIssuer: "arn:aws:iam::111122223333:role/Dev"),
            tags: ["Team": "red"]
        )
        #expect(session.kind == .assumedRole)
        #expect(session.username == nil)
        #expect(session.sessionName == "s1")
        #expect(session.principalARN == "arn:aws:iam::111122223333:role/Dev")
        #expect(session.principalType == "AssumedRole")
        #expect(PrincipalContext(Principal.root(of: account)).kind == .root)
        #expect(PrincipalContext(Principal.anonymous).kind == .anonymous)
        let allowed = decide(
            EvaluationRequest(action: "s3:GetObject", resource: "*", principal: session),
            PolicySet(identity: [try! PolicyDocument.parse(doc(allow("s3:*", when: #"{"StringEquals":{"aws:PrincipalTag/team":"red"}}"#)), kind: .identity)])
        )
        #expect(allowed == .allow)
    }

    @Test func policyErrorsMatchByCode() {
        let error: any Error = PolicyError.inlinePolicySizeExceeded(limit: 10_240, entity: .role, name: "r")
        switch error {
        case PolicyError.malformed: Issue.record("wrong code")
        case PolicyError.limitExceeded: break
        default: Issue.record("not a policy error")
        }
        #expect(PolicyError.quotaExceeded("PolicySize", limit: 6_144).description == "LimitExceeded: Cannot exceed quota for PolicySize: 6144")
    }
}
