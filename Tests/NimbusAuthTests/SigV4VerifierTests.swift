//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusAuth
import NimbusCore
import Testing

@Suite("SigV4 verifier")
struct SigV4VerifierTests {
    typealias T = TestSupport
    let verifier = TestSupport.verifier()

    func errorCode(_ request: SignableRequest, flavor: SigningFlavor = .standard, verifier: SigV4Verifier? = nil) async -> AWSError? {
        let verifier = verifier ?? self.verifier
        return await T.error { () async throws(AWSError) in try await verifier.authenticate(request, flavor: flavor) }
    }

    func principal(_ request: SignableRequest, flavor: SigningFlavor = .standard, verifier: SigV4Verifier? = nil) async throws -> AuthenticatedRequest {
        let result = try await (verifier ?? self.verifier).authenticate(request, flavor: flavor)
        guard case .authenticated(let auth) = result else { throw AWSError.accessDenied("anonymous") }
        return auth
    }

    // MARK: Round trips

    @Test("a signed request round-trips", arguments: [SigningFlavor.standard, .s3])
    func headerRoundTrip(flavor: SigningFlavor) async throws {
        let request = T.get(path: "/a b/ሴ/%41", query: "b=2&a=1&a=0&empty&plus=a+b")
        let signed = T.signer(flavor: flavor).signed(request, at: T.date)
        let auth = try await principal(signed, flavor: flavor)
        #expect(auth.principal == T.credential.principal)
        #expect(auth.scope == SigningScope(accessKeyID: T.accessKeyID, date: "20130524", region: "us-east-1", service: "iam"))
        #expect(auth.signedAt == T.date)
        #expect(!auth.isPresigned)
        guard case .signed(let hash) = auth.payload else { throw AWSError.malformedInput }
        #expect(hash == SigV4Crypto.emptySHA256)
    }

    @Test("a presigned request round-trips", arguments: [SigningFlavor.standard, .s3])
    func presignedRoundTrip(flavor: SigningFlavor) async throws {
        let presigned = T.signer(flavor: flavor).presigned(T.get(path: "/bucket/key", query: "x-id=GetObject"), at: T.date, expires: 3600)
        let auth = try await principal(presigned, flavor: flavor, verifier: T.verifier(now: T.date.addingTimeInterval(3000)))
        #expect(auth.isPresigned)
        if flavor == .s3, case .unsigned = auth.payload {} else if flavor == .s3 { Issue.record("S3 presigned payload should be unsigned") }
    }

    @Test("no signature at all is anonymous")
    func anonymous() async throws {
        let result = try await verifier.authenticate(T.get(query: "Action=ListUsers"), flavor: .standard)
        guard case .anonymous = result else { throw AWSError.accessDenied("expected anonymous") }
    }

    @Test("the Date header stands in for x-amz-date")
    func dateHeader() async throws {
        let scope = "20130524/us-east-1/iam/aws4_request"
        func request(signature: String) -> SignableRequest {
            T.get(headers: [
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=\(T.accessKeyID)/\(scope), SignedHeaders=date;host, Signature=\(signature)"),
            ])
        }
        let work = try #require(try SigV4Verifier.canonicalRequest(for: request(signature: "0"), flavor: .standard))
        #expect(work.stringToSign.hasPrefix("AWS4-HMAC-SHA256\n20130524T000000Z\n"))
        let key = SigV4Crypto.signingKey(secret: T.secret, date: "20130524", region: "us-east-1", service: "iam")
        let signed = request(signature: SigV4Crypto.signature(key, work.stringToSign))
        #expect(try await principal(signed).signedAt == T.date)
        let skewed = T.verifier(now: T.date.addingTimeInterval(1200))
        #expect(await errorCode(signed, verifier: skewed)?.message.hasPrefix("Signature expired: 20130524T000000Z") == true)
    }

    @Test("scope(of:) reads the header and the query without verifying")
    func scope() {
        let signed = T.signer(service: "sts").signed(T.get(), at: T.date)
        #expect(SigV4Verifier.scope(of: signed) == SigningScope(accessKeyID: T.accessKeyID, date: "20130524", region: "us-east-1", service: "sts"))
        let presigned = T.signer(service: "s3").presigned(T.get(), at: T.date, expires: 60)
        #expect(SigV4Verifier.scope(of: presigned)?.service == "s3")
        #expect(SigV4Verifier.scope(of: T.get()) == nil)
        #expect(SigV4Verifier.scope(of: T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=junk")])) == nil)
    }

    // MARK: Signatures and keys

    @Test("a tampered signature is refused")
    func tamperedSignature() async throws {
        let signed = T.signer().signed(T.get(), at: T.date)
        let authorization = try #require(signed.header("Authorization"))
        let last = authorization.last == "0" ? "1" : "0"
        let tampered = signed.replacingHeader("Authorization", with: String(authorization.dropLast()) + last)
        #expect(await errorCode(tampered) == .signatureDoesNotMatch)
        let s3 = try #require(await errorCode(T.signer(flavor: .s3).signed(T.get(), at: T.date).replacingHeader("Host", with: "evil"), flavor: .s3))
        #expect(s3 == .s3SignatureDoesNotMatch)
        #expect(s3.message == "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        #expect(s3.extra.contains { $0.0 == "CanonicalRequest" })
        #expect(!s3.description.contains(T.secret))
    }

    @Test("a request changed after signing is refused")
    func tamperedRequest() async {
        let signed = T.signer().signed(T.get(query: "Action=ListUsers"), at: T.date)
        var changed = signed
        changed.query = "Action=DeleteUser"
        #expect(await errorCode(changed) == .signatureDoesNotMatch)
        changed = signed
        changed.path = "/other"
        #expect(await errorCode(changed) == .signatureDoesNotMatch)
    }

    @Test("the wrong secret is refused", arguments: [SigningFlavor.standard, .s3])
    func wrongSecret(flavor: SigningFlavor) async {
        let signed = T.signer(flavor: flavor, secret: "not-the-secret").signed(T.get(), at: T.date)
        #expect(await errorCode(signed, flavor: flavor)?.code == "SignatureDoesNotMatch")
    }

    @Test("an unknown access key is refused")
    func unknownKey() async {
        let signed = T.signer(accessKeyID: "AKIAUNKNOWNUNKNOWN00").signed(T.get(), at: T.date)
        #expect(await errorCode(signed) == .invalidClientTokenId)
        let s3 = await errorCode(T.signer(flavor: .s3, accessKeyID: "AKIAUNKNOWNUNKNOWN00").signed(T.get(), at: T.date), flavor: .s3)
        #expect(s3?.code == "InvalidAccessKeyId")
        #expect(s3?.message == "The AWS Access Key Id you provided does not exist in our records.")
        #expect(s3?.status == 403)
    }

    @Test("an inactive key is refused as unknown")
    func inactiveKey() async {
        var credential = T.credential
        credential.isActive = false
        let verifier = T.verifier([credential])
        #expect(await errorCode(T.signer().signed(T.get(), at: T.date), verifier: verifier) == .invalidClientTokenId)
        #expect(await errorCode(T.signer(flavor: .s3).signed(T.get(), at: T.date), flavor: .s3, verifier: verifier)?.code == "InvalidAccessKeyId")
    }

    // MARK: Time

    @Test("15 minutes of skew either way")
    func skew() async throws {
        let signed = T.signer().signed(T.get(), at: T.date)
        #expect(try await principal(signed, verifier: T.verifier(now: T.date.addingTimeInterval(600))).signedAt == T.date)
        #expect(try await principal(signed, verifier: T.verifier(now: T.date.addingTimeInterval(-600))).signedAt == T.date)

        let late = try #require(await errorCode(signed, verifier: T.verifier(now: T.date.addingTimeInterval(1200))))
        #expect(late == .signatureDoesNotMatch)
        #expect(late.status == 403)
        #expect(late.message == "Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z (20130524T002000Z - 15 min.)")

        let early = try #require(await errorCode(signed, verifier: T.verifier(now: T.date.addingTimeInterval(-1200))))
        #expect(early.message == "Signature not yet current: 20130524T000000Z is still later than 20130523T235500Z (20130523T234000Z + 15 min.)")

        let s3 = try #require(
            await errorCode(T.signer(flavor: .s3).signed(T.get(), at: T.date), flavor: .s3, verifier: T.verifier(now: T.date.addingTimeInterval(1200)))
        )
        #expect(s3.code == "RequestTimeTooSkewed")
        #expect(s3.status == 403)
        #expect(s3.message == "The difference between the request time and the current time is too large.")
    }

    @Test("a presigned URL expires")
    func presignedExpiry() async throws {
        let presigned = T.signer().presigned(T.get(), at: T.date, expires: 300)
        let expired = try #require(await errorCode(presigned, verifier: T.verifier(now: T.date.addingTimeInterval(301))))
        #expect(expired == .signatureDoesNotMatch)
        #expect(expired.message.hasPrefix("Signature expired: 20130524T000000Z is now earlier than"))

        let s3 = try #require(
            await errorCode(T.signer(flavor: .s3).presigned(T.get(), at: T.date, expires: 300), flavor: .s3, verifier: T.verifier(now: T.date.addingTimeInterval(301)))
        )
        #expect(s3.code == "AccessDenied")
        #expect(s3.message == "Request has expired")
    }

    @Test("X-Amz-Expires beyond a week is refused")
    func presignedTooLong() async {
        let s3 = await errorCode(T.signer(flavor: .s3).presigned(T.get(), at: T.date, expires: 604_801), flavor: .s3)
        #expect(s3?.code == "AuthorizationQueryParametersError")
        #expect(s3?.message.contains("604800") == true)
        #expect(await errorCode(T.signer().presigned(T.get(), at: T.date, expires: 604_801))?.code == "IncompleteSignature")
        #expect(await errorCode(T.signer(flavor: .s3).presigned(T.get(), at: T.date, expires: 0), flavor: .s3)?.code == "AuthorizationQueryParametersError")
        // A week exactly is allowed.
        #expect(await errorCode(T.signer(flavor: .s3).presigned(T.get(), at: T.date, expires: 604_800), flavor: .s3) == nil)
    }

    // MARK: Malformed authorization

    @Test("missing SignedHeaders")
    func missingSignedHeaders() async throws {
        let header = "AWS4-HMAC-SHA256 Credential=\(T.accessKeyID)/20130524/us-east-1/iam/aws4_request, Signature=abc"
        let request = T.get(headers: [("X-Amz-Date", "20130524T000000Z"), ("Authorization", header)])
        let error = try #require(await errorCode(request))
        #expect(error.code == "IncompleteSignature")
        #expect(error.message == "Authorization header requires 'SignedHeaders' parameter. Authorization=\(header)")
        #expect(await errorCode(request, flavor: .s3)?.code == "AuthorizationHeaderMalformed")
    }

    @Test("nothing but the algorithm, and no date")
    func emptyAuthorization() async throws {
        let error = try #require(await errorCode(T.get(headers: [("Authorization", "AWS4-HMAC-SHA256")])))
        #expect(
            error.message == "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
                + "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a "
                + "'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
        )
    }

    @Test("a missing date")
    func missingDate() async throws {
        let signed = T.signer().signed(T.get(), at: T.date).replacingHeader("X-Amz-Date", with: nil)
        let error = try #require(await errorCode(signed))
        #expect(error.code == "IncompleteSignature")
        #expect(error.message.hasPrefix("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."))
        let s3 = await errorCode(T.signer(flavor: .s3).signed(T.get(), at: T.date).replacingHeader("X-Amz-Date", with: nil), flavor: .s3)
        #expect(s3 == .accessDenied())
        #expect(s3?.message == "AWS authentication requires a valid Date or x-amz-date header")
    }

    @Test("host must be signed")
    func hostNotSigned() async {
        let header = "AWS4-HMAC-SHA256 Credential=\(T.accessKeyID)/20130524/us-east-1/iam/aws4_request, SignedHeaders=x-amz-date, Signature=abc"
        let request = T.get(headers: [("X-Amz-Date", "20130524T000000Z"), ("x-amz-content-sha256", SigV4Crypto.emptySHA256), ("Authorization", header)])
        #expect(await errorCode(request)?.code == "IncompleteSignature")
        #expect(await errorCode(request, flavor: .s3)?.code == "AccessDenied")
    }

    @Test("unsupported algorithms and schemes")
    func unsupportedAlgorithm() async {
        let sha512 = T.signer().signed(T.get(), at: T.date)
        let header = sha512.header("Authorization")!.replacingOccurrences(of: "AWS4-HMAC-SHA256", with: "AWS4-HMAC-SHA512")
        let request = sha512.replacingHeader("Authorization", with: header)
        #expect(await errorCode(request)?.code == "IncompleteSignature")
        #expect(await errorCode(request, flavor: .s3)?.code == "InvalidRequest")
        #expect(await errorCode(T.get(headers: [("Authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl")]), flavor: .s3)?.code == "InvalidRequest")
        #expect(await errorCode(T.get(headers: [("Authorization", "Bearer abc")]), flavor: .s3)?.code == "InvalidArgument")
    }

    @Test("a credential scope that is malformed or from another day")
    func badScope() async {
        let signed = T.signer().signed(T.get(), at: T.date)
        let header = signed.header("Authorization")!
        let fourParts = signed.replacingHeader("Authorization", with: header.replacingOccurrences(of: "/iam/aws4_request", with: "/aws4_request"))
        #expect(await errorCode(fourParts)?.code == "IncompleteSignature")
        #expect(await errorCode(fourParts, flavor: .s3)?.code == "AuthorizationHeaderMalformed")
        let sixParts = signed.replacingHeader("Authorization", with: header.replacingOccurrences(of: "/iam/aws4_request", with: "/iam/x/aws4_request"))
        #expect(await errorCode(sixParts)?.code == "IncompleteSignature")
        #expect(await errorCode(sixParts, flavor: .s3)?.code == "AuthorizationHeaderMalformed")
        #expect(SigV4Verifier.scope(of: sixParts) == nil)
        let otherDay = signed.replacingHeader("Authorization", with: header.replacingOccurrences(of: "/20130524/", with: "/20130525/"))
        let error = await errorCode(otherDay)
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.message == "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20130525' != '20130524', from '20130524T000000Z'.")
        #expect(await errorCode(otherDay, flavor: .s3)?.code == "AuthorizationHeaderMalformed")
    }

    @Test("a presigned URL without its parameters")
    func presignedMissingParameters() async {
        let request = T.get(query: "X-Amz-Credential=\(T.accessKeyID)%2F20130524%2Fus-east-1%2Fs3%2Faws4_request")
        #expect(await errorCode(request, flavor: .s3)?.code == "AuthorizationQueryParametersError")
        let error = await errorCode(request)
        #expect(error?.code == "IncompleteSignature")
        #expect(error?.message.hasSuffix("Re-examine the query-string parameters.") == true)
    }

    @Test("the header and the query may not both sign")
    func twoMechanisms() async {
        let signed = T.signer(flavor: .s3).signed(T.get(query: "X-Amz-Signature=abc"), at: T.date)
        #expect(await errorCode(signed, flavor: .s3)?.code == "InvalidArgument")
    }

    // MARK: Temporary credentials

    static let token = "FwoGZXIvYXdzEXAMPLETOKEN"

    var temporary: SigningCredential {
        SigningCredential(
            accessKeyID: "ASIAEXAMPLEEXAMPLE00",
            secretAccessKey: T.secret,
            sessionToken: Self.token,
            expiration: T.date.addingTimeInterval(3600),
            principal: .root(of: T.accountID)
        )
    }

    @Test("temporary credentials need their token", arguments: [SigningFlavor.standard, .s3])
    func temporaryCredentials(flavor: SigningFlavor) async throws {
        let verifier = T.verifier([temporary])
        let good = T.signer(flavor: flavor, accessKeyID: temporary.accessKeyID, token: Self.token).signed(T.get(), at: T.date)
        #expect(try await principal(good, flavor: flavor, verifier: verifier).credential.sessionToken == Self.token)
        let presigned = T.signer(flavor: flavor, accessKeyID: temporary.accessKeyID, token: Self.token).presigned(T.get(), at: T.date, expires: 60)
        #expect(try await principal(presigned, flavor: flavor, verifier: verifier).isPresigned)

        let invalid = flavor == .s3 ? AWSError.s3InvalidToken : .invalidClientTokenId
        let missing = T.signer(flavor: flavor, accessKeyID: temporary.accessKeyID).signed(T.get(), at: T.date)
        #expect(await errorCode(missing, flavor: flavor, verifier: verifier) == invalid)
        let wrong = T.signer(flavor: flavor, accessKeyID: temporary.accessKeyID, token: "wrong").signed(T.get(), at: T.date)
        #expect(await errorCode(wrong, flavor: flavor, verifier: verifier) == invalid)
        if flavor == .s3 { #expect(await errorCode(wrong, flavor: flavor, verifier: verifier)?.message == "The provided token is malformed or otherwise invalid.") }

        let later = T.verifier([temporary], now: T.date.addingTimeInterval(3600))
        let late = T.signer(flavor: flavor, accessKeyID: temporary.accessKeyID, token: Self.token).signed(T.get(), at: T.date.addingTimeInterval(3600))
        let expired = await errorCode(late, flavor: flavor, verifier: later)
        #expect(expired?.code == "ExpiredToken")
        if flavor == .s3 { #expect(expired?.message == "The provided token has expired.") } else { #expect(expired == .expiredToken) }
    }

    @Test("a long-term key with a session token is refused")
    func tokenOnLongTermKey() async {
        #expect(await errorCode(T.signer(token: Self.token).signed(T.get(), at: T.date)) == .invalidClientTokenId)
    }

    // MARK: Payload

    @Test("x-amz-content-sha256 must match the body")
    func contentHashMismatch() async throws {
        var request = T.signer(flavor: .s3).signed(
            SignableRequest(method: "PUT", path: "/b/k", headers: [("Host", "s3.amazonaws.com")], bodySHA256: T.sha256Hex("hello")),
            at: T.date
        )
        let auth = try await principal(request, flavor: .s3)
        guard case .signed(let hash) = auth.payload else { throw AWSError.malformedInput }
        #expect(hash == T.sha256Hex("hello"))

        request.bodySHA256 = T.sha256Hex("tampered")
        let error = try #require(await errorCode(request, flavor: .s3))
        #expect(error.code == "XAmzContentSHA256Mismatch")
        #expect(error.status == 400)
        #expect(error.message == "The provided 'x-amz-content-sha256' header does not match what was computed.")

        let standard = T.signer().signed(
            SignableRequest(method: "POST", path: "/", headers: [("Host", "sts.amazonaws.com")], bodySHA256: T.sha256Hex("Action=GetCallerIdentity")),
            at: T.date,
            payload: .sha256(T.sha256Hex("Action=GetCallerIdentity"))
        )
        var tampered = standard
        tampered.bodySHA256 = T.sha256Hex("Action=DeleteUser")
        #expect(await errorCode(tampered) == .signatureDoesNotMatch)
        // Without the header the standard flavor signs the buffered body itself.
        let implicit = T.signer().signed(
            SignableRequest(method: "POST", path: "/", headers: [("Host", "sts.amazonaws.com")], bodySHA256: T.sha256Hex("a")),
            at: T.date
        )
        #expect(implicit.header("x-amz-content-sha256") == nil)
        #expect(try await principal(implicit).isPresigned == false)
        var changedBody = implicit
        changedBody.bodySHA256 = T.sha256Hex("b")
        #expect(await errorCode(changedBody) == .signatureDoesNotMatch)
    }

    @Test("a streamed body is checked against the declared hash")
    func streamedBody() async throws {
        let body = Array(repeating: UInt8(ascii: "x"), count: 100_000)
        var request = SignableRequest(method: "PUT", path: "/b/k", headers: [("Host", "s3.amazonaws.com")], bodySHA256: T.sha256Hex(body))
        request = T.signer(flavor: .s3).signed(request, at: T.date)
        request.bodySHA256 = nil
        let auth = try await principal(request, flavor: .s3)
        guard case .signed(let hash) = auth.payload else { throw AWSError.malformedInput }
        var verifier = PayloadHashVerifier(expectedSHA256Hex: hash)
        verifier.update(body[..<50_000])
        verifier.update(body[50_000...])
        try verifier.finish()
        var wrong = PayloadHashVerifier(expectedSHA256Hex: hash)
        wrong.update(body.dropLast())
        #expect(throws: AWSError.xAmzContentSHA256Mismatch) { try wrong.finish() }
        var standard = PayloadHashVerifier(expectedSHA256Hex: hash, flavor: .standard)
        standard.update([1, 2, 3])
        #expect(throws: AWSError.signatureDoesNotMatch) { try standard.finish() }
    }

    @Test("S3 refuses unknown x-amz-content-sha256 values and needs the header")
    func s3ContentHeader() async {
        let signed = T.signer(flavor: .s3).signed(T.get(), at: T.date)
        #expect(await errorCode(signed.replacingHeader("x-amz-content-sha256", with: "banana"), flavor: .s3)?.code == "InvalidArgument")
        var streamed = signed.replacingHeader("x-amz-content-sha256", with: nil)
        streamed.bodySHA256 = nil
        let error = await errorCode(streamed, flavor: .s3)
        #expect(error?.code == "InvalidRequest")
        #expect(error?.message == "Missing required header for this request: x-amz-content-sha256")
    }

    // MARK: Hostile input

    @Test("hostile input gets AWS errors, never a crash", arguments: [SigningFlavor.standard, .s3])
    func hostileInput(flavor: SigningFlavor) async {
        let huge = String(repeating: "A", count: 1_000_000)
        let cases: [SignableRequest] = [
            T.get(headers: [("Authorization", huge)]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 " + huge)]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=" + huge + ", SignedHeaders=host, Signature=x"), ("X-Amz-Date", "20130524T000000Z")]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature="), ("X-Amz-Date", "20130524T000000Z")]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 ===,,, =, Credential"), ("X-Amz-Date", "99999999T999999Z")]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x"), ("X-Amz-Date", "2013-05-24")]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=a/20130524, SignedHeaders=host, Signature=x"), ("X-Amz-Date", "20130524T000000Z")]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=/20130524/r/, SignedHeaders=host, Signature=x"), ("X-Amz-Date", "20130524T000000Z")]),
            T.get(headers: [("Authorization", "AWS4-HMAC-SHA256 Credential=a"), ("Authorization", "again")]),
            T.get(headers: [("Authorization", "\u{0}\u{1}\u{FFFF}")]),
            T.get(query: "X-Amz-Signature=%FF%FE%&X-Amz-Credential=%ZZ&X-Amz-Expires=-1&X-Amz-Date=%00"),
            T.get(query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fr%2Fs%2Faws4_request&X-Amz-Date=20130524T000000Z"
                + "&X-Amz-Expires=99999999999999999999999&X-Amz-SignedHeaders=host&X-Amz-Signature=00"),
            T.get(query: String(repeating: "a=%&", count: 50_000) + "X-Amz-Credential=x"),
        ]
        for request in cases {
            let error = await errorCode(request, flavor: flavor)
            #expect(error != nil)
            #expect(error.map { $0.status >= 400 && $0.status < 500 } == true, "\(String(describing: error))")
            #expect((error?.message.utf8.count ?? 0) < 10_000)
        }
        // Bad UTF-8 and broken escapes in a signed path verify like any other bytes.
        let odd = T.signer(flavor: flavor).signed(T.get(path: "/%FF%fe/%/%G1/..%2F/x"), at: T.date)
        #expect(await errorCode(odd, flavor: flavor) == nil)
    }

    // MARK: Secrets

    @Test("secrets never print")
    func secretsDoNotPrint() {
        let credential = T.credential
        #expect(!String(describing: credential).contains(T.secret))
        #expect(!String(reflecting: credential).contains(T.secret))
        var dumped = ""
        dump(credential, to: &dumped)
        #expect(!dumped.contains(T.secret))
        #expect(!T.signer().description.contains(T.secret))
    }
}

@Suite("signing key cache")
struct SigningKeyCacheTests {
    @Test("derives the same key as the uncached path and stays bounded")
    func bounded() {
        let cache = SigningKeyCache(capacity: 4)
        let direct = SigV4Crypto.signingKey(secret: "s", date: "20130524", region: "us-east-1", service: "s3")
        let cached = cache.signingKey(secret: "s", date: "20130524", region: "us-east-1", service: "s3")
        #expect(SigV4Crypto.signature(direct, "x") == SigV4Crypto.signature(cached, "x"))
        for i in 0..<100 { _ = cache.signingKey(secret: "s\(i)", date: "20130524", region: "us-east-1", service: "s3") }
        #expect(cache.count <= 4)
    }

    @Test("a derived key's kept HMAC signs each string afresh")
    func derivedKeySignsRepeatedly() {
        let key = SigV4Crypto.signingKey(secret: "s", date: "20130524", region: "us-east-1", service: "s3")
        let derived = SigningKeyCache().derivedKey(secret: "s", date: "20130524", region: "us-east-1", service: "s3")
        for text in ["x", "a longer string to sign", "x", ""] {
            #expect(derived.signature(text) == SigV4Crypto.signature(key, text))
        }
    }

    @Test("the hand-keyed HMAC equals HMAC<SHA256> for short, block-sized and long keys and messages")
    func derivedKeyIsHMAC() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [0, 1, 32, 63, 64, 65, 200] {
            let keyBytes = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let key = SymmetricKey(data: keyBytes)
            let derived = DerivedSigningKey(key)
            for messageLength in [0, 1, 55, 56, 64, 119, 1000] {
                let message = (0..<messageLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let expected = HMAC<SHA256>.authenticationCode(for: message, using: key)
                let actual = message.withUnsafeBytes { derived.authenticationCode($0) }
                #expect(Array(actual) == Array(expected), "key \(keyLength) bytes, message \(messageLength) bytes")
                let hex = SigV4Crypto.hex(expected)
                #expect(derived.matches(message, signature: hex))
                #expect(!derived.matches(message, signature: hex.uppercased()) || hex == hex.uppercased())
                #expect(!derived.matches(message, signature: String(hex.dropLast()) + (hex.hasSuffix("0") ? "1" : "0")))
                #expect(!derived.matches(message, signature: String(hex.dropLast())))
            }
        }
    }

    @Test("AWS's documented signing key for the IAM example")
    func documentedKey() {
        // docs.aws.amazon.com, "Examples of how to derive a signing key for Signature Version 4".
        let key = SigV4Crypto.signingKey(secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20120215", region: "us-east-1", service: "iam")
        #expect(SigV4Crypto.hex(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }
}
