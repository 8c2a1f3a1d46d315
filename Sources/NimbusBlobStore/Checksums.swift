//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation

/// The additional checksums S3 computes on request (`x-amz-checksum-*`, `ChecksumAlgorithm`).
///
/// Encoded as JSON object keys by their raw value (`{"CRC32C": "…"}`), thanks to `CodingKeyRepresentable`.
public enum ChecksumAlgorithm: String, Sendable, Codable, CodingKeyRepresentable, CaseIterable, Hashable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// The digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        }
    }
}

extension ChecksumAlgorithm {
    /// Whether the checksum of a whole object follows from its parts' checksums and sizes (the CRCs do; S3
    /// offers the `FULL_OBJECT` checksum type for them alone).
    public var combines: Bool { self == .crc32 || self == .crc32c || self == .crc64nvme }

    /// The checksum of the parts one after another, from each part's digest (big-endian, as
    /// `StreamingChecksum.finalize` gives it) and size; nil for an algorithm that does not combine or a digest
    /// of the wrong length.
    public func combined(_ parts: [(digest: [UInt8], size: Int64)]) -> [UInt8]? {
        guard combines, parts.allSatisfy({ $0.digest.count == byteCount }) else { return nil }
        func value<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8], as: T.Type) -> T {
            bytes.reduce(T(0)) { $0 << 8 | T($1) }
        }
        switch self {
        case .crc64nvme:
            let crc = parts.dropFirst().reduce(parts.first.map { value($0.digest, as: UInt64.self) } ?? 0) {
                CRC.combine($0, value($1.digest, as: UInt64.self), secondLength: $1.size, polynomial: CRC.nvmePolynomial)
            }
            return bigEndianBytes(crc)
        default:
            let polynomial = self == .crc32 ? CRC.ieeePolynomial : CRC.castagnoliPolynomial
            let crc = parts.dropFirst().reduce(parts.first.map { value($0.digest, as: UInt32.self) } ?? 0) {
                CRC.combine($0, value($1.digest, as: UInt32.self), secondLength: $1.size, polynomial: polynomial)
            }
            return bigEndianBytes(crc)
        }
    }
}

/// A checksum computed over a stream, chunk by chunk.
///
/// ```swift
/// var checksum = StreamingChecksum(.crc32c)
/// checksum.update(chunk)
/// let header = checksum.finalizeBase64()   // as S3 returns it: base64 of the big-endian bytes
/// ```
public struct StreamingChecksum: Sendable {
    private enum State: Sendable {
        case crc32(UInt32)
        case crc32c(UInt32)
        case crc64(UInt64)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
    }

    public let algorithm: ChecksumAlgorithm
    private var state: State

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: state = .crc32(~0)
        case .crc32c: state = .crc32c(~0)
        case .crc64nvme: state = .crc64(~0)
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc32(let crc): state = .crc32(CRC.update(crc, bytes, CRC.ieee))
        case .crc32c(let crc): state = .crc32c(CRC.crc32cUpdate(crc, bytes))
        case .crc64(let crc): state = .crc64(CRC.update(crc, bytes, CRC.nvme))
        case .sha1(var hasher):
            hasher.update(bufferPointer: bytes)
            state = .sha1(hasher)
        case .sha256(var hasher):
            hasher.update(bufferPointer: bytes)
            state = .sha256(hasher)
        }
    }

    /// The digest, big-endian for the CRCs.
    public func finalize() -> [UInt8] {
        switch state {
        case .crc32(let crc), .crc32c(let crc): bigEndianBytes(~crc)
        case .crc64(let crc): bigEndianBytes(~crc)
        case .sha1(let hasher): Array(hasher.finalize())
        case .sha256(let hasher): Array(hasher.finalize())
        }
    }

    /// The digest in base64, the form of S3's `x-amz-checksum-*` headers.
    public func finalizeBase64() -> String {
        Data(finalize()).base64EncodedString()
    }

    /// The checksum of `bytes` in one call.
    public static func compute(_ algorithm: ChecksumAlgorithm, _ bytes: some Collection<UInt8>) -> [UInt8] {
        var checksum = StreamingChecksum(algorithm)
        checksum.update(bytes)
        return checksum.finalize()
    }
}

private func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}
