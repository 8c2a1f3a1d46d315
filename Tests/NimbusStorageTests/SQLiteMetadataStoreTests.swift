//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusStorage
import Testing

/// What only the file-backed store promises: durability, the file layout, reopening.
@Suite struct SQLiteMetadataStoreTests {
    @Test func commitsAreFullySynced() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            #expect(try await store.synchronousLevel() == 2)
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("metadata.sqlite").path))
        }
    }

    @Test func newDatabasesHaveLargePagesSmallCachesAndInMemoryTempFiles() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            #expect(try await store.pragma("page_size") == 16384)
            // 2 is MEMORY: SAVEPOINT journals never touch the disk.
            #expect(try await store.pragma("temp_store") == 2)
            // A small page cache per connection (negative: KiB), since the pool opens several.
            #expect(try await store.pragma("cache_size") == -512)
            try await store.write { try $0.put("ns", "k", Array(repeating: 7, count: 3000)) }
            #expect(try await store.read { try $0.get("ns", "k") }?.count == 3000)
        }
    }

    @Test func dataSurvivesCloseAndReopen() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try SQLiteMetadataStore(directory: directory)
                try await store.write { try $0.put("ns", "k", "v".bytes) }
                try store.close()
            }
            let reopened = try SQLiteMetadataStore(directory: directory)
            #expect(try await reopened.read { try $0.get("ns", "k") } == "v".bytes)
        }
    }

    /// Stand-in for `kill -9`: the first store is never closed, and a second connection reads the
    /// file. Only committed (WAL-synced) data can be seen there.
    @Test func answeredWritesAreOnDiskBeforeClose() async throws {
        try await withTemporaryDirectory { directory in
            let first = try SQLiteMetadataStore(directory: directory)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<50 { group.addTask { try await first.write { try $0.put("ns", "k\(i)", []) } } }
                try await group.waitForAll()
            }
            let second = try SQLiteMetadataStore(directory: directory)
            #expect(try await second.read { try $0.scan("ns").count } == 50)
            try await second.write { try $0.put("ns", "from-second", []) }
            #expect(try await first.read { try $0.get("ns", "from-second") } == [])
            withExtendedLifetime(first) {}
        }
    }

    @Test func concurrentWritesShareCommits() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<1000 { group.addTask { try await store.write { try $0.put("ns", "k\(i)", []) } } }
                try await group.waitForAll()
            }
            let elapsed = clock.now - start
            let statistics = store.groupCommitStatistics
            #expect(statistics.writes == 1000)
            #expect(statistics.batches < statistics.writes / 4, "\(statistics) in \(elapsed)")
            #expect(try await store.read { try $0.scan("ns").count } == 1000)
        }
    }

    @Test func migrationsStayAppliedAcrossReopen() async throws {
        try await withTemporaryDirectory { directory in
            let log = StepLog()
            let v1 = StoreMigration("v1") { _ in log.append("v1") }
            let v2 = StoreMigration("v2") { _ in log.append("v2") }
            do {
                let store = try SQLiteMetadataStore(directory: directory)
                try await store.migrate(module: "iam", [v1])
                try store.close()
            }
            let reopened = try SQLiteMetadataStore(directory: directory)
            try await reopened.migrate(module: "iam", [v1, v2])
            try await reopened.migrate(module: "iam", [v1, v2])
            #expect(log.steps == ["v1", "v2"])
        }
    }

    @Test func closedStoreThrows() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteMetadataStore(directory: directory)
            try store.close()
            await #expect(throws: (any Error).self) { try await store.write { try $0.put("ns", "k", []) } }
            await #expect(throws: (any Error).self) { try await store.read { try $0.get("ns", "k") } }
        }
    }
}
