//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

package import Crypto
import NimbusCore
import Synchronization
package import Foundation

/// The hashing, HMAC and key derivation SigV4 is built from.
package enum SigV4Crypto {
    package static let algorithm = "AWS4-HMAC-SHA256"
    /// SHA-256 of the empty string.
    package static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package static func sha256Hex(_ string: String) -> String {
        var string = string
        return string.withUTF8 { hex(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }

    package static func sha256Hex(bytes: some Collection<UInt8>) -> String {
        if let digest = bytes.withContiguousStorageIfAvailable({ SHA256.hash(data: UnsafeRawBufferPointer($0)) }) {
            return hex(digest)
        }
        return hex(SHA256.hash(data: Array(bytes)))
    }

    package static func hmac(_ key: SymmetricKey, _ string: String) -> HashedAuthenticationCode<SHA256> {
        var string = string
        return string.withUTF8 { HMAC<SHA256>.authenticationCode(for: UnsafeRawBufferPointer($0), using: key) }
    }

    package static func signature(_ key: SymmetricKey, _ stringToSign: String) -> String { hex(hmac(key, stringToSign)) }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    package static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: hmac(key, part))
        }
        return key
    }

    package static func hex(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { Hex.encode($0) }
    }

    /// Compares in time that depends only on the lengths, never on where the first difference is.
    package static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { a in
            b.withUTF8 { b in
                guard a.count == b.count else { return false }
                var difference: UInt8 = 0
                for i in 0..<a.count { difference |= a[i] ^ b[i] }
                return difference == 0
            }
        }
    }

    package static func isLowercaseHexSHA256(_ s: some StringProtocol) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    package static func isHexSHA256(_ s: some StringProtocol) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}

/// Derived signing keys, so that a busy key costs one HMAC per request instead of five.
///
/// A key is valid for one day, region and service; the cache is bounded and simply starts over when full.
package final class SigningKeyCache: Sendable {
    private struct Key: Hashable {
        var secret: String
        var date: String
        var region: String
        var service: String
    }

    private let capacity: Int
    private let entries = Mutex<[Key: DerivedSigningKey]>([:])

    package init(capacity: Int = 1024) { self.capacity = max(1, capacity) }

    package func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        derivedKey(secret: secret, date: date, region: region, service: service).key
    }

    package func derivedKey(secret: String, date: String, region: String, service: String) -> DerivedSigningKey {
        let key = Key(secret: secret, date: date, region: region, service: service)
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let derived = DerivedSigningKey(SigV4Crypto.signingKey(secret: secret, date: date, region: region, service: service))
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = derived
        }
        return derived
    }

    package var count: Int { entries.withLock { $0.count } }
}

/// A signing key with its HMAC keyed once.
///
/// HMAC-SHA256 is `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))`. Both pads are hashed here, once per key, and each
/// signature copies the two keyed digests (they copy on write) and hashes only the message and the inner
/// digest. It is spelled out over `SHA256` because `HMAC.update` is generic over `DataProtocol` and runs
/// unspecialized from this module, which cost a tenth of the signature check; the tests hold it to `HMAC<SHA256>`.
package struct DerivedSigningKey: Sendable {
    package let key: SymmetricKey
    private let inner: SHA256
    private let outer: SHA256

    package init(_ key: SymmetricKey) {
        self.key = key
        var block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        key.withUnsafeBytes { bytes in
            if bytes.count > block.count {
                SHA256.hash(data: bytes).withUnsafeBytes { digest in block.withUnsafeMutableBytes { $0.copyMemory(from: digest) } }
            } else {
                block.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[..<bytes.count]).copyMemory(from: bytes) }
            }
        }
        var inner = SHA256()
        var outer = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// HMAC-SHA256 of `message` under this key.
    package func authenticationCode(_ message: UnsafeRawBufferPointer) -> SHA256.Digest {
        var inner = inner
        inner.update(bufferPointer: message)
        var outer = outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    /// The hex signature of `stringToSign`: `SigV4Crypto.signature(key, stringToSign)`.
    package func signature(_ stringToSign: String) -> String {
        var string = stringToSign
        return SigV4Crypto.hex(string.withUTF8 { authenticationCode(UnsafeRawBufferPointer($0)) })
    }

    package func signature(_ stringToSign: [UInt8]) -> String {
        SigV4Crypto.hex(stringToSign.withUnsafeBytes { authenticationCode($0) })
    }

    /// Whether `signature` is the lowercase hex signature of `stringToSign`, in time that depends only on the lengths.
    package func matches(_ stringToSign: [UInt8], signature: String) -> Bool {
        let code = stringToSign.withUnsafeBytes { authenticationCode($0) }
        var signature = signature
        return signature.withUTF8 { provided in
            code.withUnsafeBytes { code in
                guard provided.count == 2 * code.count else { return false }
                var difference: UInt8 = 0
                for (i, byte) in code.enumerated() {
                    difference |= provided[2 * i] ^ Hex.lowercaseDigit(byte >> 4)
                    difference |= provided[2 * i + 1] ^ Hex.lowercaseDigit(byte & 0x0F)
                }
                return difference == 0
            }
        }
    }
}
