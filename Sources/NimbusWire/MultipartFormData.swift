//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

// multipart/form-data (RFC 7578 over RFC 2046 §5.1), as browsers and HTTP libraries send it:
//
//   Content-Type: multipart/form-data; boundary=XyZ
//
//   [preamble]--XyZ\r\n
//   Content-Disposition: form-data; name="key"\r\n
//   \r\n
//   uploads/${filename}\r\n
//   --XyZ\r\n
//   Content-Disposition: form-data; name="file"; filename="a.txt"\r\n
//   Content-Type: text/plain\r\n
//   \r\n
//   <bytes>\r\n
//   --XyZ--[epilogue]
//
// Strict where a lenient reading would let two parsers disagree about what a field says: every part needs a
// `Content-Disposition: form-data` with a name, header lines end in CRLF and are not folded, and a part
// ends only at a delimiter, so a truncated body is an error rather than a shorter file.

import Foundation
package import NimbusCore

/// A parsed multipart/form-data body: its parts, in order, with their bodies as slices of the input.
package struct MultipartFormData: Sendable {
    package struct Part: Sendable {
        /// The `name` parameter of `Content-Disposition`, as sent.
        package var name: String
        /// The `filename` parameter, when the part is a file.
        package var filename: String?
        /// The part's `Content-Type` header, when it has one.
        package var contentType: String?
        /// The part's bytes; the indices are offsets into the parsed body.
        package var body: ArraySlice<UInt8>

        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package struct Limits: Sendable {
        /// The bytes of one part's header block.
        package var maxHeaderBytes: Int
        package var maxParts: Int

        package init(maxHeaderBytes: Int = 8 * 1024, maxParts: Int = 1_000) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxParts = maxParts
        }
    }

    package var parts: [Part]

    /// Whether a `Content-Type` value says multipart/form-data (whatever its parameters).
    package static func isFormData(contentType: String) -> Bool {
        let type = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        return type.lowercased() == "multipart/form-data"
    }

    /// The `boundary` parameter of a multipart `Content-Type`; nil when it is missing or not a valid
    /// boundary (1 to 70 characters, not ending in a space).
    package static func boundary(contentType: String) -> String? {
        for (name, value) in HeaderParameters.parse(contentType.drop { $0 != ";" }) where name == "boundary" {
            guard (1...70).contains(value.utf8.count), !value.hasSuffix(" "),
                value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
            else { return nil }
            return value
        }
        return nil
    }

    /// Parses `body`, stopping after the first part for which `isLast` is true: what follows that part's
    /// closing delimiter is not read (S3 ignores the fields after the file).
    package init(
        _ body: [UInt8],
        boundary: String,
        limits: Limits = Limits(),
        isLast: (Part) -> Bool = { _ in false }
    ) throws(MultipartFormDataError) {
        let delimiter = Array(("--" + boundary).utf8)
        let crlf: [UInt8] = [0x0D, 0x0A]
        // The first delimiter opens the body, or follows a preamble and a CRLF.
        var position: Int
        if body.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = Self.find(crlf + delimiter, in: body, from: 0) {
            position = found + 2 + delimiter.count
        } else {
            throw MultipartFormDataError("no opening boundary")
        }
        var parts: [Part] = []
        while true {
            // After a delimiter: `--` closes the body; otherwise optional padding, then CRLF.
            if body[position...].starts(with: [0x2D, 0x2D]) {
                guard !parts.isEmpty else { throw MultipartFormDataError("no parts") }
                break
            }
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard body[position...].starts(with: crlf) else { throw MultipartFormDataError("no CRLF after a boundary") }
            position += 2
            guard parts.count < limits.maxParts else { throw MultipartFormDataError("too many parts") }

            let (headers, bodyStart) = try Self.headers(body, from: position, limit: limits.maxHeaderBytes)
            guard let end = Self.find(crlf + delimiter, in: body, from: bodyStart) else {
                throw MultipartFormDataError("a part does not end with a boundary")
            }
            let part = try Self.part(headers: headers, body: body[bodyStart..<end])
            parts.append(part)
            position = end + 2 + delimiter.count
            if isLast(part) { break }
        }
        self.parts = parts
    }

    /// For a body that arrives in pieces: the parts before the first one `isFile` selects (each complete), that
    /// part's headers (with an empty body) and where its body starts in `prefix`. Nil while `prefix` does not
    /// reach that body yet; the caller reads more and asks again. Errors are the ones `init` reports.
    package static func head(
        _ prefix: [UInt8],
        boundary: String,
        limits: Limits = Limits(),
        isFile: (Part) -> Bool
    ) throws(MultipartFormDataError) -> (fields: [Part], file: Part, bodyStart: Int)? {
        let delimiter = Array(("--" + boundary).utf8)
        let crlf: [UInt8] = [0x0D, 0x0A]
        var position: Int
        if prefix.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = find(crlf + delimiter, in: prefix, from: 0) {
            position = found + 2 + delimiter.count
        } else {
            return nil
        }
        var fields: [Part] = []
        while true {
            guard prefix.count >= position + 2 else { return nil }
            if prefix[position...].starts(with: [0x2D, 0x2D]) { throw MultipartFormDataError("the body ends before the file") }
            while position < prefix.count, prefix[position] == 0x20 || prefix[position] == 0x09 { position += 1 }
            guard prefix.count >= position + 2 else { return nil }
            guard prefix[position...].starts(with: crlf) else { throw MultipartFormDataError("no CRLF after a boundary") }
            position += 2
            guard fields.count < limits.maxParts else { throw MultipartFormDataError("too many parts") }
            let parsed: ([(String, String)], Int)
            do {
                parsed = try headers(prefix, from: position, limit: limits.maxHeaderBytes)
            } catch where prefix.count - position <= limits.maxHeaderBytes {
                return nil  // the header block is not complete yet
            }
            let (partHeaders, bodyStart) = parsed
            let candidate = try part(headers: partHeaders, body: [])
            if isFile(candidate) { return (fields, candidate, bodyStart) }
            guard let end = find(crlf + delimiter, in: prefix, from: bodyStart) else { return nil }
            fields.append(try part(headers: partHeaders, body: prefix[bodyStart..<end]))
            position = end + 2 + delimiter.count
        }
    }

    /// The header lines of a part and where its body begins.
    private static func headers(_ body: [UInt8], from start: Int, limit: Int) throws(MultipartFormDataError) -> ([(String, String)], Int) {
        var headers: [(String, String)] = []
        var lineStart = start
        while true {
            guard let lineEnd = find([0x0D, 0x0A], in: body, from: lineStart, before: start + limit) else {
                throw MultipartFormDataError(body.count - start <= limit ? "a part's headers are truncated" : "a part's headers are too large")
            }
            if lineEnd == lineStart { return (headers, lineEnd + 2) }
            let line = body[lineStart..<lineEnd]
            // Folding (a line starting with white space) was removed from HTTP and never belonged here.
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > lineStart,
                line.first != 0x20, line.first != 0x09, !line.contains(0x0A), !line.contains(0x0D)
            else { throw MultipartFormDataError("a malformed header line") }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            headers.append((name.lowercased(), value))
            lineStart = lineEnd + 2
        }
    }

    private static func part(headers: [(String, String)], body: ArraySlice<UInt8>) throws(MultipartFormDataError) -> Part {
        let dispositions = headers.filter { $0.0 == "content-disposition" }
        guard dispositions.count == 1, let disposition = dispositions.first?.1 else {
            throw MultipartFormDataError("a part needs exactly one Content-Disposition")
        }
        guard disposition.prefix(while: { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased() == "form-data" else {
            throw MultipartFormDataError("a part is not form-data")
        }
        var name: String?
        var filename: String?
        var extendedFilename: String?
        for (key, value) in HeaderParameters.parse(disposition.drop { $0 != ";" }) {
            switch key {
            case "name" where name == nil: name = value
            case "filename" where filename == nil: filename = value
            case "filename*" where extendedFilename == nil: extendedFilename = HeaderParameters.decodeExtended(value)
            case "name", "filename", "filename*": throw MultipartFormDataError("a repeated Content-Disposition parameter")
            default: continue
            }
        }
        guard let name, !name.isEmpty else { throw MultipartFormDataError("a part without a name") }
        return Part(
            name: name,
            filename: extendedFilename ?? filename,
            contentType: headers.first { $0.0 == "content-type" }?.1,
            body: body
        )
    }

    /// The first index of `needle` in `haystack` at or after `from` (and starting before `before`).
    package static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int, before: Int = .max) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        let last = min(haystack.count - needle.count, before - 1)
        guard from <= last else { return nil }
        return haystack.withUnsafeBufferPointer { bytes -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                var i = from
                while i <= last {
                    if bytes[i] == first {
                        var k = 1
                        while k < pattern.count, bytes[i + k] == pattern[k] { k += 1 }
                        if k == pattern.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}

/// Why a multipart/form-data body was refused (for logs; clients see one message).
package struct MultipartFormDataError: Error, Sendable, Equatable {
    package var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// `; name=value; name="quoted \"value\""` parameters of a header (Content-Type, Content-Disposition).
enum HeaderParameters {
    /// The parameters in order, names lowercased; a parameter that does not parse ends the list.
    static func parse(_ text: Substring) -> [(String, String)] {
        var result: [(String, String)] = []
        var rest = text[...]
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == ";" else { return result }
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            let name = rest.prefix { $0 != "=" && $0 != ";" && $0 != " " && $0 != "\t" }
            rest = rest.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
            guard !name.isEmpty, rest.first == "=" else { return result }
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if c == "\\", let escaped = rest.first {
                        value.append(escaped)
                        rest = rest.dropFirst()
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { return result }
            } else {
                let token = rest.prefix { $0 != ";" && $0 != " " && $0 != "\t" }
                value = String(token)
                rest = rest.dropFirst(token.count)
            }
            result.append((name.lowercased(), value))
        }
    }

    /// RFC 8187 `UTF-8''percent%20encoded`; nil for any other charset or a bad encoding.
    static func decodeExtended(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }
}

/// The body of a form's file part read from the rest of the request as it arrives: the bytes up to the
/// `CRLF--boundary` that ends the part, holding back only as many as could be the start of that delimiter.
/// A body that ends before the delimiter throws, so a truncated upload is never taken for a shorter file.
package struct MultipartFileBody: AsyncSequence, Sendable {
    package typealias Element = [UInt8]

    private let source: ByteStream
    private let alreadyRead: [UInt8]
    private let delimiter: [UInt8]
    private let check: @Sendable (_ total: Int64, _ ended: Bool) throws -> Void

    /// - Parameters:
    ///   - remainder: what follows, in the request body, the bytes read so far.
    ///   - alreadyRead: the file's first bytes, read while parsing the fields before it.
    ///   - check: called with the running size after every chunk and once at the end, to stop an upload
    ///     that breaks a size limit as soon as it does.
    package init(
        remainder: ByteStream, alreadyRead: [UInt8], boundary: String,
        check: @escaping @Sendable (_ total: Int64, _ ended: Bool) throws -> Void = { _, _ in }
    ) {
        self.source = remainder
        self.alreadyRead = alreadyRead
        self.delimiter = Array(("\r\n--" + boundary).utf8)
        self.check = check
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: source.makeAsyncIterator(), pending: alreadyRead, delimiter: delimiter, check: check)
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var source: ByteStream.AsyncIterator
        var pending: [UInt8]
        let delimiter: [UInt8]
        let check: @Sendable (Int64, Bool) throws -> Void
        var total: Int64 = 0
        var finished = false

        package mutating func next() async throws -> [UInt8]? {
            while !finished {
                if let end = MultipartFormData.find(delimiter, in: pending, from: 0) {
                    finished = true
                    return try emit(Array(pending[..<end]), ended: true)
                }
                // Everything but a tail that could be the delimiter's beginning is file data.
                let safe = pending.count - (delimiter.count - 1)
                if safe >= 64 * 1024 {
                    let out = Array(pending[..<safe])
                    pending.removeFirst(safe)
                    return try emit(out, ended: false)
                }
                guard let chunk = try await source.next() else {
                    throw MultipartFormDataError("the file part does not end with a boundary")
                }
                pending += chunk
            }
            return nil
        }

        private mutating func emit(_ bytes: [UInt8], ended: Bool) throws -> [UInt8]? {
            total += Int64(bytes.count)
            try check(total, ended)
            if bytes.isEmpty && ended { return nil }
            return bytes
        }
    }
}
