//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import NimbusCore

// CanonicalRequest =
//     HTTPRequestMethod + '\n' +
//     CanonicalURI + '\n' +
//     CanonicalQueryString + '\n' +
//     CanonicalHeaders + '\n' +
//     SignedHeaders + '\n' +
//     HexEncode(Hash(RequestPayload))
//
// StringToSign =
//     "AWS4-HMAC-SHA256" + '\n' + timestamp + '\n' + scope + '\n' + HexEncode(Hash(CanonicalRequest))

/// The request's headers by lowercase name, values in arrival order.
///
/// A flat list searched linearly: a request has a dozen headers, for which that beats hashing, and
/// building it allocates once.
package struct HeaderIndex: Sendable {
    private var entries: [(name: String, value: String)] = []

    package init(_ headers: [(name: String, value: String)]) {
        entries.reserveCapacity(headers.count)
        for (name, value) in headers { entries.append((name.lowercasedASCII(), value)) }
    }

    package func first(_ lowercasedName: String) -> String? {
        for entry in entries where entry.name == lowercasedName { return entry.value }
        return nil
    }

    package func all(_ lowercasedName: String) -> [String]? {
        var values: [String] = []
        for entry in entries where entry.name == lowercasedName { values.append(entry.value) }
        return values.isEmpty ? nil : values
    }

    /// How many times `lowercasedName` occurs.
    package func count(_ lowercasedName: String) -> Int {
        entries.reduce(0) { $0 + ($1.name == lowercasedName ? 1 : 0) }
    }

    /// Every distinct name, lowercase.
    package var names: Set<String> { Set(entries.map(\.name)) }

    /// Calls `body` with each value of `lowercasedName`, in arrival order.
    package func forEach(_ lowercasedName: String, _ body: (String) -> Void) {
        for entry in entries where entry.name == lowercasedName { body(entry.value) }
    }
}

/// One `name=value` pair of the query string, percent-decoded.
package struct QueryItem: Sendable {
    package var name: [UInt8]
    package var value: [UInt8]

    package func named(_ other: String) -> Bool { name.elementsEqual(other.utf8) }
    package var nameString: String { String(decoding: name, as: UTF8.self) }
    package var valueString: String { String(decoding: value, as: UTF8.self) }

    /// Splits a raw query on `&` and `=`, decoding `%XX` and `+` (as a space). Empty pieces are skipped.
    package static func parse(_ query: String) -> [QueryItem] {
        var items: [QueryItem] = []
        for piece in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                items.append(
                    QueryItem(
                        name: URIEncoding.decode(piece[piece.startIndex..<equals], plusAsSpace: true),
                        value: URIEncoding.decode(piece[piece.index(after: equals)...], plusAsSpace: true)
                    )
                )
            } else {
                items.append(QueryItem(name: URIEncoding.decode(piece, plusAsSpace: true), value: []))
            }
        }
        return items
    }
}

/// RFC 3986 percent-encoding as SigV4 defines it: everything but `A-Z a-z 0-9 - _ . ~` is escaped, in uppercase hex.
package enum URIEncoding {
    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b == 0x2E
            || b == 0x7E
    }

    package static func encode(_ bytes: some Sequence<UInt8>, keepingSlashes: Bool, into out: inout [UInt8]) {
        for b in bytes {
            if isUnreserved(b) || (keepingSlashes && b == UInt8(ascii: "/")) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(b >> 4)])
                out.append(upperHex[Int(b & 0x0F)])
            }
        }
    }

    package static func encode(_ string: String, keepingSlashes: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        encode(string.utf8, keepingSlashes: keepingSlashes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes into bytes; a `%` not followed by two hex digits stays as it is.
    package static func decode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                let h1 = bytes.index(after: i)
                if h1 != bytes.endIndex {
                    let h2 = bytes.index(after: h1)
                    if h2 != bytes.endIndex, let hi = hexValue(bytes[h1]), let lo = hexValue(bytes[h2]) {
                        out.append(hi << 4 | lo)
                        i = bytes.index(after: h2)
                        continue
                    }
                }
                out.append(b)
            } else if plusAsSpace && b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}

/// The request as SigV4 signs it, written as bytes: the verifier hashes them and makes text only to report a
/// mismatch.
package enum CanonicalRequest {
    /// The canonical request: method, URI, query, the signed headers and the payload hash, one per line.
    static func bytes(
        method: String,
        path: String,
        flavor: SigningFlavor,
        query: [QueryItem],
        excludingFromQuery excluded: (QueryItem) -> Bool = { _ in false },
        headers: HeaderIndex,
        signedHeaders: [String],
        payloadHash: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: method.utf8)
        out.append(UInt8(ascii: "\n"))
        appendURI(path, flavor: flavor, to: &out)
        out.append(UInt8(ascii: "\n"))
        appendQuery(query, excluding: excluded, to: &out)
        out.append(UInt8(ascii: "\n"))
        appendHeaders(headers, signedHeaders: signedHeaders, payloadHash: payloadHash, to: &out)
        return out
    }

    /// The canonical URI: for `.standard` dot segments and duplicate slashes are removed and the received path is
    /// encoded again (AWS's double encoding); for `.s3` the path is decoded and encoded once, never normalized.
    static func appendURI(_ path: String, flavor: SigningFlavor, to out: inout [UInt8]) {
        if path.isEmpty || path == "/" {
            out.append(UInt8(ascii: "/"))
            return
        }
        let start = out.count
        switch flavor {
        case .s3:
            URIEncoding.encode(URIEncoding.decode(path.utf8, plusAsSpace: false), keepingSlashes: true, into: &out)
        case .standard:
            URIEncoding.encode(removingDotSegments(Array(path.utf8)), keepingSlashes: true, into: &out)
        }
        if out.count == start { out.append(UInt8(ascii: "/")) }
    }

    /// RFC 3986 section 5.2.4, plus the removal of empty segments that AWS services (and their SDKs) apply.
    static func removingDotSegments(_ path: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        var kept: [ArraySlice<UInt8>] = []
        for segment in path.split(separator: slash, omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = kept.popLast()
                continue
            }
            kept.append(segment)
        }
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        if path.first == slash { out.append(slash) }
        for (i, segment) in kept.enumerated() {
            if i > 0 { out.append(slash) }
            out.append(contentsOf: segment)
        }
        if path.last == slash, !kept.isEmpty { out.append(slash) }
        return out
    }

    /// The canonical query: each name and value encoded, sorted by name then value, `X-Amz-Signature` left out.
    static func appendQuery(_ items: [QueryItem], excluding excluded: (QueryItem) -> Bool, to out: inout [UInt8]) {
        if items.isEmpty { return }
        var pairs: [([UInt8], [UInt8])] = []
        pairs.reserveCapacity(items.count)
        for item in items where !excluded(item) {
            var name: [UInt8] = []
            var value: [UInt8] = []
            URIEncoding.encode(item.name, keepingSlashes: false, into: &name)
            URIEncoding.encode(item.value, keepingSlashes: false, into: &value)
            pairs.append((name, value))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1.lexicographicallyPrecedes($1.1) : $0.0.lexicographicallyPrecedes($1.0) }
        for (i, pair) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.0)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.1)
        }
    }

    @inline(__always)
    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    /// Appends `value` as SigV4 canonicalizes it (trimmed, runs of whitespace, folded lines included, made one
    /// space); a value that is already canonical (nearly all are) is appended as is.
    static func appendHeaderValue(_ value: String, to out: inout [UInt8]) {
        var previousWasSpace = true
        var canonical = true
        for b in value.utf8 {
            let space = isSpace(b)
            if space && (previousWasSpace || b != 0x20) {
                canonical = false
                break
            }
            previousWasSpace = space
        }
        if canonical && !previousWasSpace || value.isEmpty {
            out.append(contentsOf: value.utf8)
            return
        }
        var pendingSpace = false
        var wroteAny = false
        for b in value.utf8 {
            if isSpace(b) {
                pendingSpace = wroteAny
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                wroteAny = true
                out.append(b)
            }
        }
    }

    /// The canonical headers, the signed header list and the payload hash: the canonical request after its query.
    private static func appendHeaders(_ headers: HeaderIndex, signedHeaders: [String], payloadHash: String, to out: inout [UInt8]) {
        for name in signedHeaders {
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            var first = true
            headers.forEach(name) { value in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendHeaderValue(value, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        for (i, name) in signedHeaders.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: payloadHash.utf8)
    }

    /// `AWS4-HMAC-SHA256\n<timestamp>\n<date>/<region>/<service>/aws4_request\n<hex SHA-256 of the canonical request>`.
    static func stringToSign(timestamp: String, scope: SigningScope, canonicalRequest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.append(contentsOf: SigV4Crypto.algorithm.utf8)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: timestamp.utf8)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: scope.date.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: scope.region.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: scope.service.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: "aws4_request\n".utf8)
        var hash = SHA256()
        canonicalRequest.withUnsafeBytes { hash.update(bufferPointer: $0) }
        hash.finalize().withUnsafeBytes { Hex.append($0, to: &out) }
        return out
    }
}
