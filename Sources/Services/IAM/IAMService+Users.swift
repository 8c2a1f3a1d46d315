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

extension IAMService {
    func userHandlers() -> [String: OperationHandler] {
        [
            "CreateUser": OperationHandler(createUser),
            "GetUser": OperationHandler(getUser),
            "ListUsers": OperationHandler(listUsers),
            "DeleteUser": OperationHandler(deleteUser),
            "UpdateUser": OperationHandler(updateUser),
            "TagUser": OperationHandler { (input: TagUserInput, context) in
                try await self.tag(.user, input.UserName, input.Tags, context: context)
            },
            "UntagUser": OperationHandler { (input: UntagUserInput, context) in
                try await self.untag(.user, input.UserName, input.TagKeys, context: context)
            },
            "ListUserTags": OperationHandler { (input: ListUserTagsInput, context) in
                try await self.listTags(.user, input.UserName, marker: input.Marker, maxItems: input.MaxItems, context: context)
            },
            "PutUserPermissionsBoundary": OperationHandler { (input: PutUserBoundaryInput, context) in
                let account = self.account(context)
                try await self.write(account) { tx in
                    try Self.setBoundary(tx, kind: .user, name: input.UserName, account: account, to: input.PermissionsBoundary)
                }
                return EmptyShape()
            },
            "DeleteUserPermissionsBoundary": OperationHandler { (input: DeleteUserInput, context) in
                let account = self.account(context)
                try await self.write(account) { tx in
                    let user = try Self.entity(.user, input.UserName, account: account, in: tx)
                    guard user.permissionsBoundary != nil else {
                        throw IAMError.noSuchEntity("The user with name \(user.name) does not have a permissions boundary.")
                    }
                    try Self.setBoundary(tx, kind: .user, name: input.UserName, account: account, to: nil)
                }
                return EmptyShape()
            },
        ]
    }

    struct CreateUserInput: Decodable, Sendable {
        var Path: String?
        var UserName: String
        var PermissionsBoundary: String?
        var Tags: [Tag]?
    }

    struct UserOutput: Encodable, Sendable {
        var User: UserRecord
    }

    @Sendable func createUser(_ input: CreateUserInput, context: RequestContext) async throws -> UserOutput {
        let account = account(context)
        let path = try IAMValidation.path(input.Path)
        let tags = try IAMValidation.tags(input.Tags)
        let boundary = try input.PermissionsBoundary.map { arn throws(AWSError) in try PolicyARN(arn) }
        let user = UserRecord(
            Path: path,
            UserName: input.UserName,
            UserId: Identifiers.uniqueID(prefix: "AIDA"),
            Arn: IAMValidation.arn(account, "user", path: path, name: input.UserName),
            CreateDate: clock.now,
            PermissionsBoundary: input.PermissionsBoundary.map { AttachedPermissionsBoundary(PermissionsBoundaryArn: $0) },
            Tags: tags.isEmpty ? nil : tags
        )
        try await write(account) { tx in
            let key = IAMKeys.nameKey(account, user.UserName)
            if try tx.get(IAMKeys.users, key) != nil { throw IAMError.alreadyExists("User", named: user.UserName) }
            guard try tx.scan(IAMKeys.users, prefix: account + "/", limit: Self.usersPerAccount).count < Self.usersPerAccount else {
                throw IAMError.limitExceeded("Cannot exceed quota for UsersPerAccount: \(Self.usersPerAccount)")
            }
            if let boundary {
                guard try Self.managedPolicyDocument(boundary, account: account, in: tx) != nil else { throw Self.notAttachable(boundary.arn) }
                let entity = EntityHeader(kind: .user, name: user.UserName, id: user.UserId, arn: user.Arn, path: user.Path)
                try Self.recordUse(tx, account, boundary, .boundary, entity)
            }
            try tx.putJSON(IAMKeys.users, key, user)
            try tx.put(IAMKeys.ids, user.UserId, Array("user:\(key)".utf8))
        }
        return UserOutput(User: user)
    }

    struct GetUserInput: Decodable, Sendable {
        var UserName: String?
    }

    /// Without a name, the caller itself (AWS answers for the root user too, with its account ARN).
    @Sendable func getUser(_ input: GetUserInput, context: RequestContext) async throws -> UserOutput {
        let account = account(context)
        guard let name = input.UserName ?? (context.principal.kind == .user ? userName(of: context.principal) : nil) else {
            if context.principal.kind == .root {
                return UserOutput(User: UserRecord(Path: "/", UserName: "", UserId: account, Arn: context.principal.arn, CreateDate: clock.now))
            }
            throw AWSError.validation("Must specify userName when calling with non-User credentials")
        }
        return UserOutput(User: try await user(named: name, in: account))
    }

    struct ListUsersInput: Decodable, Sendable {
        var PathPrefix: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListUsersOutput: Encodable, Sendable {
        var Users: [UserRecord]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listUsers(_ input: ListUsersInput, context: RequestContext) async throws -> ListUsersOutput {
        let prefix = input.PathPrefix ?? "/"
        let page = try await page(
            UserRecord.self, IAMKeys.users, prefix: account(context) + "/", marker: input.Marker, maxItems: input.MaxItems,
            where: { $0.Path.hasPrefix(prefix) }
        )
        // ListUsers leaves out tags and boundaries, as AWS does.
        let users = page.items.map { user in
            var user = user
            user.Tags = nil
            user.PermissionsBoundary = nil
            return user
        }
        return ListUsersOutput(Users: users, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct DeleteUserInput: Decodable, Sendable {
        var UserName: String
    }

    @Sendable func deleteUser(_ input: DeleteUserInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let key = IAMKeys.nameKey(account, input.UserName)
        try await write(account) { tx in
            guard let user = try tx.getJSON(UserRecord.self, IAMKeys.users, key) else {
                throw IAMError.noSuchEntity("user", named: input.UserName)
            }
            for namespace in IAMKeys.userScoped where try !tx.scan(namespace, prefix: key + "/", after: nil, reverse: false, limit: 1).isEmpty {
                throw IAMError.deleteConflict(Self.deleteConflictMessage(namespace))
            }
            if let boundary = user.PermissionsBoundary, let policy = try? PolicyARN(boundary.PermissionsBoundaryArn) {
                let entity = EntityHeader(kind: .user, name: user.UserName, id: user.UserId, arn: user.Arn, path: user.Path)
                try Self.removeUse(tx, account, policy, .boundary, entity)
            }
            try tx.delete(IAMKeys.users, key)
            try tx.delete(IAMKeys.ids, user.UserId)
        }
        return EmptyShape()
    }

    static let usersPerAccount = 5000

    struct TagUserInput: Decodable, Sendable {
        var UserName: String
        var Tags: [Tag]
    }
    struct UntagUserInput: Decodable, Sendable {
        var UserName: String
        var TagKeys: [String]
    }
    struct ListUserTagsInput: Decodable, Sendable {
        var UserName: String
        var Marker: String?
        var MaxItems: Int?
    }
    struct PutUserBoundaryInput: Decodable, Sendable {
        var UserName: String
        var PermissionsBoundary: String
    }

    struct UpdateUserInput: Decodable, Sendable {
        var UserName: String
        var NewPath: String?
        var NewUserName: String?
    }

    /// Renames and/or moves a user. Everything the user owns (policies, groups, keys, login profile, MFA,
    /// certificates, SSH keys) moves with it, and the id index follows, in one transaction.
    @Sendable func updateUser(_ input: UpdateUserInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let newPath = try input.NewPath.map { path throws(AWSError) in try IAMValidation.path(path, member: "newPath") }
        try await write(account) { tx in
            let oldKey = IAMKeys.nameKey(account, input.UserName)
            guard var user = try tx.getJSON(UserRecord.self, IAMKeys.users, oldKey) else {
                throw IAMError.noSuchEntity("user", named: input.UserName)
            }
            let oldEntity = try Self.entity(.user, user.UserName, account: account, in: tx)
            let newName = input.NewUserName ?? user.UserName
            let newKey = IAMKeys.nameKey(account, newName)
            if newKey != oldKey, try tx.get(IAMKeys.users, newKey) != nil {
                throw IAMError.alreadyExists("User", named: newName)
            }
            user.UserName = newName
            user.Path = newPath ?? user.Path
            user.Arn = IAMValidation.arn(account, "user", path: user.Path, name: newName)
            try tx.delete(IAMKeys.users, oldKey)
            try tx.putJSON(IAMKeys.users, newKey, user)
            try tx.put(IAMKeys.ids, user.UserId, Array("user:\(newKey)".utf8))
            let newEntity = EntityHeader(
                kind: .user, name: newName, id: user.UserId, arn: user.Arn, path: user.Path,
                permissionsBoundary: user.PermissionsBoundary?.PermissionsBoundaryArn
            )
            try Self.moveOwned(tx, account: account, from: oldEntity, to: newEntity)
        }
        return EmptyShape()
    }

    static func deleteConflictMessage(_ namespace: String) -> String {
        switch namespace {
        case IAMKeys.userAccessKeys: "Cannot delete entity, must delete access keys first."
        case IAMKeys.loginProfiles: "Cannot delete entity, must delete login profile first."
        case IAMKeys.userMFADevices: "Cannot delete entity, must delete MFA device first."
        case IAMKeys.userInlinePolicies: "Cannot delete entity, must delete policies first."
        case IAMKeys.userAttachedPolicies: "Cannot delete entity, must detach all policies first."
        case IAMKeys.userGroups: "Cannot delete entity, must remove users from group first."
        case IAMKeys.signingCertificates: "Cannot delete entity, must delete signing certificates first."
        case IAMKeys.sshPublicKeys: "Cannot delete entity, must delete SSH public keys first."
        default: "Cannot delete entity, must delete its subresources first."
        }
    }

    // MARK: Lookups shared by every area

    func user(named name: String, in account: String) async throws -> UserRecord {
        guard let user = try await store.read({ try $0.getJSON(UserRecord.self, IAMKeys.users, IAMKeys.nameKey(account, name)) }) else {
            throw IAMError.noSuchEntity("user", named: name)
        }
        return user
    }

    /// The user name in a user principal's ARN (`arn:aws:iam::123456789012:user/path/alice` → `alice`).
    func userName(of principal: Principal) -> String? {
        guard principal.kind == .user, let slash = principal.arn.lastIndex(of: "/") else { return nil }
        return String(principal.arn[principal.arn.index(after: slash)...])
    }
}
