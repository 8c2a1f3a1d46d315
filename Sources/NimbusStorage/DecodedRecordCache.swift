//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import Synchronization

/// Decoded records by key, reused while the stored bytes are unchanged.
///
/// The store is still read every time, so the answer is always what is stored now; only the JSON decode
/// of bytes seen before is skipped. Records read on every request (an S3 bucket, a KMS key) are decoded
/// several times per request otherwise: by the authorizer, the resolver and the handler.
public final class DecodedRecordCache<Value: Decodable & Sendable>: Sendable {
    private struct Key: Hashable {
        var namespace: String
        var key: String
    }

    private let entries = Mutex<[Key: (bytes: [UInt8], value: Value)]>([:])
    private let capacity: Int

    public init(capacity: Int = 4_096) {
        self.capacity = capacity
    }

    /// The record stored under `key` in `namespace`, decoded, or nil when there is none.
    public func get(_ reader: any StoreReader, _ namespace: String, _ key: String) throws -> Value? {
        guard let bytes = try reader.get(namespace, key) else { return nil }
        let cacheKey = Key(namespace: namespace, key: key)
        if let hit = entries.withLock({ $0[cacheKey] }), hit.bytes == bytes {
            // The same bytes in another array (read again from SQLite): keep the store's copy, which the
            // next read most likely returns again, so that comparing is a pointer check, not a `memcmp`.
            if hit.bytes.withUnsafeBufferPointer({ $0.baseAddress }) != bytes.withUnsafeBufferPointer({ $0.baseAddress }) {
                entries.withLock { $0[cacheKey]?.bytes = bytes }
            }
            return hit.value
        }
        let value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        remember(cacheKey, bytes, value)
        return value
    }

    private func remember(_ key: Key, _ bytes: [UInt8], _ value: Value) {
        entries.withLock {
            // Wholesale eviction keeps the bookkeeping trivial; a cold miss costs one decode.
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = (bytes, value)
        }
    }
}

extension DecodedRecordCache where Value: Encodable {
    /// Stores `value` under `key` as ``StoreWriter/putJSON(_:_:_:)`` does, and keeps it as the decoding of
    /// the bytes written, so that the next read of them (the next overwrite's look at the current record,
    /// a GET) does not decode what was just encoded.
    ///
    /// Should the write be rolled back, the bytes kept match nothing stored and the next read decodes.
    public func put(_ writer: any StoreWriter, _ namespace: String, _ key: String, _ value: Value) throws {
        let bytes = try storedJSON(value)
        try writer.put(namespace, key, bytes)
        remember(Key(namespace: namespace, key: key), bytes, value)
    }
}
