//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import _CryptoExtras
import Foundation

/// Slow, salted password hashing: PBKDF2-HMAC-SHA256 with a random 16-byte salt per password.
///
/// The encoded form describes itself, in the PHC string style, so that the parameters can be raised
/// later while old hashes still verify (`needsRehash` says when to re-hash at the next sign-in):
///
///     $pbkdf2-sha256$i=600000$<salt, base64 without padding>$<32-byte hash, base64 without padding>
///
/// 600,000 iterations is OWASP's figure for PBKDF2-HMAC-SHA256. Nothing here logs or describes a password.
public struct PasswordHasher: Sendable, CustomStringConvertible {
    /// OWASP's recommendation for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    /// Encoded hashes claiming fewer or more iterations than this are refused, so that a tampered or
    /// corrupt record cannot make `verify` trivially weak or arbitrarily slow.
    static let acceptedIterations = 1_000...10_000_000
    static let algorithm = "pbkdf2-sha256"
    static let saltByteCount = 16
    static let hashByteCount = 32

    /// The iteration count new hashes get.
    public let iterations: Int

    /// A hasher with OWASP's iteration count.
    public init() {
        self.iterations = Self.defaultIterations
    }

    /// A hasher with a chosen iteration count, at least 210,000 (the floor swift-crypto enforces).
    public init(iterations: Int) {
        self.iterations = max(iterations, 210_000)
    }

    /// For tests only: any count the verifier accepts, so that suites do not spend seconds per hash.
    package init(unsafeIterations: Int) {
        self.iterations = unsafeIterations.clamped(to: Self.acceptedIterations)
    }

    /// Hashes `password` with a fresh random salt; returns the self-describing encoded form.
    public func hash(_ password: String) -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let derived = Self.derive(Array(password.utf8), salt: salt, iterations: iterations)
        return "$\(Self.algorithm)$i=\(iterations)$\(Self.b64(salt))$\(Self.b64(derived))"
    }

    /// True when `password` hashes to `encoded`. False for a wrong password and for anything that is
    /// not a well-formed encoding; the final comparison takes the same time wherever the bytes differ.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let parsed = Self.parse(encoded) else { return false }
        let derived = Self.derive(Array(password.utf8), salt: parsed.salt, iterations: parsed.iterations)
        guard derived.count == parsed.hash.count else { return false }
        var difference: UInt8 = 0
        for i in derived.indices { difference |= derived[i] ^ parsed.hash[i] }
        return difference == 0
    }

    /// True when `encoded` was made with weaker parameters than this hasher's (or cannot be read),
    /// so the caller should store a new hash the next time it sees the password.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let parsed = Self.parse(encoded) else { return true }
        return parsed.iterations < iterations
    }

    /// The parameters embedded in an encoded hash: the algorithm name and iteration count.
    public static func parameters(of encoded: String) -> (algorithm: String, iterations: Int)? {
        parse(encoded).map { (algorithm, $0.iterations) }
    }

    public var description: String { "PasswordHasher(\(Self.algorithm), iterations: \(iterations))" }

    // MARK: Encoding

    static func parse(_ encoded: String) -> (iterations: Int, salt: [UInt8], hash: [UInt8])? {
        guard encoded.utf8.count <= 256 else { return nil }
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == Self.algorithm, parts[2].hasPrefix("i="),
            let iterations = Int(parts[2].dropFirst(2)), Self.acceptedIterations.contains(iterations),
            let salt = unb64(parts[3]), salt.count >= 8, salt.count <= 64,
            let hash = unb64(parts[4]), hash.count == Self.hashByteCount
        else { return nil }
        return (iterations, salt, hash)
    }

    static func derive(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        // Only fails for an output size or round count BoringSSL refuses; both are fixed and valid here.
        guard
            let key = try? KDF.Insecure.PBKDF2.deriveKey(
                from: password,
                salt: salt,
                using: .sha256,
                outputByteCount: hashByteCount,
                unsafeUncheckedRounds: iterations
            )
        else { return [] }
        return key.withUnsafeBytes { Array($0) }
    }

    static func b64(_ bytes: [UInt8]) -> String {
        var s = Data(bytes).base64EncodedString()
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func unb64(_ s: Substring) -> [UInt8]? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 != UInt8(ascii: "=") }) else { return nil }
        var padded = String(s)
        while padded.utf8.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { Array($0) }
    }
}
