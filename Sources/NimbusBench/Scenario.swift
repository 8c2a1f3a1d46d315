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
    /// Signs for this service instead of the scenario's (IAM calls in an S3 scenario's setup).
    public var service: String?
    /// Signs with these credentials instead of the run's (the IAM user a setup created).
    public var credentials: BenchCredentials?
    /// Keep the response body (up to 1 MiB) so that a step can read ids out of it; otherwise it is only counted.
    public var keepsResponseBody: Bool

    public init(
        method: String,
        path: String,
        query: String = "",
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        payload: SigV4Signer.Payload = .body,
        bodySHA256: String? = nil,
        service: String? = nil,
        credentials: BenchCredentials? = nil,
        keepsResponseBody: Bool = false
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.payload = payload
        self.bodySHA256 = bodySHA256
        self.service = service
        self.credentials = credentials
        self.keepsResponseBody = keepsResponseBody
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? { Self.value(of: name, in: headers) }

    static func value(of name: String, in headers: [(name: String, value: String)]) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// What every request of a run shares: the object size, the bucket, the body bytes and their hash, and
/// whatever the scenario's setup learnt from the endpoint (a key id, a user's access key).
public struct ScenarioContext: Sendable {
    public let size: Int
    public let bucket: String
    /// How many distinct keys PUTs cycle through and GETs read.
    public let keyCount: Int
    /// Multipart scenarios: bytes per part (the last part may be shorter). Nil for single-request bodies.
    public let partSize: Int?
    /// The request body: `size` bytes, or one part of `partSize` bytes for multipart scenarios.
    public let body: [UInt8]
    public let bodySHA256: String
    /// Multipart: the last part, when shorter than `partSize` (else equal to `body`).
    public let lastPart: [UInt8]
    public let lastPartSHA256: String
    /// Learnt by `Scenario.prepare` (ids, keys), read by the measured requests.
    public var values: [String: String] = [:]
    /// Credentials the setup created for the measured requests (`iam-authorized-get`).
    public var credentials: BenchCredentials?

    public init(size: Int, bucket: String = "nimbus-bench", keyCount: Int = 64, partSize: Int? = nil) {
        self.size = size
        self.bucket = bucket
        self.keyCount = keyCount
        self.partSize = partSize
        let bodySize = partSize.map { Swift.min($0, size) } ?? size
        // Not all zeros, so that no layer can shortcut a run of identical bytes.
        self.body = (0..<bodySize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        self.bodySHA256 = SigV4Crypto.sha256Hex(bytes: body)
        if let partSize, partSize > 0, size > partSize, size % partSize != 0 {
            self.lastPart = Array(body.prefix(size % partSize))
            self.lastPartSHA256 = SigV4Crypto.sha256Hex(bytes: lastPart)
        } else {
            self.lastPart = body
            self.lastPartSHA256 = bodySHA256
        }
    }

    /// `bench/object-N`, or `bench/wW/object-N` for worker W's own keys.
    public func key(_ index: Int, worker: Int? = nil) -> String {
        if let worker { return "bench/w\(worker)/object-\(index % keyCount)" }
        return "bench/object-\(index % keyCount)"
    }

    /// Multipart: how many parts `size` bytes make (at least one).
    public var partCount: Int {
        guard let partSize, partSize > 0, size > partSize else { return 1 }
        return (size + partSize - 1) / partSize
    }

    /// Multipart: the byte range of part `number` (1-based) within the object.
    public func partRange(_ number: Int) -> ClosedRange<Int> {
        let partSize = self.partSize ?? size
        let start = (number - 1) * partSize
        return start...(Swift.min(start + partSize, size) - 1)
    }
}

/// Sends one request of a scenario and tells what came back; the runner's HTTP client, or a fake in tests.
public protocol BenchTransport: Sendable {
    func perform(_ request: BenchRequest) async -> Result<BenchResponse, BenchFailure>
}

/// A successful (2xx) answer.
public struct BenchResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// The body, when the request asked to keep it (`keepsResponseBody`); empty otherwise.
    public var body: [UInt8]
    /// Body bytes sent plus received.
    public var bytes: Int

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8] = [], bytes: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytes = bytes
    }

    public func header(_ name: String) -> String? { BenchRequest.value(of: name, in: headers) }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A failed answer: the AWS error code, `HTTP <status>` when the body had none, or `transport: …`.
public struct BenchFailure: Error, Sendable {
    public var code: String
    public var message: String
    /// Nil when nothing came back.
    public var status: Int?
    public var isTransport: Bool { status == nil }

    public init(code: String, message: String, status: Int?) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// An answer a scenario's step could not use (no upload id, no key id).
    static func unexpected(_ what: String, in response: BenchResponse) -> BenchFailure {
        BenchFailure(code: "UnexpectedResponse", message: "\(what) missing in: \(response.text.prefix(300))", status: response.status)
    }

    func benchError(scenario: Scenario, endpoint: String, during phase: String) -> BenchError {
        if code == "NotImplemented" || status == 501 {
            return BenchError("Scenario \(scenario.name) is not available on this endpoint yet: \(endpoint) answered NotImplemented (\(scenario.service)).")
        }
        if isTransport {
            return BenchError("Cannot reach \(endpoint): \(message). Is the server running there?")
        }
        let detail = message.isEmpty ? "" : ": \(message)"
        return BenchError("\(endpoint) refused \(phase) of \(scenario.name) with \(code) (HTTP \(status ?? 0))\(detail)")
    }
}

/// A named workload: which service it signs for, what it prepares once, and what it repeats.
///
/// New services add a row to `Scenario.all` and its name to `Scenario.names`; `nimbus bench` and `Benchmarks/compare`
/// pick it up by name.
public struct Scenario: Sendable {
    /// What a worker repeats and the runner times.
    public enum Workload: Sendable {
        /// One request per measurement.
        case request(@Sendable (ScenarioContext, _ worker: Int, _ iteration: Int) -> BenchRequest)
        /// Several requests per measurement (a multipart upload); returns the bytes moved.
        case operation(@Sendable (ScenarioContext, _ worker: Int, _ iteration: Int, any BenchTransport) async -> Result<Int, BenchFailure>)
    }

    public let name: String
    public let summary: String
    /// The SigV4 signing name (`sts`, `s3`, …), which is also how the endpoint identifies the service.
    public let service: String
    public let flavor: SigningFlavor
    /// Whether `--size` means anything for this scenario (it moves bytes).
    public let usesSize: Bool
    /// Multipart scenarios: the part size; `--size` is then the whole object.
    public let partSize: Int?
    /// Requests run once, in order, before the probe: create a bucket, seed objects.
    public let setup: @Sendable (ScenarioContext) -> [BenchRequest]
    /// Error codes a setup request may answer without failing the run (e.g. `BucketAlreadyOwnedByYou`).
    public let toleratedSetupErrors: Set<String>
    /// After `setup`: steps that read the answers (create a KMS key, an IAM user and its access key, seed
    /// 10,000 objects concurrently) and return the context the measured requests use.
    public let prepare: @Sendable (ScenarioContext, any BenchTransport) async throws(BenchFailure) -> ScenarioContext
    /// What a worker repeats. Workers write disjoint keys, so that no two requests in flight overwrite the
    /// same object (moto answers 500 to that).
    public let workload: Workload

    public init(
        name: String,
        summary: String,
        service: String,
        flavor: SigningFlavor = .standard,
        usesSize: Bool = false,
        partSize: Int? = nil,
        setup: @escaping @Sendable (ScenarioContext) -> [BenchRequest] = { _ in [] },
        toleratedSetupErrors: Set<String> = [],
        prepare: @escaping @Sendable (ScenarioContext, any BenchTransport) async throws(BenchFailure) -> ScenarioContext = { context, _ in context },
        workload: Workload
    ) {
        self.name = name
        self.summary = summary
        self.service = service
        self.flavor = flavor
        self.usesSize = usesSize
        self.partSize = partSize
        self.setup = setup
        self.toleratedSetupErrors = toleratedSetupErrors
        self.prepare = prepare
        self.workload = workload
    }

    /// A scenario that repeats one request.
    public init(
        name: String,
        summary: String,
        service: String,
        flavor: SigningFlavor = .standard,
        usesSize: Bool = false,
        setup: @escaping @Sendable (ScenarioContext) -> [BenchRequest] = { _ in [] },
        toleratedSetupErrors: Set<String> = [],
        prepare: @escaping @Sendable (ScenarioContext, any BenchTransport) async throws(BenchFailure) -> ScenarioContext = { context, _ in context },
        request: @escaping @Sendable (ScenarioContext, _ worker: Int, _ iteration: Int) -> BenchRequest
    ) {
        self.init(
            name: name, summary: summary, service: service, flavor: flavor, usesSize: usesSize, setup: setup,
            toleratedSetupErrors: toleratedSetupErrors, prepare: prepare, workload: .request(request)
        )
    }

    /// The context a run with `--size size` starts from.
    public func context(size: Int) -> ScenarioContext {
        ScenarioContext(size: usesSize ? size : 0, partSize: partSize)
    }

    /// The single request a `.request` scenario repeats (nil for multi-request operations).
    public func request(_ context: ScenarioContext, _ worker: Int, _ iteration: Int) -> BenchRequest? {
        if case .request(let make) = workload { return make(context, worker, iteration) }
        return nil
    }

    /// One measured unit: a request, or a whole operation; the bytes moved, or why it failed.
    public func run(_ context: ScenarioContext, worker: Int, iteration: Int, over transport: any BenchTransport) async -> Result<Int, BenchFailure> {
        switch workload {
        case .request(let make):
            return await transport.perform(make(context, worker, iteration)).map(\.bytes)
        case .operation(let operation):
            return await operation(context, worker, iteration, transport)
        }
    }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// Every scenario, in the order `--list-scenarios` and the comparison print them.
    public static let all: [Scenario] = [
        stsCallerIdentity, cloudTrailLookup, s3Put, s3Get, s3List, s3PutLarge, s3GetLarge, iamAuthorizedGet, kmsEncrypt, kmsDecrypt,
    ]

    /// The names of ``all``, in its order, without making the scenarios: `nimbus serve` parses its arguments with
    /// every subcommand's help, and `bench`'s lists these (making every scenario was 1 % of a start).
    public static let names = [
        "sts-caller-identity", "cloudtrail-lookup-events", "s3-put", "s3-get", "s3-list", "s3-put-large", "s3-get-large",
        "iam-authorized-get", "kms-encrypt", "kms-decrypt",
    ]

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
        jsonRequest(target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", body: #"{"MaxResults":10}"#)
    }

    /// A JSON 1.1 call (`X-Amz-Target`), as CloudTrail and KMS take them.
    static func jsonRequest(target: String, body: String, keepsResponseBody: Bool = false, service: String? = nil) -> BenchRequest {
        BenchRequest(
            method: "POST",
            path: "/",
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target)],
            body: Array(body.utf8),
            service: service,
            keepsResponseBody: keepsResponseBody
        )
    }

    /// Runs `body(0..<count)` with at most `width` in flight; the first failure ends it.
    static func concurrently(
        _ count: Int,
        width: Int,
        _ body: @escaping @Sendable (Int) async -> Result<Void, BenchFailure>
    ) async throws(BenchFailure) {
        let failure: BenchFailure? = await withTaskGroup(of: BenchFailure?.self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask {
                    if case .failure(let failure) = await body(index) { return failure }
                    return nil
                }
            }
            while next < Swift.min(width, count) { start() }
            var failure: BenchFailure?
            while let result = await group.next() {
                if let result, failure == nil { failure = result }
                if failure == nil, next < count { start() }
            }
            return failure
        }
        if let failure { throw failure }
    }
}
