//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import NimbusStorage
import Testing

@testable import NimbusS3

/// What the scrubber is told is still named: the blobs of current objects, of every version, and of the parts of
/// uploads in progress; nothing else.
@Suite struct ReferencedBlobsTests {
    static func piece(_ id: String) -> DataPiece {
        DataPiece(blob: StoredBlob(id: id, size: 1, md5: [], checksums: [:], redundancy: .xorParity, segmentSize: 1 << 20, placement: [0, 1, 2]),
                  sealedKey: nil)
    }

    static func object(_ key: String, _ ids: [String]) -> ObjectRecord {
        ObjectRecord(
            key: key, size: 0, etag: "", lastModified: Date(timeIntervalSince1970: 0), metadata: [:], storageClass: nil, tags: nil,
            encryption: .s3, customerKeySalt: nil, customerKeyHMAC: nil, checksums: nil, checksumType: nil, pieces: ids.map(piece),
            partsCount: nil, owner: "123456789012"
        )
    }

    @Test func findsTheBlobsOfObjectsVersionsAndParts() async throws {
        let store = MemoryMetadataStore()
        try await store.write { tx in
            try tx.putJSON(S3Keys.objects, "b/current", Self.object("current", ["c1", "c2"]))
            try tx.putJSON(S3Keys.versions, "b/old\u{1}00000000000000000001/v1", Self.object("old", ["v1"]))
            try tx.putJSON(S3Keys.parts, S3Keys.part("b", "u1", 1),
                           PartRecord(number: 1, etag: "", size: 1, lastModified: Date(timeIntervalSince1970: 0), piece: Self.piece("p1")))
            // Enough records that the walk takes more than one batch.
            for i in 0..<2_500 { try tx.putJSON(S3Keys.objects, "b/filler\(i)", Self.object("filler\(i)", ["f\(i)"])) }
        }
        let candidates: Set<String> = ["c2", "v1", "p1", "f2499", "orphan"]
        let named = try await store.read { try S3Service.referencedBlobs(among: candidates, in: $0) }
        #expect(named == ["c2", "v1", "p1", "f2499"])
    }
}
