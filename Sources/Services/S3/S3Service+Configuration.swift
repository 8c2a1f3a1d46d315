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
// Public Access, and server access logging. Registered into `definition()` from here; each feature lives in
// its own file (`S3Service+CORS.swift`, `+Lifecycle.swift`, `+AccessLog.swift`).

extension S3Service {
    /// Handlers and authorization entries for the bucket configuration operations.
    func configurationHandlers() -> (handlers: [String: OperationHandler], authorization: [String: OperationAuthorization]) {
        var handlers: [String: OperationHandler] = [:]
        var authorization: [String: OperationAuthorization] = [:]
        func on(_ name: String, _ action: String, _ body: @escaping @Sendable (ShapeValue, RequestContext) async throws -> ShapeValue) {
            handlers[name] = OperationHandler(raw: { OperationOutput(try await body($0, $1)) })
            authorization[name] = OperationAuthorization(action: "s3:" + action, resource: Self.bucketARN)
        }
        on("PutBucketCors", "PutBucketCORS", putBucketCors)
        on("GetBucketCors", "GetBucketCORS", getBucketCors)
        on("DeleteBucketCors", "PutBucketCORS", deleteBucketCors)
        on("PutBucketLifecycleConfiguration", "PutLifecycleConfiguration", putBucketLifecycleConfiguration)
        on("GetBucketLifecycleConfiguration", "GetLifecycleConfiguration", getBucketLifecycleConfiguration)
        on("DeleteBucketLifecycle", "PutLifecycleConfiguration", deleteBucketLifecycle)
        on("PutBucketLogging", "PutBucketLogging", putBucketLogging)
        on("GetBucketLogging", "GetBucketLogging", getBucketLogging)
        on("PutBucketWebsite", "PutBucketWebsite", putBucketWebsite)
        on("GetBucketWebsite", "GetBucketWebsite", getBucketWebsite)
        on("DeleteBucketWebsite", "DeleteBucketWebsite", deleteBucketWebsite)
        bucketSettingsHandlers(on)
        return (handlers, authorization)
    }

    /// CORS preflight (`OPTIONS`), answered from the bucket's CORS configuration.
    func corsPreflight(_ request: WireRequest, _ context: RequestContext) async -> WireResponse? {
        await answerPreflight(request, context)
    }

    /// CORS headers on answers to requests with an `Origin` the bucket's configuration allows, and Requester
    /// Pays' `x-amz-request-charged` on those a requester was charged for.
    func decorate(_ request: WireRequest, _ context: RequestContext, _ response: inout WireResponse) async {
        await addCORSHeaders(request, &response)
        await addRequestCharged(request, context, &response)
    }

    /// Server access logging: records each request on a bucket whose logging is enabled. Runs before the
    /// next request on the connection is read: it only buffers; `runLifecycle` (or a delivery traffic
    /// triggers) writes the log objects.
    func accessLog(_ completed: CompletedRequest) async {
        await recordAccess(completed)
    }

    /// Lifecycle rules and log delivery that fall due by the clock; the server calls it every minute.
    public func runLifecycle(now: Date) async throws {
        var failure: (any Error)?
        do {
            try await applyLifecycleRules(now: now)
        } catch {
            failure = error
        }
        try await deliverAccessLogs()
        if let failure { throw failure }
    }
}
