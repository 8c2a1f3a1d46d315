//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Synchronization

/// A ``MetadataStore`` in memory, for `--ephemeral` and tests; same semantics, nothing durable.
///
/// Reads and writes are serialized by one lock; a write that throws is undone from an undo log.
public final class MemoryMetadataStore: MetadataStore {
    private let state = Mutex(MemoryState())

    public init() {}

    public func read<T: Sendable>(_ body: @Sendable (any StoreReader) throws -> T) async throws -> T {
        try state.withLock { try body(MemoryTransaction(state: $0)) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) throws -> T) async throws -> T {
        try state.withLock { state in
            let transaction = MemoryTransaction(state: state)
            do {
                return try body(transaction)
            } catch {
                transaction.rollback()
                throw error
            }
        }
    }

    public func migrate(module: String, _ migrations: [StoreMigration]) async throws {
        try state.withLock { state in
            let applied = state.migrations[module, default: []]
            let pending = try pendingMigrations(module: module, applied: applied, declared: migrations)
            let transaction = MemoryTransaction(state: state)
            do {
                for migration in pending { try migration.apply(transaction) }
            } catch {
                transaction.rollback()
                throw error
            }
            state.migrations[module, default: []].append(contentsOf: pending.map(\.identifier))
        }
    }

    public func reset() async throws {
        state.withLock { $0.namespaces.removeAll() }
    }
}

/// The checked list of migrations still to apply, shared by every backend.
func pendingMigrations(module: String, applied: [String], declared: [StoreMigration]) throws -> ArraySlice<StoreMigration> {
    let identifiers = declared.map(\.identifier)
    guard Set(identifiers).count == identifiers.count else {
        throw StorageError(.migrationMismatch, "module \(module) declares a migration identifier twice")
    }
    guard applied.count <= identifiers.count, Array(identifiers.prefix(applied.count)) == applied else {
        throw StorageError(
            .migrationMismatch,
            "module \(module) has applied migrations \(applied) that are not a prefix of the declared \(identifiers)"
        )
    }
    return declared.dropFirst(applied.count)
}

/// Everything the memory store holds. A class so that a transaction can mutate it in place under the lock.
final class MemoryState {
    /// Per namespace, entries sorted by key bytes.
    var namespaces: [String: [MemoryEntry]] = [:]
    /// Applied migration identifiers per module, in order.
    var migrations: [String: [String]] = [:]
}

struct MemoryEntry {
    var key: [UInt8]
    var value: [UInt8]
}

/// Reads and writes on the locked state, with an undo log so that a failing write can be rolled back.
final class MemoryTransaction: StoreWriter {
    private let state: MemoryState
    private var undo: [(namespace: String, key: [UInt8], previous: [UInt8]?)] = []

    init(state: MemoryState) { self.state = state }

    /// The index of the first entry whose key is not less than `key`.
    private static func lowerBound(_ entries: [MemoryEntry], _ key: [UInt8]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].key.lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func get(_ namespace: String, _ key: String) throws -> [UInt8]? {
        lookup(namespace, Array(key.utf8))
    }

    private func lookup(_ namespace: String, _ key: [UInt8]) -> [UInt8]? {
        guard let entries = state.namespaces[namespace] else { return nil }
        let index = Self.lowerBound(entries, key)
        return index < entries.count && entries[index].key == key ? entries[index].value : nil
    }

    func scan(_ namespace: String, prefix: String, after: String?, reverse: Bool, limit: Int) throws -> [(key: String, value: [UInt8])] {
        guard limit > 0, let entries = state.namespaces[namespace] else { return [] }
        let prefixBytes = Array(prefix.utf8)
        var start = Self.lowerBound(entries, prefixBytes)
        var end = prefixUpperBound(prefixBytes).map { Self.lowerBound(entries, $0) } ?? entries.count
        if let after {
            let afterBytes = Array(after.utf8)
            if reverse {
                end = min(end, Self.lowerBound(entries, afterBytes))
            } else {
                var index = Self.lowerBound(entries, afterBytes)
                if index < entries.count, entries[index].key == afterBytes { index += 1 }
                start = max(start, index)
            }
        }
        guard start < end else { return [] }
        let slice = entries[start..<end]
        let chosen = reverse ? Array(slice.reversed().prefix(limit)) : Array(slice.prefix(limit))
        return chosen.map { (String(decoding: $0.key, as: UTF8.self), $0.value) }
    }

    func put(_ namespace: String, _ key: String, _ value: [UInt8]) throws {
        let keyBytes = Array(key.utf8)
        undo.append((namespace, keyBytes, lookup(namespace, keyBytes)))
        store(namespace, keyBytes, value)
    }

    private func store(_ namespace: String, _ key: [UInt8], _ value: [UInt8]?) {
        let index = Self.lowerBound(state.namespaces[namespace] ?? [], key)
        let exists = index < (state.namespaces[namespace]?.count ?? 0) && state.namespaces[namespace]![index].key == key
        switch (value, exists) {
        case (let value?, true): state.namespaces[namespace]![index].value = value
        case (let value?, false): state.namespaces[namespace, default: []].insert(MemoryEntry(key: key, value: value), at: index)
        case (nil, true): state.namespaces[namespace]!.remove(at: index)
        case (nil, false): break
        }
    }

    func delete(_ namespace: String, _ key: String) throws {
        let keyBytes = Array(key.utf8)
        guard let previous = lookup(namespace, keyBytes) else { return }
        undo.append((namespace, keyBytes, previous))
        store(namespace, keyBytes, nil)
    }

    func deleteAll(_ namespace: String, prefix: String) throws {
        guard let entries = state.namespaces[namespace] else { return }
        let prefixBytes = Array(prefix.utf8)
        let start = Self.lowerBound(entries, prefixBytes)
        let end = prefixUpperBound(prefixBytes).map { Self.lowerBound(entries, $0) } ?? entries.count
        guard start < end else { return }
        for entry in entries[start..<end] { undo.append((namespace, entry.key, entry.value)) }
        state.namespaces[namespace]!.removeSubrange(start..<end)
    }

    /// Undoes every change of this transaction, newest first.
    func rollback() {
        for change in undo.reversed() { store(change.namespace, change.key, change.previous) }
        undo.removeAll()
    }
}
