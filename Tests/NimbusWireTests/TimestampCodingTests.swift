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
