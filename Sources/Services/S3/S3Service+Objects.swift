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

extension S3Service {
    // MARK: PutObject

    func putObject(_ input: ShapeValue, _ context: RequestContext) async throws -> OperationOutput {
        let bucket = try await bucket(input)
        guard let body = context.body else { throw AWSError.missingContentLength }
        guard let declared = body.length ?? input["ContentLength"]?.integerValue else { throw AWSError.missingContentLength }
        return try await storeObject(input, context, bucket: bucket, body: body, declared: declared)
    }

    /// PutObject's work once the body is known; `declared` is nil for a body whose length nobody declared
    /// (the file of a browser POST upload), which is then taken as it comes, up to the single-PUT limit.
    func storeObject(
        _ input: ShapeValue, _ context: RequestContext, bucket: BucketRecord, body: ByteStream, declared: Int64?
    ) async throws -> OperationOutput {
        let key = try Self.objectKey(input)
        if let declared, declared > Self.maxSinglePut { throw AWSError.entityTooLarge(declared, max: Self.maxSinglePut) }
        let digests = try ExpectedDigests.parse(input, trailerHeader: nil)
        let customer = try Self.customerKey(input, context: context)
        try Self.checkServerSideEncryption(input, customer: customer)
        var record = try newObjectRecord(input, key: key, owner: bucket.account, context: context)
        try Self.applyLockHeaders(input, bucket: bucket, to: &record)
        try await applyGrants(input, bucket: bucket, to: &record)
        let condition = try WriteCondition(input)
        if condition != nil { try condition!.check(try await object(bucket: bucket.name, key: key)) }
        let plan = try await encryptionPlan(input, bucket: bucket, key: key, customer: customer, context: context)

        let pieceKey = try await newPieceKey(plan, context: context)
        let blob = try await writeBlob(body, key: pieceKey.key, checksums: digests.algorithms, maxBytes: Self.maxSinglePut)
        do {
            guard declared == nil || blob.size == declared else { throw AWSError.incompleteBodyS3 }
            try digests.verify(blob, trailers: body.trailers)
            record.size = blob.size
            record.etag = "\"" + Hex.encode(blob.md5) + "\""
            record.pieces = [try piece(blob, key: pieceKey, plan: plan)]
            record.checksums = Self.checksumStrings(blob)
            record.checksumType = record.checksums == nil ? nil : "FULL_OBJECT"
            Self.applyEncryption(plan, into: &record)
        } catch {
            await discard([DataPiece(blob: blob, sealedKey: nil)])
            throw error
        }
        let committed = try await commitVersion(record, bucket: bucket.name, condition: condition, newPieces: record.pieces)

        var out: [String: ShapeValue] = ["ETag": .string(record.etag)]
        // A write names the version it made; the null version of a suspended bucket goes unnamed, as in S3.
        if let version = committed.versionID { out["VersionId"] = .string(version) }
        Self.encryptionOutput(record, customer: customer, into: &out)
        for (name, value) in record.checksums ?? [:] { out["Checksum" + name] = .string(value) }
        if record.checksumType != nil { out["ChecksumType"] = .string("FULL_OBJECT") }
        return OperationOutput(.structure(out))
    }

    /// Streams a body into the blob store, turning its size limit into S3's error.
    func writeBlob(_ body: some AsyncSequence<[UInt8], any Error> & Sendable, key: BlobKey, checksums: Set<ChecksumAlgorithm>, maxBytes: Int64) async throws -> StoredBlob {
        do {
            return try await blobs.write(body, key: key, checksums: checksums, maxBytes: maxBytes)
        } catch BlobStoreError.tooLarge {
            throw AWSError.entityTooLarge(maxBytes + 1, max: maxBytes)
        }
    }

    /// A record for a new object from the request's headers, without data yet.
    func newObjectRecord(_ input: ShapeValue, key: String, owner: String, context: RequestContext) throws -> ObjectRecord {
        var metadata: [String: String] = [:]
        if case .map(let entries)? = input["Metadata"] {
            for (name, value) in entries { metadata[name.lowercased()] = Self.storedMetadataValue(value.stringValue ?? "") }
        }
        let metadataBytes = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard metadataBytes <= Self.maxMetadataBytes else {
            throw AWSError(
                code: "MetadataTooLarge", message: "Your metadata headers exceed the maximum allowed metadata size", status: 400,
                extra: [("Size", String(metadataBytes)), ("MaxSizeAllowed", String(Self.maxMetadataBytes))]
            )
        }
        var tags: [String: String]?
        if let tagging = input["Tagging"]?.stringValue {
            tags = try Self.parseTaggingHeader(tagging)
        }
        if let storageClass = input["StorageClass"]?.stringValue, !Self.storageClasses.contains(storageClass) {
            throw AWSError(code: "InvalidStorageClass", message: "The storage class you specified is not valid", status: 400)
        }
        return ObjectRecord(
            key: key, size: 0, etag: "", lastModified: clock.now,
            contentType: input["ContentType"]?.stringValue,
            contentEncoding: Self.storedContentEncoding(input["ContentEncoding"]?.stringValue),
            contentDisposition: input["ContentDisposition"]?.stringValue,
            contentLanguage: input["ContentLanguage"]?.stringValue,
            cacheControl: input["CacheControl"]?.stringValue,
            expires: Self.httpDate(input["Expires"]),
            websiteRedirectLocation: input["WebsiteRedirectLocation"]?.stringValue,
            metadata: metadata,
            storageClass: input["StorageClass"]?.stringValue.flatMap { $0 == "STANDARD" ? nil : $0 },
            tags: tags?.isEmpty == false ? tags : nil,
            encryption: .s3,
            pieces: [],
            owner: owner
        )
    }

    /// The ACL a write asks for, if the bucket allows it.
    func applyGrants(_ input: ShapeValue, bucket: BucketRecord, to record: inout ObjectRecord) async throws {
        let grants = try await resolvedGrants(input, bucketOwner: bucket.account)
        try await checkGrants(grants, bucket: bucket)
        if let grants { record.acl = grants.isEmpty ? nil : grants }
    }

    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE",
        "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    ]

    static func checkServerSideEncryption(_ input: ShapeValue, customer: CustomerKey?) throws {
        guard let sse = input["ServerSideEncryption"]?.stringValue else { return }
        if customer != nil {
            throw AWSError.invalidArgument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                name: "x-amz-server-side-encryption", value: sse
            )
        }
        switch sse {
        case "AES256", "aws:kms", "aws:kms:dsse": return
        default:
            throw AWSError.invalidArgument("The encryption method specified is not supported", name: "x-amz-server-side-encryption", value: sse)
        }
    }

    /// `x-amz-tagging: k1=v1&k2=v2`, URL-encoded.
    static func parseTaggingHeader(_ header: String) throws -> [String: String] {
        var tags: [String: String] = [:]
        for pair in header.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let key = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw AWSError.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
            }
            guard tags[key] == nil else {
                throw AWSError(code: "InvalidTag", message: "Cannot provide multiple Tags with the same key", status: 400)
            }
            tags[key] = value
        }
        return try tagSet(.list(tags.map { .structure(["Key": .string($0.key), "Value": .string($0.value)]) }), limit: 10)
    }

    // MARK: GetObject, HeadObject

    func getObject(_ input: ShapeValue, _ context: RequestContext) async throws -> OperationOutput {
        try await read(input, context, includeBody: true)
    }

    func headObject(_ input: ShapeValue, _ context: RequestContext) async throws -> OperationOutput {
        try await read(input, context, includeBody: false)
    }

    func read(_ input: ShapeValue, _ context: RequestContext, includeBody: Bool) async throws -> OperationOutput {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let versionID = input["VersionId"]?.stringValue
        let record: ObjectRecord
        var hold: BlobHold?
        if includeBody {
            (record, hold) = try await heldVersion(bucket: bucket, key: key, versionID: versionID)
        } else {
            record = try await readableVersion(bucket: bucket, key: key, versionID: versionID, method: "HEAD")
        }
        let customer = try Self.customerKey(input, context: context)
        try Self.checkCustomerKey(customer, for: record)
        try ReadCondition.check(input, record)
        if includeBody { try Self.checkReadable(record, now: clock.now) }

        var out = Self.objectHeaders(record)
        if bucket.versioning != nil { out["VersionId"] = .string(record.version) }
        Self.encryptionOutput(record, customer: customer, into: &out)
        var range: ClosedRange<Int64>? = nil
        if let partNumber = input["PartNumber"]?.integerValue {
            guard (1...Int64(Self.maxParts)).contains(partNumber) else {
                throw AWSError.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: String(partNumber))
            }
            guard input["Range"] == nil else { throw AWSError.invalidRequest("Cannot specify both Range header and partNumber query parameter") }
            let count = Int64(record.pieces.count)
            guard partNumber <= max(1, count), record.size > 0 || partNumber == 1 else {
                throw AWSError(
                    code: "InvalidPartNumber", message: "The requested partnumber is not satisfiable", status: 416,
                    extra: [("PartNumberRequested", String(partNumber)), ("ActualPartCount", String(max(1, count)))]
                )
            }
            if record.size > 0 {
                let start = record.pieces.prefix(Int(partNumber) - 1).reduce(Int64(0)) { $0 + $1.blob.size }
                range = start...(start + record.pieces[Int(partNumber) - 1].blob.size - 1)
            }
            if let parts = record.partsCount {
                out["PartsCount"] = .integer(Int64(parts))
                // A part answers with its own checksum, of the object's algorithm.
                if input["ChecksumMode"]?.stringValue == "ENABLED", let (name, _) = record.checksums?.first,
                    let algorithm = ChecksumAlgorithm(rawValue: name), Int(partNumber) <= record.pieces.count,
                    let value = record.pieces[Int(partNumber) - 1].blob.checksums[algorithm]
                {
                    out["Checksum" + name] = .string(value)
                    if let type = record.checksumType { out["ChecksumType"] = .string(type) }
                }
            }
        } else if let header = input["Range"]?.stringValue {
            range = try Self.parseRange(header, size: record.size)
        }
        if range == nil, input["ChecksumMode"]?.stringValue == "ENABLED" {
            for (name, value) in record.checksums ?? [:] { out["Checksum" + name] = .string(value) }
            if let type = record.checksumType { out["ChecksumType"] = .string(type) }
        }
        Self.applyResponseOverrides(input, to: &out)
        var status: Int? = nil
        if let range {
            out["ContentLength"] = .integer(range.upperBound - range.lowerBound + 1)
            out["ContentRange"] = .string("bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)")
            status = 206
        }
        guard includeBody else { return OperationOutput(.structure(out), status: status) }
        let keys = try await keys(for: record, customer: customer, context: context)
        let stream = PiecesStream(blobs: blobs, pieces: record.pieces, keys: keys, range: range ?? (record.size > 0 ? 0...(record.size - 1) : nil), hold: hold)
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? record.size
        return OperationOutput(.structure(out), payload: ByteStream(stream, length: length), status: status)
    }

    /// The headers every GET and HEAD of `record` carries.
    static func objectHeaders(_ record: ObjectRecord) -> [String: ShapeValue] {
        var out: [String: ShapeValue] = [
            "ETag": .string(record.etag),
            "LastModified": .timestamp(record.lastModified),
            "ContentLength": .integer(record.size),
            "ContentType": .string(record.contentType ?? "binary/octet-stream"),
            "AcceptRanges": .string("bytes"),
        ]
        if !record.metadata.isEmpty { out["Metadata"] = .map(record.metadata.mapValues { .string(Self.metadataHeaderValue($0)) }) }
        if let v = record.contentEncoding { out["ContentEncoding"] = .string(v) }
        if let v = record.contentDisposition { out["ContentDisposition"] = .string(v) }
        if let v = record.contentLanguage { out["ContentLanguage"] = .string(v) }
        if let v = record.cacheControl { out["CacheControl"] = .string(v) }
        if let v = record.expires { out["Expires"] = .string(v) }
        if let v = record.websiteRedirectLocation { out["WebsiteRedirectLocation"] = .string(v) }
        if let v = record.storageClass { out["StorageClass"] = .string(v) }
        if let v = restoreHeader(record) { out["Restore"] = .string(v) }
        if let v = record.replicationStatus { out["ReplicationStatus"] = .string(v) }
        if let tags = record.tags, !tags.isEmpty { out["TagCount"] = .integer(Int64(tags.count)) }
        if let mode = record.retentionMode, let until = record.retainUntil {
            out["ObjectLockMode"] = .string(mode)
            out["ObjectLockRetainUntilDate"] = .timestamp(until)
        }
        if let hold = record.legalHold { out["ObjectLockLegalHoldStatus"] = .string(hold ? "ON" : "OFF") }
        return out
    }

    static func applyResponseOverrides(_ input: ShapeValue, to out: inout [String: ShapeValue]) {
        let overrides = [
            ("ResponseContentType", "ContentType"), ("ResponseContentLanguage", "ContentLanguage"),
            ("ResponseContentDisposition", "ContentDisposition"), ("ResponseContentEncoding", "ContentEncoding"),
            ("ResponseCacheControl", "CacheControl"),
        ]
        for (from, to) in overrides {
            if let value = input[from]?.stringValue { out[to] = .string(value) }
        }
        if let expires = httpDate(input["ResponseExpires"]) { out["Expires"] = .string(expires) }
    }

    /// One `bytes=` range; nil (the whole object) when the header is not one S3 understands, as S3 does.
    static func parseRange(_ header: String, size: Int64) throws -> ClosedRange<Int64>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let suffix = Int64(last), suffix >= 0 else { return nil }
            guard suffix > 0, size > 0 else { throw AWSError.invalidRange(header, size: size) }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int64(first), start >= 0 else { return nil }
        let end: Int64
        if last.isEmpty {
            end = size - 1
        } else {
            guard let e = Int64(last) else { return nil }
            guard e >= start else { return nil }
            end = min(e, size - 1)
        }
        guard start < size else { throw AWSError.invalidRange(header, size: size) }
        return start...end
    }

    // MARK: Delete

    func deleteObject(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let versionID = input["VersionId"]?.stringValue
        let bypass = try await bypassesGovernance(input, bucket: bucket.name, key: key, context: context)
        let outcome = try await deleteKey(bucket: bucket, key: key, versionID: versionID, bypassGovernance: bypass, ifMatch: input["IfMatch"]?.stringValue)
        var out: [String: ShapeValue] = [:]
        if outcome.deleteMarker { out["DeleteMarker"] = .boolean(true) }
        if let version = outcome.versionID, bucket.versioning != nil || versionID != nil { out["VersionId"] = .string(version) }
        return .structure(out)
    }

    func deleteObjects(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard let objects = input["Delete"]?["Objects"]?.listValue else { throw AWSError.malformedXML }
        guard objects.count <= 1000 else { throw AWSError.malformedXML }
        let quiet = input["Delete"]?["Quiet"]?.booleanValue ?? false
        var deleted: [ShapeValue] = []
        var errors: [ShapeValue] = []
        for item in objects {
            guard let key = item["Key"]?.stringValue else { throw AWSError.malformedXML }
            let versionID = item["VersionId"]?.stringValue
            do {
                try await authorize(versionID == nil ? "s3:DeleteObject" : "s3:DeleteObjectVersion", "arn:aws:s3:::\(bucket.name)/\(key)", context, input: input)
                let bypass = try await bypassesGovernance(input, bucket: bucket.name, key: key, context: context)
                let outcome = try await deleteKey(bucket: bucket, key: key, versionID: versionID, bypassGovernance: bypass)
                if !quiet {
                    var entry: [String: ShapeValue] = ["Key": .string(key)]
                    if let versionID { entry["VersionId"] = .string(versionID) }
                    if outcome.deleteMarker {
                        entry["DeleteMarker"] = .boolean(true)
                        if versionID == nil, let marker = outcome.versionID { entry["DeleteMarkerVersionId"] = .string(marker) }
                    }
                    deleted.append(.structure(entry))
                }
            } catch let error as AWSError {
                var entry: [String: ShapeValue] = ["Key": .string(key), "Code": .string(error.code), "Message": .string(error.message)]
                if let versionID { entry["VersionId"] = .string(versionID) }
                errors.append(.structure(entry))
            }
        }
        var out: [String: ShapeValue] = [:]
        if !deleted.isEmpty { out["Deleted"] = .list(deleted) }
        if !errors.isEmpty { out["Errors"] = .list(errors) }
        return .structure(out)
    }

    // MARK: For lifecycle rules

    /// Expires the current object under `key` as a lifecycle rule does (a delete by the service itself).
    /// In a versioned bucket this adds a delete marker, as S3's expiration does.
    func expireObject(bucket: String, key: String) async throws {
        guard let record = try await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, bucket) }) else { return }
        _ = try await deleteKey(bucket: record, key: key, versionID: nil, bypassGovernance: false)
    }

    /// Aborts a multipart upload as a lifecycle rule does, destroying its parts.
    func abortUpload(bucket: String, uploadID: String) async throws {
        let parts = try await store.write { tx -> [DataPiece] in
            guard try Self.removeUpload(bucket: bucket, uploadID: uploadID, in: tx) else { return [] }
            let parts = try tx.scanJSON(PartRecord.self, S3Keys.parts, prefix: bucket + "/" + uploadID + "/").map(\.value.piece)
            try tx.deleteAll(S3Keys.parts, prefix: bucket + "/" + uploadID + "/")
            return parts
        }
        await discard(parts)
    }

    // MARK: Tagging

    func putObjectTagging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let tags = try Self.tagSet(input["Tagging"]?["TagSet"], limit: 10)
        let version = try await updateVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue) { $0.tags = tags.isEmpty ? nil : tags }
        return bucket.versioning == nil ? .empty : .structure(["VersionId": .string(version.version)])
    }

    func getObjectTagging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let record = try await readableVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue)
        var out: [String: ShapeValue] = ["TagSet": Self.tagList(record.tags ?? [:])]
        if bucket.versioning != nil { out["VersionId"] = .string(record.version) }
        return .structure(out)
    }

    func deleteObjectTagging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let version = try await updateVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue, method: "DELETE") { $0.tags = nil }
        return bucket.versioning == nil ? .empty : .structure(["VersionId": .string(version.version)])
    }

    // MARK: Helpers

    static func httpDate(_ value: ShapeValue?) -> String? {
        switch value {
        case .timestamp(let date)?: TimestampCoding.format(date, .rfc822)
        case .string(let s)?: s
        default: nil
        }
    }

    static func checksumStrings(_ blob: StoredBlob) -> [String: String]? {
        guard !blob.checksums.isEmpty else { return nil }
        var out: [String: String] = [:]
        for (algorithm, value) in blob.checksums { out[algorithm.rawValue] = value }
        return out
    }
}

/// A conditional write's `If-None-Match: *` or `If-Match: <etag>`.
struct WriteCondition: Sendable {
    var ifMatch: String?
    var ifNoneMatch: Bool

    init?(_ input: ShapeValue) throws {
        ifMatch = input["IfMatch"]?.stringValue
        let noneMatch = input["IfNoneMatch"]?.stringValue
        if let noneMatch, noneMatch != "*" {
            throw AWSError(code: "NotImplemented", message: "A header you provided implies functionality that is not implemented", status: 501,
                           extra: [("Header", "If-None-Match")])
        }
        ifNoneMatch = noneMatch != nil
        if ifMatch == nil && !ifNoneMatch { return nil }
    }

    func check(_ existing: ObjectRecord?) throws {
        if ifNoneMatch, existing != nil { throw AWSError.preconditionFailed("If-None-Match") }
        if let ifMatch {
            guard let existing else { throw AWSError.noSuchKey("") }
            guard ReadCondition.etagMatches(ifMatch, existing.etag) else { throw AWSError.preconditionFailed("If-Match") }
        }
    }
}

extension S3Service {
    /// The `Content-Encoding` an object keeps: `aws-chunked` describes how the request body was sent, not the
    /// object, and S3 drops it (`gzip, aws-chunked` is stored as `gzip`, `aws-chunked` alone as none).
    static func storedContentEncoding(_ header: String?) -> String? {
        guard let header else { return nil }
        guard header.containsASCII("aws-chunked") else { return header }
        let kept = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "aws-chunked" }
        return kept.isEmpty ? nil : kept.joined(separator: ", ")
    }
}

/// `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since` on GET and HEAD, with S3's
/// precedence: a matching If-Match overrides a failing If-Unmodified-Since, and a failing If-None-Match
/// overrides a passing If-Modified-Since.
enum ReadCondition {
    static func check(_ input: ShapeValue, _ record: ObjectRecord, prefix: String = "") throws {
        let modified = record.lastModified.timeIntervalSince1970.rounded(.down)
        if let ifMatch = input[prefix + "IfMatch"]?.stringValue {
            guard etagMatches(ifMatch, record.etag) else { throw AWSError.preconditionFailed("If-Match") }
        } else if case .timestamp(let date)? = input[prefix + "IfUnmodifiedSince"], modified > date.timeIntervalSince1970 {
            throw AWSError.preconditionFailed("If-Unmodified-Since")
        }
        if let ifNoneMatch = input[prefix + "IfNoneMatch"]?.stringValue {
            if etagMatches(ifNoneMatch, record.etag) {
                if prefix.isEmpty { throw notModified(record) }
                throw AWSError.preconditionFailed("x-amz-copy-source-If-None-Match")
            }
        } else if case .timestamp(let date)? = input[prefix + "IfModifiedSince"], modified <= date.timeIntervalSince1970 {
            if prefix.isEmpty { throw notModified(record) }
            throw AWSError.preconditionFailed("x-amz-copy-source-If-Modified-Since")
        }
    }

    /// A 304 names the version it stands for, as HTTP asks (RFC 9110 15.4.5) and S3 does.
    static func notModified(_ record: ObjectRecord) -> AWSError {
        var error = AWSError.notModified
        error.headers = [("ETag", record.etag), ("Last-Modified", TimestampCoding.format(record.lastModified, .rfc822))]
        return error
    }

    /// Whether an `If-Match`-style list (`"a", "b"`, `*`, quoted or not) names `etag`.
    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        let bare = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        for candidate in header.split(separator: ",") {
            var c = candidate.trimmingCharacters(in: .whitespaces)
            if c == "*" { return true }
            if c.hasPrefix("W/") { c.removeFirst(2) }
            if c.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == bare { return true }
        }
        return false
    }
}

/// An object's bytes in `range`, read piece by piece from the blob store.
struct PiecesStream: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let blobs: BlobStore
    let pieces: [DataPiece]
    let keys: [BlobKey]
    let range: ClosedRange<Int64>?
    /// Keeps the pieces from being deleted while the stream is read.
    let hold: BlobHold?

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: PiecesStream
        var index = 0
        var offset: Int64 = 0
        var current: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator?

        init(stream: PiecesStream) { self.stream = stream }

        mutating func next() async throws -> [UInt8]? {
            guard let range = stream.range else { return nil }
            while true {
                if current != nil {
                    if let chunk = try await current!.next() { return chunk }
                    current = nil
                }
                guard index < stream.pieces.count else { return nil }
                let piece = stream.pieces[index]
                let start = offset, end = offset + piece.blob.size - 1
                offset += piece.blob.size
                defer { index += 1 }
                guard piece.blob.size > 0, end >= range.lowerBound, start <= range.upperBound else { continue }
                let local = (Swift.max(start, range.lowerBound) - start)...(Swift.min(end, range.upperBound) - start)
                let whole = local.lowerBound == 0 && local.upperBound == piece.blob.size - 1
                current = stream.blobs.read(piece.blob, key: stream.keys[index], range: whole ? nil : local).makeAsyncIterator()
            }
        }
    }
}
