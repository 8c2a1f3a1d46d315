//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// Identifiers shaped like AWS's, from the system's cryptographic random source.
public enum Identifiers {
    private static let base32 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    private static let lowerAlnum = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    static func random(_ count: Int, from alphabet: [Character]) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }

    /// A long-term access key id: `AKIA` and 16 base-32 characters.
    public static func accessKeyID() -> String { "AKIA" + random(16, from: base32) }
    /// A temporary (STS) access key id: `ASIA` and 16 base-32 characters.
    public static func temporaryAccessKeyID() -> String { "ASIA" + random(16, from: base32) }
    /// A 40-character secret access key.
    public static func secretAccessKey() -> String { random(40, from: secretAlphabet) }
    /// A unique id with an AWS prefix (`AIDA`, `AROA`, `AGPA`, `ANPA` …) and 17 base-32 characters.
    public static func uniqueID(prefix: String) -> String { prefix + random(17, from: base32) }
    /// A 12-digit account id that does not start with 0.
    public static func accountID() -> String {
        var rng = SystemRandomNumberGenerator()
        var digits = String(rng.next(upperBound: UInt32(9)) + 1)
        for _ in 0..<11 { digits += String(rng.next(upperBound: UInt32(10))) }
        return digits
    }
    /// A request or event id: a lowercase UUID, as AWS returns them.
    public static func requestID() -> String { UUID().uuidString.lowercased() }
    /// A short lowercase alphanumeric suffix for resource ids (`vpc-…`, `i-…`).
    public static func hexSuffix(_ count: Int = 17) -> String { random(count, from: Array("0123456789abcdef")) }

    /// True for a 12-digit account id.
    public static func isAccountID(_ s: some StringProtocol) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
