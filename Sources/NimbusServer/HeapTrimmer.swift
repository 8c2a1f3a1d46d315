//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import CNimbusSystem
import Synchronization

/// Gives the system back the memory that bursts of requests freed.
///
/// glibc's malloc keeps what a thread frees for that thread's arena and returns only the top of each heap. After
/// 16 concurrent `ListObjectsV2` of 1,000 keys, a server kept 15 MiB more than it held (53 MiB resident, 39 after
/// `malloc_trim`), and carried it into whatever came next. `malloc_trim` returns every free page.
///
/// It is called once the server has been quiet for a whole tick after serving requests, and every `busyTicks` ticks
/// while requests keep coming. A trim costs a walk of the free lists and, later, the page faults that take pages
/// back: trimming every second under `nimbus bench` load changed neither KMS Encrypt's nor S3 GET's rate beyond
/// the noise between runs. With a C library other than glibc it does nothing.
struct HeapTrimPolicy: Sendable {
    /// Ticks of uninterrupted activity after which the heap is trimmed anyway.
    let busyTicks: Int
    private var lastServed: UInt64 = 0
    /// Whether requests came since the last trim.
    private var pending = false
    private var busyFor = 0

    init(busyTicks: Int = 2) {
        self.busyTicks = max(1, busyTicks)
    }

    /// Called every tick with the number of requests served so far; true when the heap should be trimmed now.
    mutating func tick(served: UInt64) -> Bool {
        defer { lastServed = served }
        guard served != lastServed else {
            // Quiet for a tick: trim once for what the activity before it left.
            busyFor = 0
            defer { pending = false }
            return pending
        }
        pending = true
        busyFor += 1
        guard busyFor >= busyTicks else { return false }
        busyFor = 0
        pending = false
        return true
    }

    /// Returns the free pages of every arena to the system.
    static func trim() { nimbus_release_free_memory() }

    /// Keeps buffers of a few MiB in the arenas, where a free one is used again without page faults.
    ///
    /// glibc serves an allocation above its mmap threshold (128 KiB at first) with a mapping of its own, and raises
    /// the threshold to the size of each such block freed. Where it ends up depends on the sizes that happen to
    /// have been freed: after uploads whose buffers had doubled to 2 MiB, the 1 MiB segments of a large GET came from
    /// the arenas; once the uploads stopped doubling their buffers, each came from a fresh mapping whose pages
    /// faulted in, and a 1 GiB GET fell from about 2,100 to about 1,600 MB/s. Fixed thresholds make it the same
    /// every time; the heap trim gives back what the arenas keep.
    ///
    /// Two arenas, not glibc's eight per core: each thread that meets a locked arena takes another, and each arena
    /// keeps its own free blocks. Over `Benchmarks/compare`'s scenario sequence on one server the peak RSS was
    /// 56–63 MiB with the default (the same binary, run to run) and 46–48 MiB with two, at the same request rates
    /// (S3 GET, PUT and KMS `Encrypt` at 16 connections, interleaved rounds).
    static func setThresholds() {
        nimbus_set_malloc_thresholds(4 << 20, 8 << 20, 2)
    }
}

/// Ticks a ``HeapTrimPolicy`` with the requests a server has answered, and trims when it says so.
final class HeapTrimmer: Sendable {
    private let metrics: RequestMetrics
    private let policy = Mutex(HeapTrimPolicy())

    init(metrics: RequestMetrics) { self.metrics = metrics }

    func tick() {
        let served = metrics.served
        if policy.withLock({ $0.tick(served: served) }) { HeapTrimPolicy.trim() }
    }
}
