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

@Suite struct JSONProtocolTests {
    let cloudTrail = ServiceCodec(model: .cloudtrail)
    let kms = ServiceCodec(model: .kms)
    static let lookupEvents = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

    @Test func lookupEventsRequestWithEpochTimestamps() throws {
        let request = jsonRequest(
            target: Self.lookupEvents,
            #"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"AssumeRole"}],"#
                + #""StartTime":1795366800,"EndTime":1795370400.5,"MaxResults":50,"Extra":{"ignored":[1,2]}}"#
        )
        let operation = try cloudTrail.operation(for: request)
        #expect(operation.name == "LookupEvents")
        let input = try cloudTrail.decodeInput(operation, from: request)
        #expect(
            input
                == .structure([
                    "LookupAttributes": .list([.structure(["AttributeKey": .string("EventName"), "AttributeValue": .string("AssumeRole")])]),
                    "StartTime": .timestamp(fixedDate),
                    "EndTime": .timestamp(Date(timeIntervalSince1970: 1_795_370_400.5)),
                    "MaxResults": .integer(50),
                ])
        )
    }

    @Test func lookupEventsResponseBytes() throws {
        let operation = try #require(ServiceModel.cloudtrail.operations["LookupEvents"])
        let event = ShapeValue.structure([
            "EventId": .string("e-1"),
            "EventName": .string("AssumeRole"),
            "ReadOnly": .string("true"),
            "EventTime": .timestamp(fixedDate),
            "EventSource": .string("sts.amazonaws.com"),
            "Resources": .list([.structure(["ResourceType": .string("AWS::IAM::Role"), "ResourceName": .string("demo")])]),
            "CloudTrailEvent": .string(#"{"eventVersion":"1.08"}"#),
        ])
        let response = cloudTrail.encodeOutput(operation, .structure(["Events": .list([event])]), requestID: "r")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(response.header("x-amzn-RequestId") == "r")
        #expect(
            text(response.body)
                == #"{"Events":[{"EventId":"e-1","EventName":"AssumeRole","ReadOnly":"true","EventTime":1795366800,"#
                + #""EventSource":"sts.amazonaws.com","Resources":[{"ResourceType":"AWS::IAM::Role","ResourceName":"demo"}],"#
                + #""CloudTrailEvent":"{\"eventVersion\":\"1.08\"}"}]}"#
        )
    }

    @Test func kmsEncryptBlobsAreBase64() throws {
        let request = jsonRequest(
            target: "TrentService.Encrypt",
            #"{"KeyId":"alias/demo","Plaintext":"aGVsbG8=","EncryptionContext":{"purpose":"test"}}"#
        )
        let operation = try kms.operation(for: request)
        let input = try kms.decodeInput(operation, from: request)
        #expect(input["Plaintext"] == .blob(Array("hello".utf8)))
        #expect(input["EncryptionContext"] == .map(["purpose": .string("test")]))

        let output = ShapeValue.structure([
            "CiphertextBlob": .blob([0, 1, 2, 254, 255]),
            "KeyId": .string("arn:aws:kms:us-east-1:123456789012:key/k"),
            "EncryptionAlgorithm": .string("SYMMETRIC_DEFAULT"),
        ])
        let response = kms.encodeOutput(operation, output, requestID: "r")
        #expect(
            text(response.body)
                == #"{"CiphertextBlob":"AAEC/v8=","KeyId":"arn:aws:kms:us-east-1:123456789012:key/k","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#
        )
    }

    @Test func validationException() {
        let missing = decodeError(kms, jsonRequest(target: "TrentService.Encrypt", #"{"Plaintext":"aGk="}"#))
        #expect(missing?.code == "ValidationException")
        #expect(missing?.message == "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
        let tooMany = decodeError(cloudTrail, jsonRequest(target: Self.lookupEvents, #"{"MaxResults":51}"#))
        #expect(
            tooMany?.message
                == "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"
        )
        let emptyBlob = decodeError(kms, jsonRequest(target: "TrentService.Encrypt", #"{"KeyId":"k","Plaintext":""}"#))
        #expect(
            emptyBlob?.message
                == "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    }

    /// Lengths count Unicode scalars, as AWS's models mean them: `KeyId` allows 2,048.
    @Test func stringLengthsCountUnicodeScalars() {
        func encrypt(keyID: String) -> AWSError? {
            decodeError(kms, jsonRequest(target: "TrentService.Encrypt", #"{"KeyId":"\#(keyID)","Plaintext":"aGk="}"#))
        }
        // 2,048 scalars of up to 4 UTF-8 bytes each: within the limit.
        #expect(encrypt(keyID: String(repeating: "é", count: 2048)) == nil)
        #expect(encrypt(keyID: String(repeating: "𝄞", count: 2048)) == nil)
        // 2,048 `Character`s of two scalars each (e and a combining acute accent): over it.
        let combining = encrypt(keyID: String(repeating: "e\u{301}", count: 1024) + "e\u{301}")
        #expect(combining?.code == "ValidationException")
        #expect(combining?.message.hasSuffix("at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048") == true)
        #expect(encrypt(keyID: String(repeating: "e\u{301}", count: 1024)) == nil)
    }

    @Test func emptyBodyIsAnEmptyObject() throws {
        let request = jsonRequest(target: "TrentService.ListKeys", "")
        let operation = try kms.operation(for: request)
        #expect(try kms.decodeInput(operation, from: request) == .structure([:]))
    }

    @Test func serializationExceptions() {
        for body in [#"{"KeyId":"#, "[1,2]", #"{"KeyId":5,"Plaintext":"aGk="}"#, #"{"KeyId":"k","Plaintext":"!!!"}"#, "{\"KeyId\":\"\u{1}\"}"] {
            let error = decodeError(kms, jsonRequest(target: "TrentService.Encrypt", body))
            #expect(error?.code == "SerializationException", "\(body)")
            #expect(error?.status == 400)
        }
        let wrongType = decodeError(cloudTrail, jsonRequest(target: Self.lookupEvents, #"{"MaxResults":"ten"}"#))
        #expect(wrongType?.code == "SerializationException")
        #expect(wrongType?.message == "STRING_VALUE can not be converted to an Integer")
    }

    @Test func unknownTargets() {
        for target in ["TrentService.Fly", "Other.Encrypt", "nodot"] {
            #expect(decodeError(kms, jsonRequest(target: target, "{}"))?.code == "UnknownOperationException")
        }
        var noTarget = jsonRequest(target: "x", "{}")
        noTarget.headers.removeAll { $0.name == "X-Amz-Target" }
        #expect(decodeError(kms, noTarget)?.code == "UnknownOperationException")
    }

    @Test func errorResponseBytes() {
        let error = AWSError(code: "NotFoundException", message: "Key 'alias/x' does not exist", status: 400)
        let response = kms.encodeError(error, requestID: "r")
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(response.header("x-amzn-RequestId") == "r")
        #expect(text(response.body) == #"{"__type":"NotFoundException","message":"Key 'alias/x' does not exist"}"#)
    }
}

extension JSONProtocolTests {
    @Test func queryStyleValidationErrorsAreRenamedForJSON() {
        let response = kms.encodeError(.validation("1 validation error detected: bad"), requestID: "r")
        #expect(text(response.body) == #"{"__type":"ValidationException","message":"1 validation error detected: bad"}"#)
        let query = ServiceCodec(model: .sts).encodeError(.validation("bad"), requestID: "r")
        #expect(text(query.body).contains("<Code>ValidationError</Code>"))
    }
}

extension JSONProtocolTests {
    @Test func s3CallsItsInternalFailureInternalError() {
        let s3 = ServiceCodec(model: .s3).encodeError(.internalFailure(), requestID: "r")
        #expect(s3.status == 500)
        #expect(text(s3.body).contains("<Code>InternalError</Code>"))
        #expect(text(kms.encodeError(.internalFailure(), requestID: "r").body).contains(#""__type":"InternalFailure""#))
        #expect(text(ServiceCodec(model: .sts).encodeError(.internalFailure(), requestID: "r").body).contains("<Code>InternalFailure</Code>"))
    }

    /// The names the pipeline records in CloudTrail are the ones the caller saw.
    @Test func errorsInServiceTerms() {
        #expect(ServiceCodec(model: .s3).inServiceTerms(.internalFailure()).code == "InternalError")
        #expect(kms.inServiceTerms(.internalFailure()).code == "InternalFailure")
        #expect(kms.inServiceTerms(.validation("bad")).code == "ValidationException")
        #expect(ServiceCodec(model: .sts).inServiceTerms(.validation("bad")).code == "ValidationError")
        #expect(kms.inServiceTerms(.accessDenied("no")).code == "AccessDenied")
    }
}
