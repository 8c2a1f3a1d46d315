//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import Crypto
import Synchronization
public import NimbusBlobStore
public import NimbusCore
public import NimbusStorage
public import NimbusWire

/// Amazon S3: buckets and their settings in the metadata store, object data in the blob store.
///
/// Handlers work on the decoded `ShapeValue` directly (`OperationHandler(raw:)`): most of S3's members are
/// HTTP headers, and object bodies stream in and out without being buffered.
public final class S3Service: Sendable {
    let store: any MetadataStore
    let rootKey: RootKey
    let blobs: BlobStore
    let clock: WallClock
    /// For what a handler must check itself: the source of a copy, each key of a multi-object delete.
    let authorizer: any Authorizer
    /// KMS, for SSE-KMS; nil when the server runs without it.
    let kmsKeys: (any S3KeyService)?
    /// Checks the signatures of browser POST uploads; nil when the server runs without it.
    let postPolicyVerifier: (any S3PostPolicyVerifier)?
    let bucketKeys = BucketKeyCache()
    /// The accounts there are, for the canonical IDs ACL grants name; nil leaves such grants unresolved.
    let accountIDs: (@Sendable () async throws -> [String])?
    /// Canonical user ID → account, rebuilt from `accountIDs` when a grant names one it does not know.
    let canonicalAccounts = Mutex<[String: String]>([:])
    /// Server access log records waiting for delivery.
    let accessLog = S3AccessLogState()
    /// Told when a write queues a version for replication, so that it is carried out at once (``replicationWakes``).
    let replicationWake = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    /// A single PUT may carry at most 5 GiB; a multipart object at most 5 TiB.
    static let maxSinglePut: Int64 = 5 * 1024 * 1024 * 1024
    static let maxObjectSize: Int64 = 5 * 1024 * 1024 * 1024 * 1024
    static let minPartSize: Int64 = 5 * 1024 * 1024
    static let maxParts = 10_000
    /// User metadata (`x-amz-meta-*` names and values) is limited to 2 KB.
    static let maxMetadataBytes = 2 * 1024

    public init(
        store: any MetadataStore, rootKey: RootKey, blobs: BlobStore, clock: WallClock, authorizer: any Authorizer,
        kmsKeys: (any S3KeyService)? = nil, postPolicyVerifier: (any S3PostPolicyVerifier)? = nil,
        accountIDs: (@Sendable () async throws -> [String])? = nil
    ) {
        self.accountIDs = accountIDs
        self.store = store
        self.rootKey = rootKey
        self.blobs = blobs
        self.clock = clock
        self.authorizer = authorizer
        self.kmsKeys = kmsKeys
        self.postPolicyVerifier = postPolicyVerifier
    }

    /// The bucket policy that governs `resource` (`arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`), with the
    /// bucket's owner; nil when the resource is not an S3 bucket or object. A bucket that does not exist is
    /// `NoSuchBucket` before any question of access, to any caller, as S3 answers it.
    /// Static, so that the authorizer can be built before the service that uses it.
    public static func bucketPolicy(in store: any MetadataStore, resource: String) async throws -> (owner: String, policy: String?)? {
        let prefix = "arn:aws:s3:::"
        guard resource.hasPrefix(prefix) else { return nil }
        let path = resource.dropFirst(prefix.count)
        let slash = path.firstIndex(of: "/")
        let name = String(path[..<(slash ?? path.endIndex)])
        let key = slash.map { String(path[path.index(after: $0)...]) }
        return try await store.read { tx in
            guard let record = try bucketRecords.get(tx, S3Keys.buckets, name) else {
                if name.isEmpty || name.contains("*") { return nil }
                throw AWSError.noSuchBucket(name)
            }
            // Object ACLs count only where the bucket allows ACLs at all.
            var object: ObjectRecord?
            if let key, !key.isEmpty, key != "*", (record.ownership ?? "BucketOwnerEnforced") != "BucketOwnerEnforced" {
                object = try tx.getJSON(ObjectRecord.self, S3Keys.objects, S3Keys.object(name, key))
            }
            return (record.account, effectivePolicy(bucket: record, object: object, key: key, block: try effectiveBlock(record, tx)))
        }
    }

    /// Checks one more action the operation implies, as the pipeline checks the declared ones.
    /// `input`'s `x-amz-request-payer` goes with it, for a Requester Pays bucket.
    func authorize(_ action: String, _ resource: String, _ context: RequestContext, input: ShapeValue) async throws {
        let keys = input["RequestPayer"]?.stringValue.map { [Self.requestPayerConditionKey: [$0]] } ?? [:]
        try await authorizer.authorize(AuthorizationRequest(action: action, resources: [resource], context: context, conditionKeys: keys))
    }

    /// Data migrations of the S3 namespaces.
    public static let migrations: [StoreMigration] = [
        // Data dirs from before `S3Keys.uploadsByKey` get the index of the uploads in progress.
        StoreMigration("v1-uploads-by-key") { tx in
            for (_, upload) in try tx.scanJSON(UploadRecord.self, S3Keys.uploads) {
                try tx.put(S3Keys.uploadsByKey, S3Keys.uploadByKey(upload), [])
            }
        }
    ]

    public func definition() -> ServiceDefinition {
        var handlers: [String: OperationHandler] = [:]
        func on(_ name: String, _ body: @escaping @Sendable (ShapeValue, RequestContext) async throws -> OperationOutput) {
            handlers[name] = OperationHandler(raw: body)
        }
        func simple(_ name: String, _ body: @escaping @Sendable (ShapeValue, RequestContext) async throws -> ShapeValue) {
            handlers[name] = OperationHandler(raw: { OperationOutput(try await body($0, $1)) })
        }
        // S3 answers these 204 No Content, which its API model does not say (its `responseCode` is the default).
        func noContent(_ name: String, _ body: @escaping @Sendable (ShapeValue, RequestContext) async throws -> ShapeValue) {
            handlers[name] = OperationHandler(raw: { OperationOutput(try await body($0, $1), status: 204) })
        }
        // Buckets
        simple("CreateBucket", createBucket)
        simple("HeadBucket", headBucket)
        simple("DeleteBucket", deleteBucket)
        simple("ListBuckets", listBuckets)
        simple("GetBucketLocation", getBucketLocation)
        noContent("PutBucketTagging", putBucketTagging)
        simple("GetBucketTagging", getBucketTagging)
        simple("DeleteBucketTagging", deleteBucketTagging)
        noContent("PutBucketPolicy", putBucketPolicy)
        simple("GetBucketPolicy", getBucketPolicy)
        simple("GetBucketPolicyStatus", getBucketPolicyStatus)
        simple("DeleteBucketPolicy", deleteBucketPolicy)
        simple("GetBucketVersioning", getBucketVersioning)
        simple("PutBucketVersioning", putBucketVersioning)
        simple("ListObjectVersions", listObjectVersions)
        simple("PutObjectLockConfiguration", putObjectLockConfiguration)
        simple("GetObjectLockConfiguration", getObjectLockConfiguration)
        simple("PutObjectRetention", putObjectRetention)
        simple("GetObjectRetention", getObjectRetention)
        simple("PutObjectLegalHold", putObjectLegalHold)
        simple("GetObjectLegalHold", getObjectLegalHold)
        simple("GetBucketOwnershipControls", getBucketOwnershipControls)
        simple("PutBucketOwnershipControls", putBucketOwnershipControls)
        simple("DeleteBucketOwnershipControls", deleteBucketOwnershipControls)
        simple("GetBucketAcl", getBucketAcl)
        simple("PutBucketAcl", putBucketAcl)
        simple("GetObjectAcl", getObjectAcl)
        simple("PutObjectAcl", putObjectAcl)
        simple("PutPublicAccessBlock", putPublicAccessBlock)
        simple("GetPublicAccessBlock", getPublicAccessBlock)
        simple("DeletePublicAccessBlock", deletePublicAccessBlock)
        simple("GetBucketEncryption", getBucketEncryption)
        simple("PutBucketEncryption", putBucketEncryption)
        simple("DeleteBucketEncryption", deleteBucketEncryption)
        // Objects
        on("PutObject", putObject)
        on("GetObject", getObject)
        simple("GetObjectAttributes", getObjectAttributes)
        on("HeadObject", headObject)
        simple("DeleteObject", deleteObject)
        simple("DeleteObjects", deleteObjects)
        simple("CopyObject", copyObject)
        simple("ListObjects", listObjectsV1)
        simple("ListObjectsV2", listObjectsV2)
        simple("PutObjectTagging", putObjectTagging)
        simple("GetObjectTagging", getObjectTagging)
        simple("DeleteObjectTagging", deleteObjectTagging)
        on("RestoreObject", restoreObject)
        // Multipart
        simple("CreateMultipartUpload", createMultipartUpload)
        simple("UploadPart", uploadPart)
        simple("UploadPartCopy", uploadPartCopy)
        simple("CompleteMultipartUpload", completeMultipartUpload)
        simple("AbortMultipartUpload", abortMultipartUpload)
        simple("ListParts", listParts)
        simple("ListMultipartUploads", listMultipartUploads)
        let configuration = configurationHandlers()
        handlers.merge(configuration.handlers) { ours, _ in ours }
        var definition = ServiceDefinition(
            model: .s3,
            handlers: handlers,
            constraintValidation: .service,
            authorization: Self.authorization.merging(configuration.authorization) { ours, _ in ours },
            authorizationContext: Self.authorizationContext(for: handlers.keys)
        )
        // A missing key is NoSuchKey only to a caller that may list the bucket; AccessDenied to any other.
        let missingKey = AbsenceDisclosure(
            action: "s3:ListBucket", resource: { input in input["Bucket"]?.stringValue.map { "arn:aws:s3:::" + $0 } },
            notFoundCodes: ["NoSuchKey"], absence: { [self] input, _ in try await absentKey(input) }
        )
        definition.absenceDisclosure = ["GetObject": missingKey, "HeadObject": missingKey, "GetObjectAttributes": missingKey]
        definition.preflight = { [self] request, context -> PreflightAnswer? in
            if request.method != "OPTIONS", let host = request.host ?? request.header("Host"), let site = ServiceCatalog.websiteBucket(host: host) {
                return await answerWebsite(request, context, bucket: site)
            }
            switch request.method {
            case "OPTIONS": return await corsPreflight(request, context).map { PreflightAnswer($0) }
            case "POST": return await postObject(request, context)
            default: return nil
            }
        }
        definition.streamsPreflightBody = { request in
            request.method == "POST" && request.header("content-type").map(MultipartFormData.isFormData) == true && Self.postBucket(request) != nil
        }
        definition.decorateResponse = { [self] in await decorate($0, $1, &$2) }
        definition.onCompletion = { [self] in await accessLog($0) }
        return definition
    }

    // MARK: Lookups shared by the handlers

    /// Bucket records as read on every request (by the authorizer and the handler), decoded once per change.
    static let bucketRecords = DecodedRecordCache<BucketRecord>()
    /// Current object records of hot keys (a GET reads the record before it streams the data).
    static let objectRecords = DecodedRecordCache<ObjectRecord>()

    /// The bucket named in the input, or `NoSuchBucket`; checks `x-amz-expected-bucket-owner`.
    func bucket(_ input: ShapeValue) async throws -> BucketRecord {
        let name = input["Bucket"]?.stringValue ?? ""
        guard let record = try await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, name) }) else {
            throw AWSError.noSuchBucket(name)
        }
        if let expected = input["ExpectedBucketOwner"]?.stringValue, expected != record.account {
            throw AWSError.accessDenied()
        }
        return record
    }

    func object(bucket: String, key: String) async throws -> ObjectRecord? {
        try await store.read { try Self.objectRecords.get($0, S3Keys.objects, S3Keys.object(bucket, key)) }
    }

    /// The object key in the input, checked against S3's limit of 1,024 bytes.
    static func objectKey(_ input: ShapeValue) throws -> String {
        let key = input["Key"]?.stringValue ?? ""
        guard !key.isEmpty else { throw AWSError.invalidArgument("Key must not be empty", name: "Key") }
        guard key.utf8.count <= 1024 else { throw AWSError.keyTooLong }
        return key
    }

    /// The canonical user id S3 shows as an owner's `ID`: stable per account, 64 hex digits.
    static func canonicalUserID(_ account: String) -> String {
        Hex.encode(SHA256.hash(data: Array("nimbus-canonical-user:\(account)".utf8)))
    }

    /// An owner as S3 names it: by canonical ID alone (S3 stopped sending `DisplayName` on 21 November 2025).
    static func owner(_ account: String) -> ShapeValue {
        .structure(["ID": .string(canonicalUserID(account))])
    }

    /// Destroys pieces no record refers to any more. The data keys went with the records; removing the
    /// pieces is tidiness, so a failure is not the caller's failure.
    func discard(_ pieces: [DataPiece]) async {
        for piece in pieces {
            try? await blobs.delete(piece.blob)
        }
    }
}
