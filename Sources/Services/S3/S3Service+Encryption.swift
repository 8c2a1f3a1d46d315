//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusBlobStore
import NimbusCore
import NimbusStorage
import NimbusWire

// Encryption at rest. Every piece of object data is AES-256-GCM encrypted by the blob store under a
// data key of its own:
// - SSE-S3 (the default): a random key per piece, sealed under the root key and kept in the object's
//   record. Deleting the record destroys the key, and with it the data.
// - SSE-C: the customer's key, used for the request and forgotten. Only a salted HMAC of it is kept, to
//   refuse a later request that brings a different key; it is never logged or returned.

/// An SSE-C key as a request presents it.
struct CustomerKey: Sendable {
    let key: BlobKey
    /// The base64 MD5 the client sent, echoed back in responses.
    let md5: String
}

extension S3Service {
    /// The SSE-C key in the input (`SSECustomer*`, or `CopySourceSSECustomer*` with `prefix: "CopySource"`),
    /// checked as S3 checks it; nil when the request carries none.
    static func customerKey(_ input: ShapeValue, prefix: String = "", context: RequestContext) throws -> CustomerKey? {
        let algorithm = input[prefix + "SSECustomerAlgorithm"]?.stringValue
        let encoded = input[prefix + "SSECustomerKey"]?.stringValue
        let md5 = input[prefix + "SSECustomerKeyMD5"]?.stringValue
        if algorithm == nil, encoded == nil, md5 == nil { return nil }
        guard context.isSecureTransport else { throw AWSError.sseCOverHTTP }
        guard let algorithm else {
            throw AWSError.invalidArgument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                name: "x-amz-server-side-encryption", value: "null"
            )
        }
        guard algorithm == "AES256" else {
            throw AWSError.invalidArgument(
                "The encryption algorithm specified is not valid.", name: "x-amz-server-side-encryption-customer-algorithm", value: algorithm
            )
        }
        guard let encoded, let keyData = Data(base64Encoded: encoded), keyData.count == 32 else {
            throw AWSError.invalidArgument(
                "The secret key was invalid for the specified algorithm.", name: "x-amz-server-side-encryption-customer-key", value: "null"
            )
        }
        let computed = Data(Insecure.MD5.hash(data: keyData)).base64EncodedString()
        if let md5, md5 != computed {
            throw AWSError.invalidArgument(
                "The calculated MD5 hash of the key did not match the hash that was provided.",
                name: "x-amz-server-side-encryption-customer-key-MD5", value: md5
            )
        }
        return CustomerKey(key: try BlobKey(bytes: [UInt8](keyData)), md5: computed)
    }

    /// Refuses a read or write of an SSE-C object without its key, or with another one; refuses an SSE-C
    /// key for an object that has none.
    static func checkCustomerKey(_ given: CustomerKey?, for record: ObjectRecord) throws {
        switch record.encryption {
        case .s3, .kms:
            if given != nil {
                throw AWSError.invalidRequest(
                    "The encryption parameters are not applicable to this object."
                )
            }
        case .customer:
            guard let given else { throw AWSError.sseCKeyRequired }
            guard let salt = record.customerKeySalt, let mac = record.customerKeyHMAC,
                HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: given.key.bytes, using: SymmetricKey(data: salt))
            else { throw AWSError.sseCKeyMismatch }
        }
    }

    /// The encryption headers of a response about `record`.
    static func encryptionOutput(_ record: ObjectRecord, customer: CustomerKey?, into out: inout [String: ShapeValue]) {
        switch record.encryption {
        case .s3:
            out["ServerSideEncryption"] = .string("AES256")
        case .customer:
            out["SSECustomerAlgorithm"] = .string("AES256")
            if let customer { out["SSECustomerKeyMD5"] = .string(customer.md5) }
        case .kms:
            out["ServerSideEncryption"] = .string("aws:kms")
            if let arn = record.kmsKeyARN { out["SSEKMSKeyId"] = .string(arn) }
            if record.bucketKeyEnabled == true { out["BucketKeyEnabled"] = .boolean(true) }
        }
    }
}
