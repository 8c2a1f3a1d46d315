//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import NimbusCore

/// Which of AWS's two SigV4 dialects a service speaks.
public enum SigningFlavor: Sendable {
    /// Every service but S3: the path is normalized and URI-encoded twice; IAM/STS error codes.
    case standard
    /// S3: the path is taken as is and encoded once; S3's error codes and messages.
    case s3
}

/// An HTTP request as the verifier sees it: nothing decoded, nothing reordered.
public struct SignableRequest: Sendable {
    public var method: String
    /// The raw percent-encoded path as received, without the query.
    public var path: String
    /// The raw query string without `?`, possibly empty.
    public var query: String
    /// The headers as received: any case, in order, possibly repeated.
    public var headers: [(name: String, value: String)]
    /// Lowercase hex SHA-256 of the whole body when the caller has buffered it; nil for a streamed body.
    public var bodySHA256: String?

    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)], bodySHA256: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.bodySHA256 = bodySHA256
    }
}

/// The credential scope of a signature: `AKID/20150830/us-east-1/iam/aws4_request`.
public struct SigningScope: Sendable, Hashable {
    public var accessKeyID: String
    /// `yyyymmdd`.
    public var date: String
    public var region: String
    public var service: String

    public init(accessKeyID: String, date: String, region: String, service: String) {
        self.accessKeyID = accessKeyID
        self.date = date
        self.region = region
        self.service = service
    }

    /// The scope as it appears in the string to sign: `20150830/us-east-1/iam/aws4_request`.
    public var credentialScope: String { "\(date)/\(region)/\(service)/aws4_request" }
}

/// What the body is, according to `x-amz-content-sha256` (or the presigned URL).
public enum PayloadMode: Sendable {
    /// The body must hash to this; when the body was streamed the caller must check it (`PayloadHashVerifier`).
    case signed(sha256Hex: String)
    /// `UNSIGNED-PAYLOAD`.
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: decode with `AWSChunkedDecoder`.
    case streamingSigned(ChunkSigningContext)
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: decode with `AWSChunkedDecoder`.
    case streamingSignedTrailer(ChunkSigningContext)
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: decode with `AWSChunkedDecoder`; only the trailer checksum protects the data.
    case streamingUnsignedTrailer
}

/// A request whose signature verified.
public struct AuthenticatedRequest: Sendable {
    public var credential: SigningCredential
    public var scope: SigningScope
    public var signedAt: Date
    public var isPresigned: Bool
    public var payload: PayloadMode

    public init(credential: SigningCredential, scope: SigningScope, signedAt: Date, isPresigned: Bool, payload: PayloadMode) {
        self.credential = credential
        self.scope = scope
        self.signedAt = signedAt
        self.isPresigned = isPresigned
        self.payload = payload
    }

    public var principal: Principal { credential.principal }
}

/// The outcome of authentication: no credentials at all, or a verified signature.
public enum Authentication: Sendable {
    /// The request carried no signature; the authorizer decides whether anonymous access is allowed.
    case anonymous
    case authenticated(AuthenticatedRequest)
}
