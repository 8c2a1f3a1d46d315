//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// Formats and parses the three AWS timestamp formats without `DateFormatter`.
public enum TimestampCoding {
    private static let weekdays: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats `date`. `iso8601` adds milliseconds when `fractional` is set or the date has them.
    public static func format(_ date: Date, _ format: TimestampFormat, fractional: Bool = false) -> String {
        // Clamped to what four-digit years can write (0001-01-01 to 9999-12-31T23:59:59Z): a date computed
        // from a client's number (a restore's Days) can be far beyond it, and must not trap the conversions.
        let interval = date.timeIntervalSince1970.isNaN ? 0 : min(max(date.timeIntervalSince1970, -62_135_596_800), 253_402_300_799)
        switch format {
        case .unixTimestamp:
            let millis = (interval * 1000).rounded()
            if millis.truncatingRemainder(dividingBy: 1000) == 0 { return String(Int64(millis / 1000)) }
            var s = String(format: "%.3f", millis / 1000)
            while s.hasSuffix("0") { s.removeLast() }
            return s
        case .iso8601, .rfc822:
            // To the nearest millisecond, as Foundation's formatters do: a time parsed from `….254Z` is 0.25399999… s
            // after the second as a Double (further off in later centuries) and must not come back as `….253Z`.
            let totalMillis = Int64((interval * 1000).rounded())
            let millis = Int(((totalMillis % 1000) + 1000) % 1000)
            let seconds = (totalMillis - Int64(millis)) / 1000
            let days = Int(floorDiv(seconds, 86_400))
            let secondOfDay = Int(seconds - Int64(days) * 86_400)
            let (y, m, d) = civil(fromDays: days)
            let hh = secondOfDay / 3600, mm = secondOfDay / 60 % 60, ss = secondOfDay % 60
            // Written byte by byte: every list of objects, events or keys formats one per entry, and
            // interpolating padded strings was a sixth of encoding a ListObjectsV2 page.
            return String(unsafeUninitializedCapacity: 32) { buffer in
                var at = 0
                func put(_ byte: UInt8) {
                    buffer[at] = byte
                    at += 1
                }
                func put(_ value: Int, digits: Int) {
                    var remaining = value
                    for i in stride(from: at + digits - 1, through: at, by: -1) {
                        buffer[i] = UInt8(ascii: "0") + UInt8(remaining % 10)
                        remaining /= 10
                    }
                    at += digits
                }
                func put(_ text: StaticString) {
                    text.withUTF8Buffer { for byte in $0 { put(byte) } }
                }
                if format == .rfc822 {
                    // `Thu, 01 Jan 1970 00:00:00 GMT`
                    put(weekdays[((days % 7) + 7) % 7])
                    put(", ")
                    put(d, digits: 2)
                    put(UInt8(ascii: " "))
                    put(months[m - 1])
                    put(UInt8(ascii: " "))
                    put(y, digits: 4)
                    put(UInt8(ascii: " "))
                } else {
                    // `1970-01-01T00:00:00[.000]Z`
                    put(y, digits: 4)
                    put(UInt8(ascii: "-"))
                    put(m, digits: 2)
                    put(UInt8(ascii: "-"))
                    put(d, digits: 2)
                    put(UInt8(ascii: "T"))
                }
                put(hh, digits: 2)
                put(UInt8(ascii: ":"))
                put(mm, digits: 2)
                put(UInt8(ascii: ":"))
                put(ss, digits: 2)
                if format == .rfc822 {
                    put(" GMT")
                } else {
                    if fractional || millis != 0 {
                        put(UInt8(ascii: "."))
                        put(millis, digits: 3)
                    }
                    put(UInt8(ascii: "Z"))
                }
                return at
            }
        }
    }

    /// Parses a timestamp in `format`, or in any of the three when `format` is nil.
    public static func parse(_ text: String, format: TimestampFormat?) -> Date? {
        switch format {
        case .unixTimestamp: return Double(text).flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }
        case .iso8601: return parseISO8601(text)
        case .rfc822: return parseRFC822(text)
        case nil: return parseISO8601(text) ?? parseRFC822(text) ?? Double(text).flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }
        }
    }

    static func parseISO8601(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += count
            return v
        }
        func take(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = number(4), take(UInt8(ascii: "-")), let mo = number(2), take(UInt8(ascii: "-")), let d = number(2) else { return nil }
        guard take(UInt8(ascii: "T")) || take(UInt8(ascii: "t")) || take(UInt8(ascii: " ")) else { return nil }
        guard let h = number(2), take(UInt8(ascii: ":")), let mi = number(2), take(UInt8(ascii: ":")), let s = number(2) else { return nil }
        var fraction = 0.0
        if take(UInt8(ascii: ".")) {
            var scale = 0.1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
        }
        var offset = 0
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2) else { return nil }
            _ = take(UInt8(ascii: ":"))
            guard let om = number(2) else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        let days = days(fromCivil: y, mo, d)
        let seconds = Double(days) * 86_400 + Double(h * 3600 + mi * 60 + s - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    static func parseRFC822(_ text: String) -> Date? {
        // "Sun, 22 Nov 2026 17:00:00 GMT"
        let parts = text.split(separator: " ")
        guard parts.count == 6 || parts.count == 5 else { return nil }
        let p = parts.count == 6 ? Array(parts.dropFirst()) : Array(parts)
        guard let d = Int(p[0]), let mo = months.firstIndex(where: { $0.description == p[1] }), let y = Int(p[2]), p[4] == "GMT" || p[4] == "UTC" || p[4] == "Z" else {
            return nil
        }
        let t = p[3].split(separator: ":")
        guard t.count == 3, let h = Int(t[0]), let mi = Int(t[1]), let s = Int(t[2]), h < 24, mi < 60, s < 61, (1...31).contains(d) else { return nil }
        return Date(timeIntervalSince1970: Double(days(fromCivil: y, mo + 1, d)) * 86_400 + Double(h * 3600 + mi * 60 + s))
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    // Howard Hinnant's civil-from-days algorithms.
    static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
