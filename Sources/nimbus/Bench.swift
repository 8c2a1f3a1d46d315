//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import NimbusBench

/// `nimbus bench`: the flags, then `BenchRunner` does the work.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an AWS endpoint with SigV4-signed requests (Nimbus, moto, ministack, LocalStack, AWS).",
        discussion: """
            Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], else AWS_PROFILE in \
            AWS_SHARED_CREDENTIALS_FILE. Exits 3 when any measured request failed.
            Scenarios: \(Scenario.names.joined(separator: ", ")).
            """
    )

    @Option(help: "Base URL of the endpoint.")
    var endpoint = "http://127.0.0.1:4566"
    @Option(help: "Scenario to run (--list-scenarios shows them).")
    var scenario = "sts-caller-identity"
    @Option(help: "Concurrent connections, each with one request in flight.")
    var concurrency = 16
    @Option(help: "Measured seconds.")
    var duration: Double = 10
    @Option(help: "Seconds of unmeasured load before measuring.")
    var warmup: Double = 2
    @Option(help: "Object size for S3 scenarios: 4096, 4KiB, 1MiB, …")
    var size = "4KiB"
    @Option(help: "Signing region (default AWS_REGION, AWS_DEFAULT_REGION, else us-east-1).")
    var region: String?
    @Option(help: "Sample this process's RSS and CPU from /proc while measuring.")
    var serverPid: Int32?
    @Option(help: "HTTP client for http:// endpoints: lean (NIO's codec alone, the default) or async-http-client.")
    var httpClient = "lean"
    @Flag(help: "Print the result as JSON.")
    var json = false
    @Flag(help: "List the scenarios and exit.")
    var listScenarios = false

    func validate() throws {
        guard concurrency >= 1, concurrency <= 4096 else { throw ValidationError("--concurrency must be 1…4096.") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be > 0 seconds.") }
        guard warmup >= 0, warmup <= 3_600 else { throw ValidationError("--warmup must be ≥ 0 seconds.") }
        guard ByteSize.parse(size) != nil else { throw ValidationError("--size must be a byte count such as 4096, 4KiB or 1MiB.") }
        guard ["lean", "async-http-client"].contains(httpClient) else { throw ValidationError("--http-client must be lean or async-http-client.") }
    }

    func run() async throws {
        if listScenarios {
            for scenario in Scenario.all { print("\(scenario.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(scenario.summary)") }
            return
        }
        guard let chosen = Scenario.named(scenario) else {
            throw ValidationError("Unknown scenario '\(scenario)'. Known: \(Scenario.all.map(\.name).joined(separator: ", ")).")
        }
        let env = ProcessInfo.processInfo.environment
        let options = BenchOptions(
            endpoint: endpoint,
            scenario: chosen,
            concurrency: concurrency,
            duration: .milliseconds(Int64(duration * 1000)),
            warmup: .milliseconds(Int64(warmup * 1000)),
            size: ByteSize.parse(size) ?? 4096,
            region: region ?? env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? "us-east-1",
            serverPID: serverPid,
            leanClient: httpClient == "lean"
        )
        let result: BenchResult
        do {
            let credentials = try BenchCredentials.resolve(environment: env)
            let quiet = json
            result = try await BenchRunner.run(options, credentials: credentials) { line in
                if !quiet { FileHandle.standardError.write(Data("bench: \(line)\n".utf8)) }
            }
        } catch let error as BenchError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.rendered())
        }
        if result.failed > 0 {
            FileHandle.standardError.write(Data("error: \(result.failed) of \(result.requests) requests failed (\(result.errors.count) distinct codes).\n".utf8))
            throw ExitCode(3)
        }
    }
}
