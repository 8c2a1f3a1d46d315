//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
public import NimbusCore

// aws-chunked (Content-Encoding: aws-chunked), as S3 defines it:
//
//   hex-size;chunk-signature=<64 hex>\r\n
//   <data>\r\n
//   …
//   0;chunk-signature=<64 hex>\r\n
//   \r\n                                           (no trailer)
//   x-amz-checksum-crc32:AAAAAA==\r\n              (-TRAILER variants)
//   x-amz-trailer-signature:<64 hex>\r\n           (signed trailer only)
//   \r\n
//
// chunk signature   = HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + previous + "\n"
//                                    + sha256("") + "\n" + sha256(data))
// trailer signature = HMAC(kSigning, "AWS4-HMAC-SHA256-TRAILER\n" + date + "\n" + scope + "\n" + previous + "\n"
//                                    + sha256("name:value\n" for each trailer))
// STREAMING-UNSIGNED-PAYLOAD-TRAILER has no `;chunk-signature` and no trailer signature.

/// What chunk signatures chain from: the signing key, the scope and time of the request, and its seed signature.
///
/// The signing key never appears in `description`, `debugDescription` or the reflection mirror.
public struct ChunkSigningContext: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let signingKey: SymmetricKey
    /// `20130524/us-east-1/s3/aws4_request`.
    public let credentialScope: String
    /// `20130524T000000Z`.
    public let timestamp: String
    /// The request's own signature, which the first chunk signature chains from.
    public let seedSignature: String

    init(signingKey: SymmetricKey, credentialScope: String, timestamp: String, seedSignature: String) {
        self.signingKey = signingKey
        self.credentialScope = credentialScope
        self.timestamp = timestamp
        self.seedSignature = seedSignature
    }

    /// A context for signing or verifying chunks under the given credentials.
    public init(secretAccessKey: String, scope: SigningScope, timestamp: String, seedSignature: String) {
        self.init(
            signingKey: SigV4Crypto.signingKey(secret: secretAccessKey, date: scope.date, region: scope.region, service: scope.service),
            credentialScope: scope.credentialScope,
            timestamp: timestamp,
            seedSignature: seedSignature
        )
    }

    public var description: String {
        "ChunkSigningContext(scope: \(credentialScope), timestamp: \(timestamp), seedSignature: \(seedSignature), signingKey: <redacted>)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["credentialScope": credentialScope, "timestamp": timestamp, "seedSignature": seedSignature])
    }

    func chunkSignature(previous: String, dataSHA256: String) -> String {
        SigV4Crypto.signature(
            signingKey,
            "AWS4-HMAC-SHA256-PAYLOAD\n\(timestamp)\n\(credentialScope)\n\(previous)\n\(SigV4Crypto.emptySHA256)\n\(dataSHA256)"
        )
    }

    func trailerSignature(previous: String, canonicalTrailers: String) -> String {
        SigV4Crypto.signature(
            signingKey,
            "AWS4-HMAC-SHA256-TRAILER\n\(timestamp)\n\(credentialScope)\n\(previous)\n\(SigV4Crypto.sha256Hex(canonicalTrailers))"
        )
    }
}

/// Decodes an `aws-chunked` body and verifies its chunk and trailer signatures, without doing any I/O.
///
/// Feed it the body as it arrives; it returns the decoded data. Data is handed out as it is decoded, before the
/// chunk it belongs to has been verified: treat everything as provisional until `finish()` returns, and
/// discard it all when any call throws. Once a call has thrown, the decoder is spent.
public struct AWSChunkedDecoder: Sendable {
    public enum Mode: Sendable {
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
        case signed(ChunkSigningContext)
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
        case signedWithTrailer(ChunkSigningContext)
        /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
        case unsignedWithTrailer
    }

    /// The trailing headers after the last chunk (`x-amz-checksum-crc32` …), names lowercased, in arrival order.
    public struct Trailers: Sendable {
        public var fields: [(name: String, value: String)]

        public init(fields: [(name: String, value: String)] = []) { self.fields = fields }

        public subscript(name: String) -> String? {
            let name = name.lowercased()
            return fields.first { $0.name == name }?.value
        }
    }

    private enum State {
        case chunkHeader
        case data(remaining: Int)
        case dataCR
        case dataLF
        /// After the last chunk when there is no trailer: the closing CRLF.
        case closing
        case trailers
        case done
        case failed
    }

    /// Non-final signed chunks must be at least this long.
    static let minimumChunkSize = 8_192
    static let maximumChunkSize = 1 << 36
    static let maximumTrailerBytes = 8_192

    private let mode: Mode
    private let decodedContentLength: Int?
    private let maxChunkHeaderLength: Int
    private var state = State.chunkHeader
    private var line: [UInt8] = []
    private var chunkSize = 0
    private var expectedSignature = ""
    private var previousSignature: String
    private var hasher = SHA256()
    private var previousChunkWasShort = false
    private var decodedLength = 0
    private var trailerBytes = 0
    private var trailers: [(name: String, value: String)] = []
    private var trailerSignature: String?

    /// - Parameters:
    ///   - mode: the streaming mode and, for signed modes, what signatures chain from.
    ///   - decodedContentLength: `x-amz-decoded-content-length`; the decoded total must equal it.
    ///   - maxChunkHeaderLength: the longest chunk header (or trailer) line accepted, CRLF included.
    public init(mode: Mode, decodedContentLength: Int?, maxChunkHeaderLength: Int = 1_024) {
        self.mode = mode
        self.decodedContentLength = decodedContentLength
        self.maxChunkHeaderLength = maxChunkHeaderLength
        switch mode {
        case .signed(let context), .signedWithTrailer(let context): previousSignature = context.seedSignature
        case .unsignedWithTrailer: previousSignature = ""
        }
    }

    /// A decoder for the streaming payload modes; nil for `.signed` and `.unsigned`, which are not chunked.
    public init?(payload: PayloadMode, decodedContentLength: Int?, maxChunkHeaderLength: Int = 1_024) {
        switch payload {
        case .streamingSigned(let context): self.init(mode: .signed(context), decodedContentLength: decodedContentLength, maxChunkHeaderLength: maxChunkHeaderLength)
        case .streamingSignedTrailer(let context):
            self.init(mode: .signedWithTrailer(context), decodedContentLength: decodedContentLength, maxChunkHeaderLength: maxChunkHeaderLength)
        case .streamingUnsignedTrailer:
            self.init(mode: .unsignedWithTrailer, decodedContentLength: decodedContentLength, maxChunkHeaderLength: maxChunkHeaderLength)
        case .signed, .unsigned: return nil
        }
    }

    private var context: ChunkSigningContext? {
        switch mode {
        case .signed(let context), .signedWithTrailer(let context): context
        case .unsignedWithTrailer: nil
        }
    }

    private var hasTrailer: Bool {
        if case .signed = mode { return false }
        return true
    }

    /// Consumes the next bytes of the body and returns the data decoded from them (possibly none).
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(AWSError) -> [[UInt8]] {
        var output: [[UInt8]] = []
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in Result { () throws(AWSError) in try consume(buffer, into: &output) } }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in Result { () throws(AWSError) in try consume(buffer, into: &output) } }
        if case .failure(let error) = result {
            state = .failed
            throw error
        }
        return output
    }

    /// Ends the body: checks that it was complete, verifies the trailer signature and returns the trailers.
    public mutating func finish() throws(AWSError) -> Trailers {
        do throws(AWSError) {
            switch state {
            case .done:
                break
            case .closing:
                guard line.last == UInt8(ascii: "\n") else { throw AWSError.incompleteBody }
                state = .done
            case .trailers:
                if !line.isEmpty {
                    let pending = line
                    line = []
                    try trailerLine(pending)
                }
                try finishTrailers()
                state = .done
            case .failed:
                throw AWSError.incompleteBody
            case .chunkHeader, .data, .dataCR, .dataLF:
                throw AWSError.incompleteBody
            }
            if let decodedContentLength, decodedLength != decodedContentLength { throw AWSError.incompleteBody }
        } catch {
            state = .failed
            throw error
        }
        return Trailers(fields: trailers)
    }

    private mutating func consume(_ buffer: UnsafeBufferPointer<UInt8>, into output: inout [[UInt8]]) throws(AWSError) {
        var i = 0
        let end = buffer.count
        while i < end {
            switch state {
            case .chunkHeader:
                guard let newline = lineEnd(buffer, from: i) else {
                    try appendLine(buffer, i..<end)
                    i = end
                    continue
                }
                try appendLine(buffer, i..<newline)
                i = newline + 1
                let header = line
                line = []
                try chunkHeader(header)
            case .data(let remaining):
                let take = min(remaining, end - i)
                let slice = UnsafeBufferPointer(rebasing: buffer[i..<(i + take)])
                if context != nil { hasher.update(bufferPointer: UnsafeRawBufferPointer(slice)) }
                decodedLength += take
                if let decodedContentLength, decodedLength > decodedContentLength {
                    throw AWSError(
                        code: "IncompleteBody",
                        message: "The decoded body is longer than x-amz-decoded-content-length.",
                        status: 400
                    )
                }
                output.append(Array(slice))
                i += take
                state = remaining == take ? .dataCR : .data(remaining: remaining - take)
                if remaining == take { try endOfChunkData() }
            case .dataCR:
                guard buffer[i] == UInt8(ascii: "\r") else { throw AWSError.invalidChunkSize("The chunk data is not followed by CRLF.") }
                i += 1
                state = .dataLF
            case .dataLF:
                guard buffer[i] == UInt8(ascii: "\n") else { throw AWSError.invalidChunkSize("The chunk data is not followed by CRLF.") }
                i += 1
                state = .chunkHeader
            case .closing:
                // Only the CRLF that closes the final chunk may follow it.
                let b = buffer[i]
                guard (line.isEmpty && (b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n"))) || (line == [0x0D] && b == UInt8(ascii: "\n")) else {
                    throw AWSError.invalidChunkSize("Unexpected data after the final chunk.")
                }
                line.append(buffer[i])
                i += 1
            case .trailers:
                guard let newline = lineEnd(buffer, from: i) else {
                    try appendTrailerBytes(buffer, i..<end)
                    i = end
                    continue
                }
                try appendTrailerBytes(buffer, i..<newline)
                i = newline + 1
                let pending = line
                line = []
                try trailerLine(pending)
            case .done, .failed:
                throw AWSError.malformedTrailer
            }
        }
    }

    private func lineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var j = start
        while j < buffer.count {
            if buffer[j] == UInt8(ascii: "\n") { return j }
            j += 1
        }
        return nil
    }

    private mutating func appendLine(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(AWSError) {
        guard line.count + range.count <= maxChunkHeaderLength else { throw AWSError.invalidChunkSize("The chunk header is too long.") }
        line.append(contentsOf: buffer[range])
    }

    private mutating func appendTrailerBytes(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(AWSError) {
        trailerBytes += range.count + 1
        guard line.count + range.count <= maxChunkHeaderLength, trailerBytes <= Self.maximumTrailerBytes else { throw AWSError.malformedTrailer }
        line.append(contentsOf: buffer[range])
    }

    /// `hex-size[;chunk-signature=sig]` with its CR still attached.
    private mutating func chunkHeader(_ raw: [UInt8]) throws(AWSError) {
        var header = raw[...]
        if header.last == UInt8(ascii: "\r") { header = header.dropLast() }
        let semicolon = header.firstIndex(of: UInt8(ascii: ";")) ?? header.endIndex
        let sizeField = header[header.startIndex..<semicolon]
        guard !sizeField.isEmpty, sizeField.count <= 16 else { throw AWSError.invalidChunkSize("The chunk size is not a hexadecimal number.") }
        var size = 0
        for b in sizeField {
            let digit: Int
            switch b {
            case 0x30...0x39: digit = Int(b - 0x30)
            case 0x41...0x46: digit = Int(b - 0x41 + 10)
            case 0x61...0x66: digit = Int(b - 0x61 + 10)
            default: throw AWSError.invalidChunkSize("The chunk size is not a hexadecimal number.")
            }
            size = size << 4 | digit
            guard size <= Self.maximumChunkSize else { throw AWSError.invalidChunkSize("The chunk size is too large.") }
        }

        if context != nil {
            let prefix = Array(";chunk-signature=".utf8)
            let rest = header[semicolon...]
            guard rest.starts(with: prefix) else { throw AWSError.s3SignatureDoesNotMatch }
            let signature = String(decoding: rest.dropFirst(prefix.count), as: UTF8.self)
            guard SigV4Crypto.isHexSHA256(signature) else { throw AWSError.s3SignatureDoesNotMatch }
            expectedSignature = signature.lowercased()
            if size > 0, previousChunkWasShort { throw AWSError.invalidChunkSize() }
            previousChunkWasShort = size < Self.minimumChunkSize
        }
        chunkSize = size
        hasher = SHA256()
        if size == 0 {
            try endOfChunkData()
            state = hasTrailer ? .trailers : .closing
        } else {
            state = .data(remaining: size)
        }
    }

    private mutating func endOfChunkData() throws(AWSError) {
        guard let context else { return }
        let digest = SigV4Crypto.hex(hasher.finalize())
        let computed = context.chunkSignature(previous: previousSignature, dataSHA256: digest)
        guard SigV4Crypto.constantTimeEqual(computed, expectedSignature) else { throw AWSError.s3SignatureDoesNotMatch }
        previousSignature = computed
    }

    private mutating func trailerLine(_ raw: [UInt8]) throws(AWSError) {
        var bytes = raw[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        // Blank lines end the trailer section; some SDKs put one between the checksum and the signature.
        if bytes.isEmpty { return }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon != bytes.startIndex, trailers.count < 16 else {
            throw AWSError.malformedTrailer
        }
        let name = String(decoding: bytes[bytes.startIndex..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: bytes[bytes.index(after: colon)...], as: UTF8.self).trimmingHTTPWhitespace()
        guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw AWSError.malformedTrailer }
        if name == "x-amz-trailer-signature" {
            guard trailerSignature == nil else { throw AWSError.malformedTrailer }
            trailerSignature = value
        } else {
            guard trailerSignature == nil else { throw AWSError.malformedTrailer }
            trailers.append((name, value))
        }
    }

    private mutating func finishTrailers() throws(AWSError) {
        guard case .signedWithTrailer(let context) = mode else {
            if trailerSignature != nil { throw AWSError.malformedTrailer }
            return
        }
        guard let trailerSignature, SigV4Crypto.isHexSHA256(trailerSignature) else { throw AWSError.malformedTrailer }
        let canonical = trailers.map { "\($0.name):\($0.value)\n" }.joined()
        let computed = context.trailerSignature(previous: previousSignature, canonicalTrailers: canonical)
        guard SigV4Crypto.constantTimeEqual(computed, trailerSignature.lowercased()) else { throw AWSError.s3SignatureDoesNotMatch }
    }
}
