//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage
import NimbusWire

// Lifecycle configuration: rules checked as S3 checks them, kept as JSON in `BucketRecord.lifecycle`, and
// carried out by `runLifecycle(now:)` (expiration, and aborting incomplete multipart uploads).
//
// S3 counts a rule's days from the object's creation (or the upload's initiation) and rounds the result up
// to the next midnight UTC. Nimbus does the same with a day of `NIMBUS_S3_LIFECYCLE_DAY_SECONDS` seconds
// (86,400 unless set; read once at start), rounding up to the next multiple of that length, so tests can
// watch a one-day rule act within seconds.

/// A bucket's lifecycle configuration as stored.
///
/// ```xml
/// <LifecycleConfiguration>
///   <Rule>
///     <ID>string</ID>
///     <Filter><Prefix/> | <Tag/> | <ObjectSizeGreaterThan/> | <ObjectSizeLessThan/> | <And>…</And></Filter>
///     <Status>Enabled|Disabled</Status>
///     <Expiration><Days/> | <Date/> | <ExpiredObjectDeleteMarker/></Expiration>
///     <Transition>…</Transition> <NoncurrentVersionTransition>…</NoncurrentVersionTransition>
///     <NoncurrentVersionExpiration><NoncurrentDays/><NewerNoncurrentVersions/></NoncurrentVersionExpiration>
///     <AbortIncompleteMultipartUpload><DaysAfterInitiation/></AbortIncompleteMultipartUpload>
///   </Rule>
/// </LifecycleConfiguration>
/// ```
struct LifecycleConfiguration: Codable, Sendable {
    var rules: [LifecycleRule]
    var transitionDefaultMinimumObjectSize: String

    static let maxRules = 1000
}

struct LifecycleRule: Codable, Sendable {
    var id: String
    var enabled: Bool
    /// The deprecated `<Prefix>` directly in the rule, instead of a filter.
    var prefix: String?
    var filter: LifecycleFilter?
    var expiration: LifecycleExpiration?
    var transitions: [LifecycleTransition]?
    var noncurrentVersionTransitions: [LifecycleTransition]?
    var noncurrentVersionExpiration: LifecycleNoncurrentExpiration?
    var abortIncompleteMultipartUploadDays: Int64?

    /// Whether the rule's filter selects an object with this key, size and tags.
    func matches(key: String, size: Int64, tags: [String: String]) -> Bool {
        guard key.hasPrefix(filter?.prefix ?? prefix ?? "") else { return false }
        guard let filter else { return true }
        if let limit = filter.objectSizeGreaterThan, size <= limit { return false }
        if let limit = filter.objectSizeLessThan, size >= limit { return false }
        return filter.tags.allSatisfy { tags[$0.key] == $0.value }
    }

    /// The key prefix every object the rule selects has.
    var keyPrefix: String { filter?.prefix ?? prefix ?? "" }
}

struct LifecycleFilter: Codable, Sendable {
    /// Whether the predicates came in an `<And>` (kept to answer with the same shape).
    var and: Bool
    var prefix: String?
    var tags: [LifecycleTag]
    var objectSizeGreaterThan: Int64?
    var objectSizeLessThan: Int64?
}

struct LifecycleTag: Codable, Sendable {
    var key: String
    var value: String
}

struct LifecycleExpiration: Codable, Sendable {
    var days: Int64?
    var date: Date?
    var expiredObjectDeleteMarker: Bool?
}

struct LifecycleTransition: Codable, Sendable {
    /// `Days`, or `NoncurrentDays` for a noncurrent-version transition.
    var days: Int64?
    var date: Date?
    var storageClass: String
    var newerNoncurrentVersions: Int64?
}

struct LifecycleNoncurrentExpiration: Codable, Sendable {
    var noncurrentDays: Int64?
    var newerNoncurrentVersions: Int64?
}

/// What lifecycle rules need of an object record; decoded on its own so that it does not depend on the
/// rest of `ObjectRecord`.
private struct LifecycleObjectView: Decodable {
    var key: String
    var size: Int64
    var lastModified: Date
    var tags: [String: String]?
}

/// One version (or current object), as the noncurrent rules and transitions need it.
struct LifecycleVersionView: Decodable {
    var key: String
    var size: Int64
    var lastModified: Date
    var tags: [String: String]?
    var storageClass: String?
    var versionID: String?
    var isDeleteMarker: Bool?
}

extension S3Service {
    /// The length of a lifecycle "day" in seconds: `NIMBUS_S3_LIFECYCLE_DAY_SECONDS`, 86,400 by default.
    static let lifecycleDaySeconds: Double = {
        guard let text = ProcessInfo.processInfo.environment["NIMBUS_S3_LIFECYCLE_DAY_SECONDS"], let value = Double(text),
            value.isFinite, value >= 0.001
        else { return 86_400 }
        return value
    }()

    // MARK: Configuration

    func putBucketLifecycleConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let minimumSize = input["TransitionDefaultMinimumObjectSize"]?.stringValue ?? "all_storage_classes_128K"
        guard ["varies_by_storage_class", "all_storage_classes_128K"].contains(minimumSize) else {
            throw AWSError.invalidRequest("Invalid TransitionDefaultMinimumObjectSize found: \(minimumSize)")
        }
        let configuration = LifecycleConfiguration(
            rules: try Self.lifecycleRules(input["LifecycleConfiguration"]),
            transitionDefaultMinimumObjectSize: minimumSize
        )
        let encoded = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        try await update(record.name) { $0.lifecycle = encoded }
        return .structure(["TransitionDefaultMinimumObjectSize": .string(minimumSize)])
    }

    func getBucketLifecycleConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let configuration = Self.storedLifecycle(record) else {
            throw AWSError(code: "NoSuchLifecycleConfiguration", message: "The lifecycle configuration does not exist", status: 404,
                           extra: [("BucketName", record.name)])
        }
        return .structure([
            "Rules": .list(configuration.rules.map(Self.shape)),
            "TransitionDefaultMinimumObjectSize": .string(configuration.transitionDefaultMinimumObjectSize),
        ])
    }

    func deleteBucketLifecycle(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        try await update(record.name) { $0.lifecycle = nil }
        return .empty
    }

    static func storedLifecycle(_ record: BucketRecord) -> LifecycleConfiguration? {
        guard let json = record.lifecycle else { return nil }
        return try? JSONDecoder().decode(LifecycleConfiguration.self, from: Data(json.utf8))
    }

    // MARK: Validation

    /// The rules of a `LifecycleConfiguration`, checked as S3 checks them.
    static func lifecycleRules(_ configuration: ShapeValue?) throws -> [LifecycleRule] {
        guard let items = configuration?["Rules"]?.listValue, !items.isEmpty, items.count <= LifecycleConfiguration.maxRules else {
            throw AWSError.malformedXML
        }
        var ids = Set<String>()
        return try items.map { item in
            let rule = try lifecycleRule(item)
            guard ids.insert(rule.id).inserted else {
                throw AWSError.invalidArgument("Rule ID must be unique. Found same ID for more than one rule", name: "ID", value: rule.id)
            }
            return rule
        }
    }

    private static func lifecycleRule(_ item: ShapeValue) throws -> LifecycleRule {
        // S3 names a rule without an ID itself.
        let id = item["ID"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? Identifiers.uniqueID(prefix: "")
        guard id.count <= 255 else {
            throw AWSError.invalidArgument("ID length should not exceed allowed limit of 255", name: "ID", value: id)
        }
        let enabled: Bool
        switch item["Status"]?.stringValue {
        case "Enabled"?: enabled = true
        case "Disabled"?: enabled = false
        default: throw AWSError.malformedXML
        }
        let prefix = item["Prefix"]?.stringValue
        let filter = try item["Filter"].map(lifecycleFilter)
        // Exactly one of the deprecated rule-level Prefix and Filter.
        guard (prefix == nil) != (filter == nil) else { throw AWSError.malformedXML }
        if let prefix { try checkPrefix(prefix) }

        var rule = LifecycleRule(id: id, enabled: enabled, prefix: prefix, filter: filter)
        if let expiration = item["Expiration"] {
            let days = expiration["Days"]?.integerValue
            let date = try lifecycleDate(expiration["Date"])
            let marker = expiration["ExpiredObjectDeleteMarker"]?.booleanValue
            let given = [days != nil, date != nil, marker != nil].filter { $0 }.count
            guard given == 1 else { throw AWSError.malformedXML }
            if let days { try checkPositive(days, "'Days' for Expiration action must be a positive integer", name: "Days") }
            if marker != nil, filter?.tags.isEmpty == false {
                throw AWSError.invalidRequest("ExpiredObjectDeleteMarker cannot be specified with object tags")
            }
            rule.expiration = LifecycleExpiration(days: days, date: date, expiredObjectDeleteMarker: marker)
        }
        if let items = item["Transitions"]?.listValue {
            rule.transitions = try items.map { try transition($0, daysMember: "Days") }
        }
        if let items = item["NoncurrentVersionTransitions"]?.listValue {
            rule.noncurrentVersionTransitions = try items.map { try transition($0, daysMember: "NoncurrentDays") }
        }
        if let noncurrent = item["NoncurrentVersionExpiration"] {
            let days = noncurrent["NoncurrentDays"]?.integerValue
            let newer = noncurrent["NewerNoncurrentVersions"]?.integerValue
            guard days != nil || newer != nil else { throw AWSError.malformedXML }
            if let days {
                try checkPositive(days, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer", name: "NoncurrentDays")
            }
            if let newer, !(1...100).contains(newer) {
                throw AWSError.invalidArgument("NewerNoncurrentVersions must be between 1 and 100", name: "NewerNoncurrentVersions", value: String(newer))
            }
            rule.noncurrentVersionExpiration = LifecycleNoncurrentExpiration(noncurrentDays: days, newerNoncurrentVersions: newer)
        }
        if let abort = item["AbortIncompleteMultipartUpload"] {
            guard let days = abort["DaysAfterInitiation"]?.integerValue else { throw AWSError.malformedXML }
            try checkPositive(days, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer", name: "DaysAfterInitiation")
            if filter?.tags.isEmpty == false || filter?.objectSizeGreaterThan != nil || filter?.objectSizeLessThan != nil {
                throw AWSError.invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.")
            }
            rule.abortIncompleteMultipartUploadDays = days
        }
        guard rule.expiration != nil || rule.transitions != nil || rule.noncurrentVersionTransitions != nil
            || rule.noncurrentVersionExpiration != nil || rule.abortIncompleteMultipartUploadDays != nil
        else { throw AWSError.invalidRequest("At least one action needs to be specified in a rule") }
        return rule
    }

    private static func lifecycleFilter(_ value: ShapeValue) throws -> LifecycleFilter {
        let single = ["Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"].filter { value[$0] != nil }
        guard single.count <= 1 else { throw AWSError.malformedXML }
        let source = value["And"] ?? value
        let isAnd = value["And"] != nil
        var tags: [LifecycleTag] = []
        for tag in isAnd ? (source["Tags"]?.listValue ?? []) : (source["Tag"].map { [$0] } ?? []) {
            guard let key = tag["Key"]?.stringValue, let tagValue = tag["Value"]?.stringValue else { throw AWSError.malformedXML }
            guard (1...128).contains(key.count), tagValue.count <= 256 else {
                throw AWSError(code: "InvalidTag", message: "The TagKey you have provided is invalid", status: 400)
            }
            guard !tags.contains(where: { $0.key == key }) else { throw AWSError.invalidRequest("Duplicate Tag Keys are not allowed.") }
            tags.append(LifecycleTag(key: key, value: tagValue))
        }
        let filter = LifecycleFilter(
            and: isAnd,
            prefix: source["Prefix"]?.stringValue,
            tags: tags,
            objectSizeGreaterThan: source["ObjectSizeGreaterThan"]?.integerValue,
            objectSizeLessThan: source["ObjectSizeLessThan"]?.integerValue
        )
        if isAnd, filter.prefix == nil, filter.tags.isEmpty, filter.objectSizeGreaterThan == nil, filter.objectSizeLessThan == nil {
            throw AWSError.malformedXML
        }
        if let prefix = filter.prefix { try checkPrefix(prefix) }
        for (name, size) in [("ObjectSizeGreaterThan", filter.objectSizeGreaterThan), ("ObjectSizeLessThan", filter.objectSizeLessThan)] {
            if let size, size < 0 {
                throw AWSError.invalidArgument("'\(name)' should be a non-negative integer", name: name, value: String(size))
            }
        }
        if let greater = filter.objectSizeGreaterThan, let less = filter.objectSizeLessThan, greater >= less {
            throw AWSError.invalidArgument(
                "ObjectSizeGreaterThan must be less than ObjectSizeLessThan in a Lifecycle Configuration filter",
                name: "ObjectSizeGreaterThan", value: String(greater)
            )
        }
        return filter
    }

    private static func transition(_ item: ShapeValue, daysMember: String) throws -> LifecycleTransition {
        let days = item[daysMember]?.integerValue
        let date = daysMember == "Days" ? try lifecycleDate(item["Date"]) : nil
        guard (days == nil) != (date == nil) || (daysMember != "Days" && days != nil) else { throw AWSError.malformedXML }
        guard let storageClass = item["StorageClass"]?.stringValue,
            ["GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"].contains(storageClass)
        else { throw AWSError.malformedXML }
        if let days, days < 0 || days > Int64(Int32.max) {
            throw AWSError.invalidArgument("'\(daysMember)' in Transition action must be nonnegative", name: daysMember, value: String(days))
        }
        return LifecycleTransition(days: days, date: date, storageClass: storageClass, newerNoncurrentVersions: item["NewerNoncurrentVersions"]?.integerValue)
    }

    /// A lifecycle `Date`, which S3 requires to be a midnight UTC.
    private static func lifecycleDate(_ value: ShapeValue?) throws -> Date? {
        guard let value else { return nil }
        guard case .timestamp(let date) = value else { throw AWSError.malformedXML }
        guard date.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) == 0 else {
            throw AWSError.invalidArgument("'Date' must be at midnight GMT", name: "Date", value: TimestampCoding.format(date, .iso8601))
        }
        return date
    }

    private static func checkPositive(_ value: Int64, _ message: String, name: String) throws {
        guard value > 0, value <= Int64(Int32.max) else { throw AWSError.invalidArgument(message, name: name, value: String(value)) }
    }

    private static func checkPrefix(_ prefix: String) throws {
        guard prefix.utf8.count <= 1024 else { throw AWSError.invalidRequest("The maximum size of a prefix is 1024.") }
    }

    // MARK: Output

    private static func shape(_ rule: LifecycleRule) -> ShapeValue {
        var out: [String: ShapeValue] = ["ID": .string(rule.id), "Status": .string(rule.enabled ? "Enabled" : "Disabled")]
        if let prefix = rule.prefix { out["Prefix"] = .string(prefix) }
        if let filter = rule.filter {
            var predicates: [String: ShapeValue] = [:]
            if let prefix = filter.prefix { predicates["Prefix"] = .string(prefix) }
            if let size = filter.objectSizeGreaterThan { predicates["ObjectSizeGreaterThan"] = .integer(size) }
            if let size = filter.objectSizeLessThan { predicates["ObjectSizeLessThan"] = .integer(size) }
            let tags = filter.tags.map { ShapeValue.structure(["Key": .string($0.key), "Value": .string($0.value)]) }
            if filter.and {
                if !tags.isEmpty { predicates["Tags"] = .list(tags) }
                out["Filter"] = .structure(["And": .structure(predicates)])
            } else {
                if let tag = tags.first { predicates["Tag"] = tag }
                out["Filter"] = .structure(predicates)
            }
        }
        if let expiration = rule.expiration {
            var e: [String: ShapeValue] = [:]
            if let days = expiration.days { e["Days"] = .integer(days) }
            if let date = expiration.date { e["Date"] = .timestamp(date) }
            if let marker = expiration.expiredObjectDeleteMarker { e["ExpiredObjectDeleteMarker"] = .boolean(marker) }
            out["Expiration"] = .structure(e)
        }
        func transitions(_ list: [LifecycleTransition], daysMember: String) -> ShapeValue {
            .list(list.map { t in
                var v: [String: ShapeValue] = ["StorageClass": .string(t.storageClass)]
                if let days = t.days { v[daysMember] = .integer(days) }
                if let date = t.date { v["Date"] = .timestamp(date) }
                if let newer = t.newerNoncurrentVersions { v["NewerNoncurrentVersions"] = .integer(newer) }
                return .structure(v)
            })
        }
        if let list = rule.transitions { out["Transitions"] = transitions(list, daysMember: "Days") }
        if let list = rule.noncurrentVersionTransitions { out["NoncurrentVersionTransitions"] = transitions(list, daysMember: "NoncurrentDays") }
        if let noncurrent = rule.noncurrentVersionExpiration {
            var v: [String: ShapeValue] = [:]
            if let days = noncurrent.noncurrentDays { v["NoncurrentDays"] = .integer(days) }
            if let newer = noncurrent.newerNoncurrentVersions { v["NewerNoncurrentVersions"] = .integer(newer) }
            out["NoncurrentVersionExpiration"] = .structure(v)
        }
        if let days = rule.abortIncompleteMultipartUploadDays {
            out["AbortIncompleteMultipartUpload"] = .structure(["DaysAfterInitiation": .integer(days)])
        }
        return .structure(out)
    }

    // MARK: Carrying the rules out

    /// When a rule of `days` days falls due for something that began at `start`: S3 adds the days and rounds
    /// up to the next midnight UTC, here the next multiple of the configured day length.
    static func lifecycleDue(_ start: Date, days: Int64, daySeconds: Double = lifecycleDaySeconds) -> Date {
        let end = start.timeIntervalSince1970 + Double(days) * daySeconds
        return Date(timeIntervalSince1970: (end / daySeconds).rounded(.up) * daySeconds)
    }

    /// Expires the objects and aborts the uploads that every bucket's enabled rules make due by `now`.
    func applyLifecycleRules(now: Date) async throws {
        let buckets = try await store.read { try $0.scanJSON(BucketRecord.self, S3Keys.buckets) }
        for bucket in buckets.map(\.value) {
            guard let configuration = Self.storedLifecycle(bucket) else { continue }
            for rule in configuration.rules where rule.enabled {
                try Task.checkCancellation()
                if let expiration = rule.expiration, expiration.days != nil || expiration.date != nil {
                    try await expireObjects(in: bucket.name, rule: rule, expiration: expiration, now: now)
                }
                if let transitions = rule.transitions, !transitions.isEmpty {
                    try await transitionObjects(
                        in: bucket, rule: rule, transitions: transitions, minimumSize: configuration.transitionDefaultMinimumObjectSize, now: now
                    )
                }
                if rule.noncurrentVersionExpiration?.noncurrentDays != nil || rule.expiration?.expiredObjectDeleteMarker == true
                    || rule.noncurrentVersionTransitions?.isEmpty == false
                {
                    try await expireVersions(in: bucket, rule: rule, minimumSize: configuration.transitionDefaultMinimumObjectSize, now: now)
                }
                if let days = rule.abortIncompleteMultipartUploadDays {
                    try await abortUploads(in: bucket.name, prefix: rule.keyPrefix, days: days, now: now)
                }
            }
        }
    }

    private func expireObjects(in bucket: String, rule: LifecycleRule, expiration: LifecycleExpiration, now: Date) async throws {
        let prefix = bucket + "/" + rule.keyPrefix
        var after: String? = nil
        while true {
            let page = try await store.read { [after] in
                try $0.scanJSON(LifecycleObjectView.self, S3Keys.objects, prefix: prefix, after: after, limit: 500)
            }
            for (_, object) in page where rule.matches(key: object.key, size: object.size, tags: object.tags ?? [:]) {
                let due = expiration.date ?? Self.lifecycleDue(object.lastModified, days: expiration.days ?? 0)
                guard now >= due else { continue }
                do {
                    try await expireObject(bucket: bucket, key: object.key)
                } catch is AWSError {
                    // Refused for this object (Object Lock, say); the others still expire.
                }
            }
            guard page.count == 500, let last = page.last else { return }
            after = last.key
        }
    }

    /// The rules on older versions: each noncurrent version expires `NoncurrentDays` after a newer one
    /// replaced it, except the `NewerNoncurrentVersions` newest; a delete marker left with no versions
    /// behind it goes when the rule says `ExpiredObjectDeleteMarker`. Versions come newest first per key.
    private func expireVersions(in bucket: BucketRecord, rule: LifecycleRule, minimumSize: String, now: Date) async throws {
        let pageSize = 1_000
        var after: String? = nil
        var group: [LifecycleVersionView] = []
        func settle(_ versions: [LifecycleVersionView]) async {
            guard let newest = versions.first else { return }
            var doomed: [LifecycleVersionView] = []
            if let noncurrent = rule.noncurrentVersionExpiration, let days = noncurrent.noncurrentDays {
                let kept = Int(noncurrent.newerNoncurrentVersions ?? 0)
                for index in versions.indices.dropFirst() where index - 1 >= kept {
                    let version = versions[index]
                    guard rule.matches(key: version.key, size: version.size, tags: version.tags ?? [:]) else { continue }
                    // Noncurrent since the version after it was written.
                    if now >= Self.lifecycleDue(versions[index - 1].lastModified, days: days) { doomed.append(version) }
                }
            }
            if rule.expiration?.expiredObjectDeleteMarker == true, versions.count == 1, newest.isDeleteMarker == true,
                rule.matches(key: newest.key, size: 0, tags: [:])
            {
                doomed.append(newest)
            }
            for version in doomed {
                // Refused for this version (Object Lock, say); the others still expire.
                _ = try? await deleteKey(bucket: bucket, key: version.key, versionID: version.versionID ?? "null", bypassGovernance: false)
            }
            // Noncurrent transitions: the clock starts when a newer version replaced this one; the
            // `NewerNoncurrentVersions` newest noncurrent versions stay where they are.
            if let transitions = rule.noncurrentVersionTransitions, !transitions.isEmpty {
                for index in versions.indices.dropFirst() {
                    let version = versions[index]
                    guard version.isDeleteMarker != true, !doomed.contains(where: { $0.versionID == version.versionID }),
                        rule.matches(key: version.key, size: version.size, tags: version.tags ?? [:])
                    else { continue }
                    let eligible = transitions.filter { index - 1 >= Int($0.newerNoncurrentVersions ?? 0) }
                    guard let target = Self.dueTransition(
                        eligible, start: versions[index - 1].lastModified, size: version.size, currentClass: version.storageClass,
                        rule: rule, minimumSize: minimumSize, now: now
                    ) else { continue }
                    try? await transition(bucket: bucket, key: version.key, versionID: version.versionID ?? "null", to: target)
                }
            }
        }
        while true {
            let page = try await store.read { [after] in
                try $0.scanJSON(LifecycleVersionView.self, S3Keys.versions, prefix: bucket.name + "/" + rule.keyPrefix, after: after, limit: pageSize)
            }
            for (_, version) in page {
                if let last = group.last, last.key != version.key {
                    await settle(group)
                    group = []
                }
                group.append(version)
            }
            guard page.count == pageSize, let last = page.last else { break }
            after = last.key
        }
        await settle(group)
    }

    private func abortUploads(in bucket: String, prefix: String, days: Int64, now: Date) async throws {
        // The index names each upload's key and time: no record is read for the uploads not yet due.
        let uploads = try await store.read { tx in
            try tx.scan(S3Keys.uploadsByKey, prefix: bucket + "/" + prefix, after: nil, reverse: false, limit: .max)
                .compactMap { S3Keys.parseUploadByKey($0.key, bucket: bucket) }
        }
        for upload in uploads where now >= Self.lifecycleDue(upload.initiated, days: days) {
            do {
                try await abortUpload(bucket: bucket, uploadID: upload.uploadID)
            } catch is AWSError {
                // Refused for this upload; the others are still aborted.
            }
        }
    }
}
