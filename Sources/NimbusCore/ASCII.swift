//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

// Byte-level helpers for protocol text (header values, names, tokens). Foundation's
// `trimmingCharacters(in:)` bridges through NSString and UTF-16, which on the request path cost more
// than the HMAC that the signature check does.

extension StringProtocol {
    // Inlinable: other modules call these on `String` and `Substring`, and the unspecialized generic
    // versions went through a witness table for every byte.

    /// The string without leading and trailing spaces and tabs (HTTP's optional whitespace).
    @inlinable
    package func trimmingHTTPWhitespace() -> String {
        let whole = Substring(self)
        let bytes = whole.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start != end, Self.isHTTPWhitespace(bytes[start]) { start = bytes.index(after: start) }
        while end != start, Self.isHTTPWhitespace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        if start == bytes.startIndex, end == bytes.endIndex, let string = self as? String { return string }
        return String(whole[start..<end])
    }

    /// Equal to `lowercase` (which must be lowercase ASCII) ignoring ASCII case, without allocating.
    @inlinable
    package func equalsASCIICaseInsensitive(_ lowercase: StaticString) -> Bool {
        let other = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard utf8.count == other.count else { return false }
        var i = 0
        for b in utf8 {
            let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
            guard folded == other[i] else { return false }
            i += 1
        }
        return true
    }

    /// Whether the string starts with `lowercase` (which must be lowercase ASCII), ignoring ASCII case, without allocating.
    @inlinable
    package func hasPrefixASCIICaseInsensitive(_ lowercase: StaticString) -> Bool {
        let other = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard utf8.count >= other.count else { return false }
        var i = 0
        for b in utf8 {
            guard i < other.count else { return true }
            let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
            guard folded == other[i] else { return false }
            i += 1
        }
        return true
    }

    /// Whether `needle` (ASCII) occurs in the string, byte for byte, without Foundation: `String.contains` with a
    /// string argument is Foundation's, which goes through `NSString` (a percent of a KMS call, for `":key/"`).
    @inlinable
    package func containsASCII(_ needle: StaticString) -> Bool {
        let other = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = other.first else { return true }
        let bytes = utf8
        var start = bytes.startIndex
        while let found = bytes[start...].firstIndex(of: first) {
            if bytes[found...].starts(with: other) { return true }
            start = bytes.index(after: found)
        }
        return false
    }

    /// The string in lowercase ASCII; the same string, without a copy, when it already is.
    @inlinable
    package func lowercasedASCII() -> String {
        var text = String(self)
        let lowered: String? = text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for i in 0..<bytes.count {
                    let b = bytes[i]
                    out[i] = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                }
                return bytes.count
            }
        }
        return lowered ?? text
    }

    @inlinable @inline(__always)
    package static func isHTTPWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
}

extension String {
    /// `bytes` as a string when they are valid UTF-8, else nil.
    ///
    /// What `String(validating:as:)` does, without its cost on the request path: it is generic over the encoding
    /// and, unspecialized, looks up generic metadata on every call (a tenth of the server's CPU in an S3 listing
    /// that parsed 1,000 stored records). Most text here (JSON keys and values, URI labels, XML) is ASCII, which
    /// is valid UTF-8 as it is.
    @inlinable
    package init?(validatingUTF8Bytes bytes: some Collection<UInt8>) {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer -> String? in
            buffer.allSatisfy { $0 < 0x80 } ? String(decoding: buffer, as: UTF8.self) : String(validating: buffer, as: UTF8.self)
        }
        switch contiguous {
        case .some(.some(let text)): self = text
        case .some(.none): return nil
        case .none:
            guard let text = String(validating: Array(bytes), as: UTF8.self) else { return nil }
            self = text
        }
    }
}
