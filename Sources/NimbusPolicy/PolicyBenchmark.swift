//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// A fixed workload for the benchmark package: a user with 3 attached policies of 10 statements each,
/// asking for an action the last statement of the last policy allows (so every statement is looked at).
///
/// ```swift
/// let workload = PolicyBenchmarkWorkload()
/// Benchmark("policy evaluation") { b in
///     for _ in b.scaledIterations { blackHole(workload.run()) }
/// }
/// ```
public struct PolicyBenchmarkWorkload: Sendable {
    public let request: EvaluationRequest
    public let policies: PolicySet

    public init() {
        let account = "111122223333"
        var compiled: [CompiledPolicy] = []
        let services = ["s3", "ec2", "dynamodb"]
        for (p, service) in services.enumerated() {
            var statements: [String] = []
            for i in 0..<10 {
                let effect = "Allow"
                let action: String
                let resource: String
                var condition = ""
                switch i % 5 {
                case 0:
                    action = "\"\(service):Get\(i)*\""
                    resource = "\"arn:aws:\(service):::bucket-\(i)/*\""
                case 1:
                    action = "[\"\(service):List\(i)\", \"\(service):Describe\(i)*\"]"
                    resource = "\"*\""
                case 2:
                    action = "\"\(service):Put\(i)Object\""
                    resource = "\"arn:aws:\(service):us-east-1:\(account):table/t\(i)\""
                    condition = ", \"Condition\": {\"StringEquals\": {\"aws:RequestedRegion\": \"us-east-1\"}}"
                case 3:
                    action = "\"\(service):*Tag\(i)*\""
                    resource = "\"arn:aws:\(service):*:\(account):*\""
                default:
                    action = "\"\(service):Delete\(i)\""
                    resource = "[\"arn:aws:\(service):::x\(i)\", \"arn:aws:\(service):::y\(i)/*\"]"
                    condition = ", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"true\"}}"
                }
                statements.append("{\"Sid\": \"S\(p)x\(i)\", \"Effect\": \"\(effect)\", \"Action\": \(action), \"Resource\": \(resource)\(condition)}")
            }
            let json = "{\"Version\": \"2012-10-17\", \"Statement\": [\(statements.joined(separator: ","))]}"
            // The fixture is static and valid; a failure here is a programming error.
            compiled.append(try! PolicyDocument.parse(json, kind: .identity, id: "arn:aws:iam::\(account):policy/P\(p)"))
        }
        policies = PolicySet(identity: compiled)
        var context = ConditionContext()
        context.set("aws:SecureTransport", "true")
        context.set("aws:RequestedRegion", "us-east-1")
        context.set("aws:SourceIp", "203.0.113.7")
        request = EvaluationRequest(
            action: "dynamodb:Delete9",
            resource: "arn:aws:dynamodb:::y9/item",
            principal: PrincipalContext(
                kind: .user,
                arn: "arn:aws:iam::\(account):user/bench",
                accountID: account,
                userID: "AIDAEXAMPLEEXAMPLE01",
                username: "bench"
            ),
            context: context
        )
    }

    /// One evaluation on the pipeline's path (`decide`); true when allowed.
    @inline(never)
    public func run() -> Bool { decide(request, policies).isAllowed }

    /// `count` evaluations; returns how many were allowed (so the work cannot be optimised away).
    public func run(iterations count: Int) -> Int {
        var allowed = 0
        for _ in 0..<count where decide(request, policies).isAllowed { allowed += 1 }
        return allowed
    }
}
