//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import CNimbusCRC

/// Reflected CRCs, table-driven slice-by-8: eight bytes per step, eight table look-ups (CRC-32C uses the
/// CPU's instruction instead where it has one).
///
/// The state is kept inverted (initial value all ones) and inverted back by the caller at the end,
/// as CRC-32, CRC-32C and CRC-64/NVME all specify. Known answers for `"123456789"`:
/// CRC-32 `0xCBF43926`, CRC-32C `0xE3069283`, CRC-64/NVME `0xAE8B14860A799888`.
package enum CRC {
    /// CRC-32 (IEEE 802.3, zlib)'s reflected polynomial.
    static let ieeePolynomial: UInt32 = 0xEDB8_8320
    /// CRC-32C (Castagnoli, iSCSI)'s reflected polynomial.
    static let castagnoliPolynomial: UInt32 = 0x82F6_3B78
    /// CRC-64/NVME's reflected polynomial.
    static let nvmePolynomial: UInt64 = 0x9A6C_9329_AC4B_C9B5
    static let ieee = tables(polynomial: ieeePolynomial)
    static let castagnoli = tables(polynomial: castagnoliPolynomial)
    static let nvme = tables(polynomial: nvmePolynomial)

    /// Whether the CPU computes CRC-32C itself; the tables are the fallback.
    static let hardwareCRC32C = nimbus_crc32c_hardware_available() == 1

    /// CRC-32C of `bytes`, the checksum of every record on disk.
    package static func crc32c(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ~crc32cUpdate(~0, bytes)
    }

    /// Advances an inverted CRC-32C state, with the CPU's instruction where there is one.
    static func crc32cUpdate(_ state: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard hardwareCRC32C, let base = bytes.baseAddress else { return update(state, bytes, castagnoli) }
        return nimbus_crc32c_hardware_update(state, base, bytes.count)
    }

    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { crc32c($0) }
    }

    /// Advances an inverted CRC state over `bytes` with `tables` (8 × 256 entries).
    ///
    /// One formula serves both widths: XOR-ing a 32-bit state into the first four of eight
    /// little-endian bytes is XOR-ing it into the low half of their 64-bit word.
    @inline(__always)
    static func update<T: FixedWidthInteger & UnsignedInteger>(_ state: T, _ bytes: UnsafeRawBufferPointer, _ tables: [T]) -> T {
        guard var p = bytes.baseAddress else { return state }
        var n = bytes.count
        var crc = state
        tables.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            while n >= 8 {
                let x = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) ^ UInt64(crc)
                crc = t[0x700 | Int(x & 0xFF)] ^ t[0x600 | Int((x >> 8) & 0xFF)]
                    ^ t[0x500 | Int((x >> 16) & 0xFF)] ^ t[0x400 | Int((x >> 24) & 0xFF)]
                    ^ t[0x300 | Int((x >> 32) & 0xFF)] ^ t[0x200 | Int((x >> 40) & 0xFF)]
                    ^ t[0x100 | Int((x >> 48) & 0xFF)] ^ t[Int(x >> 56)]
                p += 8
                n -= 8
            }
            while n > 0 {
                crc = t[Int(truncatingIfNeeded: crc ^ T(p.load(as: UInt8.self))) & 0xFF] ^ (crc >> 8)
                p += 1
                n -= 1
            }
        }
        return crc
    }

    // MARK: Combining

    /// The CRC of A followed by B from the CRC of A, the CRC of B and B's length (zlib's `crc32_combine`, for
    /// any reflected CRC whose initial value and final XOR are equal, as CRC-32, CRC-32C and CRC-64/NVME's are):
    /// A's CRC times x^(8·length) modulo the polynomial, XOR B's.
    static func combine<T: FixedWidthInteger & UnsignedInteger>(_ first: T, _ second: T, secondLength: Int64, polynomial: T) -> T {
        multiplyModulo(powerOfX(8 * UInt64(max(0, secondLength)), polynomial: polynomial), first, polynomial: polynomial) ^ second
    }

    /// a·b modulo the polynomial, both in the reflected form (x^0 is the top bit).
    private static func multiplyModulo<T: FixedWidthInteger & UnsignedInteger>(_ a: T, _ b: T, polynomial: T) -> T {
        var m: T = 1 << (T.bitWidth - 1)
        var product: T = 0
        var b = b
        while m != 0 {
            if a & m != 0 { product ^= b }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    /// x^n modulo the polynomial, by squaring.
    private static func powerOfX<T: FixedWidthInteger & UnsignedInteger>(_ n: UInt64, polynomial: T) -> T {
        var result: T = 1 << (T.bitWidth - 1)  // x^0
        var square: T = 1 << (T.bitWidth - 2)  // x^1, then x^2, x^4, …
        var n = n
        while n != 0 {
            if n & 1 != 0 { result = multiplyModulo(result, square, polynomial: polynomial) }
            square = multiplyModulo(square, square, polynomial: polynomial)
            n >>= 1
        }
        return result
    }

    /// Table k maps a byte to its contribution k bytes further on: t[k][i] = t[k-1][i] >> 8 ^ t[0][low byte].
    private static func tables<T: FixedWidthInteger & UnsignedInteger>(polynomial: T) -> [T] {
        var t = [T](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = T(i)
            for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ polynomial : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }
}
