//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusPolicy
import Testing

/// How resource-based policies, permissions boundaries, session policies and SCPs combine, in one
/// account and across accounts, for every kind of principal.
@Suite struct PolicyTypeEvaluationTests {
    static let bobARN = #"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#
    static let accountRoot = #"{"AWS":"arn:aws:iam::111122223333:root"}"#
    static let accountID = #"{"AWS":"111122223333"}"#
    static let devRole = #"{"AWS":"arn:aws:iam::111122223333:role/Dev"}"#
    static let devSessionARN = #"{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/s1"}"#
    static let otherAccountRoot = #"{"AWS":"arn:aws:iam::444455556666:root"}"#
    static let aliceARN = #"{"AWS":"arn:aws:iam::444455556666:user/alice"}"#
    static let everyone = #""*""#
    static let everyoneAWS = #"{"AWS":"*"}"#
    static let s3All = doc(allow("s3:*"))
    static let ec2Only = doc(allow("ec2:*"))

    static let sameAccount: [Case] = [
        Case(name: "resource policy names the user", resourcePolicy: doc(grant(bobARN, "s3:GetObject")), expect: .allow),
        Case(name: "resource policy names the account", resourcePolicy: doc(grant(accountRoot, "s3:GetObject")), expect: .implicitDeny(.identity)),
        Case(name: "resource policy names the account id", resourcePolicy: doc(grant(accountID, "s3:GetObject")), expect: .implicitDeny(.identity)),
        Case(name: "account principal plus identity allow", identity: [s3All], resourcePolicy: doc(grant(accountRoot, "s3:GetObject")), expect: .allow),
        Case(name: "resource policy names everyone", resourcePolicy: doc(grant(everyone, "s3:GetObject")), expect: .allow),
        Case(name: "resource policy names AWS everyone", resourcePolicy: doc(grant(everyoneAWS, "s3:GetObject")), expect: .allow),
        Case(name: "resource policy names someone else", resourcePolicy: doc(grant(#"{"AWS":"arn:aws:iam::111122223333:user/division/carol"}"#, "s3:GetObject")), expect: .implicitDeny(.identity)),
        Case(name: "resource policy for another action", resourcePolicy: doc(grant(bobARN, "s3:PutObject")), expect: .implicitDeny(.identity)),
        Case(name: "resource policy for another resource", resourcePolicy: doc(grant(bobARN, "s3:GetObject", on: ["arn:aws:s3:::bucket/other"])), expect: .implicitDeny(.identity)),
        Case(name: "identity allows, resource policy silent", identity: [s3All], resourcePolicy: doc(grant(accountRoot, "s3:PutObject")), expect: .allow),
        Case(name: "resource policy denies the user", identity: [s3All], resourcePolicy: doc(refuse(bobARN, "s3:GetObject")), expect: .explicitDeny(.resource)),
        Case(name: "resource policy denies everyone", identity: [s3All], resourcePolicy: doc(refuse(everyone, "s3:*")), expect: .explicitDeny(.resource)),
        Case(name: "resource policy denies the account", identity: [s3All], resourcePolicy: doc(refuse(accountRoot, "s3:*")), expect: .explicitDeny(.resource)),
        Case(name: "identity denies, resource policy allows", identity: [doc(deny("s3:*"))], resourcePolicy: doc(grant(bobARN, "s3:GetObject")), expect: .explicitDeny(.identity)),
        Case(name: "resource deny reported before identity deny", identity: [doc(deny("s3:*"))], resourcePolicy: doc(refuse(bobARN, "s3:*")), expect: .explicitDeny(.resource)),
        Case(
            name: "resource policy with a condition that holds", resourcePolicy: doc(grant(bobARN, "s3:GetObject", when: #"{"Bool":{"aws:SecureTransport":"true"}}"#)),
            context: ["aws:SecureTransport": ["true"]], expect: .allow
        ),
        Case(
            name: "resource policy with a condition that fails", resourcePolicy: doc(grant(bobARN, "s3:GetObject", when: #"{"Bool":{"aws:SecureTransport":"true"}}"#)),
            context: ["aws:SecureTransport": ["false"]], expect: .implicitDeny(.identity)
        ),
        Case(name: "user named directly: the boundary does not limit", resourcePolicy: doc(grant(bobARN, "s3:GetObject")), boundary: ec2Only, expect: .allow),
        Case(name: "everyone: the boundary still limits", resourcePolicy: doc(grant(everyone, "s3:GetObject")), boundary: ec2Only, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "account: the boundary still limits", identity: [s3All], resourcePolicy: doc(grant(accountRoot, "s3:GetObject")), boundary: ec2Only, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "role ARN, session without identity allow", resourcePolicy: doc(grant(devRole, "s3:GetObject")), principal: devSession, expect: .allow),
        Case(name: "role ARN, boundary lacks", resourcePolicy: doc(grant(devRole, "s3:GetObject")), boundary: ec2Only, principal: devSession, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "role ARN, session policy lacks", resourcePolicy: doc(grant(devRole, "s3:GetObject")), session: [ec2Only], principal: devSession, expect: .implicitDeny(.session)),
        Case(name: "role ARN, session policy allows", resourcePolicy: doc(grant(devRole, "s3:GetObject")), session: [s3All], principal: devSession, expect: .allow),
        Case(name: "session ARN, boundary lacks", resourcePolicy: doc(grant(devSessionARN, "s3:GetObject")), boundary: ec2Only, principal: devSession, expect: .allow),
        Case(name: "session ARN, session policy lacks", resourcePolicy: doc(grant(devSessionARN, "s3:GetObject")), session: [ec2Only], principal: devSession, expect: .allow),
        Case(name: "session ARN of another session", resourcePolicy: doc(grant(#"{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/s2"}"#, "s3:GetObject")), principal: devSession, expect: .implicitDeny(.identity)),
        Case(name: "role ARN of another role", resourcePolicy: doc(grant(#"{"AWS":"arn:aws:iam::111122223333:role/Ops"}"#, "s3:GetObject")), principal: devSession, expect: .implicitDeny(.identity)),
        Case(name: "role unique id", resourcePolicy: doc(grant(#"{"AWS":"AROADEVDEVDEVDEVDEV01"}"#, "s3:GetObject")), principal: devSession, expect: .allow),
        Case(name: "user unique id", resourcePolicy: doc(grant(#"{"AWS":"AIDABOBBOBBOBBOBBOB01"}"#, "s3:GetObject")), expect: .allow),
        Case(name: "principal list", resourcePolicy: doc(grant(#"{"AWS":["arn:aws:iam::111122223333:user/division/carol","arn:aws:iam::111122223333:user/bob"]}"#, "s3:GetObject")), expect: .allow),
        Case(name: "NotPrincipal allow: others allowed", resourcePolicy: doc(grant(bobARN, "s3:GetObject", not: true)), principal: carol, expect: .allow),
        Case(name: "NotPrincipal allow: the named user is not", resourcePolicy: doc(grant(bobARN, "s3:GetObject", not: true)), expect: .implicitDeny(.identity)),
        Case(
            name: "NotPrincipal deny: the named user is spared", identity: [s3All],
            resourcePolicy: doc(refuse(#"{"AWS":["arn:aws:iam::111122223333:user/bob"]}"#, "s3:*", not: true)), expect: .allow
        ),
        Case(
            name: "NotPrincipal deny: everyone else denied", identity: [s3All],
            resourcePolicy: doc(refuse(bobARN, "s3:*", not: true)), principal: carol, expect: .explicitDeny(.resource)
        ),
        Case(
            name: "NotPrincipal deny naming the account spares its users", identity: [s3All],
            resourcePolicy: doc(refuse(accountRoot, "s3:*", not: true)), principal: carol, expect: .allow
        ),
        Case(
            name: "NotPrincipal deny with role and session", identity: [s3All],
            resourcePolicy: doc(refuse(#"{"AWS":["arn:aws:iam::111122223333:role/Dev","arn:aws:sts::111122223333:assumed-role/Dev/s1"]}"#, "s3:*", not: true)),
            principal: devSession, expect: .allow
        ),
        Case(
            name: "NotPrincipal deny always denies a principal with a boundary", identity: [s3All],
            resourcePolicy: doc(refuse(bobARN, "s3:*", not: true)), boundary: s3All, expect: .explicitDeny(.resource)
        ),
        Case(
            name: "NotPrincipal deny spares the listed principal without a boundary", identity: [s3All],
            resourcePolicy: doc(refuse(bobARN, "s3:*", not: true)), expect: .allow
        ),
        Case(name: "resourceAccount given and equal", resourcePolicy: doc(grant(bobARN, "s3:GetObject")), resourceAccount: account, expect: .allow),
        Case(name: "statement without matching principal is ignored for deny", identity: [s3All], resourcePolicy: doc(refuse(aliceARN, "s3:*")), expect: .allow),
    ]

    static let crossAccount: [Case] = [
        Case(name: "identity alone is not enough", identity: [s3All], principal: alice, resourceAccount: account, expect: .implicitDeny(.resource)),
        Case(name: "resource policy names the caller's account", identity: [s3All], resourcePolicy: doc(grant(otherAccountRoot, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .allow),
        Case(name: "resource policy names the caller's account id", identity: [s3All], resourcePolicy: doc(grant(#"{"AWS":"444455556666"}"#, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .allow),
        Case(name: "resource policy names the caller, identity silent", resourcePolicy: doc(grant(aliceARN, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .implicitDeny(.identity)),
        Case(name: "resource policy names the caller, identity allows", identity: [s3All], resourcePolicy: doc(grant(aliceARN, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .allow),
        Case(name: "resource policy names another account", identity: [s3All], resourcePolicy: doc(grant(accountRoot, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .implicitDeny(.resource)),
        Case(name: "resource policy denies", identity: [s3All], resourcePolicy: doc(grant(otherAccountRoot, "s3:*"), refuse(aliceARN, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .explicitDeny(.resource)),
        Case(name: "identity denies", identity: [doc(allow("s3:*"), deny("s3:GetObject"))], resourcePolicy: doc(grant(aliceARN, "s3:*")), principal: alice, resourceAccount: account, expect: .explicitDeny(.identity)),
        Case(name: "everyone plus identity", identity: [s3All], resourcePolicy: doc(grant(everyone, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .allow),
        Case(name: "everyone without identity", resourcePolicy: doc(grant(everyone, "s3:GetObject")), principal: alice, resourceAccount: account, expect: .implicitDeny(.identity)),
        Case(name: "boundary lacks", identity: [s3All], resourcePolicy: doc(grant(aliceARN, "s3:*")), boundary: ec2Only, principal: alice, resourceAccount: account, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "role session: role named", identity: [s3All], resourcePolicy: doc(grant(#"{"AWS":"arn:aws:iam::444455556666:role/Ops"}"#, "s3:*")), principal: otherSession, resourceAccount: account, expect: .allow),
        Case(name: "role session: role named, no identity", resourcePolicy: doc(grant(#"{"AWS":"arn:aws:iam::444455556666:role/Ops"}"#, "s3:*")), principal: otherSession, resourceAccount: account, expect: .implicitDeny(.identity)),
        Case(name: "role session: session policy lacks", identity: [s3All], resourcePolicy: doc(grant(otherAccountRoot, "s3:*")), session: [ec2Only], principal: otherSession, resourceAccount: account, expect: .implicitDeny(.session)),
        Case(name: "other account's root with its account named", resourcePolicy: doc(grant(otherAccountRoot, "s3:GetObject")), principal: otherRoot, resourceAccount: account, expect: .allow),
        Case(name: "other account's root without a resource policy", principal: otherRoot, resourceAccount: account, expect: .implicitDeny(.resource)),
        Case(name: "caller's account in the resource ARN only is not cross-account", identity: [s3All], principal: alice, expect: .allow),
        Case(name: "SCP of the caller applies across accounts", identity: [s3All], resourcePolicy: doc(grant(aliceARN, "s3:*")), scp: [[ec2Only]], principal: alice, resourceAccount: account, expect: .implicitDeny(.serviceControl)),
    ]

    static let rootAndOthers: [Case] = [
        Case(name: "root needs no policy", principal: root, expect: .allow),
        Case(name: "identity policies do not apply to root", identity: [doc(deny("*"))], principal: root, expect: .allow),
        Case(name: "resource policy can deny root", resourcePolicy: doc(refuse(accountRoot, "s3:*")), principal: root, expect: .explicitDeny(.resource)),
        Case(name: "resource policy deny for everyone includes root", resourcePolicy: doc(refuse(everyone, "s3:*")), principal: root, expect: .explicitDeny(.resource)),
        Case(name: "SCP deny applies to root", scp: [[doc(allow("*"), deny("s3:*"))]], principal: root, expect: .explicitDeny(.serviceControl)),
        Case(name: "SCP must allow for root too", scp: [[ec2Only]], principal: root, expect: .implicitDeny(.serviceControl)),
        Case(name: "key policy must allow root", required: true, principal: root, expect: .implicitDeny(.resource)),
        Case(name: "key policy allows the account", resourcePolicy: doc(grant(accountRoot, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", principal: root, expect: .allow),
        Case(name: "anonymous without resource policy", principal: anonymous, expect: .implicitDeny(.resource)),
        Case(name: "anonymous with public read", resourcePolicy: doc(grant(everyone, "s3:GetObject")), principal: anonymous, expect: .allow),
        Case(name: "anonymous with AWS star", resourcePolicy: doc(grant(everyoneAWS, "s3:GetObject")), principal: anonymous, expect: .allow),
        Case(name: "anonymous is not the account", resourcePolicy: doc(grant(accountRoot, "s3:GetObject")), principal: anonymous, expect: .implicitDeny(.resource)),
        Case(name: "identity policies do not apply to anonymous", identity: [s3All], principal: anonymous, expect: .implicitDeny(.resource)),
        Case(
            name: "anonymous read from the office only", resourcePolicy: doc(grant(everyone, "s3:GetObject", when: #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#)),
            principal: anonymous, context: ["aws:SourceIp": ["198.51.100.1"]], expect: .implicitDeny(.resource)
        ),
        Case(name: "SCPs do not apply to anonymous", resourcePolicy: doc(grant(everyone, "s3:GetObject")), scp: [[ec2Only]], principal: anonymous, expect: .allow),
        Case(name: "service principal named", resourcePolicy: doc(grant(#"{"Service":"cloudtrail.amazonaws.com"}"#, "s3:PutObject")), action: "s3:PutObject", principal: trail, expect: .allow),
        Case(name: "service principal list", resourcePolicy: doc(grant(#"{"Service":["config.amazonaws.com","cloudtrail.amazonaws.com"]}"#, "s3:PutObject")), action: "s3:PutObject", principal: trail, expect: .allow),
        Case(name: "another service principal", resourcePolicy: doc(grant(#"{"Service":"config.amazonaws.com"}"#, "s3:PutObject")), action: "s3:PutObject", principal: trail, expect: .implicitDeny(.resource)),
        Case(
            name: "service principal with source account condition",
            resourcePolicy: doc(grant(#"{"Service":"cloudtrail.amazonaws.com"}"#, "s3:PutObject", when: #"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#)),
            action: "s3:PutObject", principal: trail, context: ["aws:SourceAccount": ["444455556666"]], expect: .implicitDeny(.resource)
        ),
        Case(name: "a service is not everyone's account", resourcePolicy: doc(grant(accountRoot, "s3:PutObject")), action: "s3:PutObject", principal: trail, expect: .implicitDeny(.resource)),
        Case(
            name: "canonical user", resourcePolicy: doc(grant(#"{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#, "s3:GetObject")),
            principal: PrincipalContext(kind: .anonymous, arn: "*", accountID: "anonymous", userID: "anonymous", canonicalUserID: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
            expect: .allow
        ),
    ]

    static let trust: [Case] = [
        Case(name: "trust names the user", resourcePolicy: doc(grant(bobARN, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", expect: .allow),
        Case(name: "trust names the account, no identity", resourcePolicy: doc(grant(accountRoot, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", expect: .implicitDeny(.identity)),
        Case(name: "trust names the account, identity allows", identity: [doc(allow("sts:AssumeRole"))], resourcePolicy: doc(grant(accountRoot, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", expect: .allow),
        Case(name: "identity allows, trust silent", identity: [doc(allow("sts:AssumeRole"))], resourcePolicy: doc(grant(#"{"AWS":"arn:aws:iam::111122223333:user/division/carol"}"#, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", expect: .implicitDeny(.resource)),
        Case(name: "no trust policy", identity: [doc(allow("sts:AssumeRole"))], required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", expect: .implicitDeny(.resource)),
        Case(
            name: "trust requires MFA, without", resourcePolicy: doc(grant(bobARN, "sts:AssumeRole", on: [], when: #"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)),
            required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", expect: .implicitDeny(.resource)
        ),
        Case(
            name: "trust requires MFA, with", resourcePolicy: doc(grant(bobARN, "sts:AssumeRole", on: [], when: #"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)),
            required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", context: ["aws:MultiFactorAuthPresent": ["true"]], expect: .allow
        ),
        Case(
            name: "external id matches", identity: [doc(allow("sts:AssumeRole"))],
            resourcePolicy: doc(grant(otherAccountRoot, "sts:AssumeRole", on: [], when: #"{"StringEquals":{"sts:ExternalId":"xyz"}}"#)),
            required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", principal: alice, context: ["sts:ExternalId": ["xyz"]],
            resourceAccount: account, expect: .allow
        ),
        Case(
            name: "external id missing", identity: [doc(allow("sts:AssumeRole"))],
            resourcePolicy: doc(grant(otherAccountRoot, "sts:AssumeRole", on: [], when: #"{"StringEquals":{"sts:ExternalId":"xyz"}}"#)),
            required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", principal: alice, resourceAccount: account,
            expect: .implicitDeny(.resource)
        ),
        Case(
            name: "web identity provider", resourcePolicy: doc(grant(#"{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}"#, "sts:AssumeRoleWithWebIdentity", on: [], when: #"{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/app:*"}}"#)),
            required: true, action: "sts:AssumeRoleWithWebIdentity", resource: "arn:aws:iam::111122223333:role/R", principal: oidc,
            context: ["token.actions.githubusercontent.com:sub": ["repo:org/app:ref:refs/heads/main"]], expect: .allow
        ),
        Case(
            name: "web identity of another repository", resourcePolicy: doc(grant(#"{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}"#, "sts:AssumeRoleWithWebIdentity", on: [], when: #"{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/app:*"}}"#)),
            required: true, action: "sts:AssumeRoleWithWebIdentity", resource: "arn:aws:iam::111122223333:role/R", principal: oidc,
            context: ["token.actions.githubusercontent.com:sub": ["repo:evil/app:ref:refs/heads/main"]], expect: .implicitDeny(.resource)
        ),
        Case(
            name: "another provider", resourcePolicy: doc(grant(#"{"Federated":"cognito-identity.amazonaws.com"}"#, "sts:AssumeRoleWithWebIdentity", on: [])),
            required: true, action: "sts:AssumeRoleWithWebIdentity", resource: "arn:aws:iam::111122223333:role/R", principal: oidc, expect: .implicitDeny(.resource)
        ),
        Case(name: "trust names the calling role", resourcePolicy: doc(grant(devRole, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", principal: devSession, expect: .allow),
        Case(name: "trust names everyone", resourcePolicy: doc(grant(everyone, "sts:AssumeRole", on: [])), required: true, action: "sts:AssumeRole", resource: "arn:aws:iam::111122223333:role/R", principal: carol, expect: .allow),
        Case(name: "trust with tag session", resourcePolicy: doc(grant(bobARN, "sts:TagSession", on: [])), required: true, action: "sts:TagSession", resource: "arn:aws:iam::111122223333:role/R", expect: .allow),
    ]

    static let boundariesSessionsSCPs: [Case] = [
        Case(name: "identity and boundary allow", identity: [s3All], boundary: doc(allow("s3:Get*")), expect: .allow),
        Case(name: "boundary lacks", identity: [s3All], boundary: ec2Only, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "boundary denies", identity: [s3All], boundary: doc(allow("*"), deny("s3:GetObject")), expect: .explicitDeny(.permissionsBoundary)),
        Case(name: "boundary allows, identity lacks", identity: [ec2Only], boundary: s3All, expect: .implicitDeny(.identity)),
        Case(name: "boundary with condition", identity: [s3All], boundary: doc(allow("*", when: #"{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}"#)), context: ["aws:RequestedRegion": ["us-east-1"]], expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "boundary on a role session", identity: [s3All], boundary: ec2Only, principal: devSession, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "session policy allows", identity: [s3All], session: [doc(allow("s3:GetObject"))], principal: devSession, expect: .allow),
        Case(name: "session policy lacks", identity: [s3All], session: [ec2Only], principal: devSession, expect: .implicitDeny(.session)),
        Case(name: "session policy denies", identity: [s3All], session: [doc(allow("*"), deny("s3:*"))], principal: devSession, expect: .explicitDeny(.session)),
        Case(name: "session policies combine", identity: [s3All], session: [ec2Only, doc(allow("s3:Get*"))], principal: devSession, expect: .allow),
        Case(name: "session policy cannot add permissions", identity: [ec2Only], session: [s3All], principal: devSession, expect: .implicitDeny(.identity)),
        Case(name: "no session policy: identity decides", identity: [s3All], principal: devSession, expect: .allow),
        Case(name: "session policies do not apply to users", identity: [s3All], session: [ec2Only], expect: .allow),
        Case(name: "federated user: identity and session allow", identity: [s3All], session: [s3All], principal: fedUser, expect: .allow),
        Case(name: "federated user: session lacks", identity: [s3All], session: [ec2Only], principal: fedUser, expect: .implicitDeny(.session)),
        Case(name: "federated user: resource policy names the federated user", resourcePolicy: doc(grant(#"{"AWS":"arn:aws:sts::111122223333:federated-user/fed"}"#, "s3:GetObject")), session: [ec2Only], principal: fedUser, expect: .allow),
        Case(name: "federated user: resource policy names the IAM user", resourcePolicy: doc(grant(bobARN, "s3:GetObject")), session: [ec2Only], principal: fedUser, expect: .implicitDeny(.session)),
        Case(name: "federated user: resource policy names the IAM user, session allows", resourcePolicy: doc(grant(bobARN, "s3:GetObject")), session: [s3All], principal: fedUser, expect: .allow),
        Case(name: "SCP allows everything", identity: [s3All], scp: [[doc(allow("*"))]], expect: .allow),
        Case(name: "SCP does not grant", scp: [[doc(allow("*"))]], expect: .implicitDeny(.identity)),
        Case(name: "SCP lacks", identity: [s3All], scp: [[ec2Only]], expect: .implicitDeny(.serviceControl)),
        Case(name: "SCP denies", identity: [s3All], scp: [[doc(allow("*"), deny("s3:GetObject"))]], expect: .explicitDeny(.serviceControl)),
        Case(name: "every SCP level must allow", identity: [s3All], scp: [[doc(allow("*"))], [doc(allow("*"))], [ec2Only]], expect: .implicitDeny(.serviceControl)),
        Case(name: "every SCP level allows", identity: [s3All], scp: [[doc(allow("*"))], [doc(allow("s3:*"))], [doc(allow("s3:GetObject"))]], expect: .allow),
        Case(name: "SCPs at one level combine", identity: [s3All], scp: [[ec2Only, doc(allow("s3:*"))]], expect: .allow),
        Case(name: "SCP deny beats a resource policy grant", resourcePolicy: doc(grant(bobARN, "s3:*")), scp: [[doc(allow("*"), deny("s3:*"))]], expect: .explicitDeny(.serviceControl)),
        Case(name: "SCP lack beats a resource policy grant", resourcePolicy: doc(grant(bobARN, "s3:*")), scp: [[ec2Only]], expect: .implicitDeny(.serviceControl)),
        Case(
            name: "SCP region guard", identity: [doc(allow("*"))],
            scp: [[doc(allow("*"), deny("*", when: #"{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#))]],
            context: ["aws:RequestedRegion": ["us-east-1"]], expect: .explicitDeny(.serviceControl)
        ),
        Case(
            name: "SCP region guard, allowed region", identity: [doc(allow("*"))],
            scp: [[doc(allow("*"), deny("*", when: #"{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}"#))]],
            context: ["aws:RequestedRegion": ["eu-west-1"]], expect: .allow
        ),
        Case(name: "SCP reported before identity deny", identity: [doc(deny("*"))], scp: [[doc(deny("*"))]], expect: .explicitDeny(.serviceControl)),
        Case(name: "SCP lack before boundary lack", identity: [s3All], boundary: ec2Only, scp: [[ec2Only]], expect: .implicitDeny(.serviceControl)),
        Case(name: "boundary lack before session lack", identity: [s3All], boundary: ec2Only, session: [ec2Only], principal: devSession, expect: .implicitDeny(.permissionsBoundary)),
        Case(name: "identity lack before boundary lack", identity: [ec2Only], boundary: ec2Only, expect: .implicitDeny(.identity)),
        Case(name: "everything allows", identity: [s3All], resourcePolicy: doc(grant(devRole, "s3:*")), boundary: s3All, session: [s3All], scp: [[doc(allow("*"))]], principal: devSession, expect: .allow),
    ]

    @Test(arguments: sameAccount) func sameAccountCase(_ c: Case) { c.run() }
    @Test(arguments: crossAccount) func crossAccountCase(_ c: Case) { c.run() }
    @Test(arguments: rootAndOthers) func rootAndOthersCase(_ c: Case) { c.run() }
    @Test(arguments: trust) func trustCase(_ c: Case) { c.run() }
    @Test(arguments: boundariesSessionsSCPs) func boundariesSessionsSCPsCase(_ c: Case) { c.run() }
}
