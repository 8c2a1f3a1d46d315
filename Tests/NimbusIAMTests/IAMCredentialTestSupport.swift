//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusCredentials
import NimbusStorage
import Testing

@testable import NimbusIAM

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    // @unchecked: `current` is only touched while `lock` is held.
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by seconds: TimeInterval) {
        lock.lock()
        current += seconds
        lock.unlock()
    }

    var wallClock: WallClock { WallClock { [self] in now } }
}

extension IAMHarness {
    /// A harness whose password hashes are cheap, so that password tests stay fast.
    static func credentials(clock: TestClock = TestClock()) -> IAMHarness {
        let harness = IAMHarness(clock: clock.wallClock)
        harness.service.usePasswordHasher(PasswordHasher(unsafeIterations: 1_000))
        return harness
    }

    func createUser(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await ok("CreateUser", ["UserName": name], sourceLocation: sourceLocation)
    }

    /// Every value stored in `namespace`, as text, to check that no secret is kept in the clear.
    func storedText(_ namespace: String) async throws -> String {
        try await store.read { reader in
            try reader.scan(namespace, prefix: "", after: nil, reverse: false, limit: .max)
                .map { String(decoding: $0.value, as: UTF8.self) }
                .joined(separator: "\n")
        }
    }
}

extension IAMResponse {
    /// A blob member, base64-decoded.
    func blob(_ name: String) -> [UInt8]? {
        self[name].flatMap { Data(base64Encoded: $0) }.map { Array($0) }
    }
}
