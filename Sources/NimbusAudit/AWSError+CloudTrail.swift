//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

// The errors of CloudTrail's LookupEvents that the audit log itself detects.

extension AWSError {
    public static let invalidNextToken = AWSError(
        code: "InvalidNextTokenException",
        message: "A token that is not valid, or a token that was previously used in a request with different parameters."
    )
    public static let invalidTimeRange = AWSError(
        code: "InvalidTimeRangeException",
        message: "Occurs if the timestamp values are not valid. Either the start time occurs after the end time, "
            + "or the time range is outside the range of possible values."
    )
    public static let invalidMaxResults = AWSError(
        code: "InvalidMaxResultsException",
        message: "Maximum results must be between 1 and 50."
    )
    public static func invalidLookupAttributes(_ message: String) -> AWSError {
        AWSError(code: "InvalidLookupAttributesException", message: message)
    }
}
