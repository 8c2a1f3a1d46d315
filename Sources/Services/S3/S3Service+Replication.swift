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
import NimbusStorage
import NimbusWire

// Live replication between buckets of this server (same or cross account, same or cross Region): a bucket's
// replication configuration, checked as S3 checks it; each new version a rule matches is marked `PENDING` and
// queued in the commit's own transaction (`S3Keys.replicationQueue`), and `replicatePending` copies it, as the
// configuration's role, into the destination bucket under the same version id, with its metadata and tags, as
// a `REPLICA`, then marks the source `COMPLETED` (or `FAILED`). Delete markers follow where the rule says so.

/// A bucket's replication configuration, as stored (`BucketRecord.replication`).
struct ReplicationSettings: Codable, Sendable {
    struct Rule: Codable, Sendable {
        var id: String
        var priority: Int
        var enabled: Bool
        var prefix: String
        var tags: [String: String]
        /// The destination bucket's name (the configuration names it by ARN).
        var destination: String
        var destinationAccount: String?
        var storageClass: String?
        var replicaKMSKeyID: String?
        /// `SourceSelectionCriteria.SseKmsEncryptedObjects`: SSE-KMS objects are replicated only when it is on.
        var replicatesKMSObjects: Bool
        var replicatesDeleteMarkers: Bool
        var accessControlTranslation: Bool
        /// The rule's `Filter` with its members as given, nil for a rule of the first schema (`Prefix` alone).
        var hasFilter: Bool

        func matches(key: String, tags objectTags: [String: String]?) -> Bool {
            enabled && key.hasPrefix(prefix) && tags.allSatisfy { objectTags?[$0.key] == $0.value }
        }
    }
    var role: String
    var rules: [Rule]
    /// The configuration as given, for GetBucketReplication.
    var document: StoredShape

    /// The rule that replicates a version of `key` with `tags`: of those that match, the one of highest priority.
    func rule(for key: String, tags: [String: String]?) -> Rule? {
        rules.filter { $0.matches(key: key, tags: tags) }.max { $0.priority < $1.priority }
    }
}

/// A version waiting to be replicated (`S3Keys.replicationQueue`).
struct ReplicationTask: Codable, Sendable {
    var bucket: String
    var key: String
    var versionID: String
    var rule: ReplicationSettings.Rule
    var role: String
}

/// A `ShapeValue` as JSON, for configurations kept as they were given.
struct StoredShape: Codable, Sendable {
    var value: ShapeValue

    init(_ value: ShapeValue) { self.value = value }

    private enum Tag: String, CodingKey { case s, i, d, b, t, x, S, L, M }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Tag.self)
        guard let tag = container.allKeys.first else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "empty shape")) }
        switch tag {
        case .s: value = .string(try container.decode(String.self, forKey: .s))
        case .i: value = .integer(try container.decode(Int64.self, forKey: .i))
        case .d: value = .double(try container.decode(Double.self, forKey: .d))
        case .b: value = .boolean(try container.decode(Bool.self, forKey: .b))
        case .t: value = .timestamp(Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .t)))
        case .x: value = .blob(Array(Data(base64Encoded: try container.decode(String.self, forKey: .x)) ?? Data()))
        case .S: value = .structure(try container.decode([String: StoredShape].self, forKey: .S).mapValues(\.value))
        case .L: value = .list(try container.decode([StoredShape].self, forKey: .L).map(\.value))
        case .M: value = .map(try container.decode([String: StoredShape].self, forKey: .M).mapValues(\.value))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Tag.self)
        switch value {
        case .string(let v): try container.encode(v, forKey: .s)
        case .integer(let v): try container.encode(v, forKey: .i)
        case .double(let v): try container.encode(v, forKey: .d)
        case .boolean(let v): try container.encode(v, forKey: .b)
        case .timestamp(let v): try container.encode(v.timeIntervalSince1970, forKey: .t)
        case .blob(let v): try container.encode(Data(v).base64EncodedString(), forKey: .x)
        case .structure(let v): try container.encode(v.mapValues(StoredShape.init), forKey: .S)
        case .list(let v): try container.encode(v.map(StoredShape.init), forKey: .L)
        case .map(let v): try container.encode(v.mapValues(StoredShape.init), forKey: .M)
        }
    }
}

extension S3Service {
    // MARK: Configuration

    func putBucketReplication(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let configuration = input["ReplicationConfiguration"] else { throw AWSError.malformedXML }
        guard record.versioning == "Enabled" else {
            var error = AWSError.invalidRequest("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
            error.extra = [("BucketName", record.name)]
            throw error
        }
        let settings = try Self.replicationSettings(configuration)
        for rule in settings.rules {
            guard let destination = try await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, rule.destination) }) else {
                throw AWSError.invalidRequest("Destination bucket must exist.")
            }
            guard destination.versioning == "Enabled" else {
                throw AWSError.invalidRequest("Destination bucket must have versioning enabled.")
            }
            guard destination.name != record.name else {
                throw AWSError.invalidRequest("Destination bucket cannot be the same as the source bucket.")
            }
        }
        try await update(record.name) { $0.replication = settings }
        return .empty
    }

    func getBucketReplication(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let settings = record.replication else {
            throw AWSError(code: "ReplicationConfigurationNotFoundError", message: "The replication configuration was not found",
                           status: 404, extra: [("BucketName", record.name)])
        }
        return .structure(["ReplicationConfiguration": settings.document.value])
    }

    func deleteBucketReplication(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        if record.replication != nil { try await update(record.name) { $0.replication = nil } }
        return .empty
    }

    /// A `ReplicationConfiguration`, checked as S3 checks it (all but its buckets).
    static func replicationSettings(_ configuration: ShapeValue) throws -> ReplicationSettings {
        guard let role = configuration["Role"]?.stringValue, let items = configuration["Rules"]?.listValue, !items.isEmpty, items.count <= 1_000
        else { throw AWSError.malformedXML }
        guard role.hasPrefix("arn:aws:iam::"), role.contains(":role/") else {
            throw AWSError.invalidArgument("Invalid ReplicationConfiguration Role ARN", name: "ReplicationConfiguration", value: role)
        }
        var document = configuration
        var stored: [ShapeValue] = []
        var rules: [ReplicationSettings.Rule] = []
        var ids: Set<String> = []
        for (index, var item) in items.enumerated() {
            guard let status = item["Status"]?.stringValue, status == "Enabled" || status == "Disabled",
                let target = item["Destination"]?["Bucket"]?.stringValue
            else { throw AWSError.malformedXML }
            let arnPrefix = "arn:aws:s3:::"
            guard target.hasPrefix(arnPrefix), target.count > arnPrefix.count else {
                throw AWSError.invalidArgument("Invalid bucket ARN.", name: "Destination", value: target)
            }
            let filter = item["Filter"]
            if filter != nil, item["Prefix"] != nil { throw AWSError.malformedXML }
            if filter != nil, item["DeleteMarkerReplication"] == nil {
                throw AWSError.invalidRequest("DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema.")
            }
            let prefix = item["Prefix"]?.stringValue ?? filter?["Prefix"]?.stringValue ?? filter?["And"]?["Prefix"]?.stringValue ?? ""
            var tags: [String: String] = [:]
            let tagItems = (filter?["Tag"].map { [$0] } ?? []) + (filter?["And"]?["Tags"]?.listValue ?? [])
            for tag in tagItems {
                guard let key = tag["Key"]?.stringValue, let value = tag["Value"]?.stringValue else { throw AWSError.malformedXML }
                tags[key] = value
            }
            let deleteMarkers = item["DeleteMarkerReplication"]?["Status"]?.stringValue == "Enabled" || filter == nil
            if deleteMarkers, filter != nil, !tags.isEmpty {
                throw AWSError.invalidRequest("Delete marker replication is not supported if any Tag filter is specified.")
            }
            let id = item["ID"]?.stringValue ?? String(UUID().uuidString.prefix(32))
            guard id.count <= 255 else { throw AWSError.invalidArgument("ID length should not exceed allowed limit of 255", name: "ID", value: id) }
            guard ids.insert(id).inserted else { throw AWSError.invalidArgument("Rule Id must be unique", name: "ID", value: id) }
            if item["ID"] == nil, case .structure(var members) = item {
                members["ID"] = .string(id)
                item = .structure(members)
            }
            stored.append(item)
            let destination = item["Destination"]
            rules.append(.init(
                id: id, priority: Int(item["Priority"]?.integerValue ?? Int64(-index)), enabled: status == "Enabled", prefix: prefix, tags: tags,
                destination: String(target.dropFirst(arnPrefix.count)), destinationAccount: destination?["Account"]?.stringValue,
                storageClass: destination?["StorageClass"]?.stringValue,
                replicaKMSKeyID: destination?["EncryptionConfiguration"]?["ReplicaKmsKeyID"]?.stringValue,
                replicatesKMSObjects: item["SourceSelectionCriteria"]?["SseKmsEncryptedObjects"]?["Status"]?.stringValue == "Enabled",
                replicatesDeleteMarkers: deleteMarkers,
                accessControlTranslation: destination?["AccessControlTranslation"]?["Owner"]?.stringValue == "Destination",
                hasFilter: filter != nil
            ))
        }
        if case .structure(var members) = document {
            members["Rules"] = .list(stored)
            document = .structure(members)
        }
        return ReplicationSettings(role: role, rules: rules, document: StoredShape(document))
    }

    // MARK: Queueing

    /// Marks `record` (a new version of `bucket`) `PENDING` and queues it, when a rule replicates it; called in
    /// the transaction that commits it, before it is written.
    /// Returns whether it queued it.
    @discardableResult
    static func queueReplication(of record: inout ObjectRecord, in bucket: BucketRecord, tx: any StoreWriter) throws -> Bool {
        guard let settings = bucket.replication, let versionID = record.versionID,
            let rule = settings.rule(for: record.key, tags: record.tags)
        else { return false }
        if record.isDeleteMarker == true {
            guard rule.replicatesDeleteMarkers else { return false }
        } else {
            // SSE-C objects are not replicated here (their key is the customer's); SSE-KMS ones only when the rule says so.
            if record.encryption == .customer || (record.encryption == .kms && !rule.replicatesKMSObjects) { return false }
            record.replicationStatus = "PENDING"
        }
        try tx.putJSON(S3Keys.replicationQueue, bucket.name + "/" + versionID,
                       ReplicationTask(bucket: bucket.name, key: record.key, versionID: versionID, rule: rule, role: settings.role))
        return true
    }

    // MARK: Replicating

    /// An element each time writes have queued versions for replication (several writes may share one).
    public var replicationWakes: AsyncStream<Void> { replicationWake.stream }

    /// Replicates what is queued, oldest first; the server calls it every second. Returns how many it took.
    @discardableResult
    public func replicatePending() async throws -> Int {
        let queued = try await store.read { try $0.scanJSON(ReplicationTask.self, S3Keys.replicationQueue, limit: 100) }
        for (entry, task) in queued {
            let status: String
            do {
                status = try await replicate(task) ? "COMPLETED" : "FAILED"
            } catch {
                status = "FAILED"
            }
            try await store.write { tx in
                try tx.delete(S3Keys.replicationQueue, entry)
                try Self.setReplicationStatus(status, bucket: task.bucket, key: task.key, versionID: task.versionID, in: tx)
            }
        }
        return queued.count
    }

    /// The role's session, as S3 acts for the configuration.
    static func replicationContext(role: String, region: String) -> RequestContext {
        let parts = role.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        let account = parts.count == 6 ? String(parts[4]) : ""
        let roleName = parts.count == 6 ? String(parts[5].split(separator: "/").last ?? "") : ""
        let principal = Principal(
            kind: .assumedRole, accountID: account, arn: "arn:aws:sts::\(account):assumed-role/\(roleName)/s3-replication",
            userID: "s3-replication", sessionIssuer: role
        )
        return RequestContext(
            requestID: UUID().uuidString.lowercased(), receivedAt: Date(), sourceIP: "s3.amazonaws.com", userAgent: "s3.amazonaws.com",
            region: region, service: "s3", operation: "ReplicateObject", principal: principal, isSecureTransport: true
        )
    }

    /// Copies one version into its destination; false when it cannot be (the role may not, the destination is
    /// gone or unversioned). A version deleted meanwhile counts as done.
    private func replicate(_ task: ReplicationTask) async throws -> Bool {
        guard let source = try await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, task.bucket) }),
            let destination = try await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, task.rule.destination) }),
            destination.versioning == "Enabled"
        else { return false }
        guard let found = try await findVersion(bucket: source, key: task.key, versionID: task.versionID) else { return true }
        let version = found.record
        let context = Self.replicationContext(role: task.role, region: destination.region)
        let marker = version.isDeleteMarker == true
        do {
            try await authorizer.authorize(AuthorizationRequest(
                action: "s3:GetObjectVersionForReplication", resources: ["arn:aws:s3:::\(source.name)/\(task.key)"], context: context))
            try await authorizer.authorize(AuthorizationRequest(
                action: marker ? "s3:ReplicateDelete" : "s3:ReplicateObject", resources: ["arn:aws:s3:::\(destination.name)/\(task.key)"],
                context: context))
        } catch {
            return false
        }
        var replica = version
        replica.replicationStatus = marker ? nil : "REPLICA"
        if !marker {
            let hold = blobs.hold(version.pieces.map(\.blob))
            let keys = try await keys(for: version, customer: nil, context: context)
            let data = PiecesStream(blobs: blobs, pieces: version.pieces, keys: keys, range: version.size > 0 ? 0...(version.size - 1) : nil, hold: hold)
            var encryption: [String: ShapeValue] = [:]
            if let kmsKey = task.rule.replicaKMSKeyID {
                encryption = ["ServerSideEncryption": .string("aws:kms"), "SSEKMSKeyId": .string(kmsKey)]
            }
            let plan = try await encryptionPlan(.structure(encryption), bucket: destination, key: task.key, customer: nil, context: context)
            let pieceKey = try await newPieceKey(plan, context: context)
            let algorithms = Set((version.checksums ?? [:]).keys.compactMap(ChecksumAlgorithm.init(rawValue:)))
            let blob = try await writeBlob(data, key: pieceKey.key, checksums: algorithms, maxBytes: Self.maxObjectSize)
            // One piece: the source's part boundaries are not kept (its ETag and checksums are).
            replica.pieces = [try piece(blob, key: pieceKey, plan: plan)]
            replica.partsCount = nil
            replica.kmsKeyARN = nil
            replica.kmsContext = nil
            replica.bucketKeyEnabled = nil
            Self.applyEncryption(plan, into: &replica)
            if let storageClass = task.rule.storageClass { replica.storageClass = storageClass == "STANDARD" ? nil : storageClass }
            if task.rule.accessControlTranslation { replica.owner = destination.account; replica.acl = nil }
        }
        let written = replica
        do {
            try await store.write { tx in
                guard let target = try Self.bucketRecords.get(tx, S3Keys.buckets, destination.name), target.versioning == "Enabled" else {
                    throw AWSError.noSuchBucket(destination.name)
                }
                try Self.putVersion(written, bucket: target.name, at: written.lastModified, in: tx)
                // The replica is the current version unless the destination has a newer one of its own.
                let current = S3Keys.object(target.name, written.key)
                let newest = try tx.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(target.name, written.key), limit: 1).first?.value
                if let newest, newest.isDeleteMarker != true {
                    try Self.objectRecords.put(tx, S3Keys.objects, current, newest)
                } else {
                    try tx.delete(S3Keys.objects, current)
                }
            }
        } catch {
            await discard(marker ? [] : written.pieces)
            throw error
        }
        return true
    }

    /// Sets the replication status of a source version, in its version entry and, if it is current, its object record.
    static func setReplicationStatus(_ status: String, bucket: String, key: String, versionID: String, in tx: any StoreWriter) throws {
        guard let entryBytes = try tx.get(S3Keys.versionIDs, bucket + "/" + versionID) else { return }
        let entry = String(decoding: entryBytes, as: UTF8.self)
        guard var version = try tx.getJSON(ObjectRecord.self, S3Keys.versions, entry), version.isDeleteMarker != true else { return }
        version.replicationStatus = status
        try tx.putJSON(S3Keys.versions, entry, version)
        let current = S3Keys.object(bucket, key)
        if var record = try objectRecords.get(tx, S3Keys.objects, current), record.versionID == versionID {
            record.replicationStatus = status
            try objectRecords.put(tx, S3Keys.objects, current, record)
        }
    }
}
