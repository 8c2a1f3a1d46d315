//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Testing

@testable import NimbusS3

@Suite struct MetadataEncodingTests {
    @Test func asciiValuesGoOutAsTheyAreAndOthersAsOneUTF8EncodedWord() {
        #expect(S3Service.metadataHeaderValue("plain value =?") == "plain value =?")
        #expect(S3Service.metadataHeaderValue("café") == "=?UTF-8?B?Y2Fmw6k=?=")
        #expect(S3Service.storedMetadataValue(S3Service.metadataHeaderValue("ключ ☃")) == "ключ ☃")
    }

    @Test func encodedWordsAreDecodedBeforeTheyAreStored() {
        #expect(S3Service.storedMetadataValue("=?UTF-8?B?Y2Fmw6k=?=") == "café")
        #expect(S3Service.storedMetadataValue("=?utf-8?q?caf=C3=A9_au_lait?=") == "café au lait")
        #expect(S3Service.storedMetadataValue("=?ISO-8859-1?Q?caf=E9?=") == "café")
        // Whitespace between two encoded-words is not text; around plain text it is.
        #expect(S3Service.storedMetadataValue("=?UTF-8?Q?a?= \t =?UTF-8?Q?b?=") == "ab")
        #expect(S3Service.storedMetadataValue("x =?UTF-8?Q?a?= y") == "x a y")
    }

    @Test(arguments: [
        "=?", "=?UTF-8", "=?UTF-8?B?", "=?UTF-8?B?Y2Fm", "=?UTF-8?X?abc?=", "=?UTF-8?B?not base64!?=",
        "=?UTF-8?Q?=ZZ?=", "=?UTF-8?Q?=C3?=", "=?KOI8-R?B?Y2Fm?=", "=?US-ASCII?Q?=E9?=", "=??B?Y2Fm?=",
        "=?UTF 8?B?Y2Fm?=", "a=?b", "=?UTF-8?Q?=",
    ])
    func anythingElseIsKeptAsItCame(value: String) {
        #expect(S3Service.storedMetadataValue(value) == value)
    }
}
