//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// Committed values of recently read keys and small scans, so that a read made only of those needs no
/// SQLite transaction.
///
/// An S3 GET reads its bucket and object records and a KMS call its key record, each in its own read
/// transaction: a reader taken from GRDB's pool on a `DispatchQueue`, `BEGIN`, the lookup, `COMMIT`. In
/// profiles that was more of a request's time than the lookups themselves.
///
/// Consistency comes from a sequence lock around every commit. ``SQLiteMetadataStore`` calls
/// ``beginCommit(_:)`` before `COMMIT`, counting a commit in progress, moving the generation and dropping
/// every key the batch touched, and ``endCommit(_:)`` after it, dropping them again and moving the
/// generation again. So:
/// - A transaction's values are cached only when no commit was in progress when it began and the
///   generation is unchanged when it ends: no commit happened in between, so they are still what is
///   committed.
/// - A read served from the cache alone is accepted only on the same condition, so all the values it saw
///   were committed together, as a snapshot would show them. Otherwise it runs again in a transaction.
/// - A writer's caller resumes after ``endCommit(_:)``, so a write that has returned is seen by every
///   later read.
///
/// Another process's commits are not seen by this scheme. The one that writes beside a running server,
/// `nimbus accounts create`, only adds keys, to the namespaces given as `sharedNamespaces`: for those,
/// only present keys are cached, and an absent one is asked of SQLite every time.
final class ReadCache: Sendable {
    struct Key: Hashable {
        var namespace: String
        var key: String
    }

    /// A scan's arguments, except the namespace it is filed under.
    struct Scan: Hashable {
        var prefix: String
        var after: String?
        var reverse: Bool
        var limit: Int
    }

    /// What one transaction read: `get`s and scans with their answers.
    struct Reads {
        var gets: [(Key, [UInt8]?)] = []
        var scans: [(namespace: String, scan: Scan, entries: [(key: String, value: [UInt8])])] = []

        var isEmpty: Bool { gets.isEmpty && scans.isEmpty }
    }

    /// The keys a batch of writes changed, in runs by namespace; `everything` when a prefix or the whole
    /// store went.
    ///
    /// Runs, because CloudTrail's indexing writes thousands of keys per batch to namespaces nobody reads a
    /// single key of: dropping them costs one lookup of the namespace per run, not one per key.
    final class Changes {
        private(set) var runs: [(namespace: String, keys: [String])] = []
        private(set) var everything = false

        func changed(_ namespace: String, _ key: String) {
            guard !everything else { return }
            if let last = runs.indices.last, runs[last].namespace == namespace {
                runs[last].keys.append(key)
            } else {
                runs.append((namespace, [key]))
            }
        }

        func changedEverything() {
            everything = true
            runs = []
        }
    }

    /// Values (and scans) larger than this are left to SQLite: the cache is for the small records every
    /// request reads.
    static let maxValueBytes = 16 * 1024

    private struct State {
        /// Moves at the start and at the end of every commit.
        var generation: UInt64 = 0
        /// Commits between ``beginCommit(_:)`` and ``endCommit(_:)``: the writer's, or a reset's or a
        /// migration's, which may overlap it.
        var commitsInProgress = 0
        /// `nil` values record that the key is absent, which is as common a question as any.
        var entries: [Key: [UInt8]?] = [:]
        /// How many of `entries` each namespace has.
        var entriesByNamespace: [String: Int] = [:]
        /// Scan results by namespace, dropped whole when any key of the namespace changes.
        var scans: [String: [Scan: [(key: String, value: [UInt8])]]] = [:]
        var scanCount = 0
        var bytes = 0
        var hits = 0
        var misses = 0
        var isClosed = false
    }

    private let state = Locked(State())
    private let sharedNamespaces: Set<String>
    private let maxEntries: Int
    private let maxBytes: Int

    init(sharedNamespaces: Set<String> = [], maxEntries: Int = 16_384, maxBytes: Int = 16 << 20) {
        self.sharedNamespaces = sharedNamespaces
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The generation when no commit is in progress (and the store is open), else nil.
    func stableGeneration() -> UInt64? {
        state.withLock { $0.commitsInProgress == 0 && !$0.isClosed ? $0.generation : nil }
    }

    /// The cached value: `.some(nil)` when the key is known to be absent, nil when not cached.
    func lookup(_ key: Key) -> [UInt8]?? {
        state.withLock { state in
            guard let value = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return .some(value)
        }
    }

    /// Whether no commit began or ended since `generation` was read (with none in progress then).
    func isCurrent(_ generation: UInt64) -> Bool {
        state.withLock { $0.generation == generation }
    }

    func lookup(_ namespace: String, _ scan: Scan) -> [(key: String, value: [UInt8])]? {
        state.withLock { state in
            guard let entries = state.scans[namespace]?[scan] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return entries
        }
    }

    /// Caches what a transaction that began at `generation` read, if nothing was committed since.
    func insert(_ reads: Reads, readAt generation: UInt64) {
        guard !reads.isEmpty else { return }
        state.withLock { state in
            guard state.generation == generation, state.commitsInProgress == 0, !state.isClosed else { return }
            for (key, value) in reads.gets {
                let size = value?.count ?? 0
                guard size <= Self.maxValueBytes, value != nil || !sharedNamespaces.contains(key.namespace) else { continue }
                makeRoom(for: size, in: &state)
                if let old = state.entries.updateValue(value, forKey: key) {
                    state.bytes -= old?.count ?? 0
                } else {
                    state.entriesByNamespace[key.namespace, default: 0] += 1
                }
                state.bytes += size
            }
            // A scan of a shared namespace may miss what another process added.
            for read in reads.scans where !sharedNamespaces.contains(read.namespace) {
                let size = read.entries.reduce(0) { $0 + $1.key.utf8.count + $1.value.count }
                guard size <= Self.maxValueBytes else { continue }
                makeRoom(for: size, in: &state)
                if let old = state.scans[read.namespace, default: [:]].updateValue(read.entries, forKey: read.scan) {
                    state.bytes -= old.reduce(0) { $0 + $1.key.utf8.count + $1.value.count }
                } else {
                    state.scanCount += 1
                }
                state.bytes += size
            }
        }
    }

    /// Wholesale eviction keeps the bookkeeping trivial; a cold miss costs one transaction.
    private func makeRoom(for size: Int, in state: inout State) {
        guard state.entries.count + state.scanCount >= maxEntries || state.bytes + size > maxBytes else { return }
        state.entries.removeAll(keepingCapacity: true)
        state.entriesByNamespace.removeAll(keepingCapacity: true)
        state.scans.removeAll(keepingCapacity: true)
        state.scanCount = 0
        state.bytes = 0
    }

    func beginCommit(_ changes: Changes) {
        state.withLock { state in
            state.commitsInProgress += 1
            state.generation &+= 1
            Self.drop(changes, from: &state)
        }
    }

    /// After `COMMIT`, whether it succeeded or not: dropping a key is always safe.
    func endCommit(_ changes: Changes) {
        state.withLock { state in
            Self.drop(changes, from: &state)
            // An unmatched call (a batch that failed before `COMMIT` needs none) only moves the generation.
            state.commitsInProgress = max(0, state.commitsInProgress - 1)
            state.generation &+= 1
        }
    }

    private static func drop(_ changes: Changes, from state: inout State) {
        if changes.everything {
            state.entries.removeAll(keepingCapacity: true)
            state.entriesByNamespace.removeAll(keepingCapacity: true)
            state.scans.removeAll(keepingCapacity: true)
            state.scanCount = 0
            state.bytes = 0
            return
        }
        for run in changes.runs {
            if let scans = state.scans.removeValue(forKey: run.namespace) {
                state.scanCount -= scans.count
                state.bytes -= scans.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.key.utf8.count + $1.value.count } }
            }
            guard var count = state.entriesByNamespace[run.namespace] else { continue }
            for key in run.keys {
                guard let old = state.entries.removeValue(forKey: Key(namespace: run.namespace, key: key)) else { continue }
                state.bytes -= old?.count ?? 0
                count -= 1
            }
            state.entriesByNamespace[run.namespace] = count > 0 ? count : nil
        }
    }

    /// Sends every later read to SQLite (which throws once the store is closed).
    func close() {
        state.withLock { state in
            state.entries.removeAll()
            state.entriesByNamespace.removeAll()
            state.scans.removeAll()
            state.scanCount = 0
            state.bytes = 0
            state.isClosed = true
        }
    }

    var statistics: (hits: Int, misses: Int, entries: Int) {
        state.withLock { ($0.hits, $0.misses, $0.entries.count + $0.scanCount) }
    }
}

/// A reader that answers from the cache alone and notes when it cannot.
final class CachedReader: StoreReader {
    struct Miss: Error {}

    private let cache: ReadCache
    private(set) var missed = false

    init(cache: ReadCache) { self.cache = cache }

    func get(_ namespace: String, _ key: String) throws -> [UInt8]? {
        guard let value = cache.lookup(ReadCache.Key(namespace: namespace, key: key)) else {
            missed = true
            throw Miss()
        }
        return value
    }

    func scan(_ namespace: String, prefix: String, after: String?, reverse: Bool, limit: Int) throws -> [(key: String, value: [UInt8])] {
        guard let entries = cache.lookup(namespace, ReadCache.Scan(prefix: prefix, after: after, reverse: reverse, limit: limit)) else {
            missed = true
            throw Miss()
        }
        return entries
    }
}

/// A reader over a transaction that remembers the values its `get`s returned, for the cache.
final class RecordingReader<Base: StoreReader>: StoreReader {
    private let base: Base
    private(set) var reads = ReadCache.Reads()

    init(_ base: Base) { self.base = base }

    func get(_ namespace: String, _ key: String) throws -> [UInt8]? {
        let value = try base.get(namespace, key)
        reads.gets.append((ReadCache.Key(namespace: namespace, key: key), value))
        return value
    }

    func scan(_ namespace: String, prefix: String, after: String?, reverse: Bool, limit: Int) throws -> [(key: String, value: [UInt8])] {
        let entries = try base.scan(namespace, prefix: prefix, after: after, reverse: reverse, limit: limit)
        reads.scans.append((namespace, ReadCache.Scan(prefix: prefix, after: after, reverse: reverse, limit: limit), entries))
        return entries
    }
}
