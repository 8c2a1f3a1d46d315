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
public import NimbusCore
import NimbusStorage
import NimbusWire
import Synchronization

/// KMS as S3 uses it for SSE-KMS, on behalf of the caller (who needs `kms:GenerateDataKey` to write and
/// `kms:Decrypt` to read, as in AWS; the server's implementation checks that with `kms:ViaService`).
public protocol S3KeyService: Sendable {
    /// The account's AWS managed key for S3 (`aws/s3`), made on first use.
    func defaultKey(context: RequestContext) async throws -> String
    /// The ARN of the key `keyID` names for the caller; throws KMS's error when there is none.
    func resolve(keyID: String, context: RequestContext) async throws -> String
    func generateDataKey(keyARN: String, encryptionContext: [String: String], context: RequestContext) async throws -> (plaintext: [UInt8], ciphertext: [UInt8])
    func decrypt(_ ciphertext: [UInt8], keyARN: String, encryptionContext: [String: String], context: RequestContext) async throws -> [UInt8]
    /// Whether the caller may `action` (`kms:GenerateDataKey`, `kms:Decrypt`) with the key through S3, when
    /// a cached bucket key spares the KMS call itself.
    func checkPermission(_ action: String, keyARN: String, encryptionContext: [String: String], context: RequestContext) async throws
}

/// How the pieces of an object being written are encrypted.
struct EncryptionPlan: Sendable {
    var mode: ObjectEncryption
    var customer: CustomerKey?
    var kmsKeyARN: String?
    var kmsContext: [String: String] = [:]
    var bucketKey = false
}

/// A new piece's data key and how it will be kept.
struct PieceKey: Sendable {
    var key: BlobKey
    var kmsKey: [UInt8]?
    var salt: [UInt8]?
}

/// Bucket keys: a KMS data key per bucket and KMS key, reused for new pieces for a few minutes and
/// remembered for reads, so that SSE-KMS does not cost a KMS call per object.
final class BucketKeyCache: Sendable {
    struct Entry { var plaintext: SymmetricKey; var ciphertext: [UInt8]; var expires: ContinuousClock.Instant }
    private let forWriting = Mutex<[String: Entry]>([:])
    private let forReading = Mutex<[[UInt8]: Entry]>([:])
    static let lifetime = Duration.seconds(300)

    func writing(_ id: String) -> Entry? {
        forWriting.withLock { entries in
            guard let entry = entries[id], entry.expires > .now else { entries[id] = nil; return nil }
            return entry
        }
    }

    func reading(_ ciphertext: [UInt8]) -> SymmetricKey? {
        forReading.withLock { entries in
            guard let entry = entries[ciphertext], entry.expires > .now else { entries[ciphertext] = nil; return nil }
            return entry.plaintext
        }
    }

    func remember(_ entry: Entry, writingAs id: String?) {
        forReading.withLock {
            if $0.count > 10_000 { $0.removeAll() }
            $0[entry.ciphertext] = entry
        }
        if let id { forWriting.withLock { $0[id] = entry } }
    }
}

extension S3Service {
    static let kmsNotAvailable = AWSError(code: "NotImplemented", message: "SSE-KMS needs the KMS service, which this server does not run.", status: 501)

    /// The encryption a write asks for (headers), or the bucket's default.
    func encryptionPlan(_ input: ShapeValue, bucket: BucketRecord, key: String, customer: CustomerKey?, context: RequestContext) async throws -> EncryptionPlan {
        if let customer { return EncryptionPlan(mode: .customer, customer: customer) }
        let requested = input["ServerSideEncryption"]?.stringValue
        let sse = requested ?? bucket.defaultSSE ?? "AES256"
        guard sse == "aws:kms" || sse == "aws:kms:dsse" else {
            if input["SSEKMSKeyId"] != nil {
                throw AWSError.invalidArgument(
                    "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                    name: "x-amz-server-side-encryption-aws-kms-key-id"
                )
            }
            return EncryptionPlan(mode: .s3)
        }
        guard let keys = kmsKeys else { throw Self.kmsNotAvailable }
        let keyID = input["SSEKMSKeyId"]?.stringValue ?? (requested == nil ? bucket.defaultKMSKeyID : nil)
        let arn: String
        if let keyID { arn = try await keys.resolve(keyID: keyID, context: context) } else { arn = try await keys.defaultKey(context: context) }
        var plan = EncryptionPlan(mode: .kms, kmsKeyARN: arn)
        plan.bucketKey = input["BucketKeyEnabled"]?.booleanValue ?? bucket.defaultBucketKeyEnabled ?? false
        if let json = input["SSEKMSEncryptionContext"]?.stringValue {
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] else {
                throw AWSError.invalidArgument("The header 'x-amz-server-side-encryption-context' is not valid JSON of string values.",
                                               name: "x-amz-server-side-encryption-context")
            }
            plan.kmsContext = object
        }
        // S3 binds each data key to the object (or, with a bucket key, to the bucket).
        plan.kmsContext["aws:s3:arn"] = plan.bucketKey ? bucket.arn : "\(bucket.arn)/\(key)"
        return plan
    }

    /// The plan a multipart upload's parts follow: the one its creation decided.
    static func plan(of template: ObjectRecord, customer: CustomerKey?) -> EncryptionPlan {
        EncryptionPlan(
            mode: template.encryption, customer: customer, kmsKeyARN: template.kmsKeyARN, kmsContext: template.kmsContext ?? [:],
            bucketKey: template.bucketKeyEnabled ?? false
        )
    }

    /// Records the plan in a new object's record (with the salted HMAC that will check an SSE-C key).
    static func applyEncryption(_ plan: EncryptionPlan, into record: inout ObjectRecord) {
        record.encryption = plan.mode
        record.customerKeySalt = nil
        record.customerKeyHMAC = nil
        record.kmsKeyARN = plan.kmsKeyARN
        record.kmsContext = plan.mode == .kms ? plan.kmsContext : nil
        record.bucketKeyEnabled = plan.mode == .kms && plan.bucketKey ? true : nil
        if let customer = plan.customer {
            let salt = SymmetricKey(size: .bits256)
            record.customerKeySalt = salt.withUnsafeBytes { [UInt8]($0) }
            record.customerKeyHMAC = [UInt8](HMAC<SHA256>.authenticationCode(for: customer.key.bytes, using: salt))
        }
    }

    /// A data key for a new piece.
    func newPieceKey(_ plan: EncryptionPlan, context: RequestContext) async throws -> PieceKey {
        switch plan.mode {
        case .customer:
            guard let customer = plan.customer else { throw AWSError.sseCKeyRequired }
            return PieceKey(key: customer.key)
        case .s3:
            return PieceKey(key: BlobKey.random())
        case .kms:
            guard let keys = kmsKeys, let arn = plan.kmsKeyARN else { throw Self.kmsNotAvailable }
            guard plan.bucketKey else {
                var (plaintext, ciphertext) = try await keys.generateDataKey(keyARN: arn, encryptionContext: plan.kmsContext, context: context)
                defer { for i in plaintext.indices { plaintext[i] = 0 } }
                return PieceKey(key: try BlobKey(bytes: plaintext), kmsKey: ciphertext)
            }
            // Still the caller's permission, even when the bucket key is cached.
            let cacheID = plan.kmsContext.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&") + "|" + arn
            let entry: BucketKeyCache.Entry
            if let cached = bucketKeys.writing(cacheID) {
                try await keys.checkPermission("kms:GenerateDataKey", keyARN: arn, encryptionContext: plan.kmsContext, context: context)
                entry = cached
            } else {
                var (plaintext, ciphertext) = try await keys.generateDataKey(keyARN: arn, encryptionContext: plan.kmsContext, context: context)
                entry = BucketKeyCache.Entry(plaintext: SymmetricKey(data: plaintext), ciphertext: ciphertext, expires: .now + BucketKeyCache.lifetime)
                for i in plaintext.indices { plaintext[i] = 0 }
                bucketKeys.remember(entry, writingAs: cacheID)
            }
            let salt = SymmetricKey(size: .bits256).withUnsafeBytes { [UInt8]($0) }
            return PieceKey(key: try Self.derive(entry.plaintext, salt: salt), kmsKey: entry.ciphertext, salt: salt)
        }
    }

    static func derive(_ bucketKey: SymmetricKey, salt: [UInt8]) throws -> BlobKey {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: bucketKey, salt: salt, info: Array("nimbus-s3-bucket-key".utf8), outputByteCount: 32)
        return try BlobKey(bytes: derived.withUnsafeBytes { [UInt8]($0) })
    }

    /// The piece's record entry: the data key kept as the plan says (sealed under the root key for
    /// SSE-S3, as KMS's ciphertext for SSE-KMS, not at all for SSE-C).
    func piece(_ blob: StoredBlob, key: PieceKey, plan: EncryptionPlan) throws -> DataPiece {
        switch plan.mode {
        case .customer: DataPiece(blob: blob, sealedKey: nil)
        case .s3: DataPiece(blob: blob, sealedKey: try rootKey.seal(key.key.bytes, context: "s3-data-key:" + blob.id))
        case .kms: DataPiece(blob: blob, sealedKey: nil, kmsKey: key.kmsKey, bucketKeySalt: key.salt)
        }
    }

    /// The keys that decrypt the pieces of `record`.
    func keys(for record: ObjectRecord, customer: CustomerKey?, context: RequestContext) async throws -> [BlobKey] {
        var keys: [BlobKey] = []
        keys.reserveCapacity(record.pieces.count)
        for piece in record.pieces { keys.append(try await key(for: piece, record: record, customer: customer, context: context)) }
        return keys
    }

    func key(for piece: DataPiece, record: ObjectRecord, customer: CustomerKey?, context: RequestContext) async throws -> BlobKey {
        if let sealed = piece.sealedKey {
            return try BlobKey(bytes: try rootKey.open(sealed, context: "s3-data-key:" + piece.blob.id))
        }
        guard let wrapped = piece.kmsKey else {
            guard let customer else { throw AWSError.sseCKeyRequired }
            return customer.key
        }
        guard let keys = kmsKeys, let arn = record.kmsKeyARN else { throw Self.kmsNotAvailable }
        let encryptionContext = record.kmsContext ?? [:]
        guard let salt = piece.bucketKeySalt else {
            var plaintext = try await keys.decrypt(wrapped, keyARN: arn, encryptionContext: encryptionContext, context: context)
            defer { for i in plaintext.indices { plaintext[i] = 0 } }
            return try BlobKey(bytes: plaintext)
        }
        if let cached = bucketKeys.reading(wrapped) {
            try await keys.checkPermission("kms:Decrypt", keyARN: arn, encryptionContext: encryptionContext, context: context)
            return try Self.derive(cached, salt: salt)
        }
        var plaintext = try await keys.decrypt(wrapped, keyARN: arn, encryptionContext: encryptionContext, context: context)
        let bucketKey = SymmetricKey(data: plaintext)
        for i in plaintext.indices { plaintext[i] = 0 }
        bucketKeys.remember(BucketKeyCache.Entry(plaintext: bucketKey, ciphertext: wrapped, expires: .now + BucketKeyCache.lifetime), writingAs: nil)
        return try Self.derive(bucketKey, salt: salt)
    }

    // MARK: Default encryption

    func putBucketEncryption(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard let rules = input["ServerSideEncryptionConfiguration"]?["Rules"]?.listValue, rules.count == 1,
            let sse = rules[0]["ApplyServerSideEncryptionByDefault"]?["SSEAlgorithm"]?.stringValue
        else { throw AWSError.malformedXML }
        guard ["AES256", "aws:kms", "aws:kms:dsse"].contains(sse) else { throw AWSError.malformedXML }
        let keyID = rules[0]["ApplyServerSideEncryptionByDefault"]?["KMSMasterKeyID"]?.stringValue
        if keyID != nil, sse == "AES256" {
            throw AWSError.invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                                           name: "ApplyServerSideEncryptionByDefault")
        }
        if sse != "AES256" {
            guard let keys = kmsKeys else { throw Self.kmsNotAvailable }
            if let keyID { _ = try await keys.resolve(keyID: keyID, context: context) }
        }
        let bucketKeyEnabled = rules[0]["BucketKeyEnabled"]?.booleanValue
        try await update(bucket.name) {
            $0.defaultSSE = sse
            $0.defaultKMSKeyID = keyID
            $0.defaultBucketKeyEnabled = bucketKeyEnabled
        }
        return .empty
    }

    func getBucketEncryption(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        // Every object is encrypted at rest; without a configuration, with SSE-S3, as in AWS since 2023.
        var byDefault: [String: ShapeValue] = ["SSEAlgorithm": .string(bucket.defaultSSE ?? "AES256")]
        if let keyID = bucket.defaultKMSKeyID { byDefault["KMSMasterKeyID"] = .string(keyID) }
        return .structure([
            "ServerSideEncryptionConfiguration": .structure([
                "Rules": .list([
                    .structure([
                        "ApplyServerSideEncryptionByDefault": .structure(byDefault),
                        "BucketKeyEnabled": .boolean(bucket.defaultBucketKeyEnabled ?? false),
                    ]),
                ]),
            ]),
        ])
    }

    func deleteBucketEncryption(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        try await update(bucket.name) {
            $0.defaultSSE = nil
            $0.defaultKMSKeyID = nil
            $0.defaultBucketKeyEnabled = nil
        }
        return .empty
    }
}
