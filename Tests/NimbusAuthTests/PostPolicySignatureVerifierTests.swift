//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAuth
import NimbusCore
import Testing

/// Known answers computed independently (Python's hmac) over AWS's example key and a policy shaped like the
/// one in "Example: Browser-Based Upload using HTTP POST".
@Suite struct PostPolicySignatureVerifierTests {
    static let policy =
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLAogICJjb25kaXRpb25zIjogWwogICAgeyJidWNrZXQiOiAic2lndjRleGFtcGxlYnVja2V0In0sCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwKICAgIHsieC1hbXotY3JlZGVudGlhbCI6ICJBS0lBSU9TRk9ETk43RVhBTVBMRS8yMDE1MTIyOS91cy1lYXN0LTEvczMvYXdzNF9yZXF1ZXN0In0sCiAgICB7IngtYW16LWFsZ29yaXRobSI6ICJBV1M0LUhNQUMtU0hBMjU2In0sCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQogIF0KfQ=="
    static let v4Signature = "7f7775fa6d4a7a15fda5cc67af7c829f04b63206c2eaffb5302371968f1c2476"
    static let v2Signature = "VWvIRcUAkSd8R8zTSAl7Th7c6Qs="

    static var v4Fields: [String: String] {
        [
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
            "x-amz-date": "20151229T000000Z",
            "x-amz-signature": v4Signature,
        ]
    }

    static func verifier(_ credentials: [SigningCredential] = [TestSupport.credential], now: Date = TestSupport.date) -> PostPolicySignatureVerifier {
        PostPolicySignatureVerifier(credentials: StaticCredentialProvider(credentials), clock: .fixed(now))
    }

    static func error(_ fields: [String: String], policy: String = policy, verifier: PostPolicySignatureVerifier = verifier()) async -> AWSError? {
        do {
            _ = try await verifier.verify(policy: policy, fields: fields)
            return nil
        } catch {
            return error
        }
    }

    @Test func sigV4KnownAnswer() async throws {
        let principal = try await Self.verifier().verify(policy: Self.policy, fields: Self.v4Fields)
        #expect(principal?.accountID == TestSupport.accountID)
        // Hex case does not matter.
        var upper = Self.v4Fields
        upper["x-amz-signature"] = Self.v4Signature.uppercased()
        #expect(try await Self.verifier().verify(policy: Self.policy, fields: upper) != nil)
    }

    @Test func sigV2KnownAnswer() async throws {
        let fields = ["awsaccesskeyid": TestSupport.accessKeyID, "signature": Self.v2Signature]
        #expect(try await Self.verifier().verify(policy: Self.policy, fields: fields)?.accountID == TestSupport.accountID)
    }

    @Test func noSignatureFieldsIsNoSignature() async throws {
        #expect(try await Self.verifier().verify(policy: Self.policy, fields: ["key": "k"]) == nil)
    }

    @Test func tamperingIsRefused() async {
        #expect(await Self.error(Self.v4Fields, policy: Self.policy.replacingOccurrences(of: "eyAi", with: "eyBi"))?.code == "SignatureDoesNotMatch")
        var fields = Self.v4Fields
        fields["x-amz-credential"] = "AKIAIOSFODNN7EXAMPLE/20151229/eu-west-1/s3/aws4_request"
        #expect(await Self.error(fields)?.code == "SignatureDoesNotMatch")
        let v2 = ["awsaccesskeyid": TestSupport.accessKeyID, "signature": "AAAA" + Self.v2Signature.dropFirst(4)]
        #expect(await Self.error(v2)?.code == "SignatureDoesNotMatch")
    }

    @Test func malformedFieldsAreInvalidArguments() async {
        var fields = Self.v4Fields
        fields["x-amz-algorithm"] = "AWS4-HMAC-SHA1"
        #expect(await Self.error(fields)?.code == "InvalidArgument")
        fields = Self.v4Fields
        fields["x-amz-date"] = nil
        #expect(await Self.error(fields)?.message.contains("'x-amz-date'") == true)
        fields = Self.v4Fields
        fields["x-amz-date"] = "20151230T000000Z"
        #expect(await Self.error(fields)?.message == "Invalid credential date. Date is not the same as X-Amz-Date.")
        fields = Self.v4Fields
        fields["x-amz-credential"] = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1"
        #expect(await Self.error(fields)?.code == "InvalidArgument")
        #expect(await Self.error(["awsaccesskeyid": TestSupport.accessKeyID])?.message.contains("'Signature'") == true)
    }

    @Test func unknownAndInactiveKeys() async {
        #expect(await Self.error(Self.v4Fields, verifier: Self.verifier([]))?.code == "InvalidAccessKeyId")
        var inactive = TestSupport.credential
        inactive.isActive = false
        #expect(await Self.error(Self.v4Fields, verifier: Self.verifier([inactive]))?.code == "InvalidAccessKeyId")
    }

    @Test func temporaryCredentialsNeedTheirToken() async throws {
        var temporary = TestSupport.credential
        temporary.sessionToken = "token-123"
        temporary.expiration = TestSupport.date.addingTimeInterval(3600)
        let verifier = Self.verifier([temporary])
        #expect(await Self.error(Self.v4Fields, verifier: verifier)?.code == "InvalidToken")
        var fields = Self.v4Fields
        fields["x-amz-security-token"] = "token-124"
        #expect(await Self.error(fields, verifier: verifier)?.code == "InvalidToken")
        fields["x-amz-security-token"] = "token-123"
        #expect(try await verifier.verify(policy: Self.policy, fields: fields) != nil)
        let later = Self.verifier([temporary], now: TestSupport.date.addingTimeInterval(7200))
        #expect(await Self.error(fields, verifier: later)?.code == "ExpiredToken")
        // A token for a key that has none is refused too.
        fields["x-amz-security-token"] = "token-123"
        #expect(await Self.error(fields)?.code == "InvalidToken")
    }

    @Test func accessKeyIDWithoutVerifying() {
        #expect(PostPolicySignatureVerifier.accessKeyID(in: Self.v4Fields) == "AKIAIOSFODNN7EXAMPLE")
        #expect(PostPolicySignatureVerifier.accessKeyID(in: ["awsaccesskeyid": "AKIDV2"]) == "AKIDV2")
        #expect(PostPolicySignatureVerifier.accessKeyID(in: [:]) == nil)
    }
}
