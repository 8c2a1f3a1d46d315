//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import Testing

@testable import NimbusServer

/// An ephemeral server's object data does not outlive it, however it ends.
struct EphemeralDirectoryTests {
    private func withParent(_ body: (URL) throws -> Void) throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-scratch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        try body(parent)
    }

    private func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    @Test func removedWhenItsOwnerLetsGo() throws {
        try withParent { parent in
            var directory: EphemeralDirectory? = try EphemeralDirectory.make(in: parent)
            let url = directory!.url
            try FileManager.default.createDirectory(at: url.appendingPathComponent("d0/ab"), withIntermediateDirectories: true)
            try Data("sealed".utf8).write(to: url.appendingPathComponent("d0/ab/piece"))
            #expect(exists(url))
            #expect(url.lastPathComponent.hasPrefix(EphemeralDirectory.prefix))
            // Held: a sweep by another server leaves it alone.
            #expect(EphemeralDirectory.sweep(parent) == 0)
            #expect(exists(url))
            directory = nil
            #expect(!exists(url))
        }
    }

    /// `serve` removes it when it stops, while a task may still hold the state; letting go later is harmless.
    @Test func removedOnRequestWhileStillHeld() throws {
        try withParent { parent in
            var directory: EphemeralDirectory? = try EphemeralDirectory.make(in: parent)
            let url = directory!.url
            try Data("sealed".utf8).write(to: url.appendingPathComponent("piece"))
            directory!.remove()
            #expect(!exists(url))
            directory!.remove()
            // Letting go afterwards touches nothing, not even a directory made since.
            let other = try EphemeralDirectory.make(in: parent)
            directory = nil
            #expect(exists(other.url))
        }
    }

    /// What a `kill -9` leaves: the directory and its lock file, with nobody holding the lock.
    @Test func sweepRemovesAbandonedDirectoriesOnly() throws {
        try withParent { parent in
            let abandoned = parent.appendingPathComponent(EphemeralDirectory.prefix + "ABANDONED")
            try FileManager.default.createDirectory(at: abandoned.appendingPathComponent("d1"), withIntermediateDirectories: true)
            try Data().write(to: abandoned.appendingPathComponent(EphemeralDirectory.lockName))
            try Data("sealed".utf8).write(to: abandoned.appendingPathComponent("d1/piece"))
            // No lock file: not ours to judge.
            let unknown = parent.appendingPathComponent(EphemeralDirectory.prefix + "OLDER")
            try FileManager.default.createDirectory(at: unknown, withIntermediateDirectories: true)
            let unrelated = parent.appendingPathComponent("something-else")
            try FileManager.default.createDirectory(at: unrelated, withIntermediateDirectories: true)
            try Data().write(to: unrelated.appendingPathComponent(EphemeralDirectory.lockName))
            let live = try EphemeralDirectory.make(in: parent)

            #expect(EphemeralDirectory.sweep(parent) == 1)
            #expect(!exists(abandoned))
            #expect(exists(unknown))
            #expect(exists(unrelated))
            #expect(exists(live.url))
        }
    }

    @Test func ephemeralRuntimeKeepsObjectDataInItsOwnDirectory() async throws {
        var nimbus: TestNimbus? = try await TestNimbus()
        let scratch = try #require(nimbus!.runtime.state.scratch)
        #expect(!nimbus!.runtime.state.blobs.configuration.durable)
        #expect(nimbus!.runtime.state.blobs.configuration.directories.allSatisfy { $0.path.hasPrefix(scratch.url.path) })
        let url = scratch.url
        #expect(exists(url))
        nimbus = nil
        _ = consume scratch
        #expect(!exists(url))
    }
}
