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

/// Where S3 keeps its metadata. Bucket names are global (as in AWS), so buckets are keyed by name alone.
enum S3Keys {
    /// `<bucket>` → `BucketRecord`.
    static let buckets = "s3.buckets"
    /// `<account>/<bucket>` → empty: each account's buckets, for `ListBuckets`.
    static let accountBuckets = "s3.account-buckets"
    /// `<bucket>/<key>` → `ObjectRecord` (the current version).
    static let objects = "s3.objects"
    /// `<bucket>/<upload id>` → `UploadRecord`.
    static let uploads = "s3.uploads"
    /// The bucket's multipart uploads in `ListMultipartUploads` order, by key and then by initiation:
    /// `<bucket>/<key>\u{1}<initiated, µs since 1970, 16 digits>/<upload id>` → empty. Written and removed only
    /// with the upload's record (`putUpload`, `removeUpload`).
    static let uploadsByKey = "s3.uploads-by-key"
    /// `<bucket>/<upload id>/<part number, 5 digits>` → `PartRecord`.
    static let parts = "s3.parts"
    /// Every version of every key of a bucket that has had versioning enabled, newest first per key:
    /// `<bucket>/<key>\u{1}<inverted time, 20 digits>/<version id>` → `ObjectRecord` (delete markers too).
    /// Keys containing U+0001 may list out of order among their neighbours; S3 keys rarely do.
    static let versions = "s3.versions"
    /// `<bucket>/<version id>` → the version's key in `versions`.
    static let versionIDs = "s3.version-ids"
    /// `<bucket>/<upload id>` → `CompletedUpload`: uploads completed within the last
    /// `S3Service.completedUploadRetention`, so that a retried `CompleteMultipartUpload` answers as the first did.
    static let completedUploads = "s3.completed-uploads"
    /// `<completed, µs since 1970, 16 digits>/<bucket>/<upload id>` → empty: `completedUploads` oldest first.
    static let completedUploadsByTime = "s3.completed-uploads-by-time"
    /// `<account>` → `PublicAccessBlock`: the account-wide Block Public Access settings (S3 Control).
    static let accountPublicAccessBlocks = "s3.account-public-access-block"
    /// `<bucket>/<version id>` → `ReplicationTask`: versions waiting to be replicated, written with the version.
    static let replicationQueue = "s3.replication-queue"

    static func object(_ bucket: String, _ key: String) -> String { bucket + "/" + key }
    /// The prefix all versions of `key` share.
    static func versionPrefix(_ bucket: String, _ key: String) -> String { bucket + "/" + key + "\u{1}" }
    /// The prefix all uploads of `key` share in `uploadsByKey`.
    static func uploadsOfKey(_ bucket: String, _ key: String) -> String { bucket + "/" + key + "\u{1}" }
    static func uploadByKey(_ upload: UploadRecord) -> String {
        // Microseconds: uploads of one key a client starts back to back stay in the order it started them.
        uploadsOfKey(upload.bucket, upload.key) + sortableMicros(upload.initiated) + "/" + upload.uploadID
    }
    /// `date` in microseconds since 1970, 16 digits, so that keys sort by time.
    static func sortableMicros(_ date: Date) -> String {
        let micros = String(max(0, min(9_999_999_999_999_999, Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down)))))
        return String(repeating: "0", count: 16 - micros.count) + micros
    }
    /// What an `uploadsByKey` key of `bucket` names; nil for one that is not such a key.
    static func parseUploadByKey(_ indexKey: String, bucket: String) -> (key: String, initiated: Date, uploadID: String)? {
        let utf8 = indexKey.utf8
        guard utf8.count > bucket.utf8.count + 1, let separator = utf8.lastIndex(of: 1), let slash = utf8.lastIndex(of: UInt8(ascii: "/")),
            separator < slash, let micros = Int64(indexKey[utf8.index(after: separator)..<slash])
        else { return nil }
        return (
            String(indexKey[utf8.index(indexKey.startIndex, offsetBy: bucket.utf8.count + 1)..<separator]),
            Date(timeIntervalSince1970: Double(micros) / 1_000_000),
            String(indexKey[utf8.index(after: slash)...])
        )
    }
    static func part(_ bucket: String, _ uploadID: String, _ number: Int) -> String {
        bucket + "/" + uploadID + "/" + String(repeating: "0", count: max(0, 5 - String(number).count)) + String(number)
    }
}

struct BucketRecord: Codable, Sendable {
    var name: String
    var account: String
    var region: String
    var createdAt: Date
    var tags: [String: String]?
    var policy: String?
    var versioning: String?
    var cors: String?
    var lifecycle: String?
    var encryption: String?
    /// Object Ownership's setting (nil, in records older than the setting, means `BucketOwnerEnforced`), or
    /// `noOwnershipControls` once they are deleted, which behaves as `ObjectWriter`.
    var ownership: String?
    /// Block Public Access for the bucket; new buckets get all four settings on, as in AWS since 2023.
    var publicAccessBlock: PublicAccessBlock?
    var objectLockEnabled: Bool?
    /// The bucket's ACL grants besides the owner's full control (only when ownership is not enforced).
    var acl: [S3Grant]?
    /// Object Lock's default retention for new versions: `GOVERNANCE` or `COMPLIANCE`, and its length.
    var defaultRetentionMode: String?
    var defaultRetentionDays: Int?
    var defaultRetentionYears: Int?
    /// Default encryption (`PutBucketEncryption`): `AES256` or `aws:kms`, the KMS key, bucket keys.
    var defaultSSE: String?
    var defaultKMSKeyID: String?
    var defaultBucketKeyEnabled: Bool?
    /// Transfer Acceleration, `Enabled` or `Suspended`; nil until first enabled.
    var accelerate: String?
    /// `Requester` for a Requester Pays bucket; nil for the default, `BucketOwner`.
    var requestPayer: String?
    var notifications: NotificationSettings?
    var website: WebsiteConfiguration?
    var replication: ReplicationSettings?

    var arn: String { "arn:aws:s3:::\(name)" }

    static let noOwnershipControls = ""
}

/// How an object's data key is held.
enum ObjectEncryption: String, Codable, Sendable {
    /// SSE-S3: a data key per piece, sealed under the root key.
    case s3 = "AES256"
    /// SSE-C: the customer's key, never stored; a salted HMAC of it checks the next request's key.
    case customer = "SSE-C"
    /// SSE-KMS: a data key per piece from KMS (or derived from a bucket key from KMS), stored only as
    /// KMS's ciphertext.
    case kms = "aws:kms"
}

/// One stored piece of an object: the whole of a single PUT, or one part of a multipart upload.
struct DataPiece: Codable, Sendable {
    var blob: StoredBlob
    /// SSE-S3: the piece's data key, sealed under the root key. Nil for SSE-C.
    var sealedKey: [UInt8]?
    /// SSE-KMS: KMS's ciphertext of the piece's data key, or of the bucket key it is derived from.
    var kmsKey: [UInt8]? = nil
    /// SSE-KMS with a bucket key: the salt that derives this piece's key from the bucket key.
    var bucketKeySalt: [UInt8]? = nil
}

// The byte fields are stored as base64 (see `encodeBytes`).
extension DataPiece {
    private enum CodingKeys: String, CodingKey {
        case blob, sealedKey, kmsKey, bucketKeySalt
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        blob = try c.decode(StoredBlob.self, forKey: .blob)
        sealedKey = try c.decodeBytesIfPresent(forKey: .sealedKey)
        kmsKey = try c.decodeBytesIfPresent(forKey: .kmsKey)
        bucketKeySalt = try c.decodeBytesIfPresent(forKey: .bucketKeySalt)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(blob, forKey: .blob)
        try c.encodeBytesIfPresent(sealedKey, forKey: .sealedKey)
        try c.encodeBytesIfPresent(kmsKey, forKey: .kmsKey)
        try c.encodeBytesIfPresent(bucketKeySalt, forKey: .bucketKeySalt)
    }
}

struct ObjectRecord: Codable, Sendable {
    var key: String
    var size: Int64
    /// With quotes, as S3 returns it: `"<md5>"` or `"<md5 of md5s>-<parts>"`.
    var etag: String
    var lastModified: Date
    var contentType: String?
    var contentEncoding: String?
    var contentDisposition: String?
    var contentLanguage: String?
    var cacheControl: String?
    var expires: String?
    var websiteRedirectLocation: String?
    var metadata: [String: String]
    var storageClass: String?
    var tags: [String: String]?
    var encryption: ObjectEncryption
    /// SSE-C: salt and HMAC-SHA256 of the customer's key.
    var customerKeySalt: [UInt8]?
    var customerKeyHMAC: [UInt8]?
    /// Checksums the client asked for, base64, by S3 algorithm name (`CRC32`).
    var checksums: [String: String]?
    /// `FULL_OBJECT` or `COMPOSITE`.
    var checksumType: String?
    var pieces: [DataPiece]
    /// Part sizes, for `PartsCount` and `?partNumber=` reads of multipart objects.
    var partsCount: Int?
    var owner: String
    /// Nil for the `null` version (written while versioning was never enabled or suspended).
    var versionID: String? = nil
    var isDeleteMarker: Bool? = nil
    /// Object Lock: `GOVERNANCE` or `COMPLIANCE` until `retainUntil`, and the legal hold.
    var retentionMode: String? = nil
    var retainUntil: Date? = nil
    var legalHold: Bool? = nil
    /// The object's ACL grants besides the owner's full control (only when ownership is not enforced).
    var acl: [S3Grant]? = nil
    /// SSE-KMS: the key, the encryption context bound to the data keys, and whether a bucket key is used.
    var kmsKeyARN: String? = nil
    var kmsContext: [String: String]? = nil
    var bucketKeyEnabled: Bool? = nil
    /// GLACIER and DEEP_ARCHIVE: until when `RestoreObject` made the data readable.
    var restoredUntil: Date? = nil
    /// Replication: `PENDING`, `COMPLETED` or `FAILED` on a source version a rule matched, `REPLICA` on a replica.
    var replicationStatus: String? = nil

    var version: String { versionID ?? "null" }
}

/// The fields of an `ObjectRecord` that a listing shows; decoding only these skips the pieces.
struct ObjectSummary: Decodable, Sendable {
    var key: String
    var size: Int64
    var etag: String
    var lastModified: Date
    var storageClass: String?
    var owner: String
    var checksums: [String: String]?
    var checksumType: String?
}

extension ObjectSummary {
    /// The summary of a stored ``ObjectRecord`` (JSON, as `putJSON` writes it), read as the `Decodable`
    /// conformance reads it.
    ///
    /// A listing reads up to 1,000 records per page. Through `JSONDecoder` that was three quarters of the
    /// server's CPU under `nimbus bench`'s `s3-list`; `JSONParser` reads the same bytes several times faster.
    init(record bytes: [UInt8]) throws(JSONReadError) {
        let record = try JSONObjectReader(parsing: bytes, with: Self.parser, path: "object record")
        key = try record.string("key")
        size = try record.number("size") { Int64($0) }
        etag = try record.string("etag")
        // `Date`'s own coding: seconds since 2001-01-01.
        lastModified = Date(timeIntervalSinceReferenceDate: try record.number("lastModified") { Double($0) })
        storageClass = try record.optionalString("storageClass")
        owner = try record.string("owner")
        checksumType = try record.optionalString("checksumType")
        if let map = try record.object("checksums") {
            var checksums: [String: String] = [:]
            for (name, _) in map.members { checksums[name] = try map.string(name) }
            self.checksums = checksums
        }
    }

    private static let parser = JSONParser(maxDepth: 32, maxStringBytes: 1 << 24, maxElements: 1 << 20)
}

/// What a completed upload became: the version a retried completion of it answers with while that version
/// is still the one the upload made.
struct CompletedUpload: Codable, Sendable {
    var key: String
    var etag: String
    var versionID: String?
    var completed: Date
}

struct UploadRecord: Codable, Sendable {
    var uploadID: String
    var bucket: String
    var key: String
    var initiated: Date
    var owner: String
    var initiatorARN: String
    /// The object the upload will become, without data.
    var template: ObjectRecord
    var checksumAlgorithm: String?
    var checksumType: String?
}

struct PartRecord: Codable, Sendable {
    var number: Int
    var etag: String
    var size: Int64
    var lastModified: Date
    var piece: DataPiece
    var checksums: [String: String]?
}

struct PublicAccessBlock: Codable, Sendable, Equatable {
    var blockPublicAcls: Bool
    var ignorePublicAcls: Bool
    var blockPublicPolicy: Bool
    var restrictPublicBuckets: Bool

    static let all = PublicAccessBlock(blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true)

    /// The settings in force where an account's and a bucket's both apply: each one on if either turns it on.
    static func combined(_ a: PublicAccessBlock?, _ b: PublicAccessBlock?) -> PublicAccessBlock? {
        guard let a else { return b }
        guard let b else { return a }
        return PublicAccessBlock(
            blockPublicAcls: a.blockPublicAcls || b.blockPublicAcls,
            ignorePublicAcls: a.ignorePublicAcls || b.ignorePublicAcls,
            blockPublicPolicy: a.blockPublicPolicy || b.blockPublicPolicy,
            restrictPublicBuckets: a.restrictPublicBuckets || b.restrictPublicBuckets
        )
    }
}

/// One ACL grant: a canonical user (`id`) or a predefined group (`uri`), and a permission.
struct S3Grant: Codable, Sendable, Hashable {
    var id: String?
    var uri: String?
    var permission: String
    /// The account a canonical-user grant names, resolved when the grant was made.
    var account: String?

    init(id: String? = nil, uri: String? = nil, permission: String, account: String? = nil) {
        self.id = id
        self.uri = uri
        self.permission = permission
        self.account = account
    }

    static let allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
    static let authenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    static let logDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"

    var isPublic: Bool { uri == Self.allUsers || uri == Self.authenticatedUsers }
}
