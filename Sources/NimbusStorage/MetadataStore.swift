//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// Read access to a ``MetadataStore`` inside one consistent snapshot.
///
/// Keys are ordered by their UTF-8 bytes, never by Swift's `String` ordering, so that every
/// backend (memory, SQLite, PostgreSQL with `COLLATE "C"`/`bytea`) agrees on the order.
public protocol StoreReader {
    /// The value stored under `key` in `namespace`, or nil.
    func get(_ namespace: String, _ key: String) throws -> [UInt8]?

    /// Up to `limit` entries of `namespace` whose key starts with `prefix`, ordered by key bytes.
    ///
    /// - Parameters:
    ///   - after: When set, only keys strictly after it in the scan direction: greater when scanning
    ///     forward, smaller when `reverse` is true. Pass the last key of a page to get the next.
    ///   - reverse: Scan from the largest key down.
    func scan(_ namespace: String, prefix: String, after: String?, reverse: Bool, limit: Int) throws -> [(key: String, value: [UInt8])]
}

/// Write access to a ``MetadataStore`` inside one transaction; reads see the transaction's own writes.
public protocol StoreWriter: StoreReader {
    func put(_ namespace: String, _ key: String, _ value: [UInt8]) throws
    /// Deletes `key`; deleting a missing key is not an error.
    func delete(_ namespace: String, _ key: String) throws
    /// Deletes every key of `namespace` that starts with `prefix` (all of them for `""`).
    func deleteAll(_ namespace: String, prefix: String) throws
}

/// The one persistence seam of Nimbus: an ordered key-value store with namespaces and transactions.
///
/// Every service keeps its state here, so the contract is strict:
/// - ``read(_:)`` sees one consistent snapshot of committed data; its closure may run more than once.
/// - ``write(_:)`` runs its closure atomically. If the closure throws, none of its changes are kept
///   and the error is rethrown. When `write` returns, the change is durable: it survives `kill -9`
///   and power loss. Backends coalesce concurrent writes into one commit ("group commit"), so the
///   closure runs on the store's writer, may run after other callers' closures in the same
///   transaction, and must be short, synchronous and free of side effects outside the store.
///   Once queued, a write is not abandoned when the calling task is cancelled.
/// - A write that has returned is visible to every later read.
///
/// Namespaces are independent key spaces (one or more per service). Keys and namespaces are any
/// strings, ordered by UTF-8 bytes; values are opaque bytes.
public protocol MetadataStore: Sendable {
    /// Runs `body` against a consistent snapshot of committed data.
    ///
    /// `body` may run more than once (a backend may try an answer from memory first and abandon it), so it
    /// must have no effect outside its result but idempotent ones, such as filling a cache.
    func read<T: Sendable>(_ body: @Sendable (any StoreReader) throws -> T) async throws -> T

    /// Runs `body` atomically; when it returns, the change is durable (fsync'ed).
    ///
    /// Concurrent writes are group-committed: each closure runs in its own savepoint, so a closure
    /// that throws rolls back alone, and one commit makes the whole batch durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) throws -> T) async throws -> T

    /// Applies `migrations` of `module` that have not been applied yet, in order, and records them.
    ///
    /// The migrations already recorded for `module` must be a prefix of `migrations` (identifiers in
    /// the same order); otherwise the call throws ``StorageError/Code/migrationMismatch`` and
    /// applies nothing. All pending migrations of one call run in one transaction.
    func migrate(module: String, _ migrations: [StoreMigration]) async throws

    /// ``migrate(module:_:)`` for several modules, in one transaction: a first start commits (and syncs)
    /// once instead of once per module. A mismatch or a failing migration in any module, or a module named
    /// twice, applies nothing.
    func migrate(_ modules: [(module: String, migrations: [StoreMigration])]) async throws

    /// Deletes every key of every namespace. Recorded migrations stay applied.
    func reset() async throws
}

extension MetadataStore {
    public func migrate(module: String, _ migrations: [StoreMigration]) async throws {
        try await migrate([(module, migrations)])
    }
}

/// One versioned step of a module's data layout, applied once by ``MetadataStore/migrate(module:_:)``.
///
/// Migrations change the shape of existing data; they should not seed data, since
/// ``MetadataStore/reset()`` wipes data but keeps migrations recorded.
public struct StoreMigration: Sendable {
    /// Unique within its module, e.g. `"v1-create-users"`; never rename one that has shipped.
    public var identifier: String
    public var apply: @Sendable (any StoreWriter) throws -> Void

    public init(_ identifier: String, _ apply: @escaping @Sendable (any StoreWriter) throws -> Void) {
        self.identifier = identifier
        self.apply = apply
    }
}

extension StoreReader {
    /// ``scan(_:prefix:after:reverse:limit:)`` with defaults: the whole namespace, forward, no limit.
    public func scan(
        _ namespace: String,
        prefix: String = "",
        after: String? = nil,
        reverse: Bool = false,
        limit: Int = .max
    ) throws -> [(key: String, value: [UInt8])] {
        try scan(namespace, prefix: prefix, after: after, reverse: reverse, limit: limit)
    }
}

/// The smallest byte string greater than every string that starts with `prefix`; nil when there is none.
func prefixUpperBound(_ prefix: [UInt8]) -> [UInt8]? {
    var bound = prefix
    while let last = bound.last {
        if last < 0xFF {
            bound[bound.count - 1] = last + 1
            return bound
        }
        bound.removeLast()
    }
    return nil
}
