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

/// Malformed and hostile bodies: each must be a 4xx in the protocol's terms, never a crash or 5xx.
@Suite struct HostileInputTests {
    let sts = ServiceCodec(model: .sts)
    let kms = ServiceCodec(model: .kms)
    let s3 = ServiceCodec(model: .s3)

    func expect4xx(_ error: AWSError?, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.code == code, sourceLocation: sourceLocation)
        #expect((400..<500).contains(error?.status ?? 0), sourceLocation: sourceLocation)
    }

    @Test func deepJSONNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expect4xx(decodeError(kms, jsonRequest(target: "TrentService.Encrypt", #"{"KeyId":"# + deep + "}")), "SerializationException")
        let objects = String(repeating: #"{"a":"#, count: 70) + "1" + String(repeating: "}", count: 70)
        expect4xx(decodeError(kms, jsonRequest(target: "TrentService.Encrypt", objects)), "SerializationException")
    }

    @Test func jsonLimitsAndEncoding() {
        let huge = #"{"KeyId":""# + String(repeating: "x", count: 2 << 20) + #""}"#
        expect4xx(decodeError(kms, jsonRequest(target: "TrentService.Encrypt", huge)), "SerializationException")
        var invalidUTF8 = jsonRequest(target: "TrentService.Encrypt", "")
        invalidUTF8.body = Array(#"{"KeyId":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        expect4xx(decodeError(kms, invalidUTF8), "SerializationException")
        let manyElements = "{\"GrantTokens\":[" + Array(repeating: "1", count: 200_000).joined(separator: ",") + "]}"
        expect4xx(decodeError(kms, jsonRequest(target: "TrentService.Encrypt", manyElements)), "SerializationException")
        expect4xx(decodeError(kms, jsonRequest(target: "TrentService.Encrypt", #"{"KeyId":"\ud800"}"#)), "SerializationException")
        expect4xx(decodeError(kms, jsonRequest(target: "TrentService.Encrypt", "{} trailing")), "SerializationException")
    }

    @Test func xmlDoctypeEntitiesAndDepth() {
        let laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <CompleteMultipartUpload><Part><ETag>&lol2;</ETag></Part></CompleteMultipartUpload>
            """
        let external = #"<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload>&xxe;</CompleteMultipartUpload>"#
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        for body in [laughs, external, deep, "<a b='1' b='2'/>", "<a>" + String(repeating: "x", count: 2 << 20) + "</a>"] {
            let request = WireRequest(method: "POST", path: "/b/k", query: "uploadId=u", body: Array(body.utf8))
            expect4xx(decodeError(s3, request), "MalformedXML")
        }
        var invalid = WireRequest(method: "POST", path: "/b/k", query: "uploadId=u")
        invalid.body = Array("<CompleteMultipartUpload><Part><ETag>".utf8) + [0xFF, 0xFE] + Array("</ETag></Part></CompleteMultipartUpload>".utf8)
        expect4xx(decodeError(s3, invalid), "MalformedXML")
    }

    @Test func queryStringAbuse() {
        let base = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
        expect4xx(decodeError(sts, formRequest(base + "&Tags" + String(repeating: ".member.1", count: 100) + "=x")), "InvalidQueryParameter")
        let many = (0..<20_000).map { "P\($0)=1" }.joined(separator: "&")
        expect4xx(decodeError(sts, formRequest(base + "&" + many)), "MalformedQueryString")
        expect4xx(decodeError(sts, formRequest(base + "&RoleArn=%E0%A4%A")), "MalformedQueryString")
        expect4xx(decodeError(sts, formRequest(base + "&Policy=%FF%FE")), "MalformedQueryString")
        // Huge list indexes are ignored rather than allocated.
        let sparse = formRequest(base + "&Tags.member.999999999999.Key=k&Tags.member.999999999999.Value=v")
        #expect(decodeError(sts, sparse) == nil)
        var wrongType = formRequest(base)
        wrongType.headers = [("Content-Type", "application/json")]
        expect4xx(decodeError(sts, wrongType), "InvalidQueryParameter")
    }

    @Test func listLengthConstraintsStillApply() {
        let base = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
        let tags = (1...51).map { "Tags.member.\($0).Key=k\($0)&Tags.member.\($0).Value=v" }.joined(separator: "&")
        let error = decodeError(sts, formRequest(base + "&" + tags))
        expect4xx(error, "ValidationError")
        #expect(error?.message.contains("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50") == true)
    }
}
