//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The HTTPS listener's child channel: TLS in front of `base`, with the TLS context made at the first
/// connection instead of at start.
///
/// Making the server certificate (a key, a signature) and BoringSSL's context was most of what HTTPS added to
/// an idle server: 0.7 of its 0.9 MiB resident, measured 2026-11-25, for a port many users never connect to.
/// The first connection waits for it instead (a few milliseconds, once). Otherwise as HummingbirdTLS's
/// `TLSChannel`, whose context is made when the server is built.
struct LazyTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    typealias Value = BaseChannel.Value

    let base: BaseChannel
    let context: LazyTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context.get()))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// A TLS context made once, by the first caller; a failure is not kept, so the next connection tries again.
final class LazyTLSContext: Sendable {
    private let make: @Sendable () throws -> NIOSSLContext
    private let made = Mutex<NIOSSLContext?>(nil)

    init(_ make: @escaping @Sendable () throws -> NIOSSLContext) {
        self.make = make
    }

    func get() throws -> NIOSSLContext {
        try made.withLock { made in
            if let made { return made }
            let context = try make()
            made = context
            return context
        }
    }
}
