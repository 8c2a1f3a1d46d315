//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

@Suite struct SmokeTests {
    @Test func allowAndDeny() throws {
        let policy = try PolicyDocument.parse(
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"},{"Effect":"Deny","Action":"iam:GetUser","Resource":"arn:aws:iam::111122223333:user/alice"}]}"#,
            kind: .identity
        )
        let bob = PrincipalContext(kind: .user, arn: "arn:aws:iam::111122223333:user/bob", accountID: "111122223333", userID: "AIDAB", username: "bob")
        let set = PolicySet(identity: [policy])
        #expect(decide(EvaluationRequest(action: "iam:GetRole", resource: "arn:aws:iam::111122223333:role/r", principal: bob), set) == .allow)
        #expect(decide(EvaluationRequest(action: "iam:getuser", resource: "arn:aws:iam::111122223333:user/alice", principal: bob), set) == .explicitDeny(.identity))
        let denied = evaluate(EvaluationRequest(action: "iam:CreateUser", resource: "arn:aws:iam::111122223333:user/alice", principal: bob), set)
        #expect(
            denied.denialMessage(principalARN: bob.arn, action: "iam:CreateUser", resource: "arn:aws:iam::111122223333:user/alice")
                == "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/alice because no identity-based policy allows the iam:CreateUser action"
        )
    }

    @Test func benchmarkWorkloadIsAllowed() {
        let workload = PolicyBenchmarkWorkload()
        #expect(workload.run())
        #expect(workload.run(iterations: 1000) == 1000)
    }
}
