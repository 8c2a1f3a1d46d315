//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage
import Testing

/// The ``MetadataStore`` contract, checked against every backend.
@Suite struct MetadataStoreTests {
    @Test(arguments: Backend.allCases)
    func crud(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            try await store.write { try $0.put("users", "alice", "v1".bytes) }
            #expect(try await store.read { try $0.get("users", "alice") } == "v1".bytes)
            #expect(try await store.read { try $0.get("other", "alice") } == nil)
            try await store.write { try $0.put("users", "alice", "v2".bytes) }
            #expect(try await store.read { try $0.get("users", "alice") } == "v2".bytes)
            try await store.write { try $0.delete("users", "alice") }
            try await store.write { try $0.delete("users", "missing") }
            #expect(try await store.read { try $0.get("users", "alice") } == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func emptyKeysAndValues(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            try await store.write { w in
                try w.put("ns", "", "root".bytes)
                try w.put("ns", "k", [])
            }
            #expect(try await store.read { try $0.get("ns", "") } == "root".bytes)
            #expect(try await store.read { try $0.get("ns", "k") } == [])
            let keys = try await store.read { try $0.scan("ns").map(\.key) }
            #expect(keys == ["", "k"])
            #expect(try await store.read { try $0.scan("ns", after: "").map(\.key) } == ["k"])
        }
    }

    @Test(arguments: Backend.allCases)
    func writeReturnsValueAndReadsItsOwnWrites(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let seen = try await store.write { w in
                try w.put("ns", "a", "1".bytes)
                return try w.get("ns", "a")
            }
            #expect(seen == "1".bytes)
        }
    }

    @Test(arguments: Backend.allCases)
    func scansAreOrderedByKeyBytes(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let keys = ["c", "b/2", "é", "b/10", "a", "b/1", "Z", "b", "b0"]
            try await store.write { w in
                for key in keys { try w.put("ns", key, key.bytes) }
                try w.put("other", "b/3", [])
            }
            func scan(prefix: String = "", after: String? = nil, reverse: Bool = false, limit: Int = .max) async throws -> [String] {
                try await store.read { try $0.scan("ns", prefix: prefix, after: after, reverse: reverse, limit: limit).map(\.key) }
            }
            // Byte order: uppercase before lowercase, "/" (0x2F) before "0", multi-byte UTF-8 last.
            #expect(try await scan() == ["Z", "a", "b", "b/1", "b/10", "b/2", "b0", "c", "é"])
            #expect(try await scan(prefix: "b/") == ["b/1", "b/10", "b/2"])
            #expect(try await scan(prefix: "b/", reverse: true) == ["b/2", "b/10", "b/1"])
            #expect(try await scan(prefix: "b/", after: "b/1") == ["b/10", "b/2"])
            #expect(try await scan(prefix: "b/", after: "b/10", reverse: true) == ["b/1"])
            #expect(try await scan(prefix: "b/", after: "b/", reverse: false) == ["b/1", "b/10", "b/2"])
            #expect(try await scan(after: "b0") == ["c", "é"])
            #expect(try await scan(after: "b00") == ["c", "é"])
            #expect(try await scan(after: "a", reverse: true) == ["Z"])
            #expect(try await scan(limit: 2) == ["Z", "a"])
            #expect(try await scan(reverse: true, limit: 2) == ["é", "c"])
            #expect(try await scan(prefix: "b", limit: 0) == [])
            #expect(try await scan(prefix: "x") == [])
            #expect(try await scan(prefix: "é") == ["é"])
            let values = try await store.read { try $0.scan("ns", prefix: "b/").map(\.value) }
            #expect(values == ["b/1".bytes, "b/10".bytes, "b/2".bytes])
        }
    }

    @Test(arguments: Backend.allCases)
    func paginatedScanVisitsEveryKeyOnce(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let keys = (0..<57).map { String(format: "k%03d", $0) }
            try await store.write { w in for key in keys { try w.put("ns", key, []) } }
            for reverse in [false, true] {
                var seen: [String] = []
                var after: String?
                while true {
                    let page = try await store.read { [after] in try $0.scan("ns", prefix: "k", after: after, reverse: reverse, limit: 10) }
                    seen += page.map(\.key)
                    guard page.count == 10 else { break }
                    after = page.last?.key
                }
                #expect(seen == (reverse ? keys.reversed() : keys))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func deleteAllRemovesOnlyThePrefix(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            try await store.write { w in
                for key in ["a", "b/1", "b/2", "b0", "c"] { try w.put("ns", key, []) }
                try w.put("keep", "b/1", [])
            }
            try await store.write { try $0.deleteAll("ns", prefix: "b/") }
            #expect(try await store.read { try $0.scan("ns").map(\.key) } == ["a", "b0", "c"])
            try await store.write { try $0.deleteAll("ns", prefix: "") }
            #expect(try await store.read { try $0.scan("ns").map(\.key) } == [])
            #expect(try await store.read { try $0.get("keep", "b/1") } == [])
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailingWriteChangesNothing(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            try await store.write { w in
                for key in ["a", "b/1", "b/2"] { try w.put("ns", key, "old".bytes) }
            }
            await #expect(throws: Boom.self) {
                try await store.write { w in
                    try w.put("ns", "a", "new".bytes)
                    try w.put("ns", "fresh", "new".bytes)
                    try w.deleteAll("ns", prefix: "b/")
                    try w.put("ns", "b/1", "new".bytes)
                    try w.delete("ns", "b/1")
                    throw Boom()
                }
            }
            let entries = try await store.read { try $0.scan("ns") }
            #expect(entries.map(\.key) == ["a", "b/1", "b/2"])
            #expect(entries.allSatisfy { $0.value == "old".bytes })
        }
    }

    @Test(arguments: Backend.allCases)
    func failingWritesInABatchRollBackAlone(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for i in 0..<100 {
                    group.addTask {
                        do {
                            try await store.write { w in
                                try w.put("ns", String(format: "%03d", i), "\(i)".bytes)
                                if i % 3 == 0 { throw Boom() }
                            }
                            return (i, true)
                        } catch {
                            return (i, false)
                        }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.count == 100)
            #expect(outcomes.allSatisfy { $0.value == ($0.key % 3 != 0) })
            let keys = try await store.read { try $0.scan("ns").map(\.key) }
            #expect(keys == (0..<100).filter { $0 % 3 != 0 }.map { String(format: "%03d", $0) })
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentWritersAllLand(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        try await store.write { w in
                            try w.put("ns", "key-\(i)", "\(i)".bytes)
                            return i
                        }
                    }
                }
                var answered = Set<Int>()
                for try await i in group { answered.insert(i) }
                #expect(answered.count == 200)
            }
            let entries = try await store.read { try $0.scan("ns") }
            #expect(entries.count == 200)
            #expect(entries.allSatisfy { "key-" + String(decoding: $0.value, as: UTF8.self) == $0.key })
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentReadModifyWritesAreSerialized(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        try await store.write { w in
                            let count = try w.getJSON(Int.self, "ns", "counter") ?? 0
                            try w.putJSON("ns", "counter", count + 1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.read { try $0.getJSON(Int.self, "ns", "counter") } == 100)
        }
    }

    @Test(arguments: Backend.allCases)
    func jsonConveniences(_ backend: Backend) async throws {
        struct User: Codable, Equatable {
            var name: String
            var created: Date
        }
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let alice = User(name: "alice", created: Date(timeIntervalSince1970: 1_795_000_000.123))
            try await store.write { w in
                try w.putJSON("users", "alice", alice)
                try w.putJSON("users", "bob", User(name: "bob", created: .distantPast))
            }
            #expect(try await store.read { try $0.getJSON(User.self, "users", "alice") } == alice)
            #expect(try await store.read { try $0.getJSON(User.self, "users", "carol") } == nil)
            let names = try await store.read { try $0.scanJSON(User.self, "users").map(\.value.name) }
            #expect(names == ["alice", "bob"])
        }
    }

    @Test(arguments: Backend.allCases)
    func migrationsRunOnceInOrder(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let log = StepLog()
            let v1 = StoreMigration("v1") { w in
                log.append("v1")
                try w.put("m", "schema", "1".bytes)
            }
            let v2 = StoreMigration("v2") { w in
                log.append("v2")
                try w.put("m", "schema", "2".bytes)
            }
            try await store.migrate(module: "iam", [v1])
            try await store.migrate(module: "iam", [v1, v2])
            try await store.migrate(module: "iam", [v1, v2])
            try await store.migrate(module: "s3", [v1])
            #expect(log.steps == ["v1", "v2", "v1"])
            #expect(try await store.read { try $0.get("m", "schema") } == "1".bytes)
        }
    }

    @Test(arguments: Backend.allCases)
    func migrationHistoryMustBeAPrefix(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let noop = { (id: String) in StoreMigration(id) { _ in } }
            try await store.migrate(module: "iam", [noop("a"), noop("b")])
            await #expect(throws: StorageError(.migrationMismatch)) {
                try await store.migrate(module: "iam", [noop("b"), noop("a")])
            }
            await #expect(throws: StorageError(.migrationMismatch)) {
                try await store.migrate(module: "iam", [noop("a")])
            }
            await #expect(throws: StorageError(.migrationMismatch)) {
                try await store.migrate(module: "kms", [noop("a"), noop("a")])
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func severalModulesMigrateTogether(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let log = StepLog()
            let step = { (id: String) in StoreMigration.logging(id, to: log) }
            try await store.migrate(module: "iam", [step("iam-1")])
            try await store.migrate([("iam", [step("iam-1"), step("iam-2")]), ("s3", [step("s3-1")]), ("kms", [])])
            try await store.migrate([("iam", [step("iam-1"), step("iam-2")]), ("s3", [step("s3-1")])])
            #expect(log.steps == ["iam-1", "iam-2", "s3-1"])
            // What the batch recorded is what a single module's call finds applied.
            try await store.migrate(module: "s3", [step("s3-1"), step("s3-2")])
            #expect(log.steps == ["iam-1", "iam-2", "s3-1", "s3-2"])
        }
    }

    @Test(arguments: Backend.allCases)
    func aMismatchInOneModuleAppliesNoneOfTheBatch(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let log = StepLog()
            let step = { (id: String) in StoreMigration.logging(id, to: log) }
            try await store.migrate(module: "kms", [step("a"), step("b")])
            await #expect(throws: StorageError(.migrationMismatch)) {
                try await store.migrate([("iam", [step("iam-1")]), ("kms", [step("b"), step("a")])])
            }
            await #expect(throws: Boom.self) {
                try await store.migrate([("iam", [step("iam-1")]), ("s3", [StoreMigration("bad") { _ in throw Boom() }])])
            }
            await #expect(throws: StorageError(.migrationMismatch)) {
                try await store.migrate([("iam", [step("iam-1")]), ("iam", [step("iam-1"), step("iam-2")])])
            }
            #expect(try await store.read { try $0.get("m", "iam-1") } == nil)
            try await store.migrate(module: "iam", [step("iam-1")])
            #expect(log.steps == ["a", "b", "iam-1", "iam-1"])
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailingMigrationIsNotRecorded(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let log = StepLog()
            let ok = StoreMigration.logging("ok", to: log)
            let bad = StoreMigration("bad") { _ in
                log.append("bad")
                throw Boom()
            }
            await #expect(throws: Boom.self) { try await store.migrate(module: "iam", [ok, bad]) }
            #expect(try await store.read { try $0.get("m", "ok") } == nil)
            let fixed = StoreMigration("bad") { _ in log.append("fixed") }
            try await store.migrate(module: "iam", [ok, fixed])
            #expect(log.steps == ["ok", "bad", "ok", "fixed"])
        }
    }

    @Test(arguments: Backend.allCases)
    func resetWipesDataButKeepsMigrations(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let log = StepLog()
            let v1 = StoreMigration("v1") { _ in log.append("v1") }
            try await store.migrate(module: "iam", [v1])
            try await store.write { w in
                try w.put("a", "1", [])
                try w.put("b", "2", [])
            }
            try await store.reset()
            #expect(try await store.read { try $0.scan("a").count + $0.scan("b").count } == 0)
            try await store.migrate(module: "iam", [v1])
            #expect(log.steps == ["v1"])
            try await store.write { try $0.put("a", "1", "after".bytes) }
            #expect(try await store.read { try $0.get("a", "1") } == "after".bytes)
        }
    }
}

extension StoreMigration {
    /// A migration that logs its identifier and leaves a key of that name in namespace `m`.
    static func logging(_ id: String, to log: StepLog) -> StoreMigration {
        StoreMigration(id) { w in
            log.append(id)
            try w.put("m", id, [])
        }
    }
}

/// Records which migration closures ran, from `@Sendable` closures.
final class StepLog: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var _steps: [String] = []
    func append(_ step: String) { lock.withLock { _steps.append(step) } }
    var steps: [String] { lock.withLock { _steps } }
}

/// Random operations on a store and on a plain dictionary must agree, across many chunk splits.
@Suite struct MetadataStoreModelTests {
    @Test(arguments: Backend.allCases)
    func randomOperationsMatchAModel(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            var generator = SplitMix64(seed: 42)
            var model: [String: [UInt8]] = [:]
            func sortedKeys(_ prefix: String) -> [String] {
                model.keys.filter { $0.utf8.starts(with: prefix.utf8) }
                    .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            }
            for round in 0..<40 {
                // A batch of puts and deletes in one write, sometimes rolled back.
                var puts: [(String, [UInt8])] = []
                var deletes: [String] = []
                for _ in 0..<150 {
                    let key = "k\(generator.next() % 4000)/\(generator.next() % 3)"
                    if generator.next() % 4 == 0 { deletes.append(key) } else { puts.append((key, [UInt8(round)])) }
                }
                let fail = generator.next() % 5 == 0
                let prefixToClear = generator.next() % 7 == 0 ? "k\(generator.next() % 40)" : nil
                do {
                    try await store.write { [puts, deletes] w in
                        for (key, value) in puts { try w.put("ns", key, value) }
                        for key in deletes { try w.delete("ns", key) }
                        if let prefixToClear { try w.deleteAll("ns", prefix: prefixToClear) }
                        if fail { throw Boom() }
                    }
                } catch is Boom {}
                if !fail {
                    for (key, value) in puts { model[key] = value }
                    for key in deletes { model[key] = nil }
                    if let prefixToClear { for key in sortedKeys(prefixToClear) { model[key] = nil } }
                }
                let prefix = "k\(generator.next() % 40)"
                let after = generator.next() % 2 == 0 ? "k\(generator.next() % 4000)" : nil
                let reverse = generator.next() % 2 == 0
                let limit = Int(generator.next() % 700)
                let scanned = try await store.read { try $0.scan("ns", prefix: prefix, after: after, reverse: reverse, limit: limit) }
                var expected = sortedKeys(prefix)
                if reverse { expected.reverse() }
                if let after {
                    expected = expected.filter {
                        reverse ? $0.utf8.lexicographicallyPrecedes(after.utf8) : after.utf8.lexicographicallyPrecedes($0.utf8)
                    }
                }
                #expect(scanned.map(\.key) == Array(expected.prefix(limit)), "round \(round)")
                #expect(scanned.allSatisfy { model[$0.key] == $0.value })
            }
            let all = try await store.read { try $0.scan("ns") }
            #expect(all.map(\.key) == sortedKeys(""))
        }
    }
}
