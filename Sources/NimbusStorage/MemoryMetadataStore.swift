//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``MetadataStore`` in memory, for `--ephemeral` and tests; same semantics, nothing durable.
///
/// Reads and writes are serialized by one lock; a write that throws is undone from an undo log.
public final class MemoryMetadataStore: MetadataStore {
    private let state = Locked(MemoryState())

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

    public func migrate(_ modules: [(module: String, migrations: [StoreMigration])]) async throws {
        try state.withLock { state in
            let pending = try pendingMigrations(modules) { state.migrations[$0, default: []] }
            let transaction = MemoryTransaction(state: state)
            do {
                for (_, migrations) in pending {
                    for migration in migrations { try migration.apply(transaction) }
                }
            } catch {
                transaction.rollback()
                throw error
            }
            for (module, migrations) in pending { state.migrations[module, default: []].append(contentsOf: migrations.map(\.identifier)) }
        }
    }

    public func reset() async throws {
        state.withLock { $0.namespaces.removeAll() }
    }
}

/// Each module's pending migrations, all checked before any runs (a batch that does not fit applies nothing).
/// A module named twice in one batch is a mismatch too: both entries would apply the same migrations.
func pendingMigrations(
    _ modules: [(module: String, migrations: [StoreMigration])],
    applied: (String) throws -> [String]
) throws -> [(module: String, pending: ArraySlice<StoreMigration>)] {
    var named = Set<String>()
    return try modules.map { module, migrations in
        guard named.insert(module).inserted else {
            throw StorageError(.migrationMismatch, "module \(module) is named twice in one migration")
        }
        return (module, try pendingMigrations(module: module, applied: try applied(module), declared: migrations))
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
    var namespaces: [String: SortedEntries] = [:]
    /// Applied migration identifiers per module, in order.
    var migrations: [String: [String]] = [:]
}

/// Reads and writes on the locked state, with an undo log so that a failing write can be rolled back.
final class MemoryTransaction: StoreWriter {
    private let state: MemoryState
    private var undo: [(namespace: String, key: [UInt8], previous: [UInt8]?)] = []

    init(state: MemoryState) { self.state = state }

    func get(_ namespace: String, _ key: String) throws -> [UInt8]? {
        state.namespaces[namespace]?.value(for: Array(key.utf8))
    }

    func scan(_ namespace: String, prefix: String, after: String?, reverse: Bool, limit: Int) throws -> [(key: String, value: [UInt8])] {
        guard limit > 0, let entries = state.namespaces[namespace] else { return [] }
        var (start, end) = entries.range(prefix: Array(prefix.utf8))
        if let after {
            let afterBytes = Array(after.utf8)
            let position = entries.lowerBound(afterBytes)
            if reverse {
                end = min(end, position)
            } else {
                let next = position < entries.endPosition && entries[position].key == afterBytes ? entries.position(after: position) : position
                start = max(start, next)
            }
        }
        var result: [(key: String, value: [UInt8])] = []
        if reverse {
            var position = end
            while result.count < limit, position > start, let previous = entries.position(before: position) {
                result.append((String(decoding: entries[previous].key, as: UTF8.self), entries[previous].value))
                position = previous
            }
        } else {
            var position = start
            while result.count < limit, position < end {
                result.append((String(decoding: entries[position].key, as: UTF8.self), entries[position].value))
                position = entries.position(after: position)
            }
        }
        return result
    }

    func put(_ namespace: String, _ key: String, _ value: [UInt8]) throws {
        let keyBytes = Array(key.utf8)
        let previous = state.namespaces[namespace, default: SortedEntries()].set(keyBytes, value)
        undo.append((namespace, keyBytes, previous))
    }

    func delete(_ namespace: String, _ key: String) throws {
        let keyBytes = Array(key.utf8)
        if let previous = state.namespaces[namespace]?.remove(keyBytes) {
            undo.append((namespace, keyBytes, previous))
        }
    }

    func deleteAll(_ namespace: String, prefix: String) throws {
        var doomed: [[UInt8]] = []
        do {
            guard let entries = state.namespaces[namespace] else { return }
            let (start, end) = entries.range(prefix: Array(prefix.utf8))
            var position = start
            while position < end {
                doomed.append(entries[position].key)
                position = entries.position(after: position)
            }
        }
        for key in doomed {
            if let previous = state.namespaces[namespace]?.remove(key) { undo.append((namespace, key, previous)) }
        }
    }

    /// Undoes every change of this transaction, newest first.
    func rollback() {
        for change in undo.reversed() {
            if let previous = change.previous {
                state.namespaces[change.namespace, default: SortedEntries()].set(change.key, previous)
            } else {
                state.namespaces[change.namespace]?.remove(change.key)
            }
        }
        undo.removeAll()
    }
}

struct MemoryEntry {
    var key: [UInt8]
    var value: [UInt8]
}

/// Entries sorted by key bytes, in chunks of at most ``maximumChunkCount``, so that an insert or a
/// removal anywhere (audit keys always arrive at the front) moves a chunk, not the whole namespace.
struct SortedEntries {
    static let maximumChunkCount = 512

    /// Non-empty chunks; every key of a chunk is below every key of the next.
    private var chunks: [[MemoryEntry]] = []

    struct Position: Comparable {
        var chunk: Int
        var offset: Int

        static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.chunk, lhs.offset) < (rhs.chunk, rhs.offset)
        }
    }

    var endPosition: Position { Position(chunk: chunks.count, offset: 0) }

    subscript(position: Position) -> MemoryEntry { chunks[position.chunk][position.offset] }

    func position(after position: Position) -> Position {
        position.offset + 1 < chunks[position.chunk].count
            ? Position(chunk: position.chunk, offset: position.offset + 1)
            : Position(chunk: position.chunk + 1, offset: 0)
    }

    func position(before position: Position) -> Position? {
        if position.offset > 0 { return Position(chunk: position.chunk, offset: position.offset - 1) }
        guard position.chunk > 0 else { return nil }
        return Position(chunk: position.chunk - 1, offset: chunks[position.chunk - 1].count - 1)
    }

    /// The position of the first entry whose key is not less than `key`.
    func lowerBound(_ key: [UInt8]) -> Position {
        var low = 0
        var high = chunks.count
        while low < high {
            let mid = (low + high) / 2
            if Self.precedes(chunks[mid][chunks[mid].count - 1].key, key) { low = mid + 1 } else { high = mid }
        }
        guard low < chunks.count else { return endPosition }
        let chunk = chunks[low]
        var first = 0
        var last = chunk.count
        while first < last {
            let mid = (first + last) / 2
            if Self.precedes(chunk[mid].key, key) { first = mid + 1 } else { last = mid }
        }
        return Position(chunk: low, offset: first)
    }

    /// Byte order, as `lexicographicallyPrecedes` but with `memcmp` (audit keys share long prefixes).
    @inline(__always)
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return order != 0 ? order < 0 : a.count < b.count
            }
        }
    }

    /// The positions of the keys that start with `prefix`.
    func range(prefix: [UInt8]) -> (Position, Position) {
        (lowerBound(prefix), prefixUpperBound(prefix).map(lowerBound) ?? endPosition)
    }

    func value(for key: [UInt8]) -> [UInt8]? {
        let position = lowerBound(key)
        return position < endPosition && self[position].key == key ? self[position].value : nil
    }

    /// Stores `value` under `key`; returns the value it replaced.
    @discardableResult
    mutating func set(_ key: [UInt8], _ value: [UInt8]) -> [UInt8]? {
        guard !chunks.isEmpty else {
            chunks = [[MemoryEntry(key: key, value: value)]]
            return nil
        }
        var position = lowerBound(key)
        if position < endPosition, self[position].key == key {
            let previous = self[position].value
            chunks[position.chunk][position.offset].value = value
            return previous
        }
        if position == endPosition { position = Position(chunk: chunks.count - 1, offset: chunks[chunks.count - 1].count) }
        chunks[position.chunk].insert(MemoryEntry(key: key, value: value), at: position.offset)
        if chunks[position.chunk].count > Self.maximumChunkCount {
            let half = chunks[position.chunk].count / 2
            let tail = Array(chunks[position.chunk][half...])
            chunks[position.chunk].removeSubrange(half...)
            chunks.insert(tail, at: position.chunk + 1)
        }
        return nil
    }

    /// Removes `key`; returns the value it had.
    @discardableResult
    mutating func remove(_ key: [UInt8]) -> [UInt8]? {
        let position = lowerBound(key)
        guard position < endPosition, self[position].key == key else { return nil }
        let previous = chunks[position.chunk].remove(at: position.offset).value
        if chunks[position.chunk].isEmpty { chunks.remove(at: position.chunk) }
        return previous
    }
}
