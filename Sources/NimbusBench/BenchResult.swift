//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import Histogram

/// The outcome of one run, as printed and as `--json` writes it (the comparison script reads the JSON).
public struct BenchResult: Codable, Sendable {
    public struct Latency: Codable, Sendable {
        public var p50: UInt64
        public var p90: UInt64
        public var p99: UInt64
        public var max: UInt64
        public var mean: Double

        init(_ histogram: Histogram<UInt64>) {
            let empty = histogram.totalCount == 0
            p50 = empty ? 0 : histogram.valueAtPercentile(50)
            p90 = empty ? 0 : histogram.valueAtPercentile(90)
            p99 = empty ? 0 : histogram.valueAtPercentile(99)
            max = empty ? 0 : histogram.max
            mean = empty ? 0 : histogram.mean
        }
    }

    /// The server process, sampled from `/proc` during the measured window (`--server-pid`).
    public struct Server: Codable, Sendable {
        public var pid: Int32
        public var rssBeforeKiB: Int?
        public var rssPeakKiB: Int?
        public var rssAfterKiB: Int?
        /// Of one core: 200 means both cores of a 2-core machine were busy.
        public var cpuPercent: Double?
    }

    public var scenario: String
    public var endpoint: String
    public var concurrency: Int
    public var durationSeconds: Double
    public var warmupSeconds: Double
    public var size: Int?
    /// Requests started and finished inside the measured window.
    public var requests: Int
    public var succeeded: Int
    public var failed: Int
    public var requestsPerSecond: Double
    /// Body bytes sent plus received by successful requests, per second, in 10^6 bytes.
    public var megabytesPerSecond: Double
    public var latencyMicroseconds: Latency
    /// Failed requests by AWS error code (or `HTTP <status>`, or `transport: …`).
    public var errors: [String: Int]
    public var server: Server?

    /// The human-readable report, with errors impossible to miss.
    public func rendered() -> String {
        var lines: [String] = []
        let sizeText = size.map { " size=\(ByteSize.format($0))" } ?? ""
        lines.append("\(scenario) against \(endpoint): \(concurrency) connections, \(format(durationSeconds))s measured after \(format(warmupSeconds))s warmup\(sizeText)")
        lines.append("  requests    \(succeeded) ok, \(failed) failed")
        lines.append("  throughput  \(format(requestsPerSecond)) req/s, \(format(megabytesPerSecond)) MB/s")
        let l = latencyMicroseconds
        lines.append("  latency     p50 \(ms(l.p50))  p90 \(ms(l.p90))  p99 \(ms(l.p99))  max \(ms(l.max))  (ms)")
        if let server {
            let rss = [("before", server.rssBeforeKiB), ("peak", server.rssPeakKiB), ("after", server.rssAfterKiB)]
                .map { "\($0.0) \($0.1.map { format(Double($0) / 1024) } ?? "?")" }.joined(separator: ", ")
            lines.append("  server      pid \(server.pid): RSS MiB \(rss); CPU \(server.cpuPercent.map { format($0) } ?? "?")% of one core")
        }
        if failed > 0 {
            lines.append("")
            lines.append("!!! \(failed) of \(requests) requests FAILED — these numbers do not measure a healthy run:")
            for (code, count) in errors.sorted(by: { $0.value > $1.value }) {
                lines.append("!!!   \(count) × \(code)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func ms(_ micros: UInt64) -> String { format(Double(micros) / 1000, digits: 3) }

    private func format(_ value: Double, digits: Int = 1) -> String {
        var text = String(Int((value * pow10(digits)).rounded()))
        while text.count <= digits { text = "0" + text }
        guard digits > 0 else { return text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
        return text
    }

    private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { acc, _ in acc * 10 } }
}

/// `4096`, `4k`, `4KiB`, `1M`, `1GiB`: binary units, as `--size` takes them.
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10), ("gb", 1 << 30), ("mb", 1 << 20),
                                      ("kb", 1 << 10), ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            guard let n = Int(lower.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n >= 0 else { return nil }
            return n.multipliedReportingOverflow(by: factor).overflow ? nil : n * factor
        }
        return Int(lower).flatMap { $0 >= 0 ? $0 : nil }
    }

    public static func format(_ bytes: Int) -> String {
        for (suffix, factor) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor) \(suffix)"
        }
        return "\(bytes) B"
    }
}
