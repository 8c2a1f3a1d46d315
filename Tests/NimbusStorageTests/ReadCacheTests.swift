//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
@testable import NimbusStorage
import Testing

/// The SQLite store answers point reads from memory: what it answers must still be what is committed.
@Suite struct ReadCacheTests {
    @Test func repeatedReadsAreAnsweredFromMemory() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            try await store.write { try $0.put("ns", "k", "v".bytes) }
            #expect(try await store.read { try $0.get("ns", "k") } == "v".bytes)
            let before = store.readCacheStatistics.hits
            for _ in 0..<10 { #expect(try await store.read { try ($0.get("ns", "k"), $0.get("ns", "absent")) } == ("v".bytes, nil)) }
            #expect(store.readCacheStatistics.hits >= before + 19)
        }
    }

    @Test func everyKindOfWriteIsSeenByTheNextRead() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            func read(_ key: String) async throws -> [UInt8]? {
                // Twice: the second is the one the cache answers.
                _ = try await store.read { try $0.get("ns", key) }
                return try await store.read { try $0.get("ns", key) }
            }
            #expect(try await read("k") == nil)
            try await store.write { try $0.put("ns", "k", "v1".bytes) }
            #expect(try await read("k") == "v1".bytes)
            try await store.write { try $0.put("ns", "k", "v2".bytes) }
            #expect(try await read("k") == "v2".bytes)
            try await store.write { try $0.delete("ns", "k") }
            #expect(try await read("k") == nil)
            try await store.write { tx in
                try tx.put("ns", "p/1", "a".bytes)
                try tx.put("ns", "q", "b".bytes)
            }
            #expect(try await read("p/1") == "a".bytes)
            try await store.write { try $0.deleteAll("ns", prefix: "p/") }
            #expect(try await read("p/1") == nil)
            #expect(try await read("q") == "b".bytes)
            try await store.reset()
            #expect(try await read("q") == nil)
        }
    }

    @Test func aBatchThatAlternatesNamespacesIsSeenWhole() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            let keys = [("a", "1"), ("b", "1"), ("a", "2"), ("c", "1"), ("a", "3")]
            for _ in 0..<2 { _ = try await store.read { reader in try keys.map { try reader.get($0.0, $0.1) } } }
            try await store.write { tx in
                for (namespace, key) in keys { try tx.put(namespace, key, "\(namespace)\(key)".bytes) }
            }
            let values = try await store.read { reader in try keys.map { try reader.get($0.0, $0.1) } }
            #expect(values == keys.map { "\($0.0)\($0.1)".bytes })
        }
    }

    @Test func scansSeeEveryChangeToTheirNamespace() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            func keys() async throws -> [String] {
                _ = try await store.read { try $0.scan("ns", prefix: "p/") }
                return try await store.read { try $0.scan("ns", prefix: "p/").map(\.key) }
            }
            try await store.write { try $0.put("ns", "p/1", []) }
            #expect(try await keys() == ["p/1"])
            try await store.write { try $0.put("ns", "p/2", []) }
            #expect(try await keys() == ["p/1", "p/2"])
            try await store.write { try $0.delete("ns", "p/1") }
            #expect(try await keys() == ["p/2"])
            try await store.write { try $0.put("other", "p/3", []) }
            let hits = store.readCacheStatistics.hits
            #expect(try await keys() == ["p/2"])
            #expect(store.readCacheStatistics.hits > hits)
        }
    }

    @Test func aWriteThatThrowsLeavesTheCachedValue() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            try await store.write { try $0.put("ns", "k", "kept".bytes) }
            _ = try await store.read { try $0.get("ns", "k") }
            await #expect(throws: Boom.self) {
                try await store.write { tx in
                    try tx.put("ns", "k", "rolled back".bytes)
                    throw Boom()
                }
            }
            #expect(try await store.read { try $0.get("ns", "k") } == "kept".bytes)
        }
    }

    /// A read must see one snapshot: two keys always written together are never seen apart.
    @Test func readsSeeWritesWhole() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            try await store.write { tx in
                try tx.put("ns", "a", "0".bytes)
                try tx.put("ns", "b", "0".bytes)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for i in 1...200 {
                        try await store.write { tx in
                            try tx.put("ns", "a", String(i).bytes)
                            try tx.put("ns", "b", String(i).bytes)
                        }
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<2_000 {
                            let (a, b) = try await store.read { try ($0.get("ns", "a"), $0.get("ns", "b")) }
                            #expect(a == b)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(store.readCacheStatistics.hits > 0)
        }
    }

    @Test func aBodyThatSwallowsErrorsStillGetsTheStoredValue() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            try await store.write { try $0.put("ns", "k", "stored".bytes) }
            let value = try await store.read { (try? $0.get("ns", "k")) ?? "fallback".bytes }
            #expect(value == "stored".bytes)
        }
    }

    /// `nimbus accounts create` adds keys from another process while a server runs.
    @Test func keysAddedByAnotherProcessToASharedNamespaceAreFound() async throws {
        try await withTemporaryDirectory { directory in
            let server = try SQLiteMetadataStore(directory: directory, sharedNamespaces: ["accounts"])
            for _ in 0..<2 { #expect(try await server.read { try $0.get("accounts", "123") } == nil) }
            for _ in 0..<2 { #expect(try await server.read { try $0.scan("accounts").count } == 0) }
            let cli = try SQLiteMetadataStore(directory: directory)
            try await cli.write { try $0.put("accounts", "123", "new".bytes) }
            try cli.close()
            #expect(try await server.read { try $0.get("accounts", "123") } == "new".bytes)
            #expect(try await server.read { try $0.scan("accounts").count } == 1)
        }
    }

    @Test func aClosedStoreThrowsEvenForCachedKeys() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            try await store.write { try $0.put("ns", "k", []) }
            for _ in 0..<2 { _ = try await store.read { try $0.get("ns", "k") } }
            try store.close()
            await #expect(throws: (any Error).self) { try await store.read { try $0.get("ns", "k") } }
        }
    }

    /// A reset's or a migration's commit may overlap the writer's: the cache is stable only when neither runs.
    @Test func overlappingCommitsKeepTheCacheOutOfUseUntilBothEnd() {
        let cache = ReadCache()
        let key = ReadCache.Key(namespace: "ns", key: "k")
        func readAndInsert() -> Bool {
            guard let generation = cache.stableGeneration() else { return false }
            cache.insert(ReadCache.Reads(gets: [(key, "v".bytes)]), readAt: generation)
            return cache.lookup(key) != nil
        }
        let writer = ReadCache.Changes()
        writer.changed("ns", "k")
        let reset = ReadCache.Changes()
        reset.changedEverything()
        cache.beginCommit(writer)
        cache.beginCommit(reset)
        cache.endCommit(writer)
        #expect(!readAndInsert())
        cache.endCommit(reset)
        #expect(readAndInsert())
        // A batch that failed before COMMIT ends nothing it began; the cache stays usable.
        cache.endCommit(ReadCache.Changes())
        #expect(cache.stableGeneration() != nil)
        // A read that straddles a commit is not cached.
        let generation = cache.stableGeneration()!
        cache.beginCommit(writer)
        cache.endCommit(writer)
        cache.insert(ReadCache.Reads(gets: [(key, "stale".bytes)]), readAt: generation)
        #expect(cache.lookup(key) == nil)
    }

    @Test func largeValuesAreLeftToSQLite() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            let large = [UInt8](repeating: 1, count: ReadCache.maxValueBytes + 1)
            try await store.write { try $0.put("ns", "large", large) }
            for _ in 0..<3 { #expect(try await store.read { try $0.get("ns", "large") } == large) }
            #expect(store.readCacheStatistics.entries == 0)
        }
    }
}
