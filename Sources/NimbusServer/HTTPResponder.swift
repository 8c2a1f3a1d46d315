//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NimbusCore
import NimbusWire
import NimbusAuth

/// Hummingbird's per-request context, carrying what the channel knows: the peer's address and its event loop.
struct NimbusRequestContext: Hummingbird.RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: String
    let eventLoop: any EventLoop
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "127.0.0.1"
        self.eventLoop = source.channel.eventLoop
        self.channel = source.channel
    }

    /// Asks for the request's body: `100 Continue` to a client that waits for it (``ExpectContinueHandler``).
    /// Only for a request that carries `Expect`: the event is a hop to the channel's event loop.
    func sendContinue() {
        channel.triggerUserOutboundEvent(ExpectContinueHandler.SendContinue(), promise: nil)
    }

    /// Bodies are bounded by the pipeline itself (`maxBufferedBody`), not by Hummingbird's default.
    var maxUploadSize: Int { .max }
}

/// Turns Hummingbird requests into pipeline calls, and serves the `/_nimbus/*` and `/metrics` endpoints.
struct NimbusResponder: HTTPResponder {
    typealias Context = NimbusRequestContext

    let pipeline: RequestPipeline
    let admin: AdminEndpoints
    let isSecure: Bool
    let maxBufferedBody: Int

    func respond(to request: Request, context: Context) async throws -> Response {
        let target = request.head.path ?? "/"
        let (path, query) = Self.split(target)
        let expectsContinue = request.headers[.expect] != nil
        if path.hasPrefix("/_nimbus/") || path == "/metrics" || path == "/moto-api/reset" {
            if expectsContinue { context.sendContinue() }
            if let response = await admin.respond(to: request, path: path, context: context) { return response }
        }
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 1)
        for field in request.headers {
            headers.append((field.name.canonicalName, field.value))
        }
        // HTTPTypes moves an HTTP/1 Host header into `authority`; SigV4 signs it as `host`.
        let host = request.head.authority
        if let host { headers.append(("host", host)) }
        let connection = Connection(remoteAddress: context.remoteAddress, isSecure: isSecure)

        var request = request
        var head = WireRequest(method: request.method.rawValue, path: path, query: query, headers: headers, host: host)
        let routing = pipeline.routing(for: &head)
        if routing?.streamsBody == true {
            // S3 PutObject/UploadPart: the handler reads the body from the socket as it arrives.
            var wire = head
            // The first read asks for the body (`100 Continue`): a request refused before it is never sent one.
            let body = expectsContinue ? SocketBody(request.body, onFirstRead: context.sendContinue) : SocketBody(request.body)
            wire.bodyStream = ByteStream(body, length: request.headers[.contentLength].flatMap { Int64($0) })
            let answer = await pipeline.respond(to: wire, connection: connection, routing: routing)
            // A request refused before its body was read still has that body on the connection; read it
            // away so that the next request on a kept-alive connection starts where it should. Unless the
            // client holds the body back for a 100 it never got: then the connection closes after the answer.
            if body.started || !expectsContinue { await body.drain() }
            return Self.response(answer, eventLoop: context.eventLoop)
        }
        if expectsContinue { context.sendContinue() }
        do {
            let buffer = try await request.collectBody(upTo: maxBufferedBody)
            head.body = Array(buffer.readableBytesView)
        } catch {
            // Too large, or the client went away mid-body: answer in the shape of whatever service it was for.
            return Self.response(pipeline.tooLarge(head, limit: maxBufferedBody, error: error), eventLoop: context.eventLoop)
        }
        return Self.response(await pipeline.respond(to: head, connection: connection, routing: routing), eventLoop: context.eventLoop)
    }

    static func split(_ target: String) -> (path: String, query: String) {
        guard let q = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    /// `wire` as Hummingbird's response; a streamed body is written no faster than `eventLoop`, its channel's,
    /// takes it.
    static func response(_ wire: WireResponse, eventLoop: any EventLoop) -> Response {
        var fields = HTTPFields()
        for (name, value) in wire.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        if let stream = wire.stream {
            return Response(
                status: HTTPResponse.Status(code: wire.status),
                headers: fields,
                body: ResponseBody { writer in
                    for try await chunk in stream {
                        try await writer.write(ByteBuffer(bytes: chunk))
                        // A write from off the event loop is queued for it and returns at once: the writer learns
                        // that the socket is full only once the loop has run the writes. Without this round trip a
                        // reader that decrypts faster than the loop writes queued megabytes of segments on it (a
                        // 1 GiB GET's anonymous memory rose by 30 MiB); after it, at most a segment or two.
                        try await eventLoop.submit {}.get()
                    }
                    try await writer.finish(nil)
                }
            )
        }
        return Response(
            status: HTTPResponse.Status(code: wire.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: wire.body))
        )
    }
}

/// A request body read from the socket by one consumer at a time: first the handler, then `drain()`.
///
/// `@unchecked Sendable`: the iterator is only touched by the handler while the request is handled, and
/// by `drain()` after the handler has returned; never concurrently.
final class SocketBody: AsyncSequence, @unchecked Sendable {
    typealias Element = [UInt8]
    private var iterator: RequestBody.AsyncIterator
    private var finished = false
    private let onFirstRead: @Sendable () -> Void
    /// Whether anything asked for the body yet.
    private(set) var started = false

    init(_ body: RequestBody, onFirstRead: @escaping @Sendable () -> Void = {}) {
        iterator = body.makeAsyncIterator()
        self.onFirstRead = onFirstRead
    }

    fileprivate func next() async throws -> [UInt8]? {
        if !started {
            started = true
            onFirstRead()
        }
        guard !finished else { return nil }
        guard let buffer = try await iterator.next() else {
            finished = true
            return nil
        }
        return Array(buffer.readableBytesView)
    }

    func drain() async {
        do {
            while try await next() != nil {}
        } catch {
            finished = true
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: SocketBody
        mutating func next() async throws -> [UInt8]? { try await body.next() }
    }
}

extension RequestPipeline {
    /// The error for a body over the buffering limit, shaped for the service the request was meant for.
    func tooLarge(_ request: WireRequest, limit: Int, error: any Error) -> WireResponse {
        let requestID = Identifiers.requestID()
        let awsError = AWSError(
            code: "RequestEntityTooLarge",
            message: "Request body must be at most \(limit) bytes.",
            status: 413
        )
        let scope = NimbusAuth.SigV4Verifier.scope(of: .init(method: request.method, path: request.path, query: request.query, headers: request.headers, bodySHA256: nil))
        guard let model = catalog.identify(request, signingService: scope?.service), let service = services[model.name] else {
            return Self.unknownServiceResponse(requestID: requestID)
        }
        return service.codec.encodeError(awsError, requestID: requestID)
    }
}
