//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

/// Actions, resources, their wildcards and negations, and explicit deny, for an IAM user's identity policies.
@Suite struct ActionResourceEvaluationTests {
    static let cases: [Case] = [
        // Actions: case-insensitive, with * and ?.
        Case(name: "exact action", identity: [doc(allow("s3:GetObject"))], expect: .allow),
        Case(name: "policy action in other case", identity: [doc(allow("S3:getobject"))], expect: .allow),
        Case(name: "request action in other case", identity: [doc(allow("s3:GetObject"))], action: "S3:GETOBJECT", expect: .allow),
        Case(name: "other action", identity: [doc(allow("s3:GetObject"))], action: "s3:PutObject", expect: .implicitDeny(.identity)),
        Case(name: "prefix wildcard", identity: [doc(allow("s3:Get*"))], expect: .allow),
        Case(name: "prefix wildcard misses", identity: [doc(allow("s3:Get*"))], action: "s3:PutObject", expect: .implicitDeny(.identity)),
        Case(name: "service wildcard", identity: [doc(allow("s3:*"))], action: "s3:DeleteBucket", expect: .allow),
        Case(name: "service wildcard other service", identity: [doc(allow("s3:*"))], action: "sqs:SendMessage", expect: .implicitDeny(.identity)),
        Case(name: "star action", identity: [doc(allow("*"))], action: "ec2:RunInstances", expect: .allow),
        Case(name: "suffix wildcard", identity: [doc(allow("s3:*Object"))], action: "s3:PutObject", expect: .allow),
        Case(name: "suffix wildcard misses", identity: [doc(allow("s3:*Object"))], action: "s3:ListBucket", expect: .implicitDeny(.identity)),
        Case(name: "infix wildcard", identity: [doc(allow("iam:*User*"))], action: "iam:ListUsers", expect: .allow),
        Case(name: "infix wildcard 2", identity: [doc(allow("iam:*User*"))], action: "iam:CreateUser", expect: .allow),
        Case(name: "infix wildcard misses", identity: [doc(allow("iam:*User*"))], action: "iam:GetRole", expect: .implicitDeny(.identity)),
        Case(name: "question mark", identity: [doc(allow("s3:Get?bject"))], expect: .allow),
        Case(name: "question mark is one character", identity: [doc(allow("s3:Get?bject"))], action: "s3:GetOObject", expect: .implicitDeny(.identity)),
        Case(name: "two wildcards", identity: [doc(allow("s3:*Object*"))], action: "s3:GetObjectTagging", expect: .allow),
        Case(name: "wildcard between", identity: [doc(allow("s3:Get*Tagging"))], action: "s3:GetObjectTagging", expect: .allow),
        Case(name: "wildcard between misses", identity: [doc(allow("s3:Get*Tagging"))], action: "s3:GetObjectAcl", expect: .implicitDeny(.identity)),
        Case(name: "action list", identity: [doc(allow("s3:GetObject", "s3:PutObject"))], action: "s3:PutObject", expect: .allow),
        Case(name: "service prefix must match", identity: [doc(allow("s3:GetObject"))], action: "s3x:GetObject", expect: .implicitDeny(.identity)),
        Case(name: "service is not a prefix", identity: [doc(allow("s3:Get*"))], action: "s:3GetObject", expect: .implicitDeny(.identity)),
        Case(name: "action without service", identity: [doc(allow("s3:*"))], action: "GetObject", expect: .implicitDeny(.identity)),
        Case(name: "star matches action without service", identity: [doc(allow("*"))], action: "GetObject", expect: .allow),
        Case(
            name: "NotAction allows other actions",
            identity: [doc(statement("Allow", ["iam:*"], ["*"], nil, notAction: true))],
            expect: .allow
        ),
        Case(
            name: "NotAction excludes its actions",
            identity: [doc(statement("Allow", ["iam:*"], ["*"], nil, notAction: true))],
            action: "iam:CreateUser", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "NotAction list",
            identity: [doc(statement("Allow", ["iam:*", "organizations:*"], ["*"], nil, notAction: true))],
            action: "organizations:ListAccounts", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "NotAction list other service",
            identity: [doc(statement("Allow", ["iam:*", "organizations:*"], ["*"], nil, notAction: true))],
            action: "sts:GetCallerIdentity", expect: .allow
        ),
        Case(
            name: "Deny NotAction leaves the listed action",
            identity: [doc(allow("*"), statement("Deny", ["iam:ChangePassword"], ["*"], nil, notAction: true))],
            action: "iam:ChangePassword", expect: .allow
        ),
        Case(
            name: "Deny NotAction denies the rest",
            identity: [doc(allow("*"), statement("Deny", ["iam:ChangePassword"], ["*"], nil, notAction: true))],
            expect: .explicitDeny(.identity)
        ),
        Case(
            name: "NotAction is case-insensitive",
            identity: [doc(statement("Allow", ["S3:GETOBJECT"], ["*"], nil, notAction: true))],
            expect: .implicitDeny(.identity)
        ),

        // Resources: case-sensitive ARNs, wildcards within segments.
        Case(name: "exact resource", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/key"]))], expect: .allow),
        Case(
            name: "other resource", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/key"]))],
            resource: "arn:aws:s3:::bucket/other", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "resource is case-sensitive", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::Bucket/key"]))],
            expect: .implicitDeny(.identity)
        ),
        Case(
            name: "object wildcard", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/*"]))],
            resource: "arn:aws:s3:::bucket/a/b/c", expect: .allow
        ),
        Case(
            name: "object wildcard does not match the bucket", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/*"]))],
            resource: "arn:aws:s3:::bucket", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "object wildcard other bucket", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/*"]))],
            resource: "arn:aws:s3:::bucket2/x", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "trailing star spans buckets", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket*"]))],
            resource: "arn:aws:s3:::bucket2/x", expect: .allow
        ),
        Case(
            name: "extension wildcard", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/*.jpg"]))],
            resource: "arn:aws:s3:::bucket/a/b.jpg", expect: .allow
        ),
        Case(
            name: "extension wildcard misses", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/*.jpg"]))],
            resource: "arn:aws:s3:::bucket/a/b.png", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "question mark in resource", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/?.txt"]))],
            resource: "arn:aws:s3:::bucket/a.txt", expect: .allow
        ),
        Case(
            name: "question mark is one character in resource", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/?.txt"]))],
            resource: "arn:aws:s3:::bucket/ab.txt", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "keys with colons", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/*"]))],
            resource: "arn:aws:s3:::bucket/a:b:c", expect: .allow
        ),
        Case(
            name: "any account", identity: [doc(allow("iam:GetUser", on: ["arn:aws:iam::*:user/*"]))], action: "iam:GetUser",
            resource: "arn:aws:iam::444455556666:user/alice", expect: .allow
        ),
        Case(
            name: "users only", identity: [doc(allow("iam:GetUser", on: ["arn:aws:iam::111122223333:user/*"]))], action: "iam:GetRole",
            resource: "arn:aws:iam::111122223333:role/x", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "user path wildcard", identity: [doc(allow("iam:GetUser", on: ["arn:aws:iam::111122223333:user/division/*"]))],
            action: "iam:GetUser", resource: "arn:aws:iam::111122223333:user/division/carol", expect: .allow
        ),
        Case(
            name: "region wildcard inside segment",
            identity: [doc(allow("ec2:StartInstances", on: ["arn:aws:ec2:us-*-1:111122223333:instance/*"]))],
            action: "ec2:StartInstances", resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1", expect: .allow
        ),
        Case(
            name: "region wildcard inside segment misses",
            identity: [doc(allow("ec2:StartInstances", on: ["arn:aws:ec2:us-*-1:111122223333:instance/*"]))],
            action: "ec2:StartInstances", resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "a wildcard inside a segment does not cross a colon",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s*3:::bucket"]))],
            resource: "arn:aws:s:x:3:::bucket", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "a question mark inside a segment is not a colon",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s?3:::bucket"]))],
            resource: "arn:aws:s::3:::bucket", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "stars in the account and resource segments",
            identity: [doc(allow("iam:GetUser", on: ["arn:aws:iam::*:*"]))],
            action: "iam:GetUser", resource: "arn:aws:iam::111122223333:user/bob", expect: .allow
        ),
        Case(
            name: "star per segment", identity: [doc(allow("dynamodb:GetItem", on: ["arn:aws:dynamodb:*:*:table/Books"]))],
            action: "dynamodb:GetItem", resource: "arn:aws:dynamodb:us-east-1:111122223333:table/Books", expect: .allow
        ),
        Case(
            name: "star per segment other table", identity: [doc(allow("dynamodb:GetItem", on: ["arn:aws:dynamodb:*:*:table/Books"]))],
            action: "dynamodb:GetItem", resource: "arn:aws:dynamodb:us-east-1:111122223333:table/Movies", expect: .implicitDeny(.identity)
        ),
        Case(name: "star resource, star request", identity: [doc(allow("s3:ListAllMyBuckets"))], action: "s3:ListAllMyBuckets", resource: "*", expect: .allow),
        Case(
            name: "ARN pattern does not match a star request",
            identity: [doc(allow("s3:ListAllMyBuckets", on: ["arn:aws:s3:::*"]))],
            action: "s3:ListAllMyBuckets", resource: "*", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "resource list second", identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::a/*", "arn:aws:s3:::bucket/*"]))],
            expect: .allow
        ),
        Case(
            name: "NotResource allows outside",
            identity: [doc(statement("Allow", ["s3:*"], ["arn:aws:s3:::secret/*"], nil, notResource: true))],
            resource: "arn:aws:s3:::public/x", expect: .allow
        ),
        Case(
            name: "NotResource excludes inside",
            identity: [doc(statement("Allow", ["s3:*"], ["arn:aws:s3:::secret/*"], nil, notResource: true))],
            resource: "arn:aws:s3:::secret/x", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "Deny NotResource spares the listed resource",
            identity: [doc(allow("*"), statement("Deny", ["s3:*"], ["arn:aws:s3:::allowed/*"], nil, notResource: true))],
            resource: "arn:aws:s3:::allowed/x", expect: .allow
        ),
        Case(
            name: "Deny NotResource denies everything else",
            identity: [doc(allow("*"), statement("Deny", ["s3:*"], ["arn:aws:s3:::allowed/*"], nil, notResource: true))],
            resource: "arn:aws:s3:::other/x", expect: .explicitDeny(.identity)
        ),
        Case(
            name: "NotAction with NotResource",
            identity: [doc(statement("Allow", ["s3:DeleteObject"], ["arn:aws:s3:::locked/*"], nil, notAction: true, notResource: true))],
            resource: "arn:aws:s3:::open/x", expect: .allow
        ),

        // Explicit deny and the absence of policies.
        Case(name: "deny wins in one policy", identity: [doc(allow("s3:*"), deny("s3:GetObject"))], expect: .explicitDeny(.identity)),
        Case(name: "deny wins across policies", identity: [doc(allow("s3:*")), doc(deny("s3:Get*"))], expect: .explicitDeny(.identity)),
        Case(name: "deny first then allow", identity: [doc(deny("s3:GetObject"), allow("*"))], expect: .explicitDeny(.identity)),
        Case(name: "deny on another resource", identity: [doc(allow("s3:*"), deny("s3:GetObject", on: ["arn:aws:s3:::other/*"]))], expect: .allow),
        Case(name: "deny of another action", identity: [doc(allow("s3:*"), deny("s3:PutObject"))], expect: .allow),
        Case(name: "deny alone", identity: [doc(deny("s3:PutObject"))], expect: .implicitDeny(.identity)),
        Case(name: "deny everything", identity: [doc(allow("*"), deny("*"))], action: "sts:GetCallerIdentity", resource: "*", expect: .explicitDeny(.identity)),
        Case(name: "no policies", expect: .implicitDeny(.identity)),
        Case(name: "empty statement list", identity: [doc()], expect: .implicitDeny(.identity)),
        Case(name: "the third policy allows", identity: [doc(allow("ec2:*")), doc(allow("sqs:*")), doc(allow("s3:Get*"))], expect: .allow),
        Case(
            name: "statement as an object",
            identity: [#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#], expect: .allow
        ),
        Case(
            name: "no version: variables are literal",
            identity: [#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}]}"#],
            resource: "arn:aws:s3:::b/bob", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "2008 version: variables are literal",
            identity: [#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}]}"#],
            resource: "arn:aws:s3:::b/${aws:username}", expect: .allow
        ),
        Case(
            name: "star deny in 2008 version",
            identity: [#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#],
            expect: .explicitDeny(.identity)
        ),
    ]

    @Test(arguments: cases) func evaluate(_ c: Case) { c.run() }
}
