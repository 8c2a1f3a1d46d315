//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusWire
import Testing

@Suite struct QueryProtocolTests {
    let codec = ServiceCodec(model: .sts)

    func form(_ body: String) -> WireRequest {
        WireRequest(
            method: "POST",
            path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            host: "sts.localhost",
            body: Array(body.utf8)
        )
    }

    @Test func getCallerIdentityRoundTrip() throws {
        let request = form("Action=GetCallerIdentity&Version=2011-06-15")
        let operation: NimbusWire.Operation = try codec.operation(for: request)
        #expect(operation.name == "GetCallerIdentity")
        #expect(try codec.decodeInput(operation, from: request) == .structure([:]))
        let output = ShapeValue.structure([
            "Arn": .string("arn:aws:iam::123456789012:user/alice"),
            "UserId": .string("AIDAEXAMPLE"),
            "Account": .string("123456789012"),
        ])
        let response = codec.encodeOutput(operation, output, requestID: "req-1")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/xml")
        #expect(response.header("x-amzn-RequestId") == "req-1")
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>"#
                + "<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn>"
                + "</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
    }
}
