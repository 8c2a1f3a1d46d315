//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

// Byte fields of stored records (sealed keys, digests) as base64 strings. The synthesized `Codable` of a
// `[UInt8]` writes a JSON array with one number per byte, and encoding and decoding those numbers one
// container call at a time was a fifth of an S3 PUT's metadata work. Records written before keep their
// arrays, so decoding takes either form.

extension KeyedEncodingContainer {
    package mutating func encodeBytes(_ bytes: [UInt8], forKey key: Key) throws {
        try encode(Data(bytes).base64EncodedString(), forKey: key)
    }

    package mutating func encodeBytesIfPresent(_ bytes: [UInt8]?, forKey key: Key) throws {
        if let bytes { try encodeBytes(bytes, forKey: key) }
    }
}

extension KeyedDecodingContainer {
    package func decodeBytes(forKey key: Key) throws -> [UInt8] {
        if let text = try? decode(String.self, forKey: key) {
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not base64")
            }
            return [UInt8](data)
        }
        return try decode([UInt8].self, forKey: key)
    }

    package func decodeBytesIfPresent(forKey key: Key) throws -> [UInt8]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeBytes(forKey: key)
    }
}
