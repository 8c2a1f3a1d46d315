//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// A parsed JSON document that keeps object members in order and numbers as written.
///
/// Used for the API models (whose member order the XML serializers follow), for request bodies,
/// where the limits below protect the server from hostile input, and for stored CloudTrail records.
package enum JSONNode: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text, so that 64-bit integers survive.
    case number(String)
    case string(String)
    case array([JSONNode])
    case object([(String, JSONNode)])

    package subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    package var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    package var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    package var number: Double? {
        if case .number(let n) = self { return Double(n) }
        return nil
    }

    package var array: [JSONNode]? {
        if case .array(let a) = self { return a }
        return nil
    }

    package var members: [(String, JSONNode)]? {
        if case .object(let m) = self { return m }
        return nil
    }

    package static func == (lhs: JSONNode, rhs: JSONNode) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    package func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n): hasher.combine(n)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let m):
            for (k, v) in m {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
    }
}

/// Why a JSON document was rejected.
package struct JSONParseError: Error, Sendable, Equatable {
    package var reason: String
    package var offset: Int

    package init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes with depth and size limits and no recursion on the
/// native stack beyond `maxDepth` frames.
package struct JSONParser {
    package var maxDepth: Int
    package var maxStringBytes: Int
    package var maxElements: Int

    /// The defaults are `WireLimits.default`'s, the limits for request bodies.
    package init(maxDepth: Int = 64, maxStringBytes: Int = 1 << 20, maxElements: Int = 100_000) {
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxElements = maxElements
    }

    // Concrete overloads for what callers have: this module's generics are not specialized in other modules, and
    // the generic `parse` alone went through witness tables and runtime metadata for every model shape and body.

    package func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONNode {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONNode in try parse(buffer) }
    }

    package func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONNode {
        try bytes.withMemoryRebound(to: UInt8.self) { (buffer) throws(JSONParseError) -> JSONNode in try parse(buffer) }
    }

    package func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONNode {
        try parse(Array(bytes))
    }

    package func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONNode {
        var state = State(bytes: buffer, limits: self)
        state.skipWhitespace()
        let value = try state.parseValue(depth: 0)
        state.skipWhitespace()
        guard state.index == buffer.count else { throw state.error("trailing characters") }
        return value
    }

    private struct State {
        let bytes: UnsafeBufferPointer<UInt8>
        let limits: JSONParser
        var index = 0
        var elements = 0

        init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONParser) {
            self.bytes = bytes
            self.limits = limits
        }

        func error(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: index) }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ literal: StaticString) throws(JSONParseError) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error("unexpected end") }
            let ok = literal.withUTF8Buffer { lit in (0..<count).allSatisfy { bytes[index + $0] == lit[$0] } }
            guard ok else { throw error("invalid literal") }
            index += count
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONNode {
            guard index < bytes.count else { throw error("unexpected end") }
            elements += 1
            guard elements <= limits.maxElements else { throw error("too many elements") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < limits.maxDepth else { throw error("nesting too deep") }
                index += 1
                var members: [(String, JSONNode)] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                    let key = try parseString()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    index += 1
                    skipWhitespace()
                    members.append((key, try parseValue(depth: depth + 1)))
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unexpected end") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
                    index += 1
                    return .object(members)
                }
            case UInt8(ascii: "["):
                guard depth < limits.maxDepth else { throw error("nesting too deep") }
                index += 1
                var items: [JSONNode] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(items)
                }
                while true {
                    skipWhitespace()
                    items.append(try parseValue(depth: depth + 1))
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unexpected end") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
                    index += 1
                    return .array(items)
                }
            case UInt8(ascii: "\""):
                return .string(try parseString())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                return .number(try parseNumber())
            }
        }

        mutating func parseNumber() throws(JSONParseError) -> String {
            let start = index
            func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid value") }
            if bytes[index] == 0x30 {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            guard index - start <= 64 else { throw error("number too long") }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        mutating func parseHex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("unexpected end") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let digit: UInt32
                switch b {
                case 0x30...0x39: digit = UInt32(b - 0x30)
                case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func parseString() throws(JSONParseError) -> String {
            index += 1  // opening quote
            let start = index
            // Fast path: no escapes.
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    guard index - start <= limits.maxStringBytes else { throw error("string too long") }
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    guard let s = String(validatingUTF8Bytes: slice) else { throw error("invalid UTF-8") }
                    index += 1
                    return s
                }
                if b == UInt8(ascii: "\\") { break }
                guard b >= 0x20 else { throw error("control character in string") }
                index += 1
            }
            var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                guard out.count <= limits.maxStringBytes else { throw error("string too long") }
                let b = bytes[index]
                index += 1
                switch b {
                case UInt8(ascii: "\""):
                    guard let s = String(validatingUTF8Bytes: out) else { throw error("invalid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw error("unterminated string") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try parseHex4()
                        if scalar >= 0xD800, scalar < 0xDC00 {
                            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error("unpaired surrogate")
                            }
                            index += 2
                            let low = try parseHex4()
                            guard low >= 0xDC00, low < 0xE000 else { throw error("unpaired surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if scalar >= 0xDC00, scalar < 0xE000 {
                            throw error("unpaired surrogate")
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw error("invalid escape") }
                        out.append(contentsOf: String(Character(u)).utf8)
                    default:
                        throw error("invalid escape")
                    }
                default:
                    guard b >= 0x20 else { throw error("control character in string") }
                    out.append(b)
                }
            }
        }
    }
}

/// Writes JSON text: members in the order given, strings escaped as AWS's serializers do.
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func write(_ node: JSONNode) {
        switch node {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .number(let n): append(n)
        case .string(let s): JSONString.append(s, to: &bytes)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONString.append(k, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                write(v)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    package static func encode(_ node: JSONNode) -> [UInt8] {
        var w = JSONWriter()
        w.write(node)
        return w.bytes
    }
}

/// Why a stored JSON record could not be read as the type it should hold.
package struct JSONReadError: Error, Sendable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}

/// A JSON object's members, read by name the way a `Decodable` conformance reads them: the same required and
/// optional members, `null` as absent, a member of the wrong kind an error.
///
/// For records this code stored, read on hot paths (CloudTrail's event history, S3 listings) where
/// `JSONDecoder` cost tens of microseconds a record.
package struct JSONObjectReader {
    package let members: [(String, JSONNode)]
    /// Where the object is in its record, for errors (`record.userIdentity`).
    package let path: String

    package init(_ node: JSONNode, path: String) throws(JSONReadError) {
        guard case .object(let members) = node else { throw JSONReadError("\(path) is not an object") }
        self.members = members
        self.path = path
    }

    /// The record in `bytes`, which must be a JSON object.
    package init(parsing bytes: [UInt8], with parser: JSONParser, path: String) throws(JSONReadError) {
        let node: JSONNode
        do {
            node = try parser.parse(bytes)
        } catch {
            throw JSONReadError("\(path) is not JSON: \(error.reason) at \(error.offset)")
        }
        try self.init(node, path: path)
    }

    /// The member's value; nil when it is absent or `null`.
    package func optional(_ key: String) -> JSONNode? {
        guard let value = members.first(where: { $0.0 == key })?.1, value != .null else { return nil }
        return value
    }

    package func required(_ key: String) throws(JSONReadError) -> JSONNode {
        guard let value = optional(key) else { throw JSONReadError("\(path).\(key) is missing") }
        return value
    }

    package func optionalString(_ key: String) throws(JSONReadError) -> String? {
        guard let value = optional(key) else { return nil }
        guard case .string(let text) = value else { throw JSONReadError("\(path).\(key) is not a string") }
        return text
    }

    package func string(_ key: String) throws(JSONReadError) -> String {
        guard case .string(let text) = try required(key) else { throw JSONReadError("\(path).\(key) is not a string") }
        return text
    }

    package func bool(_ key: String) throws(JSONReadError) -> Bool {
        guard case .bool(let flag) = try required(key) else { throw JSONReadError("\(path).\(key) is not a boolean") }
        return flag
    }

    /// A number member converted from its literal (`Int64.init`, `Double.init`); one that does not convert,
    /// such as `1.5` for an integer, is an error.
    package func optionalNumber<T>(_ key: String, _ convert: (String) -> T?) throws(JSONReadError) -> T? {
        guard let value = optional(key) else { return nil }
        guard case .number(let text) = value, let number = convert(text) else {
            throw JSONReadError("\(path).\(key) is not a number of its type")
        }
        return number
    }

    package func number<T>(_ key: String, _ convert: (String) -> T?) throws(JSONReadError) -> T {
        guard let number = try optionalNumber(key, convert) else { throw JSONReadError("\(path).\(key) is missing") }
        return number
    }

    package func object(_ key: String) throws(JSONReadError) -> JSONObjectReader? {
        guard let value = optional(key) else { return nil }
        return try JSONObjectReader(value, path: "\(path).\(key)")
    }
}
