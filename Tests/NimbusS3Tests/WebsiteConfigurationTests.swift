//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
import NimbusWire
import Testing

@testable import NimbusS3

@Suite struct WebsiteConfigurationTests {
    private func refusal(_ configuration: ShapeValue) -> (code: String, message: String)? {
        do {
            _ = try S3Service.websiteConfiguration(configuration)
            return nil
        } catch let error as AWSError {
            return (error.code, error.message)
        } catch {
            return ("?", "\(error)")
        }
    }

    private let index: ShapeValue = .structure(["Suffix": .string("index.html")])

    @Test func aConfigurationRoundTripsThroughItsShape() throws {
        let input: ShapeValue = .structure([
            "IndexDocument": index,
            "ErrorDocument": .structure(["Key": .string("error.html")]),
            "RoutingRules": .list([
                .structure([
                    "Condition": .structure(["KeyPrefixEquals": .string("docs/"), "HttpErrorCodeReturnedEquals": .string("404")]),
                    "Redirect": .structure(["ReplaceKeyPrefixWith": .string("documents/"), "HttpRedirectCode": .string("302")]),
                ]),
                .structure(["Redirect": .structure(["HostName": .string("example.com"), "Protocol": .string("https")])]),
            ]),
        ])
        let parsed = try S3Service.websiteConfiguration(input)
        #expect(S3Service.shape(parsed) == input)
        #expect(parsed.routingRules[1].hasCondition == false)
    }

    @Test func s3sChecksRefuseWhatS3Refuses() {
        #expect(refusal(.structure(["ErrorDocument": .structure(["Key": .string("e")])]))?.code == "InvalidArgument")
        #expect(refusal(.structure(["IndexDocument": .structure(["Suffix": .string("")])]))?.message == "The IndexDocument Suffix is not well formed")
        #expect(refusal(.structure(["IndexDocument": .structure(["Suffix": .string("a/b")])]))?.code == "InvalidArgument")
        #expect(refusal(.structure(["IndexDocument": index, "ErrorDocument": .structure([:])]))?.code == "MalformedXML")
        #expect(refusal(.structure(["IndexDocument": index, "RoutingRules": .list([])]))?.code == "MalformedXML")
        let all: ShapeValue = .structure(["HostName": .string("example.com")])
        #expect(refusal(.structure(["RedirectAllRequestsTo": all, "IndexDocument": index]))?.code == "InvalidArgument")
        #expect(refusal(.structure(["RedirectAllRequestsTo": .structure(["Protocol": .string("http")])]))?.code == "MalformedXML")
        #expect(refusal(.structure(["RedirectAllRequestsTo": all])) == nil)
        func rule(_ members: [String: ShapeValue]) -> ShapeValue { .structure(["IndexDocument": index, "RoutingRules": .list([.structure(members)])]) }
        #expect(refusal(rule(["Redirect": .structure(["ReplaceKeyWith": .string("a"), "ReplaceKeyPrefixWith": .string("b")])]))?.code == "InvalidRequest")
        #expect(refusal(rule(["Condition": .structure([:]), "Redirect": .structure([:])]))?.code == "InvalidRequest")
        #expect(refusal(rule(["Redirect": .structure(["HttpRedirectCode": .string("300")])]))?.code == "InvalidRequest")
        #expect(refusal(rule(["Redirect": .structure(["HttpRedirectCode": .string("301")])])) == nil)
        #expect(refusal(rule(["Condition": .structure(["HttpErrorCodeReturnedEquals": .string("200")]), "Redirect": .structure([:])]))?.code == "InvalidRequest")
        #expect(refusal(rule(["Condition": .structure(["KeyPrefixEquals": .string("x")])]))?.code == "MalformedXML")
        let many = ShapeValue.list(Array(repeating: .structure(["Redirect": .structure([:])]), count: 51))
        #expect(refusal(.structure(["IndexDocument": index, "RoutingRules": many]))?.code == "InvalidRequest")
    }

    @Test func keysBecomePathsWithEverythingButUnreservedASCIIEncoded() {
        #expect(S3Service.websitePathEncoded("docs/a b/é?.html") == "docs/a%20b/%C3%A9%3F.html")
        #expect(S3Service.websitePathEncoded("~x_y-z.0") == "~x_y-z.0")
        #expect(S3Service.websitePathEncoded("\n") == "%0A")
    }

    @Test func errorPagesAreHTMLWithTheErrorEscaped() {
        let page = S3Service.websiteErrorPage(.noSuchBucket("<b>"), requestID: "r1", method: "GET")
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(page.status == 404)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(html.contains("<li>BucketName: &lt;b&gt;</li>"))
        #expect(html.contains("<title>404 Not Found</title>"))
        #expect(S3Service.websiteErrorPage(.noSuchBucket("x"), requestID: "r1", method: "HEAD").body.isEmpty)
    }
}
