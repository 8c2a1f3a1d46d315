//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NimbusAuth
import NIOPosix
import Synchronization
import Testing

@testable import NimbusBench

/// The load tool's own HTTP client against a small server whose answers each path chooses.
@Suite struct LeanHTTPClientTests {
    @Test func answersComeBackWithTheirBodyAndTheConnectionIsReused() async throws {
        try await withFixtureServer { server in
            let client = LeanHTTPClient(host: "127.0.0.1", port: server.port)
            for _ in 0..<5 {
                let kept = try await client.execute(head("GET", "/ok"), body: nil, keepBody: true)
                #expect(kept.status == 200)
                #expect(String(buffer: kept.body) == "hello")
                let counted = try await client.execute(head("PUT", "/echo-length", length: 4096), body: ByteBuffer(repeating: 7, count: 4096), keepBody: false)
                #expect(counted.status == 200)
                #expect(counted.bodyBytes == 4)
                #expect(counted.body.readableBytes == 0)
            }
            #expect(server.connections == 1)
            #expect(server.lastBody == 4096)
            await client.shutdown()
        }
    }

    @Test func errorBodiesAreKeptForTheirCode() async throws {
        try await withFixtureServer { server in
            let exchange = try Exchange(
                target: Endpoint("http://127.0.0.1:\(server.port)"),
                signing: .init(credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "us-east-1", service: "s3", flavor: .s3),
                client: .shared,
                lean: LeanHTTPClient(host: "127.0.0.1", port: server.port)
            )
            let outcome = await exchange.perform(BenchRequest(method: "GET", path: "/missing"))
            guard case .failure(let failure) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                return
            }
            #expect(failure.code == "NoSuchKey")
            #expect(failure.status == 404)
            #expect(failure.message == "The specified key does not exist.")
        }
    }

    @Test func aConnectionTheServerClosesIsReplaced() async throws {
        try await withFixtureServer { server in
            let client = LeanHTTPClient(host: "127.0.0.1", port: server.port)
            for _ in 0..<3 {
                let response = try await client.execute(head("GET", "/close"), body: nil, keepBody: true)
                #expect(response.status == 200)
            }
            #expect(server.connections == 3)
            await client.shutdown()
        }
    }

    @Test func aServerThatHangsUpOrNeverAnswersIsATransportError() async throws {
        try await withFixtureServer { server in
            let client = LeanHTTPClient(host: "127.0.0.1", port: server.port, timeout: .milliseconds(200))
            await #expect(throws: LeanHTTPError.closed) { try await client.execute(head("GET", "/hang-up"), body: nil, keepBody: false) }
            await #expect(throws: LeanHTTPError.timedOut) { try await client.execute(head("GET", "/never"), body: nil, keepBody: false) }
            // Neither broken connection is handed out again.
            let response = try await client.execute(head("GET", "/ok"), body: nil, keepBody: true)
            #expect(response.status == 200)
            await client.shutdown()
        }
    }

    @Test func nothingListeningIsATransportError() async throws {
        let port = try await withFixtureServer { $0.port }
        let client = LeanHTTPClient(host: "127.0.0.1", port: port)
        await #expect(throws: (any Error).self) { try await client.execute(head("GET", "/ok"), body: nil, keepBody: false) }
    }
}

private func head(_ method: String, _ uri: String, length: Int? = nil) -> HTTPRequestHead {
    var headers: HTTPHeaders = ["Host": "127.0.0.1"]
    if let length { headers.add(name: "Content-Length", value: String(length)) }
    return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: uri, headers: headers)
}

/// What the fixture saw.
final class FixtureServer: Sendable {
    let port: Int
    private let state = Mutex((connections: 0, lastBody: 0))

    init(port: Int) { self.port = port }

    var connections: Int { state.withLock { $0.connections } }
    var lastBody: Int { state.withLock { $0.lastBody } }
    func connected() { state.withLock { $0.connections += 1 } }
    func received(_ bytes: Int) { state.withLock { $0.lastBody = bytes } }
}

private func withFixtureServer<T>(_ body: (FixtureServer) async throws -> T) async throws -> T {
    let holder = Mutex<FixtureServer?>(nil)
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let server = holder.withLock { $0! }
                server.connected()
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(FixtureHandler(server: server))
            }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let server = FixtureServer(port: channel.localAddress!.port!)
    holder.withLock { $0 = server }
    do {
        let result = try await body(server)
        try await channel.close()
        return result
    } catch {
        try? await channel.close()
        throw error
    }
}

private final class FixtureHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: FixtureServer
    private var uri = ""
    private var bodyBytes = 0

    init(server: FixtureServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
            bodyBytes = 0
        case .body(let chunk):
            bodyBytes += chunk.readableBytes
        case .end:
            server.received(bodyBytes)
            switch uri {
            case "/ok": respond(context, .ok, "hello")
            case "/echo-length": respond(context, .ok, String(bodyBytes))
            case "/missing":
                respond(context, .notFound, "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>")
            case "/close": respond(context, .ok, "bye", close: true)
            case "/hang-up": context.close(promise: nil)
            default: break  // "/never"
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ text: String, close: Bool = false) {
        var headers: HTTPHeaders = ["Content-Length": String(text.utf8.count)]
        if close { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if close { context.close(promise: nil) }
        }
    }
}
