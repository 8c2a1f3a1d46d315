//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

// S3's errors, with the codes, statuses, messages and extra elements S3 itself sends.

extension AWSError {
    static func noSuchBucket(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchBucket", message: "The specified bucket does not exist", status: 404, extra: [("BucketName", bucket)])
    }

    static func noSuchKey(_ key: String) -> AWSError {
        AWSError(code: "NoSuchKey", message: "The specified key does not exist.", status: 404, extra: [("Key", key)])
    }

    static func noSuchUpload(_ uploadID: String) -> AWSError {
        AWSError(
            code: "NoSuchUpload",
            message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            status: 404,
            extra: [("UploadId", uploadID)]
        )
    }

    static func bucketAlreadyOwnedByYou(_ bucket: String) -> AWSError {
        AWSError(
            code: "BucketAlreadyOwnedByYou",
            message: "Your previous request to create the named bucket succeeded and you already own it.",
            status: 409,
            extra: [("BucketName", bucket)]
        )
    }

    static func bucketAlreadyExists(_ bucket: String) -> AWSError {
        AWSError(
            code: "BucketAlreadyExists",
            message: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
            status: 409,
            extra: [("BucketName", bucket)]
        )
    }

    static func bucketNotEmpty(_ bucket: String) -> AWSError {
        AWSError(code: "BucketNotEmpty", message: "The bucket you tried to delete is not empty", status: 409, extra: [("BucketName", bucket)])
    }

    static func invalidBucketName(_ bucket: String) -> AWSError {
        AWSError(code: "InvalidBucketName", message: "The specified bucket is not valid.", status: 400, extra: [("BucketName", bucket)])
    }

    static let keyTooLong = AWSError(code: "KeyTooLongError", message: "Your key is too long", status: 400)

    static let badDigestMD5 = AWSError(code: "BadDigest", message: "The Content-MD5 you specified did not match what we received.", status: 400)
    static let invalidDigest = AWSError(code: "InvalidDigest", message: "The Content-MD5 you specified was invalid.", status: 400)

    static func badChecksum(_ algorithm: String) -> AWSError {
        AWSError(code: "BadDigest", message: "The \(algorithm) you specified did not match the calculated checksum.", status: 400)
    }

    static func invalidChecksum(_ algorithm: String) -> AWSError {
        AWSError(
            code: "InvalidRequest",
            message: "Value for x-amz-checksum-\(algorithm.lowercased()) header is invalid.",
            status: 400
        )
    }

    static func entityTooLarge(_ size: Int64, max: Int64) -> AWSError {
        AWSError(
            code: "EntityTooLarge",
            message: "Your proposed upload exceeds the maximum allowed size",
            status: 400,
            extra: [("ProposedSize", String(size)), ("MaxSizeAllowed", String(max))]
        )
    }

    static func entityTooSmall(_ size: Int64) -> AWSError {
        AWSError(
            code: "EntityTooSmall",
            message: "Your proposed upload is smaller than the minimum allowed size",
            status: 400,
            extra: [("ProposedSize", String(size)), ("MinSizeAllowed", "5242880")]
        )
    }

    static let incompleteBodyS3 = AWSError(
        code: "IncompleteBody",
        message: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        status: 400
    )

    static let missingContentLength = AWSError(code: "MissingContentLength", message: "You must provide the Content-Length HTTP header.", status: 411)

    static func invalidRange(_ range: String, size: Int64) -> AWSError {
        AWSError(
            code: "InvalidRange",
            message: "The requested range is not satisfiable",
            status: 416,
            extra: [("RangeRequested", range), ("ActualObjectSize", String(size))]
        )
    }

    static func preconditionFailed(_ condition: String) -> AWSError {
        AWSError(code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold", status: 412, extra: [("Condition", condition)])
    }

    static let notModified = AWSError(code: "NotModified", message: "Not Modified", status: 304)

    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> AWSError {
        var extra: [(String, String)] = []
        if let name { extra.append(("ArgumentName", name)) }
        if let value { extra.append(("ArgumentValue", value)) }
        return AWSError(code: "InvalidArgument", message: message, status: 400, extra: extra)
    }

    static func invalidRequest(_ message: String) -> AWSError {
        AWSError(code: "InvalidRequest", message: message, status: 400)
    }

    static let malformedXML = AWSError(
        code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema",
        status: 400
    )

    static let invalidPart = AWSError(
        code: "InvalidPart",
        message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        status: 400
    )

    static let invalidPartOrder = AWSError(
        code: "InvalidPartOrder",
        message: "The list of parts was not in ascending order. Parts must be ordered by part number.",
        status: 400
    )

    /// A bucket's missing configuration: S3 names the bucket in these errors.
    static func noSuchBucketPolicy(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchBucketPolicy", message: "The bucket policy does not exist", status: 404, extra: [("BucketName", bucket)])
    }

    static func noSuchTagSet(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchTagSet", message: "The TagSet does not exist", status: 404, extra: [("BucketName", bucket)])
    }

    static let sseCOverHTTP = AWSError(
        code: "InvalidRequest",
        message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        status: 400
    )

    static let sseCKeyRequired = AWSError(
        code: "InvalidRequest",
        message: "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
        status: 400
    )

    static let sseCKeyMismatch = AWSError(
        code: "AccessDenied",
        message: "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.",
        status: 403
    )

    static let conditionalRequestConflict = AWSError(
        code: "ConditionalRequestConflict",
        message: "The conditional request cannot succeed due to a conflicting operation against this resource.",
        status: 409
    )
}
