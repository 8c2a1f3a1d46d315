//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// Everything known about one request that is not its parameters: who, when, from where, to what.
///
/// Built by the server pipeline, read by the authorizer, the handlers and the audit log.
public struct RequestContext: Sendable {
    /// The id returned in `x-amzn-RequestId` / `x-amz-request-id` and recorded as CloudTrail's `requestID`.
    public var requestID: String
    public var receivedAt: Date
    /// The client's IP address as CloudTrail records it.
    public var sourceIP: String
    public var userAgent: String
    /// The region from the signing scope, or the server's default.
    public var region: String
    /// The service's signing name (`sts`, `s3`, `cloudtrail` …).
    public var service: String
    /// The operation name from the API model (`GetCallerIdentity`).
    public var operation: String
    public var principal: Principal
    /// True when the request arrived over TLS (`aws:SecureTransport`).
    public var isSecureTransport: Bool
    /// The request body of an operation whose input streams (S3 `PutObject`, `UploadPart`), already
    /// de-chunked and checked against its signature as it is read; nil for every other operation.
    public var body: ByteStream?

    public init(
        requestID: String,
        receivedAt: Date,
        sourceIP: String,
        userAgent: String,
        region: String,
        service: String,
        operation: String,
        principal: Principal,
        isSecureTransport: Bool
    ) {
        self.requestID = requestID
        self.receivedAt = receivedAt
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.region = region
        self.service = service
        self.operation = operation
        self.principal = principal
        self.isSecureTransport = isSecureTransport
    }
}
