//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// A request id: a lowercase random (version 4) UUID, as AWS returns them.
    public static func requestID() -> String {
        // Written straight to lowercase hex; `UUID().uuidString.lowercased()` formats twice and costs
        // more than the rest of identifying a request.
        var (high, low) = RandomPool.shared.next128()
        high = (high & ~0xF000) | 0x4000  // version 4
        return uuidString(high: high, low: low)
    }

    /// A CloudTrail event id: a lowercase UUID that sorts by `date` (version 7, RFC 9562: 48 bits of
    /// milliseconds since 1970, then random bits).
    ///
    /// CloudTrail's lookup index is keyed by event id: random ids put each new key at a random page
    /// of the B-tree, time-ordered ones next to the previous key.
    public static func eventID(at date: Date) -> String {
        let millis = UInt64(clamping: Int64((date.timeIntervalSince1970 * 1000).rounded(.down).clamped(to: 0...0xFFFF_FFFF_FFFF)))
        var (high, low) = RandomPool.shared.next128()
        high = millis << 16 | (high & 0x0FFF) | 0x7000  // version 7
        return uuidString(high: high, low: low)
    }

    private static func uuidString(high: UInt64, low: UInt64) -> String {
        let low = (low & ~(0xC << 60)) | (0x8 << 60)  // variant 10
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[i] = lowerHex[Int((value >> UInt64(shift)) & 0xF)]
                    i += 1
                }
            }
            func dash() {
                buffer[i] = UInt8(ascii: "-")
                i += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put((high >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return i
        }
    }

    private static let lowerHex: [UInt8] = Array("0123456789abcdef".utf8)
    /// A short lowercase alphanumeric suffix for resource ids (`vpc-…`, `i-…`).
    public static func hexSuffix(_ count: Int = 17) -> String { random(count, from: Array("0123456789abcdef")) }

    /// True for a 12-digit account id.
    public static func isAccountID(_ s: some StringProtocol) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

/// Random bits from the system's generator, fetched 4 KiB at a time: a request needs two ids, and a
/// `getrandom` call for each costs more than the rest of making them.
final class RandomPool: Sendable {
    static let shared = RandomPool()

    private struct State {
        var words = [UInt64](repeating: 0, count: 512)
        var next = 512
    }

    private let state = Mutex(State())

    private static func fill(_ words: inout [UInt64]) {
        // /dev/urandom is the kernel's CSPRNG on every system we build for (arc4random_buf is not in older glibc).
        let filled = words.withUnsafeMutableBytes { buffer -> Bool in
            let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var offset = 0
            while offset < buffer.count {
                let n = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
        if !filled {
            var rng = SystemRandomNumberGenerator()
            for i in words.indices { words[i] = rng.next() }
        }
    }

    func next128() -> (UInt64, UInt64) {
        state.withLock { state in
            if state.next + 2 > state.words.count {
                Self.fill(&state.words)
                state.next = 0
            }
            defer {
                // Used bits are not kept around.
                state.words[state.next] = 0
                state.words[state.next + 1] = 0
                state.next += 2
            }
            return (state.words[state.next], state.words[state.next + 1])
        }
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        isNaN ? range.lowerBound : Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
