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

/// A stored customer managed policy. Usage counts are not stored: they come from the index of uses.
struct ManagedPolicyRecord: Codable, Sendable {
    var PolicyName: String
    var PolicyId: String
    var Arn: String
    var Path: String
    var DefaultVersionId: String
    var Description: String?
    var CreateDate: Date
    var UpdateDate: Date
    var Tags: [Tag]?
    /// The number the next version gets (`v<n>`); versions are never renumbered.
    var nextVersion: Int
}

/// A stored policy version, key `<account>/<lowercased policy name>/<version id>`; also `<PolicyVersion>`.
struct PolicyVersionRecord: Codable, Sendable {
    var Document: String?
    var VersionId: String
    var IsDefaultVersion: Bool
    var CreateDate: Date
}

/// The `<Policy>` element.
struct PolicyOutput: Encodable, Sendable {
    var PolicyName: String
    var PolicyId: String
    var Arn: String
    var Path: String
    var DefaultVersionId: String
    var AttachmentCount: Int
    var PermissionsBoundaryUsageCount: Int
    var IsAttachable: Bool
    var Description: String?
    var CreateDate: Date
    var UpdateDate: Date
    var Tags: [Tag]?
}

extension IAMService {
    static let policiesPerAccount = 1500
    static let versionsPerPolicy = 5

    func managedPolicyHandlers() -> [String: OperationHandler] {
        [
            "CreatePolicy": OperationHandler(createPolicy),
            "GetPolicy": OperationHandler(getPolicy),
            "ListPolicies": OperationHandler(listPolicies),
            "DeletePolicy": OperationHandler(deletePolicy),
            "CreatePolicyVersion": OperationHandler(createPolicyVersion),
            "GetPolicyVersion": OperationHandler(getPolicyVersion),
            "ListPolicyVersions": OperationHandler(listPolicyVersions),
            "DeletePolicyVersion": OperationHandler(deletePolicyVersion),
            "SetDefaultPolicyVersion": OperationHandler(setDefaultPolicyVersion),
            "ListEntitiesForPolicy": OperationHandler(listEntitiesForPolicy),
            "TagPolicy": OperationHandler { (input: TagPolicyInput, context) in
                let account = self.account(context)
                let key = try await self.customerPolicyKey(input.PolicyArn, account: account)
                try await self.modifyTags(namespace: IAMKeys.policies, key: key, notFound: Self.policyNotFound(input.PolicyArn), account: account) {
                    current throws(AWSError) in
                    try IAMValidation.tags(input.Tags, existing: current)
                }
                return EmptyShape()
            },
            "UntagPolicy": OperationHandler { (input: UntagPolicyInput, context) in
                let account = self.account(context)
                let key = try await self.customerPolicyKey(input.PolicyArn, account: account)
                try Self.checkTagKeys(input.TagKeys)
                try await self.modifyTags(namespace: IAMKeys.policies, key: key, notFound: Self.policyNotFound(input.PolicyArn), account: account) { current in
                    let removed = Set(input.TagKeys.map { $0.lowercased() })
                    return current.filter { !removed.contains($0.Key.lowercased()) }
                }
                return EmptyShape()
            },
            "ListPolicyTags": OperationHandler { (input: ListPolicyTagsInput, context) in
                let account = self.account(context)
                let key = try await self.customerPolicyKey(input.PolicyArn, account: account)
                return try await self.listTags(
                    namespace: IAMKeys.policies, key: key, notFound: Self.policyNotFound(input.PolicyArn), marker: input.Marker, maxItems: input.MaxItems
                )
            },
        ]
    }

    struct TagPolicyInput: Decodable, Sendable {
        var PolicyArn: String
        var Tags: [Tag]
    }
    struct UntagPolicyInput: Decodable, Sendable {
        var PolicyArn: String
        var TagKeys: [String]
    }
    struct ListPolicyTagsInput: Decodable, Sendable {
        var PolicyArn: String
        var Marker: String?
        var MaxItems: Int?
    }

    static func policyNotFound(_ arn: String) -> AWSError {
        IAMError.noSuchEntity("Policy \(arn) was not found.")
    }

    /// The store key of a customer managed policy of `account`, checked to exist; AWS managed policies can't be changed.
    func customerPolicyKey(_ arn: String, account: String) async throws -> String {
        let policy = try PolicyARN(arn)
        guard !policy.isAWSManaged else {
            guard AWSManagedPolicies.byName[policy.name]?.arn == arn else { throw Self.policyNotFound(arn) }
            throw IAMError.invalidInput("ARN \(arn) is not valid: AWS managed policies cannot be modified.")
        }
        let key = IAMKeys.nameKey(account, policy.name)
        guard policy.account == account,
            let record = try await store.read({ try $0.getJSON(ManagedPolicyRecord.self, IAMKeys.policies, key) }), record.Arn == arn
        else { throw Self.policyNotFound(arn) }
        return key
    }

    /// The customer policy `arn` of `account` inside a transaction, or `NoSuchEntity`.
    static func customerPolicy(_ arn: String, account: String, in reader: any StoreReader) throws -> (PolicyARN, ManagedPolicyRecord) {
        let policy = try PolicyARN(arn)
        guard !policy.isAWSManaged else {
            guard AWSManagedPolicies.byName[policy.name]?.arn == arn else { throw policyNotFound(arn) }
            throw IAMError.invalidInput("ARN \(arn) is not valid: AWS managed policies cannot be modified.")
        }
        guard policy.account == account,
            let record = try reader.getJSON(ManagedPolicyRecord.self, IAMKeys.policies, IAMKeys.nameKey(account, policy.name)), record.Arn == arn
        else { throw policyNotFound(arn) }
        return (policy, record)
    }

    static func render(_ record: ManagedPolicyRecord, account: String, in reader: any StoreReader) throws -> PolicyOutput {
        let ref = try PolicyARN(record.Arn)
        return PolicyOutput(
            PolicyName: record.PolicyName, PolicyId: record.PolicyId, Arn: record.Arn, Path: record.Path,
            DefaultVersionId: record.DefaultVersionId,
            AttachmentCount: try useCount(reader, account, ref, .permissions),
            PermissionsBoundaryUsageCount: try useCount(reader, account, ref, .boundary),
            IsAttachable: true, Description: record.Description, CreateDate: record.CreateDate, UpdateDate: record.UpdateDate, Tags: record.Tags
        )
    }

    static func render(_ managed: AWSManagedPolicy, account: String, in reader: any StoreReader) throws -> PolicyOutput {
        let ref = try PolicyARN(managed.arn)
        return PolicyOutput(
            PolicyName: managed.name, PolicyId: managed.id, Arn: managed.arn, Path: managed.path, DefaultVersionId: managed.versionId,
            AttachmentCount: try useCount(reader, account, ref, .permissions),
            PermissionsBoundaryUsageCount: try useCount(reader, account, ref, .boundary),
            IsAttachable: true, Description: managed.description, CreateDate: managed.createDate, UpdateDate: managed.updateDate
        )
    }

    static func policyPath(_ path: String?) throws(AWSError) -> String {
        guard let path else { return "/" }
        let ok = path.hasPrefix("/") && path.hasSuffix("/") && path.utf8.count <= 512
            && path.split(separator: "/").allSatisfy { segment in
                segment.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || ".,+@=_-".unicodeScalars.contains($0) }
            }
        guard ok else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(path)' at 'path' failed to satisfy constraint: "
                    + "Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/"
            )
        }
        return path
    }

    struct CreatePolicyInput: Decodable, Sendable {
        var PolicyName: String
        var Path: String?
        var PolicyDocument: String
        var Description: String?
        var Tags: [Tag]?
    }

    struct PolicyResult: Encodable, Sendable {
        var Policy: PolicyOutput
    }

    @Sendable func createPolicy(_ input: CreatePolicyInput, context: RequestContext) async throws -> PolicyResult {
        let account = account(context)
        let path = try Self.policyPath(input.Path)
        let tags = try IAMValidation.tags(input.Tags)
        try validatePolicyDocument(input.PolicyDocument, kind: .identity)
        let now = clock.now
        let record = ManagedPolicyRecord(
            PolicyName: input.PolicyName,
            PolicyId: Identifiers.uniqueID(prefix: "ANPA"),
            Arn: "arn:aws:iam::\(account):policy\(path)\(input.PolicyName)",
            Path: path,
            DefaultVersionId: "v1",
            Description: input.Description,
            CreateDate: now,
            UpdateDate: now,
            Tags: tags.isEmpty ? nil : tags,
            nextVersion: 2
        )
        let output = try await write(account) { tx in
            let key = IAMKeys.nameKey(account, input.PolicyName)
            if try tx.get(IAMKeys.policies, key) != nil {
                throw AWSError(code: "EntityAlreadyExists", message: "A policy called \(input.PolicyName) already exists. Duplicate names are not allowed.", status: 409)
            }
            guard try tx.scan(IAMKeys.policies, prefix: account + "/", limit: Self.policiesPerAccount).count < Self.policiesPerAccount else {
                throw IAMError.limitExceeded("Cannot exceed quota for PoliciesPerAccount: \(Self.policiesPerAccount)")
            }
            try tx.putJSON(IAMKeys.policies, key, record)
            try tx.putJSON(
                IAMKeys.policyVersions, IAMKeys.key(account, input.PolicyName.lowercased(), "v1"),
                PolicyVersionRecord(Document: input.PolicyDocument, VersionId: "v1", IsDefaultVersion: true, CreateDate: now)
            )
            try tx.put(IAMKeys.ids, record.PolicyId, Array("policy:\(key)".utf8))
            return try Self.render(record, account: account, in: tx)
        }
        return PolicyResult(Policy: output)
    }

    struct PolicyArnInput: Decodable, Sendable {
        var PolicyArn: String
    }

    @Sendable func getPolicy(_ input: PolicyArnInput, context: RequestContext) async throws -> PolicyResult {
        let account = account(context)
        let policy = try PolicyARN(input.PolicyArn)
        return try await store.read { reader in
            if policy.isAWSManaged {
                guard let managed = AWSManagedPolicies.byName[policy.name], managed.arn == policy.arn else { throw Self.policyNotFound(policy.arn) }
                return PolicyResult(Policy: try Self.render(managed, account: account, in: reader))
            }
            let (_, record) = try Self.customerPolicy(input.PolicyArn, account: account, in: reader)
            return PolicyResult(Policy: try Self.render(record, account: account, in: reader))
        }
    }

    struct ListPoliciesInput: Decodable, Sendable {
        var Scope: String?
        var OnlyAttached: Bool?
        var PathPrefix: String?
        var PolicyUsageFilter: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListPoliciesOutput: Encodable, Sendable {
        var Policies: [PolicyOutput]
        var IsTruncated: Bool
        var Marker: String?
    }

    /// A policy ListPolicies may list, before its attachment counts are read.
    private enum ListedPolicy: Sendable {
        case managed(AWSManagedPolicy)
        case customer(ManagedPolicyRecord)
    }

    @Sendable func listPolicies(_ input: ListPoliciesInput, context: RequestContext) async throws -> ListPoliciesOutput {
        let account = account(context)
        let scope = input.Scope ?? "All"
        let pathPrefix = input.PathPrefix ?? "/"
        let onlyAttached = input.OnlyAttached ?? false
        let usage = input.PolicyUsageFilter
        let marker = input.Marker, maxItems = input.MaxItems
        let page = try await store.read { reader in
            // The policies the path admits, by their place in the listing; rendered (with their attachment counts,
            // two scans each) only where the filter needs the counts, else only for the page.
            var listed: [(String, ListedPolicy)] = []
            if scope != "Local" {
                for managed in AWSManagedPolicies.all where managed.path.hasPrefix(pathPrefix) {
                    listed.append(("aws/" + managed.path + managed.name, .managed(managed)))
                }
            }
            if scope != "AWS" {
                for (key, record) in try reader.scanJSON(ManagedPolicyRecord.self, IAMKeys.policies, prefix: account + "/")
                where record.Path.hasPrefix(pathPrefix) {
                    listed.append(("local/" + key, .customer(record)))
                }
            }
            func render(_ policy: ListedPolicy) throws -> PolicyOutput {
                switch policy {
                case .managed(let managed): try Self.render(managed, account: account, in: reader)
                case .customer(let record): try Self.render(record, account: account, in: reader)
                }
            }
            guard onlyAttached else {
                let page = try Self.slice(listed, marker: marker, maxItems: maxItems)
                return IAMPage(items: try page.items.map(render), isTruncated: page.isTruncated, marker: page.marker)
            }
            let attached = try listed.map { ($0.0, try render($0.1)) }.filter { _, policy in
                switch usage {
                case "PermissionsPolicy": policy.AttachmentCount > 0
                case "PermissionsBoundary": policy.PermissionsBoundaryUsageCount > 0
                default: policy.AttachmentCount > 0 || policy.PermissionsBoundaryUsageCount > 0
                }
            }
            return try Self.slice(attached, marker: marker, maxItems: maxItems)
        }
        // ListPolicies leaves out tags, as AWS does.
        return ListPoliciesOutput(Policies: page.items.map { var p = $0; p.Tags = nil; return p }, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    @Sendable func deletePolicy(_ input: PolicyArnInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        try await write(account) { tx in
            let (policy, record) = try Self.customerPolicy(input.PolicyArn, account: account, in: tx)
            guard try Self.useCount(tx, account, policy, .permissions) == 0, try Self.useCount(tx, account, policy, .boundary) == 0 else {
                throw IAMError.deleteConflict("Cannot delete a policy attached to entities.")
            }
            let versionsPrefix = IAMKeys.key(account, policy.name.lowercased()) + "/"
            guard try tx.scan(IAMKeys.policyVersions, prefix: versionsPrefix, limit: 2).count <= 1 else {
                throw IAMError.deleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
                )
            }
            try tx.deleteAll(IAMKeys.policyVersions, prefix: versionsPrefix)
            try tx.delete(IAMKeys.policies, IAMKeys.nameKey(account, policy.name))
            try tx.delete(IAMKeys.ids, record.PolicyId)
        }
        return EmptyShape()
    }

    struct CreatePolicyVersionInput: Decodable, Sendable {
        var PolicyArn: String
        var PolicyDocument: String
        var SetAsDefault: Bool?
    }

    struct PolicyVersionResult: Encodable, Sendable {
        var PolicyVersion: PolicyVersionRecord
    }

    @Sendable func createPolicyVersion(_ input: CreatePolicyVersionInput, context: RequestContext) async throws -> PolicyVersionResult {
        let account = account(context)
        try validatePolicyDocument(input.PolicyDocument, kind: .identity)
        let now = clock.now
        let version = try await write(account) { tx in
            var (policy, record) = try Self.customerPolicy(input.PolicyArn, account: account, in: tx)
            let prefix = IAMKeys.key(account, policy.name.lowercased()) + "/"
            guard try tx.scan(IAMKeys.policyVersions, prefix: prefix, limit: Self.versionsPerPolicy).count < Self.versionsPerPolicy else {
                throw IAMError.limitExceeded(
                    "A managed policy can have up to \(Self.versionsPerPolicy) versions. Before you create a new version, you must delete an existing version."
                )
            }
            let versionId = "v\(record.nextVersion)"
            let isDefault = input.SetAsDefault ?? false
            if isDefault {
                try Self.clearDefault(tx, prefix: prefix, record.DefaultVersionId)
                record.DefaultVersionId = versionId
            }
            record.nextVersion += 1
            record.UpdateDate = now
            let version = PolicyVersionRecord(Document: input.PolicyDocument, VersionId: versionId, IsDefaultVersion: isDefault, CreateDate: now)
            try tx.putJSON(IAMKeys.policyVersions, prefix + versionId, version)
            try tx.putJSON(IAMKeys.policies, IAMKeys.nameKey(account, policy.name), record)
            return version
        }
        var output = version
        output.Document = nil  // CreatePolicyVersion answers without the document, as AWS does.
        return PolicyVersionResult(PolicyVersion: output)
    }

    static func clearDefault(_ tx: any StoreWriter, prefix: String, _ versionId: String) throws {
        guard var old = try tx.getJSON(PolicyVersionRecord.self, IAMKeys.policyVersions, prefix + versionId) else { return }
        old.IsDefaultVersion = false
        try tx.putJSON(IAMKeys.policyVersions, prefix + versionId, old)
    }

    struct PolicyVersionInput: Decodable, Sendable {
        var PolicyArn: String
        var VersionId: String
    }

    static func versionNotFound(_ arn: String, _ version: String) -> AWSError {
        IAMError.noSuchEntity("Policy \(arn) version \(version) does not exist or is not attachable.")
    }

    @Sendable func getPolicyVersion(_ input: PolicyVersionInput, context: RequestContext) async throws -> PolicyVersionResult {
        let account = account(context)
        let policy = try PolicyARN(input.PolicyArn)
        if policy.isAWSManaged {
            guard let managed = AWSManagedPolicies.byName[policy.name], managed.arn == policy.arn else { throw Self.policyNotFound(policy.arn) }
            guard input.VersionId == managed.versionId else { throw Self.versionNotFound(policy.arn, input.VersionId) }
            return PolicyVersionResult(
                PolicyVersion: PolicyVersionRecord(Document: Self.urlEncoded(managed.document), VersionId: managed.versionId, IsDefaultVersion: true, CreateDate: managed.updateDate)
            )
        }
        let version = try await store.read { reader in
            _ = try Self.customerPolicy(input.PolicyArn, account: account, in: reader)
            return try reader.getJSON(PolicyVersionRecord.self, IAMKeys.policyVersions, IAMKeys.key(account, policy.name.lowercased(), input.VersionId))
        }
        guard var version else { throw Self.versionNotFound(policy.arn, input.VersionId) }
        version.Document = version.Document.map(Self.urlEncoded)
        return PolicyVersionResult(PolicyVersion: version)
    }

    struct ListPolicyVersionsInput: Decodable, Sendable {
        var PolicyArn: String
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListPolicyVersionsOutput: Encodable, Sendable {
        var Versions: [PolicyVersionRecord]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listPolicyVersions(_ input: ListPolicyVersionsInput, context: RequestContext) async throws -> ListPolicyVersionsOutput {
        let account = account(context)
        let policy = try PolicyARN(input.PolicyArn)
        var versions: [(String, PolicyVersionRecord)]
        if policy.isAWSManaged {
            guard let managed = AWSManagedPolicies.byName[policy.name], managed.arn == policy.arn else { throw Self.policyNotFound(policy.arn) }
            versions = [("v", PolicyVersionRecord(VersionId: managed.versionId, IsDefaultVersion: true, CreateDate: managed.updateDate))]
        } else {
            versions = try await store.read { reader in
                _ = try Self.customerPolicy(input.PolicyArn, account: account, in: reader)
                return try reader.scanJSON(PolicyVersionRecord.self, IAMKeys.policyVersions, prefix: IAMKeys.key(account, policy.name.lowercased()) + "/")
                    .map { ($0.key, $0.value) }
            }
            // Newest first, as AWS lists them; keys sort v10 before v2, so order by number.
            versions.sort { (Int($0.1.VersionId.dropFirst()) ?? 0) > (Int($1.1.VersionId.dropFirst()) ?? 0) }
            versions = versions.enumerated().map { (String(format: "%04d", $0.offset), $0.element.1) }
        }
        let page = try Self.slice(versions, marker: input.Marker, maxItems: input.MaxItems)
        // Listed versions carry no document.
        return ListPolicyVersionsOutput(
            Versions: page.items.map { var v = $0; v.Document = nil; return v }, IsTruncated: page.isTruncated, Marker: page.marker
        )
    }

    @Sendable func deletePolicyVersion(_ input: PolicyVersionInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        try await write(account) { tx in
            let (policy, record) = try Self.customerPolicy(input.PolicyArn, account: account, in: tx)
            let key = IAMKeys.key(account, policy.name.lowercased(), input.VersionId)
            guard try tx.get(IAMKeys.policyVersions, key) != nil else { throw Self.versionNotFound(policy.arn, input.VersionId) }
            guard record.DefaultVersionId != input.VersionId else {
                throw IAMError.deleteConflict("Cannot delete the default version of a policy.")
            }
            try tx.delete(IAMKeys.policyVersions, key)
        }
        return EmptyShape()
    }

    @Sendable func setDefaultPolicyVersion(_ input: PolicyVersionInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let now = clock.now
        try await write(account) { tx in
            var (policy, record) = try Self.customerPolicy(input.PolicyArn, account: account, in: tx)
            let prefix = IAMKeys.key(account, policy.name.lowercased()) + "/"
            guard var version = try tx.getJSON(PolicyVersionRecord.self, IAMKeys.policyVersions, prefix + input.VersionId) else {
                throw Self.versionNotFound(policy.arn, input.VersionId)
            }
            guard record.DefaultVersionId != input.VersionId else { return }
            try Self.clearDefault(tx, prefix: prefix, record.DefaultVersionId)
            version.IsDefaultVersion = true
            try tx.putJSON(IAMKeys.policyVersions, prefix + input.VersionId, version)
            record.DefaultVersionId = input.VersionId
            record.UpdateDate = now
            try tx.putJSON(IAMKeys.policies, IAMKeys.nameKey(account, policy.name), record)
        }
        return EmptyShape()
    }

    struct ListEntitiesForPolicyInput: Decodable, Sendable {
        var PolicyArn: String
        var EntityFilter: String?
        var PathPrefix: String?
        var PolicyUsageFilter: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct PolicyGroup: Encodable, Sendable { var GroupName: String; var GroupId: String }
    struct PolicyUser: Encodable, Sendable { var UserName: String; var UserId: String }
    struct PolicyRole: Encodable, Sendable { var RoleName: String; var RoleId: String }

    struct ListEntitiesForPolicyOutput: Encodable, Sendable {
        var PolicyGroups: [PolicyGroup]
        var PolicyUsers: [PolicyUser]
        var PolicyRoles: [PolicyRole]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listEntitiesForPolicy(_ input: ListEntitiesForPolicyInput, context: RequestContext) async throws -> ListEntitiesForPolicyOutput {
        let account = account(context)
        let policy = try PolicyARN(input.PolicyArn)
        let pathPrefix = input.PathPrefix ?? "/"
        let usages: [PolicyUsage] =
            switch input.PolicyUsageFilter {
            case "PermissionsPolicy": [.permissions]
            case "PermissionsBoundary": [.boundary]
            default: [.permissions, .boundary]
            }
        let kindFilter = input.EntityFilter.flatMap(IAMEntityKind.init(rawValue:))
        if input.EntityFilter == "LocalManagedPolicy" || input.EntityFilter == "AWSManagedPolicy" {
            return ListEntitiesForPolicyOutput(PolicyGroups: [], PolicyUsers: [], PolicyRoles: [], IsTruncated: false)
        }
        let uses = try await store.read { reader in
            guard try Self.managedPolicyDocument(policy, account: account, in: reader) != nil else { throw Self.policyNotFound(policy.arn) }
            var uses: [(String, PolicyUseRecord)] = []
            var seen: Set<String> = []
            for usage in usages {
                for (key, use) in try reader.scanJSON(PolicyUseRecord.self, IAMKeys.policyEntities, prefix: "\(account)/\(policy.ref)/\(usage.rawValue)/") {
                    guard kindFilter == nil || use.kind == kindFilter, use.path.hasPrefix(pathPrefix) else { continue }
                    let id = "\(use.kind.rawValue)/\(use.name.lowercased())"
                    guard seen.insert(id).inserted else { continue }
                    uses.append((id + "\u{1}" + key, use))
                }
            }
            return uses.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        }
        let page = try Self.slice(uses, marker: input.Marker, maxItems: input.MaxItems)
        return ListEntitiesForPolicyOutput(
            PolicyGroups: page.items.filter { $0.kind == .group }.map { PolicyGroup(GroupName: $0.name, GroupId: $0.id) },
            PolicyUsers: page.items.filter { $0.kind == .user }.map { PolicyUser(UserName: $0.name, UserId: $0.id) },
            PolicyRoles: page.items.filter { $0.kind == .role }.map { PolicyRole(RoleName: $0.name, RoleId: $0.id) },
            IsTruncated: page.isTruncated,
            Marker: page.marker
        )
    }
}
