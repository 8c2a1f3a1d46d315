//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import Foundation
import Logging
import NimbusAuth
import NimbusServer
import NimbusWire

/// Issue 2's "pipeline overhead ≤ 20 µs p50": a signed GetCallerIdentity through the whole pipeline
/// (identify, SigV4, decode, authorize, handle, encode, CloudTrail event, metrics) without a socket,
/// on `--ephemeral` state with authentication strict, as `nimbus serve` runs it.
func pipelineBenchmarks() {
    Benchmark("pipeline GetCallerIdentity (in-process, ephemeral, strict)") { benchmark in
        var configuration = ServerConfiguration()
        configuration.ephemeral = true
        configuration.authMode = .strict
        configuration.logLevel = .warning
        configuration.accountID = exampleAccount
        configuration.rootAccessKeyID = exampleAccessKeyID
        configuration.rootSecretAccessKey = exampleSecret
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let runtime = try await NimbusRuntime.make(configuration, logger: logger)
        // Signed once, now: the verifier's 15-minute window is far longer than a run.
        let signed = signedGetCallerIdentity(at: Date())
        let request = WireRequest(
            method: signed.method,
            path: signed.path,
            query: signed.query,
            headers: signed.headers,
            host: "127.0.0.1:4566",
            body: Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)
        )
        let first = await runtime.respond(to: request)
        guard first.status == 200 else {
            fatalError("GetCallerIdentity answered \(first.status): \(String(decoding: first.body, as: UTF8.self))")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await runtime.respond(to: request))
        }
    }
}
