//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Prometheus
import Synchronization

/// Request counts and latencies in Prometheus form, served at `GET /metrics`.
struct RequestMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    private static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    // Computed: the descriptor type is not Sendable, so it cannot be a stored static.
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "nimbus", metricName: "requests", unitName: "total",
            helpText: "API requests by service, operation and HTTP status."
        )
    }
    private static var latency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "nimbus", metricName: "request_duration", unitName: "seconds",
            helpText: "Time from the request's arrival to its response, through the whole pipeline."
        )
    }

    /// The counter and histogram of each (service, operation, status) seen, so that a request costs one
    /// dictionary lookup instead of the registry building labels and names.
    private let instruments = InstrumentTable()

    private final class InstrumentTable: Sendable {
        let served = Atomic<UInt64>(0)
        let entries = Mutex<[InstrumentKey: (counter: Counter, latency: DurationHistogram)]>([:])
        func withLock<R>(_ body: (inout [InstrumentKey: (counter: Counter, latency: DurationHistogram)]) -> R) -> R {
            entries.withLock { body(&$0) }
        }
    }

    private struct InstrumentKey: Hashable {
        var service: String
        var operation: String
        var status: Int
    }

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func record(service: String, operation: String, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        instruments.served.add(1, ordering: .relaxed)
        let key = InstrumentKey(service: service, operation: operation, status: status)
        let found = instruments.withLock { $0[key] }
        let pair = found ?? makeInstruments(key)
        pair.counter.increment()
        pair.latency.record(elapsed)
    }

    private func makeInstruments(_ key: InstrumentKey) -> (counter: Counter, latency: DurationHistogram) {
        let pair = (
            counter: registry.makeCounter(
                descriptor: Self.requests,
                labels: [("service", key.service), ("operation", key.operation), ("status", String(key.status))]
            ),
            latency: registry.makeDurationHistogram(
                descriptor: Self.latency,
                labels: [("service", key.service), ("operation", key.operation)],
                buckets: Self.buckets
            )
        )
        // Unbounded only in theory: operations come from the models, statuses are HTTP's.
        instruments.withLock { $0[key] = pair }
        return pair
    }

    /// Requests recorded since the server started.
    var served: UInt64 { instruments.served.load(ordering: .relaxed) }

    /// The Prometheus text exposition of every metric.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
