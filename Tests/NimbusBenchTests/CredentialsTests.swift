//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Testing

@testable import NimbusBench

@Suite struct CredentialsTests {
    @Test func environmentWins() throws {
        let credentials = try BenchCredentials.resolve(
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"],
            readFile: { _ in Issue.record("no file should be read"); return nil }
        )
        #expect(credentials.accessKeyID == "AKIDENV")
        #expect(credentials.sessionToken == "t")
        #expect(!credentials.description.contains("s,"))
    }

    @Test func profileFromSharedFile() throws {
        let file = """
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = d
            # a comment
            [nimbus]
            aws_access_key_id=AKIDNIMBUS
            aws_secret_access_key = wJal/rX=Y
            region = us-east-1
            """
        let credentials = try BenchCredentials.resolve(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": "/x/credentials", "AWS_PROFILE": "nimbus"],
            readFile: { $0 == "/x/credentials" ? file : nil }
        )
        #expect(credentials.accessKeyID == "AKIDNIMBUS")
        #expect(credentials.secretAccessKey == "wJal/rX=Y")
    }

    @Test func missingCredentialsSayWhere() {
        #expect(throws: BenchError.self) {
            try BenchCredentials.resolve(environment: ["HOME": "/nowhere"], readFile: { _ in nil })
        }
    }
}

@Suite struct ParsingTests {
    @Test func errorCodesFromEachProtocol() {
        let query = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error></ErrorResponse>"
        #expect(ErrorCode.extract(headerType: nil, body: query) == "SignatureDoesNotMatch")
        #expect(ErrorCode.message(in: query) == "no")
        #expect(ErrorCode.extract(headerType: nil, body: #"{"__type": "com.amazonaws#ValidationException", "message": "m"}"#) == "ValidationException")
        #expect(ErrorCode.extract(headerType: "UnrecognizedClientException:http://internal.amazon.com/", body: "") == "UnrecognizedClientException")
        #expect(ErrorCode.extract(headerType: nil, body: "<Error><Code>NotImplemented</Code></Error>") == "NotImplemented")
        #expect(ErrorCode.extract(headerType: nil, body: "oops") == nil)
    }

    @Test func sizes() {
        #expect(ByteSize.parse("4096") == 4096)
        #expect(ByteSize.parse("4KiB") == 4096)
        #expect(ByteSize.parse("1m") == 1 << 20)
        #expect(ByteSize.parse("-1") == nil)
        #expect(ByteSize.parse("lots") == nil)
        #expect(ByteSize.format(1 << 30) == "1 GiB")
    }

    @Test func endpoints() throws {
        #expect(try Endpoint("http://127.0.0.1:4566").host == "127.0.0.1:4566")
        #expect(try Endpoint("https://s3.amazonaws.com:443/").host == "s3.amazonaws.com")
        #expect(throws: BenchError.self) { try Endpoint("127.0.0.1:4566") }
    }

    @Test func everyScenarioHasAUniqueName() {
        #expect(Set(Scenario.all.map(\.name)).count == Scenario.all.count)
        #expect(Scenario.named("s3-put")?.service == "s3")
    }
}
