//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import Testing

@testable import NimbusS3

@Suite struct ObjectRecordWriterTests {
    static func full() -> ObjectRecord {
        let blob = StoredBlob(
            id: "0123456789abcdef0123456789abcdef", size: 4096, md5: Array(0..<16),
            checksums: [.crc32: "AAAAAA==", .sha256: "x/y+z="], redundancy: .xorParity, segmentSize: 1 << 20,
            placement: [0, 1, 2], slot: 42
        )
        return ObjectRecord(
            key: "dir/ké\"y\\\n", size: 4096, etag: "\"abc\"", lastModified: Date(timeIntervalSinceReferenceDate: 785_000_000.123456),
            contentType: "text/plain", contentEncoding: "gzip", contentDisposition: "attachment; filename=\"a b\"",
            contentLanguage: "en", cacheControl: "no-cache", expires: "Wed, 21 Oct 2026 07:28:00 GMT",
            websiteRedirectLocation: "/other", metadata: ["color": "blue", "b": "2"], storageClass: "STANDARD_IA",
            tags: ["team": "x", "Env": "prod"], encryption: .kms, customerKeySalt: [1, 2, 3], customerKeyHMAC: [255, 0],
            checksums: ["CRC32": "AAAAAA=="], checksumType: "FULL_OBJECT",
            pieces: [DataPiece(blob: blob, sealedKey: [9, 8, 7], kmsKey: [1], bucketKeySalt: [2])], partsCount: 3,
            owner: "111122223333", versionID: "v1", isDeleteMarker: false, retentionMode: "GOVERNANCE",
            retainUntil: Date(timeIntervalSinceReferenceDate: 800_000_000), legalHold: true,
            acl: [S3Grant(id: "abc", uri: nil, permission: "READ", account: "111122223333"), S3Grant(id: nil, uri: S3Grant.allUsers, permission: "WRITE")],
            kmsKeyARN: "arn:aws:kms:us-east-1:111122223333:key/k", kmsContext: ["aws:s3:arn": "arn:aws:s3:::b/k"],
            bucketKeyEnabled: true, restoredUntil: Date(timeIntervalSinceReferenceDate: 1), replicationStatus: "PENDING"
        )
    }

    static func encoded(_ record: ObjectRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(record))
    }

    /// Every optional member set: a member added to `ObjectRecord` and not to the writer fails here.
    @Test func everyMemberIsWrittenAsJSONEncoderWritesIt() throws {
        let record = Self.full()
        for child in Mirror(reflecting: record).children {
            let mirror = Mirror(reflecting: child.value)
            #expect(mirror.displayStyle != .optional || mirror.children.count == 1, "\(child.label ?? "?") is nil in the test record")
        }
        #expect(String(decoding: record.storedJSONBytes(), as: UTF8.self) == String(decoding: try Self.encoded(record), as: UTF8.self))
    }

    /// The records PUTs write (nothing optional but what a plain PUT sets), dates with and without a fraction,
    /// text that needs escaping, and maps whose keys sort differently by case: byte for byte what `JSONEncoder`
    /// writes, and decoded back the same.
    @Test(arguments: [0.0, 1.5, -3.25, 785_000_000, 785_000_000.5, 1e-7, 123_456_789.000_001])
    func plainRecordsAreWrittenAsJSONEncoderWritesThem(seconds: Double) throws {
        var record = Self.full()
        record.lastModified = Date(timeIntervalSinceReferenceDate: seconds)
        record.acl = nil
        record.tags = nil
        record.customerKeySalt = nil
        record.customerKeyHMAC = nil
        record.versionID = nil
        record.kmsContext = ["Zeta": "1", "alpha": "2", "Alpha": "3", "a/b": "<\u{1}>", "é": "\u{7f}"]
        record.metadata = [:]
        record.pieces[0].kmsKey = nil
        record.pieces[0].bucketKeySalt = nil
        record.pieces[0].blob.slot = nil
        record.pieces[0].blob.checksums = [:]
        let written = record.storedJSONBytes()
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: try Self.encoded(record), as: UTF8.self))
        let decoded = try JSONDecoder().decode(ObjectRecord.self, from: Data(written))
        #expect(decoded.lastModified == record.lastModified)
        #expect(decoded.kmsContext == record.kmsContext)
        #expect(decoded.pieces[0].blob == record.pieces[0].blob)
        #expect(decoded.pieces[0].sealedKey == record.pieces[0].sealedKey)
        #expect(String(decoding: try Self.encoded(decoded), as: UTF8.self) == String(decoding: written, as: UTF8.self))
    }
}
