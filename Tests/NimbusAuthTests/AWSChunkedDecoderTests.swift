//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAuth
import NimbusCore
import Testing

@Suite("aws-chunked bodies")
struct AWSChunkedDecoderTests {
    typealias T = TestSupport

    // The example in the S3 documentation ("Signature Calculations for the Authorization Header: Transferring
    // Payload in Multiple Chunks"): 64 KiB + 1 KiB of 'a', then the final chunk.
    static let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    static let chunkSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]

    static let exampleRequest = SignableRequest(
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        headers: [
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;"
                    + "content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
                    + "Signature=\(seed)"
            ),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
        ]
    )

    static var exampleBody: [UInt8] {
        var body: [UInt8] = []
        body += Array("10000;chunk-signature=\(chunkSignatures[0])\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 65_536) + [13, 10]
        body += Array("400;chunk-signature=\(chunkSignatures[1])\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 1_024) + [13, 10]
        body += Array("0;chunk-signature=\(chunkSignatures[2])\r\n\r\n".utf8)
        return body
    }

    static var context: ChunkSigningContext {
        ChunkSigningContext(
            secretAccessKey: T.secret,
            scope: SigningScope(accessKeyID: T.accessKeyID, date: "20130524", region: "us-east-1", service: "s3"),
            timestamp: "20130524T000000Z",
            seedSignature: seed
        )
    }

    static func decoder(_ mode: AWSChunkedDecoder.Mode = .signed(context), length: Int? = 66_560) -> AWSChunkedDecoder {
        AWSChunkedDecoder(mode: mode, decodedContentLength: length)
    }

    /// Decodes `body` in pieces of `step` bytes.
    static func decode(_ body: [UInt8], _ decoder: AWSChunkedDecoder, step: Int = 4_096) throws(AWSError) -> ([UInt8], AWSChunkedDecoder.Trailers) {
        var decoder = decoder
        var data: [UInt8] = []
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + step)
            for piece in try decoder.feed(body[offset..<end]) { data += piece }
            offset = end
        }
        return (data, try decoder.finish())
    }

    static func code(_ body: [UInt8], _ decoder: AWSChunkedDecoder, step: Int = 4_096) -> String? {
        do {
            _ = try decode(body, decoder, step: step)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Known answer

    @Test("S3's example: the seed signature verifies and the request asks for chunk verification")
    func exampleRequestVerifies() async throws {
        #expect(Self.exampleBody.count == 66_824)
        let (authentication, _, stringToSign) = try await T.verifier().authenticateShowingWork(Self.exampleRequest, flavor: .s3)
        #expect(stringToSign.hasSuffix("cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455"))
        guard case .authenticated(let auth) = authentication, case .streamingSigned(let context) = auth.payload else {
            Issue.record("expected a streaming signed payload")
            return
        }
        #expect(context.seedSignature == Self.seed)
        var decoder = try #require(AWSChunkedDecoder(payload: auth.payload, decodedContentLength: 66_560))
        var data: [UInt8] = []
        for piece in try decoder.feed(Self.exampleBody) { data += piece }
        _ = try decoder.finish()
        #expect(data == Array(repeating: UInt8(ascii: "a"), count: 66_560))
    }

    @Test("S3's example decodes the same in any piece size", arguments: [1, 7, 100, 8_192, 70_000])
    func exampleDecodes(step: Int) throws {
        let (data, trailers) = try Self.decode(Self.exampleBody, Self.decoder(), step: step)
        #expect(data == Array(repeating: UInt8(ascii: "a"), count: 66_560))
        #expect(trailers.fields.isEmpty)
    }

    @Test("the encoder reproduces S3's example byte for byte")
    func encoderReproducesExample() {
        var encoder = AWSChunkedEncoder(context: Self.context)
        var body = encoder.encode(chunk: Array(repeating: UInt8(ascii: "a"), count: 65_536))
        body += encoder.encode(chunk: Array(repeating: UInt8(ascii: "a"), count: 1_024))
        body += encoder.finish()
        #expect(body == Self.exampleBody)
    }

    @Test("the signing key never prints")
    func contextDoesNotPrint() {
        let context = Self.context
        #expect(String(describing: context).contains("<redacted>"))
        var dumped = ""
        dump(context, to: &dumped)
        #expect(!dumped.contains("SymmetricKey"))
        #expect(dumped.contains("<redacted>"))
    }

    // MARK: Refusals

    @Test("a body cut short is IncompleteBody", arguments: [0, 10, 88, 5_000, 65_625, 66_000, 66_800, 66_822])
    func truncated(at length: Int) {
        #expect(Self.code(Array(Self.exampleBody.prefix(length)), Self.decoder()) == "IncompleteBody")
    }

    @Test("a wrong chunk signature is SignatureDoesNotMatch", arguments: [0, 1, 2])
    func badChunkSignature(index: Int) {
        let body = String(decoding: Self.exampleBody, as: UTF8.self).replacingOccurrences(
            of: Self.chunkSignatures[index],
            with: String(repeating: "0", count: 64)
        )
        #expect(Self.code(Array(body.utf8), Self.decoder()) == "SignatureDoesNotMatch")
    }

    @Test("changed data is SignatureDoesNotMatch")
    func changedData() {
        var body = Self.exampleBody
        body[1_000] = UInt8(ascii: "b")
        #expect(Self.code(body, Self.decoder()) == "SignatureDoesNotMatch")
        // A chunk signed for another request (another seed) does not verify either.
        let other = ChunkSigningContext(
            secretAccessKey: T.secret,
            scope: SigningScope(accessKeyID: T.accessKeyID, date: "20130524", region: "us-east-1", service: "s3"),
            timestamp: "20130524T000000Z",
            seedSignature: String(repeating: "1", count: 64)
        )
        #expect(Self.code(Self.exampleBody, Self.decoder(.signed(other))) == "SignatureDoesNotMatch")
    }

    @Test("malformed chunk framing", arguments: [
        "zz;chunk-signature=\(String(repeating: "0", count: 64))\r\n",
        ";chunk-signature=\(String(repeating: "0", count: 64))\r\n",
        "fffffffffffffffffff;chunk-signature=\(String(repeating: "0", count: 64))\r\n",
        String(repeating: "1", count: 5_000),
    ])
    func malformedFraming(header: String) {
        #expect(Self.code(Array(header.utf8), Self.decoder()) == "InvalidChunkSizeError")
    }

    @Test("a missing chunk signature is SignatureDoesNotMatch")
    func missingChunkSignature() {
        #expect(Self.code(Array("10000\r\n".utf8), Self.decoder()) == "SignatureDoesNotMatch")
        #expect(Self.code(Array("10000;chunk-signature=abc\r\n".utf8), Self.decoder()) == "SignatureDoesNotMatch")
    }

    @Test("data must be followed by CRLF")
    func missingCRLF() {
        var body = Self.exampleBody
        body[88 + 65_536] = UInt8(ascii: "x")
        #expect(Self.code(body, Self.decoder()) == "InvalidChunkSizeError")
    }

    @Test("only the last chunk may be shorter than 8 KiB")
    func shortChunk() {
        var encoder = AWSChunkedEncoder(context: Self.context)
        let body = encoder.encode(chunk: [1, 2, 3]) + encoder.encode(chunk: [4, 5, 6]) + encoder.finish()
        #expect(Self.code(body, Self.decoder(length: 6)) == "InvalidChunkSizeError")
        var single = AWSChunkedEncoder(context: Self.context)
        let ok = single.encode(chunk: [1, 2, 3]) + single.finish()
        #expect(Self.code(ok, Self.decoder(length: 3)) == nil)
    }

    @Test("the decoded length must be x-amz-decoded-content-length")
    func decodedLength() {
        #expect(Self.code(Self.exampleBody, Self.decoder(length: 66_561)) == "IncompleteBody")
        #expect(Self.code(Self.exampleBody, Self.decoder(length: 1_000)) == "IncompleteBody")
        #expect(Self.code(Self.exampleBody, Self.decoder(length: nil)) == nil)
    }

    @Test("nothing may follow the final chunk")
    func trailingGarbage() {
        #expect(Self.code(Self.exampleBody + Array("junk".utf8), Self.decoder()) != nil)
    }

    // MARK: Trailers

    static let checksum = ("x-amz-checksum-crc32", "sOO8/Q==")

    @Test("a signed trailer round-trips")
    func signedTrailer() throws {
        var encoder = AWSChunkedEncoder(context: Self.context)
        let data = Array(repeating: UInt8(7), count: 10_000)
        let body = encoder.encode(chunk: data) + encoder.finish(trailers: [Self.checksum])
        let (decoded, trailers) = try Self.decode(body, Self.decoder(.signedWithTrailer(Self.context), length: 10_000), step: 333)
        #expect(decoded == data)
        #expect(trailers["X-Amz-Checksum-CRC32"] == "sOO8/Q==")
        #expect(trailers.fields.count == 1)
    }

    @Test("a bad trailer signature is SignatureDoesNotMatch; a missing one is MalformedTrailerError")
    func badTrailerSignature() {
        var encoder = AWSChunkedEncoder(context: Self.context)
        let body = encoder.encode(chunk: [1, 2, 3]) + encoder.finish(trailers: [Self.checksum])
        let text = String(decoding: body, as: UTF8.self)
        let changed = text.replacingOccurrences(of: "sOO8/Q==", with: "AAAAAA==")
        #expect(Self.code(Array(changed.utf8), Self.decoder(.signedWithTrailer(Self.context), length: 3)) == "SignatureDoesNotMatch")
        let unsignedTrailer = text.components(separatedBy: "x-amz-trailer-signature")[0] + "\r\n"
        #expect(Self.code(Array(unsignedTrailer.utf8), Self.decoder(.signedWithTrailer(Self.context), length: 3)) == "MalformedTrailerError")
    }

    @Test("malformed trailers", arguments: ["no-colon-here\r\n\r\n", ":value\r\n\r\n", String(repeating: "x-a:b\r\n", count: 2_000)])
    func malformedTrailers(trailer: String) {
        let body = Array("3\r\nabc\r\n0\r\n\(trailer)".utf8)
        #expect(Self.code(body, Self.decoder(.unsignedWithTrailer, length: 3)) == "MalformedTrailerError")
    }

    @Test("an unsigned trailer body decodes, tolerating a bare LF before the blank line")
    func unsignedTrailer() throws {
        var encoder = AWSChunkedEncoder(context: nil)
        let body = encoder.encode(chunk: Array("hello".utf8)) + encoder.finish(trailers: [Self.checksum])
        let (data, trailers) = try Self.decode(body, Self.decoder(.unsignedWithTrailer, length: 5), step: 2)
        #expect(data == Array("hello".utf8))
        #expect(trailers["x-amz-checksum-crc32"] == "sOO8/Q==")
        let quirky = Array("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:sOO8/Q==\n\r\n".utf8)
        #expect(try Self.decode(quirky, Self.decoder(.unsignedWithTrailer, length: 5)).1["x-amz-checksum-crc32"] == "sOO8/Q==")
    }

    @Test("a signed request with a trailer round-trips through signer, verifier and decoder")
    func endToEnd() async throws {
        let data = Array(repeating: UInt8(ascii: "z"), count: 20_000)
        let request = SignableRequest(
            method: "PUT",
            path: "/bucket/key",
            headers: [("Host", "bucket.s3.localhost"), ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "20000"),
                      ("x-amz-trailer", "x-amz-checksum-crc32")]
        )
        let (signed, context) = T.signer(flavor: .s3, service: "s3").signedStreaming(request, at: T.date, withTrailer: true)
        var encoder = AWSChunkedEncoder(context: context)
        let body = encoder.encode(chunk: data[..<10_000]) + encoder.encode(chunk: data[10_000...]) + encoder.finish(trailers: [Self.checksum])

        guard case .authenticated(let auth) = try await T.verifier().authenticate(signed, flavor: .s3) else {
            Issue.record("not authenticated")
            return
        }
        let decoder = try #require(AWSChunkedDecoder(payload: auth.payload, decodedContentLength: 20_000))
        let pieces = stride(from: 0, to: body.count, by: 1_000).map { Array(body[$0..<min(body.count, $0 + 1_000)]) }
        let stream = AsyncStream<[UInt8]> { continuation in
            for piece in pieces { continuation.yield(piece) }
            continuation.finish()
        }
        var iterator = stream.awsChunkedDecoded(with: decoder).makeAsyncIterator()
        var decoded: [UInt8] = []
        while let piece = try await iterator.next() { decoded += piece }
        #expect(decoded == data)
        #expect(iterator.trailers?["x-amz-checksum-crc32"] == "sOO8/Q==")
    }

    @Test("the async sequence throws the decoder's error")
    func asyncSequenceThrows() async {
        let stream = AsyncStream<[UInt8]> { continuation in
            continuation.yield(Array(Self.exampleBody.prefix(30_000)))
            continuation.finish()
        }
        await #expect(throws: AWSError.incompleteBody) {
            for try await _ in stream.awsChunkedDecoded(with: Self.decoder()) {}
        }
    }
}
