//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusStorage
import Testing
@testable import NimbusS3

/// `ListMultipartUploads` pages read from the uploads-by-key index, which the store keeps with the records.
@Suite struct MultipartUploadIndexTests {
    static let base = Date(timeIntervalSince1970: 1_795_000_000.5)

    static func upload(_ key: String, _ id: String, at seconds: Double, bucket: String = "b") -> UploadRecord {
        let template = ObjectRecord(
            key: key, size: 0, etag: "", lastModified: base, metadata: [:], storageClass: nil, tags: nil, encryption: .s3,
            customerKeySalt: nil, customerKeyHMAC: nil, checksums: nil, checksumType: nil, pieces: [], partsCount: nil, owner: "123456789012"
        )
        return UploadRecord(
            uploadID: id, bucket: bucket, key: key, initiated: base.addingTimeInterval(seconds), owner: "123456789012",
            initiatorARN: "arn:aws:iam::123456789012:root", template: template
        )
    }

    /// Uploads stored out of order, two keys with two uploads each, one under another bucket.
    static let uploads = [
        upload("photos/2024/b.jpg", "u4", at: 4), upload("a", "u2", at: 2), upload("photos/2024/b.jpg", "u3", at: 3),
        upload("a", "u1", at: 5), upload("photos/readme", "u5", at: 1), upload("photos/2025/c.jpg", "u6", at: 6),
        upload("z", "u7", at: 0), upload("a", "other", at: 0, bucket: "c"),
    ]

    static func page(
        _ tx: any StoreReader, prefix: String = "", delimiter: String? = nil, keyMarker: String? = nil, uploadMarker: String? = nil, max: Int = 1000
    ) throws -> (ids: [String], prefixes: [String], truncated: Bool, last: String?) {
        let page = try S3Service.uploadPage(
            bucket: "b", prefix: prefix, delimiter: delimiter, keyMarker: keyMarker, uploadMarker: uploadMarker, maxUploads: max, in: tx
        )
        return (page.uploads.map(\.uploadID), page.commonPrefixes, page.isTruncated, page.last.map { $0.key + "|" + ($0.uploadID ?? "") })
    }

    @Test func pagesFollowKeysThenInitiation() async throws {
        let store = MemoryMetadataStore()
        try await store.write { tx in for upload in Self.uploads { try S3Service.putUpload(upload, in: tx) } }
        try await store.read { (tx: any StoreReader) throws in
            #expect(try Self.page(tx).ids == ["u2", "u1", "u3", "u4", "u6", "u5", "u7"])
            // Each entry names its upload's key, time (to the microsecond) and id, as lifecycle rules read them.
            for upload in Self.uploads where upload.bucket == "b" {
                let parsed = try #require(S3Keys.parseUploadByKey(S3Keys.uploadByKey(upload), bucket: "b"))
                #expect(parsed.key == upload.key && parsed.uploadID == upload.uploadID)
                #expect(abs(parsed.initiated.timeIntervalSince(upload.initiated)) < 0.000_001)
            }
            #expect(S3Keys.parseUploadByKey("b/no-separator/u1", bucket: "b") == nil)
            // Page by page, each resuming from the last one's markers.
            var seen: [String] = []
            var markers: (String?, String?) = (nil, nil)
            while true {
                let page = try S3Service.uploadPage(
                    bucket: "b", prefix: "", delimiter: nil, keyMarker: markers.0, uploadMarker: markers.1, maxUploads: 2, in: tx
                )
                seen += page.uploads.map(\.uploadID)
                guard page.isTruncated, let last = page.last else { break }
                markers = (last.key, last.uploadID)
            }
            #expect(seen == ["u2", "u1", "u3", "u4", "u6", "u5", "u7"])
            // A key marker alone starts after all of that key's uploads; an unknown upload marker does too.
            #expect(try Self.page(tx, keyMarker: "a").ids == ["u3", "u4", "u6", "u5", "u7"])
            #expect(try Self.page(tx, keyMarker: "a", uploadMarker: "nope").ids == ["u3", "u4", "u6", "u5", "u7"])
            #expect(try Self.page(tx, keyMarker: "a", uploadMarker: "u2").ids == ["u1", "u3", "u4", "u6", "u5", "u7"])
            #expect(try Self.page(tx, prefix: "photos/2024/").ids == ["u3", "u4"])

            let top = try Self.page(tx, delimiter: "/")
            #expect(top.ids == ["u2", "u1", "u7"])
            #expect(top.prefixes == ["photos/"])
            let photos = try Self.page(tx, prefix: "photos/", delimiter: "/")
            #expect(photos.prefixes == ["photos/2024/", "photos/2025/"])
            #expect(photos.ids == ["u5"])
            // Common prefixes count toward the page; the next page starts past the last one.
            let first = try Self.page(tx, prefix: "photos/", delimiter: "/", max: 1)
            #expect((first.prefixes, first.truncated, first.last) == (["photos/2024/"], true, "photos/2024/|"))
            let second = try Self.page(tx, prefix: "photos/", delimiter: "/", keyMarker: "photos/2024/", max: 1)
            #expect((second.prefixes, second.ids, second.truncated) == (["photos/2025/"], [], true))
            #expect(try Self.page(tx, max: 0) == ([], [], true, nil))
        }
        // Removing an upload removes its index entry; the other upload of the key stays.
        _ = try await store.write { tx in try S3Service.removeUpload(bucket: "b", uploadID: "u3", in: tx) }
        try await store.read { (tx: any StoreReader) throws in
            #expect(try Self.page(tx, prefix: "photos/2024/").ids == ["u4"])
            #expect(try tx.scan(S3Keys.uploadsByKey, prefix: "b/photos/2024/b.jpg\u{1}").count == 1)
        }
    }

    /// A data dir from before the index gets it for the uploads it has.
    @Test func migrationIndexesExistingUploads() async throws {
        let store = MemoryMetadataStore()
        try await store.write { tx in
            for upload in Self.uploads { try tx.putJSON(S3Keys.uploads, upload.bucket + "/" + upload.uploadID, upload) }
        }
        try await store.read { (tx: any StoreReader) throws in #expect(try Self.page(tx).ids.isEmpty) }
        try await store.migrate(module: "s3", S3Service.migrations)
        try await store.read { (tx: any StoreReader) throws in #expect(try Self.page(tx).ids == ["u2", "u1", "u3", "u4", "u6", "u5", "u7"]) }
        // Stored times come back from JSON: the entries are still found and removed with their uploads.
        try await store.write { tx in
            for id in ["u1", "u2", "u3", "u4", "u5", "u6", "u7"] { try S3Service.removeUpload(bucket: "b", uploadID: id, in: tx) }
        }
        try await store.read { (tx: any StoreReader) throws in
            #expect(try tx.scan(S3Keys.uploadsByKey, prefix: "b/").isEmpty)
            #expect(try tx.scan(S3Keys.uploadsByKey, prefix: "c/").count == 1)
        }
    }
}
