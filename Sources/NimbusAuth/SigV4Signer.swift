//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// Signs requests the way AWS SDKs do, with the same canonicalization the verifier uses: for benchmarks,
/// tests and anything in Nimbus that calls a service as a client.
///
/// ```swift
/// let signer = SigV4Signer(accessKeyID: id, secretAccessKey: secret, region: "us-east-1", service: "sts")
/// let signed = signer.signed(request, at: Date())
/// ```
public struct SigV4Signer: Sendable, CustomStringConvertible {
    /// What to put in the canonical request for the body.
    public enum Payload: Sendable {
        /// The request's `bodySHA256`, or the hash of an empty body when it is nil.
        case body
        case sha256(String)
        /// `UNSIGNED-PAYLOAD`.
        case unsigned
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`; use `signedStreaming` to get the chunk context.
        case streaming
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
        case streamingWithTrailer
        /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
        case streamingUnsignedTrailer
    }

    public let accessKeyID: String
    private let secretAccessKey: String
    public let sessionToken: String?
    public let region: String
    public let service: String
    public let flavor: SigningFlavor
    /// Derived keys by day (four HMACs saved per request; `nimbus bench` signs thousands a second).
    private let keys = SigningKeyCache(capacity: 8)

    /// Headers that proxies add or change, which SDKs leave unsigned.
    private static let unsignedHeaders: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id", "transfer-encoding"]

    public init(
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        region: String,
        service: String,
        flavor: SigningFlavor = .standard
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
        self.flavor = flavor
    }

    public var description: String { "SigV4Signer(\(accessKeyID), \(region), \(service))" }

    /// `request` with `X-Amz-Date`, the session token, `x-amz-content-sha256` (S3, or any non-`.body` payload)
    /// and an `Authorization` header signing every header it has.
    public func signed(_ request: SignableRequest, at date: Date, payload: Payload = .body) -> SignableRequest {
        signedWithSignature(request, at: date, payload: payload).request
    }

    /// `request` signed for an `aws-chunked` body, and the context to encode the chunks with.
    public func signedStreaming(
        _ request: SignableRequest,
        at date: Date,
        withTrailer: Bool = false
    ) -> (request: SignableRequest, context: ChunkSigningContext) {
        let (signed, signature) = signedWithSignature(request, at: date, payload: withTrailer ? .streamingWithTrailer : .streaming)
        let timestamp = AmzDate.formatBasic(date)
        let context = ChunkSigningContext(
            secretAccessKey: secretAccessKey,
            scope: scope(timestamp),
            timestamp: timestamp,
            seedSignature: signature
        )
        return (signed, context)
    }

    /// `request` with the presigned-URL parameters added to its query, valid for `expires` seconds.
    public func presigned(_ request: SignableRequest, at date: Date, expires: Int, payload: Payload? = nil) -> SignableRequest {
        let timestamp = AmzDate.formatBasic(date)
        let scope = scope(timestamp)
        let names = signedHeaderNames(request.headers)
        var parameters: [(String, String)] = [
            ("X-Amz-Algorithm", SigV4Crypto.algorithm),
            ("X-Amz-Credential", "\(accessKeyID)/\(scope.credentialScope)"),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", names.joined(separator: ";")),
        ]
        if let sessionToken { parameters.append(("X-Amz-Security-Token", sessionToken)) }
        let payloadHash: String
        if let payload {
            payloadHash = hash(of: payload, request)
            parameters.append(("X-Amz-Content-Sha256", payloadHash))
        } else {
            payloadHash = flavor == .s3 ? "UNSIGNED-PAYLOAD" : (request.bodySHA256 ?? SigV4Crypto.emptySHA256)
        }
        var result = request
        let added = parameters.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
        result.query = request.query.isEmpty ? added : request.query + "&" + added
        let signature = sign(result, signedHeaders: names, payloadHash: payloadHash, timestamp: timestamp, scope: scope)
        result.query += "&X-Amz-Signature=" + signature
        return result
    }

    private func scope(_ timestamp: String) -> SigningScope {
        SigningScope(accessKeyID: accessKeyID, date: String(timestamp.prefix(8)), region: region, service: service)
    }

    private func hash(of payload: Payload, _ request: SignableRequest) -> String {
        switch payload {
        case .body: request.bodySHA256 ?? SigV4Crypto.emptySHA256
        case .sha256(let hex): hex
        case .unsigned: "UNSIGNED-PAYLOAD"
        case .streaming: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        case .streamingWithTrailer: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        case .streamingUnsignedTrailer: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        }
    }

    private func signedHeaderNames(_ headers: [(name: String, value: String)]) -> [String] {
        Set(headers.map { $0.name.lowercased() }).subtracting(Self.unsignedHeaders).sorted()
    }

    private func signedWithSignature(_ request: SignableRequest, at date: Date, payload: Payload) -> (request: SignableRequest, signature: String) {
        let timestamp = AmzDate.formatBasic(date)
        let scope = scope(timestamp)
        let payloadHash = hash(of: payload, request)
        var result = request
        result.headers.append(("X-Amz-Date", timestamp))
        if let sessionToken { result.headers.append(("X-Amz-Security-Token", sessionToken)) }
        if flavor == .s3 || !(payload.isBody) { result.headers.append(("x-amz-content-sha256", payloadHash)) }
        let names = signedHeaderNames(result.headers)
        let signature = sign(result, signedHeaders: names, payloadHash: payloadHash, timestamp: timestamp, scope: scope)
        result.headers.append(
            (
                "Authorization",
                "\(SigV4Crypto.algorithm) Credential=\(accessKeyID)/\(scope.credentialScope), SignedHeaders=\(names.joined(separator: ";")), "
                    + "Signature=\(signature)"
            )
        )
        return (result, signature)
    }

    private func sign(_ request: SignableRequest, signedHeaders: [String], payloadHash: String, timestamp: String, scope: SigningScope) -> String {
        let canonical = CanonicalRequest.bytes(
            method: request.method,
            path: request.path,
            flavor: flavor,
            query: QueryItem.parse(request.query),
            headers: HeaderIndex(request.headers),
            signedHeaders: signedHeaders,
            payloadHash: payloadHash
        )
        let stringToSign = CanonicalRequest.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical)
        return keys.derivedKey(secret: secretAccessKey, date: scope.date, region: scope.region, service: scope.service).signature(stringToSign)
    }
}

extension SigV4Signer.Payload {
    fileprivate var isBody: Bool {
        if case .body = self { return true }
        return false
    }
}

/// Encodes a body as `aws-chunked`, signing each chunk when given a context (the client side of `AWSChunkedDecoder`).
public struct AWSChunkedEncoder: Sendable {
    private let context: ChunkSigningContext?
    private var previousSignature: String

    /// - Parameter context: from `SigV4Signer.signedStreaming`; nil for `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    public init(context: ChunkSigningContext?) {
        self.context = context
        self.previousSignature = context?.seedSignature ?? ""
    }

    /// One chunk with its header and CRLF. Every chunk but the last must be at least 8 KiB when signed.
    public mutating func encode(chunk data: some Collection<UInt8>) -> [UInt8] {
        var out = header(size: data.count, dataSHA256: SigV4Crypto.sha256Hex(bytes: data))
        out.append(contentsOf: data)
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    /// The final zero-length chunk, the trailers (signed when there is a context) and the closing CRLF.
    public mutating func finish(trailers: [(name: String, value: String)] = []) -> [UInt8] {
        var out = header(size: 0, dataSHA256: SigV4Crypto.emptySHA256)
        if trailers.isEmpty {
            out.append(contentsOf: [0x0D, 0x0A])
            return out
        }
        let canonical = trailers.map { "\($0.name.lowercased()):\($0.value)\n" }.joined()
        out.append(contentsOf: canonical.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        if let context {
            let signature = context.trailerSignature(previous: previousSignature, canonicalTrailers: canonical)
            out.append(contentsOf: "x-amz-trailer-signature:\(signature)\r\n".utf8)
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    private mutating func header(size: Int, dataSHA256: String) -> [UInt8] {
        let hexSize = String(size, radix: 16)
        guard let context else { return Array("\(hexSize)\r\n".utf8) }
        let signature = context.chunkSignature(previous: previousSignature, dataSHA256: dataSHA256)
        previousSignature = signature
        return Array("\(hexSize);chunk-signature=\(signature)\r\n".utf8)
    }
}
