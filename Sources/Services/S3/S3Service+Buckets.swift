//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusPolicy
import NimbusStorage
import NimbusWire

extension S3Service {
    // MARK: Create, head, delete, list

    func createBucket(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let name = input["Bucket"]?.stringValue ?? ""
        try Self.validateBucketName(name)
        let constraint = input["CreateBucketConfiguration"]?["LocationConstraint"]?.stringValue
        let region: String
        switch (constraint, context.region) {
        case (nil, "us-east-1"), ("", "us-east-1"):
            region = "us-east-1"
        case (nil, _), ("", _):
            throw AWSError(
                code: "IllegalLocationConstraintException",
                message: "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
                status: 400
            )
        case (let c?, let r) where c != r && r != "us-east-1":
            // A constraint other than the endpoint's region, us-east-1 included (AWS-verified in moto's tests).
            throw AWSError(
                code: "IllegalLocationConstraintException",
                message: "The \(c) location constraint is incompatible for the region specific endpoint this request was sent to.",
                status: 400
            )
        case ("us-east-1"?, _):
            throw AWSError(code: "InvalidLocationConstraint", message: "The specified location-constraint is not valid", status: 400,
                           extra: [("LocationConstraint", "us-east-1")])
        case (let c?, _):
            region = c
        }
        let account = context.principal.accountID
        var record = BucketRecord(
            name: name, account: account, region: region, createdAt: clock.now,
            ownership: input["ObjectOwnership"]?.stringValue ?? "BucketOwnerEnforced",
            objectLockEnabled: input["ObjectLockEnabledForBucket"]?.booleanValue == true ? true : nil
        )
        // Object Lock needs versioning, and turns it on for good.
        if record.objectLockEnabled == true { record.versioning = "Enabled" }
        guard ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"].contains(record.ownership ?? "") else {
            throw AWSError.invalidArgument("Invalid x-amz-object-ownership header", name: "x-amz-object-ownership", value: record.ownership)
        }
        record.publicAccessBlock = .all
        let grants = try await resolvedGrants(input, bucketOwner: account)
        if let grants, !grants.isEmpty {
            if record.ownership == "BucketOwnerEnforced" {
                throw AWSError(code: "InvalidBucketAclWithObjectOwnership", message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", status: 400)
            }
            record.acl = grants
        }
        let newRecord = record
        let existing: BucketRecord? = try await store.write { tx in
            if let existing = try tx.getJSON(BucketRecord.self, S3Keys.buckets, name) { return existing }
            try tx.putJSON(S3Keys.buckets, name, newRecord)
            try tx.put(S3Keys.accountBuckets, account + "/" + name, [])
            return nil
        }
        if let existing {
            // In us-east-1, S3 answers 200 to the owner re-creating its bucket (a legacy behaviour it keeps).
            guard existing.account == account else { throw AWSError.bucketAlreadyExists(name) }
            if existing.region != "us-east-1" || region != "us-east-1" { throw AWSError.bucketAlreadyOwnedByYou(name) }
        }
        return .structure(["Location": .string("/" + name), "BucketArn": .string(record.arn)])
    }

    func headBucket(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        return .structure(["BucketRegion": .string(record.region), "BucketArn": .string(record.arn)])
    }

    func deleteBucket(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        // Uploads in progress do not keep a bucket alive: S3 deletes the bucket and them with it.
        let parts = try await store.write { tx -> [DataPiece] in
            guard try tx.scan(S3Keys.objects, prefix: record.name + "/", after: nil, reverse: false, limit: 1).isEmpty,
                try tx.scan(S3Keys.versions, prefix: record.name + "/", after: nil, reverse: false, limit: 1).isEmpty
            else { throw AWSError.bucketNotEmpty(record.name) }
            try tx.delete(S3Keys.buckets, record.name)
            try tx.delete(S3Keys.accountBuckets, record.account + "/" + record.name)
            let parts = try tx.scanJSON(PartRecord.self, S3Keys.parts, prefix: record.name + "/").map(\.value.piece)
            try tx.deleteAll(S3Keys.parts, prefix: record.name + "/")
            try tx.deleteAll(S3Keys.uploads, prefix: record.name + "/")
            try tx.deleteAll(S3Keys.uploadsByKey, prefix: record.name + "/")
            try tx.deleteAll(S3Keys.completedUploads, prefix: record.name + "/")
            return parts
        }
        await discard(parts)
        return .empty
    }

    func listBuckets(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let account = context.principal.accountID
        let prefix = input["Prefix"]?.stringValue ?? ""
        let regionFilter = input["BucketRegion"]?.stringValue
        let maxBuckets = Int(input["MaxBuckets"]?.integerValue ?? 10_000)
        guard (1...10_000).contains(maxBuckets) else {
            throw AWSError.invalidArgument("Argument max-buckets must be an integer between 1 and 10000.", name: "max-buckets", value: String(maxBuckets))
        }
        let after = input["ContinuationToken"]?.stringValue.flatMap { Data(base64Encoded: $0) }.flatMap { String(data: $0, encoding: .utf8) }
        let records: [BucketRecord] = try await store.read { tx in
            let names = try tx.scan(S3Keys.accountBuckets, prefix: account + "/" + prefix, after: after.map { account + "/" + $0 }, reverse: false, limit: .max)
            return try names.compactMap { entry in
                try tx.getJSON(BucketRecord.self, S3Keys.buckets, String(entry.key.dropFirst(account.count + 1)))
            }
        }
        let filtered = records.filter { regionFilter == nil || $0.region == regionFilter }
        let page = filtered.prefix(maxBuckets)
        var out: [String: ShapeValue] = [
            "Buckets": .list(page.map {
                .structure(["Name": .string($0.name), "CreationDate": .timestamp($0.createdAt), "BucketRegion": .string($0.region), "BucketArn": .string($0.arn)])
            }),
            "Owner": Self.owner(account),
        ]
        if !prefix.isEmpty { out["Prefix"] = .string(prefix) }
        if filtered.count > page.count, let last = page.last {
            out["ContinuationToken"] = .string(Data(last.name.utf8).base64EncodedString())
        }
        return .structure(out)
    }

    func getBucketLocation(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        // us-east-1 is reported as an empty constraint, as S3 always has.
        return .structure(["LocationConstraint": .string(record.region == "us-east-1" ? "" : record.region)])
    }

    // MARK: Settings

    func putBucketTagging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let tags = try Self.tagSet(input["Tagging"]?["TagSet"], limit: 50)
        try await update(record.name) { $0.tags = tags }
        return .empty
    }

    func getBucketTagging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let tags = record.tags, !tags.isEmpty else {
            throw AWSError.noSuchTagSet(record.name)
        }
        return .structure(["TagSet": Self.tagList(tags)])
    }

    func deleteBucketTagging(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        try await update(record.name) { $0.tags = nil }
        return .empty
    }

    func putBucketPolicy(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let policy = input["Policy"]?.stringValue, !policy.isEmpty else { throw AWSError.malformedXML }
        guard policy.utf8.count <= 20 * 1024 else {
            throw AWSError(code: "PolicyTooLarge", message: "Policy exceeds the maximum allowed document size.", status: 400)
        }
        do throws(PolicyError) {
            _ = try PolicyDocument.parse(policy, kind: .resourcePolicy(sizeLimit: 20 * 1024))
        } catch {
            throw AWSError(code: "MalformedPolicy", message: error.message, status: 400)
        }
        if Self.isPublic(policy: policy), try await effectiveBlock(record)?.blockPublicPolicy == true {
            throw AWSError.accessDenied("User: \(context.principal.arn) is not authorized to perform: s3:PutBucketPolicy on resource: \"\(record.arn)\" because public policies are blocked by the BlockPublicPolicy block public access setting.")
        }
        try await update(record.name) { $0.policy = policy }
        return .empty
    }

    func getBucketPolicy(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let policy = record.policy else { throw AWSError.noSuchBucketPolicy(record.name) }
        return .structure(["Policy": .string(policy)])
    }

    /// Whether the bucket policy makes the bucket public; S3 answers `NoSuchBucketPolicy` when there is none.
    func getBucketPolicyStatus(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let policy = record.policy else { throw AWSError.noSuchBucketPolicy(record.name) }
        return .structure(["PolicyStatus": .structure(["IsPublic": .boolean(Self.isPublic(policy: policy))])])
    }

    func deleteBucketPolicy(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        try await update(record.name) { $0.policy = nil }
        return .empty
    }

    func getBucketOwnershipControls(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard record.ownership != BucketRecord.noOwnershipControls else {
            throw AWSError(code: "OwnershipControlsNotFoundError", message: "The bucket ownership controls were not found", status: 404,
                           extra: [("BucketName", record.name)])
        }
        return .structure([
            "OwnershipControls": .structure([
                "Rules": .list([.structure(["ObjectOwnership": .string(record.ownership ?? "BucketOwnerEnforced")])]),
            ]),
        ])
    }

    /// Read-modify-write of a bucket's record in one transaction.
    func update(_ name: String, _ change: @escaping @Sendable (inout BucketRecord) throws -> Void) async throws {
        try await store.write { tx in
            guard var record = try tx.getJSON(BucketRecord.self, S3Keys.buckets, name) else { throw AWSError.noSuchBucket(name) }
            try change(&record)
            try tx.putJSON(S3Keys.buckets, name, record)
        }
    }

    // MARK: Rules

    /// S3's rules for general purpose bucket names.
    static func validateBucketName(_ name: String) throws {
        let bytes = Array(name.utf8)
        func isLowerAlnum(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        guard (3...63).contains(bytes.count),
            let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last),
            bytes.allSatisfy({ isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
            !name.contains(".."), !name.contains(".-"), !name.contains("-."),
            !["xn--", "sthree-", "amzn-s3-demo-"].contains(where: name.hasPrefix),
            !["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].contains(where: name.hasSuffix),
            !isIPv4(name)
        else { throw AWSError.invalidBucketName(name) }
    }

    private static func isIPv4(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }
    }

    /// A `TagSet` from XML: unique keys of 1–128 characters, values of at most 256.
    /// A tag set from its XML (or the tagging header's pairs): a bucket's (up to 50 tags) or an object's (up to 10).
    static func tagSet(_ value: ShapeValue?, limit: Int) throws -> [String: String] {
        var tags: [String: String] = [:]
        for item in value?.listValue ?? [] {
            guard let key = item["Key"]?.stringValue, let tagValue = item["Value"]?.stringValue else { throw AWSError.malformedXML }
            guard (1...128).contains(key.count), tagValue.count <= 256 else {
                throw AWSError(code: "InvalidTag", message: "The TagKey you have provided is invalid", status: 400)
            }
            guard tags[key] == nil else {
                throw AWSError(code: "InvalidTag", message: "Cannot provide multiple Tags with the same key", status: 400)
            }
            // `aws:` tags are AWS's own (CloudFormation's, for one); a requester cannot set them.
            guard !key.utf8.starts(with: "aws:".utf8) else {
                // S3 words it differently for buckets and objects (AWS-verified in moto's tests).
                let message = limit > 10 ? "System tags cannot be added/updated by requester" : "Your TagKey cannot be prefixed with aws:"
                throw AWSError(code: "InvalidTag", message: message, status: 400)
            }
            tags[key] = tagValue
        }
        guard tags.count <= limit else {
            throw AWSError(code: "BadRequest", message: "Object tags cannot be greater than \(limit)", status: 400)
        }
        return tags
    }

    static func tagList(_ tags: [String: String]) -> ShapeValue {
        .list(tags.keys.sorted().map { .structure(["Key": .string($0), "Value": .string(tags[$0]!)]) })
    }
}
