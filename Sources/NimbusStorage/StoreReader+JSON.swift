//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

// Codable values are stored as JSON with sorted keys; dates keep full precision (Foundation's default).

extension StoreReader {
    /// The value under `key` decoded from JSON, or nil when there is none.
    public func getJSON<T: Decodable>(_ type: T.Type = T.self, _ namespace: String, _ key: String) throws -> T? {
        guard let bytes = try get(namespace, key) else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// ``StoreReader/scan(_:prefix:after:reverse:limit:)`` with every value decoded from JSON.
    public func scanJSON<T: Decodable>(
        _ type: T.Type = T.self,
        _ namespace: String,
        prefix: String = "",
        after: String? = nil,
        reverse: Bool = false,
        limit: Int = .max
    ) throws -> [(key: String, value: T)] {
        let decoder = JSONDecoder()
        return try scan(namespace, prefix: prefix, after: after, reverse: reverse, limit: limit).map {
            ($0.key, try decoder.decode(T.self, from: Data($0.value)))
        }
    }
}

extension StoreWriter {
    /// Stores `value` encoded as JSON under `key`.
    public func putJSON<T: Encodable>(_ namespace: String, _ key: String, _ value: T) throws {
        try put(namespace, key, try storedJSON(value))
    }
}

/// A record that writes the bytes ``StoreWriter/putJSON(_:_:_:)`` stores for it itself: the same bytes as `JSONEncoder`
/// with sorted keys would write, without its generic containers, for records written on every request.
package protocol StoredJSONWritable: Encodable {
    func storedJSONBytes() -> [UInt8]
}

/// The bytes ``StoreWriter/putJSON(_:_:_:)`` stores for `value`.
func storedJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    if let writable = value as? any StoredJSONWritable { return writable.storedJSONBytes() }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return [UInt8](try encoder.encode(value))
}
