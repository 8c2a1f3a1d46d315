//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import Foundation

// Instructions and mallocs are what CI compares (stable on a shared machine); wall clock is for people,
// and for issue 2's "pipeline overhead ≤ 20 µs p50".
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )
    sigV4Benchmarks()
    wireBenchmarks()
    digestBenchmarks()
    policyBenchmarks()
    pipelineBenchmarks()
}
