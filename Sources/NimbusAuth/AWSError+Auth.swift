//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

// The same failure has different codes and messages in S3 and in the other services; these pick the
// right one for the flavor. Messages never contain a secret.

extension AWSError {
    // MARK: S3's authentication errors

    public static let s3SignatureDoesNotMatch = AWSError(
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        status: 403
    )
    public static let s3InvalidAccessKeyId = AWSError(
        code: "InvalidAccessKeyId",
        message: "The AWS Access Key Id you provided does not exist in our records.",
        status: 403
    )
    public static let s3InvalidToken = AWSError(code: "InvalidToken", message: "The provided token is malformed or otherwise invalid.", status: 400)
    public static let s3ExpiredToken = AWSError(code: "ExpiredToken", message: "The provided token has expired.", status: 400)
    public static let xAmzContentSHA256Mismatch = AWSError(
        code: "XAmzContentSHA256Mismatch",
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
        status: 400
    )
    public static let incompleteBody = AWSError(code: "IncompleteBody", message: "The request body terminated unexpectedly", status: 400)
    public static func invalidChunkSize(_ message: String = "Only the last chunk is allowed to have a size less than 8192 bytes") -> AWSError {
        AWSError(code: "InvalidChunkSizeError", message: message, status: 400)
    }
    public static let malformedTrailer = AWSError(
        code: "MalformedTrailerError",
        message: "The request contained trailing data that was not well-formed or did not conform to our published schema.",
        status: 400
    )
}

extension AWSError {
    static func signatureMismatch(_ flavor: SigningFlavor) -> AWSError {
        flavor == .s3 ? .s3SignatureDoesNotMatch : .signatureDoesNotMatch
    }

    static func unknownAccessKey(_ flavor: SigningFlavor) -> AWSError {
        flavor == .s3 ? .s3InvalidAccessKeyId : .invalidClientTokenId
    }

    static func invalidSecurityToken(_ flavor: SigningFlavor) -> AWSError {
        flavor == .s3 ? .s3InvalidToken : .invalidClientTokenId
    }

    static func expiredSecurityToken(_ flavor: SigningFlavor) -> AWSError {
        flavor == .s3 ? .s3ExpiredToken : .expiredToken
    }

    static func authorizationHeaderMalformed(_ detail: String) -> AWSError {
        AWSError(code: "AuthorizationHeaderMalformed", message: "The authorization header is malformed; \(detail)", status: 400)
    }

    static func authorizationQueryParameters(_ message: String) -> AWSError {
        AWSError(code: "AuthorizationQueryParametersError", message: message, status: 400)
    }

    static let s3MissingDate = AWSError.accessDenied("AWS authentication requires a valid Date or x-amz-date header")

    static func s3TimeTooSkewed(requestTime: String, serverTime: String, maxSkewMilliseconds: Int) -> AWSError {
        AWSError(
            code: "RequestTimeTooSkewed",
            message: "The difference between the request time and the current time is too large.",
            status: 403,
            extra: [
                ("RequestTime", requestTime), ("ServerTime", serverTime), ("MaxAllowedSkewMilliseconds", String(maxSkewMilliseconds)),
            ]
        )
    }

    /// `Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z (20130524T002000Z - 15 min.)`.
    static func signatureExpired(signed: String, limit: String, now: String, window: String) -> AWSError {
        AWSError(
            code: "SignatureDoesNotMatch",
            message: "Signature expired: \(signed) is now earlier than \(limit) (\(now) - \(window).)",
            status: 403
        )
    }

    /// `Signature not yet current: 20301010T000000Z is still later than 20200101T001500Z (20200101T000000Z + 15 min.)`.
    static func signatureNotYetCurrent(signed: String, limit: String, now: String, window: String) -> AWSError {
        AWSError(
            code: "SignatureDoesNotMatch",
            message: "Signature not yet current: \(signed) is still later than \(limit) (\(now) + \(window).)",
            status: 403
        )
    }
}
