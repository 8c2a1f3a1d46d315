//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// `Expect: 100-continue`, answered as S3 answers it: `100 Continue` once the request is let in and its body is
/// wanted (``SendContinue``, sent when the body is first read), and no interim answer at all when the request is
/// refused first, so that the client does not send a body nobody reads (botocore waits up to a second for the
/// 100 before sending an upload's body; a 403 instead tells it not to).
///
/// A connection whose announced body was neither asked for nor sent cannot carry another request: the answer
/// says `Connection: close`, and the channel closes once it is written.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Asks for the body of the request in flight: writes `100 Continue` if the client is waiting for it.
    struct SendContinue: Sendable {}

    private enum State {
        case idle
        /// The client holds its body back until it hears 100 or a final answer.
        case awaitingContinue
        case continued
        /// Answered without asking for the body: close once the answer is written.
        case closeAfterAnswer
    }

    private var state = State.idle

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data) {
            state = .idle
            if let expect = request.headerFields[.expect], expect.lowercased() == "100-continue",
                request.headerFields[.contentLength].map({ $0 != "0" }) ?? (request.headerFields[.transferEncoding] != nil)
            {
                state = .awaitingContinue
            }
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if state == .awaitingContinue {
            state = .continued
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: promise)
        } else {
            promise?.succeed(())
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where state == .awaitingContinue && response.status.code >= 200:
            state = .closeAfterAnswer
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where state == .closeAfterAnswer:
            state = .idle
            let written = context.eventLoop.makePromise(of: Void.self)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            written.futureResult.cascade(to: promise)
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
