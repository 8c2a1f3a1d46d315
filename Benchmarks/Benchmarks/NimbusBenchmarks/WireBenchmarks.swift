//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import Foundation
import NimbusWire

/// Decode and encode for one operation of each of three protocols, with inputs and outputs shaped like
/// what SDKs send and services return.
func wireBenchmarks() {
    // query: STS AssumeRole with tags and policy ARNs (lists), GetCallerIdentity-sized and richer outputs.
    let sts = ServiceCodec(model: .sts)
    let assumeRole = WireRequest(
        method: "POST",
        path: "/",
        headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        body: Array(
            ("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdeploy"
                + "&RoleSessionName=bench&DurationSeconds=3600"
                + "&Tags.member.1.Key=team&Tags.member.1.Value=storage&Tags.member.2.Key=env&Tags.member.2.Value=prod"
                + "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess").utf8
        )
    )
    let assumeRoleOutput = ShapeValue.structure([
        "Credentials": .structure([
            "AccessKeyId": .string("ASIAIOSFODNN7EXAMPLE"),
            "SecretAccessKey": .string("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
            "SessionToken": .string(String(repeating: "FwoGZXIvYXdzEBYaDH", count: 20)),
            "Expiration": .timestamp(fixedDate),
        ]),
        "AssumedRoleUser": .structure([
            "AssumedRoleId": .string("AROA3XFRBF535PLBIFPI4:bench"),
            "Arn": .string("arn:aws:sts::111122223333:assumed-role/deploy/bench"),
        ]),
        "PackedPolicySize": .integer(6),
    ])
    wirePair("query", "STS AssumeRole", codec: sts, request: assumeRole, output: assumeRoleOutput)

    // json 1.1: CloudTrail LookupEvents with an attribute and a time range; ten events back.
    let cloudTrail = ServiceCodec(model: .cloudtrail)
    let lookup = WireRequest(
        method: "POST",
        path: "/",
        headers: [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
        ],
        body: Array(
            #"{"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}], "StartTime": 1795363200, "EndTime": 1795366800, "MaxResults": 10}"#
                .utf8
        )
    )
    let event = ShapeValue.structure([
        "EventId": .string("6f2c0a1e-8d7b-4c55-9a57-2b8e3c1d9f00"),
        "EventName": .string("GetCallerIdentity"),
        "ReadOnly": .string("true"),
        "AccessKeyId": .string("AKIAIOSFODNN7EXAMPLE"),
        "EventTime": .timestamp(fixedDate),
        "EventSource": .string("sts.amazonaws.com"),
        "Username": .string("root"),
        "Resources": .list([]),
        "CloudTrailEvent": .string(String(repeating: #"{"eventVersion":"1.08","userIdentity":{"type":"Root"}}"#, count: 8)),
    ])
    wirePair(
        "json", "CloudTrail LookupEvents", codec: cloudTrail, request: lookup,
        output: .structure(["Events": .list(Array(repeating: event, count: 10)), "NextToken": .string("dG9rZW4")])
    )

    // rest-xml: S3 ListObjectsV2 (URI, query) with 100 keys back, and PutBucketTagging (XML body).
    let s3 = ServiceCodec(model: .s3)
    let list = WireRequest(
        method: "GET", path: "/photos", query: "list-type=2&prefix=2026%2F&delimiter=%2F&max-keys=100&fetch-owner=true",
        host: "127.0.0.1:4566"
    )
    let contents = (0..<100).map { i in
        ShapeValue.structure([
            "Key": .string("2026/photo-\(i).jpg"),
            "LastModified": .timestamp(fixedDate),
            "ETag": .string("\"d41d8cd98f00b204e9800998ecf8427e\""),
            "Size": .integer(Int64(4096 + i)),
            "StorageClass": .string("STANDARD"),
        ])
    }
    wirePair(
        "rest-xml", "S3 ListObjectsV2", codec: s3, request: list,
        output: .structure([
            "IsTruncated": .boolean(false), "Contents": .list(contents), "Name": .string("photos"), "Prefix": .string("2026/"),
            "Delimiter": .string("/"), "MaxKeys": .integer(100), "KeyCount": .integer(100),
        ])
    )
    let tagging = WireRequest(
        method: "PUT",
        path: "/photos",
        query: "tagging",
        host: "127.0.0.1:4566",
        body: Array(
            (#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>"#
                + (0..<10).map { "<Tag><Key>key-\($0)</Key><Value>value &amp; more \($0)</Value></Tag>" }.joined()
                + "</TagSet></Tagging>").utf8
        )
    )
    Benchmark("rest-xml decode S3 PutBucketTagging (10 tags)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try s3.decodeInput(try s3.operation(for: tagging), from: tagging))
        }
    }
}

/// `<protocol> decode <operation>` (route + decode + validate) and `<protocol> encode <operation>` (output body).
private func wirePair(_ protocolName: String, _ operationName: String, codec: ServiceCodec, request: WireRequest, output: ShapeValue) {
    Benchmark("\(protocolName) decode \(operationName)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try codec.decodeInput(try codec.operation(for: request), from: request))
        }
    }
    Benchmark("\(protocolName) encode \(operationName)") { benchmark in
        let operation = try codec.operation(for: request)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(codec.encodeOutput(operation, output, requestID: "BENCHREQUEST0001"))
        }
    }
}
