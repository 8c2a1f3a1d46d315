//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusStorage
import Synchronization
import Testing

/// A record that counts how often it is decoded.
private struct Counted: Codable, Sendable, Equatable {
    static let decodes = Atomic<Int>(0)

    var name: String
    var when: Date

    init(name: String, when: Date) {
        self.name = name
        self.when = when
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        when = try container.decode(Date.self, forKey: .when)
        Self.decodes.add(1, ordering: .relaxed)
    }
}

/// Serialized: the decode counter is shared by the tests.
@Suite(.serialized) struct DecodedRecordCacheTests {
    @Test(arguments: Backend.allCases)
    func aRecordWrittenThroughTheCacheIsReadWithoutDecoding(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let cache = DecodedRecordCache<Counted>()
            let record = Counted(name: "a", when: Date(timeIntervalSinceReferenceDate: 816_000_000.123_456_7))
            try await store.write { try cache.put($0, "ns", "k", record) }
            let before = Counted.decodes.load(ordering: .relaxed)
            #expect(try await store.read { try cache.get($0, "ns", "k") } == record)
            #expect(Counted.decodes.load(ordering: .relaxed) == before)
            // What the cache wrote is what `putJSON` writes, and decodes to the same record.
            #expect(try await store.read { try $0.getJSON(Counted.self, "ns", "k") } == record)
        }
    }

    @Test(arguments: Backend.allCases)
    func aWriteThatIsRolledBackLeavesTheStoredRecord(_ backend: Backend) async throws {
        try await withTemporaryDirectory { directory in
            let store = try backend.open(in: directory)
            let cache = DecodedRecordCache<Counted>()
            let stored = Counted(name: "stored", when: Date(timeIntervalSinceReferenceDate: 1))
            try await store.write { try $0.putJSON("ns", "k", stored) }
            await #expect(throws: Boom.self) {
                try await store.write { tx in
                    try cache.put(tx, "ns", "k", Counted(name: "rolled back", when: Date(timeIntervalSinceReferenceDate: 2)))
                    throw Boom()
                }
            }
            #expect(try await store.read { try cache.get($0, "ns", "k") } == stored)
            // Written behind the cache's back: the new bytes are decoded.
            let other = Counted(name: "other", when: Date(timeIntervalSinceReferenceDate: 3))
            try await store.write { try $0.putJSON("ns", "k", other) }
            let before = Counted.decodes.load(ordering: .relaxed)
            #expect(try await store.read { try cache.get($0, "ns", "k") } == other)
            #expect(Counted.decodes.load(ordering: .relaxed) == before + 1)
        }
    }
}
