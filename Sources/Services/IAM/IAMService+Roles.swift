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

/// ```xml
/// <RoleLastUsed><LastUsedDate>2019-11-18T05:00:00Z</LastUsedDate><Region>us-east-1</Region></RoleLastUsed>
/// ```
struct RoleLastUsed: Codable, Sendable {
    var LastUsedDate: Date?
    var Region: String?
}

/// A stored IAM role; also the `<Role>` element, with the trust policy URL-encoded on the way out (``output``).
struct RoleRecord: Codable, Sendable {
    var Path: String
    var RoleName: String
    var RoleId: String
    var Arn: String
    var CreateDate: Date
    var AssumeRolePolicyDocument: String?
    var Description: String?
    var MaxSessionDuration: Int?
    var PermissionsBoundary: AttachedPermissionsBoundary?
    var Tags: [Tag]?
    var RoleLastUsed: RoleLastUsed?

    /// As `GetRole` answers: trust policy URL-encoded, `RoleLastUsed` always present.
    var output: RoleRecord {
        var role = self
        role.AssumeRolePolicyDocument = AssumeRolePolicyDocument.map(IAMService.urlEncoded)
        role.RoleLastUsed = RoleLastUsed ?? NimbusIAM.RoleLastUsed()
        return role
    }

    /// As `ListRoles` and instance profiles answer: no tags, boundary or last use.
    var listed: RoleRecord {
        var role = self
        role.AssumeRolePolicyDocument = AssumeRolePolicyDocument.map(IAMService.urlEncoded)
        role.Tags = nil
        role.PermissionsBoundary = nil
        role.RoleLastUsed = nil
        return role
    }
}

extension IAMService {
    static let rolesPerAccount = 1000

    func roleHandlers() -> [String: OperationHandler] {
        [
            "CreateRole": OperationHandler(createRole),
            "GetRole": OperationHandler(getRole),
            "ListRoles": OperationHandler(listRoles),
            "UpdateRole": OperationHandler(updateRole),
            "UpdateRoleDescription": OperationHandler(updateRoleDescription),
            "UpdateAssumeRolePolicy": OperationHandler(updateAssumeRolePolicy),
            "DeleteRole": OperationHandler(deleteRole),
            "TagRole": OperationHandler { (input: TagRoleInput, context) in
                try await self.tag(.role, input.RoleName, input.Tags, context: context)
            },
            "UntagRole": OperationHandler { (input: UntagRoleInput, context) in
                try await self.untag(.role, input.RoleName, input.TagKeys, context: context)
            },
            "ListRoleTags": OperationHandler { (input: ListRoleTagsInput, context) in
                try await self.listTags(.role, input.RoleName, marker: input.Marker, maxItems: input.MaxItems, context: context)
            },
            "PutRolePermissionsBoundary": OperationHandler { (input: PutRoleBoundaryInput, context) in
                let account = self.account(context)
                try await self.write(account) { tx in
                    try Self.setBoundary(tx, kind: .role, name: input.RoleName, account: account, to: input.PermissionsBoundary)
                }
                return EmptyShape()
            },
            "DeleteRolePermissionsBoundary": OperationHandler { (input: RoleNameInput, context) in
                let account = self.account(context)
                try await self.write(account) { tx in
                    let role = try Self.entity(.role, input.RoleName, account: account, in: tx)
                    guard role.permissionsBoundary != nil else {
                        throw IAMError.noSuchEntity("The role with name \(role.name) does not have a permissions boundary.")
                    }
                    try Self.setBoundary(tx, kind: .role, name: input.RoleName, account: account, to: nil)
                }
                return EmptyShape()
            },
        ]
    }

    struct TagRoleInput: Decodable, Sendable {
        var RoleName: String
        var Tags: [Tag]
    }
    struct UntagRoleInput: Decodable, Sendable {
        var RoleName: String
        var TagKeys: [String]
    }
    struct ListRoleTagsInput: Decodable, Sendable {
        var RoleName: String
        var Marker: String?
        var MaxItems: Int?
    }
    struct PutRoleBoundaryInput: Decodable, Sendable {
        var RoleName: String
        var PermissionsBoundary: String
    }
    struct RoleNameInput: Decodable, Sendable {
        var RoleName: String
    }

    struct CreateRoleInput: Decodable, Sendable {
        var Path: String?
        var RoleName: String
        var AssumeRolePolicyDocument: String
        var Description: String?
        var MaxSessionDuration: Int?
        var PermissionsBoundary: String?
        var Tags: [Tag]?
    }

    struct RoleOutput: Encodable, Sendable {
        var Role: RoleRecord
    }

    static func checkMaxSessionDuration(_ value: Int?) throws(AWSError) {
        guard let value else { return }
        guard (3600...43200).contains(value) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(value)' at 'maxSessionDuration' failed to satisfy constraint: "
                    + (value < 3600 ? "Member must have value greater than or equal to 3600" : "Member must have value less than or equal to 43200")
            )
        }
    }

    @Sendable func createRole(_ input: CreateRoleInput, context: RequestContext) async throws -> RoleOutput {
        let account = account(context)
        let path = try IAMValidation.path(input.Path)
        let tags = try IAMValidation.tags(input.Tags)
        try Self.checkMaxSessionDuration(input.MaxSessionDuration)
        try validatePolicyDocument(input.AssumeRolePolicyDocument, kind: .trustPolicy)
        let boundary = try input.PermissionsBoundary.map { arn throws(AWSError) in try PolicyARN(arn) }
        let role = RoleRecord(
            Path: path,
            RoleName: input.RoleName,
            RoleId: Identifiers.uniqueID(prefix: "AROA"),
            Arn: IAMValidation.arn(account, "role", path: path, name: input.RoleName),
            CreateDate: clock.now,
            AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
            Description: input.Description,
            MaxSessionDuration: input.MaxSessionDuration ?? 3600,
            PermissionsBoundary: boundary.map { AttachedPermissionsBoundary(PermissionsBoundaryArn: $0.arn) },
            Tags: tags.isEmpty ? nil : tags
        )
        try await write(account) { tx in
            let key = IAMKeys.nameKey(account, role.RoleName)
            if try tx.get(IAMKeys.roles, key) != nil { throw IAMError.alreadyExists("Role", named: role.RoleName) }
            guard try tx.scan(IAMKeys.roles, prefix: account + "/", limit: Self.rolesPerAccount).count < Self.rolesPerAccount else {
                throw IAMError.limitExceeded("Cannot exceed quota for RolesPerAccount: \(Self.rolesPerAccount)")
            }
            if let boundary {
                guard try Self.managedPolicyDocument(boundary, account: account, in: tx) != nil else { throw Self.notAttachable(boundary.arn) }
            }
            try tx.putJSON(IAMKeys.roles, key, role)
            try tx.put(IAMKeys.ids, role.RoleId, Array("role:\(key)".utf8))
            if let boundary {
                try Self.recordUse(tx, account, boundary, .boundary, EntityHeader(kind: .role, name: role.RoleName, id: role.RoleId, arn: role.Arn, path: role.Path))
            }
        }
        var output = role
        output.AssumeRolePolicyDocument = Self.urlEncoded(input.AssumeRolePolicyDocument)
        return RoleOutput(Role: output)
    }

    func roleRecord(named name: String, in account: String) async throws -> RoleRecord {
        guard let role = try await store.read({ try $0.getJSON(RoleRecord.self, IAMKeys.roles, IAMKeys.nameKey(account, name)) }) else {
            throw IAMError.noSuchEntity("role", named: name)
        }
        return role
    }

    @Sendable func getRole(_ input: RoleNameInput, context: RequestContext) async throws -> RoleOutput {
        RoleOutput(Role: try await roleRecord(named: input.RoleName, in: account(context)).output)
    }

    struct ListRolesInput: Decodable, Sendable {
        var PathPrefix: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListRolesOutput: Encodable, Sendable {
        var Roles: [RoleRecord]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listRoles(_ input: ListRolesInput, context: RequestContext) async throws -> ListRolesOutput {
        let prefix = input.PathPrefix ?? "/"
        let page = try await page(
            RoleRecord.self, IAMKeys.roles, prefix: account(context) + "/", marker: input.Marker, maxItems: input.MaxItems,
            where: { $0.Path.hasPrefix(prefix) }
        )
        return ListRolesOutput(Roles: page.items.map(\.listed), IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct UpdateRoleInput: Decodable, Sendable {
        var RoleName: String
        var Description: String?
        var MaxSessionDuration: Int?
    }

    @Sendable func updateRole(_ input: UpdateRoleInput, context: RequestContext) async throws -> EmptyShape {
        try Self.checkMaxSessionDuration(input.MaxSessionDuration)
        _ = try await modifyRole(input.RoleName, context: context) { role in
            if let description = input.Description { role.Description = description }
            if let duration = input.MaxSessionDuration { role.MaxSessionDuration = duration }
        }
        return EmptyShape()
    }

    struct UpdateRoleDescriptionInput: Decodable, Sendable {
        var RoleName: String
        var Description: String
    }

    @Sendable func updateRoleDescription(_ input: UpdateRoleDescriptionInput, context: RequestContext) async throws -> RoleOutput {
        let role = try await modifyRole(input.RoleName, context: context) { $0.Description = input.Description }
        return RoleOutput(Role: role.output)
    }

    struct UpdateAssumeRolePolicyInput: Decodable, Sendable {
        var RoleName: String
        var PolicyDocument: String
    }

    @Sendable func updateAssumeRolePolicy(_ input: UpdateAssumeRolePolicyInput, context: RequestContext) async throws -> EmptyShape {
        try validatePolicyDocument(input.PolicyDocument, kind: .trustPolicy)
        _ = try await modifyRole(input.RoleName, context: context) { $0.AssumeRolePolicyDocument = input.PolicyDocument }
        return EmptyShape()
    }

    /// Reads, changes and stores a role in one transaction.
    func modifyRole(_ name: String, context: RequestContext, _ change: @escaping @Sendable (inout RoleRecord) throws -> Void) async throws -> RoleRecord {
        let account = account(context)
        return try await write(account) { tx in
            let key = IAMKeys.nameKey(account, name)
            guard var role = try tx.getJSON(RoleRecord.self, IAMKeys.roles, key) else { throw IAMError.noSuchEntity("role", named: name) }
            try change(&role)
            try tx.putJSON(IAMKeys.roles, key, role)
            return role
        }
    }

    @Sendable func deleteRole(_ input: RoleNameInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let key = IAMKeys.nameKey(account, input.RoleName)
        try await write(account) { tx in
            let role = try Self.entity(.role, input.RoleName, account: account, in: tx)
            let conflicts = [
                (IAMKeys.roleInstanceProfiles, "Cannot delete entity, must remove roles from instance profile first."),
                (IAMKeys.roleInlinePolicies, "Cannot delete entity, must delete policies first."),
                (IAMKeys.roleAttachedPolicies, "Cannot delete entity, must detach all policies first."),
            ]
            for (namespace, message) in conflicts where try !tx.scan(namespace, prefix: key + "/", limit: 1).isEmpty {
                throw IAMError.deleteConflict(message)
            }
            if let boundary = role.permissionsBoundary, let policy = try? PolicyARN(boundary) {
                try Self.removeUse(tx, account, policy, .boundary, role)
            }
            try tx.delete(IAMKeys.roles, key)
            try tx.delete(IAMKeys.ids, role.id)
        }
        return EmptyShape()
    }

    /// Records that a role's credentials were used (STS calls this on `AssumeRole`).
    public func noteRoleUsed(arn: String, region: String) async throws {
        guard let (account, name) = Self.roleName(inARN: arn) else { return }
        let now = clock.now
        try await store.write { tx in
            let key = IAMKeys.nameKey(account, name)
            guard var role = try tx.getJSON(RoleRecord.self, IAMKeys.roles, key), role.Arn == arn else { return }
            role.RoleLastUsed = NimbusIAM.RoleLastUsed(LastUsedDate: now, Region: region)
            try tx.putJSON(IAMKeys.roles, key, role)
        }
    }

    /// `arn:aws:iam::123456789012:role/path/name` → (`123456789012`, `name`).
    static func roleName(inARN arn: String) -> (account: String, name: String)? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[5].hasPrefix("role/"), let slash = parts[5].lastIndex(of: "/") else {
            return nil
        }
        let name = parts[5][parts[5].index(after: slash)...]
        guard !name.isEmpty else { return nil }
        return (String(parts[4]), String(name))
    }

    // MARK: Tags of users, roles, instance profiles and policies

    /// Reads and rewrites the tags of a taggable record in one transaction.
    func modifyTags(
        namespace: String, key: String, notFound: AWSError, account: String,
        _ change: @escaping @Sendable ([Tag]) throws -> [Tag]
    ) async throws {
        try await write(account) { tx in
            guard let bytes = try tx.get(namespace, key),
                var object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
            else { throw notFound }
            let current = try JSONDecoder().decode(Taggable.self, from: Data(bytes)).Tags ?? []
            let updated = try change(current)
            object["Tags"] = updated.isEmpty ? nil : updated.map { ["Key": $0.Key, "Value": $0.Value] }
            try tx.put(namespace, key, Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])))
        }
    }

    struct Taggable: Decodable {
        var Tags: [Tag]?
    }

    func tagTarget(_ kind: IAMEntityKind, _ name: String, account: String) -> (namespace: String, key: String, notFound: AWSError) {
        (kind.namespace, IAMKeys.nameKey(account, name), IAMError.noSuchEntity(kind.label, named: name))
    }

    func tag(_ kind: IAMEntityKind, _ name: String, _ tags: [Tag], context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let target = tagTarget(kind, name, account: account)
        try await modifyTags(namespace: target.namespace, key: target.key, notFound: target.notFound, account: account) { current throws(AWSError) in
            try IAMValidation.tags(tags, existing: current)
        }
        return EmptyShape()
    }

    func untag(_ kind: IAMEntityKind, _ name: String, _ keys: [String], context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let target = tagTarget(kind, name, account: account)
        try Self.checkTagKeys(keys)
        try await modifyTags(namespace: target.namespace, key: target.key, notFound: target.notFound, account: account) { current in
            let removed = Set(keys.map { $0.lowercased() })
            return current.filter { !removed.contains($0.Key.lowercased()) }
        }
        return EmptyShape()
    }

    static func checkTagKeys(_ keys: [String]) throws(AWSError) {
        guard keys.count <= 50 else {
            throw AWSError.validation(
                "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
            )
        }
    }

    struct ListTagsOutput: Encodable, Sendable {
        var Tags: [Tag]
        var IsTruncated: Bool
        var Marker: String?
    }

    func listTags(_ kind: IAMEntityKind, _ name: String, marker: String?, maxItems: Int?, context: RequestContext) async throws -> ListTagsOutput {
        let target = tagTarget(kind, name, account: account(context))
        return try await listTags(namespace: target.namespace, key: target.key, notFound: target.notFound, marker: marker, maxItems: maxItems)
    }

    func listTags(namespace: String, key: String, notFound: AWSError, marker: String?, maxItems: Int?) async throws -> ListTagsOutput {
        guard let record = try await store.read({ try $0.getJSON(Taggable.self, namespace, key) }) else { throw notFound }
        let tags = (record.Tags ?? []).enumerated().map { (String(format: "%04d", $0.offset), $0.element) }
        let page = try Self.slice(tags, marker: marker, maxItems: maxItems)
        return ListTagsOutput(Tags: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }
}
