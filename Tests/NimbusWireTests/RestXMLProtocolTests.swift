//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusWire
import Testing

@Suite struct RestXMLProtocolTests {
    let s3 = ServiceCodec(model: .s3)

    func request(
        _ method: String,
        _ path: String,
        query: String = "",
        headers: [(name: String, value: String)] = [],
        host: String = "localhost:4566",
        body: String = ""
    ) -> WireRequest {
        WireRequest(method: method, path: path, query: query, headers: headers, host: host, body: Array(body.utf8))
    }

    @Test func putObjectHeadersMetadataAndStreamingBody() throws {
        let put = request(
            "PUT",
            "/photos/2026/cat%20one.jpg",
            headers: [
                ("Content-Type", "image/jpeg"),
                ("Content-Length", "5"),
                ("x-amz-meta-Color", "orange"),
                ("X-Amz-Meta-owner", "alice"),
                ("x-amz-server-side-encryption", "AES256"),
                ("x-amz-tagging", "a=b"),
            ]
        )
        let operation = try s3.operation(for: put)
        #expect(operation.name == "PutObject")
        #expect(operation.streamingInputMember == "Body")
        let input = try s3.decodeInput(operation, from: put)
        #expect(input["Bucket"] == .string("photos"))
        #expect(input["Key"] == .string("2026/cat one.jpg"))
        #expect(input["ContentType"] == .string("image/jpeg"))
        #expect(input["ContentLength"] == .integer(5))
        #expect(input["Metadata"] == .map(["color": .string("orange"), "owner": .string("alice")]))
        #expect(input["ServerSideEncryption"] == .string("AES256"))
        #expect(input["Body"] == nil)

        let output = ShapeValue.structure(["ETag": .string("\"5d41402abc4b2a76b9719d911017c592\""), "VersionId": .string("v1")])
        let response = s3.encodeOutput(operation, output, requestID: "R1")
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(!response.bodyIsStreamed)
        #expect(response.header("ETag") == "\"5d41402abc4b2a76b9719d911017c592\"")
        #expect(response.header("x-amz-version-id") == "v1")
        #expect(response.header("x-amz-request-id") == "R1")
        #expect(response.header("x-amz-id-2") != nil)
    }

    @Test func virtualHostedStyleAddressesTheBucketFromTheHost() throws {
        let put = request("PUT", "/a/b.txt", host: "my.photos.s3.us-east-1.localhost:4566")
        let operation = try s3.operation(for: put)
        #expect(operation.name == "PutObject")
        let input = try s3.decodeInput(operation, from: put)
        #expect(input["Bucket"] == .string("my.photos"))
        #expect(input["Key"] == .string("a/b.txt"))

        let list = request("GET", "/", query: "list-type=2", host: "photos.s3.localhost")
        #expect(try s3.operation(for: list).name == "ListObjectsV2")
        #expect(try s3.operation(for: request("GET", "/", host: "s3.localhost")).name == "ListBuckets")
    }

    @Test func getObjectOutputStreamsItsBody() throws {
        let get = request("GET", "/photos/cat.jpg", headers: [("Range", "bytes=0-9")])
        let operation = try s3.operation(for: get)
        #expect(operation.name == "GetObject")
        #expect(operation.streamingOutputMember == "Body")
        #expect(try s3.decodeInput(operation, from: get)["Range"] == .string("bytes=0-9"))
        let output = ShapeValue.structure([
            "ContentLength": .integer(10),
            "ContentType": .string("image/jpeg"),
            "ETag": .string("\"abc\""),
            "LastModified": .timestamp(fixedDate),
            "Metadata": .map(["color": .string("orange")]),
            "Body": .blob([1, 2, 3]),
        ])
        let response = s3.encodeOutput(operation, output, requestID: "R")
        #expect(response.bodyIsStreamed)
        #expect(response.body.isEmpty)
        #expect(response.header("Content-Length") == "10")
        #expect(response.header("Last-Modified") == "Sun, 22 Nov 2026 17:00:00 GMT")
        #expect(response.header("x-amz-meta-color") == "orange")
        #expect(response.header("Content-Type") == "image/jpeg")
    }

    @Test func listObjectsV2QueryAndFlattenedXML() throws {
        let list = request("GET", "/photos", query: "list-type=2&prefix=2026%2F&delimiter=%2F&max-keys=2&fetch-owner=true")
        let operation = try s3.operation(for: list)
        #expect(operation.name == "ListObjectsV2")
        let input = try s3.decodeInput(operation, from: list)
        #expect(
            input
                == .structure([
                    "Bucket": .string("photos"),
                    "Prefix": .string("2026/"),
                    "Delimiter": .string("/"),
                    "MaxKeys": .integer(2),
                    "FetchOwner": .boolean(true),
                ])
        )
        let output = ShapeValue.structure([
            "IsTruncated": .boolean(false),
            "Contents": .list([
                .structure([
                    "Key": .string("2026/a&b.txt"),
                    "LastModified": .timestamp(fixedDate),
                    "ETag": .string("\"d41d8cd98f00b204e9800998ecf8427e\""),
                    "Size": .integer(0),
                    "StorageClass": .string("STANDARD"),
                ]),
                .structure([
                    "Key": .string("2026/b.txt"),
                    "LastModified": .timestamp(fixedDate),
                    "ETag": .string("\"x\""),
                    "Size": .integer(3),
                    "StorageClass": .string("STANDARD"),
                ]),
            ]),
            "Name": .string("photos"),
            "Prefix": .string("2026/"),
            "Delimiter": .string("/"),
            "MaxKeys": .integer(2),
            "CommonPrefixes": .list([.structure(["Prefix": .string("2026/jan/")]), .structure(["Prefix": .string("2026/feb/")])]),
            "KeyCount": .integer(4),
        ])
        let response = s3.encodeOutput(operation, output, requestID: "R")
        #expect(response.header("Content-Type") == "application/xml")
        #expect(
            text(response.body)
                == #"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
                + "<IsTruncated>false</IsTruncated>"
                + "<Contents><Key>2026/a&amp;b.txt</Key><LastModified>2026-11-22T17:00:00.000Z</LastModified>"
                + "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
                + "<Contents><Key>2026/b.txt</Key><LastModified>2026-11-22T17:00:00.000Z</LastModified>"
                + "<ETag>&quot;x&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>"
                + "<Name>photos</Name><Prefix>2026/</Prefix><Delimiter>/</Delimiter><MaxKeys>2</MaxKeys>"
                + "<CommonPrefixes><Prefix>2026/jan/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>2026/feb/</Prefix></CommonPrefixes>"
                + "<KeyCount>4</KeyCount></ListBucketResult>"
        )
    }

    @Test func completeMultipartUploadXMLBody() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part><ETag>"etag-1"</ETag><PartNumber>1</PartNumber></Part>
              <Part><ETag>&quot;etag-2&quot;</ETag><PartNumber>2</PartNumber></Part>
            </CompleteMultipartUpload>
            """
        let complete = request("POST", "/photos/big.bin", query: "uploadId=U1", body: body)
        let operation = try s3.operation(for: complete)
        #expect(operation.name == "CompleteMultipartUpload")
        let input = try s3.decodeInput(operation, from: complete)
        #expect(input["UploadId"] == .string("U1"))
        #expect(
            input["MultipartUpload"]
                == .structure([
                    "Parts": .list([
                        .structure(["ETag": .string("\"etag-1\""), "PartNumber": .integer(1)]),
                        .structure(["ETag": .string("\"etag-2\""), "PartNumber": .integer(2)]),
                    ])
                ])
        )
        let output = ShapeValue.structure([
            "Location": .string("http://localhost:4566/photos/big.bin"),
            "Bucket": .string("photos"),
            "Key": .string("big.bin"),
            "ETag": .string("\"3858f62230ac3c915f300c664312c11f-2\""),
            "VersionId": .string("v2"),
        ])
        let response = s3.encodeOutput(operation, output, requestID: "R")
        #expect(response.header("x-amz-version-id") == "v2")
        #expect(
            text(response.body)
                == #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
                + "<Location>http://localhost:4566/photos/big.bin</Location><Bucket>photos</Bucket><Key>big.bin</Key>"
                + "<ETag>&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag></CompleteMultipartUploadResult>"
        )
    }

    @Test func createBucketPayloadAndLocation() throws {
        let create = request(
            "PUT",
            "/photos",
            body: #"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#
        )
        let operation = try s3.operation(for: create)
        #expect(operation.name == "CreateBucket")
        let input = try s3.decodeInput(operation, from: create)
        #expect(input["CreateBucketConfiguration"] == .structure(["LocationConstraint": .string("eu-west-1")]))
        let response = s3.encodeOutput(operation, .structure(["Location": .string("/photos")]), requestID: "R")
        #expect(response.header("Location") == "/photos")
        #expect(response.body.isEmpty)

        let location = try #require(ServiceModel.s3.operations["GetBucketLocation"])
        let body = s3.encodeOutput(location, .structure(["LocationConstraint": .string("eu-west-1")]), requestID: "R").body
        #expect(
            text(body)
                == #"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#
        )
    }

    @Test func routingAmongOperationsSharingAPath() throws {
        let cases: [(WireRequest, String)] = [
            (request("GET", "/"), "ListBuckets"),
            (request("PUT", "/b"), "CreateBucket"),
            (request("PUT", "/b/"), "CreateBucket"),
            (request("HEAD", "/b"), "HeadBucket"),
            (request("DELETE", "/b"), "DeleteBucket"),
            (request("GET", "/b"), "ListObjects"),
            (request("GET", "/b", query: "list-type=2"), "ListObjectsV2"),
            (request("GET", "/b", query: "acl"), "GetBucketAcl"),
            (request("GET", "/b", query: "location="), "GetBucketLocation"),
            (request("GET", "/b", query: "uploads"), "ListMultipartUploads"),
            (request("GET", "/b", query: "versions&prefix=a"), "ListObjectVersions"),
            (request("PUT", "/b", query: "policy"), "PutBucketPolicy"),
            (request("GET", "/b", query: "lifecycle"), "GetBucketLifecycleConfiguration"),
            (request("POST", "/b", query: "delete"), "DeleteObjects"),
            (request("PUT", "/b/k"), "PutObject"),
            (request("PUT", "/b/k", headers: [("x-amz-copy-source", "/a/b")]), "CopyObject"),
            (request("PUT", "/b/k", query: "partNumber=1&uploadId=u"), "UploadPart"),
            (request("PUT", "/b/k", query: "partNumber=1&uploadId=u", headers: [("x-amz-copy-source", "/a/b")]), "UploadPartCopy"),
            (request("GET", "/b/k"), "GetObject"),
            (request("GET", "/b/k", query: "x-id=GetObject"), "GetObject"),
            (request("GET", "/b/k", query: "uploadId=u"), "ListParts"),
            (request("HEAD", "/b/dir/k"), "HeadObject"),
            (request("DELETE", "/b/k"), "DeleteObject"),
            (request("DELETE", "/b/k", query: "uploadId=u"), "AbortMultipartUpload"),
            (request("POST", "/b/k", query: "uploads"), "CreateMultipartUpload"),
            (request("POST", "/b/k", query: "uploadId=u"), "CompleteMultipartUpload"),
            (request("GET", "/b/k", query: "tagging"), "GetObjectTagging"),
        ]
        for (req, expected) in cases {
            #expect((try? s3.operation(for: req).name) == expected, "\(req.method) \(req.path)?\(req.query)")
        }
        #expect(decodeError(s3, request("PATCH", "/b/k"))?.code == "MethodNotAllowed")
        #expect(decodeError(s3, request("PATCH", "/b/k"))?.status == 405)
    }

    @Test func greedyKeysKeepSlashesAndDecodeEscapes() throws {
        let get = request("GET", "/b/a//b/c%2Fd%20e%2B.txt")
        let input = try s3.decodeInput(try s3.operation(for: get), from: get)
        #expect(input["Key"] == .string("a//b/c/d e+.txt"))
        #expect(decodeError(s3, request("GET", "/b/%ZZ"))?.code == "InvalidURI")
    }

    @Test func errorResponseBytes() {
        let error = AWSError(
            code: "NoSuchBucket",
            message: "The specified bucket does not exist",
            status: 404,
            extra: [("BucketName", "photos")]
        )
        let response = s3.encodeError(error, requestID: "4442587FB7D0A2F9")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/xml")
        #expect(response.header("x-amz-request-id") == "4442587FB7D0A2F9")
        let hostID = response.header("x-amz-id-2") ?? ""
        // Derived from the request id, the same in every release: access logs written earlier carry it too.
        #expect(hostID == "8SDl6JI4IAIV2FKuGO+bSLbyz0f6KIX7j0H9PBJkh2lVdD4rokfoEuPvpbvP+Ebk")
        #expect(
            text(response.body)
                == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
                + "<Message>The specified bucket does not exist</Message><BucketName>photos</BucketName>"
                + "<RequestId>4442587FB7D0A2F9</RequestId><HostId>\(hostID)</HostId></Error>"
        )
    }

    @Test func malformedXMLBodies() {
        let bodies = [
            "<CompleteMultipartUpload><Part>",
            "not xml at all",
            #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><CompleteMultipartUpload>&lol;</CompleteMultipartUpload>"#,
            "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber></Part></CompleteMultipartUpload>",
            "<A></B>",
            "<A>&undefined;</A>",
        ]
        for body in bodies {
            let error = decodeError(s3, request("POST", "/b/k", query: "uploadId=u", body: body))
            #expect(error?.code == "MalformedXML", "\(body)")
            #expect(error?.status == 400)
        }
    }
}

extension RestXMLProtocolTests {
    @Test func cdataAndCharacterReferences() throws {
        let body = "<Tagging><TagSet><Tag><Key><![CDATA[a&amp;<b>]]></Key><Value>&#x41;&#66;&lt;</Value></Tag></TagSet></Tagging>"
        let put = request("PUT", "/b", query: "tagging", body: body)
        let operation = try s3.operation(for: put)
        #expect(operation.name == "PutBucketTagging")
        let input = try s3.decodeInput(operation, from: put)
        #expect(input["Tagging"] == .structure(["TagSet": .list([.structure(["Key": .string("a&amp;<b>"), "Value": .string("AB<")])])]))
    }
}

/// Requests exactly as botocore 1.43's serializers produce them.
@Suite struct BotocoreSerializedRequestTests {
    @Test func s3PutObjectWithExpiresHeader() throws {
        let s3 = ServiceCodec(model: .s3)
        let request = WireRequest(
            method: "PUT",
            path: "/b/dir/a%20b%2Bc.txt",
            headers: [("x-amz-meta-Color", "red"), ("Content-Type", "text/plain"), ("Expires", "Sun, 22 Nov 2026 17:00:00 GMT")]
        )
        let input = try s3.decodeInput(try s3.operation(for: request), from: request)
        #expect(input["Key"] == .string("dir/a b+c.txt"))
        // botocore 1.43 models PutObject's Expires as a string (ExpiresString).
        #expect(input["Expires"] == .string("Sun, 22 Nov 2026 17:00:00 GMT"))
        #expect(input["Metadata"] == .map(["color": .string("red")]))
    }

    @Test func s3PutBucketTagging() throws {
        let s3 = ServiceCodec(model: .s3)
        let request = WireRequest(
            method: "PUT",
            path: "/b",
            query: "tagging",
            body: Array(#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"#.utf8)
        )
        let input = try s3.decodeInput(try s3.operation(for: request), from: request)
        #expect(input["Tagging"] == .structure(["TagSet": .list([.structure(["Key": .string("k"), "Value": .string("v")])])]))
    }

    @Test func jsonWithSpacesAfterSeparators() throws {
        let kms = ServiceCodec(model: .kms)
        let request = jsonRequest(target: "TrentService.Encrypt", #"{"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"a": "b"}}"#)
        let input = try kms.decodeInput(try kms.operation(for: request), from: request)
        #expect(input == .structure(["KeyId": .string("k"), "Plaintext": .blob(Array("hi".utf8)), "EncryptionContext": .map(["a": .string("b")])]))
    }
}

@Suite struct XMLWriterTests {
    @Test func escapesTextAndAttributesAndReadsBack() throws {
        var w = XMLWriter(declaration: true)
        let text = "a&b<c>d\"e\rf 'g' é/\u{1F600}"
        w.open("Root", attributes: [("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"), ("note", text)])
        w.element("Key", text)
        w.element("Empty", "")
        w.empty("Marker", attributes: [("v", "<&>")])
        w.close("Root")
        let xml = String(decoding: w.bytes, as: UTF8.self)
        #expect(xml == #"<?xml version="1.0" encoding="UTF-8"?><Root xmlns="http://s3.amazonaws.com/doc/2006-03-01/" note="a&amp;b&lt;c&gt;d&quot;e&#xD;f 'g' é/😀">"#
            + #"<Key>a&amp;b&lt;c&gt;d&quot;e&#xD;f 'g' é/😀</Key><Empty></Empty><Marker v="&lt;&amp;&gt;"/></Root>"#)
        let root = try XMLTreeParser().parse(w.bytes)
        #expect(root.attributes["note"] == text)
        #expect(root.children.first?.text == text)
        #expect(root.children.last?.attributes["v"] == "<&>")
    }
}
