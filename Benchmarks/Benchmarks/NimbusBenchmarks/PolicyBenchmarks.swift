//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import NimbusPolicy

/// Policy evaluation as the pipeline calls it (`decide`, no recording), and as the simulator does (`evaluate`).
func policyBenchmarks() {
    // 3 policies of 10 statements; the last statement of the last policy allows, so all are looked at.
    let workload = PolicyBenchmarkWorkload()
    Benchmark("policy decide 3 policies × 10 statements (last one allows)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(workload.run())
        }
    }
    Benchmark("policy evaluate 3 policies × 10 statements (simulator, records matches)") { benchmark in
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
    Benchmark("policy decide S3 GetObject, iam-authorized-get's 3 policies") { benchmark in
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
