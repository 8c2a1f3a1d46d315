//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// An error a client sees, in AWS's terms: a code string, an HTTP status and a message.
///
/// The wire layer renders it in the shape of the service's protocol (`<ErrorResponse>` for query,
/// `{"__type": …}` for JSON, `<Error>` for S3). Equality compares the code only, so tests can write
/// `#expect(throws: AWSError.signatureDoesNotMatch)` without repeating the message.
public struct AWSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// AWS's error code, e.g. `SignatureDoesNotMatch`, `NoSuchBucket`, `ValidationException`.
    public var code: String
    public var message: String
    /// The HTTP status code of the response.
    public var status: Int
    /// `Sender` (client fault) or `Receiver` (server fault), as the query protocol's `<Type>` says.
    public var isSenderFault: Bool
    /// Extra members some errors carry (S3's `<Key>`, `<BucketName>`, `<StringToSign>` …), rendered as-is.
    public var extra: [(String, String)]
    /// Response headers some errors carry (S3's `x-amz-delete-marker` on a GET of a deleted key).
    public var headers: [(name: String, value: String)] = []

    public init(code: String, message: String, status: Int = 400, isSenderFault: Bool? = nil, extra: [(String, String)] = []) {
        self.code = code
        self.message = message
        self.status = status
        self.isSenderFault = isSenderFault ?? (status < 500)
        self.extra = extra
    }

    public static func == (lhs: AWSError, rhs: AWSError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code): \(message)" }

    /// Matches an error by code in a `catch` or `switch`: `case AWSError.accessDenied`.
    public static func ~= (pattern: AWSError, value: any Error) -> Bool {
        (value as? AWSError)?.code == pattern.code
    }
}

extension AWSError {
    // MARK: Authentication (every service but S3)

    public static let signatureDoesNotMatch = AWSError(
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. "
            + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        status: 403
    )
    public static let invalidClientTokenId = AWSError(
        code: "InvalidClientTokenId",
        message: "The security token included in the request is invalid.",
        status: 403
    )
    public static let missingAuthenticationToken = AWSError(
        code: "MissingAuthenticationToken",
        message: "Request is missing Authentication Token",
        status: 403
    )
    public static let expiredToken = AWSError(
        code: "ExpiredToken",
        message: "The security token included in the request is expired",
        status: 403
    )
    public static func incompleteSignature(_ message: String) -> AWSError {
        AWSError(code: "IncompleteSignature", message: message, status: 403)
    }
    public static func accessDenied(_ message: String = "Access Denied") -> AWSError {
        AWSError(code: "AccessDenied", message: message, status: 403)
    }

    // MARK: Request shape

    public static func validation(_ message: String, code: String = "ValidationError") -> AWSError {
        AWSError(code: code, message: message, status: 400)
    }
    public static func invalidAction(_ action: String) -> AWSError {
        AWSError(code: "InvalidAction", message: "Could not find operation \(action) for version", status: 400)
    }
    public static let malformedInput = AWSError(code: "MalformedInput", message: "The request body could not be parsed.", status: 400)
    public static func internalFailure(_ message: String = "We encountered an internal error. Please try again.") -> AWSError {
        AWSError(code: "InternalFailure", message: message, status: 500)
    }
}
