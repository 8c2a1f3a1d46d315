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
    /// `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=…`.
    static func copySource(_ input: ShapeValue) throws -> (bucket: String, key: String, versionID: String?) {
        guard var source = input["CopySource"]?.stringValue, !source.isEmpty else {
            throw AWSError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source")
        }
        var versionID: String?
        if let q = source.range(of: "?versionId=") {
            versionID = String(source[q.upperBound...])
            source = String(source[..<q.lowerBound])
        }
        if source.hasPrefix("/") { source.removeFirst() }
        guard let slash = source.firstIndex(of: "/"), let key = source[source.index(after: slash)...].removingPercentEncoding, !key.isEmpty,
            let bucket = source[..<slash].removingPercentEncoding, !bucket.isEmpty
        else {
            throw AWSError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source",
                                           value: source)
        }
        return (bucket, key, versionID)
    }

    /// The source object of a copy, with its key checked and its conditions (`x-amz-copy-source-if-*`) met, and its
    /// pieces held until the copy has read them.
    func copySourceObject(_ input: ShapeValue, context: RequestContext) async throws -> (record: ObjectRecord, bucket: String, customer: CustomerKey?, hold: BlobHold) {
        let (bucketName, key, versionID) = try Self.copySource(input)
        try await authorize(versionID == nil ? "s3:GetObject" : "s3:GetObjectVersion", "arn:aws:s3:::\(bucketName)/\(key)", context, input: input)
        let sourceBucket = try await bucket(.structure(["Bucket": .string(bucketName)]))
        let (record, hold) = try await heldVersion(bucket: sourceBucket, key: key, versionID: versionID)
        let customer = try Self.customerKey(input, prefix: "CopySource", context: context)
        try Self.checkCustomerKey(customer, for: record)
        try ReadCondition.check(input, record, prefix: "CopySource")
        try Self.checkReadable(record, now: clock.now, asCopySource: true)
        return (record, sourceBucket.name, customer, hold)
    }

    func copyObject(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let (source, sourceBucket, sourceCustomer, hold) = try await copySourceObject(input, context: context)
        guard source.size <= Self.maxSinglePut else {
            throw AWSError.invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: \(Self.maxSinglePut)")
        }
        let customer = try Self.customerKey(input, context: context)
        try Self.checkServerSideEncryption(input, customer: customer)
        let directive = input["MetadataDirective"]?.stringValue ?? "COPY"
        let taggingDirective = input["TaggingDirective"]?.stringValue ?? "COPY"
        guard ["COPY", "REPLACE"].contains(directive) else {
            throw AWSError.invalidArgument("Unknown metadata directive.", name: "MetadataDirective", value: directive)
        }
        guard ["COPY", "REPLACE"].contains(taggingDirective) else {
            throw AWSError.invalidArgument("Unknown tagging directive.", name: "TaggingDirective", value: taggingDirective)
        }
        let changesEncryption = customer != nil || sourceCustomer != nil || input["ServerSideEncryption"] != nil
        // Naming a version of the source makes it a copy of that version, which S3 takes (AWS-verified in moto's
        // tests), even onto its own key.
        let namesVersion = input["CopySource"]?.stringValue?.contains("?versionId=") == true
        if sourceBucket == bucket.name, source.key == key, directive == "COPY", input["StorageClass"] == nil,
            input["WebsiteRedirectLocation"] == nil, !changesEncryption, !namesVersion
        {
            throw AWSError.invalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
            )
        }
        var record: ObjectRecord
        if directive == "REPLACE" {
            record = try newObjectRecord(input, key: key, owner: bucket.account, context: context)
        } else {
            record = source
            record.key = key
            record.owner = bucket.account
            record.lastModified = clock.now
            // The copy is STANDARD unless the request says otherwise, whatever the source's class.
            let storageClass = input["StorageClass"]?.stringValue ?? "STANDARD"
            guard Self.storageClasses.contains(storageClass) else {
                throw AWSError(code: "InvalidStorageClass", message: "The storage class you specified is not valid", status: 400)
            }
            record.storageClass = storageClass == "STANDARD" ? nil : storageClass
            record.restoredUntil = nil
            // Not metadata as the directive means it: a redirect given with the copy applies either way.
            if let redirect = input["WebsiteRedirectLocation"]?.stringValue { record.websiteRedirectLocation = redirect }
            if let tagging = input["Tagging"]?.stringValue, taggingDirective == "REPLACE" {
                record.tags = try Self.parseTaggingHeader(tagging)
            }
        }
        if taggingDirective == "COPY" { record.tags = source.tags }
        let condition = try WriteCondition(input)
        if condition != nil { try condition!.check(try await object(bucket: bucket.name, key: key)) }

        var algorithms = Set((source.checksums ?? [:]).keys.compactMap(ChecksumAlgorithm.init(rawValue:)))
        if let requested = input["ChecksumAlgorithm"]?.stringValue, let algorithm = ChecksumAlgorithm(rawValue: requested.uppercased()) {
            algorithms = [algorithm]
        }
        let keys = try await keys(for: source, customer: sourceCustomer, context: context)
        let data = PiecesStream(blobs: blobs, pieces: source.pieces, keys: keys, range: source.size > 0 ? 0...(source.size - 1) : nil, hold: hold)
        let plan = try await encryptionPlan(input, bucket: bucket, key: key, customer: customer, context: context)
        let pieceKey = try await newPieceKey(plan, context: context)
        let blob = try await writeBlob(data, key: pieceKey.key, checksums: algorithms, maxBytes: Self.maxSinglePut)
        record.size = blob.size
        record.etag = "\"" + Hex.encode(blob.md5) + "\""
        record.pieces = [try piece(blob, key: pieceKey, plan: plan)]
        record.partsCount = nil
        record.checksums = Self.checksumStrings(blob)
        record.checksumType = record.checksums == nil ? nil : "FULL_OBJECT"
        Self.applyEncryption(plan, into: &record)
        record.versionID = nil
        record.retentionMode = nil
        record.retainUntil = nil
        record.legalHold = nil
        try Self.applyLockHeaders(input, bucket: bucket, to: &record)
        record.acl = nil
        try await applyGrants(input, bucket: bucket, to: &record)
        let committed = try await commitVersion(record, bucket: bucket.name, condition: condition, newPieces: record.pieces)

        var result: [String: ShapeValue] = ["ETag": .string(record.etag), "LastModified": .timestamp(record.lastModified)]
        for (name, value) in record.checksums ?? [:] { result["Checksum" + name] = .string(value) }
        var out: [String: ShapeValue] = ["CopyObjectResult": .structure(result)]
        if let version = committed.versionID { out["VersionId"] = .string(version) }  // none for a suspended bucket's null version
        if source.versionID != nil || namesVersion {
            out["CopySourceVersionId"] = .string(source.version)
        }
        Self.encryptionOutput(record, customer: customer, into: &out)
        return .structure(out)
    }
}
