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

enum AccessKeyStatus {
    static let active = "Active"
    static let inactive = "Inactive"

    /// `Active` or `Inactive`; AWS refuses `Expired` (and anything else) in an update.
    static func validated(_ status: String) throws(AWSError) -> String {
        guard status == active || status == inactive else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(status)' at 'status' failed to satisfy constraint: "
                    + "Member must satisfy enum value set: [Active, Inactive]"
            )
        }
        return status
    }
}

/// A user's access key, by id in `IAMKeys.accessKeys`. The secret is sealed under the root key and
/// bound to the key id; it is returned once, by `CreateAccessKey`.
struct AccessKeyRecord: Codable, Sendable {
    var AccessKeyId: String
    var account: String
    /// The owner's unique id; its current name and ARN are looked up through `IAMKeys.ids`.
    var UserId: String
    var Status: String
    var CreateDate: Date
    var sealedSecret: Data
    var LastUsedDate: Date?
    var LastUsedService: String?
    var LastUsedRegion: String?

    static func sealContext(_ id: String) -> String { "iam-access-key:\(id)" }
}

/// ```xml
/// <member><UserName>bob</UserName><AccessKeyId>AKIA…</AccessKeyId><Status>Active</Status><CreateDate>…</CreateDate></member>
/// ```
/// Also the per-user index entry in `IAMKeys.userAccessKeys`, key `<account>/<lowercased user>/<key id>`.
struct AccessKeyMetadata: Codable, Sendable {
    var UserName: String
    var AccessKeyId: String
    var Status: String
    var CreateDate: Date
}

extension IAMService {
    /// AWS's quota `AccessKeysPerUser`.
    static let accessKeysPerUser = 2

    func accessKeyHandlers() -> [String: OperationHandler] {
        [
            "CreateAccessKey": OperationHandler(createAccessKey),
            "ListAccessKeys": OperationHandler(listAccessKeys),
            "UpdateAccessKey": OperationHandler(updateAccessKey),
            "DeleteAccessKey": OperationHandler(deleteAccessKey),
            "GetAccessKeyLastUsed": OperationHandler(getAccessKeyLastUsed),
        ]
    }

    /// The user an operation with an optional `UserName` acts on: the given one, else the calling IAM
    /// user; nil for the root user (whose own credentials the account directory manages).
    func targetUserName(_ given: String?, _ context: RequestContext) -> String? {
        given ?? userName(of: context.principal)
    }

    static func noSuchAccessKey(_ id: String) -> AWSError {
        IAMError.noSuchEntity("The Access Key with id \(id) cannot be found.")
    }

    // MARK: CreateAccessKey

    struct CreateAccessKeyInput: Decodable, Sendable {
        var UserName: String?
    }

    /// ```xml
    /// <AccessKey><UserName>bob</UserName><AccessKeyId>AKIA…</AccessKeyId><Status>Active</Status>
    ///   <SecretAccessKey>…</SecretAccessKey><CreateDate>…</CreateDate></AccessKey>
    /// ```
    struct CreatedAccessKey: Encodable, Sendable {
        var UserName: String
        var AccessKeyId: String
        var Status: String
        var SecretAccessKey: String
        var CreateDate: Date
    }

    struct CreateAccessKeyOutput: Encodable, Sendable {
        var AccessKey: CreatedAccessKey
    }

    @Sendable func createAccessKey(_ input: CreateAccessKeyInput, context: RequestContext) async throws -> CreateAccessKeyOutput {
        let account = account(context)
        guard let name = targetUserName(input.UserName, context) else {
            throw AWSError.validation("Must specify userName when calling with non-User credentials")
        }
        let id = Identifiers.accessKeyID()
        let secret = Identifiers.secretAccessKey()
        let sealed = try rootKey.seal(Array(secret.utf8), context: AccessKeyRecord.sealContext(id))
        let now = clock.now
        let userKey = IAMKeys.nameKey(account, name)
        let user = try await store.write { tx in
            guard let user = try tx.getJSON(UserRecord.self, IAMKeys.users, userKey) else {
                throw IAMError.noSuchEntity("user", named: name)
            }
            let existing = try tx.scan(IAMKeys.userAccessKeys, prefix: userKey + "/", after: nil, reverse: false, limit: Self.accessKeysPerUser)
            guard existing.count < Self.accessKeysPerUser else {
                throw IAMError.limitExceeded("Cannot exceed quota for AccessKeysPerUser: \(Self.accessKeysPerUser)")
            }
            let record = AccessKeyRecord(
                AccessKeyId: id, account: account, UserId: user.UserId, Status: AccessKeyStatus.active,
                CreateDate: now, sealedSecret: Data(sealed)
            )
            try tx.putJSON(IAMKeys.accessKeys, id, record)
            try tx.putJSON(
                IAMKeys.userAccessKeys, userKey + "/" + id,
                AccessKeyMetadata(UserName: user.UserName, AccessKeyId: id, Status: AccessKeyStatus.active, CreateDate: now)
            )
            return user
        }
        return CreateAccessKeyOutput(
            AccessKey: CreatedAccessKey(UserName: user.UserName, AccessKeyId: id, Status: AccessKeyStatus.active, SecretAccessKey: secret, CreateDate: now)
        )
    }

    // MARK: ListAccessKeys

    struct ListAccessKeysInput: Decodable, Sendable {
        var UserName: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListAccessKeysOutput: Encodable, Sendable {
        var AccessKeyMetadata: [AccessKeyMetadata]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listAccessKeys(_ input: ListAccessKeysInput, context: RequestContext) async throws -> ListAccessKeysOutput {
        let account = account(context)
        guard let name = targetUserName(input.UserName, context) else {
            // The root user's own keys belong to the account directory, not to IAM.
            return ListAccessKeysOutput(AccessKeyMetadata: [], IsTruncated: false)
        }
        let user = try await user(named: name, in: account)
        let page = try await page(
            AccessKeyMetadata.self, IAMKeys.userAccessKeys, prefix: IAMKeys.nameKey(account, name) + "/",
            marker: input.Marker, maxItems: input.MaxItems
        )
        let keys = page.items.map { key in
            var key = key
            key.UserName = user.UserName
            return key
        }
        return ListAccessKeysOutput(AccessKeyMetadata: keys, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    // MARK: UpdateAccessKey / DeleteAccessKey

    struct UpdateAccessKeyInput: Decodable, Sendable {
        var UserName: String?
        var AccessKeyId: String
        var Status: String
    }

    @Sendable func updateAccessKey(_ input: UpdateAccessKeyInput, context: RequestContext) async throws -> EmptyShape {
        let status = try AccessKeyStatus.validated(input.Status)
        let id = input.AccessKeyId
        let userKey = try await accessKeyOwnerKey(input.UserName, id, context)
        try await store.write { tx in
            guard var record = try tx.getJSON(AccessKeyRecord.self, IAMKeys.accessKeys, id),
                var metadata = try tx.getJSON(AccessKeyMetadata.self, IAMKeys.userAccessKeys, userKey + "/" + id)
            else { throw Self.noSuchAccessKey(id) }
            record.Status = status
            metadata.Status = status
            try tx.putJSON(IAMKeys.accessKeys, id, record)
            try tx.putJSON(IAMKeys.userAccessKeys, userKey + "/" + id, metadata)
        }
        credentialState.invalidate([id])
        return EmptyShape()
    }

    struct DeleteAccessKeyInput: Decodable, Sendable {
        var UserName: String?
        var AccessKeyId: String
    }

    @Sendable func deleteAccessKey(_ input: DeleteAccessKeyInput, context: RequestContext) async throws -> EmptyShape {
        let id = input.AccessKeyId
        let userKey = try await accessKeyOwnerKey(input.UserName, id, context)
        try await store.write { tx in
            guard try tx.get(IAMKeys.userAccessKeys, userKey + "/" + id) != nil else { throw Self.noSuchAccessKey(id) }
            try tx.delete(IAMKeys.accessKeys, id)
            try tx.delete(IAMKeys.userAccessKeys, userKey + "/" + id)
        }
        credentialState.invalidate([id])
        credentialState.dropUsage(id)
        return EmptyShape()
    }

    /// `<account>/<lowercased user>` of the user that must own key `id`: NoSuchEntity for an unknown user
    /// and, later, for a key of someone else.
    private func accessKeyOwnerKey(_ given: String?, _ id: String, _ context: RequestContext) async throws -> String {
        let account = account(context)
        guard let name = targetUserName(given, context) else { throw Self.noSuchAccessKey(id) }
        _ = try await user(named: name, in: account)
        return IAMKeys.nameKey(account, name)
    }

    // MARK: GetAccessKeyLastUsed

    struct GetAccessKeyLastUsedInput: Decodable, Sendable {
        var AccessKeyId: String
    }

    /// `ServiceName` and `Region` are `N/A` for a key never used, as AWS answers.
    struct AccessKeyLastUsed: Encodable, Sendable {
        var LastUsedDate: Date?
        var ServiceName: String
        var Region: String
    }

    struct GetAccessKeyLastUsedOutput: Encodable, Sendable {
        var UserName: String
        var AccessKeyLastUsed: AccessKeyLastUsed
    }

    @Sendable func getAccessKeyLastUsed(_ input: GetAccessKeyLastUsedInput, context: RequestContext) async throws -> GetAccessKeyLastUsedOutput {
        let account = account(context)
        let id = input.AccessKeyId
        let found = try await store.read { reader -> (AccessKeyRecord, UserRecord)? in
            guard let record = try reader.getJSON(AccessKeyRecord.self, IAMKeys.accessKeys, id), record.account == account,
                let user = try Self.user(withID: record.UserId, reader)
            else { return nil }
            return (record, user)
        }
        guard let (record, user) = found else { throw Self.noSuchAccessKey(id) }
        var lastUsed = AccessKeyLastUsed(LastUsedDate: record.LastUsedDate, ServiceName: record.LastUsedService ?? "N/A", Region: record.LastUsedRegion ?? "N/A")
        // A use not yet flushed is newer than what the store has.
        if let pending = credentialState.pendingUsage(id), pending.date > (record.LastUsedDate ?? .distantPast) {
            lastUsed = AccessKeyLastUsed(LastUsedDate: pending.date, ServiceName: pending.service, Region: pending.region)
        }
        return GetAccessKeyLastUsedOutput(UserName: user.UserName, AccessKeyLastUsed: lastUsed)
    }
}
