//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import NimbusCore
import NimbusWire

// Integrity of uploads: Content-MD5 and the x-amz-checksum-* family, in headers or in the trailer of an
// aws-chunked body. Everything is computed by the blob store while the body streams to disk, and compared
// before the object becomes visible; a mismatch removes what was written.

/// What a request says its body must hash to.
struct ExpectedDigests: Sendable {
    var md5: [UInt8]?
    /// The algorithm whose checksum is expected, and the value when given in a header (nil when it comes
    /// in the trailer).
    var checksum: (algorithm: ChecksumAlgorithm, value: String?)?

    /// The model's member name for a checksum algorithm (`ChecksumCRC32`).
    static func member(_ algorithm: ChecksumAlgorithm) -> String { "Checksum" + algorithm.rawValue }

    static func parse(_ input: ShapeValue, trailerHeader: String?) throws -> ExpectedDigests {
        var digests = ExpectedDigests()
        if let md5 = input["ContentMD5"]?.stringValue {
            guard let data = Data(base64Encoded: md5), data.count == 16 else { throw AWSError.invalidDigest }
            digests.md5 = [UInt8](data)
        }
        var given: [(ChecksumAlgorithm, String)] = []
        for algorithm in ChecksumAlgorithm.allCases {
            if let value = input[member(algorithm)]?.stringValue { given.append((algorithm, value)) }
        }
        guard given.count <= 1 else {
            throw AWSError.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        if let (algorithm, value) = given.first {
            guard let decoded = Data(base64Encoded: value), decoded.count == algorithm.digestLength else {
                throw AWSError.invalidChecksum(algorithm.rawValue)
            }
            digests.checksum = (algorithm, value)
        } else if let trailer = trailerHeader?.lowercased(), trailer.hasPrefix("x-amz-checksum-") {
            let name = String(trailer.dropFirst("x-amz-checksum-".count)).uppercased()
            guard let algorithm = ChecksumAlgorithm(rawValue: name) else {
                throw AWSError.invalidRequest("The value specified in the x-amz-trailer header is not supported")
            }
            digests.checksum = (algorithm, nil)
        } else if let requested = input["ChecksumAlgorithm"]?.stringValue {
            guard let algorithm = ChecksumAlgorithm(rawValue: requested.uppercased()) else {
                throw AWSError.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            digests.checksum = (algorithm, nil)
        }
        return digests
    }

    var algorithms: Set<ChecksumAlgorithm> { checksum.map { [$0.algorithm] } ?? [] }

    /// Compares what was written with what the request promised; `trailers` are read only now, after the
    /// body has ended.
    func verify(_ blob: StoredBlob, trailers: StreamTrailers?) throws {
        if let md5, md5 != blob.md5 { throw AWSError.badDigestMD5 }
        guard let (algorithm, headerValue) = checksum else { return }
        let computed = blob.checksums[algorithm]
        if let expected = headerValue ?? trailers?["x-amz-checksum-" + algorithm.rawValue.lowercased()] {
            guard let decoded = Data(base64Encoded: expected), decoded.count == algorithm.digestLength else {
                throw AWSError.invalidChecksum(algorithm.rawValue)
            }
            guard expected == computed else { throw AWSError.badChecksum(algorithm.rawValue) }
        }
    }
}

extension ChecksumAlgorithm {
    var digestLength: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        }
    }
}
