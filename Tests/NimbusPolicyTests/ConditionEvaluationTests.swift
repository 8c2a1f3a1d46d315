//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

/// Every condition operator family, with `…IfExists`, set qualifiers and missing keys, as AWS documents them.
@Suite struct ConditionEvaluationTests {
    static let strings: [Case] = [
        .op("StringEquals", "aws:username", #""bob""#, [:], true, "from the principal"),
        .op("StringEquals", "aws:username", #""alice""#, [:], false),
        .op("StringEquals", "aws:username", #""Bob""#, [:], false, "values are case-sensitive"),
        .op("StringEquals", "AWS:UserName", #""bob""#, [:], true, "key names are case-insensitive"),
        .op("StringEquals", "s3:prefix", #""home/""#, ["S3:Prefix": ["home/"]], true, "context key in other case"),
        .op("StringEquals", "s3:prefix", #"["a/","home/"]"#, ["s3:prefix": ["home/"]], true, "policy values are ORed"),
        .op("StringEquals", "s3:prefix", #""home/""#, [:], false, "missing key"),
        .op("StringEquals", "s3:prefix", #""home/""#, ["s3:prefix": ["x", "home/"]], true, "any context value"),
        .op("StringEquals", "s3:max-keys", "10", ["s3:max-keys": ["10"]], true, "number written as JSON number"),
        .op("StringEquals", "aws:SecureTransport", "true", ["aws:SecureTransport": ["true"]], true, "bool written as JSON bool"),
        .op("StringEquals", "s3:prefix", #""""#, ["s3:prefix": [""]], true, "empty string"),
        .op("StringNotEquals", "aws:username", #""alice""#, [:], true),
        .op("StringNotEquals", "aws:username", #""bob""#, [:], false),
        .op("StringNotEquals", "s3:prefix", #""home/""#, [:], true, "negated operator on a missing key"),
        .op("StringNotEquals", "aws:username", #"["alice","bob"]"#, [:], false, "equal to one of them"),
        .op("StringNotEquals", "aws:username", #""Bob""#, [:], true, "case differs"),
        .op("StringEqualsIgnoreCase", "aws:username", #""BOB""#, [:], true),
        .op("StringEqualsIgnoreCase", "aws:username", #""ALICE""#, [:], false),
        .op("StringEqualsIgnoreCase", "s3:prefix", #""x""#, [:], false, "missing key"),
        .op("StringEqualsIgnoreCase", "aws:PrincipalTag/team", #""BLUE""#, [:], true),
        .op("StringNotEqualsIgnoreCase", "aws:username", #""BOB""#, [:], false),
        .op("StringNotEqualsIgnoreCase", "aws:username", #""ALICE""#, [:], true),
        .op("StringNotEqualsIgnoreCase", "s3:prefix", #""x""#, [:], true, "missing key"),
        .op("StringLike", "aws:username", #""b*""#, [:], true),
        .op("StringLike", "aws:username", #""b?b""#, [:], true),
        .op("StringLike", "aws:username", #""b?b""#, [:], false, principal: carol),
        .op("StringLike", "s3:prefix", #""home/*""#, ["s3:prefix": ["home/bob/docs"]], true),
        .op("StringLike", "s3:prefix", #""home/*""#, ["s3:prefix": ["other/home/"]], false),
        .op("StringLike", "s3:prefix", #"["", "home/*"]"#, ["s3:prefix": [""]], true, "empty pattern"),
        .op("StringLike", "s3:prefix", #""*""#, ["s3:prefix": [""]], true, "star matches empty"),
        .op("StringLike", "s3:prefix", #""*/docs""#, ["s3:prefix": ["home/bob/docs"]], true),
        .op("StringLike", "s3:prefix", #""H*""#, ["s3:prefix": ["home/"]], false, "case-sensitive"),
        .op("StringLike", "s3:prefix", #""home/*""#, [:], false, "missing key"),
        .op("StringLike", "aws:userid", #""AIDA*""#, [:], true),
        .op("StringLike", "s3:prefix", #""a*b*c""#, ["s3:prefix": ["aXXbYYc"]], true),
        .op("StringLike", "s3:prefix", #""a*b*c""#, ["s3:prefix": ["aXXcYYb"]], false),
        .op("StringNotLike", "aws:username", #""b*""#, [:], false),
        .op("StringNotLike", "aws:username", #""a*""#, [:], true),
        .op("StringNotLike", "s3:prefix", #""a*""#, [:], true, "missing key"),
        .op("StringNotLike", "aws:username", #"["a*","b*"]"#, [:], false, "matches one of them"),
        .op("StringEqualsIfExists", "s3:prefix", #""home/""#, [:], true, "missing key"),
        .op("StringEqualsIfExists", "s3:prefix", #""home/""#, ["s3:prefix": ["home/"]], true),
        .op("StringEqualsIfExists", "s3:prefix", #""home/""#, ["s3:prefix": ["x"]], false),
        .op("StringNotEqualsIfExists", "s3:prefix", #""home/""#, [:], true, "missing key"),
        .op("StringNotEqualsIfExists", "s3:prefix", #""home/""#, ["s3:prefix": ["home/"]], false),
        .op("StringLikeIfExists", "s3:prefix", #""home/*""#, [:], true, "missing key"),
        .op("StringLikeIfExists", "s3:prefix", #""home/*""#, ["s3:prefix": ["x"]], false),
        .op("StringNotLikeIfExists", "s3:prefix", #""home/*""#, ["s3:prefix": ["home/x"]], false),
        .op("StringEqualsIgnoreCaseIfExists", "s3:prefix", #""HOME/""#, ["s3:prefix": ["home/"]], true),
    ]

    static let numbers: [Case] = [
        .op("NumericEquals", "s3:max-keys", "10", ["s3:max-keys": ["10"]], true),
        .op("NumericEquals", "s3:max-keys", #""10""#, ["s3:max-keys": ["10.0"]], true, "numeric, not textual"),
        .op("NumericEquals", "s3:max-keys", "10", ["s3:max-keys": ["11"]], false),
        .op("NumericEquals", "s3:max-keys", "10", ["s3:max-keys": ["ten"]], false, "not a number"),
        .op("NumericEquals", "s3:max-keys", "10", [:], false, "missing key"),
        .op("NumericEquals", "s3:max-keys", "[5,10]", ["s3:max-keys": ["5"]], true),
        .op("NumericNotEquals", "s3:max-keys", "10", ["s3:max-keys": ["11"]], true),
        .op("NumericNotEquals", "s3:max-keys", "10", ["s3:max-keys": ["10"]], false),
        .op("NumericNotEquals", "s3:max-keys", "10", [:], true, "missing key"),
        .op("NumericLessThan", "s3:max-keys", "10", ["s3:max-keys": ["5"]], true),
        .op("NumericLessThan", "s3:max-keys", "10", ["s3:max-keys": ["10"]], false),
        .op("NumericLessThan", "s3:max-keys", "10", ["s3:max-keys": ["-3"]], true),
        .op("NumericLessThan", "s3:max-keys", "1.5", ["s3:max-keys": ["1.25"]], true),
        .op("NumericLessThan", "s3:max-keys", "10", [:], false, "missing key"),
        .op("NumericLessThanEquals", "s3:max-keys", "10", ["s3:max-keys": ["10"]], true),
        .op("NumericLessThanEquals", "s3:max-keys", "10", ["s3:max-keys": ["11"]], false),
        .op("NumericGreaterThan", "s3:max-keys", "10", ["s3:max-keys": ["11"]], true),
        .op("NumericGreaterThan", "s3:max-keys", "10", ["s3:max-keys": ["10"]], false),
        .op("NumericGreaterThanEquals", "s3:max-keys", "10", ["s3:max-keys": ["10"]], true),
        .op("NumericGreaterThanEquals", "s3:max-keys", "10", ["s3:max-keys": ["9.99"]], false),
        .op("NumericLessThanIfExists", "s3:max-keys", "10", [:], true, "missing key"),
        .op("NumericLessThanIfExists", "s3:max-keys", "10", ["s3:max-keys": ["20"]], false),
        .op("NumericLessThan", "aws:MultiFactorAuthAge", "3600", ["aws:MultiFactorAuthAge": ["100"]], true),
        .op("NumericLessThan", "aws:MultiFactorAuthAge", "3600", ["aws:MultiFactorAuthAge": ["7200"]], false),
        .op("NumericNotEqualsIfExists", "s3:max-keys", "10", [:], true, "missing key"),
    ]

    static let dates: [Case] = [
        .op("DateEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], true),
        .op("DateEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["1767225600"]], true, "epoch context"),
        .op("DateEquals", "aws:EpochTime", "1767225600", ["aws:EpochTime": ["2026-01-01T00:00:00Z"]], true, "epoch policy"),
        .op("DateEquals", "aws:CurrentTime", #""2026-01-01""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], true, "date only"),
        .op("DateEquals", "aws:CurrentTime", #""2026-01-01T01:00:00+01:00""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], true, "offset"),
        .op("DateEquals", "aws:CurrentTime", #""2026-01-01T00:00:00.000Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], true, "fraction"),
        .op("DateEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:01Z"]], false),
        .op("DateNotEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:01Z"]], true),
        .op("DateNotEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], false),
        .op("DateNotEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, [:], true, "missing key"),
        .op("DateLessThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2025-12-31T23:59:59Z"]], true),
        .op("DateLessThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], false),
        .op("DateLessThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2027-06-01T00:00:00Z"]], false),
        .op("DateLessThanEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], true),
        .op("DateGreaterThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:01Z"]], true),
        .op("DateGreaterThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], false),
        .op("DateGreaterThanEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2026-01-01T00:00:00Z"]], true),
        .op("DateGreaterThanEquals", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["2025-01-01T00:00:00Z"]], false),
        .op("DateLessThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, ["aws:CurrentTime": ["yesterday"]], false, "not a date"),
        .op("DateLessThan", "aws:CurrentTime", #""2026-01-01T00:00:00Z""#, [:], false, "missing key"),
        .op("DateLessThanIfExists", "aws:TokenIssueTime", #""2026-01-01T00:00:00Z""#, [:], true, "missing key"),
        .op("DateGreaterThan", "aws:TokenIssueTime", #""2024-02-29T12:00:00Z""#, ["aws:TokenIssueTime": ["2024-03-01T00:00:00Z"]], true, "leap day"),
        .op("DateLessThan", "aws:EpochTime", "1767225600", ["aws:EpochTime": ["1767225599"]], true),
        .condition(
            "date window",
            #"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}"#,
            ["aws:CurrentTime": ["2026-06-15T12:00:00Z"]], true
        ),
        .condition(
            "outside the date window",
            #"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}"#,
            ["aws:CurrentTime": ["2027-01-15T12:00:00Z"]], false
        ),
    ]

    static let bools: [Case] = [
        .op("Bool", "aws:SecureTransport", #""true""#, ["aws:SecureTransport": ["true"]], true),
        .op("Bool", "aws:SecureTransport", #""true""#, ["aws:SecureTransport": ["false"]], false),
        .op("Bool", "aws:SecureTransport", #""true""#, ["aws:SecureTransport": ["TRUE"]], true, "case-insensitive"),
        .op("Bool", "aws:SecureTransport", "true", ["aws:SecureTransport": ["true"]], true, "JSON bool"),
        .op("Bool", "aws:SecureTransport", #""false""#, ["aws:SecureTransport": ["false"]], true),
        .op("Bool", "aws:SecureTransport", #""true""#, [:], false, "missing key"),
        .op("Bool", "aws:SecureTransport", #""true""#, ["aws:SecureTransport": ["yes"]], false, "not a bool"),
        .op("BoolIfExists", "aws:MultiFactorAuthPresent", #""true""#, [:], true, "missing key"),
        .op("BoolIfExists", "aws:MultiFactorAuthPresent", #""true""#, ["aws:MultiFactorAuthPresent": ["false"]], false),
        .op("BinaryEquals", "aws:Example", #""QmluYXJ5VmFsdWU=""#, ["aws:Example": ["QmluYXJ5VmFsdWU="]], true),
        .op("BinaryEquals", "aws:Example", #""QmluYXJ5VmFsdWU=""#, ["aws:Example": ["T3RoZXI="]], false),
        .op("BinaryEquals", "aws:Example", #""QmluYXJ5VmFsdWU=""#, [:], false, "missing key"),
        .op("BinaryEqualsIfExists", "aws:Example", #""QmluYXJ5VmFsdWU=""#, [:], true, "missing key"),
        Case(
            name: "deny without TLS", identity: [doc(allow("s3:*"), deny("s3:*", when: #"{"Bool":{"aws:SecureTransport":"false"}}"#))],
            context: ["aws:SecureTransport": ["false"]], expect: .explicitDeny(.identity)
        ),
        Case(
            name: "deny without TLS, over TLS", identity: [doc(allow("s3:*"), deny("s3:*", when: #"{"Bool":{"aws:SecureTransport":"false"}}"#))],
            context: ["aws:SecureTransport": ["true"]], expect: .allow
        ),
        Case(
            name: "deny without MFA (IfExists) for long-term keys",
            identity: [doc(allow("*"), deny("*", when: #"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#))],
            expect: .explicitDeny(.identity)
        ),
        Case(
            name: "deny without MFA (IfExists) with MFA",
            identity: [doc(allow("*"), deny("*", when: #"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#))],
            context: ["aws:MultiFactorAuthPresent": ["true"]], expect: .allow
        ),
        Case(
            name: "deny without MFA (Bool) for long-term keys does not apply",
            identity: [doc(allow("*"), deny("*", when: #"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#))],
            expect: .allow
        ),
    ]

    static let addresses: [Case] = [
        .op("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["203.0.113.7"]], true),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["203.0.114.7"]], false),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.7""#, ["aws:SourceIp": ["203.0.113.7"]], true, "single address"),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.7/32""#, ["aws:SourceIp": ["203.0.113.8"]], false),
        .op("IpAddress", "aws:SourceIp", #""0.0.0.0/0""#, ["aws:SourceIp": ["198.51.100.1"]], true),
        .op("IpAddress", "aws:SourceIp", #""10.0.0.0/8""#, ["aws:SourceIp": ["10.255.255.255"]], true),
        .op("IpAddress", "aws:SourceIp", #""10.0.0.0/8""#, ["aws:SourceIp": ["11.0.0.0"]], false),
        .op("IpAddress", "aws:SourceIp", #""172.16.0.0/12""#, ["aws:SourceIp": ["172.31.255.1"]], true),
        .op("IpAddress", "aws:SourceIp", #""172.16.0.0/12""#, ["aws:SourceIp": ["172.32.0.1"]], false),
        .op("IpAddress", "aws:SourceIp", #"["192.0.2.0/24","203.0.113.0/24"]"#, ["aws:SourceIp": ["203.0.113.9"]], true),
        .op("IpAddress", "aws:SourceIp", #""2001:db8::/32""#, ["aws:SourceIp": ["2001:db8:1::1"]], true),
        .op("IpAddress", "aws:SourceIp", #""2001:db8::/32""#, ["aws:SourceIp": ["2001:db9::1"]], false),
        .op("IpAddress", "aws:SourceIp", #""2001:DB8::/32""#, ["aws:SourceIp": ["2001:0db8:0000:0000:0000:0000:0000:0001"]], true, "long form"),
        .op("IpAddress", "aws:SourceIp", #""2001:db8:0:12::/64""#, ["aws:SourceIp": ["2001:db8:0:12:ffff::1"]], true),
        .op("IpAddress", "aws:SourceIp", #""2001:db8:0:12::/64""#, ["aws:SourceIp": ["2001:db8:0:13::1"]], false),
        .op("IpAddress", "aws:SourceIp", #""::1/128""#, ["aws:SourceIp": ["::1"]], true),
        .op("IpAddress", "aws:SourceIp", #""2001:db8::/32""#, ["aws:SourceIp": ["203.0.113.7"]], false, "IPv4 against IPv6"),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["2001:db8::1"]], false, "IPv6 against IPv4"),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["not-an-ip"]], false),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["203.0.113.256"]], false, "octet out of range"),
        .op("IpAddress", "aws:SourceIp", #""203.0.113.0/24""#, [:], false, "missing key"),
        .op("NotIpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["198.51.100.1"]], true),
        .op("NotIpAddress", "aws:SourceIp", #""203.0.113.0/24""#, ["aws:SourceIp": ["203.0.113.1"]], false),
        .op("NotIpAddress", "aws:SourceIp", #""203.0.113.0/24""#, [:], true, "missing key"),
        .op("NotIpAddress", "aws:SourceIp", #"["203.0.113.0/24","2001:db8::/32"]"#, ["aws:SourceIp": ["2001:db8::5"]], false),
        .op("IpAddressIfExists", "aws:SourceIp", #""203.0.113.0/24""#, [:], true, "missing key"),
        Case(
            name: "deny outside the office network",
            identity: [doc(allow("*"), deny("*", when: #"{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}"#))],
            context: ["aws:SourceIp": ["198.51.100.10"]], expect: .explicitDeny(.identity)
        ),
        Case(
            name: "deny outside the office network, inside",
            identity: [doc(allow("*"), deny("*", when: #"{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}"#))],
            context: ["aws:SourceIp": ["2001:db8:aa::10"]], expect: .allow
        ),
        Case(
            name: "deny outside the office network, no source IP (service call)",
            identity: [doc(allow("*"), deny("*", when: #"{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#))],
            expect: .explicitDeny(.identity)
        ),
    ]

    static let arns: [Case] = [
        .op("ArnEquals", "aws:SourceArn", #""arn:aws:sns:us-east-1:111122223333:topic""#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:topic"]], true),
        .op("ArnEquals", "aws:SourceArn", #""arn:aws:sns:us-east-1:111122223333:topic""#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:other"]], false),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, ["aws:SourceArn": ["arn:aws:sns:eu-west-1:111122223333:topic"]], true),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, ["aws:SourceArn": ["arn:aws:sns:eu-west-1:444455556666:topic"]], false),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:s3:::bucket/*""#, ["aws:SourceArn": ["arn:aws:s3:::bucket/a:b"]], true, "resource part keeps colons"),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:s*:::bucket""#, ["aws:SourceArn": ["arn:aws:s:x:3:::bucket"]], false, "per-segment match"),
        .op("ArnEquals", "aws:SourceArn", #""arn:aws:lambda:*:111122223333:function:f""#, ["aws:SourceArn": ["arn:aws:lambda:us-west-2:111122223333:function:f"]], true, "ArnEquals takes wildcards too"),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, ["aws:SourceArn": ["not-an-arn"]], false),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, [:], false, "missing key"),
        .op("ArnLike", "aws:PrincipalArn", #""arn:aws:iam::111122223333:role/*""#, [:], true, principal: devSession, "role session's principal ARN is the role"),
        .op("ArnNotEquals", "aws:SourceArn", #""arn:aws:sns:us-east-1:111122223333:topic""#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:other"]], true),
        .op("ArnNotEquals", "aws:SourceArn", #""arn:aws:sns:us-east-1:111122223333:topic""#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:topic"]], false),
        .op("ArnNotLike", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:t"]], false),
        .op("ArnNotLike", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, [:], true, "missing key"),
        .op("ArnLikeIfExists", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, [:], true, "missing key"),
        .op("ArnNotLikeIfExists", "aws:SourceArn", #""arn:aws:sns:*:111122223333:*""#, ["aws:SourceArn": ["arn:aws:sns:us-east-1:444455556666:t"]], true),
    ]

    static let nulls: [Case] = [
        .op("Null", "aws:TokenIssueTime", #""true""#, [:], true, "absent"),
        .op("Null", "aws:TokenIssueTime", #""true""#, ["aws:TokenIssueTime": ["2026-01-01T00:00:00Z"]], false),
        .op("Null", "aws:TokenIssueTime", #""false""#, ["aws:TokenIssueTime": ["2026-01-01T00:00:00Z"]], true),
        .op("Null", "aws:TokenIssueTime", #""false""#, [:], false),
        .op("Null", "aws:TokenIssueTime", "true", [:], true, "JSON bool"),
        .op("Null", "AWS:TOKENISSUETIME", #""false""#, ["aws:tokenissuetime": ["x"]], true, "case-insensitive key"),
        .op("Null", "aws:TagKeys", #""true""#, ["aws:TagKeys": []], true, "empty set counts as absent"),
        .op("Null", "aws:username", #""false""#, [:], true, "principal key present for users"),
        .op("Null", "aws:username", #""true""#, [:], true, principal: devSession, "role sessions have no user name"),
        .op("Null", "aws:RequestTag/owner", #"["true","false"]"#, [:], true, "either"),
    ]

    static let sets: [Case] = [
        .op("ForAnyValue:StringEquals", "aws:TagKeys", #"["b","c"]"#, ["aws:TagKeys": ["a", "b"]], true),
        .op("ForAnyValue:StringEquals", "aws:TagKeys", #"["b","c"]"#, ["aws:TagKeys": ["x"]], false),
        .op("ForAnyValue:StringEquals", "aws:TagKeys", #"["b","c"]"#, [:], false, "missing key"),
        .op("ForAnyValue:StringEquals", "aws:TagKeys", #"["b","c"]"#, ["aws:TagKeys": []], false, "empty set"),
        .op("ForAllValues:StringEquals", "aws:TagKeys", #"["a","b","c"]"#, ["aws:TagKeys": ["a", "b"]], true),
        .op("ForAllValues:StringEquals", "aws:TagKeys", #"["a","b","c"]"#, ["aws:TagKeys": ["a", "x"]], false),
        .op("ForAllValues:StringEquals", "aws:TagKeys", #"["a","b","c"]"#, [:], true, "missing key"),
        .op("ForAllValues:StringEquals", "aws:TagKeys", #"["a","b","c"]"#, ["aws:TagKeys": []], true, "empty set"),
        .op("ForAllValues:StringEquals", "aws:TagKeys", #""a""#, ["aws:TagKeys": ["a"]], true, "single value"),
        .op("ForAllValues:StringLike", "aws:TagKeys", #"["cost-*","env"]"#, ["aws:TagKeys": ["cost-center", "env"]], true),
        .op("ForAllValues:StringLike", "aws:TagKeys", #"["cost-*","env"]"#, ["aws:TagKeys": ["cost-center", "owner"]], false),
        .op("ForAnyValue:StringLike", "aws:TagKeys", #""cost-*""#, ["aws:TagKeys": ["owner", "cost-x"]], true),
        .op("ForAnyValue:StringNotEquals", "aws:TagKeys", #""a""#, ["aws:TagKeys": ["a", "b"]], true, "b is not a"),
        .op("ForAnyValue:StringNotEquals", "aws:TagKeys", #""a""#, ["aws:TagKeys": ["a"]], false),
        .op("ForAllValues:StringNotEquals", "aws:TagKeys", #"["a"]"#, ["aws:TagKeys": ["x", "y"]], true),
        .op("ForAllValues:StringNotEquals", "aws:TagKeys", #"["a"]"#, ["aws:TagKeys": ["a", "y"]], false),
        .op("ForAllValues:StringNotLike", "aws:TagKeys", #""aws:*""#, ["aws:TagKeys": ["team", "owner"]], true),
        .op("ForAnyValue:StringEqualsIgnoreCase", "aws:TagKeys", #""TEAM""#, ["aws:TagKeys": ["team"]], true),
        .op("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", #""a""#, [:], true, "missing key"),
        .op("ForAllValues:StringEqualsIfExists", "aws:TagKeys", #""a""#, ["aws:TagKeys": ["b"]], false),
        .op("ForAnyValue:NumericGreaterThan", "example:Sizes", "100", ["example:Sizes": ["5", "500"]], true),
        .op("ForAllValues:NumericLessThan", "example:Sizes", "100", ["example:Sizes": ["5", "500"]], false),
        .op("ForAnyValue:IpAddress", "example:Addresses", #""10.0.0.0/8""#, ["example:Addresses": ["192.0.2.1", "10.1.2.3"]], true),
        .op("ForAllValues:IpAddress", "example:Addresses", #""10.0.0.0/8""#, ["example:Addresses": ["192.0.2.1", "10.1.2.3"]], false),
        .op("ForAnyValue:DateGreaterThan", "example:Dates", #""2026-01-01""#, ["example:Dates": ["2025-01-01", "2026-06-01"]], true),
        .op("ForAllValues:ArnLike", "example:Arns", #""arn:aws:sns:*:111122223333:*""#, ["example:Arns": ["arn:aws:sns:us-east-1:111122223333:a", "arn:aws:sns:eu-west-1:111122223333:b"]], true),
        .op("StringEquals", "aws:TagKeys", #""b""#, ["aws:TagKeys": ["a", "b"]], true, "unqualified on a multivalued key: any value"),
        .op("StringNotEquals", "aws:TagKeys", #""b""#, ["aws:TagKeys": ["a", "b"]], false, "negated, unqualified: no value may match"),
        Case(
            name: "deny unless only approved tag keys (ForAllValues on a missing key denies nothing)",
            identity: [doc(allow("*"), deny("*", when: #"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}}"#))],
            context: ["aws:TagKeys": ["team", "secret"]], expect: .explicitDeny(.identity)
        ),
        Case(
            name: "approved tag keys only",
            identity: [doc(allow("*"), deny("*", when: #"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}}"#))],
            context: ["aws:TagKeys": ["team"]], expect: .allow
        ),
        Case(
            name: "ForAllValues deny on a missing key applies",
            identity: [doc(allow("*"), deny("*", when: #"{"ForAllValues:StringEquals":{"aws:TagKeys":["x"]}}"#))],
            expect: .explicitDeny(.identity)
        ),
    ]

    static let combinations: [Case] = [
        .condition("two operators, both hold", #"{"StringEquals":{"aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}"#, ["aws:SecureTransport": ["true"]], true),
        .condition("two operators, one fails", #"{"StringEquals":{"aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}"#, ["aws:SecureTransport": ["false"]], false),
        .condition("two keys, both hold", #"{"StringEquals":{"aws:username":"bob","aws:PrincipalTag/team":"blue"}}"#, [:], true),
        .condition("two keys, one fails", #"{"StringEquals":{"aws:username":"bob","aws:PrincipalTag/team":"red"}}"#, [:], false),
        .condition("empty condition block", #"{}"#, [:], true),
        .condition("operator with no keys", #"{"StringEquals":{}}"#, [:], true),
        .op("StringEquals", "aws:PrincipalTag/team", #""blue""#, [:], true),
        .op("StringEquals", "aws:PrincipalTag/TEAM", #""blue""#, [:], true, "tag key case-insensitive"),
        .op("StringEquals", "aws:PrincipalTag/team", #""Blue""#, [:], false, "tag value case-sensitive"),
        .op("StringEquals", "aws:PrincipalTag/team", #""red""#, [:], true, principal: devSession),
        .op("StringEquals", "aws:PrincipalTag/missing", #""x""#, [:], false),
        .op("StringEquals", "aws:PrincipalArn", #""arn:aws:iam::111122223333:user/bob""#, [:], true),
        .op("StringEquals", "aws:PrincipalArn", #""arn:aws:iam::111122223333:role/Dev""#, [:], true, principal: devSession),
        .op("StringEquals", "aws:PrincipalAccount", #""111122223333""#, [:], true),
        .op("StringEquals", "aws:PrincipalType", #""User""#, [:], true),
        .op("StringEquals", "aws:PrincipalType", #""AssumedRole""#, [:], true, principal: devSession),
        .op("StringEquals", "aws:userid", #""AROADEVDEVDEVDEVDEV01:s1""#, [:], true, principal: devSession),
        .op("StringEquals", "aws:username", #""bob""#, ["aws:username": ["mallory"]], true, "the principal's value wins"),
        .op("StringEquals", "aws:PrincipalTag/team", #""red""#, ["aws:PrincipalTag/team": ["red"]], false, "principal tags cannot be forged"),
        .op("Null", "aws:username", #""true""#, ["aws:username": ["bob"]], true, principal: devSession, "nor user names"),
        .op("StringEquals", "aws:RequestedRegion", #"["us-east-1","eu-west-1"]"#, ["aws:RequestedRegion": ["eu-west-1"]], true),
        .op("StringNotEquals", "aws:RequestedRegion", #"["us-east-1","eu-west-1"]"#, ["aws:RequestedRegion": ["ap-south-1"]], true),
    ]

    @Test(arguments: strings) func stringsCase(_ c: Case) { c.run() }
    @Test(arguments: numbers) func numbersCase(_ c: Case) { c.run() }
    @Test(arguments: dates) func datesCase(_ c: Case) { c.run() }
    @Test(arguments: bools) func boolsCase(_ c: Case) { c.run() }
    @Test(arguments: addresses) func addressesCase(_ c: Case) { c.run() }
    @Test(arguments: arns) func arnsCase(_ c: Case) { c.run() }
    @Test(arguments: nulls) func nullsCase(_ c: Case) { c.run() }
    @Test(arguments: sets) func setsCase(_ c: Case) { c.run() }
    @Test(arguments: combinations) func combinationsCase(_ c: Case) { c.run() }
}
