//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
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

@Suite struct MultipartStreamingTests {
    private let form = Array(
        ("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n"
            + "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"
            + "file bytes \r\n--almost but not the boundary\r\n--B--\r\n").utf8
    )

    private static func chunks(_ parts: [[UInt8]]) -> ByteStream {
        ByteStream(AsyncStream<[UInt8]> { continuation in
            for part in parts where !part.isEmpty { continuation.yield(part) }
            continuation.finish()
        }, length: nil)
    }

    @Test func headNeedsTheFieldsAndTheFileHeaders() throws {
        let isFile: (MultipartFormData.Part) -> Bool = { $0.name == "file" }
        // Every prefix short of the file's headers asks for more; from there on the answer is the same.
        let fileStart = try #require(try MultipartFormData.head(form, boundary: "B", isFile: isFile)).bodyStart
        for length in 0..<fileStart {
            #expect(try MultipartFormData.head(Array(form.prefix(length)), boundary: "B", isFile: isFile) == nil)
        }
        let head = try #require(try MultipartFormData.head(Array(form.prefix(fileStart)), boundary: "B", isFile: isFile))
        #expect(head.fields.map(\.name) == ["key"])
        #expect(head.fields.first?.text == "k")
        #expect(head.file.filename == "f")
        // A form that closes before any file is an error, not a request for more.
        let noFile = Array("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B--\r\n".utf8)
        #expect(throws: MultipartFormDataError.self) { try MultipartFormData.head(noFile, boundary: "B", isFile: isFile) }
    }

    @Test func fileBodyEndsAtTheDelimiterWhereverTheChunksSplit() async throws {
        let fileStart = try #require(try MultipartFormData.head(form, boundary: "B") { $0.name == "file" }).bodyStart
        let expected = Array("file bytes \r\n--almost but not the boundary".utf8)
        for split in fileStart..<form.count {
            for already in [fileStart, split] {
                let rest = Self.chunks([Array(form[already..<split]), Array(form[split...])])
                var read: [UInt8] = []
                for try await chunk in MultipartFileBody(remainder: rest, alreadyRead: Array(form[fileStart..<already]), boundary: "B") {
                    read += chunk
                }
                #expect(read == expected, "split at \(split)")
            }
        }
    }

    @Test func fileBodyWithoutItsDelimiterThrowsAndSizesAreChecked() async throws {
        let truncated = ByteStream(bytes: Array("no boundary follows".utf8))
        await #expect(throws: MultipartFormDataError.self) {
            for try await _ in MultipartFileBody(remainder: truncated, alreadyRead: [], boundary: "B") {}
        }
        struct TooBig: Error {}
        let big = ByteStream(bytes: [UInt8](repeating: 7, count: 200_000) + Array("\r\n--B--".utf8))
        await #expect(throws: TooBig.self) {
            for try await _ in MultipartFileBody(remainder: big, alreadyRead: [], boundary: "B", check: { size, _ in if size > 100_000 { throw TooBig() } }) {}
        }
    }
}
