//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
import NimbusCore
import NimbusWire

// Bucket configuration beyond the basics: CORS (with preflight), lifecycle, ACLs and ownership, Block
// Public Access, and server access logging. Registered into `definition()` from here.

extension S3Service {
    /// Handlers and authorization entries for the bucket configuration operations.
    func configurationHandlers() -> (handlers: [String: OperationHandler], authorization: [String: OperationAuthorization]) {
        ([:], [:])
    }

    /// CORS preflight (`OPTIONS`), answered from the bucket's CORS configuration.
    func corsPreflight(_ request: WireRequest, _ context: RequestContext) async -> WireResponse? {
        nil
    }

    /// CORS headers on answers to requests with an `Origin` the bucket's configuration allows.
    func corsHeaders(_ request: WireRequest, _ context: RequestContext, _ response: inout WireResponse) async {}

    /// Server access logging: records each request on a bucket whose logging is enabled. Runs before the
    /// next request on the connection is read: keep it cheap (buffer, deliver in `runLifecycle`/a timer).
    func accessLog(_ completed: CompletedRequest) async {}

    /// Lifecycle rules and log delivery that fall due by the clock; the server calls it every minute.
    public func runLifecycle(now: Date) async throws {}
}
