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

@Suite struct RootKeyTests {
    @Test func sealOpenRoundTrip() throws {
        let key = RootKey.ephemeral()
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".bytes
        let sealed = try key.seal(secret, context: "iam/access-key/AKIAIOSFODNN7EXAMPLE")
        #expect(sealed.first == 1)
        #expect(sealed.count == 1 + 12 + secret.count + 16)
        #expect(try key.open(sealed, context: "iam/access-key/AKIAIOSFODNN7EXAMPLE") == secret)
        #expect(try key.open(key.seal([], context: "c"), context: "c") == [])
        // A random nonce each time.
        #expect(try key.seal(secret, context: "c") != key.seal(secret, context: "c"))
    }

    @Test func wrongContextKeyOrTamperingFails() throws {
        let key = RootKey.ephemeral()
        let sealed = try key.seal("secret".bytes, context: "a")
        #expect(throws: StorageError(.sealedDataInvalid)) { try key.open(sealed, context: "b") }
        #expect(throws: StorageError(.sealedDataInvalid)) { try RootKey.ephemeral().open(sealed, context: "a") }
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(throws: StorageError(.sealedDataInvalid)) { try key.open(tampered, context: "a") }
        var otherVersion = sealed
        otherVersion[0] = 2
        #expect(throws: StorageError(.sealedDataInvalid)) { try key.open(otherVersion, context: "a") }
        #expect(throws: StorageError(.sealedDataInvalid)) { try key.open([1, 2, 3], context: "a") }
    }

    @Test func knownKeyOpensItsOwnSeal() throws {
        let bytes = [UInt8](repeating: 7, count: 32)
        let sealed = try RootKey(bytes: bytes).seal("x".bytes, context: "c")
        #expect(try RootKey(bytes: bytes).open(sealed, context: "c") == "x".bytes)
        #expect(throws: StorageError(.rootKeyInvalid)) { try RootKey(bytes: [1, 2, 3]) }
    }

    @Test func createdFileIsPrivateAndReloads() async throws {
        try await withTemporaryDirectory { directory in
            let key = try RootKey.loadOrCreate(in: directory)
            let path = directory.appendingPathComponent("root.key").path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect((attributes[.size] as? NSNumber)?.intValue == 32)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty)
            let sealed = try key.seal("secret".bytes, context: "c")
            let reloaded = try RootKey.loadOrCreate(in: directory)
            #expect(try reloaded.open(sealed, context: "c") == "secret".bytes)
        }
    }

    @Test func createsMissingDataDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let nested = directory.appendingPathComponent("a/b")
            _ = try RootKey.loadOrCreate(in: nested)
            #expect(FileManager.default.fileExists(atPath: nested.appendingPathComponent("root.key").path))
        }
    }

    @Test func looseModeIsTightened() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("root.key").path
            let bytes = [UInt8](repeating: 9, count: 32)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o644]))
            let key = try RootKey.loadOrCreate(in: directory)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let sealed = try RootKey(bytes: bytes).seal("x".bytes, context: "c")
            #expect(try key.open(sealed, context: "c") == "x".bytes)
        }
    }

    @Test func truncatedFileIsRejected() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("root.key").path
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]), attributes: [.posixPermissions: 0o600]))
            #expect(throws: StorageError(.rootKeyInvalid)) { try RootKey.loadOrCreate(in: directory) }
        }
    }

    @Test func descriptionHidesTheKey() {
        let key = try! RootKey(bytes: [UInt8](repeating: 0xAB, count: 32))
        for text in [
            String(describing: key), String(reflecting: key), "\(key)",
            {
                var s = ""
                dump(key, to: &s)
                return s
            }(),
        ] {
            #expect(!text.lowercased().contains("ab, ") && !text.lowercased().contains("abab") && !text.contains("171"))
        }
        #expect(String(describing: key) == "RootKey(redacted)")
    }
}
