//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import NimbusCore
import NimbusPolicy
import Testing

/// IAM's `MalformedPolicyDocument` and `LimitExceeded` answers for documents of each kind.
@Suite struct ValidationTests {
    struct Invalid: Sendable, CustomTestStringConvertible {
        var json: String
        var kind: PolicyKind
        var message: String
        var testDescription: String { "\(kind): \(message)" }
    }

    static let ok = #""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#

    static let invalid: [Invalid] = [
        Invalid(json: "", kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: "{", kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: "[]", kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #""policy""#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok)}]} x"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[{\#(ok)}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok)}],"Extra":1}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Foo":"bar"}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":"Allow"}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":{"s3":"x"},"Resource":"*"}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":"aws:SecureTransport"}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"Bool":{"aws:SecureTransport":null}}}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"Bool":{"aws:SecureTransport":{"a":1}}}}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"Bool":"aws:SecureTransport"}}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-18","Statement":[{\#(ok)}]}"#, kind: .identity, message: "The policy failed legacy parsing"),
        Invalid(json: #"{"Version":2012,"Statement":[{\#(ok)}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17"}"#, kind: .identity, message: "Missing required field Statement"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Action":"s3:GetObject","Resource":"*"}]}"#, kind: .identity, message: "Missing required field Effect"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allowed","Action":"s3:GetObject","Resource":"*"}]}"#, kind: .identity, message: "Invalid effect: Allowed"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}"#, kind: .identity, message: "Invalid effect: allow"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#, kind: .identity, message: "Policy statement must contain actions."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#, kind: .identity, message: "Policy statement must contain actions."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}"#, kind: .identity, message: "Policy statement must contain resources."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[]}]}"#, kind: .identity, message: "Policy statement must contain resources."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}"#, kind: .identity, message: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":":GetObject","Resource":"*"}]}"#, kind: .identity, message: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}]}"#, kind: .identity, message: "Actions/Condition can contain only one colon."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}]}"#, kind: .identity, message: "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"StringEquals":{"SourceIp":"x"}}}]}"#, kind: .identity, message: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"StringEqualz":{"aws:username":"x"}}}]}"#, kind: .identity, message: "Invalid Condition type : StringEqualz"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"NullIfExists":{"aws:username":"true"}}}]}"#, kind: .identity, message: "Invalid Condition type : NullIfExists"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Condition":{"ForAnyValues:StringEquals":{"aws:TagKeys":"a"}}}]}"#, kind: .identity, message: "Invalid Condition type : ForAnyValues:StringEquals"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket"}]}"#, kind: .identity, message: #"Resource bucket must be in ARN format or "*"."#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:bucket"}]}"#, kind: .identity, message: #"Resource arn:aws:s3:bucket must be in ARN format or "*"."#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":""}]}"#, kind: .identity, message: #"Resource  must be in ARN format or "*"."#),
        Invalid(json: #"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket"}]}"#, kind: .identity, message: "The policy failed legacy parsing"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Sid":"my-sid",\#(ok)}]}"#, kind: .identity, message: "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Sid":"A",\#(ok)},{"Sid":"A",\#(ok)}]}"#, kind: .identity, message: "Statement IDs (SID) in a single policy must be unique."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Principal":"*"}]}"#, kind: .identity, message: "Policy document should not specify a principal."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"NotPrincipal":{"AWS":"111122223333"}}]}"#, kind: .inlineIdentity, message: "Policy document should not specify a principal."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Principal":"*"}]}"#, kind: .permissionsBoundary, message: "Policy document should not specify a principal."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Principal":"*"}]}"#, kind: .sessionPolicy, message: "Policy document should not specify a principal."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok),"Principal":"*"}]}"#, kind: .serviceControlPolicy, message: "Has prohibited field Principal"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: "Missing required field Principal"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#, kind: .trustPolicy, message: "Has prohibited field Resource"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","NotResource":"*"}]}"#, kind: .trustPolicy, message: "Has prohibited field NotResource"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject"}]}"#, kind: .trustPolicy, message: "AssumeRole policy may only specify STS AssumeRole actions."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: #"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: #"Invalid principal in policy: "AWS":"bob""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1234:root"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: #"Invalid principal in policy: "AWS":"arn:aws:iam::1234:root""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: #"Invalid principal in policy: "AWS":"arn:aws:s3:::bucket""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:group/admins"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: #"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:group/admins""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: #"Invalid principal in policy: "Service":"*""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: "Invalid principal in policy"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Users":"bob"},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: "Invalid principal in policy"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: "Invalid principal in policy"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}"#, kind: .trustPolicy, message: "Invalid principal in policy"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{\#(ok)}]}"#, kind: .resourcePolicy, message: "Missing required field Principal"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"*"}]}"#, kind: .resourcePolicy, message: "Policy has invalid action"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"bucket"}]}"#, kind: .resourcePolicy, message: "Policy has invalid resource"),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"nothex"},"Action":"s3:GetObject","Resource":"*"}]}"#, kind: .resourcePolicy, message: #"Invalid principal in policy: "CanonicalUser":"nothex""#),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/ü日本"}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/\u{1}\"}]}", kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"\ud800"}]}"#, kind: .identity, message: "Syntax errors in policy."),
        Invalid(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"\x"}]}"#, kind: .identity, message: "Syntax errors in policy."),
    ]

    @Test(arguments: invalid) func refused(_ c: Invalid) {
        do {
            _ = try PolicyDocument.parse(c.json, kind: c.kind)
            Issue.record("accepted: \(c.json)")
        } catch {
            #expect(error.code == .malformedPolicyDocument)
            #expect(error.message == c.message)
            #expect(error.awsError.code == "MalformedPolicyDocument")
            #expect(error.awsError.status == 400)
        }
    }

    static let valid: [(String, PolicyKind)] = [
        (#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#, .identity),
        (#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#, .identity),
        (#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#, .identity),
        (#"{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/*"}]}"#, .identity),
        (#"{"Version":"2012-10-17","Statement":[]}"#, .identity),
        ("  \n\t{ \"Version\" : \"2012-10-17\" ,\r\n \"Statement\" : [ ] }  ", .identity),
        (#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}]}"#, .identity),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/caf\u00e9"}]}"#, .identity),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/café"}]}"#, .identity),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*"]},"NumericLessThan":{"ec2:VolumeSize":100},"Null":{"aws:RequestTag/x":true}}}]}"#, .identity),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/p/bob","arn:aws:iam::111122223333:role/R","arn:aws:sts::111122223333:assumed-role/R/s","arn:aws:sts::111122223333:federated-user/f","AIDAEXAMPLEEXAMPLE012"]},"Action":"sts:AssumeRole"}]}"#, .trustPolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:abc"}}}]}"#, .trustPolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#, .trustPolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Sid":"Public Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/日本/*"}]}"#, .resourcePolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}]}"#, .resourcePolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, .serviceControlPolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, .sessionPolicy),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, .permissionsBoundary),
        (#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, .inlineIdentity),
    ]

    @Test(arguments: valid.indices) func accepted(_ i: Int) throws {
        let (json, kind) = Self.valid[i]
        let policy = try PolicyDocument.parse(json, kind: kind, id: "p\(i)")
        #expect(policy.kind == kind)
        #expect(policy.id == "p\(i)")
    }

    @Test func versionAndIDAreKept() throws {
        let policy = try PolicyDocument.parse(#"{"Version":"2008-10-17","Id":"doc","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, kind: .identity)
        #expect(policy.version == .v2008_10_17)
        #expect(policy.documentID == "doc")
        #expect(policy.sids == ["A", nil])
        #expect(policy.statementCount == 2)
        #expect(policy.withID("arn:aws:iam::111122223333:policy/P").id == "arn:aws:iam::111122223333:policy/P")
    }

    // MARK: Size quotas

    static func policy(padding: Int) -> String {
        // 62 non-whitespace characters around the padding.
        #"{"Version":"2012-10-17","Statement":[{"Sid":""# + String(repeating: "A", count: padding) + #"","Effect":"Allow","Action":"*","Resource":"*"}]}"#
    }

    static func size(_ json: String) -> Int { PolicyLimits.size(of: json) }

    @Test func managedPolicyQuota() throws {
        let base = Self.size(Self.policy(padding: 0))
        let atLimit = Self.policy(padding: PolicyLimits.managedPolicySize - base)
        #expect(Self.size(atLimit) == 6_144)
        _ = try PolicyDocument.parse(atLimit, kind: .identity)
        let over = Self.policy(padding: PolicyLimits.managedPolicySize - base + 1)
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(over, kind: .identity) }
        do {
            _ = try PolicyDocument.parse(over, kind: .identity)
        } catch {
            #expect(error.message == "Cannot exceed quota for PolicySize: 6144")
            #expect(error.awsError.code == "LimitExceeded")
        }
        // Boundaries are managed policies too.
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(over, kind: .permissionsBoundary) }
    }

    @Test func whitespaceDoesNotCount() throws {
        let base = Self.size(Self.policy(padding: 0))
        let json = Self.policy(padding: PolicyLimits.managedPolicySize - base).replacingSpaces(with: 20_000)
        #expect(json.utf8.count > 20_000)
        _ = try PolicyDocument.parse(json, kind: .identity)
    }

    @Test func trustPolicyQuota() throws {
        let base = Self.size(Self.policy(padding: 0))
        let trust = { (padding: Int) in
            #"{"Version":"2012-10-17","Statement":[{"Sid":""# + String(repeating: "A", count: padding)
                + #"","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#
        }
        let trustBase = PolicyLimits.size(of: trust(0))
        _ = base
        _ = try PolicyDocument.parse(trust(2_048 - trustBase), kind: .trustPolicy)
        do {
            _ = try PolicyDocument.parse(trust(2_049 - trustBase), kind: .trustPolicy)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .limitExceeded)
            #expect(error.message == "Cannot exceed quota for ACLSizePerRole: 2048")
        }
        _ = try PolicyDocument.parse(trust(4_096 - trustBase), kind: .trustPolicy(sizeLimit: 4_096))
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(trust(4_097 - trustBase), kind: .trustPolicy(sizeLimit: 10_000)) }
    }

    @Test func sessionAndSCPQuotas() throws {
        let base = Self.size(Self.policy(padding: 0))
        _ = try PolicyDocument.parse(Self.policy(padding: 2_048 - base), kind: .sessionPolicy)
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(Self.policy(padding: 2_049 - base), kind: .sessionPolicy) }
        _ = try PolicyDocument.parse(Self.policy(padding: 5_120 - base), kind: .serviceControlPolicy)
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(Self.policy(padding: 5_121 - base), kind: .serviceControlPolicy) }
        // Inline policies have an aggregate quota the IAM service checks; alone they pass.
        _ = try PolicyDocument.parse(Self.policy(padding: 9_000), kind: .inlineIdentity)
        let bucketPolicy = { (padding: Int) in
            #"{"Version":"2012-10-17","Statement":[{"Sid":""# + String(repeating: "A", count: padding)
                + #"","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#
        }
        #expect(try PolicyDocument.parse(bucketPolicy(100_000), kind: .resourcePolicy(sizeLimit: 200_000)).statementCount == 1)
        #expect(throws: PolicyError.limitExceeded) { try PolicyDocument.parse(bucketPolicy(30_000), kind: .resourcePolicy(sizeLimit: 20_480)) }
    }

    @Test func quotaNumbers() {
        #expect(PolicyLimits.managedPolicySize == 6_144)
        #expect(PolicyLimits.inlineAggregate(for: .user) == 2_048)
        #expect(PolicyLimits.inlineAggregate(for: .group) == 5_120)
        #expect(PolicyLimits.inlineAggregate(for: .role) == 10_240)
        #expect(PolicyLimits.trustPolicyDefault == 2_048)
        #expect(PolicyLimits.trustPolicyMaximum == 4_096)
        #expect(PolicyLimits.sessionPolicyPlaintext == 2_048)
        #expect(PolicyLimits.serviceControlPolicy == 5_120)
        #expect(PolicyKind.identity.sizeLimit == 6_144)
        #expect(PolicyKind.trustPolicy(sizeLimit: 99_999).sizeLimit == 4_096)
        #expect(PolicyKind.inlineIdentity.sizeLimit == nil)
        #expect(PolicyLimits.size(of: " { \"a\" :\n\t1 }\r\n") == 7)
        let error = PolicyError.inlinePolicySizeExceeded(limit: 2_048, entity: .user, name: "bob")
        #expect(error.message == "Maximum policy size of 2048 bytes exceeded for user bob")
        #expect(error.code == .limitExceeded)
    }
}

extension String {
    /// The same document with runs of spaces added after every comma, to reach `count` bytes.
    fileprivate func replacingSpaces(with count: Int) -> String {
        let commas = self.filter { $0 == "," }.count
        let each = max(1, (count - utf8.count) / max(commas, 1) + 1)
        return self.split(separator: ",", omittingEmptySubsequences: false).joined(separator: "," + String(repeating: " ", count: each))
    }
}
