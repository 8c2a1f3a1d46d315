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

struct AssumeRoleInput: Codable, Sendable, Equatable {
    struct Tag: Codable, Sendable, Equatable {
        var Key: String
        var Value: String
    }

    var RoleArn: String
    var RoleSessionName: String
    var DurationSeconds: Int?
    var Tags: [Tag]?
    var ExternalId: String?
}

struct AssumeRoleOutput: Codable, Sendable {
    struct Credentials: Codable, Sendable {
        var AccessKeyId: String
        var SecretAccessKey: String
        var SessionToken: String
        var Expiration: Date
    }

    var Credentials: Credentials
    var PackedPolicySize: Int?
}

enum Algorithm: String, Codable, Sendable {
    case symmetric = "SYMMETRIC_DEFAULT"
}

struct EncryptInput: Codable, Sendable {
    var KeyId: String
    var Plaintext: Data
    var EncryptionContext: [String: String]?
    var EncryptionAlgorithm: Algorithm?
}

struct EncryptOutput: Codable, Sendable {
    var CiphertextBlob: [UInt8]
    var KeyId: String
    var EncryptionAlgorithm: Algorithm
}

@Suite struct HandlerTests {
    @Test func shapeCodingRoundTrip() throws {
        let value = ShapeValue.structure([
            "RoleArn": .string("arn"),
            "RoleSessionName": .string("s"),
            "Tags": .list([.structure(["Key": .string("k"), "Value": .string("v"), "Unknown": .integer(1)])]),
            "NotInTheStruct": .boolean(true),
        ])
        let input = try ShapeDecoder().decode(AssumeRoleInput.self, from: value)
        #expect(input == AssumeRoleInput(RoleArn: "arn", RoleSessionName: "s", Tags: [.init(Key: "k", Value: "v")]))
        #expect(input.DurationSeconds == nil)
        #expect(
            try ShapeEncoder().encode(input)
                == .structure([
                    "RoleArn": .string("arn"), "RoleSessionName": .string("s"),
                    "Tags": .list([.structure(["Key": .string("k"), "Value": .string("v")])]),
                ])
        )
        #expect(try ShapeEncoder().encode(EmptyShape()) == .structure([:]))
        #expect(try ShapeDecoder().decode(EmptyShape.self, from: .structure(["x": .integer(1)])) == EmptyShape())
    }

    @Test func datesBlobsEnumsAndMaps() throws {
        let output = EncryptOutput(CiphertextBlob: [1, 2], KeyId: "k", EncryptionAlgorithm: .symmetric)
        #expect(
            try ShapeEncoder().encode(output)
                == .structure(["CiphertextBlob": .blob([1, 2]), "KeyId": .string("k"), "EncryptionAlgorithm": .string("SYMMETRIC_DEFAULT")])
        )
        let input = try ShapeDecoder().decode(
            EncryptInput.self,
            from: .structure(["KeyId": .string("k"), "Plaintext": .blob([104, 105]), "EncryptionContext": .map(["a": .string("b")])])
        )
        #expect(input.Plaintext == Data("hi".utf8))
        #expect(input.EncryptionContext == ["a": "b"])
        let credentials = AssumeRoleOutput.Credentials(AccessKeyId: "A", SecretAccessKey: "S", SessionToken: "T", Expiration: fixedDate)
        #expect(try ShapeEncoder().encode(credentials)["Expiration"] == .timestamp(fixedDate))
    }

    @Test("scalars, optionals and string maps decode the same on the direct paths as through Decodable")
    func directDecodingPaths() throws {
        struct Members: Decodable, Equatable {
            var name: String
            var count: Int
            var big: Int64?
            var small: Int32?
            var ratio: Double?
            var flag: Bool?
            var missing: String?
            var tags: [String: String]?
        }
        let value = ShapeValue.structure([
            "Name": .string("n"), "Count": .string("7"), "big": .integer(1 << 40), "small": .integer(-3), "ratio": .integer(2),
            "flag": .string("true"), "tags": .map(["a": .string("b"), "n": .integer(5)]),
        ])
        let decoded = try ShapeDecoder().decode(Members.self, from: value)
        #expect(decoded == Members(name: "n", count: 7, big: 1 << 40, small: -3, ratio: 2, flag: true, missing: nil, tags: ["a": "b", "n": "5"]))
        // A structure read as a string map, as the query protocol delivers one.
        #expect(try ShapeDecoder().decode([String: String].self, from: .structure(["k": .string("v")])) == ["k": "v"])
        // Errors still name where they happened.
        do {
            _ = try ShapeDecoder().decode(Members.self, from: .structure(["Name": .string("n"), "Count": .string("x")]))
            Issue.record("a count of x decoded")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["count"])
        }
        do {
            _ = try ShapeDecoder().decode(Members.self, from: .structure(["Name": .string("n"), "Count": .integer(1), "tags": .map(["a": .list([])])]))
            Issue.record("a list decoded as a string")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["tags", "a"])
        }
        #expect(throws: DecodingError.self) { try ShapeDecoder().decode(Members.self, from: .structure(["Name": .string("n"), "Count": .integer(1), "small": .integer(1 << 40)])) }
    }

    @Test func handlerThroughTheCodec() async throws {
        let handler = OperationHandler { (input: AssumeRoleInput, context: RequestContext) in
            #expect(context.operation == "AssumeRole")
            return AssumeRoleOutput(
                Credentials: .init(AccessKeyId: "ASIA1", SecretAccessKey: "s", SessionToken: input.RoleSessionName, Expiration: fixedDate),
                PackedPolicySize: nil
            )
        }
        let service = ServiceDefinition(model: .sts, handlers: ["AssumeRole": handler])
        let codec = service.codec
        let request = formRequest(
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=sess"
        )
        let operation = try codec.operation(for: request)
        let input = try codec.decodeInput(operation, from: request)
        let output = try await service.handlers[operation.name]!(input, context(operation: operation.name))
        let response = codec.encodeOutput(operation, output, requestID: "r")
        #expect(
            text(response.body)
                == #"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>"#
                + "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>sess</SessionToken>"
                + "<Expiration>2026-11-22T17:00:00Z</Expiration></Credentials></AssumeRoleResult>"
                + "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
        )
    }

    @Test func handlerErrors() async {
        let failing = OperationHandler { (_: EmptyShape, _: RequestContext) -> EmptyShape in
            throw AWSError(code: "NoSuchEntity", message: "The role with name r cannot be found.", status: 404)
        }
        await #expect(throws: AWSError(code: "NoSuchEntity", message: "")) {
            try await failing(.empty, context())
        }
        let strict = OperationHandler { (input: AssumeRoleInput, _: RequestContext) in input }
        do {
            _ = try await strict(.structure(["RoleArn": .string("a")]), context())
            Issue.record("expected a validation error")
        } catch let error as AWSError {
            #expect(error.code == "ValidationError")
            #expect(error.message == "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

/// Swift-style property names, no `CodingKeys`: matched to `RoleArn`, `SSEKMSKeyId` … ignoring case.
struct SwiftyInput: Codable, Sendable {
    var roleArn: String
    var roleSessionName: String
    var durationSeconds: Int?
}

struct SwiftyOutput: Codable, Sendable {
    struct Credentials: Codable, Sendable {
        var accessKeyId: String
        var secretAccessKey: String
        var sessionToken: String
        var expiration: Date
    }

    var credentials: Credentials
    var packedPolicySize: Int?
}

@Suite struct CaseInsensitiveMemberTests {
    @Test func swiftStylePropertyNamesRoundTrip() throws {
        let input = try ShapeDecoder().decode(
            SwiftyInput.self,
            from: .structure(["RoleArn": .string("arn"), "RoleSessionName": .string("s"), "DurationSeconds": .integer(900)])
        )
        #expect(input.roleArn == "arn")
        #expect(input.durationSeconds == 900)

        let output = SwiftyOutput(credentials: .init(accessKeyId: "A", secretAccessKey: "S", sessionToken: "T", expiration: fixedDate), packedPolicySize: 1)
        let codec = ServiceCodec(model: .sts)
        let operation = try #require(ServiceModel.sts.operations["AssumeRole"])
        let body = text(codec.encodeOutput(operation, try ShapeEncoder().encode(output), requestID: "r").body)
        #expect(body.contains("<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"))
        #expect(body.contains("<PackedPolicySize>1</PackedPolicySize>"))
        #expect(
            ServiceModel.sts.responseElements(operation, try ShapeEncoder().encode(output))?["packedPolicySize"] == .number(1)
        )
    }
}
