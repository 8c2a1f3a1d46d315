//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import NimbusCore

/// Hashes a streamed body and checks it against the `x-amz-content-sha256` it was signed with.
///
/// The signature covers the declared hash, not the body, so a streamed body is only authentic once
/// `finish()` has returned.
public struct PayloadHashVerifier: Sendable {
    public let expectedSHA256Hex: String
    private let flavor: SigningFlavor
    private var hasher = SHA256()

    public init(expectedSHA256Hex: String, flavor: SigningFlavor = .s3) {
        self.expectedSHA256Hex = expectedSHA256Hex.lowercased()
        self.flavor = flavor
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            hasher.update(data: Array(bytes))
        }
    }

    /// Throws `XAmzContentSHA256Mismatch` (S3) or `SignatureDoesNotMatch` when the body hashed to something else.
    public func finish() throws(AWSError) {
        let computed = SigV4Crypto.hex(hasher.finalize())
        guard SigV4Crypto.constantTimeEqual(computed, expectedSHA256Hex) else {
            guard flavor == .s3 else { throw .signatureDoesNotMatch }
            var error = AWSError.xAmzContentSHA256Mismatch
            error.extra = [("ClientComputedContentSHA256", expectedSHA256Hex), ("S3ComputedContentSHA256", computed)]
            throw error
        }
    }
}
