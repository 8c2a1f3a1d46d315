//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// Lowercase hex of bytes, written straight into the string's storage: signatures, digests and the
/// identifiers derived from them. `String(format: "%02x")` per byte cost a formatter and a string
/// each, and showed in S3 PUT profiles.
package enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    package static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var i = 0
            for byte in bytes {
                buffer[i] = digits[Int(byte >> 4)]
                buffer[i + 1] = digits[Int(byte & 0x0F)]
                i += 2
            }
            return i
        }
    }

    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let hex = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }
}
