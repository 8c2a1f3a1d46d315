//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
@testable import NimbusAudit
import NimbusCore
import Testing

@Suite struct AuditEventTests {
    static let time = Date(timeIntervalSince1970: 1_795_366_800.75)  // 2026-11-22T17:00:00.75Z

    static let alice = Principal(
        kind: .user,
        accountID: "111122223333",
        arn: "arn:aws:iam::111122223333:user/Alice",
        userID: "AIDAJ45Q7YFFAREXAMPLE",
        accessKeyID: "AKIAIOSFODNN7EXAMPLE"
    )

    /// A record shaped as CloudTrail delivers it (compare the CloudTrail log file examples).
    @Test func rendersLikeCloudTrail() {
        let event = AuditEvent(
            userIdentity: UserIdentity(Self.alice),
            eventTime: Self.time,
            eventSource: "iam.amazonaws.com",
            eventName: "CreateUser",
            awsRegion: "us-east-1",
            sourceIPAddress: "192.0.2.1",
            userAgent: "aws-cli/2.15.0 Python/3.11.6",
            requestParameters: .object([("userName", .string("Bob")), ("path", .string("/"))]),
            responseElements: .object([
                (
                    "user",
                    .object([
                        ("path", .string("/")),
                        ("userName", .string("Bob")),
                        ("userId", .string("AIDACKCEVSQ6C2EXAMPLE")),
                        ("arn", .string("arn:aws:iam::111122223333:user/Bob")),
                        ("createDate", .string("Nov 22, 2026 5:00:00 PM")),
                    ])
                )
            ]),
            requestID: "6a7ff1c7-1234-4c5e-9c1e-0123456789ab",
            eventID: "0d5f9f7b-5678-4c5e-9c1e-0123456789ab",
            readOnly: false,
            resources: [AuditResource(type: "AWS::IAM::User", arn: "arn:aws:iam::111122223333:user/Bob", accountId: "111122223333")],
            recipientAccountId: "111122223333",
            tlsDetails: TLSDetails(tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256", clientProvidedHostHeader: "iam.amazonaws.com")
        )
        let golden = """
            {"eventVersion":"1.08",\
            "userIdentity":{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::111122223333:user/Alice",\
            "accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"Alice"},\
            "eventTime":"2026-11-22T17:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser",\
            "awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.15.0 Python/3.11.6",\
            "requestParameters":{"userName":"Bob","path":"/"},\
            "responseElements":{"user":{"path":"/","userName":"Bob","userId":"AIDACKCEVSQ6C2EXAMPLE",\
            "arn":"arn:aws:iam::111122223333:user/Bob","createDate":"Nov 22, 2026 5:00:00 PM"}},\
            "requestID":"6a7ff1c7-1234-4c5e-9c1e-0123456789ab","eventID":"0d5f9f7b-5678-4c5e-9c1e-0123456789ab",\
            "readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::IAM::User","ARN":"arn:aws:iam::111122223333:user/Bob"}],\
            "eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management",\
            "tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}
            """
        #expect(event.cloudTrailJSON == golden)
    }

    @Test func failedCallPutsTheErrorBeforeTheParameters() {
        let context = RequestContext(
            requestID: "req-1",
            receivedAt: Self.time,
            sourceIP: "198.51.100.7",
            userAgent: "Boto3/1.34.0",
            region: "eu-west-1",
            service: "iam",
            operation: "CreateUser",
            principal: Self.alice,
            isSecureTransport: false
        )
        let denied = AWSError.accessDenied("User: arn:aws:iam::111122223333:user/Alice is not authorized to perform: iam:CreateUser")
        let event = AuditEvent(
            context: context,
            eventTime: Self.time,
            readOnly: false,
            responseElements: .object([("ignored", .bool(true))]),
            error: denied
        )
        #expect(event.eventSource == "iam.amazonaws.com")
        #expect(event.recipientAccountId == "111122223333")
        #expect(event.responseElements == nil)
        let json = event.cloudTrailJSON
        #expect(
            json.contains(
                #""userAgent":"Boto3/1.34.0","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::111122223333:user/Alice is not authorized to perform: iam:CreateUser","requestParameters":null,"responseElements":null,"requestID":"req-1""#
            )
        )
        #expect(!json.contains("tlsDetails") && !json.contains("resources"))
    }

    @Test func identitiesOfEveryKindOfPrincipal() {
        let root = UserIdentity(.root(of: "111122223333", accessKeyID: "AKIAROOT"))
        #expect(
            root
                == UserIdentity(
                    type: "Root",
                    principalId: "111122223333",
                    arn: "arn:aws:iam::111122223333:root",
                    accountId: "111122223333",
                    accessKeyId: "AKIAROOT"
                )
        )

        let session = Principal(
            kind: .assumedRole,
            accountID: "111122223333",
            arn: "arn:aws:sts::111122223333:assumed-role/Admin/alice-session",
            userID: "AROAEXAMPLEID:alice-session",
            accessKeyID: "ASIAEXAMPLE",
            mfaAuthenticatedAt: Self.time,
            sessionIssuer: "arn:aws:iam::111122223333:role/Admin"
        )
        let event = AuditEvent(
            userIdentity: UserIdentity(session),
            eventTime: Self.time,
            eventSource: "sts.amazonaws.com",
            eventName: "GetCallerIdentity",
            awsRegion: "us-east-1",
            sourceIPAddress: "127.0.0.1",
            userAgent: "test",
            requestID: "r",
            eventID: "e",
            readOnly: true,
            recipientAccountId: "111122223333"
        )
        #expect(event.username == "alice-session")
        #expect(
            event.cloudTrailJSON.contains(
                """
                "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:alice-session",\
                "arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice-session","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE",\
                "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/Admin",\
                "accountId":"111122223333","userName":"Admin"},"webIdFederationData":{},"attributes":{"mfaAuthenticated":"true"}}}
                """
            )
        )

        let anonymous = UserIdentity(.anonymous)
        #expect(anonymous == UserIdentity(type: "AWSAccount", principalId: "", accountId: "anonymous"))
    }

    @Test func decodesItsOwnRecord() throws {
        let event = AuditEvent(
            userIdentity: UserIdentity(.root(of: "111122223333")),
            eventTime: Self.time,
            eventSource: "s3.amazonaws.com",
            eventName: "CreateBucket",
            awsRegion: "us-east-1",
            sourceIPAddress: "127.0.0.1",
            userAgent: "curl/8 \"quoted\"\n\u{01}",
            errorCode: "BucketAlreadyExists",
            errorMessage: "exists",
            requestParameters: .object([
                ("bucketName", .string("b")), ("count", .number(3)), ("ratio", .number(0.5)), ("list", .array([.null, .bool(true)])),
            ]),
            requestID: "r",
            eventID: "e",
            readOnly: false,
            resources: [AuditResource(type: "AWS::S3::Bucket", arn: "arn:aws:s3:::b")],
            recipientAccountId: "111122223333",
            tlsDetails: TLSDetails(tlsVersion: "TLSv1.2", cipherSuite: "ECDHE-RSA-AES128-GCM-SHA256", clientProvidedHostHeader: "localhost")
        )
        let json = event.cloudTrailJSON
        #expect(json.contains(#""userAgent":"curl/8 \"quoted\"\n\u0001""#))
        let decoded = try JSONDecoder().decode(AuditEvent.self, from: Data(json.utf8))
        var expected = event
        expected.eventTime = Date(timeIntervalSince1970: 1_795_366_800)
        // JSONValue decodes object members sorted by key.
        expected.requestParameters = .object([
            ("bucketName", .string("b")), ("count", .number(3)), ("list", .array([.null, .bool(true)])), ("ratio", .number(0.5)),
        ])
        #expect(decoded == expected)
        #expect(decoded.cloudTrailJSON.count == json.count)
        // Codable encoding goes through the same members.
        let reencoded = try JSONDecoder().decode(AuditEvent.self, from: JSONEncoder().encode(event))
        #expect(reencoded == expected)
    }

    /// One event per kind of identity, with or without an error (and then without resources, response or TLS details).
    static func everyKindOfEvent(failed: Bool) -> [(Principal.Kind, AuditEvent)] {
        var session = Principal(
            kind: .assumedRole,
            accountID: "111122223333",
            arn: "arn:aws:sts::111122223333:assumed-role/Admin/s",
            userID: "AROAEXAMPLEID:s",
            accessKeyID: "ASIAEXAMPLE",
            sessionIssuer: "arn:aws:iam::111122223333:role/Admin"
        )
        session.sessionCreatedAt = Self.time
        session.mfaAuthenticatedAt = Self.time
        var web = Principal(kind: .webIdentity, accountID: "111122223333", arn: "arn:aws:iam::111122223333:oidc-provider/idp.example/x", userID: "u")
        web.federatedSubject = "sub-1"
        let principals: [Principal] = [.root(of: "111122223333"), Self.alice, session, web, .anonymous]
        return principals.map { principal in
            var identity = UserIdentity(principal)
            identity.invokedBy = principal.kind == .root ? "s3.amazonaws.com" : nil
            let event = AuditEvent(
                userIdentity: identity,
                eventTime: Self.time,
                eventSource: "s3.amazonaws.com",
                eventName: "PutObject",
                awsRegion: "eu-west-1",
                sourceIPAddress: "192.0.2.7",
                userAgent: "agent \\ \"x\"",
                errorCode: failed ? "AccessDenied" : nil,
                errorMessage: failed ? "no" : nil,
                requestParameters: .object([
                    ("bucketName", .string("b")), ("nested", .object([("z", .bool(true)), ("a", .array([.number(1), .null, .number(-2.5)]))])),
                    ("text", .string("\"\\\n\u{1}é😀")), ("big", .number(12_345_678_901)),
                ]),
                responseElements: failed ? nil : .object([]),
                requestID: "r",
                eventID: "e",
                readOnly: false,
                resources: failed ? nil : [
                    AuditResource(type: "AWS::S3::Bucket", arn: "arn:aws:s3:::b"),
                    AuditResource(type: "AWS::S3::Object", arn: "arn:aws:s3:::b/k", accountId: "111122223333"),
                ],
                recipientAccountId: "111122223333",
                tlsDetails: failed ? nil : TLSDetails(tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256", clientProvidedHostHeader: "h")
            )
            return (principal.kind, event)
        }
    }

    /// The bytes every call writes are the same as the ordered value rendered: commas, nesting and empty
    /// objects included, for every kind of identity.
    @Test(arguments: [false, true])
    func bytesWrittenDirectlyMatchTheRenderedValue(failed: Bool) {
        for (kind, event) in Self.everyKindOfEvent(failed: failed) {
            #expect(event.cloudTrailJSON == event.jsonValue.compactJSON(), "\(kind)")
        }
    }

    /// Lookups read stored records with `JSONParser`; they must get what the `Decodable` conformance gets.
    @Test(arguments: [false, true])
    func recordsReadBackAsDecodingDoes(failed: Bool) throws {
        for (kind, event) in Self.everyKindOfEvent(failed: failed) {
            let bytes = event.cloudTrailJSONBytes
            let decoded = try JSONDecoder().decode(AuditEvent.self, from: Data(bytes))
            #expect(try AuditEvent(record: bytes) == decoded, "\(kind)")
        }
    }

    /// A damaged or foreign record is an error, never a trap.
    @Test func malformedRecordsAreErrors() throws {
        let good = try #require(Self.everyKindOfEvent(failed: false).first?.1.cloudTrailJSON)
        let damaged = [
            "", "[]", "{}", "null", String(good.dropLast()), good.replacingOccurrences(of: "\"readOnly\":false", with: "\"readOnly\":\"no\""),
            good.replacingOccurrences(of: "\"eventTime\":\"", with: "\"eventTime\":\"x"),
            good.replacingOccurrences(of: "\"resources\":[", with: "\"resources\":[1,"),
            good.replacingOccurrences(of: "\"userIdentity\":{", with: "\"userIdentity\":{\"type\":7,\"x\":"),
        ]
        for text in damaged {
            #expect(throws: JSONReadError.self) { try AuditEvent(record: Array(text.utf8)) }
        }
    }

    @Test func resourceNames() {
        #expect(AuditResource(type: "AWS::S3::Bucket", arn: "arn:aws:s3:::my-bucket").name == "my-bucket")
        #expect(AuditResource(type: "AWS::IAM::User", arn: "arn:aws:iam::111122223333:user/div/alice").name == "alice")
        #expect(AuditResource(type: "AWS::KMS::Key", arn: "arn:aws:kms:us-east-1:111122223333:key/1234").name == "1234")
    }
}
