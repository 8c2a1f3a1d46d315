//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusAuth

/// One HTTP request of a scenario, before signing.
public struct BenchRequest: Sendable {
    public var method: String
    /// Path as sent (already percent-encoded), without the query.
    public var path: String
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// What the signature says about the body.
    public var payload: SigV4Signer.Payload
    /// For `.body`: the body's hex SHA-256, so that it is hashed once per run rather than per request.
    public var bodySHA256: String?

    public init(
        method: String,
        path: String,
        query: String = "",
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        payload: SigV4Signer.Payload = .body,
        bodySHA256: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.payload = payload
        self.bodySHA256 = bodySHA256
    }
}

/// What every request of a run shares: the object size, the bucket, the body bytes and their hash.
public struct ScenarioContext: Sendable {
    public let size: Int
    public let bucket: String
    /// How many distinct keys PUTs cycle through and GETs read.
    public let keyCount: Int
    public let body: [UInt8]
    public let bodySHA256: String

    public init(size: Int, bucket: String = "nimbus-bench", keyCount: Int = 64) {
        self.size = size
        self.bucket = bucket
        self.keyCount = keyCount
        // Not all zeros, so that no layer can shortcut a run of identical bytes.
        self.body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        self.bodySHA256 = SigV4Crypto.sha256Hex(bytes: body)
    }

    /// `bench/object-N`, or `bench/wW/object-N` for worker W's own keys.
    public func key(_ index: Int, worker: Int? = nil) -> String {
        if let worker { return "bench/w\(worker)/object-\(index % keyCount)" }
        return "bench/object-\(index % keyCount)"
    }
}

/// A named workload: which service it signs for, what it prepares once, and the request it repeats.
///
/// New services add a row to `Scenario.all`; `nimbus bench` and `Benchmarks/compare` pick it up by name.
public struct Scenario: Sendable {
    public let name: String
    public let summary: String
    /// The SigV4 signing name (`sts`, `s3`, …), which is also how the endpoint identifies the service.
    public let service: String
    public let flavor: SigningFlavor
    /// Whether `--size` means anything for this scenario (it moves bytes).
    public let usesSize: Bool
    /// Requests run once, in order, before the probe: create a bucket, seed objects.
    public let setup: @Sendable (ScenarioContext) -> [BenchRequest]
    /// Error codes a setup request may answer without failing the run (e.g. `BucketAlreadyOwnedByYou`).
    public let toleratedSetupErrors: Set<String>
    /// The request for a worker's `iteration`. Workers write disjoint keys, so that no two requests in
    /// flight overwrite the same object (moto answers 500 to that).
    public let request: @Sendable (ScenarioContext, _ worker: Int, _ iteration: Int) -> BenchRequest

    public init(
        name: String,
        summary: String,
        service: String,
        flavor: SigningFlavor = .standard,
        usesSize: Bool = false,
        setup: @escaping @Sendable (ScenarioContext) -> [BenchRequest] = { _ in [] },
        toleratedSetupErrors: Set<String> = [],
        request: @escaping @Sendable (ScenarioContext, _ worker: Int, _ iteration: Int) -> BenchRequest
    ) {
        self.name = name
        self.summary = summary
        self.service = service
        self.flavor = flavor
        self.usesSize = usesSize
        self.setup = setup
        self.toleratedSetupErrors = toleratedSetupErrors
        self.request = request
    }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// Every scenario, in the order `--list-scenarios` and the comparison print them.
    public static let all: [Scenario] = [stsCallerIdentity, cloudTrailLookup, s3Put, s3Get]

    // MARK: STS (query protocol)

    static let stsCallerIdentity = Scenario(
        name: "sts-caller-identity",
        summary: "STS GetCallerIdentity (query protocol, signed body)",
        service: "sts"
    ) { _, _, _ in
        BenchRequest(
            method: "POST",
            path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)
        )
    }

    // MARK: CloudTrail (json 1.1)

    static let cloudTrailLookup = Scenario(
        name: "cloudtrail-lookup-events",
        summary: "CloudTrail LookupEvents, 10 newest events (json 1.1)",
        service: "cloudtrail"
    ) { _, _, _ in
        BenchRequest(
            method: "POST",
            path: "/",
            headers: [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
            ],
            body: Array(#"{"MaxResults":10}"#.utf8)
        )
    }

    // MARK: S3 (rest-xml), path-style on a bucket created by the setup

    static func createBucket(_ context: ScenarioContext) -> BenchRequest {
        BenchRequest(method: "PUT", path: "/\(context.bucket)", payload: .body)
    }

    static let s3Put = Scenario(
        name: "s3-put",
        summary: "S3 PutObject of --size bytes, body hash signed, 64 keys per connection",
        service: "s3",
        flavor: .s3,
        usesSize: true,
        setup: { [createBucket($0)] },
        toleratedSetupErrors: ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"]
    ) { context, worker, iteration in
        BenchRequest(
            method: "PUT",
            path: "/\(context.bucket)/\(context.key(iteration, worker: worker))",
            headers: [("Content-Type", "application/octet-stream")],
            body: context.body,
            payload: .sha256(context.bodySHA256)
        )
    }

    static let s3Get = Scenario(
        name: "s3-get",
        summary: "S3 GetObject of --size bytes (UNSIGNED-PAYLOAD), over 64 keys put by the setup",
        service: "s3",
        flavor: .s3,
        usesSize: true,
        setup: { context in
            [createBucket(context)]
                + (0..<context.keyCount).map {
                    BenchRequest(
                        method: "PUT",
                        path: "/\(context.bucket)/\(context.key($0))",
                        body: context.body,
                        payload: .sha256(context.bodySHA256)
                    )
                }
        },
        toleratedSetupErrors: ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"]
    ) { context, worker, iteration in
        BenchRequest(method: "GET", path: "/\(context.bucket)/\(context.key(worker &+ iteration))", payload: .unsigned)
    }
}
