//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusWire
import Testing

@Suite struct MultipartFormDataTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func parse(_ body: String, boundary: String = "XyZ", limits: MultipartFormData.Limits = .init()) throws(MultipartFormDataError) -> MultipartFormData {
        try MultipartFormData(bytes(body), boundary: boundary, limits: limits) { $0.name.lowercased() == "file" }
    }

    static let form =
        "preamble to ignore\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
        + "uploads/${filename}\r\n"
        + "--XyZ  \r\n"  // transport padding after a delimiter is allowed
        + "content-disposition: form-data; name=\"x-amz-meta-note\"\r\n\r\n"
        + "two\r\nlines\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"
        + "Content-Type: text/plain\r\n\r\n"
        + "--XyZ is not a delimiter unless it follows CRLF\r\n"
        + "--XyZ\r\n"
        + "Content-Disposition: form-data; name=\"after\"\r\n\r\n"
        + "ignored\r\n"
        + "--XyZ--\r\nepilogue"

    @Test func partsUpToTheFile() throws {
        let form = try Self.parse(Self.form)
        #expect(form.parts.map(\.name) == ["key", "x-amz-meta-note", "file"])
        #expect(form.parts[0].text == "uploads/${filename}")
        #expect(form.parts[1].text == "two\r\nlines")
        let file = form.parts[2]
        #expect(file.filename == "a \"b\".txt")
        #expect(file.contentType == "text/plain")
        #expect(file.text == "--XyZ is not a delimiter unless it follows CRLF")
        // The slice indexes the original body.
        #expect(Array(Self.bytes(Self.form)[file.body.startIndex..<file.body.endIndex]) == Array(file.body))
    }

    @Test func allPartsWithoutAStop() throws {
        let form = try MultipartFormData(Self.bytes(Self.form), boundary: "XyZ")
        #expect(form.parts.map(\.name) == ["key", "x-amz-meta-note", "file", "after"])
    }

    @Test func emptyAndBinaryBodies() throws {
        let binary: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D, 0x0D, 0x0A, 0x0D]  // CRLF, "--", a lone CR
        let body = Self.bytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n") + binary + Self.bytes("\r\n--b--")
        let form = try MultipartFormData(body, boundary: "b")
        #expect(Array(form.parts[0].body) == binary)
        let empty = try Self.parse("--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n\r\n--XyZ--")
        #expect(empty.parts[0].text == "")
    }

    @Test func extendedFilename() throws {
        let form = try Self.parse("--XyZ\r\nContent-Disposition: form-data; name=file; filename=plain.txt; filename*=UTF-8''caf%C3%A9.txt\r\n\r\nx\r\n--XyZ--")
        #expect(form.parts[0].filename == "café.txt")
    }

    @Test(arguments: [
        "",  // empty
        "--XyZ--",  // no parts
        "no boundary at all",
        "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nvalue",  // truncated body
        "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n",  // truncated headers
        "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n--XyZ",  // ends right after a delimiter
        "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--",  // no Content-Disposition
        "--XyZ\r\nContent-Disposition: attachment; name=\"k\"\r\n\r\nv\r\n--XyZ--",  // not form-data
        "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",  // no name
        "--XyZ\r\nContent-Disposition: form-data; name=\"k\r\n\r\nv\r\n--XyZ--",  // unterminated quote
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nv\r\n--XyZ--",  // repeated parameter
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n folded\r\n\r\nv\r\n--XyZ--",  // folded header
        "--XyZ\r\nno colon here\r\n\r\nv\r\n--XyZ--",
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nv\r\n--XyZ--",
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZgarbage\r\n--XyZ--",  // delimiter followed by junk
    ])
    func malformedBodiesAreRefused(_ body: String) {
        #expect(throws: MultipartFormDataError.self) { try Self.parse(body) }
    }

    @Test func hugeHeadersAndTooManyParts() {
        let big = "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\nX-Pad: " + String(repeating: "a", count: 10_000) + "\r\n\r\nv\r\n--XyZ--"
        #expect(throws: MultipartFormDataError.self) { try Self.parse(big) }
        let many = String(repeating: "--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n", count: 5) + "--XyZ--"
        #expect(throws: MultipartFormDataError.self) { try Self.parse(many, limits: .init(maxParts: 4)) }
        #expect(throws: Never.self) { try Self.parse(many, limits: .init(maxParts: 5)) }
    }

    @Test func contentTypeParameters() {
        #expect(MultipartFormData.isFormData(contentType: "Multipart/Form-Data; boundary=x"))
        #expect(!MultipartFormData.isFormData(contentType: "multipart/mixed; boundary=x"))
        #expect(!MultipartFormData.isFormData(contentType: "application/xml"))
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=----WebKitFormBoundary7MA4") == "----WebKitFormBoundary7MA4")
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; charset=utf-8; BOUNDARY=\"a b;c\"") == "a b;c")
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data") == nil)
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=") == nil)
        #expect(MultipartFormData.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
    }
}
