//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import Testing

@testable import NimbusAuth

@Suite struct AmzDateTests {
    static let instant = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test(arguments: [
        "Sun, 30 Aug 2015 12:36:00 GMT", "Sun, 30 Aug 2015 12:36:00 UTC", "20150830T123600Z",
        // RFC 2822's numeric zones: Python's email.utils.formatdate() writes -0000.
        "Sun, 30 Aug 2015 12:36:00 -0000", "Sun, 30 Aug 2015 12:36:00 +0000", "Sun, 30 Aug 2015 14:36:00 +0200",
        "Sun, 30 Aug 2015 07:06:00 -0530",
    ])
    func httpDatesNameTheirInstant(text: String) {
        #expect(AmzDate.parseHTTP(text) == Self.instant)
    }

    @Test(arguments: [
        "Sun, 30 Aug 2015 12:36:00 EST", "Sun, 30 Aug 2015 12:36:00 +2400", "Sun, 30 Aug 2015 12:36:00 +0260",
        "Sun, 30 Aug 2015 12:36:00 0000", "Sun, 30 Aug 2015 12:36:00 +00:00", "Sun, 30 Aug 2015 12:36:00 +-100",
        "Sun, 30 Aug 2015 12:36:00", "",
    ])
    func otherZonesAreNotDates(text: String) {
        #expect(AmzDate.parseHTTP(text) == nil)
    }
}
