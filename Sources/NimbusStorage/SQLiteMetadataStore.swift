//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
// Implementation-only, not `internal import`: in a module built without library evolution an internal
// import is still loaded by every client, so anything importing NimbusStorage (NimbusServer, the
// benchmark package) would need GRDB and its `GRDBSQLite` module map. No GRDB type appears in this
// module's API or in the layout of its public types (`pool` is a private stored property of a final class),
// which is what makes the compiler's warning about `@_implementationOnly` without library evolution moot here.
@_implementationOnly import GRDB

/// A ``MetadataStore`` in one SQLite file (WAL, `synchronous = FULL`), through GRDB.
///
/// Reads run concurrently on a `DatabasePool`'s readers. Writes are group-committed: callers queue
/// their closures, the single writer connection takes every queued closure at once, runs each in
/// its own `SAVEPOINT` inside one transaction, commits once (one fsync) and then resumes every
/// caller. While one batch is being synced, the next one accumulates, so throughput grows with
/// concurrency while each answered write is durable.
public final class SQLiteMetadataStore: MetadataStore {
    /// The file name inside the data directory.
    public static let fileName = "metadata.sqlite"

    private let pool: DatabasePool
    private let queue = Locked(WriteQueue())
    private let cache: ReadCache

    /// Opens (creating if needed) `<directory>/metadata.sqlite`; the directory is created with mode 0700.
    public convenience init(directory: URL, sharedNamespaces: Set<String> = []) throws {
        try FileManager.default.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        try self.init(path: directory.appendingPathComponent(Self.fileName).path, sharedNamespaces: sharedNamespaces)
    }

    /// The page cache of each connection, in KiB.
    static let pageCacheKiB = 512

    /// Opens (creating if needed) the database file at `path` and migrates the store's own schema.
    ///
    /// - Parameter sharedNamespaces: Namespaces another process may add keys to while this store is open
    ///   (`nimbus accounts create` beside a running server). Other processes must change nothing else:
    ///   what this process has read is kept in memory and is not read again while it is unchanged here.
    public init(path: String, sharedNamespaces: Set<String> = []) throws {
        cache = ReadCache(sharedNamespaces: sharedNamespaces)
        var configuration = Configuration()
        configuration.label = "nimbus.metadata"
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            // A new database gets 16 KiB pages: values of a few KiB (CloudTrail records, object metadata)
            // fit in a leaf instead of spilling to overflow pages, and a commit rewrites fewer pages.
            // An existing database keeps the page size it was made with.
            // Temp files, among them the journal of each write's SAVEPOINT, stay in memory: on disk they
            // cost a write of every page a write touched.
            // Each connection keeps its own page cache, 2 MiB by default, and the pool opens up to nine: under
            // load their caches held more than the rest of the heap, copies of pages the kernel caches anyway.
            // A read that misses costs a `pread` from that cache.
            try db.execute(sql: "PRAGMA page_size = 16384; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -\(Self.pageCacheKiB)")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB chooses `synchronous = NORMAL` for WAL, which may lose the last commits on power loss.
        // FULL syncs the WAL on every commit: an answered write is on disk.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.schemaMigrator.migrate(pool)
    }

    /// The store's own schema, versioned by GRDB in `grdb_migrations`.
    private static var schemaMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Keys are BLOBs so that SQLite orders them by bytes (memcmp), as every backend must.
            try db.execute(
                sql: """
                    CREATE TABLE kv (
                        namespace TEXT NOT NULL,
                        key BLOB NOT NULL,
                        value BLOB NOT NULL,
                        PRIMARY KEY (namespace, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE migrations (
                        module TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        identifier TEXT NOT NULL,
                        applied_at TEXT NOT NULL,
                        PRIMARY KEY (module, position)
                    ) WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }

    /// Closes the database; later calls throw. Writes already answered are on disk either way.
    public func close() throws {
        cache.close()
        try pool.close()
    }

    /// The `PRAGMA synchronous` level of the writer connection (2 is FULL), for tests and diagnostics.
    package func synchronousLevel() async throws -> Int {
        try await pragma("synchronous")
    }

    /// An integer `PRAGMA` (`page_size`, `temp_store`, …) of the writer connection, for tests and diagnostics.
    package func pragma(_ name: String) async throws -> Int {
        precondition(name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) })
        return try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") ?? -1 }
    }

    /// How many batches (commits) carried how many `write` calls so far, to observe group commit.
    package var groupCommitStatistics: (batches: Int, writes: Int) {
        queue.withLock { ($0.batchCount, $0.writeCount) }
    }

    public func read<T: Sendable>(_ body: @Sendable (any StoreReader) throws -> T) async throws -> T {
        if let generation = cache.stableGeneration() {
            let reader = CachedReader(cache: cache)
            // Any error, the cache's own included (a body may catch it), sends the read to SQLite, which
            // gives the authoritative answer and error.
            if let value = try? body(reader), !reader.missed, cache.isCurrent(generation) { return value }
        }
        return try readOnThisThread(body)
    }

    private func readOnThisThread<T: Sendable>(_ body: @Sendable (any StoreReader) throws -> T) throws -> T {
        // Synchronous on purpose: a read is a few page-cache lookups, and GRDB's async read hops to the
        // reader's queue and back, two thread switches that cost more than the read (an S3 GET makes
        // three). The sync form runs the closure on this thread (`DispatchQueue.sync` on an idle queue).
        let generation = cache.stableGeneration()
        let (value, read) = try pool.read { db in
            let reader = RecordingReader(SQLiteTransaction(db))
            return (try body(reader), reader.reads)
        }
        if let generation { cache.insert(read, readAt: generation) }
        return value
    }

    /// How often a `get` in a read was answered from memory, for tests and diagnostics.
    package var readCacheStatistics: (hits: Int, misses: Int, entries: Int) { cache.statistics }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let operation = PendingWrite(
                apply: { try body($0) },
                finish: { result in continuation.resume(with: result.map { $0 as! T }) }
            )
            let mustSchedule = queue.withLock { queue in
                queue.pending.append(operation)
                defer { queue.isDrainScheduled = true }
                return !queue.isDrainScheduled
            }
            if mustSchedule {
                pool.asyncWriteWithoutTransaction { [self] db in drain(db) }
            }
        }
    }

    /// Runs on the writer connection: commits every queued write as one batch.
    private func drain(_ db: Database) {
        // Taking the batch clears the flag, so writes queued from now on schedule the next drain,
        // which the serial writer runs after this one: nothing is left behind.
        let batch = queue.withLock { queue in
            queue.isDrainScheduled = false
            defer { queue.pending.removeAll(keepingCapacity: true) }
            if !queue.pending.isEmpty {
                queue.batchCount += 1
                queue.writeCount += queue.pending.count
            }
            return queue.pending
        }
        guard !batch.isEmpty else { return }
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        let changes = ReadCache.Changes()
        var committing = false
        do {
            // Cached statements: parsing these five for every write showed in profiles.
            func run(_ sql: String) throws { try db.cachedStatement(sql: sql).execute() }
            try run("BEGIN IMMEDIATE TRANSACTION")
            let transaction = SQLiteTransaction(db, changes: changes)
            for operation in batch {
                try run("SAVEPOINT nimbus_write")
                do {
                    let value = try operation.apply(transaction)
                    try run("RELEASE SAVEPOINT nimbus_write")
                    results.append(.success(value))
                } catch {
                    // If SQLite already aborted the transaction, these throw and fail the batch below.
                    try run("ROLLBACK TO SAVEPOINT nimbus_write")
                    try run("RELEASE SAVEPOINT nimbus_write")
                    results.append(.failure(error))
                }
            }
            cache.beginCommit(changes)
            committing = true
            try run("COMMIT TRANSACTION")
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
            results = Array(repeating: .failure(error), count: batch.count)
        }
        // Before any caller resumes: a write that has returned is seen by every later read. (A batch that
        // failed before `COMMIT` changed nothing.)
        if committing { cache.endCommit(changes) }
        for (operation, result) in zip(batch, results) { operation.finish(result) }
    }

    public func migrate(_ modules: [(module: String, migrations: [StoreMigration])]) async throws {
        @Sendable func pending(_ db: Database) throws -> [(module: String, pending: ArraySlice<StoreMigration>)] {
            try pendingMigrations(modules) { module in
                try String.fetchAll(db, sql: "SELECT identifier FROM migrations WHERE module = ? ORDER BY position", arguments: [module])
            }
        }
        // Every start migrates every module, and usually nothing is pending: finding that out is a read,
        // without the write transaction's fsync. The write below checks again under the writer's lock.
        if try await pool.read({ db in try pending(db).allSatisfy(\.pending.isEmpty) }) { return }
        let changes = ReadCache.Changes()
        changes.changedEverything()
        cache.beginCommit(changes)
        defer { cache.endCommit(changes) }
        try await pool.write { db in
            let transaction = SQLiteTransaction(db)
            let now = Date().formatted(.iso8601)
            // Every module is checked before any migration runs, so that a mismatch applies nothing.
            for (module, pending) in try pending(db) {
                for (position, migration) in zip(pending.indices, pending) {
                    try migration.apply(transaction)
                    try db.execute(
                        sql: "INSERT INTO migrations (module, position, identifier, applied_at) VALUES (?, ?, ?, ?)",
                        arguments: [module, position, migration.identifier, now]
                    )
                }
            }
        }
    }

    public func reset() async throws {
        let changes = ReadCache.Changes()
        changes.changedEverything()
        cache.beginCommit(changes)
        defer { cache.endCommit(changes) }
        try await pool.write { db in try db.execute(sql: "DELETE FROM kv") }
    }
}

/// A write waiting for the next batch, with its result type erased.
private struct PendingWrite: Sendable {
    var apply: @Sendable (any StoreWriter) throws -> any Sendable
    var finish: @Sendable (Result<any Sendable, any Error>) -> Void
}

private struct WriteQueue: Sendable {
    var pending: [PendingWrite] = []
    /// True while a drain is queued on the writer and has not yet taken `pending`.
    var isDrainScheduled = false
    var batchCount = 0
    var writeCount = 0
}

/// Reads and writes on one GRDB connection, inside whatever transaction the caller opened.
private struct SQLiteTransaction: StoreWriter {
    let db: Database
    /// What the writer changed, for the read cache; nil in read transactions.
    let changes: ReadCache.Changes?

    init(_ db: Database, changes: ReadCache.Changes? = nil) {
        self.db = db
        self.changes = changes
    }

    /// Empty `Data` binds as NULL in SQLite, hence `coalesce(?, x'')` around every key and value.
    private static func blob(_ string: String) -> Data { Data(string.utf8) }

    func get(_ namespace: String, _ key: String) throws -> [UInt8]? {
        let statement = try db.cachedStatement(sql: "SELECT value FROM kv WHERE namespace = ? AND key = coalesce(?, x'')")
        return try Data.fetchOne(statement, arguments: [namespace, Self.blob(key)]).map { [UInt8]($0) }
    }

    func scan(_ namespace: String, prefix: String, after: String?, reverse: Bool, limit: Int) throws -> [(key: String, value: [UInt8])] {
        guard limit > 0 else { return [] }
        var sql = "SELECT key, value FROM kv WHERE namespace = ?"
        var arguments: StatementArguments = [namespace]
        let prefixBytes = Array(prefix.utf8)
        if !prefixBytes.isEmpty {
            sql += " AND key >= ?"
            arguments += [Data(prefixBytes)]
            if let upper = prefixUpperBound(prefixBytes) {
                sql += " AND key < ?"
                arguments += [Data(upper)]
            }
        }
        if let after {
            sql += reverse ? " AND key < coalesce(?, x'')" : " AND key > coalesce(?, x'')"
            arguments += [Self.blob(after)]
        }
        sql += reverse ? " ORDER BY key DESC LIMIT ?" : " ORDER BY key LIMIT ?"
        arguments += [Int64(clamping: limit)]
        let statement = try db.cachedStatement(sql: sql)
        var entries: [(key: String, value: [UInt8])] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            let key: Data = row[0]
            let value: Data = row[1]
            entries.append((String(decoding: key, as: UTF8.self), [UInt8](value)))
        }
        return entries
    }

    func put(_ namespace: String, _ key: String, _ value: [UInt8]) throws {
        changes?.changed(namespace, key)
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO kv (namespace, key, value) VALUES (?, coalesce(?, x''), coalesce(?, x''))
                ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value
                """
        )
        try statement.execute(arguments: [namespace, Self.blob(key), Data(value)])
    }

    func delete(_ namespace: String, _ key: String) throws {
        changes?.changed(namespace, key)
        let statement = try db.cachedStatement(sql: "DELETE FROM kv WHERE namespace = ? AND key = coalesce(?, x'')")
        try statement.execute(arguments: [namespace, Self.blob(key)])
    }

    func deleteAll(_ namespace: String, prefix: String) throws {
        changes?.changedEverything()
        let prefixBytes = Array(prefix.utf8)
        if prefixBytes.isEmpty {
            try db.execute(sql: "DELETE FROM kv WHERE namespace = ?", arguments: [namespace])
        } else if let upper = prefixUpperBound(prefixBytes) {
            try db.execute(
                sql: "DELETE FROM kv WHERE namespace = ? AND key >= ? AND key < ?",
                arguments: [namespace, Data(prefixBytes), Data(upper)]
            )
        } else {
            try db.execute(sql: "DELETE FROM kv WHERE namespace = ? AND key >= ?", arguments: [namespace, Data(prefixBytes)])
        }
    }
}
