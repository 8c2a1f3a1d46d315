//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
public import NimbusStorage
import NimbusWire

// What each S3 operation needs, from the Service Authorization Reference: S3's actions are not named after
// its operations (HeadObject needs s3:GetObject, ListObjectsV2 needs s3:ListBucket), and its resources are
// `arn:aws:s3:::bucket` and `arn:aws:s3:::bucket/key`.

extension S3Service {
    /// Not an AWS condition key: how the upload id of AbortMultipartUpload and ListParts reaches the initiator's
    /// default permission (no policy names it).
    package static let uploadIDConditionKey = "nimbus:UploadId"
    /// Not an AWS condition key: the request's `x-amz-request-payer`, which a Requester Pays bucket's
    /// effective policy asks of callers outside its account.
    static let requestPayerConditionKey = "nimbus:RequestPayer"

    /// `authorizationContext` for every operation in `names`, each adding `requestPayerConditionKey` to its own keys.
    static func authorizationContext(for names: some Sequence<String>) -> [String: AuthorizationContextProvider] {
        var providers: [String: AuthorizationContextProvider] = [:]
        for name in names {
            let own = authorizationContext[name]
            providers[name] = { input, context in
                var keys = try await own?(input, context) ?? [:]
                if let payer = input["RequestPayer"]?.stringValue { keys[requestPayerConditionKey] = [payer] }
                return keys
            }
        }
        return providers
    }

    /// Whether `principalARN` may abort the upload, or list its parts, as its initiator: S3 allows the
    /// initiator (and, for an IAM user, the user's account) by default, whatever the bucket's policy says
    /// unless it denies explicitly (which the authorizer decides before asking). `resource` is the object's ARN.
    public static func isUploadInitiator(in store: any MetadataStore, resource: String, uploadID: String, principalARN: String) async throws -> Bool {
        let prefix = "arn:aws:s3:::"
        guard resource.hasPrefix(prefix), let slash = resource.dropFirst(prefix.count).firstIndex(of: "/") else { return false }
        let bucket = String(resource.dropFirst(prefix.count)[..<slash])
        guard let upload = try await store.read({ try $0.getJSON(UploadRecord.self, S3Keys.uploads, bucket + "/" + uploadID) }),
            resource == prefix + bucket + "/" + upload.key
        else { return false }
        if upload.initiatorARN == principalARN { return true }
        // An IAM user's account root may stop what the user started.
        let initiator = upload.initiatorARN.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return initiator.count == 6 && initiator[5].hasPrefix("user/") && principalARN == "arn:aws:iam::\(initiator[4]):root"
    }

    static let bucketARN = "arn:${Partition}:s3:::${Bucket}"
    static let objectARN = "arn:${Partition}:s3:::${Bucket}/${Key}"

    static let authorization: [String: OperationAuthorization] = {
        func bucket(_ action: String) -> OperationAuthorization { OperationAuthorization(action: "s3:" + action, resource: bucketARN) }
        func object(_ action: String) -> OperationAuthorization { OperationAuthorization(action: "s3:" + action, resource: objectARN) }
        /// An object operation whose action differs when the request names a version (`?versionId=`).
        func version(_ action: String, _ versionAction: String) -> OperationAuthorization {
            object(action).when("VersionId", actions: ["s3:" + versionAction])
        }
        return [
            "ListBuckets": OperationAuthorization(actions: ["s3:ListAllMyBuckets"]),
            "CreateBucket": bucket("CreateBucket"),
            "DeleteBucket": bucket("DeleteBucket"),
            "HeadBucket": bucket("ListBucket"),
            "ListObjects": bucket("ListBucket"),
            "ListObjectsV2": bucket("ListBucket"),
            "ListObjectVersions": bucket("ListBucketVersions"),
            "ListMultipartUploads": bucket("ListBucketMultipartUploads"),
            "GetBucketLocation": bucket("GetBucketLocation"),
            "GetBucketTagging": bucket("GetBucketTagging"),
            "PutBucketTagging": bucket("PutBucketTagging"),
            "DeleteBucketTagging": bucket("PutBucketTagging"),
            "GetBucketPolicy": bucket("GetBucketPolicy"),
            "GetBucketPolicyStatus": bucket("GetBucketPolicyStatus"),
            "PutBucketPolicy": bucket("PutBucketPolicy"),
            "DeleteBucketPolicy": bucket("DeleteBucketPolicy"),
            "GetBucketVersioning": bucket("GetBucketVersioning"),
            "PutBucketVersioning": bucket("PutBucketVersioning"),
            "GetBucketOwnershipControls": bucket("GetBucketOwnershipControls"),
            "PutBucketOwnershipControls": bucket("PutBucketOwnershipControls"),
            "DeleteBucketOwnershipControls": bucket("PutBucketOwnershipControls"),
            "GetBucketAcl": bucket("GetBucketAcl"),
            "PutBucketAcl": bucket("PutBucketAcl"),
            "GetObjectAcl": version("GetObjectAcl", "GetObjectVersionAcl"),
            "PutObjectAcl": version("PutObjectAcl", "PutObjectVersionAcl"),
            "PutPublicAccessBlock": bucket("PutBucketPublicAccessBlock"),
            "GetPublicAccessBlock": bucket("GetBucketPublicAccessBlock"),
            "DeletePublicAccessBlock": bucket("PutBucketPublicAccessBlock"),
            "GetBucketEncryption": bucket("GetEncryptionConfiguration"),
            "PutBucketEncryption": bucket("PutEncryptionConfiguration"),
            "DeleteBucketEncryption": bucket("PutEncryptionConfiguration"),
            "PutObjectLockConfiguration": bucket("PutBucketObjectLockConfiguration"),
            "GetObjectLockConfiguration": bucket("GetBucketObjectLockConfiguration"),
            "PutObjectRetention": object("PutObjectRetention"),
            "GetObjectRetention": object("GetObjectRetention"),
            "PutObjectLegalHold": object("PutObjectLegalHold"),
            "GetObjectLegalHold": object("GetObjectLegalHold"),
            "PutObject": object("PutObject"),
            "GetObject": version("GetObject", "GetObjectVersion"),
            "HeadObject": version("GetObject", "GetObjectVersion"),
            "GetObjectAttributes": version("GetObjectAttributes", "GetObjectVersionAttributes"),
            "DeleteObject": version("DeleteObject", "DeleteObjectVersion"),
            // Each key needs s3:DeleteObject; the handler asks for each, and reports denials per key, as S3 does.
            "DeleteObjects": .unauthorized,
            // And s3:GetObject on the source, which the handler checks.
            "CopyObject": object("PutObject"),
            "GetObjectTagging": version("GetObjectTagging", "GetObjectVersionTagging"),
            "PutObjectTagging": version("PutObjectTagging", "PutObjectVersionTagging"),
            "DeleteObjectTagging": version("DeleteObjectTagging", "DeleteObjectVersionTagging"),
            "CreateMultipartUpload": object("PutObject"),
            "UploadPart": object("PutObject"),
            "UploadPartCopy": object("PutObject"),
            "CompleteMultipartUpload": object("PutObject"),
            "AbortMultipartUpload": object("AbortMultipartUpload"),
            "ListParts": object("ListMultipartUploadParts"),
            "RestoreObject": object("RestoreObject"),
        ]
    }()

    /// S3's own condition keys, from the request.
    static let authorizationContext: [String: AuthorizationContextProvider] = {
        let listing: AuthorizationContextProvider = { input, _ in
            var keys: [String: [String]] = [:]
            if let v = input["Prefix"]?.stringValue { keys["s3:prefix"] = [v] }
            if let v = input["Delimiter"]?.stringValue { keys["s3:delimiter"] = [v] }
            if let v = input["MaxKeys"]?.integerValue { keys["s3:max-keys"] = [String(v)] }
            return keys
        }
        let write: AuthorizationContextProvider = { input, _ in
            var keys: [String: [String]] = [:]
            if let v = input["ServerSideEncryption"]?.stringValue { keys["s3:x-amz-server-side-encryption"] = [v] }
            if let v = input["ACL"]?.stringValue { keys["s3:x-amz-acl"] = [v] }
            if let v = input["StorageClass"]?.stringValue { keys["s3:x-amz-storage-class"] = [v] }
            if let v = input["CopySource"]?.stringValue { keys["s3:x-amz-copy-source"] = [v] }
            if let v = input["MetadataDirective"]?.stringValue { keys["s3:x-amz-metadata-directive"] = [v] }
            return keys
        }
        // Which upload a request is about, for the default permission of its initiator (`uploadInitiator`).
        let upload: AuthorizationContextProvider = { input, _ in
            input["UploadId"]?.stringValue.map { [S3Service.uploadIDConditionKey: [$0]] } ?? [:]
        }
        return [
            "ListObjects": listing, "ListObjectsV2": listing,
            "PutObject": write, "CopyObject": write, "CreateMultipartUpload": write,
            "AbortMultipartUpload": upload, "ListParts": upload,
        ]
    }()
}
