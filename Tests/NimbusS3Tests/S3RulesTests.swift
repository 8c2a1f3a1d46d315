//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import NimbusCore
import NimbusWire
import Testing

@testable import NimbusS3

@Suite struct BucketNameTests {
    @Test(arguments: ["abc", "my-bucket", "my.bucket.name", "a1b2c3", String(repeating: "a", count: 63)])
    func validNames(_ name: String) throws {
        try S3Service.validateBucketName(name)
    }

    @Test(arguments: [
        "ab", String(repeating: "a", count: 64), "Upper", "under_score", "-start", "end-", ".start", "a..b", "a.-b", "a-.b",
        "192.168.1.1", "xn--abc", "sthree-abc", "abc-s3alias", "abc--ol-s3", "abc.mrap", "ünï", "",
    ])
    func invalidNames(_ name: String) {
        #expect(throws: AWSError.self) { try S3Service.validateBucketName(name) }
    }
}

@Suite struct RangeTests {
    @Test func satisfiableRanges() throws {
        #expect(try S3Service.parseRange("bytes=0-9", size: 100) == 0...9)
        #expect(try S3Service.parseRange("bytes=90-", size: 100) == 90...99)
        #expect(try S3Service.parseRange("bytes=-10", size: 100) == 90...99)
        #expect(try S3Service.parseRange("bytes=-1000", size: 100) == 0...99)
        #expect(try S3Service.parseRange("bytes=50-1000", size: 100) == 50...99)
    }

    @Test func rangesS3Ignores() throws {
        for header in ["bytes=5-1", "bytes=a-b", "items=0-1", "bytes=0-1,3-4", "bytes=", "bytes=--1"] {
            #expect(try S3Service.parseRange(header, size: 100) == nil, "\(header)")
        }
    }

    @Test func unsatisfiableRanges() {
        #expect(throws: AWSError.self) { try S3Service.parseRange("bytes=100-", size: 100) }
        #expect(throws: AWSError.self) { try S3Service.parseRange("bytes=-0", size: 100) }
        #expect(throws: AWSError.self) { try S3Service.parseRange("bytes=0-", size: 0) }
    }
}

@Suite struct ConditionTests {
    @Test func etagLists() {
        let etag = "\"abc\""
        #expect(ReadCondition.etagMatches("\"abc\"", etag))
        #expect(ReadCondition.etagMatches("abc", etag))
        #expect(ReadCondition.etagMatches("*", etag))
        #expect(ReadCondition.etagMatches("\"x\", \"abc\"", etag))
        #expect(ReadCondition.etagMatches("W/\"abc\"", etag))
        #expect(!ReadCondition.etagMatches("\"abcd\"", etag))
    }

    @Test func taggingHeader() throws {
        #expect(try S3Service.parseTaggingHeader("a=1&b=two+words&c=%C3%BC") == ["a": "1", "b": "two words", "c": "ü"])
        #expect(throws: AWSError.self) { try S3Service.parseTaggingHeader("a=1&a=2") }
        #expect(throws: AWSError.self) { try S3Service.parseTaggingHeader((0..<11).map { "k\($0)=v" }.joined(separator: "&")) }
    }

    @Test func listingEncoding() {
        #expect(S3Service.urlEncode("a b/ü&+", true) == "a+b/%C3%BC%26%2B")
        #expect(S3Service.urlEncode("a b", false) == "a b")
    }

    @Test func versionKeysSortNewestFirst() {
        let older = S3Service.versionKey(bucket: "b", key: "k", version: "v1", at: Date(timeIntervalSince1970: 1_000))
        let newer = S3Service.versionKey(bucket: "b", key: "k", version: "v2", at: Date(timeIntervalSince1970: 2_000))
        #expect(newer < older)
        #expect(older.hasPrefix(S3Keys.versionPrefix("b", "k")))
        // Versions of "k" sort before those of "k/x", as S3 lists keys.
        #expect(older < S3Service.versionKey(bucket: "b", key: "k/x", version: "v", at: Date(timeIntervalSince1970: 0)))
    }
}

@Suite struct PublicPolicyTests {
    @Test func publicStatements() {
        #expect(S3Service.isPublic(policy: #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#))
        #expect(S3Service.isPublic(policy: #"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}"#))
        #expect(!S3Service.isPublic(policy: #"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#))
        #expect(!S3Service.isPublic(policy: #"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}]}"#))
        #expect(!S3Service.isPublic(policy: "not json"))
    }

    @Test func cannedACLs() throws {
        let grants = try S3Service.requestedGrants(.structure(["ACL": .string("public-read")]), bucketOwner: "111122223333")
        #expect(grants == [S3Grant(uri: S3Grant.allUsers, permission: "READ")])
        #expect(try S3Service.requestedGrants(.structure(["ACL": .string("bucket-owner-full-control")]), bucketOwner: "1") == [])
        #expect(try S3Service.requestedGrants(.empty, bucketOwner: "1") == nil)
        #expect(throws: AWSError.self) { try S3Service.requestedGrants(.structure(["ACL": .string("nope")]), bucketOwner: "1") }
    }
}

@Suite struct ObjectRecordCodingTests {
    /// An object record as a data dir made before the piece's byte fields were base64.
    static let legacy = #"""
    {"encryption":"AES256","etag":"\"841a2d689ad86bd1611447453c22c6fc\"","key":"k","lastModified":785000000,"metadata":{},"owner":"123456789012",
     "pieces":[{"blob":{"checksums":{},"id":"0123456789abcdef0123456789abcdef","md5":[132,26,45,104,154,216,107,209,97,20,71,69,60,34,198,252],
     "placement":[0,1],"redundancy":"mirror-2","segmentSize":65536,"size":4},"sealedKey":[1,2,3,250]}],"size":4}
    """#

    /// Listings read summaries with `JSONParser`; they must be what `JSONDecoder` makes of the same records.
    @Test func summariesReadAsDecodingDoes() throws {
        let full = #"""
            {"checksumType":"FULL_OBJECT","checksums":{"CRC32":"AAAAAA==","SHA256":"x\/y"},"encryption":"AES256",
             "etag":"\"abc-2\"","key":"dir\/caf\u00e9 \"q\"\n","lastModified":785000000.123456,"metadata":{"a":"b"},
             "owner":"123456789012","pieces":[],"size":9007199254740993,"storageClass":"STANDARD_IA","versionID":null}
            """#
        for json in [Self.legacy, full] {
            let decoded = try JSONDecoder().decode(ObjectSummary.self, from: Data(json.utf8))
            let read = try ObjectSummary(record: Array(json.utf8))
            #expect(read.key == decoded.key)
            #expect(read.size == decoded.size)
            #expect(read.etag == decoded.etag)
            #expect(read.lastModified == decoded.lastModified)
            #expect(read.storageClass == decoded.storageClass)
            #expect(read.owner == decoded.owner)
            #expect(read.checksums == decoded.checksums)
            #expect(read.checksumType == decoded.checksumType)
        }
        for damaged in ["", "[]", "{}", #"{"key":"k","size":1.5,"etag":"e","lastModified":0,"owner":"o"}"#,
                        #"{"key":"k","size":1,"etag":"e","lastModified":"x","owner":"o"}"#,
                        #"{"key":"k","size":1,"etag":"e","lastModified":0,"owner":"o","checksums":{"a":1}}"#] {
            #expect(throws: JSONReadError.self) { try ObjectSummary(record: Array(damaged.utf8)) }
        }
    }

    @Test func readsPiecesWrittenAsNumberArraysAndWritesBase64() throws {
        let record = try JSONDecoder().decode(ObjectRecord.self, from: Data(Self.legacy.utf8))
        #expect(record.pieces.count == 1)
        #expect(record.pieces[0].sealedKey == [1, 2, 3, 250])
        #expect(record.pieces[0].kmsKey == nil)
        #expect(record.pieces[0].blob.md5Hex == "841a2d689ad86bd1611447453c22c6fc")

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(record), as: UTF8.self)
        #expect(json.contains(#""sealedKey":"AQID+g==""#))
        #expect(json.contains(#""md5":"hBotaJrYa9FhFEdFPCLG/A==""#))
        #expect(!json.contains("kmsKey"))
        let again = try JSONDecoder().decode(ObjectRecord.self, from: Data(json.utf8))
        #expect(again.pieces[0].sealedKey == [1, 2, 3, 250])
        #expect(again.pieces[0].blob == record.pieces[0].blob)
    }
}
