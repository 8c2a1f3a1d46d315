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

@Suite struct AuditParametersTests {
    @Test func assumeRoleRequestAndResponse() throws {
        let model = ServiceModel.sts
        let operation = try #require(model.operations["AssumeRole"])
        let input = ShapeValue.structure([
            "RoleArn": .string("arn:aws:iam::123456789012:role/demo"),
            "RoleSessionName": .string("alice"),
            "DurationSeconds": .integer(3600),
            "Tags": .list([.structure(["Key": .string("k"), "Value": .string("v")])]),
        ])
        #expect(
            model.requestParameters(operation, input)
                == .object([
                    ("roleArn", .string("arn:aws:iam::123456789012:role/demo")),
                    ("roleSessionName", .string("alice")),
                    ("durationSeconds", .number(3600)),
                    ("tags", .array([.object([("key", .string("k")), ("value", .string("v"))])])),
                ])
        )
        let output = ShapeValue.structure([
            "Credentials": .structure([
                "AccessKeyId": .string("ASIA1"),
                "SecretAccessKey": .string("secret"),
                "SessionToken": .string("token"),
                "Expiration": .timestamp(fixedDate),
            ]),
            "AssumedRoleUser": .structure(["AssumedRoleId": .string("AROA1:alice"), "Arn": .string("arn:aws:sts::123456789012:assumed-role/demo/alice")]),
        ])
        #expect(
            model.responseElements(operation, output)
                == .object([
                    (
                        "credentials",
                        .object([
                            ("accessKeyId", .string("ASIA1")),
                            ("secretAccessKey", .string("HIDDEN_DUE_TO_SECURITY_REASONS")),
                            ("sessionToken", .string("token")),
                            ("expiration", .string("Nov 22, 2026, 5:00:00 PM")),
                        ])
                    ),
                    (
                        "assumedRoleUser",
                        .object([("assumedRoleId", .string("AROA1:alice")), ("arn", .string("arn:aws:sts::123456789012:assumed-role/demo/alice"))])
                    ),
                ])
        )
        #expect(model.auditParameters(.timestamp(fixedDate), shape: "dateType", timestamps: .iso8601) == .string("2026-11-22T17:00:00Z"))
    }

    @Test func emptyInputIsNull() throws {
        let operation = try #require(ServiceModel.sts.operations["GetCallerIdentity"])
        #expect(ServiceModel.sts.requestParameters(operation, .empty) == nil)
    }

    @Test func sensitiveAndBlobMembers() throws {
        let iam = ServiceModel.iam
        let login = try #require(iam.operations["CreateLoginProfile"])
        #expect(
            iam.requestParameters(login, .structure(["UserName": .string("alice"), "Password": .string("hunter2"), "PasswordResetRequired": .boolean(true)]))
                == .object([("userName", .string("alice")), ("password", .string("HIDDEN_DUE_TO_SECURITY_REASONS")), ("passwordResetRequired", .bool(true))])
        )
        let kms = ServiceModel.kms
        let encrypt = try #require(kms.operations["Encrypt"])
        #expect(
            kms.requestParameters(encrypt, .structure(["KeyId": .string("alias/x"), "Plaintext": .blob([1]), "EncryptionContext": .map(["a": .string("b")])]))
                == .object([
                    ("keyId", .string("alias/x")), ("plaintext", .string("HIDDEN_DUE_TO_SECURITY_REASONS")),
                    ("encryptionContext", .object([("a", .string("b"))])),
                ])
        )
        #expect(
            kms.responseElements(encrypt, .structure(["CiphertextBlob": .blob([1, 2]), "KeyId": .string("k")]))
                == .object([("keyId", .string("k"))])
        )
    }

    @Test func s3NamesTheBucketLikeCloudTrail() throws {
        let s3 = ServiceModel.s3
        let put = try #require(s3.operations["PutObject"])
        #expect(
            s3.requestParameters(put, .structure(["Bucket": .string("photos"), "Key": .string("cat.jpg")]))
                == .object([("bucketName", .string("photos")), ("key", .string("cat.jpg"))])
        )
    }

    @Test func cloudTrailDateFormat() {
        let model = ServiceModel.sts
        let cases: [(Double, String)] = [
            (1_795_366_800, "Nov 22, 2026, 5:00:00 PM"),
            (1_704_164_645, "Jan 2, 2024, 3:04:05 AM"),
            (1_704_153_600, "Jan 2, 2024, 12:00:00 AM"),
            (1_704_196_800, "Jan 2, 2024, 12:00:00 PM"),
        ]
        for (seconds, expected) in cases {
            #expect(model.auditParameters(.timestamp(Date(timeIntervalSince1970: seconds)), shape: "dateType") == .string(expected))
        }
    }
}
