//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import Foundation
import NimbusCore
import NimbusPolicy

/// Policy evaluation as the pipeline calls it (`decide`, no recording), and as the simulator does (`evaluate`).
func policyBenchmarks() {
    // 3 policies of 10 statements; the last statement of the last policy allows, so all are looked at.
    let workload = PolicyBenchmarkWorkload()
    // A sample is 1,000 evaluations: one is well under a microsecond, and the harness's own mallocs per
    // sample would hide the evaluation's. `--scale` reports per evaluation.
    let thousand = Benchmark.Configuration(timeUnits: .nanoseconds, scalingFactor: .kilo, maxIterations: 10_000)
    Benchmark("policy decide 3 policies × 10 statements (last one allows)", configuration: thousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(workload.run())
        }
    }
    // What `PolicyAuthorizer.authorize` (internal to NimbusServer) does per request for an IAM user once
    // IAM has handed over the policies: global condition keys, the principal's context, the resource's
    // account, and `decide`. The IAM lookup and the compiled-policy cache are in the pipeline benchmarks.
    let requestContext = RequestContext(
        requestID: "BENCHREQUEST0001", receivedAt: fixedDate, sourceIP: "203.0.113.7", userAgent: "Boto3/1.43.11 benchmark",
        region: "us-east-1", service: "dynamodb", operation: "DeleteItem",
        principal: Principal(
            kind: .user, accountID: exampleAccount, arn: workload.request.principal.arn, userID: "AIDAEXAMPLEEXAMPLE01",
            accessKeyID: "AKIAEXAMPLEEXAMPLE01"
        ),
        isSecureTransport: true
    )
    guard authorizeLikePolicyAuthorizer(requestContext, workload) else { fatalError("the workload must allow its request") }
    Benchmark("policy authorize: condition context + decide, 3 policies × 10 statements (PolicyAuthorizer's work)", configuration: thousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(authorizeLikePolicyAuthorizer(requestContext, workload))
        }
    }
    Benchmark("policy evaluate 3 policies × 10 statements (simulator, records matches)", configuration: thousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(evaluate(workload.request, workload.policies))
        }
    }

    // The policies `nimbus bench --scenario iam-authorized-get` gives its user, for one S3 GetObject.
    let bucket = "nimbus-bench"
    let documents = [
        #"{"Version":"2012-10-17","Statement":[{"Sid":"ReadBenchObjects","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::\#(bucket)/*"}]}"#,
        #"{"Version":"2012-10-17","Statement":[{"Sid":"ListBenchBucket","Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::\#(bucket)"},{"Sid":"ReadBenchPrefix","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::\#(bucket)/bench/*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2","eu-west-1"]}}}]}"#,
        #"{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":["s3:PutObject","s3:DeleteObject","s3:PutBucketPolicy"],"Resource":["arn:aws:s3:::\#(bucket)","arn:aws:s3:::\#(bucket)/*"]},{"Sid":"ReadAll","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(bucket)/*"}]}"#,
    ]
    let policies = PolicySet(identity: documents.enumerated().map { index, json in
        // Static, valid fixtures: a failure is a programming error.
        try! PolicyDocument.parse(json, kind: .inlineIdentity, id: "bench-\(index)")
    })
    var context = ConditionContext()
    context.set("aws:RequestedRegion", "us-east-1")
    context.set("aws:SecureTransport", "false")
    context.set("aws:SourceIp", "127.0.0.1")
    let request = EvaluationRequest(
        action: "s3:GetObject",
        resource: "arn:aws:s3:::\(bucket)/bench/object-7",
        principal: PrincipalContext(
            kind: .user, arn: "arn:aws:iam::111122223333:user/nimbus-bench", accountID: "111122223333",
            userID: "AIDAEXAMPLEEXAMPLE01", username: "nimbus-bench"
        ),
        context: context
    )
    guard decide(request, policies).isAllowed else { fatalError("the iam-authorized-get policies must allow GetObject") }
    Benchmark("policy decide S3 GetObject, iam-authorized-get's 3 policies", configuration: thousand) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(decide(request, policies))
        }
    }
    Benchmark("policy parse iam-authorized-get's 3 policies") { benchmark in
        for _ in benchmark.scaledIterations {
            for json in documents { blackHole(try PolicyDocument.parse(json, kind: .inlineIdentity)) }
        }
    }
}

/// `PolicyAuthorizer.authorize`'s steps after the policy lookup, with public API only.
@inline(never)
private func authorizeLikePolicyAuthorizer(_ requestContext: RequestContext, _ workload: PolicyBenchmarkWorkload) -> Bool {
    let principal = PrincipalContext(requestContext.principal, username: workload.request.principal.username)
    var context = ConditionContext.global(for: requestContext)
    context.set("aws:ViaAWSService", "false")
    var policies = workload.policies
    policies.resourcePolicyRequired = false
    let resource = workload.request.resource
    let request = EvaluationRequest(
        action: workload.request.action,
        resource: resource,
        principal: principal,
        context: context,
        resourceAccount: ARN(resource).map(\.accountID).flatMap { $0.isEmpty ? nil : $0 }
    )
    return decide(request, policies).isAllowed
}

/// A policy of 10 statements of varied shapes (wildcards, lists, conditions), none of which matches a real
/// action; with `lastAllows`, the tenth allows that action on that resource instead.
func tenStatementPolicy(service: String, account: String, index: Int, lastAllows: (action: String, resource: String)? = nil) -> String {
    let statements = (0..<10).map { i -> String in
        if i == 9, let (action, resource) = lastAllows {
            return #"{"Sid":"Allow\#(index)","Effect":"Allow","Action":"\#(action)","Resource":"\#(resource)"}"#
        }
        let (action, resource, condition): (String, String, String) =
            switch i % 5 {
            case 0: (#""\#(service):Get\#(index)x\#(i)*""#, #""arn:aws:\#(service)::\#(account):thing-\#(i)/*""#, "")
            case 1: (#"["\#(service):List\#(i)","\#(service):Describe\#(i)*"]"#, #""*""#, "")
            case 2:
                (#""\#(service):Put\#(i)Thing""#, #""arn:aws:\#(service)::\#(account):table/t\#(i)""#,
                 #","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#)
            case 3: (#""\#(service):*Tag\#(i)*""#, #""arn:aws:\#(service)::\#(account):*""#, "")
            default:
                (#""\#(service):Delete\#(i)""#, #"["arn:aws:\#(service)::\#(account):x\#(i)","arn:aws:\#(service)::\#(account):y\#(i)/*"]"#,
                 #","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#)
            }
        return #"{"Sid":"P\#(index)S\#(i)","Effect":"Allow","Action":\#(action),"Resource":\#(resource)\#(condition)}"#
    }
    return #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
}
