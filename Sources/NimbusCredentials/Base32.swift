//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// RFC 4648 base 32 (the `A–Z 2–7` alphabet), as TOTP seeds use it.
///
/// AWS emits `Base32StringSeed` without `=` padding; `decode` accepts both forms.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes `bytes`; with `padding` the result is a multiple of 8 characters long.
    public static func encode(_ bytes: some Collection<UInt8>, padding: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5 + 8)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)])
        }
        if padding {
            while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base 32, case-insensitively, with or without padding.
    ///
    /// Returns nil for characters outside the alphabet, a length no encoder produces, wrong padding,
    /// or non-zero bits after the last whole byte (so that every byte string has one encoding).
    public static func decode(_ string: some StringProtocol) -> [UInt8]? {
        var chars = Array(string.utf8)
        if let firstPad = chars.firstIndex(of: UInt8(ascii: "=")) {
            // Padding, when present, must fill the last 8-character group exactly.
            guard chars[firstPad...].allSatisfy({ $0 == UInt8(ascii: "=") }), chars.count % 8 == 0 else { return nil }
            chars.removeSubrange(firstPad...)
            guard chars.count % 8 != 0 else { return nil }
        }
        // Remainders of 1, 3 and 6 characters cannot come from whole bytes.
        guard ![1, 3, 6].contains(chars.count % 8) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let value = value(of: c) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard buffer == 0 else { return nil }
        return out
    }

    private static func value(of c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): c - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): c - UInt8(ascii: "2") + 26
        default: nil
        }
    }
}
