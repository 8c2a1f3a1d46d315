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

/// A stored instance profile. Its roles are kept by name and rendered as full `<Role>`s.
struct InstanceProfileRecord: Codable, Sendable {
    var Path: String
    var InstanceProfileName: String
    var InstanceProfileId: String
    var Arn: String
    var CreateDate: Date
    var Tags: [Tag]?
    var roleNames: [String]
}

/// `roleInstanceProfiles` `<account>/<role>/<profile>`: which profiles hold a role.
struct InstanceProfileLink: Codable, Sendable {
    var InstanceProfileName: String
}

/// The `<InstanceProfile>` element.
struct InstanceProfileOutput: Encodable, Sendable {
    var Path: String
    var InstanceProfileName: String
    var InstanceProfileId: String
    var Arn: String
    var CreateDate: Date
    var Roles: [RoleRecord]
    var Tags: [Tag]?
}

extension IAMService {
    static let instanceProfilesPerAccount = 1000

    func instanceProfileHandlers() -> [String: OperationHandler] {
        [
            "CreateInstanceProfile": OperationHandler(createInstanceProfile),
            "GetInstanceProfile": OperationHandler(getInstanceProfile),
            "ListInstanceProfiles": OperationHandler(listInstanceProfiles),
            "DeleteInstanceProfile": OperationHandler(deleteInstanceProfile),
            "AddRoleToInstanceProfile": OperationHandler(addRoleToInstanceProfile),
            "RemoveRoleFromInstanceProfile": OperationHandler(removeRoleFromInstanceProfile),
            "ListInstanceProfilesForRole": OperationHandler(listInstanceProfilesForRole),
            "TagInstanceProfile": OperationHandler { (input: TagInstanceProfileInput, context) in
                let account = self.account(context)
                let target = Self.profileTarget(input.InstanceProfileName, account: account)
                try await self.modifyTags(namespace: IAMKeys.instanceProfiles, key: target.key, notFound: target.notFound, account: account) {
                    current throws(AWSError) in
                    try IAMValidation.tags(input.Tags, existing: current)
                }
                return EmptyShape()
            },
            "UntagInstanceProfile": OperationHandler { (input: UntagInstanceProfileInput, context) in
                let account = self.account(context)
                let target = Self.profileTarget(input.InstanceProfileName, account: account)
                try Self.checkTagKeys(input.TagKeys)
                try await self.modifyTags(namespace: IAMKeys.instanceProfiles, key: target.key, notFound: target.notFound, account: account) { current in
                    let removed = Set(input.TagKeys.map { $0.lowercased() })
                    return current.filter { !removed.contains($0.Key.lowercased()) }
                }
                return EmptyShape()
            },
            "ListInstanceProfileTags": OperationHandler { (input: ListInstanceProfileTagsInput, context) in
                let target = Self.profileTarget(input.InstanceProfileName, account: self.account(context))
                return try await self.listTags(
                    namespace: IAMKeys.instanceProfiles, key: target.key, notFound: target.notFound, marker: input.Marker, maxItems: input.MaxItems
                )
            },
        ]
    }

    static func profileTarget(_ name: String, account: String) -> (key: String, notFound: AWSError) {
        (IAMKeys.nameKey(account, name), IAMError.noSuchEntity("Instance Profile \(name) cannot be found."))
    }

    struct TagInstanceProfileInput: Decodable, Sendable {
        var InstanceProfileName: String
        var Tags: [Tag]
    }
    struct UntagInstanceProfileInput: Decodable, Sendable {
        var InstanceProfileName: String
        var TagKeys: [String]
    }
    struct ListInstanceProfileTagsInput: Decodable, Sendable {
        var InstanceProfileName: String
        var Marker: String?
        var MaxItems: Int?
    }

    struct CreateInstanceProfileInput: Decodable, Sendable {
        var InstanceProfileName: String
        var Path: String?
        var Tags: [Tag]?
    }

    struct InstanceProfileResult: Encodable, Sendable {
        var InstanceProfile: InstanceProfileOutput
    }

    static func render(_ profile: InstanceProfileRecord, account: String, in reader: any StoreReader) throws -> InstanceProfileOutput {
        let roles = try profile.roleNames.compactMap { try reader.getJSON(RoleRecord.self, IAMKeys.roles, IAMKeys.nameKey(account, $0))?.listed }
        return InstanceProfileOutput(
            Path: profile.Path, InstanceProfileName: profile.InstanceProfileName, InstanceProfileId: profile.InstanceProfileId,
            Arn: profile.Arn, CreateDate: profile.CreateDate, Roles: roles, Tags: profile.Tags
        )
    }

    @Sendable func createInstanceProfile(_ input: CreateInstanceProfileInput, context: RequestContext) async throws -> InstanceProfileResult {
        let account = account(context)
        let path = try IAMValidation.path(input.Path)
        let tags = try IAMValidation.tags(input.Tags)
        let profile = InstanceProfileRecord(
            Path: path,
            InstanceProfileName: input.InstanceProfileName,
            InstanceProfileId: Identifiers.uniqueID(prefix: "AIPA"),
            Arn: IAMValidation.arn(account, "instance-profile", path: path, name: input.InstanceProfileName),
            CreateDate: clock.now,
            Tags: tags.isEmpty ? nil : tags,
            roleNames: []
        )
        try await write(account) { tx in
            let key = IAMKeys.nameKey(account, profile.InstanceProfileName)
            if try tx.get(IAMKeys.instanceProfiles, key) != nil {
                throw AWSError(code: "EntityAlreadyExists", message: "Instance Profile \(profile.InstanceProfileName) already exists.", status: 409)
            }
            guard try tx.scan(IAMKeys.instanceProfiles, prefix: account + "/", limit: Self.instanceProfilesPerAccount).count < Self.instanceProfilesPerAccount
            else {
                throw IAMError.limitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: \(Self.instanceProfilesPerAccount)")
            }
            try tx.putJSON(IAMKeys.instanceProfiles, key, profile)
            try tx.put(IAMKeys.ids, profile.InstanceProfileId, Array("instance-profile:\(key)".utf8))
        }
        return InstanceProfileResult(InstanceProfile: try await store.read { try Self.render(profile, account: account, in: $0) })
    }

    struct InstanceProfileNameInput: Decodable, Sendable {
        var InstanceProfileName: String
    }

    @Sendable func getInstanceProfile(_ input: InstanceProfileNameInput, context: RequestContext) async throws -> InstanceProfileResult {
        let account = account(context)
        let target = Self.profileTarget(input.InstanceProfileName, account: account)
        return try await store.read { reader in
            guard let profile = try reader.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, target.key) else { throw target.notFound }
            return InstanceProfileResult(InstanceProfile: try Self.render(profile, account: account, in: reader))
        }
    }

    struct ListInstanceProfilesInput: Decodable, Sendable {
        var PathPrefix: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListInstanceProfilesOutput: Encodable, Sendable {
        var InstanceProfiles: [InstanceProfileOutput]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listInstanceProfiles(_ input: ListInstanceProfilesInput, context: RequestContext) async throws -> ListInstanceProfilesOutput {
        let account = account(context)
        let prefix = input.PathPrefix ?? "/"
        let page = try await page(
            InstanceProfileRecord.self, IAMKeys.instanceProfiles, prefix: account + "/", marker: input.Marker, maxItems: input.MaxItems,
            where: { $0.Path.hasPrefix(prefix) }
        )
        let profiles = try await store.read { reader in
            try page.items.map { profile in
                var output = try Self.render(profile, account: account, in: reader)
                output.Tags = nil
                return output
            }
        }
        return ListInstanceProfilesOutput(InstanceProfiles: profiles, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    @Sendable func deleteInstanceProfile(_ input: InstanceProfileNameInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let target = Self.profileTarget(input.InstanceProfileName, account: account)
        try await write(account) { tx in
            guard let profile = try tx.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, target.key) else { throw target.notFound }
            guard profile.roleNames.isEmpty else {
                throw IAMError.deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            }
            try tx.delete(IAMKeys.instanceProfiles, target.key)
            try tx.delete(IAMKeys.ids, profile.InstanceProfileId)
        }
        return EmptyShape()
    }

    struct ProfileRoleInput: Decodable, Sendable {
        var InstanceProfileName: String
        var RoleName: String
    }

    @Sendable func addRoleToInstanceProfile(_ input: ProfileRoleInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let target = Self.profileTarget(input.InstanceProfileName, account: account)
        try await write(account) { tx in
            guard var profile = try tx.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, target.key) else { throw target.notFound }
            let role = try Self.entity(.role, input.RoleName, account: account, in: tx)
            if profile.roleNames.contains(where: { $0.lowercased() == role.name.lowercased() }) {
                throw AWSError(code: "EntityAlreadyExists", message: "Role \(role.name) already exists in instance profile \(profile.InstanceProfileName).", status: 409)
            }
            guard profile.roleNames.isEmpty else {
                throw IAMError.limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
            }
            profile.roleNames.append(role.name)
            try tx.putJSON(IAMKeys.instanceProfiles, target.key, profile)
            try tx.putJSON(
                IAMKeys.roleInstanceProfiles, IAMKeys.nameKey(account, role.name) + "/" + profile.InstanceProfileName.lowercased(),
                InstanceProfileLink(InstanceProfileName: profile.InstanceProfileName)
            )
        }
        return EmptyShape()
    }

    @Sendable func removeRoleFromInstanceProfile(_ input: ProfileRoleInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let target = Self.profileTarget(input.InstanceProfileName, account: account)
        try await write(account) { tx in
            guard var profile = try tx.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, target.key) else { throw target.notFound }
            let role = try Self.entity(.role, input.RoleName, account: account, in: tx)
            guard profile.roleNames.contains(where: { $0.lowercased() == role.name.lowercased() }) else {
                throw IAMError.noSuchEntity("Role \(role.name) in Instance Profile \(profile.InstanceProfileName) cannot be found.")
            }
            profile.roleNames.removeAll { $0.lowercased() == role.name.lowercased() }
            try tx.putJSON(IAMKeys.instanceProfiles, target.key, profile)
            try tx.delete(IAMKeys.roleInstanceProfiles, IAMKeys.nameKey(account, role.name) + "/" + profile.InstanceProfileName.lowercased())
        }
        return EmptyShape()
    }

    struct ListInstanceProfilesForRoleInput: Decodable, Sendable {
        var RoleName: String
        var Marker: String?
        var MaxItems: Int?
    }

    @Sendable func listInstanceProfilesForRole(_ input: ListInstanceProfilesForRoleInput, context: RequestContext) async throws
        -> ListInstanceProfilesOutput
    {
        let account = account(context)
        let profiles = try await store.read { reader in
            let role = try Self.entity(.role, input.RoleName, account: account, in: reader)
            return try reader.scanJSON(InstanceProfileLink.self, IAMKeys.roleInstanceProfiles, prefix: IAMKeys.nameKey(account, role.name) + "/")
                .compactMap { entry -> (String, InstanceProfileOutput)? in
                    guard let profile = try reader.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, IAMKeys.nameKey(account, entry.value.InstanceProfileName))
                    else { return nil }
                    var output = try Self.render(profile, account: account, in: reader)
                    output.Tags = nil
                    return (entry.key, output)
                }
        }
        let page = try Self.slice(profiles, marker: input.Marker, maxItems: input.MaxItems)
        return ListInstanceProfilesOutput(InstanceProfiles: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }
}
