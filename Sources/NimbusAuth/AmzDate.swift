//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

package import Foundation
import NimbusCore

/// SigV4 timestamps: `20150830T123600Z`, and the HTTP `Date` header's `Sun, 30 Aug 2015 12:36:00 GMT`.
///
/// Hand-written rather than `DateFormatter`, which is slow and locale-dependent on the hot path.
package enum AmzDate {
    /// Parses `yyyyMMdd'T'HHmmss'Z'`.
    package static func parseBasic(_ string: some StringProtocol) -> Date? {
        if let parsed = string.utf8.withContiguousStorageIfAvailable({ parseBasic(bytes: $0) }) { return parsed }
        return Array(string.utf8).withUnsafeBufferPointer { parseBasic(bytes: $0) }
    }

    private static func parseBasic(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        guard let year = digits(b, 0, 4), let month = digits(b, 4, 2), let day = digits(b, 6, 2),
            let hour = digits(b, 9, 2), let minute = digits(b, 11, 2), let second = digits(b, 13, 2)
        else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Parses an RFC 1123 date (`Sun, 30 Aug 2015 12:36:00 GMT`), with a numeric zone too (RFC 2822's
    /// `-0000`, which Python's `email.utils.formatdate` writes), or the basic ISO form that some clients put in `Date`.
    package static func parseHTTP(_ string: some StringProtocol) -> Date? {
        let trimmed = string.trimmingHTTPWhitespace()
        if let basic = parseBasic(trimmed) { return basic }
        guard trimmed.utf8.count <= 64 else { return nil }
        let parts = trimmed.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), let offset = zoneOffset(parts[5]) else { return nil }
        guard let day = Int(parts[1]), let monthIndex = months.firstIndex(of: parts[2].lowercased()), let year = Int(parts[3]) else {
            return nil
        }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]) else { return nil }
        return make(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)?
            .addingTimeInterval(-TimeInterval(offset))
    }

    /// Seconds east of UTC for `GMT`, `UTC` or `±hhmm`.
    private static func zoneOffset(_ zone: Substring) -> Int? {
        if zone == "GMT" || zone == "UTC" { return 0 }
        let b = Array(zone.utf8)
        guard b.count == 5, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"),
            let hhmm = b.withUnsafeBufferPointer({ digits($0, 1, 4) }), hhmm / 100 < 24, hhmm % 100 < 60
        else { return nil }
        return (b[0] == UInt8(ascii: "-") ? -1 : 1) * (hhmm / 100 * 3_600 + hhmm % 100 * 60)
    }

    /// `20150830T123600Z`.
    package static func formatBasic(_ date: Date) -> String {
        let c = components(date)
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }

    /// `2015-08-30T12:36:00Z`, as S3 writes `<ServerTime>`.
    package static func formatExtended(_ date: Date) -> String {
        let c = components(date)
        return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + "T" + pad(c.hour, 2) + ":" + pad(c.minute, 2) + ":"
            + pad(c.second, 2) + "Z"
    }

    private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for i in start..<(start + count) {
            guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
            value = value * 10 + Int(b[i] - 0x30)
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
        guard (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func components(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = total - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return (year, month, day, secondOfDay / 3_600, (secondOfDay % 3_600) / 60, secondOfDay % 60)
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
