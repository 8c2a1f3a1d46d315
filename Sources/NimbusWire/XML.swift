//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

/// A parsed XML element: qualified name, attributes, child elements and text content.
package struct XMLTreeElement: Sendable, Hashable {
    package var name: String
    package var attributes: [String: String]
    package var children: [XMLTreeElement]
    /// Concatenated character data directly inside this element.
    package var text: String

    package init(name: String, attributes: [String: String] = [:], children: [XMLTreeElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The name without a namespace prefix.
    package var localName: String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    package func children(named local: String) -> [XMLTreeElement] { children.filter { $0.localName == local } }

    package func child(named local: String) -> XMLTreeElement? { children.first { $0.localName == local } }
}

/// Why an XML document was rejected.
package struct XMLTreeParseError: Error, Sendable, Equatable {
    package var reason: String
}

/// A small non-validating XML 1.0 parser for request bodies.
///
/// It rejects DTDs (`<!DOCTYPE`, `<!ENTITY`) outright, so there is no entity expansion, and it
/// enforces depth, element-count and text-length limits. Only the five predefined entities and
/// character references are decoded.
package struct XMLTreeParser {
    package var limits: WireLimits

    package init(limits: WireLimits = .default) { self.limits = limits }

    package func parse(_ bytes: [UInt8]) throws(XMLTreeParseError) -> XMLTreeElement {
        guard String(validatingUTF8Bytes: bytes) != nil else { throw XMLTreeParseError(reason: "invalid UTF-8") }
        var state = State(b: bytes, limits: limits)
        return try state.document()
    }

    private struct State {
        let b: [UInt8]
        let limits: WireLimits
        var i = 0
        var elements = 0

        init(b: [UInt8], limits: WireLimits) {
            self.b = b
            self.limits = limits
        }

        func fail(_ reason: String) -> XMLTreeParseError { XMLTreeParseError(reason: reason) }

        func starts(with s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard i + n <= b.count else { return false }
            return s.withUTF8Buffer { lit in (0..<n).allSatisfy { b[i + $0] == lit[$0] } }
        }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        }

        mutating func skip(past terminator: StaticString) throws(XMLTreeParseError) {
            while i < b.count {
                if starts(with: terminator) {
                    i += terminator.utf8CodeUnitCount
                    return
                }
                i += 1
            }
            throw fail("unterminated markup")
        }

        /// Skips the prolog and trailing misc: XML declaration, processing instructions, comments.
        mutating func misc() throws(XMLTreeParseError) {
            while true {
                skipSpace()
                if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<!") {
                    throw fail("DTDs and entity declarations are not allowed")
                } else {
                    return
                }
            }
        }

        mutating func document() throws(XMLTreeParseError) -> XMLTreeElement {
            if starts(with: "\u{FEFF}") { i += 3 }
            try misc()
            guard i < b.count, b[i] == UInt8(ascii: "<") else { throw fail("no root element") }
            let root = try element()
            try misc()
            guard i == b.count else { throw fail("content after the root element") }
            return root
        }

        mutating func name() throws(XMLTreeParseError) -> String {
            let start = i
            while i < b.count {
                let c = b[i]
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ">") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=") {
                    break
                }
                guard c != UInt8(ascii: "<"), c != UInt8(ascii: "&"), c != UInt8(ascii: "\""), c != UInt8(ascii: "'") else { throw fail("invalid name") }
                i += 1
            }
            guard i > start, i - start <= 256 else { throw fail("invalid name") }
            return String(decoding: b[start..<i], as: UTF8.self)
        }

        /// Parses one element starting at `<`, iteratively, with an explicit stack.
        mutating func element() throws(XMLTreeParseError) -> XMLTreeElement {
            var stack: [XMLTreeElement] = []
            var textBytes: [[UInt8]] = []
            while true {
                guard i < b.count else { throw fail("unexpected end of document") }
                if b[i] == UInt8(ascii: "<") {
                    if starts(with: "<!--") {
                        try skip(past: "-->")
                    } else if starts(with: "<![CDATA[") {
                        guard !stack.isEmpty else { throw fail("CDATA outside an element") }
                        i += 9
                        let start = i
                        try skip(past: "]]>")
                        // CDATA is literal: escape '&' so that entity decoding leaves it alone.
                        for c in b[start..<(i - 3)] {
                            if c == UInt8(ascii: "&") {
                                textBytes[textBytes.count - 1].append(contentsOf: "&amp;".utf8)
                            } else {
                                textBytes[textBytes.count - 1].append(c)
                            }
                        }
                    } else if starts(with: "<!") {
                        throw fail("DTDs and entity declarations are not allowed")
                    } else if starts(with: "<?") {
                        try skip(past: "?>")
                    } else if starts(with: "</") {
                        i += 2
                        let closing = try name()
                        skipSpace()
                        guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("malformed end tag") }
                        i += 1
                        guard var done = stack.popLast(), let text = textBytes.popLast(), done.name == closing else { throw fail("mismatched end tag") }
                        done.text = try decodeText(text)
                        if stack.isEmpty { return done }
                        stack[stack.count - 1].children.append(done)
                    } else {
                        i += 1
                        elements += 1
                        guard elements <= limits.maxElements else { throw fail("too many elements") }
                        guard stack.count < limits.maxDepth else { throw fail("nesting too deep") }
                        var element = XMLTreeElement(name: try name())
                        var selfClosing = false
                        while true {
                            skipSpace()
                            guard i < b.count else { throw fail("unexpected end of document") }
                            if b[i] == UInt8(ascii: ">") {
                                i += 1
                                break
                            }
                            if starts(with: "/>") {
                                i += 2
                                selfClosing = true
                                break
                            }
                            let attribute = try name()
                            skipSpace()
                            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("attribute without value") }
                            i += 1
                            skipSpace()
                            guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else { throw fail("unquoted attribute") }
                            let quote = b[i]
                            i += 1
                            let start = i
                            while i < b.count, b[i] != quote {
                                guard b[i] != UInt8(ascii: "<") else { throw fail("'<' in attribute value") }
                                i += 1
                            }
                            guard i < b.count else { throw fail("unterminated attribute") }
                            let value = try decodeText(Array(b[start..<i]))
                            i += 1
                            guard element.attributes[attribute] == nil else { throw fail("duplicate attribute") }
                            guard element.attributes.count < 64 else { throw fail("too many attributes") }
                            element.attributes[attribute] = value
                        }
                        if selfClosing {
                            if stack.isEmpty { return element }
                            stack[stack.count - 1].children.append(element)
                        } else {
                            stack.append(element)
                            textBytes.append([])
                        }
                    }
                } else {
                    let start = i
                    while i < b.count, b[i] != UInt8(ascii: "<") { i += 1 }
                    guard !stack.isEmpty else { throw fail("text outside the root element") }
                    textBytes[textBytes.count - 1].append(contentsOf: b[start..<i])
                    guard textBytes[textBytes.count - 1].count <= limits.maxStringBytes else { throw fail("text too long") }
                }
            }
        }

        func decodeText(_ raw: [UInt8]) throws(XMLTreeParseError) -> String {
            guard raw.contains(UInt8(ascii: "&")) || raw.contains(0x0D) else { return String(decoding: raw, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var k = 0
            while k < raw.count {
                let c = raw[k]
                if c == 0x0D {
                    // XML end-of-line handling: CRLF and lone CR become LF.
                    out.append(0x0A)
                    k += (k + 1 < raw.count && raw[k + 1] == 0x0A) ? 2 : 1
                    continue
                }
                guard c == UInt8(ascii: "&") else {
                    out.append(c)
                    k += 1
                    continue
                }
                guard let semi = raw[k...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("unterminated entity reference") }
                let entity = String(decoding: raw[(k + 1)..<semi], as: UTF8.self)
                switch entity {
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "amp": out.append(UInt8(ascii: "&"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    var code: UInt32?
                    if entity.hasPrefix("#x") {
                        code = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        code = UInt32(entity.dropFirst(), radix: 10)
                    }
                    guard let code, code != 0, let scalar = Unicode.Scalar(code) else { throw fail("undefined entity &\(entity);") }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                }
                k = semi + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// Writes XML without indentation, escaping text and attribute values.
package struct XMLWriter {
    package private(set) var bytes: [UInt8] = []

    package init(declaration: Bool = false) {
        // Most responses are a few hundred bytes: room for them at once, where growing from empty took five allocations.
        bytes.reserveCapacity(1024)
        if declaration { raw(#"<?xml version="1.0" encoding="UTF-8"?>"#) }
    }

    package mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    // Byte by byte rather than by concatenating strings: every element of every response passes here, and
    // each `"<" + name` was an allocation.
    package mutating func open(_ name: String, attributes: [(String, String)] = []) {
        startTag(name, attributes)
        bytes.append(UInt8(ascii: ">"))
    }

    /// `<NameSuffix xmlns="namespace">`, without concatenating the name.
    package mutating func open(_ name: String, suffix: StaticString, namespace: String? = nil) {
        bytes.append(UInt8(ascii: "<"))
        raw(name)
        bytes.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        if let namespace { attribute("xmlns", namespace) }
        bytes.append(UInt8(ascii: ">"))
    }

    /// `</NameSuffix>`.
    package mutating func close(_ name: String, suffix: StaticString) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(UInt8(ascii: "/"))
        raw(name)
        bytes.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: ">"))
    }

    package mutating func close(_ name: String) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(UInt8(ascii: "/"))
        raw(name)
        bytes.append(UInt8(ascii: ">"))
    }

    package mutating func empty(_ name: String, attributes: [(String, String)] = []) {
        startTag(name, attributes)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(UInt8(ascii: ">"))
    }

    private mutating func startTag(_ name: String, _ attributes: [(String, String)]) {
        bytes.append(UInt8(ascii: "<"))
        raw(name)
        for (k, v) in attributes { attribute(k, v) }
    }

    /// ` name="value"`, the value escaped.
    private mutating func attribute(_ name: String, _ value: String) {
        bytes.append(UInt8(ascii: " "))
        raw(name)
        bytes.append(UInt8(ascii: "="))
        bytes.append(UInt8(ascii: "\""))
        escape(value)
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func element(_ name: String, _ text: String) {
        open(name)
        escape(text)
        close(name)
    }

    /// Appends `text` with `&`, `<`, `>`, `"` and CR escaped; runs that need no escape are copied whole.
    package mutating func escape(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for (i, c) in utf8.enumerated() {
                let entity: StaticString
                switch c {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case 0x0D: entity = "&#xD;"
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                bytes.append(contentsOf: UnsafeBufferPointer(start: entity.utf8Start, count: entity.utf8CodeUnitCount))
                runStart = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
    }
}
