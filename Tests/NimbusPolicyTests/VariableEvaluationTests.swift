//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

/// Policy variables in resources and condition values.
@Suite struct VariableEvaluationTests {
    static let home = doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/home/${aws:username}/*"]))

    static let cases: [Case] = [
        Case(name: "own home", identity: [home], resource: "arn:aws:s3:::bucket/home/bob/notes.txt", expect: .allow),
        Case(name: "someone else's home", identity: [home], resource: "arn:aws:s3:::bucket/home/carol/notes.txt", expect: .implicitDeny(.identity)),
        Case(name: "no user name (role session)", identity: [home], resource: "arn:aws:s3:::bucket/home//x", principal: devSession, expect: .implicitDeny(.identity)),
        Case(
            name: "variable key is case-insensitive",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${AWS:UserName}"]))],
            resource: "arn:aws:s3:::bucket/bob", expect: .allow
        ),
        Case(
            name: "principal tag variable",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"]))],
            resource: "arn:aws:s3:::bucket/blue/x", expect: .allow
        ),
        Case(
            name: "default when the tag is missing",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${aws:PrincipalTag/department, 'shared'}/*"]))],
            resource: "arn:aws:s3:::bucket/shared/x", expect: .allow
        ),
        Case(
            name: "default not used when the tag is present",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${aws:PrincipalTag/team,'shared'}/*"]))],
            resource: "arn:aws:s3:::bucket/shared/x", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "missing variable without default matches nothing",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*"]))],
            resource: "arn:aws:s3:::bucket//x", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "literal star",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${*}"]))],
            resource: "arn:aws:s3:::bucket/*", expect: .allow
        ),
        Case(
            name: "literal star is not a wildcard",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${*}"]))],
            resource: "arn:aws:s3:::bucket/x", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "literal question mark",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/what${?}"]))],
            resource: "arn:aws:s3:::bucket/what?", expect: .allow
        ),
        Case(
            name: "literal question mark is not a wildcard",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/what${?}"]))],
            resource: "arn:aws:s3:::bucket/whatX", expect: .implicitDeny(.identity)
        ),
        Case(
            name: "literal dollar",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${$}{aws:username}"]))],
            resource: "arn:aws:s3:::bucket/${aws:username}", expect: .allow
        ),
        Case(
            name: "a variable's value is never a wildcard",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${aws:PrincipalTag/prefix}"]))],
            resource: "arn:aws:s3:::bucket/anything",
            principal: PrincipalContext(kind: .user, arn: "arn:aws:iam::111122223333:user/w", accountID: account, userID: "AIDAW", username: "w", tags: ["prefix": "*"]),
            expect: .implicitDeny(.identity)
        ),
        Case(
            name: "a variable's star matches itself",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::bucket/${aws:PrincipalTag/prefix}"]))],
            resource: "arn:aws:s3:::bucket/*",
            principal: PrincipalContext(kind: .user, arn: "arn:aws:iam::111122223333:user/w", accountID: account, userID: "AIDAW", username: "w", tags: ["prefix": "*"]),
            expect: .allow
        ),
        Case(
            name: "variable with wildcard around it",
            identity: [doc(allow("s3:GetObject", on: ["arn:aws:s3:::*-${aws:username}-*"]))],
            resource: "arn:aws:s3:::logs-bob-2026/x", expect: .allow
        ),
        Case(
            name: "user id variable",
            identity: [doc(allow("dynamodb:GetItem", on: ["arn:aws:dynamodb:*:111122223333:table/t-${aws:userid}"]))],
            action: "dynamodb:GetItem", resource: "arn:aws:dynamodb:us-east-1:111122223333:table/t-AIDABOBBOBBOBBOBBOB01", expect: .allow
        ),
        Case(
            name: "any context key as a variable",
            identity: [doc(allow("ec2:CreateTags", on: ["arn:aws:ec2:${aws:RequestedRegion}:111122223333:instance/*"]))],
            action: "ec2:CreateTags", resource: "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", context: ["aws:RequestedRegion": ["eu-west-1"]],
            expect: .allow
        ),
        Case(
            name: "variable in a deny",
            identity: [doc(allow("s3:*"), deny("s3:DeleteObject", on: ["arn:aws:s3:::bucket/home/${aws:username}/locked/*"]))],
            action: "s3:DeleteObject", resource: "arn:aws:s3:::bucket/home/bob/locked/x", expect: .explicitDeny(.identity)
        ),
        .op("StringEquals", "s3:prefix", #""${aws:username}/""#, ["s3:prefix": ["bob/"]], true, "variable in a condition value"),
        .op("StringEquals", "s3:prefix", #""${aws:username}/""#, ["s3:prefix": ["carol/"]], false, "variable in a condition value"),
        .op("StringLike", "s3:prefix", #"["home/${aws:username}/*", "shared/*"]"#, ["s3:prefix": ["home/bob/docs"]], true),
        .op("StringLike", "s3:prefix", #"["home/${aws:username}/*", "shared/*"]"#, ["s3:prefix": ["home/carol/docs"]], false),
        .op("StringEquals", "s3:prefix", #""${aws:PrincipalTag/department, 'none'}""#, ["s3:prefix": ["none"]], true, "default in a condition"),
        .op("StringEquals", "s3:prefix", #""${aws:PrincipalTag/department}""#, ["s3:prefix": [""]], false, "missing variable"),
        .op("StringEquals", "aws:ResourceTag/owner", #""${aws:username}""#, ["aws:ResourceTag/owner": ["bob"]], true, "ABAC"),
        .op("StringEquals", "aws:ResourceTag/team", #""${aws:PrincipalTag/team}""#, ["aws:ResourceTag/team": ["blue"]], true, "ABAC on tags"),
        .op("StringEquals", "aws:ResourceTag/team", #""${aws:PrincipalTag/team}""#, ["aws:ResourceTag/team": ["red"]], false, "ABAC on tags"),
        .op("ArnLike", "aws:SourceArn", #""arn:aws:iam::111122223333:user/${aws:username}""#, ["aws:SourceArn": ["arn:aws:iam::111122223333:user/bob"]], true),
        .op("StringLike", "s3:prefix", #""${*}""#, ["s3:prefix": ["x"]], false, "literal star in a condition"),
        Case(
            name: "missing variable makes a deny not apply",
            identity: [doc(allow("s3:*"), deny("s3:*", when: #"{"StringNotEquals":{"s3:prefix":"${aws:PrincipalTag/department}"}}"#))],
            context: ["s3:prefix": ["x"]], expect: .allow
        ),
    ]

    @Test(arguments: cases) func evaluate(_ c: Case) { c.run() }
}
