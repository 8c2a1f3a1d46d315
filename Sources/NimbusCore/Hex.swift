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

    /// The lowercase hex digit of `nibble` (0…15), computed rather than looked up, so that its time does not
    /// depend on the value.
    @inline(__always)
    package static func lowercaseDigit(_ nibble: UInt8) -> UInt8 {
        // 0…9 → "0"…"9"; 10…15 → "a"…"f": add 39 more when nibble > 9, without branching on it.
        let aboveNine = UInt8(truncatingIfNeeded: (Int(9) - Int(nibble)) >> 8) & 39
        return UInt8(ascii: "0") &+ nibble &+ aboveNine
    }

    /// Appends the lowercase hex of `bytes` to `out`.
    package static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let hex = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }
}
