//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

/// A REST request URI template such as `/{Bucket}/{Key+}?uploads` or `/{Bucket}?list-type=2`.
package struct URITemplate: Sendable, Hashable {
    package enum Segment: Sendable, Hashable {
        case literal(String)
        case label(String)
        /// `{Key+}`: the rest of the path, slashes included.
        case greedy(String)
    }

    package var segments: [Segment]
    /// Literal query parts: `uploads` (any value) or `list-type=2` (that value).
    package var queryLiterals: [(key: String, value: String?)]

    package init(_ template: String) {
        let parts = template.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? "/"
        segments = path.split(separator: "/", omittingEmptySubsequences: true).map { raw in
            if raw.hasPrefix("{"), raw.hasSuffix("}") {
                let name = raw.dropFirst().dropLast()
                return name.hasSuffix("+") ? .greedy(String(name.dropLast())) : .label(String(name))
            }
            return .literal(String(raw))
        }
        queryLiterals = []
        if parts.count == 2 {
            for item in parts[1].split(separator: "&") {
                let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                queryLiterals.append((String(kv[0]), kv.count == 2 ? String(kv[1]) : nil))
            }
        }
    }

    package static func == (lhs: URITemplate, rhs: URITemplate) -> Bool {
        lhs.segments == rhs.segments && lhs.queryLiterals.map(\.key) == rhs.queryLiterals.map(\.key)
            && lhs.queryLiterals.map(\.value) == rhs.queryLiterals.map(\.value)
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(segments) }

    /// Whether `match` would match: the same walk without building the labels, for routing, which
    /// tries every operation of the method.
    package func matches(_ pathSegments: [String]) -> Bool {
        var count = pathSegments.count
        if count > 0, pathSegments[count - 1].isEmpty, !hasGreedyLabel { count -= 1 }
        var i = 0
        for (n, segment) in segments.enumerated() {
            switch segment {
            case .literal(let text):
                guard i < count, pathSegments[i] == text else { return false }
                i += 1
            case .label:
                guard i < count, !pathSegments[i].isEmpty else { return false }
                i += 1
            case .greedy:
                // Non-empty when joined: more than one segment (a slash) or one that is not empty.
                guard n == segments.count - 1, i < count, count - i > 1 || !pathSegments[i].isEmpty else { return false }
                i = count
            }
        }
        return i == count
    }

    private var hasGreedyLabel: Bool { segments.contains { if case .greedy = $0 { true } else { false } } }

    /// Matches a decoded path (split on `/`) and returns the label values, or nil.
    package func match(_ pathSegments: [String]) -> [String: String]? {
        var labels: [String: String] = [:]
        var input = pathSegments
        // "/bucket/" addresses the bucket: drop a trailing empty segment unless a greedy label could take it.
        if let last = input.last, last.isEmpty, !hasGreedyLabel {
            input.removeLast()
        }
        var i = 0
        for (n, segment) in segments.enumerated() {
            switch segment {
            case .literal(let text):
                guard i < input.count, input[i] == text else { return nil }
                i += 1
            case .label(let name):
                guard i < input.count, !input[i].isEmpty else { return nil }
                labels[name] = input[i]
                i += 1
            case .greedy(let name):
                guard n == segments.count - 1, i < input.count else { return nil }
                let rest = input[i...].joined(separator: "/")
                guard !rest.isEmpty else { return nil }
                labels[name] = rest
                i = input.count
            }
        }
        return i == input.count ? labels : nil
    }
}

/// Query-string and form decoding shared by the protocols.
enum FormDecoding {
    struct Failure: Error {
        var message: String
    }

    /// Splits `a=b&c=d` into decoded pairs, strictly: bad `%` escapes or invalid UTF-8 fail.
    static func pairs(_ raw: [UInt8], limit: Int) throws(Failure) -> [(String, String)] {
        // `withUnsafeBufferPointer` rethrows untyped errors: the typed one comes out in a Result.
        try raw.withUnsafeBufferPointer { bytes in Result { () throws(Failure) in try pairs(bytes, limit: limit) } }.get()
    }

    static func pairs(_ raw: String, limit: Int) throws(Failure) -> [(String, String)] {
        var raw = raw
        return try raw.withUTF8 { bytes in Result { () throws(Failure) in try pairs(bytes, limit: limit) } }.get()
    }

    /// Over the bytes in place: splitting them first made an array of slices per request.
    private static func pairs(_ raw: UnsafeBufferPointer<UInt8>, limit: Int) throws(Failure) -> [(String, String)] {
        var result: [(String, String)] = []
        if raw.isEmpty { return result }
        // One allocation for all the pairs, where growing from empty took one per doubling.
        result.reserveCapacity(min(limit, raw.reduce(1) { $0 + ($1 == UInt8(ascii: "&") ? 1 : 0) }))
        var start = 0
        while start < raw.count {
            var end = start
            var equals: Int?
            while end < raw.count, raw[end] != UInt8(ascii: "&") {
                if equals == nil, raw[end] == UInt8(ascii: "=") { equals = end }
                end += 1
            }
            defer { start = end + 1 }
            guard end > start else { continue }
            guard result.count < limit else { throw Failure(message: "too many parameters") }
            if let equals {
                result.append((try decode(UnsafeBufferPointer(rebasing: raw[start..<equals])), try decode(UnsafeBufferPointer(rebasing: raw[(equals + 1)..<end]))))
            } else {
                result.append((try decode(UnsafeBufferPointer(rebasing: raw[start..<end])), ""))
            }
        }
        return result
    }

    /// Percent-decodes one component; `+` is a space.
    static func decode(_ bytes: some Collection<UInt8>, plusIsSpace: Bool = true) throws(Failure) -> String {
        // Most components (`Action=GetCallerIdentity`) have nothing to decode: no copy to make.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || ($0 == UInt8(ascii: "+") && plusIsSpace) }) {
            guard let s = String(validatingUTF8Bytes: bytes) else { throw Failure(message: "invalid UTF-8") }
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var it = bytes.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = hex(h), let lv = hex(l) else { throw Failure(message: "invalid percent-encoding") }
                out.append(hv << 4 | lv)
            } else if b == UInt8(ascii: "+"), plusIsSpace {
                out.append(0x20)
            } else {
                out.append(b)
            }
        }
        guard let s = String(validatingUTF8Bytes: out) else { throw Failure(message: "invalid UTF-8") }
        return s
    }

    static func decodePath(_ s: some StringProtocol) throws(Failure) -> String {
        // Most segments (`bucket`, `photos`) have nothing to decode: no byte array to make.
        if !s.utf8.contains(UInt8(ascii: "%")) { return String(s) }
        return try decode(Array(s.utf8), plusIsSpace: false)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// Percent-encodes for a URI path or query component (RFC 3986 unreserved kept).
    static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }
}
