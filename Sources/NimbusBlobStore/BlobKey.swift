//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto

/// The 256-bit data key of one blob. The caller wraps ``bytes`` (with KMS or the root key) and
/// destroys it to crypto-shred the blob; the store never keeps it.
///
/// The bytes never appear in a description, a mirror or a log.
public struct BlobKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key length in bytes.
    public static let byteCount = 32

    /// The key material, for wrapping by the caller.
    public var bytes: [UInt8] {
        key.withUnsafeBytes { Array($0) }
    }

    let key: SymmetricKey

    /// A key from 32 bytes; any other length throws ``BlobStoreError/invalidKey``.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else { throw BlobStoreError.invalidKey }
        key = SymmetricKey(data: bytes)
    }

    private init(key: SymmetricKey) { self.key = key }

    /// A fresh random key.
    public static func random() -> BlobKey {
        BlobKey(key: SymmetricKey(size: .bits256))
    }

    public var description: String { "BlobKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
