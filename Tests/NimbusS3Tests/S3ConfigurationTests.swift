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

@testable import NimbusS3

@Suite struct CORSRuleTests {
    let rule = CORSRule(
        id: nil, allowedMethods: ["GET", "PUT"], allowedOrigins: ["https://app.example.com", "https://*.example.org"],
        allowedHeaders: ["content-type", "x-amz-*"], exposeHeaders: [], maxAgeSeconds: nil
    )

    @Test func originsMatchWithOneWildcard() {
        #expect(rule.matchedOrigin("https://app.example.com") == "https://app.example.com")
        #expect(rule.matchedOrigin("https://cdn.example.org") == "https://*.example.org")
        #expect(rule.matchedOrigin("https://example.org") == nil)
        #expect(rule.matchedOrigin("https://APP.example.com") == nil)
        #expect(CORSRule.wildcardMatch("*", "anything", caseInsensitive: false))
        // The wildcard may not overlap the literal head and tail.
        #expect(!CORSRule.wildcardMatch("ab*ba", "aba", caseInsensitive: false))
    }

    @Test func headersMatchCaseInsensitively() {
        #expect(rule.allows(headers: ["content-type", "x-amz-meta-owner"]))
        #expect(rule.allows(headers: ["Content-Type"]))
        #expect(!rule.allows(headers: ["authorization"]))
        #expect(rule.allows(headers: []))
    }

    @Test func configurationsAreCheckedAsS3Does() throws {
        func configuration(methods: [String], origins: [String] = ["*"], count: Int = 1) -> ShapeValue {
            let rule = ShapeValue.structure([
                "AllowedMethods": .list(methods.map { .string($0) }), "AllowedOrigins": .list(origins.map { .string($0) }),
            ])
            return .structure(["CORSRules": .list(Array(repeating: rule, count: count))])
        }
        #expect(try S3Service.corsRules(configuration(methods: ["GET", "HEAD"])).count == 1)
        #expect(throws: AWSError.invalidRequest("")) { try S3Service.corsRules(configuration(methods: ["PATCH"])) }
        #expect(throws: AWSError.invalidRequest("")) { try S3Service.corsRules(configuration(methods: ["GET"], origins: ["*.*"])) }
        #expect(throws: AWSError.malformedXML) { try S3Service.corsRules(configuration(methods: ["GET"], count: 101)) }
        #expect(throws: AWSError.malformedXML) { try S3Service.corsRules(configuration(methods: [])) }
        #expect(throws: AWSError.malformedXML) { try S3Service.corsRules(nil) }
    }

    @Test func addressedBucketPathAndVirtualHosted() {
        #expect(S3Service.addressedBucket(WireRequest(method: "OPTIONS", path: "/b/a%20b/c"))! == ("b", "a b/c"))
        #expect(S3Service.addressedBucket(WireRequest(method: "OPTIONS", path: "/b"))! == ("b", nil))
        #expect(S3Service.addressedBucket(WireRequest(method: "OPTIONS", path: "/")) == nil)
        let hosted = WireRequest(method: "OPTIONS", path: "/k", host: "photos.s3.localhost:4566")
        #expect(S3Service.addressedBucket(hosted)! == ("photos", "k"))
    }
}

@Suite struct LifecycleTests {
    @Test func dueDatesRoundUpToTheNextDay() {
        let day = 86_400.0
        let created = Date(timeIntervalSince1970: 10 * day + 3600)
        #expect(S3Service.lifecycleDue(created, days: 1, daySeconds: day) == Date(timeIntervalSince1970: 12 * day))
        #expect(S3Service.lifecycleDue(Date(timeIntervalSince1970: 10 * day), days: 1, daySeconds: day) == Date(timeIntervalSince1970: 11 * day))
        #expect(S3Service.lifecycleDue(Date(timeIntervalSince1970: 100.3), days: 2, daySeconds: 1) == Date(timeIntervalSince1970: 103))
    }

    @Test func transitionsPickTheLatestDueColderClass() {
        let rule = LifecycleRule(id: "r", enabled: true, prefix: nil, filter: nil)
        let start = Date(timeIntervalSince1970: 0)
        let steps = [
            LifecycleTransition(days: 2, date: nil, storageClass: "GLACIER"),
            LifecycleTransition(days: 1, date: nil, storageClass: "STANDARD_IA"),
        ]
        func due(at seconds: Double, size: Int64 = 1 << 20, from current: String? = nil, minimum: String = "all_storage_classes_128K") -> String? {
            S3Service.dueTransition(
                steps, start: start, size: size, currentClass: current, rule: rule, minimumSize: minimum,
                now: Date(timeIntervalSince1970: seconds * 86_400)
            )
        }
        #expect(due(at: 0.5) == nil)
        #expect(due(at: 1) == "STANDARD_IA")
        #expect(due(at: 3) == "GLACIER")
        // Never warmer, never the same class again.
        #expect(due(at: 3, from: "GLACIER") == nil)
        #expect(due(at: 3, from: "DEEP_ARCHIVE") == nil)
        #expect(due(at: 1, from: "STANDARD_IA") == nil)
        // Under 128 KiB: nowhere by default; to the archive classes only with varies_by_storage_class.
        #expect(due(at: 3, size: 1_000) == nil)
        #expect(due(at: 3, size: 1_000, minimum: "varies_by_storage_class") == "GLACIER")
        #expect(due(at: 1, size: 1_000, minimum: "varies_by_storage_class") == nil)
        // A size filter in the rule lets small objects move.
        let sized = LifecycleRule(id: "s", enabled: true, prefix: nil, filter: LifecycleFilter(and: false, prefix: nil, tags: [], objectSizeGreaterThan: 0))
        #expect(S3Service.dueTransition(steps, start: start, size: 1_000, currentClass: nil, rule: sized, minimumSize: "all_storage_classes_128K",
                                        now: Date(timeIntervalSince1970: 86_400)) == "STANDARD_IA")
    }

    @Test func archivedObjectsReadOnlyWhileRestored() throws {
        let now = Date(timeIntervalSince1970: 1_000)
        func record(_ storageClass: String?, restoredUntil: Date? = nil) -> ObjectRecord {
            ObjectRecord(
                key: "k", size: 1, etag: "\"e\"", lastModified: now, metadata: [:], storageClass: storageClass,
                encryption: .s3, pieces: [], owner: "o", restoredUntil: restoredUntil
            )
        }
        #expect(S3Service.isReadable(record(nil), now: now))
        #expect(S3Service.isReadable(record("GLACIER_IR"), now: now))
        #expect(!S3Service.isReadable(record("GLACIER"), now: now))
        #expect(!S3Service.isReadable(record("DEEP_ARCHIVE", restoredUntil: now), now: now))
        #expect(S3Service.isReadable(record("DEEP_ARCHIVE", restoredUntil: now.addingTimeInterval(1)), now: now))
        #expect(throws: AWSError.self) { try S3Service.checkReadable(record("GLACIER"), now: now) }
        // The largest Days a client can send (S3's Days is an int32) makes a date that still renders.
        let far = S3Service.lifecycleDue(now, days: Int64(Int32.max), daySeconds: 86_400)
        #expect(S3Service.restoreHeader(record("GLACIER", restoredUntil: far))?.hasPrefix("ongoing-request=\"false\", expiry-date=\"") == true)
        #expect(S3Service.restoreHeader(record("GLACIER", restoredUntil: Date(timeIntervalSince1970: 0)))
            == "ongoing-request=\"false\", expiry-date=\"Thu, 01 Jan 1970 00:00:00 GMT\"")
    }

    @Test func filtersSelectByPrefixTagsAndSize() {
        var rule = LifecycleRule(id: "r", enabled: true, prefix: nil, filter: LifecycleFilter(
            and: true, prefix: "logs/", tags: [LifecycleTag(key: "class", value: "cold")], objectSizeGreaterThan: 10, objectSizeLessThan: 100
        ))
        #expect(rule.matches(key: "logs/a", size: 50, tags: ["class": "cold", "x": "y"]))
        #expect(!rule.matches(key: "logs/a", size: 50, tags: ["class": "hot"]))
        #expect(!rule.matches(key: "logs/a", size: 10, tags: ["class": "cold"]))
        #expect(!rule.matches(key: "logs/a", size: 100, tags: ["class": "cold"]))
        #expect(!rule.matches(key: "data/a", size: 50, tags: ["class": "cold"]))
        rule.filter = nil
        rule.prefix = "tmp/"
        #expect(rule.matches(key: "tmp/x", size: 0, tags: [:]))
        #expect(!rule.matches(key: "keep/x", size: 0, tags: [:]))
    }

    @Test func rulesAreCheckedAsS3Does() throws {
        func rules(_ rule: [String: ShapeValue]) -> ShapeValue { .structure(["Rules": .list([.structure(rule)])]) }
        let base: [String: ShapeValue] = ["ID": .string("r"), "Status": .string("Enabled"), "Filter": .empty]
        let ok = try S3Service.lifecycleRules(rules(base.merging(["Expiration": .structure(["Days": .integer(1)])]) { $1 }))
        #expect(ok.first?.expiration?.days == 1)
        let noID = try S3Service.lifecycleRules(rules(base.merging(["ID": .string(""), "Expiration": .structure(["Days": .integer(1)])]) { $1 }))
        #expect(noID.first?.id.isEmpty == false)
        #expect(throws: AWSError.invalidRequest("")) { try S3Service.lifecycleRules(rules(base)) }
        #expect(throws: AWSError.malformedXML) {
            try S3Service.lifecycleRules(rules(base.merging(["Status": .string("On"), "Expiration": .structure(["Days": .integer(1)])]) { $1 }))
        }
        #expect(throws: AWSError.malformedXML) {
            var rule = base.merging(["Expiration": .structure(["Days": .integer(1)])]) { $1 }
            rule["Prefix"] = .string("a")
            return try S3Service.lifecycleRules(rules(rule))
        }
        #expect(throws: AWSError.invalidArgument("")) {
            try S3Service.lifecycleRules(rules(base.merging(["Expiration": .structure(["Days": .integer(0)])]) { $1 }))
        }
        #expect(throws: AWSError.invalidArgument("")) {
            try S3Service.lifecycleRules(rules(base.merging(["Expiration": .structure(["Date": .timestamp(Date(timeIntervalSince1970: 3600))])]) { $1 }))
        }
    }
}

@Suite struct AccessLogTests {
    @Test func secretsAreCutFromTheQuery() {
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=abcdef&X-Amz-Security-Token=tok&x-id=GetObject"
        #expect(S3Service.redactedQuery(query) == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=&X-Amz-Signature=&X-Amz-Security-Token=&x-id=GetObject")
        #expect(S3Service.redactedQuery("AWSAccessKeyId=AKIA&Signature=sig%3D&Expires=1") == "AWSAccessKeyId=&Signature=&Expires=1")
        #expect(S3Service.redactedQuery("") == "")
    }

    @Test func operationNames() {
        #expect(S3Service.accessLogOperation("GetObject", method: "GET", query: "", hasKey: true) == "REST.GET.OBJECT")
        #expect(S3Service.accessLogOperation("ListObjectsV2", method: "GET", query: "list-type=2", hasKey: false) == "REST.GET.BUCKET")
        #expect(S3Service.accessLogOperation("PutBucketCors", method: "PUT", query: "cors", hasKey: false) == "REST.PUT.CORS")
        #expect(S3Service.accessLogOperation("PutBucketLogging", method: "PUT", query: "logging", hasKey: false) == "REST.PUT.LOGGING_STATUS")
        #expect(S3Service.accessLogOperation("", method: "DELETE", query: "", hasKey: false) == "REST.DELETE.BUCKET")
    }

    @Test func fieldsStayOneRecordLong() {
        #expect(S3Service.quoted("a \"b\"\\\n") == "\"a \\\"b\\\"\\\\\\x0a\"")
        #expect(S3Service.token("a b\"%") == "a%20b%22%25")
        #expect(S3Service.token("") == "-")
        #expect(S3Service.percentEncoded("a b/ü.txt") == "a%20b/%C3%BC.txt")
    }

    @Test func times() {
        let date = Date(timeIntervalSince1970: 1_549_411_238)  // 2019-02-06T00:00:38Z
        #expect(S3Service.accessLogTime(date) == "06/Feb/2019:00:00:38 +0000")
        #expect(S3Service.utcComponents(Date(timeIntervalSince1970: 951_782_400.9)) == (2000, 2, 29, 0, 0, 0))
    }
}
