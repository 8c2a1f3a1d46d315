//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// HTTP/1.1 over plain TCP with keep-alive and nothing else: the load tool's client for small requests.
///
/// `nimbus bench` shares the machine with the server it measures. Through AsyncHTTPClient a 4 KiB request
/// cost the client about 175 µs of CPU, as much as some of the server's answers, so the client, not the
/// server, set the pace. This one is NIO's HTTP codec and one handler: a request is written with its
/// promise, and the answer fulfils it. One request is in flight per connection; idle connections wait in
/// a list, and a connection the server wants closed is closed.
final class LeanHTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        /// Kept when asked, or when the status is an error (for its code); at most `keptBodyLimit` bytes.
        var body: ByteBuffer
        var bodyBytes: Int
        var keepAlive: Bool
    }

    /// What an error body or a kept body is cut to.
    static let keptBodyLimit = 1 << 20

    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let idle = Mutex<[any Channel]>([])
    private let timeout: TimeAmount

    init(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount = .seconds(60)) {
        self.host = host
        self.port = port
        self.group = group
        self.timeout = timeout
    }

    func execute(_ head: HTTPRequestHead, body: ByteBuffer?, keepBody: Bool) async throws -> Response {
        let channel = try await checkOut()
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let timeout = channel.eventLoop.scheduleTask(in: self.timeout) {
            promise.fail(LeanHTTPError.timedOut)
            channel.close(promise: nil)
        }
        channel.writeAndFlush(LeanHTTPHandler.Request(head: head, body: body, keepBody: keepBody, promise: promise), promise: nil)
        do {
            let response = try await promise.futureResult.get()
            timeout.cancel()
            if response.keepAlive, channel.isActive {
                idle.withLock { $0.append(channel) }
            } else {
                channel.close(promise: nil)
            }
            return response
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            throw error
        }
    }

    func shutdown() async {
        let channels = idle.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in channels { try? await channel.close() }
    }

    private func checkOut() async throws -> any Channel {
        while let channel = idle.withLock({ $0.popLast() }) {
            if channel.isActive { return channel }
        }
        return try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(LeanHTTPHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
    }
}

enum LeanHTTPError: Error, CustomStringConvertible {
    case timedOut
    case closed

    var description: String {
        switch self {
        case .timedOut: "no answer within the timeout"
        case .closed: "the server closed the connection"
        }
    }
}

/// Writes a request and collects its answer; lives on the channel's event loop.
private final class LeanHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Request
    typealias OutboundOut = HTTPClientRequestPart

    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer?
        var keepBody: Bool
        var promise: EventLoopPromise<LeanHTTPClient.Response>
    }

    private var pending: Request?
    private var response: LeanHTTPClient.Response?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending = request
        response = nil
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx answers (100 Continue) are not the answer.
            guard head.status.code >= 200 else { return }
            response = .init(status: Int(head.status.code), headers: head.headers, body: ByteBuffer(), bodyBytes: 0, keepAlive: head.isKeepAlive)
        case .body(var chunk):
            guard var response, let pending else { return }
            // Taken out while appended to, so that the kept body is not copied on write.
            self.response = nil
            response.bodyBytes += chunk.readableBytes
            if pending.keepBody || response.status >= 300, response.body.readableBytes < LeanHTTPClient.keptBodyLimit {
                response.body.writeBuffer(&chunk)
            }
            self.response = response
        case .end:
            guard let response, let pending else { return }
            self.pending = nil
            self.response = nil
            pending.promise.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(LeanHTTPError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard let pending else { return }
        self.pending = nil
        response = nil
        pending.promise.fail(error)
    }
}
