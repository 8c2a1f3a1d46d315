//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore

// User metadata in HTTP headers, as S3 documents it: a value with characters beyond US-ASCII is decoded from
// RFC 2047 encoded-words before it is stored, and sent back as an encoded-word (`=?UTF-8?B?...?=`), so that a
// header never carries raw non-ASCII bytes that each client would read in its own charset.

extension S3Service {
    /// `value` as a response header carries it: unchanged when it is US-ASCII, else one UTF-8 encoded-word.
    static func metadataHeaderValue(_ value: String) -> String {
        if value.utf8.allSatisfy({ $0 < 0x80 }) { return value }
        return "=?UTF-8?B?" + Data(value.utf8).base64EncodedString() + "?="
    }

    /// `value` as received, with its RFC 2047 encoded-words (UTF-8, ISO-8859-1 or US-ASCII; `B` or `Q`) decoded.
    /// Anything that is not a well-formed encoded-word in one of those charsets is kept as it came.
    static func storedMetadataValue(_ value: String) -> String {
        guard value.containsASCII("=?") else { return value }
        let bytes = Array(value.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        // Whitespace between two encoded-words is not part of the text (RFC 2047 section 6.2).
        var pendingSpace: [UInt8] = []
        var afterWord = false
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "="), let (decoded, end) = encodedWord(bytes, at: i) {
                if !afterWord { out += pendingSpace }
                pendingSpace = []
                out += decoded
                i = end
                afterWord = true
                continue
            }
            if bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") {
                pendingSpace.append(bytes[i])
                i += 1
                continue
            }
            out += pendingSpace
            pendingSpace = []
            out.append(bytes[i])
            afterWord = false
            i += 1
        }
        out += pendingSpace
        return String(decoding: out, as: UTF8.self)
    }

    /// The UTF-8 text of the encoded-word `=?charset?B|Q?text?=` starting at `start`, and the index after it.
    private static func encodedWord(_ b: [UInt8], at start: Int) -> ([UInt8], Int)? {
        guard start + 1 < b.count, b[start + 1] == UInt8(ascii: "?") else { return nil }
        func field(from: Int) -> Int? {
            var j = from
            while j < b.count, b[j] != UInt8(ascii: "?") {
                if b[j] == UInt8(ascii: " ") || b[j] == UInt8(ascii: "\t") { return nil }
                j += 1
            }
            return j < b.count ? j : nil
        }
        let charsetStart = start + 2
        guard let charsetEnd = field(from: charsetStart), charsetEnd > charsetStart,
            charsetEnd + 2 < b.count, b[charsetEnd + 2] == UInt8(ascii: "?")
        else { return nil }
        let encoding = b[charsetEnd + 1] | 0x20
        let textStart = charsetEnd + 3
        guard let textEnd = field(from: textStart), textEnd + 1 < b.count, b[textEnd + 1] == UInt8(ascii: "=") else { return nil }
        let charset = String(decoding: b[charsetStart..<charsetEnd], as: UTF8.self).lowercased()
        let text = b[textStart..<textEnd]
        var raw: [UInt8]
        switch encoding {
        case UInt8(ascii: "b"):
            guard let data = Data(base64Encoded: Data(text)) else { return nil }
            raw = Array(data)
        case UInt8(ascii: "q"):
            raw = []
            var k = text.startIndex
            while k < text.endIndex {
                let c = text[k]
                if c == UInt8(ascii: "_") {
                    raw.append(UInt8(ascii: " "))
                    k += 1
                } else if c == UInt8(ascii: "=") {
                    guard k + 2 < text.endIndex, let hi = hexValue(text[k + 1]), let lo = hexValue(text[k + 2]) else { return nil }
                    raw.append(hi << 4 | lo)
                    k += 3
                } else {
                    raw.append(c)
                    k += 1
                }
            }
        default:
            return nil
        }
        switch charset {
        case "utf-8", "utf8":
            guard String(validating: raw, as: UTF8.self) != nil else { return nil }
        case "iso-8859-1", "latin1":
            // Each byte is the code point of the same number.
            raw = Array(String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) })).utf8)
        case "us-ascii":
            guard raw.allSatisfy({ $0 < 0x80 }) else { return nil }
        default:
            return nil
        }
        return (raw, textEnd + 2)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
