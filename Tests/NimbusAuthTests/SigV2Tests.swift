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

@Suite("SigV2 verifier")
struct SigV2Tests {
    typealias T = TestSupport

    static func verifier(now: Date, _ credentials: [SigningCredential] = [T.credential]) -> SigV2Verifier {
        SigV2Verifier(credentials: StaticCredentialProvider(credentials), clock: .fixed(now))
    }

    static func at(_ epoch: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(epoch)) }

    /// The error `authenticate` throws, or nil.
    static func error(_ request: SignableRequest, host: String? = nil, verifier: SigV2Verifier) async -> AWSError? {
        do {
            _ = try await verifier.authenticate(request, host: host)
            return nil
        } catch {
            return error
        }
    }

    static func extra(_ error: AWSError?, _ name: String) -> String? { error?.extra.first { $0.0 == name }?.1 }

    // MARK: AWS's developer guide (RESTAuthentication.md)

    /// One worked example of the guide. The signatures were computed over bucket `johnsmith`; later editions renamed
    /// the bucket without recomputing them, so these use the original name.
    struct GuideExample: Sendable, CustomTestStringConvertible {
        var name: String
        var method = "GET"
        var path: String
        var query = ""
        var host: String
        var headers: [(name: String, value: String)]
        /// Epoch seconds of the request's date.
        var date: Int
        var stringToSign: String
        var signature: String

        var testDescription: String { name }
        var bucket: String? { SigV2Verifier.virtualHostedBucket(host: host) }
        var request: SignableRequest {
            SignableRequest(
                method: method,
                path: path,
                query: query,
                headers: [("Host", host)] + headers + [("Authorization", "AWS \(T.accessKeyID):\(signature)")]
            )
        }
    }

    static let guide: [GuideExample] = [
        GuideExample(
            name: "Object GET",
            path: "/photos/puppy.jpg",
            host: "johnsmith.s3.amazonaws.com",
            headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000")],
            date: 1_175_024_202,
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
            signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU="
        ),
        GuideExample(
            name: "Object GET (today's bucket name, as the translated guides recompute it)",
            path: "/photos/puppy.jpg",
            host: "awsexamplebucket1.s3.us-west-1.amazonaws.com",
            headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000")],
            date: 1_175_024_202,
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
            signature: "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
        ),
        GuideExample(
            name: "Object PUT",
            method: "PUT",
            path: "/photos/puppy.jpg",
            host: "johnsmith.s3.amazonaws.com",
            headers: [("Content-Type", "image/jpeg"), ("Content-Length", "94328"), ("Date", "Tue, 27 Mar 2007 21:15:45 +0000")],
            date: 1_175_030_145,
            stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
            signature: "MyyxeRY7whkBe+bq8fHCL/2kKUg="
        ),
        GuideExample(
            name: "List",
            path: "/",
            query: "prefix=photos&max-keys=50&marker=puppy",
            host: "johnsmith.s3.amazonaws.com",
            headers: [("User-Agent", "Mozilla/5.0"), ("Date", "Tue, 27 Mar 2007 19:42:41 +0000")],
            date: 1_175_024_561,
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
            signature: "htDYFYduRNen8P9ZfE/s9SuKy0U="
        ),
        GuideExample(
            name: "Fetch (?acl)",
            path: "/",
            query: "acl",
            host: "johnsmith.s3.amazonaws.com",
            headers: [("Date", "Tue, 27 Mar 2007 19:44:46 +0000")],
            date: 1_175_024_686,
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
            signature: "c2WLPFtWHVgbEmeEG93a4cG37dM="
        ),
        GuideExample(
            name: "List all my buckets",
            path: "/",
            host: "s3.amazonaws.com",
            headers: [("Date", "Wed, 28 Mar 2007 01:29:59 +0000")],
            date: 1_175_045_399,
            stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
            signature: "qGdzdERIC03wnaRNKh6OqZehG9s="
        ),
        GuideExample(
            name: "Unicode keys",
            path: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
            host: "s3.amazonaws.com",
            headers: [("Date", "Wed, 28 Mar 2007 01:49:49 +0000")],
            date: 1_175_046_589,
            stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
            signature: "DNEZGsoieTZ92F3bUfSPQcbGmlM="
        ),
    ]

    @Test("the developer guide's header examples", arguments: guide)
    func guideExample(_ example: GuideExample) async throws {
        #expect(SigV2Verifier.signature(secret: T.secret, example.stringToSign) == example.signature)
        #expect(try SigV2Verifier.stringToSign(for: example.request, bucket: example.bucket) == example.stringToSign)

        let now = Self.at(example.date + 60)
        let auth = try #require(try await Self.verifier(now: now).authenticate(example.request, host: example.host))
        #expect(auth.principal == T.credential.principal)
        #expect(auth.signedAt == Self.at(example.date))
        #expect(!auth.isPresigned)
        #expect(auth.scope.accessKeyID == T.accessKeyID && auth.scope.region == "us-east-1" && auth.scope.service == "s3")
        #expect(auth.scope.date == (example.date < 1_175_040_000 ? "20070327" : "20070328"))
        guard case .unsigned = auth.payload else { throw AWSError.malformedInput }

        // nil host: the request's own Host header decides.
        #expect(try await Self.verifier(now: now).authenticate(example.request, host: nil) != nil)
    }

    @Test("Delete with x-amz-date: the Date line is empty and x-amz-date is signed; the guide's own form verifies too")
    func deleteWithAmzDate() async throws {
        func request(_ signature: String) -> SignableRequest {
            SignableRequest(
                method: "DELETE",
                path: "/johnsmith/photos/puppy.jpg",
                headers: [
                    ("User-Agent", "dotnet"), ("Host", "s3.amazonaws.com"), ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"),
                    ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"), ("Authorization", "AWS \(T.accessKeyID):\(signature)"),
                ]
            )
        }
        let standard = "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
        #expect(try SigV2Verifier.stringToSign(for: request("x"), bucket: nil) == standard)
        #expect(SigV2Verifier.signature(secret: T.secret, standard) == "R4dJ53KECjStyBO5iTBJZ4XVOaI=")
        let guideForm = "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
        #expect(SigV2Verifier.signature(secret: T.secret, guideForm) == "lx3byBScXR6KzyMaifNkardMwNk=")

        let verifier = Self.verifier(now: Self.at(1_175_030_426))
        let work = try #require(try await verifier.authenticateShowingWork(request("R4dJ53KECjStyBO5iTBJZ4XVOaI="), host: "s3.amazonaws.com"))
        #expect(work.stringToSign == standard)
        #expect(work.authenticated.signedAt == Self.at(1_175_030_426))
        // The guide's signature: the x-amz-date on the Date line and not among the headers.
        #expect(try await verifier.authenticate(request("lx3byBScXR6KzyMaifNkardMwNk="), host: "s3.amazonaws.com") != nil)
        // x-amz-date, not Date, is what the clock is checked against.
        let later = Self.verifier(now: Self.at(1_175_030_426 + 901))
        let error = await Self.error(request("R4dJ53KECjStyBO5iTBJZ4XVOaI="), verifier: later)
        #expect(error?.code == "RequestTimeTooSkewed")
        #expect(Self.extra(error, "RequestTime") == "Tue, 27 Mar 2007 21:20:26 +0000")
    }

    @Test("Upload to a CNAME bucket with x-amz-meta headers: sorted, lowercased, trimmed, repeated values joined")
    func upload() async throws {
        let headers: [(name: String, value: String)] = [
            ("User-Agent", "curl/7.15.5"), ("Date", "Tue, 27 Mar 2007 21:06:08 +0000"), ("x-amz-acl", "public-read"),
            ("content-type", "application/x-download"), ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"), ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"), ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ("Content-Disposition", "attachment; filename=database.dat"), ("Content-Encoding", "gzip"), ("Content-Length", "5913339"),
            ("Authorization", "AWS \(T.accessKeyID):ilyl83RwaSoYIEdixDQcA4OnAnc="),
        ]
        let expected = "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
            + "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
            + "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz"
        let cname = SignableRequest(method: "PUT", path: "/db-backup.dat.gz", headers: [("Host", "static.johnsmith.net:8080")] + headers)
        #expect(try SigV2Verifier.stringToSign(for: cname, bucket: "static.johnsmith.net") == expected)
        #expect(SigV2Verifier.signature(secret: T.secret, expected) == "ilyl83RwaSoYIEdixDQcA4OnAnc=")

        // Nimbus routes CNAMEs path-style; the same request addressed that way signs the same resource.
        let pathStyle = SignableRequest(
            method: "PUT",
            path: "/static.johnsmith.net/db-backup.dat.gz",
            headers: [("Host", "s3.localhost:4566")] + headers
        )
        #expect(try await Self.verifier(now: Self.at(1_175_029_568)).authenticate(pathStyle, host: "s3.localhost:4566") != nil)
    }

    // MARK: Query-string authentication

    static let guideURL = SignableRequest(
        method: "GET",
        path: "/photos/puppy.jpg",
        query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
        headers: [("Host", "johnsmith.s3.amazonaws.com")]
    )

    @Test("the developer guide's query-string example")
    func guideQuery() async throws {
        #expect(try SigV2Verifier.stringToSign(for: Self.guideURL, bucket: "johnsmith") == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg")
        let now = Self.at(1_175_139_620 - 3_000)
        let auth = try #require(try await Self.verifier(now: now).authenticate(Self.guideURL, host: "johnsmith.s3.amazonaws.com"))
        #expect(auth.isPresigned)
        #expect(auth.signedAt == now)
        #expect(auth.scope == SigningScope(accessKeyID: T.accessKeyID, date: "20070329", region: "us-east-1", service: "s3"))
        guard case .unsigned = auth.payload else { throw AWSError.malformedInput }
        // A presigned URL has no skew window: a year before it expires is fine, and so is its last second.
        #expect(try await Self.verifier(now: Self.at(1_175_139_620 - 31_536_000)).authenticate(Self.guideURL, host: nil) != nil)
        #expect(try await Self.verifier(now: Self.at(1_175_139_620)).authenticate(Self.guideURL, host: nil) != nil)
        // Date headers do not matter to a presigned URL.
        let withDate = Self.guideURL.replacingHeader("Date", with: "Mon, 26 Mar 2007 19:37:58 +0000")
        #expect(try await Self.verifier(now: now).authenticate(withDate, host: nil) != nil)
    }

    @Test("an expired URL is refused as S3 does, before the key is looked up")
    func expired() async {
        let error = await Self.error(Self.guideURL, verifier: Self.verifier(now: Self.at(1_175_139_621), []))
        #expect(error?.code == "AccessDenied")
        #expect(error?.status == 403)
        #expect(error?.message == "Request has expired")
        #expect(Self.extra(error, "Expires") == "2007-03-29T03:40:20Z")
        #expect(Self.extra(error, "ServerTime") == "2007-03-29T03:40:21Z")
    }

    @Test("a wrong secret is SignatureDoesNotMatch with S3's StringToSign, SignatureProvided and StringToSignBytes")
    func wrongSecret() async throws {
        let other = SigningCredential(
            accessKeyID: T.accessKeyID,
            secretAccessKey: "not-the-secret",
            principal: .root(of: T.accountID, accessKeyID: T.accessKeyID)
        )
        let error = await Self.error(Self.guideURL, verifier: Self.verifier(now: Self.at(1_175_139_000), [other]))
        #expect(error == .s3SignatureDoesNotMatch)
        #expect(error?.status == 403)
        #expect(error?.message == AWSError.s3SignatureDoesNotMatch.message)
        #expect(error?.extra.map(\.0) == ["AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"])
        #expect(Self.extra(error, "AWSAccessKeyId") == T.accessKeyID)
        #expect(Self.extra(error, "StringToSign") == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg")
        #expect(Self.extra(error, "SignatureProvided") == "NpgCjnDzrM+WFzoENXmpNDUsSn8=")
        let bytes = try #require(Self.extra(error, "StringToSignBytes"))
        #expect(bytes.hasPrefix("47 45 54 0a 0a 0a 31 31 37 35"))
        #expect(bytes.split(separator: " ").count == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg".utf8.count)
        #expect(!(error?.description.contains("not-the-secret") ?? true))
    }

    @Test("an unknown or inactive key is InvalidAccessKeyId")
    func unknownKey() async {
        var inactive = T.credential
        inactive.isActive = false
        for credentials in [[], [inactive]] {
            let error = await Self.error(Self.guideURL, verifier: Self.verifier(now: Self.at(1_175_139_000), credentials))
            #expect(error == .s3InvalidAccessKeyId)
            #expect(error?.status == 403)
            #expect(Self.extra(error, "AWSAccessKeyId") == T.accessKeyID)
        }
    }

    @Test("sub-resources are signed, with their values decoded; other parameters are not")
    func subresources() async throws {
        let base = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
        let verifier = Self.verifier(now: Self.at(1_175_139_000))
        for tampered in ["acl", "%61cl", "versionId=1", "response-content-type=text%2Fhtml", "uploads", "tagging"] {
            var request = Self.guideURL
            request.query = base + "&" + tampered
            let error = await Self.error(request, verifier: verifier)
            #expect(error == .s3SignatureDoesNotMatch, "\(tampered)")
            #expect(Self.extra(error, "StringToSign")?.contains("/johnsmith/photos/puppy.jpg?") == true, "\(tampered)")
        }
        // SigV2 leaves everything else unsigned, as S3 does.
        var extra = Self.guideURL
        extra.query = "x-id=GetObject&" + base + "&foo=bar"
        #expect(try await verifier.authenticate(extra, host: nil) != nil)

        let resource = SigV2Verifier.canonicalizedResource(
            path: "/k",
            query: "versions&prefix=a&versionId=a%2Fb%2Bc&response-content-disposition=attachment%3B%20filename%3D%22x%20y%22&acl&uploadId=",
            bucket: "b"
        )
        #expect(resource == "/b/k?acl&response-content-disposition=attachment; filename=\"x y\"&uploadId=&versionId=a/b+c&versions")
    }

    // MARK: Session tokens

    /// A temporary credential with `token`.
    static func temporary(_ token: String = "FQoGZXIvYXdzEBYaDEXAMPLETOKEN+/=", expiration: Date? = nil) -> SigningCredential {
        SigningCredential(
            accessKeyID: T.accessKeyID,
            secretAccessKey: T.secret,
            sessionToken: token,
            expiration: expiration,
            principal: .root(of: T.accountID, accessKeyID: T.accessKeyID)
        )
    }

    @Test("x-amz-security-token is checked against the credential and signed among the x-amz- headers")
    func sessionToken() async throws {
        let now = Self.at(1_369_353_600)
        // boto3's URL (below) carries the token in its query.
        let url = Self.boto3Token
        #expect(try await Self.verifier(now: now, [Self.temporary()]).authenticate(url, host: nil) != nil)
        #expect(await Self.error(url, verifier: Self.verifier(now: now, [T.credential])) == .s3InvalidToken)
        #expect(await Self.error(url, verifier: Self.verifier(now: now, [Self.temporary("other")])) == .s3InvalidToken)
        let expired = Self.verifier(now: now, [Self.temporary(expiration: now.addingTimeInterval(-1))])
        #expect(await Self.error(url, verifier: expired) == .s3ExpiredToken)

        // The token is required for a temporary credential, and tampering with it breaks the check or the signature.
        var missing = url
        missing.query = url.query.replacingOccurrences(of: "&x-amz-security-token=FQoGZXIvYXdzEBYaDEXAMPLETOKEN%2B%2F%3D", with: "")
        #expect(await Self.error(missing, verifier: Self.verifier(now: now, [Self.temporary()])) == .s3InvalidToken)

        // Header authentication: the token header is one of the signed x-amz- headers.
        let stringToSign = "GET\n\n\nFri, 24 May 2013 00:00:00 GMT\nx-amz-security-token:tok\n/photos/k"
        let signed = SignableRequest(
            method: "GET",
            path: "/photos/k",
            headers: [
                ("Host", "s3.localhost:4566"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("X-Amz-Security-Token", "tok"),
                ("Authorization", "AWS \(T.accessKeyID):\(SigV2Verifier.signature(secret: T.secret, stringToSign))"),
            ]
        )
        #expect(try SigV2Verifier.stringToSign(for: signed, bucket: nil) == stringToSign)
        #expect(try await Self.verifier(now: now, [Self.temporary("tok")]).authenticate(signed, host: nil) != nil)
        #expect(await Self.error(signed, verifier: Self.verifier(now: now, [T.credential])) == .s3InvalidToken)
    }

    // MARK: boto3 (botocore.auth.HmacV1QueryAuth / HmacV1Auth), credentials above, time frozen at 2013-05-24T00:00:00Z

    static let boto3Token = SignableRequest(
        method: "GET",
        path: "/photos/k",
        query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=itrLqlic7fESOorezGewaOF8CHE%3D"
            + "&x-amz-security-token=FQoGZXIvYXdzEBYaDEXAMPLETOKEN%2B%2F%3D&Expires=1369357200",
        headers: [("Host", "s3.localhost:4566")]
    )

    @Test("boto3's generate_presigned_url and HmacV1Auth verify")
    func boto3() async throws {
        let now = Self.at(1_369_353_600)
        let verifier = Self.verifier(now: now)

        // s3 addressing_style=path, Key "a dir/ሴ+x~y.txt"
        let path = SignableRequest(
            method: "GET",
            path: "/photos/a%20dir/%E1%88%B4%2Bx~y.txt",
            query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=SFUGPKSqM91MBF3baQlrL5l158s%3D&Expires=1369357200",
            headers: [("Host", "s3.localhost:4566")]
        )
        #expect(try await verifier.authenticate(path, host: "s3.localhost:4566") != nil)

        // addressing_style=virtual, with VersionId and ResponseContentDisposition
        let virtual = SignableRequest(
            method: "GET",
            path: "/puppy.jpg",
            query: "versionId=3%2FL4kqtJl%2B0zq&response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22"
                + "&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=jtPF90UdOXVB2AfGUarhXNFUtE0%3D&Expires=1369357200",
            headers: [("Host", "photos.s3.localhost:4566")]
        )
        let work = try #require(try await verifier.authenticateShowingWork(virtual, host: "photos.s3.localhost:4566"))
        #expect(
            work.stringToSign
                == "GET\n\n\n1369357200\n/photos/puppy.jpg?response-content-disposition=attachment; filename=\"x y.txt\"&versionId=3/L4kqtJl+0zq"
        )
        // Addressed to another bucket, the same URL no longer matches.
        #expect(await Self.error(virtual, host: "other.s3.localhost:4566", verifier: verifier) == .s3SignatureDoesNotMatch)

        // HmacV1Auth: Authorization header, Content-MD5, Content-Type, a padded x-amz-meta value, ?tagging
        let header = SignableRequest(
            method: "PUT",
            path: "/photos/new%20key",
            query: "tagging",
            headers: [
                ("Host", "s3.localhost:4566"), ("Content-Type", "text/plain"), ("x-amz-meta-a", " b "),
                ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:pofUbs3uCMDBa4Jtg+zEn0IX4Qo="),
            ]
        )
        #expect(try SigV2Verifier.stringToSign(for: header, bucket: nil)
            == "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\nFri, 24 May 2013 00:00:00 GMT\nx-amz-meta-a:b\n/photos/new%20key?tagging")
        #expect(try await verifier.authenticate(header, host: nil) != nil)
    }

    // MARK: Header authentication: time

    static func headerRequest(date: String, name: String = "Date") -> SignableRequest {
        SignableRequest(
            method: "GET",
            path: "/photos/puppy.jpg",
            headers: [("Host", "johnsmith.s3.amazonaws.com"), (name, date), ("Authorization", "AWS \(T.accessKeyID):bWq2s1WEIj+Ydj0vQ697zp+IXMU=")]
        )
    }

    @Test("Date must be within 15 minutes either way")
    func skew() async {
        let request = Self.headerRequest(date: "Tue, 27 Mar 2007 19:36:42 +0000")
        for offset in [-901, 901] {
            let error = await Self.error(request, verifier: Self.verifier(now: Self.at(1_175_024_202 + offset), []))
            #expect(error?.code == "RequestTimeTooSkewed")
            #expect(error?.status == 403)
            #expect(Self.extra(error, "RequestTime") == "Tue, 27 Mar 2007 19:36:42 +0000")
            #expect(Self.extra(error, "MaxAllowedSkewMilliseconds") == "900000")
            #expect(Self.extra(error, "ServerTime") == (offset > 0 ? "2007-03-27T19:51:43Z" : "2007-03-27T19:21:41Z"))
        }
        for offset in [-900, 900] {
            #expect(await Self.error(request, verifier: Self.verifier(now: Self.at(1_175_024_202 + offset))) == nil)
        }
    }

    @Test(
        "a missing or unreadable date is S3's AccessDenied",
        arguments: ["", "yesterday", "Tue, 27 Mar 2007 19:36:42 +9999", "Tue, 32 Mar 2007 19:36:42 GMT"]
    )
    func badDate(_ date: String) async {
        for request in [Self.headerRequest(date: date), Self.headerRequest(date: date, name: "x-amz-date")] {
            let error = await Self.error(request, verifier: Self.verifier(now: Self.at(1_175_024_202)))
            #expect(error?.code == "AccessDenied")
            #expect(error?.message == "AWS authentication requires a valid Date or x-amz-date header")
        }
        var none = Self.headerRequest(date: "")
        none.headers.removeAll { $0.name == "Date" }
        #expect(await Self.error(none, verifier: Self.verifier(now: Self.at(1_175_024_202)))?.code == "AccessDenied")
    }

    @Test("RFC 2616's three date forms and numeric zones")
    func dates() {
        let expected = Self.at(1_175_024_202)
        #expect(SigV2Verifier.parseDate("Tue, 27 Mar 2007 19:36:42 GMT") == expected)
        #expect(SigV2Verifier.parseDate("Tue, 27 Mar 2007 19:36:42 +0000") == expected)
        #expect(SigV2Verifier.parseDate("Tue, 27 Mar 2007 21:36:42 +0200") == expected)
        #expect(SigV2Verifier.parseDate("Tue, 27 Mar 2007 14:36:42 -0500") == expected)
        #expect(SigV2Verifier.parseDate("Tuesday, 27-Mar-07 19:36:42 GMT") == expected)
        #expect(SigV2Verifier.parseDate("Tue Mar 27 19:36:42 2007") == expected)
        #expect(SigV2Verifier.parseDate("Tue Mar  7 19:36:42 2007") == Self.at(1_175_024_202 - 20 * 86_400))
        #expect(SigV2Verifier.parseDate("20070327T193642Z") == expected)
        for bad in ["Tue, 27 Mar 2007 19:36:42 +00", "Tue, 27 Mar 2007 19:36:42 +2400", "Tue, 27 Mar 2007 19:36:42 +00a0", "Tue Foo 27 19:36:42 2007",
            String(repeating: "Tue, ", count: 100), "Tuesday, 27-Mar-07 19:36:42 PST", "Tuesday, 27-Mar 19:36:42 GMT"]
        {
            #expect(SigV2Verifier.parseDate(bad) == nil, "\(bad)")
        }
    }

    // MARK: Hostile and malformed input

    @Test("an incomplete presigned URL is refused", arguments: [
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1", "Signature=abc&Expires=1",
        "Expires=1", "AWSAccessKeyId=&Signature=abc&Expires=1", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=&Expires=1",
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc&Expires=",
    ])
    func incompleteQuery(_ query: String) async {
        let request = SignableRequest(method: "GET", path: "/b/k", query: query, headers: [("Host", "s3.localhost")])
        #expect(SigV2Verifier.isSigV2(request))
        let error = await Self.error(request, verifier: Self.verifier(now: Self.at(0)))
        #expect(error?.code == "AccessDenied")
        #expect(error?.message == "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
    }

    @Test("Expires must be seconds since the epoch", arguments: [
        "abc", "-1", "+5", "%205", "1e9", "1.5", "0x10", "99999999999999999999999", String(repeating: "9", count: 10_000),
    ])
    func badExpires(_ expires: String) async {
        let request = SignableRequest(
            method: "GET",
            path: "/b/k",
            query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc&Expires=\(expires)",
            headers: [("Host", "s3.localhost")]
        )
        let error = await Self.error(request, verifier: Self.verifier(now: Self.at(0)))
        #expect(error?.code == "AccessDenied")
        #expect(error?.message.hasPrefix("Invalid date (should be seconds since epoch): ") == true)
        #expect((error?.message.utf8.count ?? .max) < 2_200)
    }

    @Test("extreme but numeric Expires values neither crash nor pass")
    func extremeExpires() async {
        for expires in ["0", "9223372036854775807", "0000000000000000000000000001175139620"] {
            var request = Self.guideURL
            request.query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=\(expires)"
            let error = await Self.error(request, verifier: Self.verifier(now: Self.at(1_175_139_000)))
            #expect(error?.code == (expires == "0" ? "AccessDenied" : "SignatureDoesNotMatch"), "\(expires)")
        }
    }

    @Test("a malformed Authorization: AWS header is InvalidArgument", arguments: [
        "AWS ", "AWS :", "AWS \(T.accessKeyID)", "AWS \(T.accessKeyID):", "AWS :sig", "AWS a:b:c", "AWS  \(T.accessKeyID):sig",
        "AWS \(T.accessKeyID): sig",
    ])
    func malformedHeader(_ value: String) async {
        let request = SignableRequest(
            method: "GET",
            path: "/",
            headers: [("Host", "s3.localhost"), ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Authorization", value)]
        )
        #expect(SigV2Verifier.isSigV2(request))
        let error = await Self.error(request, verifier: Self.verifier(now: Self.at(1_175_024_202)))
        #expect(error?.code == "InvalidArgument")
        #expect(error?.status == 400)
        #expect(Self.extra(error, "ArgumentName") == "Authorization")
        #expect(Self.extra(error, "ArgumentValue") == value)
    }

    @Test("only one authentication mechanism at a time")
    func mixedMechanisms() async {
        let verifier = Self.verifier(now: Self.at(1_175_139_000))
        let v4Header = Self.guideURL.replacingHeader("Authorization", with: "AWS4-HMAC-SHA256 Credential=x")
        let v2Header = Self.guideURL.replacingHeader("Authorization", with: "AWS \(T.accessKeyID):abc")
        var v4Query = Self.headerRequest(date: "Tue, 27 Mar 2007 19:36:42 +0000")
        v4Query.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        var twoHeaders = Self.headerRequest(date: "Tue, 27 Mar 2007 19:36:42 +0000")
        twoHeaders.headers.append(("authorization", "AWS \(T.accessKeyID):other"))
        for request in [v4Header, v2Header, v4Query] {
            let error = await Self.error(request, verifier: verifier)
            #expect(error?.code == "InvalidArgument")
            #expect(error?.message.hasPrefix("Only one auth mechanism allowed") == true)
        }
        #expect(await Self.error(twoHeaders, verifier: verifier)?.code == "InvalidArgument")
    }

    @Test("huge inputs are answered, and S3's debugging details are left out past 16 KiB")
    func hugeInputs() async throws {
        let big = String(repeating: "a", count: 1 << 20)
        var request = Self.headerRequest(date: "Tue, 27 Mar 2007 19:36:42 +0000")
        request.path = "/" + big
        request.query = String(repeating: "acl&", count: 10_000)
        request.headers += [("x-amz-meta-big", big), ("Authorization-Extra", big)]
        let verifier = Self.verifier(now: Self.at(1_175_024_202))
        let error = await Self.error(request, verifier: verifier)
        #expect(error == .s3SignatureDoesNotMatch)
        #expect(error?.extra.isEmpty == true)

        var longKey = Self.guideURL
        longKey.query = "AWSAccessKeyId=\(big)&Signature=\(big)&Expires=1175139620"
        let unknown = await Self.error(longKey, verifier: verifier)
        #expect(unknown == .s3InvalidAccessKeyId)
        #expect((Self.extra(unknown, "AWSAccessKeyId")?.utf8.count ?? .max) < 2_100)
    }

    // MARK: Not SigV2

    @Test("requests without SigV2 credentials are left to SigV4")
    func notSigV2() async throws {
        let verifier = Self.verifier(now: T.date)
        let v4 = T.signer(flavor: .s3, service: "s3").signed(T.get(path: "/b/k"), at: T.date)
        let presignedV4 = T.signer(flavor: .s3, service: "s3").presigned(T.get(path: "/b/k"), at: T.date, expires: 60)
        let anonymous = T.get(path: "/b/k", query: "versionId=1&response-expires=0")
        let lowercase = T.get(path: "/b/k", headers: [("Authorization", "aws AKID:sig")])
        for request in [v4, presignedV4, anonymous, lowercase] {
            #expect(!SigV2Verifier.isSigV2(request))
            #expect(try await verifier.authenticate(request, host: nil) == nil)
        }
        #expect(SigV2Verifier.isSigV2(Self.guideURL))
        #expect(SigV2Verifier.isSigV2(Self.guide[0].request))
    }

    @Test("the bucket of a virtual-hosted host")
    func buckets() {
        #expect(SigV2Verifier.virtualHostedBucket(host: "photos.s3.localhost:4566") == "photos")
        #expect(SigV2Verifier.virtualHostedBucket(host: "my.bucket.s3.us-east-1.localhost") == "my.bucket")
        #expect(SigV2Verifier.virtualHostedBucket(host: "Photos.S3.amazonaws.com") == "photos")
        for host in ["s3.localhost", "s3.localhost:4566", "localhost:4566", "127.0.0.1:4566", "[::1]:4566", ":4566", "", ".s3.localhost"] {
            #expect(SigV2Verifier.virtualHostedBucket(host: host) == nil, "\(host)")
        }
        #expect(SigV2Verifier.virtualHostedBucket(host: nil) == nil)
    }
}
