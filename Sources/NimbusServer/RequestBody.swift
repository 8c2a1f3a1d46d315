//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusAuth
import NimbusCore
import NimbusWire

// The body of a streaming operation (S3 PutObject, UploadPart) on its way from the socket to the handler:
// de-chunked when it was sent `aws-chunked`, and checked against what it was signed with as it is read.

/// How a streamed body must be decoded and checked, decided once its signature has been verified.
enum BodyCheck: Sendable {
    /// Bytes as they came.
    case plain
    /// The signature covers this SHA-256 of the body.
    case sha256(hex: String)
    /// `aws-chunked`, with or without chunk signatures and trailers.
    case chunked(AWSChunkedDecoder)

    init(payload: PayloadMode?, headers: WireRequest) {
        let declared = headers.header("x-amz-content-sha256")
        let decodedLength = headers.header("x-amz-decoded-content-length").flatMap { Int($0) }
        switch payload {
        case .signed(let hex)?:
            self = .sha256(hex: hex)
        case .some(let mode):
            if let decoder = AWSChunkedDecoder(payload: mode, decodedContentLength: decodedLength) {
                self = .chunked(decoder)
            } else {
                self = .plain
            }
        case nil:
            // Anonymous or compat mode: nothing was verified, but a chunked body still has to be de-chunked.
            if let declared, declared.hasPrefix("STREAMING-") {
                self = .chunked(AWSChunkedDecoder(mode: .unsignedWithTrailer, decodedContentLength: decodedLength))
            } else {
                self = .plain
            }
        }
    }
}

/// The decoded, verified body. Errors (bad chunk signature, body hash mismatch) surface from `next()`;
/// trailers are published to `trailers` when the body ends.
struct VerifiedBody: AsyncSequence, Sendable {
    typealias Element = [UInt8]

    let raw: ByteStream
    let check: BodyCheck
    let trailers: StreamTrailers

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(raw: raw.makeAsyncIterator(), check: check, trailers: trailers)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var raw: ByteStream.AsyncIterator
        var check: BodyCheck
        let trailers: StreamTrailers
        var hasher: PayloadHashVerifier?
        var decoder: AWSChunkedDecoder?
        var pending: [[UInt8]] = []
        var finished = false

        init(raw: ByteStream.AsyncIterator, check: BodyCheck, trailers: StreamTrailers) {
            self.raw = raw
            self.check = check
            self.trailers = trailers
            switch check {
            case .plain: break
            case .sha256(let hex): hasher = PayloadHashVerifier(expectedSHA256Hex: hex)
            case .chunked(let decoder): self.decoder = decoder
            }
        }

        mutating func next() async throws -> [UInt8]? {
            while true {
                if !pending.isEmpty { return pending.removeFirst() }
                if finished { return nil }
                guard let bytes = try await raw.next() else {
                    finished = true
                    if decoder != nil {
                        let found = try decoder!.finish()
                        trailers.set(found.fields)
                    }
                    try hasher?.finish()
                    return nil
                }
                if decoder != nil {
                    pending = try decoder!.feed(bytes).filter { !$0.isEmpty }
                } else {
                    hasher?.update(bytes)
                    if !bytes.isEmpty { return bytes }
                }
            }
        }
    }
}

extension RequestPipeline {
    /// The handler's view of a streaming request's body.
    func streamingBody(_ request: WireRequest, payload: PayloadMode?) -> ByteStream {
        let raw = request.bodyStream ?? ByteStream(bytes: request.body)
        let check = BodyCheck(payload: payload, headers: request)
        let length: Int64?
        if case .chunked = check {
            length = request.header("x-amz-decoded-content-length").flatMap { Int64($0) }
        } else {
            length = request.header("content-length").flatMap { Int64($0) } ?? raw.length
        }
        let trailers = StreamTrailers()
        return ByteStream(VerifiedBody(raw: raw, check: check, trailers: trailers), length: length, trailers: trailers)
    }

    /// Which service `request` is for and, where its head alone tells (not for `query` requests, whose action is
    /// in the body), which operation, routing `request` in place (the REST target is kept in it). The transport
    /// asks before it reads the body, to know whether the handler reads the body as a stream, and hands the
    /// answer to ``respond(to:connection:routing:)``, which then neither identifies nor routes the request
    /// again, unless its body is a form (``WireRequest/hasFormBody``). Nil for a request no service claims.
    func routing(for request: inout WireRequest) -> RequestRouting? {
        let scope = SigV4Verifier.scope(of: SignableRequest(method: request.method, path: request.path, query: request.query, headers: request.headers))
        guard let model = catalog.identify(request, signingService: scope?.service), let service = services[model.name] else { return nil }
        var routing = RequestRouting(scope: scope, service: service, operation: nil, streamsBody: false)
        switch service.codec.model.protocol {
        case .query, .ec2:
            // The action and its parameters may be in the body: routed by `respond`, once the body is read.
            break
        default:
            // A failure to route is answered by `respond`, which routes again and meets it.
            routing.operation = try? service.codec.route(&request)
        }
        switch request.method {
        case "GET", "HEAD", "DELETE", "OPTIONS":
            break  // bodiless: never streamed
        default:
            if let streams = service.definition.streamsPreflightBody, streams(request) {
                routing.streamsBody = true
            } else {
                routing.streamsBody = routing.operation?.streamingInputMember != nil
            }
        }
        return routing
    }
}

/// What the transport learned of a request from its head, for ``RequestPipeline/respond(to:connection:routing:)``.
struct RequestRouting {
    var scope: SigningScope?
    var service: RegisteredService
    /// Nil where the head does not tell (`query` requests) or the request names no operation of the service.
    var operation: NimbusWire.Operation?
    /// Whether the handler (or the service's preflight) reads the body from the socket as it arrives.
    var streamsBody: Bool
}

extension WireRequest {
    /// Whether the body is an HTML form (`application/x-www-form-urlencoded`), whose parameters can name the
    /// service and the operation: what the head told is not the last word for such a request.
    var hasFormBody: Bool {
        header("Content-Type").map { $0.hasPrefixASCIICaseInsensitive("application/x-www-form-urlencoded") } ?? false
    }
}
