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

// Multipart uploads. Each part is a piece of its own in the blob store, with its own data key; completing
// an upload makes the chosen parts, in order, the pieces of the object without copying a byte.

extension S3Service {
    func createMultipartUpload(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let customer = try Self.customerKey(input, context: context)
        try Self.checkServerSideEncryption(input, customer: customer)
        var template = try newObjectRecord(input, key: key, owner: bucket.account, context: context)
        try Self.applyLockHeaders(input, bucket: bucket, to: &template)
        try await applyGrants(input, bucket: bucket, to: &template)
        Self.applyEncryption(try await encryptionPlan(input, bucket: bucket, key: key, customer: customer, context: context), into: &template)
        var algorithm: String?
        if let requested = input["ChecksumAlgorithm"]?.stringValue {
            guard ChecksumAlgorithm(rawValue: requested.uppercased()) != nil else {
                throw AWSError.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            algorithm = requested.uppercased()
        }
        let checksumType = input["ChecksumType"]?.stringValue ?? (algorithm == nil ? nil : (algorithm == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE"))
        if let checksumType {
            guard let algorithm else {
                throw AWSError.invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
            }
            guard checksumType == "COMPOSITE" || checksumType == "FULL_OBJECT" else {
                throw AWSError.invalidRequest("Value for x-amz-checksum-type header is invalid.")
            }
            // A whole object's checksum follows from its parts' only for the CRCs; CRC-64/NVME has no composite.
            let combines = ChecksumAlgorithm(rawValue: algorithm)?.combines == true
            if checksumType == "FULL_OBJECT" && !combines || checksumType == "COMPOSITE" && algorithm == "CRC64NVME" {
                throw AWSError.invalidRequest("The \(checksumType) checksum type cannot be used with the \(algorithm.lowercased()) checksum algorithm.")
            }
        }
        let upload = UploadRecord(
            uploadID: Self.newUploadID(), bucket: bucket.name, key: key, initiated: clock.now, owner: bucket.account,
            initiatorARN: context.principal.arn, template: template, checksumAlgorithm: algorithm, checksumType: checksumType
        )
        try await store.write { tx in try Self.putUpload(upload, in: tx) }
        var out: [String: ShapeValue] = ["Bucket": .string(bucket.name), "Key": .string(key), "UploadId": .string(upload.uploadID)]
        Self.encryptionOutput(template, customer: customer, into: &out)
        if let algorithm { out["ChecksumAlgorithm"] = .string(algorithm) }
        if let checksumType { out["ChecksumType"] = .string(checksumType) }
        return .structure(out)
    }

    /// Stores a new upload with its entry in `S3Keys.uploadsByKey`.
    static func putUpload(_ upload: UploadRecord, in tx: any StoreWriter) throws {
        try tx.putJSON(S3Keys.uploads, upload.bucket + "/" + upload.uploadID, upload)
        try tx.put(S3Keys.uploadsByKey, S3Keys.uploadByKey(upload), [])
    }

    /// Removes an upload's record and its `S3Keys.uploadsByKey` entry (not its parts); false when there is no such
    /// upload. The entry is found under the upload's key rather than rebuilt from the stored record's time, which
    /// may have been rounded.
    @discardableResult
    static func removeUpload(bucket: String, uploadID: String, in tx: any StoreWriter) throws -> Bool {
        guard let upload = try tx.getJSON(UploadRecord.self, S3Keys.uploads, bucket + "/" + uploadID) else { return false }
        try tx.delete(S3Keys.uploads, bucket + "/" + uploadID)
        for (indexKey, _) in try tx.scan(S3Keys.uploadsByKey, prefix: S3Keys.uploadsOfKey(bucket, upload.key), after: nil, reverse: false, limit: .max)
        where indexKey.hasSuffix("/" + uploadID) {
            try tx.delete(S3Keys.uploadsByKey, indexKey)
        }
        return true
    }

    /// Who started an upload, as S3 names it: an account's root as the account (its canonical ID, like
    /// `Owner`), an IAM user or role session by its ARN.
    static func initiator(_ arn: String) -> ShapeValue {
        let fields = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        if fields.count == 6, fields[5] == "root" { return owner(String(fields[4])) }
        return .structure(["ID": .string(arn)])
    }

    static func newUploadID() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func upload(_ input: ShapeValue, bucket: String, key: String) async throws -> UploadRecord {
        let uploadID = input["UploadId"]?.stringValue ?? ""
        guard let upload = try await store.read({ try $0.getJSON(UploadRecord.self, S3Keys.uploads, bucket + "/" + uploadID) }),
            upload.key == key
        else { throw AWSError.noSuchUpload(uploadID) }
        return upload
    }

    static func partNumber(_ input: ShapeValue) throws -> Int {
        guard let number = input["PartNumber"]?.integerValue, (1...Int64(maxParts)).contains(number) else {
            throw AWSError.invalidArgument(
                "Part number must be an integer between 1 and 10000, inclusive", name: "partNumber",
                value: input["PartNumber"]?.integerValue.map(String.init) ?? ""
            )
        }
        return Int(number)
    }

    func uploadPart(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let number = try Self.partNumber(input)
        let upload = try await upload(input, bucket: bucket.name, key: key)
        guard let body = context.body else { throw AWSError.missingContentLength }
        guard let declared = body.length ?? input["ContentLength"]?.integerValue else { throw AWSError.missingContentLength }
        guard declared <= Self.maxSinglePut else { throw AWSError.entityTooLarge(declared, max: Self.maxSinglePut) }
        let customer = try Self.customerKey(input, context: context)
        try Self.checkCustomerKey(customer, for: upload.template)
        let digests = try ExpectedDigests.parse(input, trailerHeader: nil)
        // An upload created with a checksum algorithm takes parts with that algorithm's checksum only (an SDK
        // adds its default CRC32 unless told the upload's algorithm); one created without takes any.
        if let expected = upload.checksumAlgorithm, digests.checksum?.algorithm.rawValue != expected {
            throw AWSError.invalidRequest(
                "Checksum Type mismatch occurred, expected checksum Type: \(expected.lowercased()), actual checksum Type: \(digests.checksum?.algorithm.rawValue.lowercased() ?? "null")")
        }
        let plan = Self.plan(of: upload.template, customer: customer)
        let pieceKey = try await newPieceKey(plan, context: context)
        let blob = try await writeBlob(body, key: pieceKey.key, checksums: digests.algorithms, maxBytes: Self.maxSinglePut)
        let part: PartRecord
        do {
            guard blob.size == declared else { throw AWSError.incompleteBodyS3 }
            try digests.verify(blob, trailers: body.trailers)
            part = PartRecord(
                number: number, etag: "\"" + Hex.encode(blob.md5) + "\"", size: blob.size, lastModified: clock.now,
                piece: try piece(blob, key: pieceKey, plan: plan), checksums: Self.checksumStrings(blob)
            )
        } catch {
            await discard([DataPiece(blob: blob, sealedKey: nil)])
            throw error
        }
        let replaced = try await storePart(part, upload: upload)
        if let replaced { await discard([replaced.piece]) }
        var out: [String: ShapeValue] = ["ETag": .string(part.etag)]
        Self.encryptionOutput(upload.template, customer: customer, into: &out)
        for (name, value) in part.checksums ?? [:] { out["Checksum" + name] = .string(value) }
        return .structure(out)
    }

    /// Records a part, unless the upload was completed or aborted meanwhile; returns the part it replaced.
    private func storePart(_ part: PartRecord, upload: UploadRecord) async throws -> PartRecord? {
        do {
            return try await store.write { tx in
                guard try tx.get(S3Keys.uploads, upload.bucket + "/" + upload.uploadID) != nil else { throw AWSError.noSuchUpload(upload.uploadID) }
                let name = S3Keys.part(upload.bucket, upload.uploadID, part.number)
                let replaced = try tx.getJSON(PartRecord.self, S3Keys.parts, name)
                try tx.putJSON(S3Keys.parts, name, part)
                return replaced
            }
        } catch {
            await discard([part.piece])
            throw error
        }
    }

    func uploadPartCopy(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let number = try Self.partNumber(input)
        let upload = try await upload(input, bucket: bucket.name, key: key)
        let (source, _, sourceCustomer, hold) = try await copySourceObject(input, context: context)
        let customer = try Self.customerKey(input, context: context)
        try Self.checkCustomerKey(customer, for: upload.template)
        var range: ClosedRange<Int64>? = source.size > 0 ? 0...(source.size - 1) : nil
        if let header = input["CopySourceRange"]?.stringValue {
            let parts = header.hasPrefix("bytes=") ? header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false) : []
            guard parts.count == 2, let start = Int64(parts[0]), let end = Int64(parts[1]), start <= end else {
                throw AWSError.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                                               name: "x-amz-copy-source-range", value: header)
            }
            guard end < source.size else {
                throw AWSError(code: "InvalidRange", message: "The requested range is not satisfiable", status: 416)
            }
            range = start...end
        }
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        guard length <= Self.maxSinglePut else {
            throw AWSError.invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: \(Self.maxSinglePut)")
        }
        let keys = try await keys(for: source, customer: sourceCustomer, context: context)
        let data = PiecesStream(blobs: blobs, pieces: source.pieces, keys: keys, range: range, hold: hold)
        let plan = Self.plan(of: upload.template, customer: customer)
        let pieceKey = try await newPieceKey(plan, context: context)
        let algorithms: Set<ChecksumAlgorithm> = upload.checksumAlgorithm.flatMap(ChecksumAlgorithm.init(rawValue:)).map { [$0] } ?? []
        let blob = try await writeBlob(data, key: pieceKey.key, checksums: algorithms, maxBytes: Self.maxSinglePut)
        let part = PartRecord(
            number: number, etag: "\"" + Hex.encode(blob.md5) + "\"", size: blob.size, lastModified: clock.now,
            piece: try piece(blob, key: pieceKey, plan: plan), checksums: Self.checksumStrings(blob)
        )
        let replaced = try await storePart(part, upload: upload)
        if let replaced { await discard([replaced.piece]) }
        var result: [String: ShapeValue] = ["ETag": .string(part.etag), "LastModified": .timestamp(part.lastModified)]
        for (name, value) in part.checksums ?? [:] { result["Checksum" + name] = .string(value) }
        var out: [String: ShapeValue] = ["CopyPartResult": .structure(result)]
        Self.encryptionOutput(upload.template, customer: customer, into: &out)
        return .structure(out)
    }

    /// How long a completed upload answers a retried completion. S3 does for a while (SDKs retry a completion
    /// whose answer was lost), then answers `NoSuchUpload`.
    static let completedUploadRetention: TimeInterval = 3600

    func completeMultipartUpload(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        do {
            return try await complete(input, bucket: bucket, key: key, context: context)
        } catch let error as AWSError where error.code == "NoSuchUpload" {
            guard let again = try await completedAgain(input, bucket: bucket, key: key, context: context) else { throw error }
            return again
        }
    }

    /// The answer to a completion of an upload completed before, while the version it made is still there.
    private func completedAgain(_ input: ShapeValue, bucket: BucketRecord, key: String, context: RequestContext) async throws -> ShapeValue? {
        let uploadID = input["UploadId"]?.stringValue ?? ""
        guard let done = try await store.read({ try $0.getJSON(CompletedUpload.self, S3Keys.completedUploads, bucket.name + "/" + uploadID) }),
            done.key == key, clock.now.timeIntervalSince(done.completed) < Self.completedUploadRetention,
            let (_, record) = try await findVersion(bucket: bucket, key: key, versionID: done.versionID ?? (bucket.versioning == nil ? nil : "null")),
            record.isDeleteMarker != true, record.etag == done.etag
        else { return nil }
        return completionOutput(record, bucket: bucket, key: key, customer: try? Self.customerKey(input, context: context))
    }

    private func completionOutput(_ record: ObjectRecord, bucket: BucketRecord, key: String, customer: CustomerKey?) -> ShapeValue {
        var out: [String: ShapeValue] = [
            "Location": .string("/\(bucket.name)/\(key)"),
            "Bucket": .string(bucket.name),
            "Key": .string(key),
            "ETag": .string(record.etag),
        ]
        if let version = record.versionID { out["VersionId"] = .string(version) }  // none for a suspended bucket's null version
        Self.encryptionOutput(record, customer: customer, into: &out)
        for (name, value) in record.checksums ?? [String: String]() { out["Checksum" + name] = .string(value) }
        if let type = record.checksumType { out["ChecksumType"] = .string(type) }
        return .structure(out)
    }

    /// Records that `uploadID` became `record`, and forgets completions older than the retention.
    private static func noteCompleted(_ uploadID: String, as record: ObjectRecord, bucket: String, now: Date, in tx: any StoreWriter) throws {
        // A few at a time, oldest first: each completion clears what its predecessors left.
        let expired = S3Keys.sortableMicros(now.addingTimeInterval(-completedUploadRetention))
        for (indexKey, _) in try tx.scan(S3Keys.completedUploadsByTime, prefix: "", after: nil, reverse: false, limit: 8) {
            guard indexKey < expired, let slash = indexKey.firstIndex(of: "/") else { break }
            try tx.delete(S3Keys.completedUploadsByTime, indexKey)
            try tx.delete(S3Keys.completedUploads, String(indexKey[indexKey.index(after: slash)...]))
        }
        let done = CompletedUpload(key: record.key, etag: record.etag, versionID: record.versionID, completed: now)
        try tx.putJSON(S3Keys.completedUploads, bucket + "/" + uploadID, done)
        try tx.put(S3Keys.completedUploadsByTime, S3Keys.sortableMicros(now) + "/" + bucket + "/" + uploadID, [])
    }

    private func complete(_ input: ShapeValue, bucket: BucketRecord, key: String, context: RequestContext) async throws -> ShapeValue {
        let upload = try await upload(input, bucket: bucket.name, key: key)
        let customer = try Self.customerKey(input, context: context)
        if upload.template.encryption == .customer { try Self.checkCustomerKey(customer, for: upload.template) }
        // No body, or a body without parts, does not validate against S3's schema (which needs one part).
        guard let requested = input["MultipartUpload"]?["Parts"]?.listValue, !requested.isEmpty else { throw AWSError.malformedXML }
        let condition = try WriteCondition(input)
        // The whole object's checksum, when the client sends it to be checked.
        let requestedChecksum = upload.checksumAlgorithm.flatMap { input["Checksum" + $0]?.stringValue }
        var numbers: [Int] = []
        var etags: [String] = []
        for item in requested {
            guard let number = item["PartNumber"]?.integerValue, let etag = item["ETag"]?.stringValue else { throw AWSError.malformedXML }
            if let previous = numbers.last, Int(number) <= previous { throw AWSError.invalidPartOrder }
            numbers.append(Int(number))
            etags.append(etag)
        }
        let now = clock.now
        let (chosenNumbers, chosenETags) = (numbers, etags)
        let record = try await commitVersion(key: key, bucket: bucket.name, condition: condition, newPieces: []) { tx in
            guard try tx.getJSON(UploadRecord.self, S3Keys.uploads, bucket.name + "/" + upload.uploadID) != nil else {
                throw AWSError.noSuchUpload(upload.uploadID)
            }
            let stored = try tx.scanJSON(PartRecord.self, S3Keys.parts, prefix: bucket.name + "/" + upload.uploadID + "/")
            let byNumber = Dictionary(stored.map { ($0.value.number, $0.value) }, uniquingKeysWith: { a, _ in a })
            var chosen: [PartRecord] = []
            for (index, number) in chosenNumbers.enumerated() {
                guard let part = byNumber[number], ReadCondition.etagMatches(chosenETags[index], part.etag) else { throw AWSError.invalidPart }
                if index < chosenNumbers.count - 1, part.size < Self.minPartSize { throw AWSError.entityTooSmall(part.size) }
                chosen.append(part)
            }
            var record = upload.template
            record.lastModified = now
            record.pieces = chosen.map(\.piece)
            record.size = chosen.reduce(0) { $0 + $1.size }
            record.partsCount = chosen.count
            var md5s: [UInt8] = []
            for part in chosen { md5s += Self.unhex(part.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
            record.etag = "\"" + Hex.encode(Array(Insecure.MD5.hash(data: md5s))) + "-\(chosen.count)\""
            if let name = upload.checksumAlgorithm, let algorithm = ChecksumAlgorithm(rawValue: name) {
                let digests = chosen.compactMap { part in part.checksums?[name].flatMap { Data(base64Encoded: $0) }.map { ([UInt8]($0), part.size) } }
                if digests.count == chosen.count {
                    if upload.checksumType == "FULL_OBJECT", let whole = algorithm.combined(digests) {
                        // The CRC of the whole object, as if it had been sent in one piece.
                        record.checksums = [name: Data(whole).base64EncodedString()]
                        record.checksumType = "FULL_OBJECT"
                    } else {
                        // The checksum of the parts' checksums, and how many there are.
                        var composite = StreamingChecksum(algorithm)
                        for (digest, _) in digests { composite.update(digest) }
                        record.checksums = [name: composite.finalizeBase64() + "-\(chosen.count)"]
                        record.checksumType = "COMPOSITE"
                    }
                }
                if let expected = requestedChecksum, let computed = record.checksums?[name], expected != computed {
                    throw AWSError.badChecksum(name)
                }
            }
            try Self.removeUpload(bucket: bucket.name, uploadID: upload.uploadID, in: tx)
            try tx.deleteAll(S3Keys.parts, prefix: bucket.name + "/" + upload.uploadID + "/")
            let wanted = Set(chosenNumbers)
            let unused = stored.map(\.value).filter { !wanted.contains($0.number) }.map(\.piece)
            return (record, unused)
        } committed: { [uploadID = upload.uploadID, bucketName = bucket.name] record, tx in
            try Self.noteCompleted(uploadID, as: record, bucket: bucketName, now: now, in: tx)
        }
        return completionOutput(record, bucket: bucket, key: key, customer: customer)
    }

    func abortMultipartUpload(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let upload = try await upload(input, bucket: bucket.name, key: key)
        let parts = try await store.write { tx -> [DataPiece] in
            guard try Self.removeUpload(bucket: bucket.name, uploadID: upload.uploadID, in: tx) else { throw AWSError.noSuchUpload(upload.uploadID) }
            let parts = try tx.scanJSON(PartRecord.self, S3Keys.parts, prefix: bucket.name + "/" + upload.uploadID + "/").map(\.value.piece)
            try tx.deleteAll(S3Keys.parts, prefix: bucket.name + "/" + upload.uploadID + "/")
            return parts
        }
        await discard(parts)
        return .empty
    }

    func listParts(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let upload = try await upload(input, bucket: bucket.name, key: key)
        // Within S3's 32-bit range, like max-parts (a negative marker made a part key out of order).
        let marker = input["PartNumberMarker"] == nil ? 0 : try Self.countArgument(input, member: "PartNumberMarker", parameter: "part-number-marker")
        let maxParts = try Self.countArgument(input, member: "MaxParts", parameter: "max-parts")
        let prefix = bucket.name + "/" + upload.uploadID + "/"
        let parts = try await store.read { tx in
            try tx.scanJSON(PartRecord.self, S3Keys.parts, prefix: prefix, after: marker > 0 ? S3Keys.part(bucket.name, upload.uploadID, marker) : nil,
                            limit: min(maxParts, 1000) + 1).map(\.value)
        }
        let page = Array(parts.prefix(min(maxParts, 1000)))
        var out: [String: ShapeValue] = [
            "Bucket": .string(bucket.name), "Key": .string(key), "UploadId": .string(upload.uploadID),
            "PartNumberMarker": .integer(Int64(marker)),
            "MaxParts": .integer(Int64(maxParts)),
            "IsTruncated": .boolean(parts.count > page.count),
            "Parts": .list(page.map { part in
                var entry: [String: ShapeValue] = [
                    "PartNumber": .integer(Int64(part.number)), "LastModified": .timestamp(part.lastModified),
                    "ETag": .string(part.etag), "Size": .integer(part.size),
                ]
                for (name, value) in part.checksums ?? [:] { entry["Checksum" + name] = .string(value) }
                return .structure(entry)
            }),
            "Initiator": Self.initiator(upload.initiatorARN),
            "Owner": Self.owner(upload.owner),
            "StorageClass": .string(upload.template.storageClass ?? "STANDARD"),
        ]
        if let last = page.last { out["NextPartNumberMarker"] = .integer(Int64(last.number)) }
        if let algorithm = upload.checksumAlgorithm { out["ChecksumAlgorithm"] = .string(algorithm) }
        if let type = upload.checksumType { out["ChecksumType"] = .string(type) }
        return .structure(out)
    }

    func listMultipartUploads(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let prefix = input["Prefix"]?.stringValue ?? ""
        let delimiter = input["Delimiter"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let keyMarker = input["KeyMarker"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let uploadMarker = input["UploadIdMarker"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let maxUploads = try Self.countArgument(input, member: "MaxUploads", parameter: "max-uploads")
        let encode = try Self.encodingType(input)
        let page = try await store.read { tx in
            try Self.uploadPage(
                bucket: bucket.name, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker, uploadMarker: uploadMarker,
                maxUploads: min(maxUploads, 1000), in: tx
            )
        }
        var out: [String: ShapeValue] = [
            "Bucket": .string(bucket.name),
            "KeyMarker": .string(Self.urlEncode(keyMarker ?? "", encode)),
            "UploadIdMarker": .string(uploadMarker ?? ""),
            "MaxUploads": .integer(Int64(maxUploads)),
            "IsTruncated": .boolean(page.isTruncated),
            "Uploads": .list(page.uploads.map { upload in
                var entry: [String: ShapeValue] = [
                    "UploadId": .string(upload.uploadID), "Key": .string(Self.urlEncode(upload.key, encode)),
                    "Initiated": .timestamp(upload.initiated),
                    "StorageClass": .string(upload.template.storageClass ?? "STANDARD"),
                    "Owner": Self.owner(upload.owner),
                    "Initiator": Self.initiator(upload.initiatorARN),
                ]
                if let algorithm = upload.checksumAlgorithm { entry["ChecksumAlgorithm"] = .string(algorithm) }
                if let type = upload.checksumType { entry["ChecksumType"] = .string(type) }
                return .structure(entry)
            }),
            "CommonPrefixes": .list(page.commonPrefixes.map { .structure(["Prefix": .string(Self.urlEncode($0, encode))]) }),
        ]
        if !prefix.isEmpty { out["Prefix"] = .string(Self.urlEncode(prefix, encode)) }
        if let delimiter { out["Delimiter"] = .string(Self.urlEncode(delimiter, encode)) }
        if encode { out["EncodingType"] = .string("url") }
        if page.isTruncated, let last = page.last {
            out["NextKeyMarker"] = .string(Self.urlEncode(last.key, encode))
            if let uploadID = last.uploadID { out["NextUploadIdMarker"] = .string(uploadID) }
        }
        return .structure(out)
    }

    /// One page of `ListMultipartUploads`: uploads by key and initiation, with the keys that contain `delimiter`
    /// after `prefix` rolled up into common prefixes, at most `maxUploads` of both together. Reads the
    /// `uploadsByKey` index from the markers on, and the records of the page's uploads only.
    static func uploadPage(
        bucket: String, prefix: String, delimiter: String?, keyMarker: String?, uploadMarker: String?, maxUploads: Int,
        in tx: any StoreReader
    ) throws -> (uploads: [UploadRecord], commonPrefixes: [String], isTruncated: Bool, last: (key: String, uploadID: String?)?) {
        let base = bucket + "/"
        var cursor: String?
        if let keyMarker {
            let ofMarker = S3Keys.uploadsOfKey(bucket, keyMarker)
            if let uploadMarker, let marked = try tx.scan(S3Keys.uploadsByKey, prefix: ofMarker, after: nil, reverse: false, limit: .max)
                .first(where: { $0.key.hasSuffix("/" + uploadMarker) })
            {
                // After that upload: the key's later ones come next.
                cursor = marked.key
            } else if let delimiter, keyMarker.hasSuffix(delimiter) {
                // A common prefix of an earlier page: past everything under it.
                cursor = base + keyMarker + "\u{10FFFF}"
            } else {
                // After every upload of the marker's key.
                cursor = ofMarker + "\u{10FFFF}"
            }
        }
        if let c = cursor, !c.hasPrefix(base + prefix), c < base + prefix { cursor = nil }
        var ids: [(key: String, uploadID: String)] = []
        var commonPrefixes: [String] = []
        var last: (key: String, uploadID: String?)?
        var isTruncated = false
        let batch = max(64, min(maxUploads + 1, 1000))
        scanning: while true {
            let rows = try tx.scan(S3Keys.uploadsByKey, prefix: base + prefix, after: cursor, reverse: false, limit: batch)
            if rows.isEmpty { break }
            var skipTo: String?
            for row in rows {
                cursor = row.key
                guard let (key, _, uploadID) = S3Keys.parseUploadByKey(row.key, bucket: bucket) else { continue }
                if let delimiter, let range = key.utf8.dropFirst(prefix.utf8.count).firstRange(of: delimiter.utf8) {
                    guard ids.count + commonPrefixes.count < maxUploads else {
                        isTruncated = true
                        break scanning
                    }
                    let common = String(key[..<range.upperBound])
                    commonPrefixes.append(common)
                    last = (common, nil)
                    skipTo = base + common + "\u{10FFFF}"
                    break
                }
                guard ids.count + commonPrefixes.count < maxUploads else {
                    isTruncated = true
                    break scanning
                }
                ids.append((key, uploadID))
                last = (key, uploadID)
            }
            if let skipTo {
                cursor = skipTo
            } else if rows.count < batch {
                break
            }
        }
        let uploads = try ids.compactMap { try tx.getJSON(UploadRecord.self, S3Keys.uploads, base + $0.uploadID) }
        return (uploads, commonPrefixes, isTruncated, last)
    }

    static func unhex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var iterator = s.utf8.makeIterator()
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        while let hi = iterator.next(), let lo = iterator.next() {
            guard let h = value(hi), let l = value(lo) else { return [] }
            out.append(h << 4 | l)
        }
        return out
    }
}
