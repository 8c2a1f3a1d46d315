//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCredentials
import Testing

@Suite struct Base32Tests {
    // RFC 4648 §10.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
    ]

    @Test func rfc4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base32.encode(Array(plain.utf8), padding: true) == encoded)
            #expect(Base32.encode(Array(plain.utf8)) == encoded.replacingOccurrences(of: "=", with: ""))
            #expect(Base32.decode(encoded) == Array(plain.utf8))
            #expect(Base32.decode(encoded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
            #expect(Base32.decode(encoded.lowercased()) == Array(plain.utf8))
        }
    }

    @Test func roundTripsRandomBytes() {
        for count in 0..<70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
            #expect(Base32.decode(Base32.encode(bytes, padding: true)) == bytes)
        }
    }

    @Test func awsSeedLength() {
        #expect(Base32.encode(TOTP.generateSecret()).count == 64)
    }

    @Test(arguments: [
        "MZXW6YT1",  // 1 is not in the alphabet
        "MZXW6YT8", "MZ=XW6YT", "M", "MZX", "MZXW6Y", "MY=====", "MY=======", "MZXW6YTB========",
        "MZ", "MZXW6YR", "MZXW6 YTB", "MZXW6YTB\u{0}", "émoji🙂", "========",
    ])
    func rejectsBadInput(_ input: String) {
        // "MZ" and "MZXW6YR" end in non-zero spare bits: their canonical forms are "MY" and "MZXW6YQ".
        #expect(Base32.decode(input) == nil)
    }

    @Test func hugeInputDoesNotCrash() {
        let huge = String(repeating: "A", count: 1_000_000)
        #expect(Base32.decode(huge)?.count == 625_000)
        #expect(Base32.decode(huge + "!") == nil)
    }
}

@Suite struct TOTPTests {
    /// RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
    static let rfcSecret = Array("12345678901234567890".utf8)
    static let rfcVectors: [(TimeInterval, String)] = [
        (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ]

    @Test func rfc6238SHA1Vectors() {
        let totp = TOTP(secret: Self.rfcSecret)
        for (seconds, eightDigits) in Self.rfcVectors {
            // A 6-digit code is the same truncation modulo 10^6: the last six digits.
            #expect(totp.code(at: Date(timeIntervalSince1970: seconds)) == String(eightDigits.suffix(6)))
        }
    }

    @Test func verifyReturnsTheMatchedCounter() {
        let totp = TOTP(secret: Self.rfcSecret)
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let counter = TOTP.counter(at: now)
        #expect(totp.verify("050471", at: now) == counter)
        // One step early or late is inside the default window; two are not.
        #expect(totp.verify(totp.code(counter: counter - 1), at: now) == counter - 1)
        #expect(totp.verify(totp.code(counter: counter + 1), at: now) == counter + 1)
        #expect(totp.verify(totp.code(counter: counter - 2), at: now) == nil)
        #expect(totp.verify(totp.code(counter: counter - 2), at: now, window: 2) == counter - 2)
        #expect(totp.verify(totp.code(counter: counter), at: now, window: 0) == counter)
    }

    @Test func aCodeIsAcceptedAtMostOnce() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let code = totp.code(at: now)
        let used = try! #require(totp.verify(code, at: now))
        #expect(totp.verify(code, at: now, lastUsedCounter: used) == nil)
        #expect(totp.verify(code, at: now.addingTimeInterval(10), lastUsedCounter: used) == nil)
        // An older step's code is refused too once a newer one was used.
        #expect(totp.verify(totp.code(counter: used - 1), at: now, lastUsedCounter: used) == nil)
        // The next step's code is fine.
        let next = totp.code(counter: used + 1)
        #expect(totp.verify(next, at: now.addingTimeInterval(30), lastUsedCounter: used) == used + 1)
    }

    @Test(arguments: ["", "12345", "1234567", "12345a", "１２３４５６", " 123456", "123456\n", "-12345", String(repeating: "9", count: 100_000)])
    func malformedCodesNeverMatch(_ code: String) {
        let totp = TOTP(secret: Self.rfcSecret)
        #expect(totp.verify(code, at: Date(), window: 10) == nil)
        #expect(totp.verifyConsecutive(code, code, at: Date()) == nil)
    }

    @Test func consecutiveCodes() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let c = TOTP.counter(at: now)
        #expect(totp.verifyConsecutive(totp.code(counter: c - 1), totp.code(counter: c), at: now) == c)
        // A device that drifted minutes behind still resynchronises.
        #expect(totp.verifyConsecutive(totp.code(counter: c - 9), totp.code(counter: c - 8), at: now) == c - 8)
        #expect(totp.verifyConsecutive(totp.code(counter: c - 30), totp.code(counter: c - 29), at: now) == nil)
        // Out of order, equal, or not adjacent: refused.
        #expect(totp.verifyConsecutive(totp.code(counter: c), totp.code(counter: c - 1), at: now) == nil)
        #expect(totp.verifyConsecutive(totp.code(counter: c), totp.code(counter: c + 2), at: now) == nil)
        // Replay of a pair already used.
        #expect(totp.verifyConsecutive(totp.code(counter: c - 1), totp.code(counter: c), at: now, lastUsedCounter: c) == nil)
    }

    @Test func extremeDatesDoNotCrash() {
        let totp = TOTP(secret: [])
        for date in [Date.distantPast, Date.distantFuture, Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: .nan),
                     Date(timeIntervalSince1970: -1e300), Date(timeIntervalSince1970: 1e300)] {
            #expect(totp.code(at: date).count == 6)
            _ = totp.verify("123456", at: date, window: 10)
            _ = totp.verifyConsecutive("123456", "654321", at: date)
        }
    }

    @Test func descriptionIsRedacted() {
        let secret = Array("super-secret-seed-value".utf8)
        let totp = TOTP(secret: secret)
        for text in [totp.description, String(reflecting: totp), "\(totp)"] {
            #expect(!text.contains(Base32.encode(secret)))
            #expect(text.contains("redacted"))
        }
    }

    @Test func provisioningURIHasAWSShape() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(
            totp.provisioningURI(deviceName: "alice", accountName: "123456789012")
                == "otpauth://totp/alice@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        )
        // Characters that would change the URI's structure are escaped.
        #expect(totp.provisioningURI(deviceName: "a@b?c", accountName: "x y").hasPrefix("otpauth://totp/a%40b%3Fc@x%20y?secret="))
    }
}
