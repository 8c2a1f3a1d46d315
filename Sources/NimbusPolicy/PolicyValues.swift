//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// An IPv4 or IPv6 network, for `IpAddress` / `NotIpAddress`.
struct CIDR: Sendable, Hashable {
    /// 16 bytes; IPv4 uses the first 4.
    var address: (UInt64, UInt64)
    var isIPv6: Bool
    var prefixLength: Int

    static func == (a: CIDR, b: CIDR) -> Bool {
        a.address == b.address && a.isIPv6 == b.isIPv6 && a.prefixLength == b.prefixLength
    }
    func hash(into hasher: inout Hasher) {
        hasher.combine(address.0)
        hasher.combine(address.1)
        hasher.combine(isIPv6)
        hasher.combine(prefixLength)
    }

    /// `203.0.113.0/24`, `2001:db8::/32`, or a single address.
    init?(_ text: String) {
        var s = Substring(text)
        var length: Int?
        if let slash = s.firstIndex(of: "/") {
            guard let n = Int(s[s.index(after: slash)...]), n >= 0 else { return nil }
            length = n
            s = s[..<slash]
        }
        guard let ip = IPAddress(s) else { return nil }
        let maxLength = ip.isIPv6 ? 128 : 32
        let prefix = length ?? maxLength
        guard prefix <= maxLength else { return nil }
        self.isIPv6 = ip.isIPv6
        self.prefixLength = prefix
        self.address = IPAddress.mask(ip.bits, ip.isIPv6 ? prefix : prefix, width: maxLength)
    }

    func contains(_ ip: IPAddress) -> Bool {
        var candidate = ip
        if !isIPv6, ip.isIPv6, let v4 = ip.mappedIPv4 { candidate = v4 }
        guard candidate.isIPv6 == isIPv6 else { return false }
        return IPAddress.mask(candidate.bits, prefixLength, width: isIPv6 ? 128 : 32) == address
    }
}

/// An IP address parsed without allocating.
struct IPAddress: Sendable {
    /// Left-aligned: IPv4 in the top 32 bits of `bits.0`.
    var bits: (UInt64, UInt64)
    var isIPv6: Bool

    static func mask(_ bits: (UInt64, UInt64), _ prefix: Int, width: Int) -> (UInt64, UInt64) {
        let hi: UInt64 = prefix >= 64 ? ~0 : (prefix == 0 ? 0 : ~0 << UInt64(64 - prefix))
        let lo: UInt64 = prefix <= 64 ? 0 : (prefix >= 128 ? ~0 : ~0 << UInt64(128 - prefix))
        return (bits.0 & hi, bits.1 & lo)
    }

    /// `::ffff:a.b.c.d` as IPv4.
    var mappedIPv4: IPAddress? {
        guard isIPv6, bits.0 == 0, bits.1 >> 32 == 0xFFFF else { return nil }
        return IPAddress(bits: ((bits.1 & 0xFFFF_FFFF) << 32, 0), isIPv6: false)
    }

    init(bits: (UInt64, UInt64), isIPv6: Bool) {
        self.bits = bits
        self.isIPv6 = isIPv6
    }

    init?(_ text: some StringProtocol) {
        var s = String(text)
        let parsed: IPAddress? = s.withUTF8 { buf in
            if buf.contains(UInt8(ascii: ":")) { return IPAddress.parseV6(buf) }
            guard let v4 = IPAddress.parseV4(buf) else { return nil }
            return IPAddress(bits: (UInt64(v4) << 32, 0), isIPv6: false)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    static func parseV4(_ buf: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        for b in buf {
            if b == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | current
                octets += 1
                current = 0
                digits = 0
            } else if b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                current = current * 10 + UInt32(b - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | current
    }

    static func parseV6(_ buf: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard buf.count >= 2, buf.count <= 45 else { return nil }
        var groups = [UInt16](repeating: 0, count: 8)
        var count = 0
        var gap: Int? = nil
        var i = 0
        if buf[0] == UInt8(ascii: ":") {
            guard buf[1] == UInt8(ascii: ":") else { return nil }
            gap = 0
            i = 2
            if i == buf.count { return IPAddress(bits: (0, 0), isIPv6: true) }
        }
        while i < buf.count {
            // An embedded IPv4 tail: the rest has a dot.
            var j = i
            var hasDot = false
            while j < buf.count, buf[j] != UInt8(ascii: ":") {
                if buf[j] == UInt8(ascii: ".") { hasDot = true }
                j += 1
            }
            if hasDot {
                guard j == buf.count, count <= 6, let v4 = parseV4(UnsafeBufferPointer(rebasing: buf[i..<j])) else { return nil }
                groups[count] = UInt16(v4 >> 16)
                groups[count + 1] = UInt16(v4 & 0xFFFF)
                count += 2
                i = j
                break
            }
            guard j > i, j - i <= 4, count < 8 else { return nil }
            var g: UInt16 = 0
            for k in i..<j {
                let b = buf[k]
                let d: UInt16
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt16(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt16(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt16(b - UInt8(ascii: "A") + 10)
                default: return nil
                }
                g = g << 4 | d
            }
            groups[count] = g
            count += 1
            i = j
            if i < buf.count {
                // at ':'
                i += 1
                if i < buf.count, buf[i] == UInt8(ascii: ":") {
                    guard gap == nil else { return nil }
                    gap = count
                    i += 1
                } else if i == buf.count {
                    return nil
                }
            }
        }
        if let gap {
            guard count < 8 else { return nil }
            let tail = Array(groups[gap..<count])
            for k in gap..<8 { groups[k] = 0 }
            for (k, v) in tail.enumerated() { groups[8 - tail.count + k] = v }
        } else {
            guard count == 8 else { return nil }
        }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for k in 0..<4 { hi = hi << 16 | UInt64(groups[k]) }
        for k in 4..<8 { lo = lo << 16 | UInt64(groups[k]) }
        return IPAddress(bits: (hi, lo), isIPv6: true)
    }
}

/// Dates as IAM reads them: ISO 8601 (`2026-01-31`, `2026-01-31T12:00:00Z`, with fractions or an
/// offset) or seconds since the epoch.
enum PolicyDate {
    /// Seconds since 1970, or nil when the text is neither form.
    static func parse(_ text: String) -> Double? {
        var s = text
        return s.withUTF8 { parse($0) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        if b.isEmpty { return nil }
        // Epoch seconds: digits, an optional sign and fraction, nothing date-like.
        var isEpoch = true
        for (k, c) in b.enumerated() {
            let digit = c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
            if !(digit || c == UInt8(ascii: ".") || (k == 0 && c == UInt8(ascii: "-"))) {
                isEpoch = false
                break
            }
        }
        if isEpoch { return Double(String(decoding: b, as: UTF8.self)) }
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var v = 0
            for k in 0..<digits {
                let c = b[i + k]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                v = v * 10 + Int(c - UInt8(ascii: "0"))
            }
            i += digits
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Double(daysFromCivil(year, month, day)) * 86_400
        if i == b.count { return seconds }
        guard expect("T") || expect("t") || expect(" ") else { return nil }
        guard let hour = number(2), expect(":"), let minute = number(2), hour < 24, minute < 60 else { return nil }
        var second = 0.0
        if expect(":") {
            guard let sec = number(2), sec <= 60 else { return nil }
            second = Double(sec)
            if expect(".") {
                var scale = 0.1
                var any = false
                while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") {
                    second += Double(b[i] - UInt8(ascii: "0")) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                guard any else { return nil }
            }
        }
        seconds += Double(hour * 3600 + minute * 60) + second
        if i == b.count { return seconds }
        if expect("Z") || expect("z") { return i == b.count ? seconds : nil }
        let sign: Double
        if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
        guard let oh = number(2) else { return nil }
        _ = expect(":")
        guard let om = number(2), i == b.count else { return nil }
        return seconds - sign * Double(oh * 3600 + om * 60)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `2026-01-31T12:00:00Z`, as `aws:CurrentTime` is written.
    static func iso8601(_ epoch: Double) -> String {
        let total = Int(epoch.rounded(.down))
        var days = total / 86_400
        var rem = total % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))Z"
    }
}
