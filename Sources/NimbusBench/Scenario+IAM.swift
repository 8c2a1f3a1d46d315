//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusAuth

/// `iam-authorized-get`: S3 GETs by an IAM user whose three policies decide each request, so that policy
/// evaluation is in the measured path (the root user of the account is allowed without it).
extension Scenario {
    /// An IAM query call (`Action=…&Version=2010-05-08`), signed for `iam` whatever the scenario's service.
    static func iamCall(_ action: String, _ parameters: [(String, String)]) -> BenchRequest {
        let query = ([("Action", action), ("Version", "2010-05-08")] + parameters)
            .map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }
            .joined(separator: "&")
        return BenchRequest(
            method: "POST",
            path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(query.utf8),
            service: "iam",
            keepsResponseBody: true
        )
    }

    /// The three policies: objects readable (user inline), the bucket listable and objects readable under a
    /// condition (customer managed, attached), writes and deletes denied (group inline).
    static func benchPolicies(bucket: String) -> (userInline: String, managed: String, groupInline: String) {
        let objects = "arn:aws:s3:::\(bucket)/*"
        let userInline = #"""
            {"Version":"2012-10-17","Statement":[{"Sid":"ReadBenchObjects","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"\#(objects)"}]}
            """#
        let managed = #"""
            {"Version":"2012-10-17","Statement":[{"Sid":"ListBenchBucket","Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::\#(bucket)"},{"Sid":"ReadBenchPrefix","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::\#(bucket)/bench/*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2","eu-west-1"]}}}]}
            """#
        let groupInline = #"""
            {"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny","Action":["s3:PutObject","s3:DeleteObject","s3:PutBucketPolicy"],"Resource":["arn:aws:s3:::\#(bucket)","\#(objects)"]},{"Sid":"ReadAll","Effect":"Allow","Action":"s3:GetObject","Resource":"\#(objects)"}]}
            """#
        return (userInline, managed, groupInline)
    }

    /// The setup's IAM calls, in order, for the user `name` (a fresh name each run, so reruns don't collide).
    /// `AttachUserPolicy` needs the ARN `CreatePolicy` returns, so it comes separately; see `prepareIAMUser`.
    static func iamUserSetup(name: String, bucket: String) -> (before: [BenchRequest], createPolicy: BenchRequest) {
        let policies = benchPolicies(bucket: bucket)
        let before = [
            iamCall("CreateUser", [("UserName", name)]),
            iamCall("CreateGroup", [("GroupName", name)]),
            iamCall("AddUserToGroup", [("GroupName", name), ("UserName", name)]),
            iamCall("PutGroupPolicy", [("GroupName", name), ("PolicyName", "bench-deny-writes"), ("PolicyDocument", policies.groupInline)]),
            iamCall("PutUserPolicy", [("UserName", name), ("PolicyName", "bench-read-objects"), ("PolicyDocument", policies.userInline)]),
        ]
        return (before, iamCall("CreatePolicy", [("PolicyName", "\(name)-bucket"), ("PolicyDocument", policies.managed)]))
    }

    /// As root: the user, its group, the three policies and an access key; the key goes into the context.
    static func prepareIAMUser(_ context: ScenarioContext, name: String, over transport: any BenchTransport) async throws(BenchFailure) -> ScenarioContext {
        let (before, createPolicy) = iamUserSetup(name: name, bucket: context.bucket)
        for request in before { _ = try await transport.perform(request).get() }
        let policy = try await transport.perform(createPolicy).get()
        guard let arn = XMLText.element("Arn", in: policy.text) else { throw BenchFailure.unexpected("Policy Arn", in: policy) }
        _ = try await transport.perform(iamCall("AttachUserPolicy", [("UserName", name), ("PolicyArn", arn)])).get()
        let key = try await transport.perform(iamCall("CreateAccessKey", [("UserName", name)])).get()
        guard let id = XMLText.element("AccessKeyId", in: key.text), let secret = XMLText.element("SecretAccessKey", in: key.text) else {
            throw BenchFailure.unexpected("AccessKeyId and SecretAccessKey", in: key)
        }
        var context = context
        context.credentials = BenchCredentials(accessKeyID: id, secretAccessKey: secret)
        context.values["userName"] = name
        return context
    }

    static let iamAuthorizedGet = Scenario(
        name: "iam-authorized-get",
        summary: "S3 GetObject of --size bytes signed by an IAM user with three policies (policy evaluation in the path)",
        service: "s3",
        flavor: .s3,
        usesSize: true,
        setup: seedObjects,
        toleratedSetupErrors: bucketErrors,
        prepare: { context, transport throws(BenchFailure) in
            let suffix = String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 36)
            return try await prepareIAMUser(context, name: "nimbus-bench-\(suffix)", over: transport)
        }
    ) { context, worker, iteration in
        var request = getObject(context, key: context.key(worker &+ iteration))
        request.credentials = context.credentials
        return request
    }
}
