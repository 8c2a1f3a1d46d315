//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage
import NimbusWire
import Synchronization

// ACLs, Object Ownership and Block Public Access.
//
// New buckets have ownership `BucketOwnerEnforced` (ACLs disabled) and all four Block Public Access
// settings on, as AWS has made them since 2023. Where ACLs are allowed, their grants to the public groups
// take part in authorization the way AWS describes them: as if they were statements of the bucket policy.
// The policy engine sees one resource policy per bucket: the bucket policy (without its public statements
// when RestrictPublicBuckets is on) plus those ACL statements (unless IgnorePublicAcls is on).

extension S3Service {
    static let aclNotSupported = AWSError(code: "AccessControlListNotSupported", message: "The bucket does not allow ACLs", status: 400)
    static let permissions: Set<String> = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"]

    // MARK: Requested grants

    /// The grants a request asks for: a canned `x-amz-acl`, `x-amz-grant-*` headers, or an
    /// `AccessControlPolicy` body; nil when it asks for none.
    static func requestedGrants(_ input: ShapeValue, bucketOwner: String) throws -> [S3Grant]? {
        var grants: [S3Grant] = []
        var asked = false
        if let canned = input["ACL"]?.stringValue {
            asked = true
            switch canned {
            case "private", "aws-exec-read": break
            case "public-read": grants = [S3Grant(uri: S3Grant.allUsers, permission: "READ")]
            case "public-read-write": grants = [S3Grant(uri: S3Grant.allUsers, permission: "READ"), S3Grant(uri: S3Grant.allUsers, permission: "WRITE")]
            case "authenticated-read": grants = [S3Grant(uri: S3Grant.authenticatedUsers, permission: "READ")]
            case "bucket-owner-read": grants = [S3Grant(id: canonicalUserID(bucketOwner), permission: "READ")]
            case "bucket-owner-full-control": grants = [S3Grant(id: canonicalUserID(bucketOwner), permission: "FULL_CONTROL")]
            case "log-delivery-write": grants = [S3Grant(uri: S3Grant.logDelivery, permission: "WRITE"), S3Grant(uri: S3Grant.logDelivery, permission: "READ_ACP")]
            default: throw AWSError.invalidArgument("", name: "x-amz-acl", value: canned)
            }
        }
        let headers = [("GrantRead", "READ"), ("GrantWrite", "WRITE"), ("GrantReadACP", "READ_ACP"), ("GrantWriteACP", "WRITE_ACP"), ("GrantFullControl", "FULL_CONTROL")]
        for (member, permission) in headers {
            guard let value = input[member]?.stringValue else { continue }
            if input["ACL"] != nil {
                throw AWSError.invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
            }
            asked = true
            for part in value.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { throw AWSError.invalidArgument("Invalid grantee", name: "x-amz-grant") }
                let grantee = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                switch pair[0].lowercased() {
                case "id": grants.append(S3Grant(id: grantee, permission: permission))
                case "uri": grants.append(S3Grant(uri: grantee, permission: permission))
                case "emailaddress":
                    throw AWSError(code: "UnresolvableGrantByEmailAddress", message: "The e-mail address you provided does not match any account on record.", status: 400)
                default: throw AWSError.invalidArgument("Invalid grantee", name: "x-amz-grant")
                }
            }
        }
        if let body = input["AccessControlPolicy"] {
            if asked { throw AWSError.invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed") }
            asked = true
            for item in body["Grants"]?.listValue ?? [] {
                guard let permission = item["Permission"]?.stringValue, permissions.contains(permission), let grantee = item["Grantee"] else {
                    throw AWSError.malformedXML
                }
                switch grantee["Type"]?.stringValue {
                case "CanonicalUser"?:
                    guard let id = grantee["ID"]?.stringValue else { throw AWSError.malformedXML }
                    grants.append(S3Grant(id: id, permission: permission))
                case "Group"?:
                    guard let uri = grantee["URI"]?.stringValue else { throw AWSError.malformedXML }
                    grants.append(S3Grant(uri: uri, permission: permission))
                case "AmazonCustomerByEmail"?:
                    throw AWSError(code: "UnresolvableGrantByEmailAddress", message: "The e-mail address you provided does not match any account on record.", status: 400)
                default:
                    throw AWSError.malformedXML
                }
            }
        }
        for grant in grants where grant.uri != nil && ![S3Grant.allUsers, S3Grant.authenticatedUsers, S3Grant.logDelivery].contains(grant.uri!) {
            throw AWSError.invalidArgument("Invalid group uri", name: "uri", value: grant.uri)
        }
        // The owner's full control is implied; keep only what adds to it.
        let owner = canonicalUserID(bucketOwner)
        return asked ? grants.filter { !($0.id == owner && $0.permission == "FULL_CONTROL") } : nil
    }

    /// ``requestedGrants(_:bucketOwner:)`` with each canonical-user grantee resolved to its account: an ID that
    /// names no account is `InvalidArgument`, as S3 answers it.
    func resolvedGrants(_ input: ShapeValue, bucketOwner: String) async throws -> [S3Grant]? {
        guard var grants = try Self.requestedGrants(input, bucketOwner: bucketOwner) else { return nil }
        guard let accountIDs, grants.contains(where: { $0.id != nil }) else { return grants }
        for i in grants.indices {
            guard let id = grants[i].id else { continue }
            var account: String? = id == Self.canonicalUserID(bucketOwner) ? bucketOwner : canonicalAccounts.withLock { $0[id] }
            if account == nil {
                var known: [String: String] = [:]
                for accountID in try await accountIDs() { known[Self.canonicalUserID(accountID)] = accountID }
                canonicalAccounts.withLock { $0 = known }
                account = known[id]
            }
            guard let account else { throw AWSError.invalidArgument("Invalid id", name: "CanonicalUser/ID", value: id) }
            grants[i].account = account
        }
        return grants
    }

    /// Refuses grants that the bucket's ownership setting or Block Public Access (the bucket's or the
    /// account's) forbids.
    func checkGrants(_ grants: [S3Grant]?, bucket: BucketRecord) async throws {
        guard let grants, !grants.isEmpty else { return }
        if (bucket.ownership ?? "BucketOwnerEnforced") == "BucketOwnerEnforced" { throw Self.aclNotSupported }
        if grants.contains(where: \.isPublic), try await effectiveBlock(bucket)?.blockPublicAcls == true { throw AWSError.accessDenied() }
    }

    /// Account-wide Block Public Access settings, as read with every request's effective policy.
    static let accountBlocks = DecodedRecordCache<PublicAccessBlock>(capacity: 1_024)

    /// The Block Public Access settings in force for `bucket`: its own combined with its account's.
    static func effectiveBlock(_ bucket: BucketRecord, _ reader: any StoreReader) throws -> PublicAccessBlock? {
        PublicAccessBlock.combined(bucket.publicAccessBlock, try accountBlocks.get(reader, S3Keys.accountPublicAccessBlocks, bucket.account))
    }

    func effectiveBlock(_ bucket: BucketRecord) async throws -> PublicAccessBlock? {
        try await store.read { try Self.effectiveBlock(bucket, $0) }
    }

    // MARK: ACL operations

    func getBucketAcl(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        return Self.aclOutput(owner: bucket.account, grants: bucket.acl ?? [])
    }

    func putBucketAcl(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let grants = try await resolvedGrants(input, bucketOwner: bucket.account) ?? []
        try await checkGrants(grants, bucket: bucket)
        try await update(bucket.name) { $0.acl = grants.isEmpty ? nil : grants }
        return .empty
    }

    func getObjectAcl(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let record = try await readableVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue)
        return Self.aclOutput(owner: record.owner, grants: record.acl ?? [])
    }

    func putObjectAcl(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let grants = try await resolvedGrants(input, bucketOwner: bucket.account) ?? []
        try await checkGrants(grants, bucket: bucket)
        try await updateVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue) { $0.acl = grants.isEmpty ? nil : grants }
        return .empty
    }

    static func aclOutput(owner: String, grants: [S3Grant]) -> ShapeValue {
        func grantee(_ grant: S3Grant) -> ShapeValue {
            if let uri = grant.uri { return .structure(["Type": .string("Group"), "URI": .string(uri)]) }
            return .structure(["Type": .string("CanonicalUser"), "ID": .string(grant.id ?? "")])
        }
        let ownerGrant = ShapeValue.structure([
            "Grantee": .structure(["Type": .string("CanonicalUser"), "ID": .string(canonicalUserID(owner))]),
            "Permission": .string("FULL_CONTROL"),
        ])
        return .structure([
            "Owner": Self.owner(owner),
            "Grants": .list([ownerGrant] + grants.map { .structure(["Grantee": grantee($0), "Permission": .string($0.permission)]) }),
        ])
    }

    // MARK: Ownership and Block Public Access

    func putBucketOwnershipControls(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard let rules = input["OwnershipControls"]?["Rules"]?.listValue, rules.count == 1,
            let ownership = rules[0]["ObjectOwnership"]?.stringValue,
            ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"].contains(ownership)
        else { throw AWSError.malformedXML }
        if ownership == "BucketOwnerEnforced", bucket.acl?.isEmpty == false {
            throw AWSError(code: "InvalidBucketAclWithObjectOwnership", message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", status: 400)
        }
        try await update(bucket.name) { $0.ownership = ownership }
        return .empty
    }

    func deleteBucketOwnershipControls(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        // Without controls a bucket is as buckets were before them: the writer owns its objects, ACLs apply.
        try await update(bucket.name) { $0.ownership = BucketRecord.noOwnershipControls }
        return .empty
    }

    func putPublicAccessBlock(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard let c = input["PublicAccessBlockConfiguration"] else { throw AWSError.malformedXML }
        let block = Self.publicAccessBlock(from: c)
        try await update(bucket.name) { $0.publicAccessBlock = block }
        return .empty
    }

    func getPublicAccessBlock(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard let block = bucket.publicAccessBlock else {
            throw AWSError(code: "NoSuchPublicAccessBlockConfiguration", message: "The public access block configuration was not found", status: 404,
                           extra: [("BucketName", bucket.name)])
        }
        return .structure(["PublicAccessBlockConfiguration": Self.publicAccessBlockShape(block)])
    }

    func deletePublicAccessBlock(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        try await update(bucket.name) { $0.publicAccessBlock = nil }
        return .empty
    }

    // MARK: The resource policy the authorizer sees

    /// Whether a policy statement grants to everyone: `Allow` to `*` (or `{"AWS": "*"}`) with no condition.
    /// (AWS also treats some conditions as non-restricting; a statement with any condition counts as
    /// restricted here.)
    static func isPublic(statement: [String: Any]) -> Bool {
        guard (statement["Effect"] as? String) == "Allow", statement["Condition"] == nil else { return false }
        if let p = statement["Principal"] as? String { return p == "*" }
        if let p = statement["Principal"] as? [String: Any] {
            if let aws = p["AWS"] as? String { return aws == "*" }
            if let aws = p["AWS"] as? [String] { return aws.contains("*") }
        }
        return false
    }

    static func statements(of policy: String) -> [[String: Any]]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any] else { return nil }
        if let one = object["Statement"] as? [String: Any] { return [one] }
        return object["Statement"] as? [[String: Any]]
    }

    static func isPublic(policy: String) -> Bool {
        statements(of: policy)?.contains(where: isPublic(statement:)) ?? false
    }

    /// Statements equivalent to the grants of an ACL on `resource`: to everybody for the public groups (unless
    /// `ignorePublic`), to an account's principals for a canonical user of another account than `owner`.
    static func aclStatements(_ grants: [S3Grant], bucket: String, key: String?, owner: String, ignorePublic: Bool) -> [[String: Any]] {
        var out: [[String: Any]] = []
        for grant in grants {
            let principal: Any
            if grant.isPublic, !ignorePublic {
                principal = "*"
            } else if let account = grant.account, account != owner {
                principal = ["AWS": "arn:aws:iam::\(account):root"]
            } else {
                continue
            }
            var actions: [String] = []
            let resource: String
            if let key {
                resource = "arn:aws:s3:::\(bucket)/\(key)"
                switch grant.permission {
                case "READ": actions = ["s3:GetObject", "s3:GetObjectVersion"]
                case "READ_ACP": actions = ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"]
                case "WRITE_ACP": actions = ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"]
                case "FULL_CONTROL": actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:PutObjectAcl"]
                default: break
                }
            } else {
                switch grant.permission {
                case "READ": actions = ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"]
                case "WRITE": actions = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
                case "READ_ACP": actions = ["s3:GetBucketAcl"]
                case "WRITE_ACP": actions = ["s3:PutBucketAcl"]
                case "FULL_CONTROL": actions = ["s3:ListBucket", "s3:PutObject", "s3:DeleteObject", "s3:GetBucketAcl", "s3:PutBucketAcl"]
                default: break
                }
                resource = actions.contains("s3:PutObject") ? "arn:aws:s3:::\(bucket)/*" : "arn:aws:s3:::\(bucket)"
            }
            guard !actions.isEmpty else { continue }
            var statement: [String: Any] = ["Effect": "Allow", "Principal": principal, "Action": actions, "Resource": [resource, "arn:aws:s3:::\(bucket)"]]
            if grant.uri == S3Grant.authenticatedUsers {
                // Any signed-in AWS principal, not anonymous callers.
                statement["Condition"] = ["Null": ["aws:PrincipalAccount": "false"]]
            }
            out.append(statement)
        }
        return out
    }

    /// The document the authorizer evaluates for `resource` in `bucket`: the bucket policy as Block Public
    /// Access lets it act, and the public grants of the bucket's and object's ACLs.
    static func effectivePolicy(bucket: BucketRecord, object: ObjectRecord?, key: String?, block: PublicAccessBlock?) -> String? {
        let aclsApply = (bucket.ownership ?? "BucketOwnerEnforced") != "BucketOwnerEnforced"
        let ignorePublic = block?.ignorePublicAcls == true
        var extra: [[String: Any]] = []
        if aclsApply {
            extra += aclStatements(bucket.acl ?? [], bucket: bucket.name, key: nil, owner: bucket.account, ignorePublic: ignorePublic)
            if let object, let key {
                extra += aclStatements(object.acl ?? [], bucket: bucket.name, key: key, owner: bucket.account, ignorePublic: ignorePublic)
            }
        }
        // Requester Pays: a caller outside the owner's account must accept the charge (`x-amz-request-payer`), and
        // anonymous callers are refused outright.
        if bucket.requestPayer != nil {
            let resources = ["arn:aws:s3:::\(bucket.name)", "arn:aws:s3:::\(bucket.name)/*"]
            extra.append(["Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resources, "Condition": [
                "StringNotEquals": ["aws:PrincipalAccount": bucket.account, requestPayerConditionKey: "requester"],
            ]])
            extra.append(["Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resources, "Condition": [
                "StringEquals": ["aws:PrincipalType": "Anonymous"],
            ]])
        }
        let restrict = block?.restrictPublicBuckets == true && bucket.policy.map(isPublic(policy:)) == true
        guard !extra.isEmpty || restrict else { return bucket.policy }
        var statements = bucket.policy.flatMap(statements(of:)) ?? []
        // RestrictPublicBuckets: a public policy grants nothing to anyone outside the bucket owner's account.
        if restrict {
            statements = statements.map { statement in
                guard isPublic(statement: statement) else { return statement }
                var restricted = statement
                restricted["Condition"] = ["StringEquals": ["aws:PrincipalAccount": bucket.account]]
                return restricted
            }
        }
        statements += extra
        let document: [String: Any] = ["Version": "2012-10-17", "Statement": statements]
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]) else { return bucket.policy }
        return String(decoding: data, as: UTF8.self)
    }
}
