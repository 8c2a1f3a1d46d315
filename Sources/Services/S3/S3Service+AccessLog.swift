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
import Synchronization

// Server access logging: a bucket's logging configuration, a record in AWS's access-log format for each
// request on a bucket whose logging is enabled, buffered in memory and delivered as log objects into the
// target bucket (`runLifecycle`, and soon after traffic once `NIMBUS_S3_LOG_FLUSH_SECONDS` have passed).
//
// Records never carry secrets: no signature, credential or session token from a presigned URL's query, no
// header values besides Referer, User-Agent and Host.

/// Where a bucket's access logs go; namespace `s3.bucket-logging`, keyed by the logged bucket's name.
///
/// ```xml
/// <BucketLoggingStatus>
///   <LoggingEnabled>
///     <TargetBucket>string</TargetBucket>
///     <TargetPrefix>string</TargetPrefix>
///     <TargetGrants><Grant>…</Grant></TargetGrants>
///     <TargetObjectKeyFormat><SimplePrefix/> | <PartitionedPrefix><PartitionDateSource/></PartitionedPrefix></TargetObjectKeyFormat>
///   </LoggingEnabled>
/// </BucketLoggingStatus>
/// ```
struct BucketLogging: Codable, Sendable {
    /// The logged bucket's creation time: a configuration a deleted bucket of the same name left is ignored.
    var bucketCreatedAt: Date
    var owner: String
    var region: String
    var targetBucket: String
    var targetPrefix: String
    var targetGrants: [LoggingGrant]?
    /// `EventTime` or `DeliveryTime` for `PartitionedPrefix` keys; nil for `SimplePrefix` keys.
    var partitionDateSource: String?
    /// Whether the request named a `TargetObjectKeyFormat` (to answer with the same shape).
    var keyFormatGiven: Bool

    static let namespace = "s3.bucket-logging"
}

struct LoggingGrant: Codable, Sendable {
    var type: String
    var id: String?
    var uri: String?
    var emailAddress: String?
    var displayName: String?
    var permission: String?
}

/// The access-log records waiting for delivery and the logging configurations recently looked up.
final class S3AccessLogState: Sendable {
    struct Batch: Sendable {
        var sourceBucket: String
        var logging: BucketLogging
        var lines: [String]
        var firstEvent: Date
    }

    struct Buffer: Sendable {
        var batches: [String: Batch] = [:]
        var bytes = 0
        var dropped = 0
        var lastDelivery = ContinuousClock.now
        var delivering = false
    }

    /// At most this much log text waits in memory; records beyond it are dropped (and counted).
    static let maxBufferedBytes = 8 * 1024 * 1024
    /// How long a looked-up configuration is trusted. S3 itself takes a while to apply a change; this
    /// process applies its own changes at once (`forget`).
    static let cacheLifetime = Duration.seconds(5)
    static let maxCachedBuckets = 10_000

    let buffer = Mutex(Buffer())
    let configurations = Mutex<[String: (logging: BucketLogging?, fetched: ContinuousClock.Instant)]>([:])

    func cached(_ bucket: String, now: ContinuousClock.Instant) -> BucketLogging?? {
        configurations.withLock { entries in
            guard let entry = entries[bucket], now - entry.fetched < Self.cacheLifetime else { return nil }
            return .some(entry.logging)
        }
    }

    func remember(_ bucket: String, _ logging: BucketLogging?, now: ContinuousClock.Instant) {
        configurations.withLock { entries in
            if entries.count >= Self.maxCachedBuckets { entries.removeAll(keepingCapacity: true) }
            entries[bucket] = (logging, now)
        }
    }

    func forget(_ bucket: String) {
        _ = configurations.withLock { $0.removeValue(forKey: bucket) }
    }

    /// Buffers a record, or counts it as dropped when the buffer is full.
    func append(_ line: String, bucket: String, logging: BucketLogging, at: Date) {
        buffer.withLock { buffer in
            guard buffer.bytes + line.utf8.count <= Self.maxBufferedBytes else {
                buffer.dropped += 1
                return
            }
            buffer.bytes += line.utf8.count + 1
            buffer.batches[bucket, default: Batch(sourceBucket: bucket, logging: logging, lines: [], firstEvent: at)].lines.append(line)
            // The latest configuration decides where the batch goes.
            buffer.batches[bucket]!.logging = logging
        }
    }

    /// True when records have waited `flushAfter` and no delivery runs: the caller starts one, and calls
    /// `deliveryFinished` when it ends.
    func claimDelivery(flushAfter: Duration) -> Bool {
        buffer.withLock { buffer in
            guard !buffer.batches.isEmpty, !buffer.delivering, ContinuousClock.now - buffer.lastDelivery >= flushAfter else { return false }
            buffer.delivering = true
            return true
        }
    }

    /// Everything buffered, leaving the buffer empty.
    func takeAll() -> [Batch] {
        buffer.withLock { buffer in
            let batches = Array(buffer.batches.values)
            buffer.batches = [:]
            buffer.bytes = 0
            buffer.lastDelivery = .now
            return batches
        }
    }

    /// Puts back a batch whose delivery failed, if there is room for it.
    func requeue(_ batch: Batch) {
        buffer.withLock { buffer in
            let size = batch.lines.reduce(0) { $0 + $1.utf8.count + 1 }
            guard buffer.bytes + size <= Self.maxBufferedBytes else {
                buffer.dropped += batch.lines.count
                return
            }
            buffer.bytes += size
            if var existing = buffer.batches[batch.sourceBucket] {
                existing.lines = batch.lines + existing.lines
                existing.firstEvent = batch.firstEvent
                buffer.batches[batch.sourceBucket] = existing
            } else {
                buffer.batches[batch.sourceBucket] = batch
            }
        }
    }

    func deliveryFinished() {
        buffer.withLock { $0.delivering = false }
    }

}

extension S3Service {
    var accessLogState: S3AccessLogState { accessLog }

    /// How long records may wait before traffic triggers a delivery: `NIMBUS_S3_LOG_FLUSH_SECONDS` (60 by
    /// default, at most a day). `runLifecycle` delivers whatever is waiting in any case.
    static let accessLogFlushInterval: Duration = {
        guard let text = ProcessInfo.processInfo.environment["NIMBUS_S3_LOG_FLUSH_SECONDS"], let value = Double(text),
            value.isFinite, value >= 0
        else { return .seconds(60) }
        return .milliseconds(Int64(min(value, 86_400) * 1000))
    }()

    // MARK: Configuration

    func putBucketLogging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let status = input["BucketLoggingStatus"] else { throw AWSError.malformedXML }
        defer { accessLogState.forget(record.name) }
        guard let enabled = status["LoggingEnabled"] else {
            try await store.write { try $0.delete(BucketLogging.namespace, record.name) }
            return .empty
        }
        guard let targetName = enabled["TargetBucket"]?.stringValue, !targetName.isEmpty, let prefix = enabled["TargetPrefix"]?.stringValue else {
            throw AWSError.malformedXML
        }
        guard prefix.utf8.count <= 1024 else { throw AWSError.invalidArgument("The maximum size of a prefix is 1024.", name: "TargetPrefix", value: prefix) }
        guard let target = try await store.read({ try $0.getJSON(BucketRecord.self, S3Keys.buckets, targetName) }) else {
            throw AWSError(code: "InvalidTargetBucketForLogging", message: "The target bucket for logging does not exist", status: 400,
                           extra: [("TargetBucket", targetName)])
        }
        guard target.account == record.account else {
            throw AWSError(code: "InvalidTargetBucketForLogging", message: "The owner for the bucket to be logged and the target bucket must be the same.",
                           status: 400, extra: [("TargetBucket", targetName)])
        }
        guard target.region == record.region else {
            throw AWSError(code: "CrossLocationLoggingProhibitted", message: "Cross S3 location logging not allowed. ", status: 403,
                           extra: [("TargetBucketLocation", target.region)])
        }
        var grants: [LoggingGrant] = []
        for grant in enabled["TargetGrants"]?.listValue ?? [] {
            guard let type = grant["Grantee"]?["Type"]?.stringValue, ["CanonicalUser", "AmazonCustomerByEmail", "Group"].contains(type) else {
                throw AWSError.malformedXML
            }
            let permission = grant["Permission"]?.stringValue
            if let permission, !["FULL_CONTROL", "READ", "WRITE"].contains(permission) { throw AWSError.malformedXML }
            grants.append(LoggingGrant(
                type: type, id: grant["Grantee"]?["ID"]?.stringValue, uri: grant["Grantee"]?["URI"]?.stringValue,
                emailAddress: grant["Grantee"]?["EmailAddress"]?.stringValue, displayName: grant["Grantee"]?["DisplayName"]?.stringValue,
                permission: permission
            ))
        }
        guard grants.count <= 100 else { throw AWSError.malformedXML }
        if !grants.isEmpty, (target.ownership ?? "BucketOwnerEnforced") == "BucketOwnerEnforced" {
            throw AWSError(code: "InvalidTargetBucketForLogging",
                           message: "Target grants are not supported for target buckets with Object Ownership set to Bucket owner enforced.",
                           status: 400, extra: [("TargetBucket", targetName)])
        }
        let format = enabled["TargetObjectKeyFormat"]
        var dateSource: String?
        if let partitioned = format?["PartitionedPrefix"] {
            guard format?["SimplePrefix"] == nil else { throw AWSError.malformedXML }
            dateSource = partitioned["PartitionDateSource"]?.stringValue ?? "DeliveryTime"
            guard ["EventTime", "DeliveryTime"].contains(dateSource!) else { throw AWSError.malformedXML }
        }
        let logging = BucketLogging(
            bucketCreatedAt: record.createdAt, owner: record.account, region: record.region, targetBucket: targetName, targetPrefix: prefix,
            targetGrants: grants.isEmpty ? nil : grants, partitionDateSource: dateSource, keyFormatGiven: format != nil
        )
        try await store.write { tx in
            guard try tx.get(S3Keys.buckets, record.name) != nil else { throw AWSError.noSuchBucket(record.name) }
            try tx.putJSON(BucketLogging.namespace, record.name, logging)
        }
        return .empty
    }

    func getBucketLogging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let logging = try await loggingConfiguration(record) else { return .empty }
        var enabled: [String: ShapeValue] = ["TargetBucket": .string(logging.targetBucket), "TargetPrefix": .string(logging.targetPrefix)]
        if let grants = logging.targetGrants {
            enabled["TargetGrants"] = .list(grants.map { grant in
                var grantee: [String: ShapeValue] = ["Type": .string(grant.type)]
                if let v = grant.id { grantee["ID"] = .string(v) }
                if let v = grant.uri { grantee["URI"] = .string(v) }
                if let v = grant.emailAddress { grantee["EmailAddress"] = .string(v) }
                if let v = grant.displayName { grantee["DisplayName"] = .string(v) }
                var out: [String: ShapeValue] = ["Grantee": .structure(grantee)]
                if let p = grant.permission { out["Permission"] = .string(p) }
                return .structure(out)
            })
        }
        if let source = logging.partitionDateSource {
            enabled["TargetObjectKeyFormat"] = .structure(["PartitionedPrefix": .structure(["PartitionDateSource": .string(source)])])
        } else if logging.keyFormatGiven {
            enabled["TargetObjectKeyFormat"] = .structure(["SimplePrefix": .empty])
        }
        return .structure(["LoggingEnabled": .structure(enabled)])
    }

    /// The bucket's logging configuration, unless a deleted bucket of the same name left it.
    private func loggingConfiguration(_ record: BucketRecord) async throws -> BucketLogging? {
        let logging = try await store.read { try $0.getJSON(BucketLogging.self, BucketLogging.namespace, record.name) }
        guard let logging, logging.bucketCreatedAt == record.createdAt else { return nil }
        return logging
    }

    /// The logging configuration of the bucket named `name`, looked up at most every few seconds.
    private func cachedLogging(_ name: String) async -> BucketLogging? {
        let now = ContinuousClock.now
        if let cached = accessLogState.cached(name, now: now) { return cached }
        let found: BucketLogging?? = try? await store.read { tx in
            guard let record = try tx.getJSON(BucketRecord.self, S3Keys.buckets, name),
                let logging = try tx.getJSON(BucketLogging.self, BucketLogging.namespace, name),
                logging.bucketCreatedAt == record.createdAt
            else { return nil }
            return logging
        }
        // A failed lookup is not remembered: the next request asks again.
        guard let found else { return nil }
        accessLogState.remember(name, found, now: now)
        return found
    }

    // MARK: Recording

    /// Buffers the access-log record of a request on a bucket whose logging is enabled, and starts a
    /// delivery when records have waited long enough (whichever bucket this request was for).
    func recordAccess(_ completed: CompletedRequest) async {
        let state = accessLogState
        if let bucket = completed.input?["Bucket"]?.stringValue ?? Self.addressedBucket(completed.request)?.bucket, !bucket.isEmpty,
            let logging = await cachedLogging(bucket)
        {
            state.append(Self.accessLogRecord(completed, bucket: bucket, owner: logging.owner), bucket: bucket, logging: logging,
                         at: completed.context.receivedAt)
        }
        if state.claimDelivery(flushAfter: Self.accessLogFlushInterval) {
            Task {
                defer { state.deliveryFinished() }
                try? await self.deliverAccessLogs()
            }
        }
    }

    /// One record in S3's server access log format:
    /// `owner bucket [time] ip requester request-id operation key "request-uri" status error bytes size total-ms
    /// turnaround-ms "referer" "user-agent" version-id host-id sig-version cipher auth-type host tls access-point acl-required`.
    static func accessLogRecord(_ completed: CompletedRequest, bucket: String, owner: String) -> String {
        let request = completed.request, context = completed.context, input = completed.input
        let key = input?["Key"]?.stringValue ?? addressedBucket(request)?.key
        let operation = accessLogOperation(completed.operation, method: request.method, query: request.query, hasKey: key != nil)
        var uri = request.path.isEmpty ? "/" : request.path
        let query = redactedQuery(request.query)
        if !query.isEmpty { uri += "?" + query }
        let (signature, authType) = signatureVersion(request)
        let milliseconds = completed.duration.components.seconds * 1000 + completed.duration.components.attoseconds / 1_000_000_000_000_000
        let objectSize: Int64? = switch completed.operation {
        case "GetObject" where completed.status == 200: completed.bytesSent
        case "PutObject", "UploadPart": input?["ContentLength"]?.integerValue
        default: nil
        }
        let hostID = requestIDHeaders(context.requestID).first { $0.name.lowercased() == "x-amz-id-2" }?.value
        let fields: [String] = [
            canonicalUserID(owner),
            token(bucket),
            "[" + accessLogTime(context.receivedAt) + "]",
            token(context.sourceIP),
            context.principal.isAnonymous ? "-" : token(context.principal.arn),
            token(context.requestID),
            operation,
            key.flatMap { $0.isEmpty ? nil : percentEncoded($0) } ?? "-",
            quoted("\(request.method) \(uri) HTTP/1.1"),
            String(completed.status),
            completed.errorCode.map(token) ?? "-",
            completed.bytesSent > 0 ? String(completed.bytesSent) : "-",
            objectSize.map(String.init) ?? "-",
            String(milliseconds),
            String(milliseconds),
            quoted(request.header("Referer") ?? "-"),
            quoted(request.header("User-Agent") ?? "-"),
            input?["VersionId"]?.stringValue.map(token) ?? "-",
            hostID.map(token) ?? "-",
            signature,
            // The transport tells the pipeline whether TLS was used, not the cipher suite or version.
            "-",
            authType,
            (request.host ?? request.header("Host")).map(token) ?? "-",
            "-",
            "-",
            "-",
        ]
        return fields.joined(separator: " ")
    }

    /// S3's operation names in access logs: `REST.GET.OBJECT`, `REST.PUT.LOGGING_STATUS` …
    static func accessLogOperation(_ operation: String, method: String, query: String, hasKey: Bool) -> String {
        let known: [String: String] = [
            "ListObjects": "REST.GET.BUCKET", "ListObjectsV2": "REST.GET.BUCKET", "ListObjectVersions": "REST.GET.BUCKETVERSIONS",
            "CopyObject": "REST.COPY.OBJECT", "UploadPartCopy": "REST.COPY.PART", "UploadPart": "REST.PUT.PART",
            "CreateMultipartUpload": "REST.POST.UPLOADS", "CompleteMultipartUpload": "REST.POST.UPLOAD", "AbortMultipartUpload": "REST.DELETE.UPLOAD",
            "ListParts": "REST.GET.UPLOAD", "ListMultipartUploads": "REST.GET.UPLOADS", "DeleteObjects": "REST.POST.MULTI_OBJECT_DELETE",
            "GetObjectTagging": "REST.GET.OBJECT_TAGGING", "PutObjectTagging": "REST.PUT.OBJECT_TAGGING",
            "DeleteObjectTagging": "REST.DELETE.OBJECT_TAGGING", "GetBucketLogging": "REST.GET.LOGGING_STATUS",
            "PutBucketLogging": "REST.PUT.LOGGING_STATUS", "GetBucketPolicy": "REST.GET.BUCKETPOLICY", "PutBucketPolicy": "REST.PUT.BUCKETPOLICY",
            "DeleteBucketPolicy": "REST.DELETE.BUCKETPOLICY",
        ]
        if let name = known[operation] { return name }
        let verb = method.uppercased().filter { $0.isLetter }
        // A bucket's subresource (`?cors`, `?lifecycle`) names what the request is about.
        let subresources = ["cors", "lifecycle", "tagging", "policy", "versioning", "location", "acl", "encryption", "ownershipControls",
                            "publicAccessBlock", "object-lock", "retention", "legal-hold", "website", "notification", "replication"]
        for pair in query.split(separator: "&") {
            let name = String(pair.split(separator: "=", maxSplits: 1).first ?? "")
            if subresources.contains(name) {
                return "REST.\(verb).\(name.uppercased().replacingOccurrences(of: "-", with: "_"))"
            }
        }
        return "REST.\(verb).\(hasKey ? "OBJECT" : "BUCKET")"
    }

    /// The query without the values that would let someone replay or impersonate the request.
    static func redactedQuery(_ query: String) -> String {
        let secret: Set<String> = ["x-amz-signature", "signature", "x-amz-credential", "x-amz-security-token", "awsaccesskeyid"]
        return query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = String(pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            let lowered = (name.removingPercentEncoding ?? name).lowercased()
            let sensitive = secret.contains(lowered) || lowered.contains("customer-key")
            return sensitive ? name + "=" : String(pair)
        }.joined(separator: "&")
    }

    /// The signature version and where the signature was: `SigV4`/`SigV2`, `AuthHeader`/`QueryString`.
    static func signatureVersion(_ request: WireRequest) -> (String, String) {
        if let authorization = request.header("Authorization") {
            if authorization.hasPrefix("AWS4-") { return ("SigV4", "AuthHeader") }
            if authorization.hasPrefix("AWS ") { return ("SigV2", "AuthHeader") }
        }
        let names = Set(request.query.split(separator: "&").map { String($0.split(separator: "=", maxSplits: 1).first ?? "").lowercased() })
        if names.contains("x-amz-signature") { return ("SigV4", "QueryString") }
        if names.contains("signature") { return ("SigV2", "QueryString") }
        return ("-", "-")
    }

    /// `06/Feb/2019:00:00:38 +0000`.
    static func accessLogTime(_ date: Date) -> String {
        let t = utcComponents(date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(pad(t.day))/\(months[t.month - 1])/\(t.year):\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second)) +0000"
    }

    static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }

    /// The UTC calendar date and time of `date`, read off its ISO 8601 form (`2026-11-22T21:14:41Z`).
    static func utcComponents(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let text = Array(TimestampCoding.format(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)), .iso8601).utf8)
        func number(_ range: Range<Int>) -> Int {
            range.reduce(0) { $0 * 10 + Int(text[$1] &- UInt8(ascii: "0")) }
        }
        return (number(0..<4), number(5..<7), number(8..<10), number(11..<13), number(14..<16), number(17..<19))
    }

    /// A field without spaces, quotes or control characters (they are percent-encoded).
    static func token(_ value: String) -> String {
        guard !value.isEmpty else { return "-" }
        var out = ""
        for byte in value.utf8 {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A quoted field, with quotes, backslashes and control characters escaped so a record stays one line.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A key as S3 logs it: URL-encoded.
    static func percentEncoded(_ key: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~/!*'()")
        return key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key
    }

    // MARK: Delivery

    /// Writes every buffered record into its target bucket, one log object per logged bucket.
    public func deliverAccessLogs() async throws {
        var failure: (any Error)?
        for batch in accessLogState.takeAll() {
            do {
                try await deliver(batch)
            } catch {
                accessLogState.requeue(batch)
                failure = error
            }
        }
        if let failure { throw failure }
    }

    private func deliver(_ batch: S3AccessLogState.Batch) async throws {
        let logging = batch.logging
        // A target deleted or handed to another owner since gets nothing; the records are dropped.
        guard let target = try await store.read({ try $0.getJSON(BucketRecord.self, S3Keys.buckets, logging.targetBucket) }),
            target.account == logging.owner
        else { return }
        let now = clock.now
        let unique = Identifiers.hexSuffix(16).uppercased()
        var key = logging.targetPrefix
        if let source = logging.partitionDateSource {
            let t = Self.utcComponents(source == "EventTime" ? batch.firstEvent : now)
            key += "\(logging.owner)/\(logging.region)/\(batch.sourceBucket)/\(t.year)/\(Self.pad(t.month))/\(Self.pad(t.day))/"
        }
        let t = Self.utcComponents(now)
        key += "\(t.year)-\(Self.pad(t.month))-\(Self.pad(t.day))-\(Self.pad(t.hour))-\(Self.pad(t.minute))-\(Self.pad(t.second))-\(unique)"
        let body = batch.lines.joined(separator: "\n") + "\n"
        try await putSystemObject(bucket: target.name, key: key, bytes: Array(body.utf8), owner: target.account)
    }

    /// Stores an object the service writes itself (a log object), through the same path as a PUT: a blob
    /// encrypted under a fresh SSE-S3 data key (log objects are SSE-S3 whatever the bucket's default, as
    /// in AWS), then the version, as the bucket's versioning state says.
    func putSystemObject(bucket: String, key: String, bytes: [UInt8], owner: String, contentType: String = "text/plain") async throws {
        let plan = EncryptionPlan(mode: .s3)
        let pieceKey = PieceKey(key: BlobKey.random())
        let body = AsyncStream<[UInt8]> { continuation in
            continuation.yield(bytes)
            continuation.finish()
        }
        let blob = try await blobs.write(body, key: pieceKey.key, checksums: [], maxBytes: Self.maxSinglePut)
        let piece: DataPiece
        do {
            piece = try self.piece(blob, key: pieceKey, plan: plan)
        } catch {
            await discard([DataPiece(blob: blob, sealedKey: nil)])
            throw error
        }
        var record = ObjectRecord(
            key: key, size: blob.size, etag: "\"" + Hex.encode(blob.md5) + "\"", lastModified: clock.now, contentType: contentType,
            metadata: [:], encryption: .s3, pieces: [piece], owner: owner
        )
        Self.applyEncryption(plan, into: &record)
        try await commitVersion(record, bucket: bucket, condition: nil, newPieces: record.pieces)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
