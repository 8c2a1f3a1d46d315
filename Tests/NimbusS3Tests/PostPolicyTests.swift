//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Testing

@testable import NimbusS3

@Suite struct PostPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_450_000_000)  // 2015-12-13

    static func base64(_ json: String) -> String { Data(json.utf8).base64EncodedString() }

    static func policy(_ conditions: String, expiration: String = "2015-12-30T12:00:00.000Z") throws(AWSError) -> PostPolicy {
        try PostPolicy(base64: base64(#"{"expiration": "\#(expiration)", "conditions": [\#(conditions)]}"#))
    }

    static func check(_ policy: PostPolicy, _ fields: [String: String], size: Int64 = 10, names: [String]? = nil) -> AWSError? {
        do {
            try policy.check(fields: fields, formFieldNames: names ?? Array(fields.keys), fileSize: size, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesTheThreeKindsOfCondition() throws {
        let policy = try Self.policy(
            #"{"Bucket": "b"}, ["eq", "$ACL", "public-read"], ["starts-with", "$key", "user/"], ["content-length-range", 1, "1024"]"#
        )
        #expect(policy.expiration == Date(timeIntervalSince1970: 1_451_476_800))
        #expect(policy.conditions == [
            .equals(field: "bucket", value: "b"), .equals(field: "acl", value: "public-read"),
            .startsWith(field: "key", prefix: "user/"), .contentLengthRange(min: 1, max: 1024),
        ])
        // Without fractional seconds, as boto3 writes it.
        #expect(try Self.policy("", expiration: "2015-12-30T12:00:00Z").expiration == Date(timeIntervalSince1970: 1_451_476_800))
    }

    @Test(arguments: [
        ("not base64!", "Invalid JSON."),
        (base64("[1, 2]"), "Invalid JSON."),
        (base64(#"{"conditions": []}"#), "Policy missing expiration."),
        (base64(#"{"expiration": "tomorrow", "conditions": []}"#), "Invalid 'expiration' value: 'tomorrow'"),
        // Python's str(datetime): a space for the `T`, which S3 does not take.
        (base64(#"{"expiration": "2015-12-30 12:00:00.123456+00:00", "conditions": []}"#),
         "Invalid 'expiration' value: '2015-12-30 12:00:00.123456+00:00'"),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z"}"#), "Policy missing conditions."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": {}}"#), "Invalid 'conditions' value: must be a List."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [{"a": "1", "b": "2"}]}"#),
         "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [{"a": 1}]}"#), "Invalid Simple-Condition: value must be a string."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [["eq", "$a"]]}"#), "Invalid 'eq' condition: wrong number of arguments."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [["eq", "a", "b"]]}"#),
         "Invalid 'eq' condition: the field name must be a string starting with '$'."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [["matches", "$a", "b"]]}"#), "Invalid Condition: unknown operation 'matches'."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [["content-length-range", 10, 1]]}"#),
         "Invalid content-length-range condition: expecting two non-negative integers, minimum first."),
        (base64(#"{"expiration": "2015-12-30T12:00:00Z", "conditions": [["content-length-range", 1.5, 2]]}"#),
         "Invalid content-length-range condition: expecting two non-negative integers, minimum first."),
    ])
    func invalidDocuments(_ policy: String, _ message: String) {
        do {
            _ = try PostPolicy(base64: policy)
            Issue.record("accepted")
        } catch {
            #expect(error.code == "InvalidPolicyDocument")
            #expect(error.message == "Invalid Policy: " + message)
        }
    }

    @Test func expiry() throws {
        let policy = try Self.policy(#"{"key": "k"}"#, expiration: "2015-12-13T09:46:40Z")  // exactly `now`
        #expect(Self.check(policy, ["key": "k"])?.message == "Invalid according to Policy: Policy expired.")
    }

    @Test func conditionsAreChecked() throws {
        let policy = try Self.policy(#"{"bucket": "b"}, ["starts-with", "$key", "user/"], ["eq", "$acl", "private"]"#)
        let good = ["bucket": "b", "key": "user/x", "acl": "private"]
        #expect(Self.check(policy, good, names: ["key", "acl"]) == nil)
        #expect(Self.check(policy, good.merging(["bucket": "c"]) { $1 }, names: ["key", "acl"])?.message
            == #"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "b"]"#)
        #expect(Self.check(policy, good.merging(["key": "other/x"]) { $1 }, names: ["key", "acl"])?.message
            == #"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"]"#)
        // A missing field is the empty string: it fails an exact match, meets an empty prefix.
        #expect(Self.check(policy, ["bucket": "b", "key": "user/x"], names: ["key"])?.code == "AccessDenied")
        let any = try Self.policy(#"["starts-with", "$x-amz-meta-tag", ""]"#)
        #expect(Self.check(any, [:], names: []) == nil)
    }

    @Test func valuesAreCaseSensitiveNamesAreNot() throws {
        let policy = try Self.policy(#"["eq", "$Content-Type", "Text/Plain"]"#)
        #expect(Self.check(policy, ["content-type": "Text/Plain"]) == nil)
        #expect(Self.check(policy, ["content-type": "text/plain"])?.code == "AccessDenied")
    }

    @Test func contentTypeListsMustAllMatch() throws {
        let policy = try Self.policy(#"["starts-with", "$Content-Type", "image/"]"#)
        #expect(Self.check(policy, ["content-type": "image/png, image/jpeg"]) == nil)
        #expect(Self.check(policy, ["content-type": "image/png,text/html"])?.code == "AccessDenied")
    }

    @Test func contentLengthRange() throws {
        let policy = try Self.policy(#"["content-length-range", 5, 10]"#)
        #expect(Self.check(policy, [:], size: 5) == nil)
        #expect(Self.check(policy, [:], size: 10) == nil)
        let small = Self.check(policy, [:], size: 4)
        #expect(small?.code == "EntityTooSmall")
        #expect(small?.extra.first { $0.0 == "MinSizeAllowed" }?.1 == "5")
        let large = Self.check(policy, [:], size: 11)
        #expect(large?.code == "EntityTooLarge")
        #expect(large?.extra.first { $0.0 == "MaxSizeAllowed" }?.1 == "10")
    }

    @Test func everyFieldNeedsACondition() throws {
        let policy = try Self.policy(#"{"key": "k"}"#)
        let names = ["key", "policy", "x-amz-signature", "signature", "awsaccesskeyid", "file", "x-ignore-anything"]
        #expect(Self.check(policy, ["key": "k"], names: names) == nil)
        #expect(Self.check(policy, ["key": "k"], names: names + ["x-amz-meta-a", "acl"])?.message
            == "Invalid according to Policy: Extra input fields: x-amz-meta-a, acl")
        // x-amz-security-token and the SigV4 fields are not exempt: boto3 puts them in the policy.
        #expect(Self.check(policy, ["key": "k"], names: ["key", "x-amz-security-token"])?.code == "AccessDenied")
    }
}
