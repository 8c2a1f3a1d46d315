//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusBlobStore
import NimbusCore
import NimbusStorage
import NimbusWire

// Versioning. A bucket that never had versioning keeps one record per key (`s3.objects`), and replacing
// or deleting an object destroys its data. Once versioning is enabled, every version also lives in
// `s3.versions`, newest first per key; `s3.objects` keeps the current version (absent when the newest is
// a delete marker), so listing stays a single scan. Suspending versioning makes new writes the `null`
// version, replacing (and destroying) the previous `null` version only.
//
// Object Lock protects versions: a version under retention or legal hold cannot be deleted until its
// date, governance retention yielding only to s3:BypassGovernanceRetention with the bypass header.

extension S3Service {
    // MARK: Writing a version

    /// Makes `record` the newest version of its key, as the bucket's versioning state says, unless a
    /// conditional write's condition no longer holds. On failure the new pieces are destroyed.
    @discardableResult
    func commitVersion(_ record: ObjectRecord, bucket: String, condition: WriteCondition?, newPieces: [DataPiece]) async throws -> ObjectRecord {
        try await commitVersion(key: record.key, bucket: bucket, condition: condition, newPieces: newPieces) { _ in (record, []) }
    }

    /// `commitVersion` for a record that `build` makes inside the transaction (from multipart parts), also
    /// returning pieces that become unreachable; `committed` writes what follows from the committed record
    /// (its version id known) in the same transaction.
    func commitVersion(
        key: String,
        bucket: String,
        condition: WriteCondition?,
        newPieces: [DataPiece],
        build: @escaping @Sendable (any StoreWriter) throws -> (ObjectRecord, [DataPiece]),
        committed: (@Sendable (ObjectRecord, any StoreWriter) throws -> Void)? = nil
    ) async throws -> ObjectRecord {
        let now = clock.now
        let result: (ObjectRecord, [DataPiece])
        do {
            result = try await store.write { tx in
                guard let bucketRecord = try Self.bucketRecords.get(tx, S3Keys.buckets, bucket) else { throw AWSError.noSuchBucket(bucket) }
                let current = S3Keys.object(bucket, key)
                let existing = try Self.objectRecords.get(tx, S3Keys.objects, current)
                try condition?.check(existing)
                var (record, discarded) = try build(tx)
                Self.applyDefaultRetention(bucketRecord, to: &record, now: now)
                switch bucketRecord.versioning {
                case nil:
                    record.versionID = nil
                    if let existing { discarded += existing.pieces }
                case "Enabled"?:
                    record.versionID = Self.newVersionID()
                    try Self.queueReplication(of: &record, in: bucketRecord, tx: tx)
                    try Self.putVersion(record, bucket: bucket, at: now, in: tx)
                default:
                    record.versionID = nil
                    discarded += try Self.removeNullVersion(bucket: bucket, key: record.key, in: tx)
                    try Self.putVersion(record, bucket: bucket, at: now, in: tx)
                }
                try Self.objectRecords.put(tx, S3Keys.objects, current, record)
                try committed?(record, tx)
                return (record, discarded)
            }
        } catch {
            await discard(newPieces)
            throw error
        }
        await discard(result.1)
        if result.0.replicationStatus == "PENDING" { replicationWake.continuation.yield() }
        return result.0
    }

    static func newVersionID() -> String {
        // 32 URL-safe characters, like S3's: base64 of 24 random bytes (no padding) with `.` and `_`
        // for `+` and `/`.
        let base64 = SymmetricKey(size: .bits192).withUnsafeBytes { Data($0) }.base64EncodedData()
        return String(decoding: base64.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: ".") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }

    /// Where a version written at `date` sorts among its key's versions: newest first.
    static func versionKey(bucket: String, key: String, version: String, at date: Date) -> String {
        let nanos = UInt64(max(0, date.timeIntervalSince1970) * 1e9)
        let inverted = String(UInt64.max - nanos)
        return S3Keys.versionPrefix(bucket, key) + String(repeating: "0", count: 20 - inverted.count) + inverted + "/" + version
    }

    static func putVersion(_ record: ObjectRecord, bucket: String, at date: Date, in tx: any StoreWriter) throws {
        let key = versionKey(bucket: bucket, key: record.key, version: record.version, at: date)
        try tx.putJSON(S3Keys.versions, key, record)
        if let id = record.versionID { try tx.put(S3Keys.versionIDs, bucket + "/" + id, Array(key.utf8)) }
    }

    /// Removes the key's `null` version, if any, returning its pieces.
    static func removeNullVersion(bucket: String, key: String, in tx: any StoreWriter) throws -> [DataPiece] {
        var removed: [DataPiece] = []
        for (entry, record) in try tx.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(bucket, key)) where record.versionID == nil {
            try tx.delete(S3Keys.versions, entry)
            removed += record.pieces
        }
        return removed
    }

    static func applyDefaultRetention(_ bucket: BucketRecord, to record: inout ObjectRecord, now: Date) {
        guard bucket.objectLockEnabled == true, record.retentionMode == nil, record.isDeleteMarker != true,
            let mode = bucket.defaultRetentionMode
        else { return }
        var until: Date?
        if let days = bucket.defaultRetentionDays { until = Calendar(identifier: .gregorian).date(byAdding: .day, value: days, to: now) }
        if let years = bucket.defaultRetentionYears { until = Calendar(identifier: .gregorian).date(byAdding: .year, value: years, to: now) }
        guard let until else { return }
        record.retentionMode = mode
        record.retainUntil = until
    }

    // MARK: Reading a version

    /// The version `versionID` of `key` (`null` included), or the current version when nil. Delete markers
    /// are returned as they are; the caller decides what they mean.
    func findVersion(bucket: BucketRecord, key: String, versionID: String?) async throws -> (entry: String?, record: ObjectRecord)? {
        try await store.read { tx in
            guard let versionID else {
                return try tx.getJSON(ObjectRecord.self, S3Keys.objects, S3Keys.object(bucket.name, key)).map { (nil, $0) }
            }
            if versionID == "null" {
                if bucket.versioning == nil {
                    return try tx.getJSON(ObjectRecord.self, S3Keys.objects, S3Keys.object(bucket.name, key)).map { (nil, $0) }
                }
                return try tx.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(bucket.name, key))
                    .first { $0.value.versionID == nil }.map { ($0.key, $0.value) }
            }
            guard let entryBytes = try tx.get(S3Keys.versionIDs, bucket.name + "/" + versionID) else { return nil }
            let entry = String(decoding: entryBytes, as: UTF8.self)
            guard let record = try tx.getJSON(ObjectRecord.self, S3Keys.versions, entry), record.key == key else { return nil }
            return (entry, record)
        }
    }

    /// What a request by method `method` on a delete marker named by its version id answers: 405, with the
    /// method, the marker's headers, and `Allow: DELETE` (the one method a marker takes).
    static func deleteMarkerRefuses(_ method: String, versionID: String) -> AWSError {
        var error = AWSError(code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.", status: 405,
                             extra: [("Method", method), ("ResourceType", "DeleteMarker")])
        error.headers = [("x-amz-delete-marker", "true"), ("x-amz-version-id", versionID), ("Allow", "DELETE")]
        return error
    }

    /// The `NoSuchKey` a read of the key the input names would answer, nil when the key is there (or the input
    /// names a version: a missing version is not hidden).
    func absentKey(_ input: ShapeValue) async throws -> AWSError? {
        guard input["VersionId"] == nil else { return nil }
        do {
            _ = try await readableVersion(bucket: try await bucket(input), key: try Self.objectKey(input), versionID: nil)
            return nil
        } catch let error as AWSError where error.code == "NoSuchKey" {
            return error
        }
    }

    /// The object a GET or HEAD reads: `NoSuchKey` (with the delete-marker headers S3 sends) when the key
    /// is deleted, `NoSuchVersion` or `MethodNotAllowed` for a version that is missing or a marker.
    /// ``readableVersion(bucket:key:versionID:)`` with its pieces held (``BlobHold``), for a read of its data: a
    /// PUT or DELETE that replaces the record meanwhile removes the pieces only when the read is done, so that
    /// the read gets the whole object it started on (as S3's does) instead of a connection cut mid-body.
    func heldVersion(bucket: BucketRecord, key: String, versionID: String?) async throws -> (record: ObjectRecord, hold: BlobHold) {
        var record = try await readableVersion(bucket: bucket, key: key, versionID: versionID)
        for _ in 0..<8 {
            let hold = blobs.hold(record.pieces.map(\.blob))
            // Pieces are deleted only once no record names them: if the record still names them, the hold came in time.
            let again = try await readableVersion(bucket: bucket, key: key, versionID: versionID)
            if again.pieces.map(\.blob.id) == record.pieces.map(\.blob.id) { return (again, hold) }
            record = again
        }
        return (record, blobs.hold(record.pieces.map(\.blob)))
    }

    func readableVersion(bucket: BucketRecord, key: String, versionID: String?, method: String = "GET") async throws -> ObjectRecord {
        if let versionID {
            guard let found = try await findVersion(bucket: bucket, key: key, versionID: versionID) else {
                if versionID != "null", !Self.isPlausibleVersionID(versionID) {
                    throw AWSError.invalidArgument("Invalid version id specified", name: "versionId", value: versionID)
                }
                throw AWSError(code: "NoSuchVersion", message: "The specified version does not exist.", status: 404,
                               extra: [("Key", key), ("VersionId", versionID)])
            }
            if found.record.isDeleteMarker == true { throw Self.deleteMarkerRefuses(method, versionID: versionID) }
            return found.record
        }
        if let current = try await object(bucket: bucket.name, key: key) { return current }
        var error = AWSError.noSuchKey(key)
        if bucket.versioning != nil,
            let newest = try await store.read({ try $0.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(bucket.name, key), limit: 1) }).first,
            newest.value.isDeleteMarker == true
        {
            error.headers = [("x-amz-delete-marker", "true"), ("x-amz-version-id", newest.value.version)]
        }
        throw error
    }

    static func isPlausibleVersionID(_ id: String) -> Bool {
        (1...1024).contains(id.utf8.count) && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    // MARK: Deleting

    struct DeleteOutcome: Sendable {
        var deleteMarker: Bool
        var versionID: String?
    }

    /// Deletes `key` (adding a delete marker where versioning says so) or, with `versionID`, that version
    /// for good, unless Object Lock protects it.
    func deleteKey(
        bucket: BucketRecord, key: String, versionID: String?, bypassGovernance: Bool, ifMatch: String? = nil
    ) async throws -> DeleteOutcome {
        let now = clock.now
        let markerID = Self.newVersionID()
        let (outcome, discarded): (DeleteOutcome, [DataPiece]) = try await store.write { tx in
            guard let bucketRecord = try tx.getJSON(BucketRecord.self, S3Keys.buckets, bucket.name) else { throw AWSError.noSuchBucket(bucket.name) }
            let current = S3Keys.object(bucket.name, key)
            let existing = try tx.getJSON(ObjectRecord.self, S3Keys.objects, current)
            if let ifMatch {
                guard let existing else { throw AWSError.noSuchKey(key) }
                guard ReadCondition.etagMatches(ifMatch, existing.etag) else { throw AWSError.preconditionFailed("If-Match") }
            }
            guard let versionID else {
                switch bucketRecord.versioning {
                case nil:
                    if existing != nil { try tx.delete(S3Keys.objects, current) }
                    return (DeleteOutcome(deleteMarker: false, versionID: nil), existing?.pieces ?? [])
                case let state?:
                    var marker = Self.deleteMarker(key: key, owner: bucketRecord.account, at: now, versionID: state == "Enabled" ? markerID : nil)
                    try Self.queueReplication(of: &marker, in: bucketRecord, tx: tx)
                    var discarded: [DataPiece] = []
                    if state != "Enabled" { discarded = try Self.removeNullVersion(bucket: bucket.name, key: key, in: tx) }
                    try Self.putVersion(marker, bucket: bucket.name, at: now, in: tx)
                    if existing != nil { try tx.delete(S3Keys.objects, current) }
                    return (DeleteOutcome(deleteMarker: true, versionID: marker.version), discarded)
                }
            }
            // A specific version: gone for good.
            if bucketRecord.versioning == nil {
                guard versionID == "null", let existing else { return (DeleteOutcome(deleteMarker: false, versionID: versionID), []) }
                try Self.checkLock(existing, bypassGovernance: bypassGovernance, now: now)
                try tx.delete(S3Keys.objects, current)
                return (DeleteOutcome(deleteMarker: false, versionID: "null"), existing.pieces)
            }
            let entry: String?
            if versionID == "null" {
                entry = try tx.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(bucket.name, key))
                    .first { $0.value.versionID == nil }?.key
            } else {
                entry = try tx.get(S3Keys.versionIDs, bucket.name + "/" + versionID).map { String(decoding: $0, as: UTF8.self) }
            }
            guard let entry, let record = try tx.getJSON(ObjectRecord.self, S3Keys.versions, entry), record.key == key else {
                return (DeleteOutcome(deleteMarker: false, versionID: versionID), [])
            }
            try Self.checkLock(record, bypassGovernance: bypassGovernance, now: now)
            try tx.delete(S3Keys.versions, entry)
            if let id = record.versionID { try tx.delete(S3Keys.versionIDs, bucket.name + "/" + id) }
            // The current version is whatever is newest now.
            let newest = try tx.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(bucket.name, key), limit: 1).first?.value
            if let newest, newest.isDeleteMarker != true {
                try tx.putJSON(S3Keys.objects, current, newest)
            } else if existing != nil {
                try tx.delete(S3Keys.objects, current)
            }
            return (DeleteOutcome(deleteMarker: record.isDeleteMarker == true, versionID: record.version), record.pieces)
        }
        await discard(discarded)
        // Perhaps a delete marker to replicate: the worker looks (a wake for nothing costs one read).
        if outcome.deleteMarker, bucket.replication != nil { replicationWake.continuation.yield() }
        return outcome
    }

    static func deleteMarker(key: String, owner: String, at date: Date, versionID: String?) -> ObjectRecord {
        ObjectRecord(
            key: key, size: 0, etag: "", lastModified: date, metadata: [:], encryption: .s3, pieces: [], owner: owner,
            versionID: versionID, isDeleteMarker: true
        )
    }

    static let lockedError = AWSError(code: "AccessDenied", message: "Access Denied because object protected by object lock.", status: 403)

    static func checkLock(_ record: ObjectRecord, bypassGovernance: Bool, now: Date) throws {
        if record.legalHold == true { throw lockedError }
        guard let mode = record.retentionMode, let until = record.retainUntil, until > now else { return }
        if mode == "COMPLIANCE" || !bypassGovernance { throw lockedError }
    }

    /// Whether the request asks to bypass governance retention, having the permission to.
    func bypassesGovernance(_ input: ShapeValue, bucket: String, key: String, context: RequestContext) async throws -> Bool {
        guard input["BypassGovernanceRetention"]?.booleanValue == true else { return false }
        try await authorize("s3:BypassGovernanceRetention", "arn:aws:s3:::\(bucket)/\(key)", context, input: input)
        return true
    }

    // MARK: Bucket versioning

    func putBucketVersioning(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let status = input["VersioningConfiguration"]?["Status"]?.stringValue else { throw AWSError.malformedXML }
        guard status == "Enabled" || status == "Suspended" else { throw AWSError.malformedXML }
        if status == "Suspended", record.objectLockEnabled == true {
            throw AWSError(code: "InvalidBucketState", message: "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.", status: 409)
        }
        let name = record.name
        try await store.write { tx in
            guard var bucket = try tx.getJSON(BucketRecord.self, S3Keys.buckets, name) else { throw AWSError.noSuchBucket(name) }
            // The objects written before versioning become their keys' `null` versions.
            if bucket.versioning == nil {
                for (_, object) in try tx.scanJSON(ObjectRecord.self, S3Keys.objects, prefix: name + "/") {
                    try Self.putVersion(object, bucket: name, at: object.lastModified, in: tx)
                }
            }
            bucket.versioning = status
            try tx.putJSON(S3Keys.buckets, name, bucket)
        }
        return .empty
    }

    func getBucketVersioning(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        return record.versioning.map { .structure(["Status": .string($0)]) } ?? .empty
    }

    // MARK: ListObjectVersions

    func listObjectVersions(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let prefix = input["Prefix"]?.stringValue ?? ""
        let delimiter = input["Delimiter"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let maxKeys = try Self.maxKeys(input)
        let encode = try Self.encodingType(input)
        let keyMarker = input["KeyMarker"]?.stringValue
        let versionMarker = input["VersionIdMarker"]?.stringValue
        let page = try await store.read { tx in
            try Self.versionPage(
                bucket: bucket, prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, encode: encode,
                keyMarker: keyMarker, versionMarker: versionMarker, in: tx
            )
        }
        let (versions, markers, prefixes, truncated, nextKey, nextVersion) = page
        var out: [String: ShapeValue] = [
            "Name": .string(bucket.name),
            "Prefix": .string(Self.urlEncode(prefix, encode)),
            "KeyMarker": .string(keyMarker ?? ""),
            "VersionIdMarker": .string(versionMarker ?? ""),
            "MaxKeys": .integer(Int64(maxKeys)),
            "IsTruncated": .boolean(truncated),
            "Versions": .list(versions),
            "DeleteMarkers": .list(markers),
            "CommonPrefixes": .list(prefixes.map { .structure(["Prefix": .string(Self.urlEncode($0, encode))]) }),
        ]
        if let delimiter { out["Delimiter"] = .string(delimiter) }
        if encode { out["EncodingType"] = .string("url") }
        if truncated {
            if let nextKey { out["NextKeyMarker"] = .string(nextKey) }
            if let nextVersion { out["NextVersionIdMarker"] = .string(nextVersion) }
        }
        return .structure(out)
    }

    /// One page of ListObjectVersions, read from the store in batches from the key marker on, until the page is
    /// full: a page no longer decodes every version under the prefix.
    private static func versionPage(
        bucket: BucketRecord, prefix: String, delimiter: String?, maxKeys: Int, encode: Bool,
        keyMarker: String?, versionMarker: String?, in tx: any StoreReader
    ) throws -> (versions: [ShapeValue], markers: [ShapeValue], prefixes: [String], truncated: Bool, nextKey: String?, nextVersion: String?) {
        var versions: [ShapeValue] = []
        var markers: [ShapeValue] = []
        var prefixes: [String] = []
        var count = 0
        var nextKey: String?
        var nextVersion: String?
        var previousKey: String?
        var skipping = keyMarker != nil
        // Unversioned buckets list their objects as `null` versions.
        let namespace = bucket.versioning == nil ? S3Keys.objects : S3Keys.versions
        // Reading resumes at the marker's key, whose versions all come after `<bucket>/<marker>`: the first of
        // them is needed to tell which one is the latest.
        var after = keyMarker.map { bucket.name + "/" + $0 }
        // A page usually needs a few records more than it lists (the marker's own versions); more only where
        // common prefixes or older versions are skipped, so the batches grow from there.
        var limit = min(maxKeys + 2, versionBatch)
        while true {
            let batch = try tx.scanJSON(ObjectRecord.self, namespace, prefix: bucket.name + "/" + prefix, after: after, limit: limit)
            for (_, record) in batch {
                let isLatest = record.key != previousKey
                previousKey = record.key
                if skipping, let keyMarker {
                    if record.key < keyMarker { continue }
                    if record.key == keyMarker {
                        if let versionMarker, record.version == versionMarker { skipping = false }
                        continue
                    }
                    // A marker that was a common prefix resumes after everything under it.
                    if let delimiter, keyMarker.hasSuffix(delimiter), record.key.hasPrefix(keyMarker) { continue }
                    skipping = false
                }
                if let delimiter, let range = record.key.dropFirst(prefix.count).range(of: delimiter) {
                    let common = String(record.key[..<range.upperBound])
                    if prefixes.last == common { continue }
                    if count == maxKeys { return (versions, markers, prefixes, true, nextKey, nextVersion) }
                    prefixes.append(common)
                    count += 1
                    nextKey = common
                    nextVersion = nil
                    continue
                }
                if count == maxKeys { return (versions, markers, prefixes, true, nextKey, nextVersion) }
                count += 1
                nextKey = record.key
                nextVersion = record.version
                var entry: [String: ShapeValue] = [
                    "Key": .string(urlEncode(record.key, encode)),
                    "VersionId": .string(record.version),
                    "IsLatest": .boolean(isLatest),
                    "LastModified": .timestamp(record.lastModified),
                    "Owner": owner(record.owner),
                ]
                if record.isDeleteMarker == true {
                    markers.append(.structure(entry))
                } else {
                    entry["ETag"] = .string(record.etag)
                    entry["Size"] = .integer(record.size)
                    entry["StorageClass"] = .string(record.storageClass ?? "STANDARD")
                    versions.append(.structure(entry))
                }
            }
            guard batch.count == limit, let last = batch.last else { break }
            after = last.key
            limit = min(limit * 4, versionBatch)
        }
        return (versions, markers, prefixes, false, nextKey, nextVersion)
    }

    /// The most records one read of ListObjectVersions decodes at a time.
    static let versionBatch = 500
}

// MARK: Blobs that records name

extension S3Service {
    /// Of `candidates` (blob ids), those that some object version, current or not, or some part of an upload in
    /// progress names: what the blob store's scrubber asks before it removes a blob as an orphan. One read, so
    /// that a record moving between namespaces meanwhile (a version becoming noncurrent) is seen in one of them.
    public func referencedBlobs(among candidates: Set<String>) async throws -> Set<String> {
        try await store.read { try Self.referencedBlobs(among: candidates, in: $0) }
    }

    static func referencedBlobs(among candidates: Set<String>, in reader: any StoreReader) throws -> Set<String> {
        var named: Set<String> = []
        let decoder = JSONDecoder()
        func walk(_ namespace: String, _ blobs: ([UInt8]) throws -> [String]) throws {
            var cursor: String?
            while true {
                let batch = try reader.scan(namespace, prefix: "", after: cursor, reverse: false, limit: 1_000)
                for entry in batch {
                    for id in try blobs(entry.value) where candidates.contains(id) { named.insert(id) }
                }
                guard batch.count == 1_000, let last = batch.last else { return }
                cursor = last.key
            }
        }
        let object: ([UInt8]) throws -> [String] = { try decoder.decode(ObjectRecord.self, from: Data($0)).pieces.map(\.blob.id) }
        try walk(S3Keys.objects, object)
        try walk(S3Keys.versions, object)
        try walk(S3Keys.parts) { [try decoder.decode(PartRecord.self, from: Data($0)).piece.blob.id] }
        return named
    }
}
