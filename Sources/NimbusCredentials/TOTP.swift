//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation

/// RFC 6238 time-based one-time passwords as AWS's virtual MFA devices use them:
/// HMAC-SHA-1, a 30-second step from the Unix epoch, 6 digits.
///
/// A code is accepted at most once: `verify` returns the time-step counter it matched, the caller
/// stores it, and passes it back as `lastUsedCounter` so that the same or an older step is refused.
public struct TOTP: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Seconds per time step.
    public static let period: Int64 = 30
    /// Digits per code.
    public static let digits = 6
    /// The seed length AWS uses: 40 bytes, 64 base-32 characters.
    public static let defaultSecretByteCount = 40

    private let secret: [UInt8]

    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A new random seed from the system's cryptographic random source.
    public static func generateSecret(byteCount: Int = defaultSecretByteCount) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<max(byteCount, 1)).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    /// The seed as AWS returns it in `Base32StringSeed`: base 32 without padding.
    public var base32Secret: String { Base32.encode(secret) }

    /// The time step that contains `date`.
    public static func counter(at date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return 0 }
        return Int64((seconds / Double(period)).rounded(.down).clamped(to: -9.0e15...9.0e15))
    }

    /// The 6-digit code for `date`.
    public func code(at date: Date) -> String {
        code(counter: Self.counter(at: date))
    }

    /// The 6-digit code for a time-step counter.
    public func code(counter: Int64) -> String {
        code(counter: counter, digits: Self.digits)
    }

    /// RFC 4226 HOTP with dynamic truncation; `digits` is 6 to 8 (RFC 6238's vectors use 8).
    func code(counter: Int64, digits: Int) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        var c = UInt64(bitPattern: counter)
        for i in stride(from: 7, through: 0, by: -1) {
            message[i] = UInt8(c & 0xFF)
            c >>= 8
        }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// Checks one code against the steps `window` either side of `date`.
    ///
    /// - Parameters:
    ///   - code: exactly six ASCII digits; anything else never matches.
    ///   - window: how many 30-second steps before and after the current one are accepted (clamped to 0…10).
    ///   - lastUsedCounter: the counter a previous successful `verify` returned; steps at or before it are refused.
    /// - Returns: the matched time-step counter, or nil.
    public func verify(_ code: String, at date: Date, window: Int = 1, lastUsedCounter: Int64? = nil) -> Int64? {
        guard Self.isWellFormed(code) else { return nil }
        let now = Self.counter(at: date)
        let w = Int64(window.clamped(to: 0...10))
        var matched: Int64?
        // Examine every step in the window whatever matches, so timing does not say which one did.
        for counter in (now - w)...(now + w) {
            if Self.constantTimeEqual(self.code(counter: counter), code), matched == nil,
                lastUsedCounter.map({ counter > $0 }) ?? true
            {
                matched = counter
            }
        }
        return matched
    }

    /// Checks two consecutive codes, as `EnableMFADevice` and `ResyncMFADevice` do.
    ///
    /// AWS documents no exact drift; a device that has drifted is resynchronised with two codes, so
    /// a wider window is accepted than for a single code: by default 10 steps (5 minutes) either side.
    /// - Returns: the counter of `code2`, to be stored as the last used counter; nil when no pair of
    ///   consecutive steps in the window produced `code1` then `code2`.
    public func verifyConsecutive(
        _ code1: String,
        _ code2: String,
        at date: Date,
        window: Int = 10,
        lastUsedCounter: Int64? = nil
    ) -> Int64? {
        guard Self.isWellFormed(code1), Self.isWellFormed(code2) else { return nil }
        let now = Self.counter(at: date)
        let w = Int64(window.clamped(to: 0...100))
        var matched: Int64?
        for counter in (now - w)...(now + w) {
            let first = Self.constantTimeEqual(self.code(counter: counter), code1)
            let second = Self.constantTimeEqual(self.code(counter: counter + 1), code2)
            if first, second, matched == nil, lastUsedCounter.map({ counter > $0 }) ?? true {
                matched = counter + 1
            }
        }
        return matched
    }

    /// The `otpauth://` URI an authenticator app scans, in AWS's shape:
    /// `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String`.
    ///
    /// - Parameters:
    ///   - deviceName: the `VirtualMFADeviceName` given to `CreateVirtualMFADevice`.
    ///   - accountName: as AWS documents it, the user name if set, otherwise the account id.
    public func provisioningURI(deviceName: String, accountName: String) -> String {
        let label = Self.percentEncode(deviceName) + "@" + Self.percentEncode(accountName)
        return "otpauth://totp/\(label)?secret=\(base32Secret)"
    }

    public var description: String { "TOTP(secret: <redacted>)" }
    public var debugDescription: String { description }
    /// No children, so that `dump` and debuggers do not print the seed either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    // MARK: Helpers

    static func isWellFormed(_ code: String) -> Bool {
        code.utf8.count == digits && code.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// RFC 3986 unreserved characters stay, everything else is %-encoded (so `@`, `:` and `?` cannot
    /// change the URI's structure).
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self {
        min(max(self, range.lowerBound), range.upperBound)
    }
}
