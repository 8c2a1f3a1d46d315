//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import NimbusAuth

/// What to run: `nimbus bench`'s flags.
public struct BenchOptions: Sendable {
    public var endpoint: String
    public var scenario: Scenario
    public var concurrency: Int
    public var duration: Duration
    public var warmup: Duration
    public var size: Int
    public var region: String
    public var serverPID: Int32?
    /// Small requests to `http://` endpoints through ``LeanHTTPClient`` rather than AsyncHTTPClient.
    public var leanClient: Bool

    public init(
        endpoint: String,
        scenario: Scenario,
        concurrency: Int = 16,
        duration: Duration = .seconds(10),
        warmup: Duration = .seconds(2),
        size: Int = 4096,
        region: String = "us-east-1",
        serverPID: Int32? = nil,
        leanClient: Bool = true
    ) {
        self.endpoint = endpoint
        self.scenario = scenario
        self.concurrency = concurrency
        self.duration = duration
        self.warmup = warmup
        self.size = size
        self.region = region
        self.serverPID = serverPID
        self.leanClient = leanClient
    }
}

/// Drives one scenario against one endpoint with `concurrency` workers, each with its own connection.
///
/// Order: setup requests, one probe request (any failure there ends the run with the endpoint's own
/// error), warmup (not measured), then the measured window. Every request is signed anew with SigV4.
public enum BenchRunner {
    public static func run(
        _ options: BenchOptions,
        credentials: BenchCredentials,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> BenchResult {
        let target = try Endpoint(options.endpoint)
        let context = options.scenario.context(size: options.size)
        let signing = Exchange.Signing(credentials: credentials, region: options.region, service: options.scenario.service, flavor: options.scenario.flavor)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(2), read: .seconds(30))
        )
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        // Requests beyond the limit wait for a connection: leave room for a multipart scenario's parts in
        // flight and for setups that seed objects 16 at a time. Only `concurrency` workers send when measuring.
        let perWorker = options.scenario.partSize == nil ? 1 : Scenario.largePartConcurrency
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: Swift.max(options.concurrency * perWorker, 16)
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let lean = options.leanClient ? target.plain.map { LeanHTTPClient(host: $0.host, port: $0.port) } : nil
        do {
            let result = try await run(options, target: target, context: context, signing: signing, client: client, lean: lean, log: log)
            await lean?.shutdown()
            try await client.shutdown()
            return result
        } catch {
            await lean?.shutdown()
            try? await client.shutdown()
            throw error
        }
    }

    private static func run(
        _ options: BenchOptions,
        target: Endpoint,
        context setupContext: ScenarioContext,
        signing: Exchange.Signing,
        client: HTTPClient,
        lean: LeanHTTPClient?,
        log: @escaping @Sendable (String) -> Void
    ) async throws -> BenchResult {
        let scenario = options.scenario
        let exchange = Exchange(target: target, signing: signing, client: client, lean: lean)

        // Setup and probe: the first answers tell whether the endpoint is there and speaks this service.
        let setup = scenario.setup(setupContext)
        if !setup.isEmpty { log("setup: \(setup.count) request(s)") }
        for request in setup {
            let outcome = await exchange.perform(request)
            if case .failure(let failure) = outcome, !scenario.toleratedSetupErrors.contains(failure.code) {
                throw failure.benchError(scenario: scenario, endpoint: target.description, during: "setup")
            }
        }
        let context: ScenarioContext
        do throws(BenchFailure) {
            context = try await scenario.prepare(setupContext, exchange)
        } catch {
            throw error.benchError(scenario: scenario, endpoint: target.description, during: "setup")
        }
        if case .failure(let failure) = await scenario.run(context, worker: 0, iteration: 0, over: exchange) {
            throw failure.benchError(scenario: scenario, endpoint: target.description, during: "the first request")
        }

        let sampler = options.serverPID.map(ProcessSampler.init(pid:))
        let rssBefore = sampler?.residentKiB()
        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + options.warmup
        let end = measureFrom + options.duration
        log("warmup \(options.warmup), then measuring for \(options.duration) with \(options.concurrency) connections")

        let samplerTask: Task<(cpu: Double?, peakKiB: Int?), Never>? = sampler.map { sampler in
            Task {
                try? await Task.sleep(until: measureFrom, clock: clock)
                let cpuStart = sampler.cpuSeconds()
                let wallStart = clock.now
                var peakKiB = sampler.residentKiB()
                while clock.now < end {
                    try? await Task.sleep(for: .milliseconds(100))
                    if let rss = sampler.residentKiB() { peakKiB = Swift.max(peakKiB ?? 0, rss) }
                }
                let wall = clock.now - wallStart
                let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
                guard let cpuStart, let cpuEnd = sampler.cpuSeconds(), seconds > 0 else { return (nil, peakKiB) }
                return ((cpuEnd - cpuStart) / seconds * 100, peakKiB)
            }
        }

        let stats = try await withThrowingTaskGroup(of: WorkerStats.self) { group in
            for worker in 0..<options.concurrency {
                group.addTask {
                    var stats = WorkerStats()
                    var iteration = 0
                    var consecutiveTransportErrors = 0
                    while true {
                        let began = clock.now
                        if began >= end { break }
                        let outcome = await scenario.run(context, worker: worker, iteration: iteration, over: exchange)
                        iteration += 1
                        let finished = clock.now
                        guard began >= measureFrom else { continue }
                        stats.record(outcome, latency: finished - began)
                        stats.span(began - start, finished - start)
                        if case .failure(let failure) = outcome, failure.isTransport {
                            consecutiveTransportErrors += 1
                            // The server went away: stop rather than spin on refused connections.
                            if consecutiveTransportErrors >= 20 { break }
                        } else {
                            consecutiveTransportErrors = 0
                        }
                    }
                    return stats
                }
            }
            var total = WorkerStats()
            for try await stats in group { total.merge(stats) }
            return total
        }
        let server = await samplerTask?.value
        let rssAfter = sampler?.residentKiB()

        // Requests that start in the window are all counted, to their end: for multi-second operations (a
        // 1 GiB upload) the window is stretched to the last one's end so that throughput is not inflated.
        let window = Swift.max(options.duration, (stats.lastFinish ?? .zero) - (stats.firstBegin ?? .zero))
        let seconds = Self.seconds(window)
        return BenchResult(
            scenario: scenario.name,
            endpoint: target.description,
            concurrency: options.concurrency,
            durationSeconds: seconds,
            warmupSeconds: Self.seconds(options.warmup),
            size: scenario.usesSize ? options.size : nil,
            requests: stats.succeeded + stats.failed,
            succeeded: stats.succeeded,
            failed: stats.failed,
            requestsPerSecond: Double(stats.succeeded) / seconds,
            megabytesPerSecond: Double(stats.bytes) / seconds / 1_000_000,
            latencyMicroseconds: .init(stats.histogram),
            errors: stats.errors,
            server: sampler.map { sampler in
                .init(
                    pid: sampler.pid,
                    rssBeforeKiB: rssBefore,
                    rssPeakKiB: server?.peakKiB,
                    rssAfterKiB: rssAfter,
                    cpuPercent: server?.cpu
                )
            }
        )
    }
}

extension BenchRunner {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The endpoint URL taken apart: what the client connects to and what the `Host` header says.
struct Endpoint: Sendable, CustomStringConvertible {
    let base: String
    let host: String

    init(_ string: String) throws(BenchError) {
        guard let url = URLComponents(string: string), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let hostname = url.host, !hostname.isEmpty
        else {
            throw BenchError("--endpoint must be an http:// or https:// URL, e.g. http://127.0.0.1:4566 (got '\(string)').")
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let authority = url.port.map { $0 == defaultPort ? hostname : "\(hostname):\($0)" } ?? hostname
        self.base = "\(scheme)://\(authority)"
        self.host = authority
        self.plain = scheme == "http" ? (hostname, url.port ?? defaultPort) : nil
    }

    /// Where to connect for `http://`; nil for `https://`.
    let plain: (host: String, port: Int)?

    var description: String { base }
}

/// One request/response exchange: sign, send, drain the body, classify the answer.
struct Exchange: BenchTransport {
    /// Who signs, for which region and service; a request may name another service or other credentials.
    struct Signing: Sendable {
        var credentials: BenchCredentials
        var region: String
        var service: String
        var flavor: SigningFlavor

        func signer(for request: BenchRequest) -> SigV4Signer {
            let credentials = request.credentials ?? self.credentials
            let service = request.service ?? self.service
            return SigV4Signer(
                accessKeyID: credentials.accessKeyID,
                secretAccessKey: credentials.secretAccessKey,
                sessionToken: credentials.sessionToken,
                region: region,
                service: service,
                flavor: request.service == nil ? flavor : (service == "s3" ? .s3 : .standard)
            )
        }
    }

    let target: Endpoint
    let signing: Signing
    let client: HTTPClient
    /// For `http://` endpoints: requests with bodies up to `leanBodyLimit` go through it.
    let lean: LeanHTTPClient?
    /// The run's signer, made once; requests that override service or credentials get their own.
    private let signer: SigV4Signer

    /// Larger bodies (multipart parts, large PUTs) go through AsyncHTTPClient, which streams them from
    /// the scenario's bytes; the lean client copies a body into one buffer.
    static let leanBodyLimit = 1 << 20

    init(target: Endpoint, signing: Signing, client: HTTPClient, lean: LeanHTTPClient? = nil) {
        self.target = target
        self.signing = signing
        self.client = client
        self.lean = lean
        self.signer = signing.signer(for: BenchRequest(method: "GET", path: "/"))
    }

    /// The request as signed: every header to send, `Host` and `Authorization` included.
    static func signed(_ request: BenchRequest, host: String, signer: SigV4Signer, at date: Date) -> SignableRequest {
        var signable = SignableRequest(
            method: request.method,
            path: request.path,
            query: request.query,
            headers: [("Host", host)] + request.headers,
            bodySHA256: nil
        )
        if case .body = request.payload {
            signable.bodySHA256 = request.bodySHA256 ?? (request.body.isEmpty ? nil : SigV4Crypto.sha256Hex(bytes: request.body))
        }
        return signer.signed(signable, at: date, payload: request.payload)
    }

    func perform(_ request: BenchRequest) async -> Result<BenchResponse, BenchFailure> {
        let signer = request.service == nil && request.credentials == nil ? self.signer : signing.signer(for: request)
        let signed = Self.signed(request, host: target.host, signer: signer, at: Date())
        if let lean, request.body.count <= Self.leanBodyLimit {
            return await perform(request, signed: signed, over: lean)
        }

        var http = HTTPClientRequest(url: target.base + request.pathAndQuery)
        http.method = HTTPMethod(rawValue: request.method)
        for (name, value) in signed.headers { http.headers.add(name: name, value: value) }
        if request.sendsBody {
            http.body = .bytes(request.body)
        }
        do {
            let response = try await client.execute(http, timeout: .seconds(60))
            let status = Int(response.status.code)
            if status < 300 {
                var bytes = 0
                var body: [UInt8] = []
                for try await chunk in response.body {
                    bytes += chunk.readableBytes
                    if request.keepsResponseBody && body.count < 1 << 20 { body.append(contentsOf: chunk.readableBytesView) }
                }
                let headers = response.headers.map { (name: $0.name, value: $0.value) }
                return .success(BenchResponse(status: status, headers: headers, body: body, bytes: bytes + request.body.count))
            }
            let body = try await response.body.collect(upTo: 1 << 20)
            return .failure(ErrorCode.failure(status: status, headers: response.headers, body: String(buffer: body)))
        } catch {
            return .failure(Self.transportFailure(error))
        }
    }

    private func perform(_ request: BenchRequest, signed: SignableRequest, over lean: LeanHTTPClient) async -> Result<BenchResponse, BenchFailure> {
        var headers = HTTPHeaders()
        headers.reserveCapacity(signed.headers.count + 1)
        for (name, value) in signed.headers { headers.add(name: name, value: value) }
        if request.sendsBody { headers.add(name: "Content-Length", value: String(request.body.count)) }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.pathAndQuery, headers: headers)
        do {
            let body = request.sendsBody ? ByteBuffer(bytes: request.body) : nil
            let response = try await lean.execute(head, body: body, keepBody: request.keepsResponseBody)
            guard response.status < 300 else {
                return .failure(ErrorCode.failure(status: response.status, headers: response.headers, body: String(buffer: response.body)))
            }
            return .success(
                BenchResponse(
                    status: response.status,
                    headers: response.headers.map { (name: $0.name, value: $0.value) },
                    body: request.keepsResponseBody ? Array(response.body.readableBytesView) : [],
                    bytes: response.bodyBytes + request.body.count
                )
            )
        } catch {
            return .failure(Self.transportFailure(error))
        }
    }

    /// Nothing (or nothing whole) came back.
    private static func transportFailure(_ error: any Error) -> BenchFailure {
        BenchFailure(code: "transport: \(describe(error))", message: describe(error), status: nil)
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") { return "connection refused" }
        if text.contains("readTimeout") || text.contains("deadlineExceeded") { return "no answer within the timeout" }
        if text.contains("remoteConnectionClosed") { return "the server closed the connection" }
        return text
    }
}

extension BenchRequest {
    /// The request target: the path and, when there is one, the query.
    var pathAndQuery: String { query.isEmpty ? path : path + "?" + query }

    /// Whether a body (perhaps empty, with `Content-Length: 0`) goes with the request, as SDKs send one.
    var sendsBody: Bool { !body.isEmpty || method == "PUT" || method == "POST" }
}

/// Pulls AWS's error code out of an error response, whatever the protocol.
enum ErrorCode {
    /// An error answer as a failure: its code (`HTTP <status>` when it names none) and message.
    static func failure(status: Int, headers: HTTPHeaders, body: String) -> BenchFailure {
        let code = extract(headerType: headers.first(name: "x-amzn-errortype"), body: body) ?? "HTTP \(status)"
        return BenchFailure(code: code, message: message(in: body) ?? "", status: status)
    }

    /// `x-amzn-errortype` (`Code:http://…`), JSON `__type` (`ns#Code`), or the first XML `<Code>`.
    static func extract(headerType: String?, body: String) -> String? {
        if let header = headerType, let code = header.split(separator: ":").first, !code.isEmpty { return String(code) }
        if let type = value(after: "\"__type\"", in: body) {
            return String(type.split(separator: "#").last ?? Substring(type))
        }
        return element("Code", in: body)
    }

    static func message(in body: String) -> String? {
        element("Message", in: body) ?? value(after: "\"message\"", in: body) ?? value(after: "\"Message\"", in: body)
    }

    private static func element(_ name: String, in body: String) -> String? {
        guard let open = body.range(of: "<\(name)>"), let close = body.range(of: "</\(name)>", range: open.upperBound..<body.endIndex) else {
            return nil
        }
        return String(body[open.upperBound..<close.lowerBound])
    }

    /// The string value after `"key"` and a colon in a JSON object, without a JSON parser.
    private static func value(after key: String, in body: String) -> String? {
        guard let keyRange = body.range(of: key) else { return nil }
        var rest = body[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { return nil }
        rest = rest.dropFirst()
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

/// One worker's tally; merged at the end so workers never contend.
struct WorkerStats: Sendable {
    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var succeeded = 0
    var failed = 0
    var bytes = 0
    var errors: [String: Int] = [:]

    /// Earliest start and latest end of the measured requests, from the run's start.
    var firstBegin: Duration?
    var lastFinish: Duration?

    mutating func span(_ began: Duration, _ finished: Duration) {
        firstBegin = Swift.min(firstBegin ?? began, began)
        lastFinish = Swift.max(lastFinish ?? finished, finished)
    }

    mutating func record(_ outcome: Result<Int, BenchFailure>, latency: Duration) {
        let micros = latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000
        _ = histogram.record(UInt64(Swift.max(1, Swift.min(micros, 60_000_000))))
        switch outcome {
        case .success(let moved):
            succeeded += 1
            bytes += moved
        case .failure(let failure):
            failed += 1
            errors[failure.code, default: 0] += 1
        }
    }

    mutating func merge(_ other: WorkerStats) {
        histogram.add(other.histogram)
        succeeded += other.succeeded
        failed += other.failed
        bytes += other.bytes
        errors.merge(other.errors, uniquingKeysWith: +)
        if let begin = other.firstBegin, let finish = other.lastFinish { span(begin, finish) }
    }
}
