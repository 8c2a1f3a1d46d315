//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import Crypto
import Foundation
import Logging
import NimbusAuth
import NimbusServer
import NimbusWire

/// Whole requests through `NimbusRuntime.respond` without a socket (identify, SigV4, decode, authorize,
/// handle, encode, CloudTrail event, metrics), on `--ephemeral` state with authentication strict, as
/// `nimbus serve` runs it.
func pipelineBenchmarks() {
    // Issue 2's "pipeline overhead ≤ 20 µs p50".
    pipelineBenchmark("pipeline GetCallerIdentity (in-process, ephemeral, strict)") { runtime in
        try await checked(runtime, signedQuery(service: "sts", body: getCallerIdentity, at: Date()), body: getCallerIdentity).request
    }
    // The same, 1,000 requests per sample: what one request costs without the harness's per-sample work
    // (reading /proc, waking the measuring thread), which on a small VM is tens of microseconds.
    // `--scale` reports per request; time and mallocs are per 1,000.
    pipelineBenchmark(
        "pipeline GetCallerIdentity ×1000 (in-process, ephemeral, strict)",
        configuration: .init(timeUnits: .microseconds, scalingFactor: .kilo, maxDuration: .seconds(4), maxIterations: 50)
    ) { runtime in
        try await checked(runtime, signedQuery(service: "sts", body: getCallerIdentity, at: Date()), body: getCallerIdentity).request
    }

    // Issue 4's 4 KiB GET without the socket: routing, SigV4, the bucket and object records, the
    // bucket policy, reading and opening the sealed pieces, the response headers, the CloudTrail event.
    pipelineBenchmark(
        "pipeline S3 GetObject 4 KiB ×1000 (in-process, ephemeral, strict)",
        configuration: .init(timeUnits: .microseconds, scalingFactor: .kilo, maxDuration: .seconds(4), maxIterations: 50)
    ) { runtime in
        let object = [UInt8](repeating: 0x61, count: 4096)
        _ = try await checked(runtime, signedS3("PUT", "/bench-bucket", body: []), body: [])
        _ = try await checked(runtime, signedS3("PUT", "/bench-bucket/object", body: object), body: object)
        return try await checked(runtime, signedS3("GET", "/bench-bucket/object", body: []), body: []).request
    }

    // Issue 5's 1 KiB Encrypt without the socket: the json protocol's decoding and encoding, the key's record and
    // policy, AES-GCM under the backing key, the CloudTrail event with the encryption context.
    pipelineBenchmark(
        "pipeline KMS Encrypt 1 KiB ×1000 (in-process, ephemeral, strict)",
        configuration: .init(timeUnits: .microseconds, scalingFactor: .kilo, maxDuration: .seconds(4), maxIterations: 50)
    ) { runtime in
        let created = try await checked(runtime, signedJSON(target: "TrentService.CreateKey", body: "{}"), body: "{}").answer
        guard let start = created.range(of: #""KeyId":""#), let end = created[start.upperBound...].firstIndex(of: "\"") else {
            throw SetupFailure(description: "CreateKey: \(created)")
        }
        let plaintext = Data(repeating: 0x61, count: 1024).base64EncodedString()
        let body = #"{"KeyId":"\#(created[start.upperBound..<end])","Plaintext":"\#(plaintext)","EncryptionContext":{"purpose":"bench"}}"#
        return try await checked(runtime, signedJSON(target: "TrentService.Encrypt", body: body), body: body).request
    }

    // Issue 6's "the authorizer adds ≤ 5 µs p50": the same IAM GetUser by the root user (allowed in its own
    // account without policies) and by an IAM user whose 3 attached policies of 10 statements are all read.
    // The difference of the two p50s is what the authorizer adds for a user: the policy lookup in IAM, the
    // compiled-policy cache, the condition context and `decide`.
    let getUser = "Action=GetUser&Version=2010-05-08&UserName=\(benchUserName)"
    pipelineBenchmark("pipeline IAM GetUser as root (authorizer: root short path)") { runtime in
        _ = try await setUpBenchUser(runtime)
        return try await checked(runtime, signedQuery(service: "iam", body: getUser, at: Date()), body: getUser).request
    }
    pipelineBenchmark("pipeline IAM GetUser as IAM user, 3 attached policies × 10 statements") { runtime in
        let key = try await setUpBenchUser(runtime)
        let signed = signedQuery(service: "iam", body: getUser, accessKeyID: key.id, secretAccessKey: key.secret, at: Date())
        return try await checked(runtime, signed, body: getUser).request
    }
}

/// A benchmark of `runtime.respond(to:)` for one request, which `prepare` makes on a fresh runtime once,
/// before the samples (the closure runs once per sample).
private func pipelineBenchmark(
    _ name: String,
    configuration: Benchmark.Configuration = Benchmark.defaultConfiguration,
    prepare: @escaping @Sendable (NimbusRuntime) async throws -> WireRequest
) {
    let prepared = Prepared()
    Benchmark(name, configuration: configuration) { benchmark in
        guard let runtime = prepared.runtime, let request = prepared.request else { return }
        var status = 0
        for _ in benchmark.scaledIterations {
            let response = await runtime.respond(to: request)
            status = response.status
            blackHole(response)
        }
        // A request that began failing mid-run (an expired signature, say) would be timed as a fast error.
        precondition(status == 200, "\(name): the last request of the sample answered \(status)")
    } setup: {
        let runtime = try await makeRuntime()
        prepared.request = try await prepare(runtime)
        prepared.runtime = runtime
    }
}

/// Written once by a benchmark's setup hook, which the runner awaits before the first sample, and only read
/// by the samples after it, never concurrently: hence unchecked.
private final class Prepared: @unchecked Sendable {
    var runtime: NimbusRuntime?
    var request: WireRequest?
}

/// A json-protocol KMS request (`X-Amz-Target`), signed now by the root key.
private func signedJSON(target: String, body: String) -> SignableRequest {
    let request = SignableRequest(
        method: "POST",
        path: "/",
        headers: [("Host", "127.0.0.1:4566"), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)],
        bodySHA256: SHA256.hash(data: Array(body.utf8)).map { String(format: "%02x", $0) }.joined()
    )
    return SigV4Signer(accessKeyID: exampleAccessKeyID, secretAccessKey: exampleSecret, region: "us-east-1", service: "kms")
        .signed(request, at: Date())
}

/// A path-style S3 request with its body's SHA-256, signed now by the root key.
private func signedS3(_ method: String, _ path: String, body: [UInt8]) -> SignableRequest {
    let sha = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
    let request = SignableRequest(
        method: method,
        path: path,
        headers: [("Host", "127.0.0.1:4566"), ("x-amz-content-sha256", sha)],
        bodySHA256: sha
    )
    return SigV4Signer(accessKeyID: exampleAccessKeyID, secretAccessKey: exampleSecret, region: "us-east-1", service: "s3")
        .signed(request, at: Date())
}

private let getCallerIdentity = "Action=GetCallerIdentity&Version=2011-06-15"
private let benchUserName = "bench"

private struct SetupFailure: Error, CustomStringConvertible {
    var description: String
}

private func makeRuntime() async throws -> NimbusRuntime {
    var configuration = ServerConfiguration()
    configuration.ephemeral = true
    configuration.authMode = .strict
    configuration.logLevel = .warning
    configuration.accountID = exampleAccount
    configuration.rootAccessKeyID = exampleAccessKeyID
    configuration.rootSecretAccessKey = exampleSecret
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return try await NimbusRuntime.make(configuration, logger: logger)
}

/// `signed` as the pipeline receives it, and its answer, which must be 200 (the request is sent once).
/// Signed once, now: the verifier's 15-minute window is far longer than a run.
private func checked(_ runtime: NimbusRuntime, _ signed: SignableRequest, body: String) async throws -> (request: WireRequest, answer: String) {
    try await checked(runtime, signed, body: Array(body.utf8))
}

private func checked(_ runtime: NimbusRuntime, _ signed: SignableRequest, body: [UInt8]) async throws -> (request: WireRequest, answer: String) {
    let request = WireRequest(
        method: signed.method,
        path: signed.path,
        query: signed.query,
        headers: signed.headers,
        host: "127.0.0.1:4566",
        body: body
    )
    let response = await runtime.respond(to: request)
    let answer = String(decoding: response.body, as: UTF8.self)
    guard response.status == 200 else { throw SetupFailure(description: "\(body) answered \(response.status): \(answer)") }
    return (request, answer)
}

/// As root: the user `bench`, three customer managed policies of 10 statements attached to it (only the
/// last statement of the last one allows `iam:GetUser`), and an access key for it.
private func setUpBenchUser(_ runtime: NimbusRuntime) async throws -> (id: String, secret: String) {
    func iam(_ action: String, _ parameters: [(String, String)]) async throws -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = ([("Action", action), ("Version", "2010-05-08")] + parameters)
            .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return try await checked(runtime, signedQuery(service: "iam", body: body, at: Date()), body: body).answer
    }
    _ = try await iam("CreateUser", [("UserName", benchUserName)])
    let user = "arn:aws:iam::\(exampleAccount):user/\(benchUserName)"
    for index in 0..<3 {
        let document = tenStatementPolicy(service: "iam", account: exampleAccount, index: index, lastAllows: index == 2 ? ("iam:GetUser", user) : nil)
        let created = try await iam("CreatePolicy", [("PolicyName", "bench-\(index)"), ("PolicyDocument", document)])
        guard let arn = xmlElement("Arn", in: created) else { throw SetupFailure(description: "CreatePolicy: \(created)") }
        _ = try await iam("AttachUserPolicy", [("UserName", benchUserName), ("PolicyArn", arn)])
    }
    let key = try await iam("CreateAccessKey", [("UserName", benchUserName)])
    guard let id = xmlElement("AccessKeyId", in: key), let secret = xmlElement("SecretAccessKey", in: key) else {
        throw SetupFailure(description: "CreateAccessKey: \(key)")
    }
    return (id, secret)
}

private func xmlElement(_ name: String, in xml: String) -> String? {
    guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else { return nil }
    return String(xml[start.upperBound..<end.lowerBound])
}
