//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Testing

@testable import NimbusServer

/// When the server hands freed memory back: after a burst, and now and then during a long one.
struct HeapTrimPolicyTests {
    /// The policy's answers to ticks that see these request counts.
    private func trims(_ counts: [UInt64], busyTicks: Int = 5) -> [Bool] {
        var policy = HeapTrimPolicy(busyTicks: busyTicks)
        return counts.map { policy.tick(served: $0) }
    }

    @Test func idleServerNeverTrims() {
        #expect(trims(Array(repeating: 0, count: 10)) == Array(repeating: false, count: 10))
    }

    @Test func trimsOnceAfterABurst() {
        // Requests in the first two ticks; the first quiet tick trims, the next ones do not; then again.
        #expect(trims([100, 250, 250, 250, 250, 251, 251]) == [false, false, true, false, false, false, true])
    }

    @Test func trimsEveryFewTicksUnderSustainedLoad() {
        // Quiet right after a trim: nothing new to give back.
        #expect(trims((1...9).map { UInt64($0) * 1000 } + [9000], busyTicks: 3)
            == [false, false, true, false, false, true, false, false, true, false])
    }

    @Test func metricsCountWhatTheTrimmerWatches() {
        let metrics = RequestMetrics()
        let start = ContinuousClock.now
        metrics.record(service: "sts", operation: "GetCallerIdentity", status: 200, since: start)
        metrics.record(service: "sts", operation: "GetCallerIdentity", status: 403, since: start)
        #expect(metrics.served == 2)
        HeapTrimPolicy.trim()  // harmless at any time
    }
}
