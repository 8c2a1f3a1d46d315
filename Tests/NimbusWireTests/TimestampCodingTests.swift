//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusWire
import Testing

@Suite struct TimestampCodingTests {
    @Test func formatsEveryFormat() {
        let date = Date(timeIntervalSince1970: 1_440_938_160.5)
        #expect(TimestampCoding.format(date, .iso8601) == "2015-08-30T12:36:00.500Z")
        #expect(TimestampCoding.format(date, .rfc822) == "Sun, 30 Aug 2015 12:36:00 GMT")
        #expect(TimestampCoding.format(date, .unixTimestamp) == "1440938160.5")
    }

    /// Dates computed from a client's numbers can lie far outside four-digit years; formatting them used to trap.
    /// The formatter writes bytes by hand; Foundation's formatters are the oracle (from 1900 on: before the
    /// Gregorian reform Foundation switches calendars), and parsing must give every date back across all years.
    @Test func formatsAsFoundationDoesAndParsesBack() throws {
        let iso = DateFormatter()
        iso.locale = Locale(identifier: "en_US_POSIX")
        iso.timeZone = TimeZone(identifier: "UTC")
        iso.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        let rfc = DateFormatter()
        rfc.locale = Locale(identifier: "en_US_POSIX")
        rfc.timeZone = TimeZone(identifier: "UTC")
        rfc.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        for index in 0..<2_000 {
            // Whole milliseconds, half of them whole seconds.
            let millis = Int64.random(in: -2_208_988_800_000...13_569_465_600_000, using: &generator)
            let interval = Double(index.isMultiple(of: 2) ? millis / 1000 * 1000 : millis) / 1000
            let date = Date(timeIntervalSince1970: interval)
            let formatted = TimestampCoding.format(date, .iso8601, fractional: true)
            #expect(formatted == iso.string(from: date))
            #expect(TimestampCoding.format(date, .rfc822) == rfc.string(from: date))
            if index.isMultiple(of: 2) { #expect(TimestampCoding.format(date, .iso8601) == String(formatted.dropLast(5)) + "Z") }
        }
        for _ in 0..<2_000 {
            let seconds = Double(Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            #expect(TimestampCoding.parse(TimestampCoding.format(date, .iso8601), format: .iso8601) == date)
            #expect(TimestampCoding.parse(TimestampCoding.format(date, .rfc822), format: .rfc822) == date)
        }
    }

    @Test(arguments: [Double.greatestFiniteMagnitude, 1e20, -1e20, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan])
    func extremeDatesAreClampedNotTrapped(_ interval: Double) {
        let date = Date(timeIntervalSince1970: interval)
        let iso = TimestampCoding.format(date, .iso8601)
        let rfc = TimestampCoding.format(date, .rfc822)
        _ = TimestampCoding.format(date, .unixTimestamp)
        if interval.isNaN {
            #expect(iso == "1970-01-01T00:00:00Z")
        } else if interval > 0 {
            #expect(iso == "9999-12-31T23:59:59Z")
            #expect(rfc == "Fri, 31 Dec 9999 23:59:59 GMT")
        } else {
            #expect(iso == "0001-01-01T00:00:00Z")
        }
    }
}
