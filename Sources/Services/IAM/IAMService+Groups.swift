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

/// A stored IAM group; also the `<Group>` element.
struct GroupRecord: Codable, Sendable {
    var Path: String
    var GroupName: String
    var GroupId: String
    var Arn: String
    var CreateDate: Date
}

/// Membership, kept both ways: `userGroups` `<account>/<user>/<group>` and `groupMembers` `<account>/<group>/<user>`.
struct MembershipRecord: Codable, Sendable {
    var UserName: String
    var GroupName: String
}

extension IAMService {
    static let groupsPerAccount = 300
    static let groupsPerUser = 10

    func groupHandlers() -> [String: OperationHandler] {
        [
            "CreateGroup": OperationHandler(createGroup),
            "GetGroup": OperationHandler(getGroup),
            "ListGroups": OperationHandler(listGroups),
            "UpdateGroup": OperationHandler(updateGroup),
            "DeleteGroup": OperationHandler(deleteGroup),
            "AddUserToGroup": OperationHandler(addUserToGroup),
            "RemoveUserFromGroup": OperationHandler(removeUserFromGroup),
            "ListGroupsForUser": OperationHandler(listGroupsForUser),
        ]
    }

    struct CreateGroupInput: Decodable, Sendable {
        var Path: String?
        var GroupName: String
    }

    struct GroupOutput: Encodable, Sendable {
        var Group: GroupRecord
    }

    @Sendable func createGroup(_ input: CreateGroupInput, context: RequestContext) async throws -> GroupOutput {
        let account = account(context)
        let path = try IAMValidation.path(input.Path)
        let group = GroupRecord(
            Path: path,
            GroupName: input.GroupName,
            GroupId: Identifiers.uniqueID(prefix: "AGPA"),
            Arn: IAMValidation.arn(account, "group", path: path, name: input.GroupName),
            CreateDate: clock.now
        )
        try await write(account) { tx in
            let key = IAMKeys.nameKey(account, group.GroupName)
            if try tx.get(IAMKeys.groups, key) != nil { throw IAMError.alreadyExists("Group", named: group.GroupName) }
            guard try tx.scan(IAMKeys.groups, prefix: account + "/", limit: Self.groupsPerAccount).count < Self.groupsPerAccount else {
                throw IAMError.limitExceeded("Cannot exceed quota for GroupsPerAccount: \(Self.groupsPerAccount)")
            }
            try tx.putJSON(IAMKeys.groups, key, group)
            try tx.put(IAMKeys.ids, group.GroupId, Array("group:\(key)".utf8))
        }
        return GroupOutput(Group: group)
    }

    struct GetGroupInput: Decodable, Sendable {
        var GroupName: String
        var Marker: String?
        var MaxItems: Int?
    }

    struct GetGroupOutput: Encodable, Sendable {
        var Group: GroupRecord
        var Users: [UserRecord]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func getGroup(_ input: GetGroupInput, context: RequestContext) async throws -> GetGroupOutput {
        let account = account(context)
        let (group, members) = try await store.read { reader in
            guard let group = try reader.getJSON(GroupRecord.self, IAMKeys.groups, IAMKeys.nameKey(account, input.GroupName)) else {
                throw IAMError.noSuchEntity("group", named: input.GroupName)
            }
            let members = try reader.scanJSON(MembershipRecord.self, IAMKeys.groupMembers, prefix: IAMKeys.nameKey(account, group.GroupName) + "/")
                .compactMap { entry -> (String, UserRecord)? in
                    guard var user = try reader.getJSON(UserRecord.self, IAMKeys.users, IAMKeys.nameKey(account, entry.value.UserName)) else { return nil }
                    user.Tags = nil
                    user.PermissionsBoundary = nil
                    return (entry.key, user)
                }
            return (group, members)
        }
        let page = try Self.slice(members, marker: input.Marker, maxItems: input.MaxItems)
        return GetGroupOutput(Group: group, Users: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct ListGroupsInput: Decodable, Sendable {
        var PathPrefix: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListGroupsOutput: Encodable, Sendable {
        var Groups: [GroupRecord]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listGroups(_ input: ListGroupsInput, context: RequestContext) async throws -> ListGroupsOutput {
        let prefix = input.PathPrefix ?? "/"
        let page = try await page(
            GroupRecord.self, IAMKeys.groups, prefix: account(context) + "/", marker: input.Marker, maxItems: input.MaxItems,
            where: { $0.Path.hasPrefix(prefix) }
        )
        return ListGroupsOutput(Groups: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct UpdateGroupInput: Decodable, Sendable {
        var GroupName: String
        var NewPath: String?
        var NewGroupName: String?
    }

    /// Renames and/or moves a group, carrying its members, policies and policy attachments along in one transaction.
    @Sendable func updateGroup(_ input: UpdateGroupInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let newPath = try input.NewPath.map { path throws(AWSError) in try IAMValidation.path(path, member: "newPath") }
        try await write(account) { tx in
            let oldKey = IAMKeys.nameKey(account, input.GroupName)
            guard var group = try tx.getJSON(GroupRecord.self, IAMKeys.groups, oldKey) else {
                throw IAMError.noSuchEntity("group", named: input.GroupName)
            }
            let oldEntity = try Self.entity(.group, group.GroupName, account: account, in: tx)
            let newName = input.NewGroupName ?? group.GroupName
            let newKey = IAMKeys.nameKey(account, newName)
            if newKey != oldKey, try tx.get(IAMKeys.groups, newKey) != nil {
                throw IAMError.alreadyExists("Group", named: newName)
            }
            group.GroupName = newName
            group.Path = newPath ?? group.Path
            group.Arn = IAMValidation.arn(account, "group", path: group.Path, name: newName)
            try tx.delete(IAMKeys.groups, oldKey)
            try tx.putJSON(IAMKeys.groups, newKey, group)
            try tx.put(IAMKeys.ids, group.GroupId, Array("group:\(newKey)".utf8))
            let newEntity = EntityHeader(kind: .group, name: newName, id: group.GroupId, arn: group.Arn, path: group.Path)
            try Self.moveOwned(tx, account: account, from: oldEntity, to: newEntity)
        }
        return EmptyShape()
    }

    /// Moves the keys a user, group or role owns from its old name to its new one, and the indexes that name it.
    static func moveOwned(_ tx: any StoreWriter, account: String, from old: EntityHeader, to new: EntityHeader) throws {
        let oldPrefix = IAMKeys.nameKey(account, old.name) + "/"
        let newPrefix = IAMKeys.nameKey(account, new.name) + "/"
        var namespaces = [old.kind.inlineNamespace, old.kind.attachedNamespace]
        switch old.kind {
        case .user: namespaces = IAMKeys.userScoped
        case .group: namespaces.append(IAMKeys.groupMembers)
        case .role: namespaces.append(IAMKeys.roleInstanceProfiles)
        }
        for namespace in namespaces {
            for entry in try tx.scan(namespace, prefix: oldPrefix) {
                var value = entry.value
                if namespace == IAMKeys.groupMembers || namespace == IAMKeys.userGroups {
                    var membership = try JSONDecoder().decode(MembershipRecord.self, from: Data(entry.value))
                    if old.kind == .user { membership.UserName = new.name } else { membership.GroupName = new.name }
                    value = Array(try JSONEncoder().encode(membership))
                } else {
                    value = renamed(value, field: "\(old.kind.rawValue)Name", from: old.name, to: new.name)
                }
                try tx.delete(namespace, entry.key)
                try tx.put(namespace, newPrefix + entry.key.dropFirst(oldPrefix.count), value)
            }
        }
        // The other side of memberships.
        switch old.kind {
        case .user:
            for entry in try tx.scanJSON(MembershipRecord.self, IAMKeys.userGroups, prefix: newPrefix) {
                let groupKey = IAMKeys.nameKey(account, entry.value.GroupName) + "/"
                try tx.delete(IAMKeys.groupMembers, groupKey + old.name.lowercased())
                try tx.putJSON(IAMKeys.groupMembers, groupKey + new.name.lowercased(), entry.value)
            }
        case .group:
            for entry in try tx.scanJSON(MembershipRecord.self, IAMKeys.groupMembers, prefix: newPrefix) {
                let userKey = IAMKeys.nameKey(account, entry.value.UserName) + "/"
                try tx.delete(IAMKeys.userGroups, userKey + old.name.lowercased())
                try tx.putJSON(IAMKeys.userGroups, userKey + new.name.lowercased(), entry.value)
            }
        case .role:
            for entry in try tx.scanJSON(InstanceProfileLink.self, IAMKeys.roleInstanceProfiles, prefix: newPrefix) {
                let profileKey = IAMKeys.nameKey(account, entry.value.InstanceProfileName)
                guard var profile = try tx.getJSON(InstanceProfileRecord.self, IAMKeys.instanceProfiles, profileKey) else { continue }
                profile.roleNames = profile.roleNames.map { $0.lowercased() == old.name.lowercased() ? new.name : $0 }
                try tx.putJSON(IAMKeys.instanceProfiles, profileKey, profile)
            }
        }
        // The index of policy uses names the entity too.
        for entry in try tx.scanJSON(AttachedPolicy.self, old.kind.attachedNamespace, prefix: newPrefix) {
            guard let policy = try? PolicyARN(entry.value.PolicyArn) else { continue }
            try removeUse(tx, account, policy, .permissions, old)
            try recordUse(tx, account, policy, .permissions, new)
        }
        if let boundary = old.permissionsBoundary, let policy = try? PolicyARN(boundary) {
            try removeUse(tx, account, policy, .boundary, old)
            try recordUse(tx, account, policy, .boundary, new)
        }
    }

    /// `value` (a JSON object) with its top-level `field` changed from `old` to `new`; other values unchanged.
    static func renamed(_ value: [UInt8], field: String, from old: String, to new: String) -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any],
            let current = object[field] as? String, current == old,
            let data = try? { () throws -> Data in
                object[field] = new
                return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            }()
        else { return value }
        return Array(data)
    }

    struct DeleteGroupInput: Decodable, Sendable {
        var GroupName: String
    }

    @Sendable func deleteGroup(_ input: DeleteGroupInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let key = IAMKeys.nameKey(account, input.GroupName)
        try await write(account) { tx in
            guard let group = try tx.getJSON(GroupRecord.self, IAMKeys.groups, key) else {
                throw IAMError.noSuchEntity("group", named: input.GroupName)
            }
            let conflicts = [
                (IAMKeys.groupMembers, "Cannot delete entity, must remove users from group first."),
                (IAMKeys.groupInlinePolicies, "Cannot delete entity, must delete policies first."),
                (IAMKeys.groupAttachedPolicies, "Cannot delete entity, must detach all policies first."),
            ]
            for (namespace, message) in conflicts where try !tx.scan(namespace, prefix: key + "/", limit: 1).isEmpty {
                throw IAMError.deleteConflict(message)
            }
            try tx.delete(IAMKeys.groups, key)
            try tx.delete(IAMKeys.ids, group.GroupId)
        }
        return EmptyShape()
    }

    struct MembershipInput: Decodable, Sendable {
        var GroupName: String
        var UserName: String
    }

    @Sendable func addUserToGroup(_ input: MembershipInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        try await write(account) { tx in
            let group = try Self.entity(.group, input.GroupName, account: account, in: tx)
            let user = try Self.entity(.user, input.UserName, account: account, in: tx)
            let userKey = IAMKeys.nameKey(account, user.name) + "/" + group.name.lowercased()
            guard try tx.get(IAMKeys.userGroups, userKey) == nil else { return }
            guard try tx.scan(IAMKeys.userGroups, prefix: IAMKeys.nameKey(account, user.name) + "/", limit: Self.groupsPerUser).count < Self.groupsPerUser
            else {
                throw IAMError.limitExceeded("Cannot exceed quota for GroupsPerUser: \(Self.groupsPerUser)")
            }
            let record = MembershipRecord(UserName: user.name, GroupName: group.name)
            try tx.putJSON(IAMKeys.userGroups, userKey, record)
            try tx.putJSON(IAMKeys.groupMembers, IAMKeys.nameKey(account, group.name) + "/" + user.name.lowercased(), record)
        }
        return EmptyShape()
    }

    @Sendable func removeUserFromGroup(_ input: MembershipInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        try await write(account) { tx in
            let group = try Self.entity(.group, input.GroupName, account: account, in: tx)
            let user = try Self.entity(.user, input.UserName, account: account, in: tx)
            let userKey = IAMKeys.nameKey(account, user.name) + "/" + group.name.lowercased()
            guard try tx.get(IAMKeys.userGroups, userKey) != nil else {
                throw IAMError.noSuchEntity("User \(user.name) is not in group \(group.name).")
            }
            try tx.delete(IAMKeys.userGroups, userKey)
            try tx.delete(IAMKeys.groupMembers, IAMKeys.nameKey(account, group.name) + "/" + user.name.lowercased())
        }
        return EmptyShape()
    }

    struct ListGroupsForUserInput: Decodable, Sendable {
        var UserName: String
        var Marker: String?
        var MaxItems: Int?
    }

    @Sendable func listGroupsForUser(_ input: ListGroupsForUserInput, context: RequestContext) async throws -> ListGroupsOutput {
        let account = account(context)
        let groups = try await store.read { reader in
            let user = try Self.entity(.user, input.UserName, account: account, in: reader)
            return try reader.scanJSON(MembershipRecord.self, IAMKeys.userGroups, prefix: IAMKeys.nameKey(account, user.name) + "/")
                .compactMap { entry -> (String, GroupRecord)? in
                    try reader.getJSON(GroupRecord.self, IAMKeys.groups, IAMKeys.nameKey(account, entry.value.GroupName)).map { (entry.key, $0) }
                }
        }
        let page = try Self.slice(groups, marker: input.Marker, maxItems: input.MaxItems)
        return ListGroupsOutput(Groups: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }
}
