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

/// The three kinds of IAM identity that carry policies.
enum IAMEntityKind: String, Codable, Sendable, CaseIterable {
    case user = "User"
    case group = "Group"
    case role = "Role"

    var namespace: String {
        switch self {
        case .user: IAMKeys.users
        case .group: IAMKeys.groups
        case .role: IAMKeys.roles
        }
    }
    var inlineNamespace: String {
        switch self {
        case .user: IAMKeys.userInlinePolicies
        case .group: IAMKeys.groupInlinePolicies
        case .role: IAMKeys.roleInlinePolicies
        }
    }
    var attachedNamespace: String {
        switch self {
        case .user: IAMKeys.userAttachedPolicies
        case .group: IAMKeys.groupAttachedPolicies
        case .role: IAMKeys.roleAttachedPolicies
        }
    }
    /// As AWS words it in messages: "The user with name bob cannot be found."
    var label: String { rawValue.lowercased() }
    var owner: InlinePolicyOwner {
        switch self {
        case .user: .user
        case .group: .group
        case .role: .role
        }
    }
}

/// The parts of a user, group or role record every area needs.
struct EntityHeader: Sendable {
    var kind: IAMEntityKind
    var name: String
    var id: String
    var arn: String
    var path: String
    var permissionsBoundary: String?
}

/// An inline policy, stored under `<account>/<lowercased owner>/<lowercased policy name>`.
struct InlinePolicyRecord: Codable, Sendable {
    var PolicyName: String
    var PolicyDocument: String
}

/// An attached managed policy; also the `<AttachedPolicies>` member.
struct AttachedPolicy: Codable, Sendable, Hashable {
    var PolicyName: String
    var PolicyArn: String
}

/// One use of a managed policy by an entity, in `IAMKeys.policyEntities`.
struct PolicyUseRecord: Codable, Sendable {
    var kind: IAMEntityKind
    var name: String
    var id: String
    var path: String
}

/// A managed policy ARN taken apart: `arn:aws:iam::<account|aws>:policy<path><name>`.
struct PolicyARN: Sendable, Hashable {
    var arn: String
    var account: String
    var path: String
    var name: String
    var isAWSManaged: Bool { account == "aws" }
    /// Where the policy's uses are indexed: names can't contain `:`, so the two kinds never collide.
    var ref: String { isAWSManaged ? "aws:" + name : name.lowercased() }

    init(_ arn: String) throws(AWSError) {
        let prefix = "arn:aws:iam::"
        guard arn.hasPrefix(prefix) else { throw IAMError.invalidInput("ARN \(arn) is not valid.") }
        let rest = arn.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { throw IAMError.invalidInput("ARN \(arn) is not valid.") }
        let account = String(rest[..<colon])
        let resource = rest[rest.index(after: colon)...]
        guard account == "aws" || Identifiers.isAccountID(account), resource.hasPrefix("policy/"),
            let slash = resource.lastIndex(of: "/")
        else { throw IAMError.invalidInput("ARN \(arn) is not valid.") }
        let name = String(resource[resource.index(after: slash)...])
        let path = String(resource[resource.index(resource.startIndex, offsetBy: 6)...slash])
        guard !name.isEmpty, name.count <= 128 else { throw IAMError.invalidInput("ARN \(arn) is not valid.") }
        self.arn = arn
        self.account = account
        self.path = path
        self.name = name
    }
}

/// The usage kinds of `ListEntitiesForPolicy`'s `PolicyUsageFilter`.
enum PolicyUsage: String, Sendable {
    case permissions = "p"
    case boundary = "b"
}

extension IAMService {
    // MARK: Validation

    /// Checks a policy document with the policy engine's rules and AWS's messages.
    func validatePolicyDocument(_ document: String, kind: PolicyKind) throws(AWSError) {
        do {
            try PolicyDocument.validate(document, kind: kind)
        } catch {
            throw Self.awsError(error)
        }
    }

    static func awsError(_ error: PolicyError) -> AWSError {
        switch error {
        case PolicyError.limitExceeded: IAMError.limitExceeded(error.message)
        default: IAMError.malformedPolicy(error.message)
        }
    }

    /// Policy documents travel URL-encoded (RFC 3986) in IAM's responses; boto3 and the CLI decode them.
    static func urlEncoded(_ document: String) -> String {
        var out = ""
        out.reserveCapacity(document.utf8.count * 2)
        let hex = Array("0123456789ABCDEF")
        for byte in document.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    // MARK: Writes

    /// A store write that invalidates the account's cached principal policies once it has committed.
    func write<T: Sendable>(_ account: String, _ body: @escaping @Sendable (any StoreWriter) throws -> T) async throws -> T {
        do {
            let result = try await store.write(body)
            authorizationCache.invalidate(account)
            return result
        } catch {
            authorizationCache.invalidate(account)
            throw error
        }
    }

    // MARK: Entities

    /// The user, group or role named `name`, or `NoSuchEntity`.
    static func entity(_ kind: IAMEntityKind, _ name: String, account: String, in reader: any StoreReader) throws -> EntityHeader {
        let key = IAMKeys.nameKey(account, name)
        let header: EntityHeader?
        switch kind {
        case .user:
            header = try reader.getJSON(UserRecord.self, kind.namespace, key).map {
                EntityHeader(kind: kind, name: $0.UserName, id: $0.UserId, arn: $0.Arn, path: $0.Path, permissionsBoundary: $0.PermissionsBoundary?.PermissionsBoundaryArn)
            }
        case .group:
            header = try reader.getJSON(GroupRecord.self, kind.namespace, key).map {
                EntityHeader(kind: kind, name: $0.GroupName, id: $0.GroupId, arn: $0.Arn, path: $0.Path)
            }
        case .role:
            header = try reader.getJSON(RoleRecord.self, kind.namespace, key).map {
                EntityHeader(kind: kind, name: $0.RoleName, id: $0.RoleId, arn: $0.Arn, path: $0.Path, permissionsBoundary: $0.PermissionsBoundary?.PermissionsBoundaryArn)
            }
        }
        guard let header else { throw IAMError.noSuchEntity(kind.label, named: name) }
        return header
    }

    /// Keys of the index of policy uses: `<account>/<policy ref>/<usage>/<kind>/<lowercased entity>`.
    static func useKey(_ account: String, _ policy: PolicyARN, _ usage: PolicyUsage, _ entity: EntityHeader) -> String {
        "\(account)/\(policy.ref)/\(usage.rawValue)/\(entity.kind.rawValue)/\(entity.name.lowercased())"
    }

    static func recordUse(_ tx: any StoreWriter, _ account: String, _ policy: PolicyARN, _ usage: PolicyUsage, _ entity: EntityHeader) throws {
        try tx.putJSON(
            IAMKeys.policyEntities, useKey(account, policy, usage, entity),
            PolicyUseRecord(kind: entity.kind, name: entity.name, id: entity.id, path: entity.path)
        )
    }

    static func removeUse(_ tx: any StoreWriter, _ account: String, _ policy: PolicyARN, _ usage: PolicyUsage, _ entity: EntityHeader) throws {
        try tx.delete(IAMKeys.policyEntities, useKey(account, policy, usage, entity))
    }

    static func useCount(_ reader: any StoreReader, _ account: String, _ policy: PolicyARN, _ usage: PolicyUsage) throws -> Int {
        try reader.scan(IAMKeys.policyEntities, prefix: "\(account)/\(policy.ref)/\(usage.rawValue)/").count
    }

    /// The default document of a managed policy visible to `account`, or `NoSuchEntity` worded as `attach` expects.
    static func managedPolicyDocument(_ policy: PolicyARN, account: String, in reader: any StoreReader) throws -> (document: String, version: String)? {
        if policy.isAWSManaged {
            guard let managed = AWSManagedPolicies.byName[policy.name], managed.arn == policy.arn else { return nil }
            return (managed.document, managed.versionId)
        }
        guard policy.account == account,
            let record = try reader.getJSON(ManagedPolicyRecord.self, IAMKeys.policies, IAMKeys.nameKey(account, policy.name)),
            record.Arn == policy.arn,
            let version = try reader.getJSON(PolicyVersionRecord.self, IAMKeys.policyVersions, IAMKeys.key(account, policy.name.lowercased(), record.DefaultVersionId))
        else { return nil }
        return (version.Document ?? "", record.DefaultVersionId)
    }

    static func notAttachable(_ arn: String) -> AWSError {
        IAMError.noSuchEntity("Policy \(arn) does not exist or is not attachable.")
    }

    // MARK: Permissions boundaries

    /// Sets or clears the boundary of a user or role inside `tx`, keeping the policy's usage index.
    static func setBoundary(_ tx: any StoreWriter, kind: IAMEntityKind, name: String, account: String, to arn: String?) throws {
        let entity = try entity(kind, name, account: account, in: tx)
        var newPolicy: PolicyARN?
        if let arn {
            let policy = try PolicyARN(arn)
            guard try managedPolicyDocument(policy, account: account, in: tx) != nil else { throw notAttachable(arn) }
            newPolicy = policy
        }
        if let old = entity.permissionsBoundary, let oldPolicy = try? PolicyARN(old) {
            try removeUse(tx, account, oldPolicy, .boundary, entity)
        }
        if let newPolicy { try recordUse(tx, account, newPolicy, .boundary, entity) }
        let boundary = arn.map { AttachedPermissionsBoundary(PermissionsBoundaryArn: $0) }
        let key = IAMKeys.nameKey(account, name)
        switch kind {
        case .user:
            guard var user = try tx.getJSON(UserRecord.self, IAMKeys.users, key) else { return }
            user.PermissionsBoundary = boundary
            try tx.putJSON(IAMKeys.users, key, user)
        case .role:
            guard var role = try tx.getJSON(RoleRecord.self, IAMKeys.roles, key) else { return }
            role.PermissionsBoundary = boundary
            try tx.putJSON(IAMKeys.roles, key, role)
        case .group:
            break
        }
    }

    // MARK: Handlers

    func policyHandlers() -> [String: OperationHandler] {
        var handlers: [String: OperationHandler] = [:]
        for kind in IAMEntityKind.allCases {
            let noun = kind.rawValue
            handlers["Put\(noun)Policy"] = OperationHandler { (input: PutInlinePolicyInput, context) in
                try await self.putInlinePolicy(kind, input, context: context)
            }
            handlers["Get\(noun)Policy"] = OperationHandler { (input: InlinePolicyNameInput, context) in
                try await self.getInlinePolicy(kind, input, context: context)
            }
            handlers["Delete\(noun)Policy"] = OperationHandler { (input: InlinePolicyNameInput, context) in
                try await self.deleteInlinePolicy(kind, input, context: context)
            }
            handlers["List\(noun)Policies"] = OperationHandler { (input: ListInlinePoliciesInput, context) in
                try await self.listInlinePolicies(kind, input, context: context)
            }
            handlers["Attach\(noun)Policy"] = OperationHandler { (input: AttachPolicyInput, context) in
                try await self.attachPolicy(kind, input, context: context)
            }
            handlers["Detach\(noun)Policy"] = OperationHandler { (input: AttachPolicyInput, context) in
                try await self.detachPolicy(kind, input, context: context)
            }
            handlers["ListAttached\(noun)Policies"] = OperationHandler { (input: ListAttachedPoliciesInput, context) in
                try await self.listAttachedPolicies(kind, input, context: context)
            }
        }
        return handlers
    }

    /// `UserName` / `GroupName` / `RoleName`, whichever the operation takes.
    struct EntityNames: Decodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?

        func name(_ kind: IAMEntityKind) throws(AWSError) -> String {
            let name: String? =
                switch kind {
                case .user: UserName
                case .group: GroupName
                case .role: RoleName
                }
            guard let name else {
                throw AWSError.validation("1 validation error detected: Value null at '\(kind.label)Name' failed to satisfy constraint: Member must not be null")
            }
            return name
        }
    }

    struct PutInlinePolicyInput: Decodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?
        var PolicyName: String
        var PolicyDocument: String
        var names: EntityNames { EntityNames(UserName: UserName, GroupName: GroupName, RoleName: RoleName) }
    }

    struct InlinePolicyNameInput: Decodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?
        var PolicyName: String
        var names: EntityNames { EntityNames(UserName: UserName, GroupName: GroupName, RoleName: RoleName) }
    }

    struct ListInlinePoliciesInput: Decodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?
        var Marker: String?
        var MaxItems: Int?
        var names: EntityNames { EntityNames(UserName: UserName, GroupName: GroupName, RoleName: RoleName) }
    }

    struct AttachPolicyInput: Decodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?
        var PolicyArn: String
        var names: EntityNames { EntityNames(UserName: UserName, GroupName: GroupName, RoleName: RoleName) }
    }

    struct ListAttachedPoliciesInput: Decodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?
        var PathPrefix: String?
        var Marker: String?
        var MaxItems: Int?
        var names: EntityNames { EntityNames(UserName: UserName, GroupName: GroupName, RoleName: RoleName) }
    }

    /// `GetUserPolicy` / `GetGroupPolicy` / `GetRolePolicy`: the owner's name member, the policy name and the document.
    struct InlinePolicyOutput: Encodable, Sendable {
        var UserName: String?
        var GroupName: String?
        var RoleName: String?
        var PolicyName: String
        var PolicyDocument: String
    }

    struct PolicyNamesOutput: Encodable, Sendable {
        var PolicyNames: [String]
        var IsTruncated: Bool
        var Marker: String?
    }

    struct AttachedPoliciesOutput: Encodable, Sendable {
        var AttachedPolicies: [AttachedPolicy]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func putInlinePolicy(_ kind: IAMEntityKind, _ input: PutInlinePolicyInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try input.names.name(kind)
        try validatePolicyDocument(input.PolicyDocument, kind: .inlineIdentity)
        let size = PolicyLimits.size(of: input.PolicyDocument)
        let limit = PolicyLimits.inlineAggregate(for: kind.owner)
        try await write(account) { tx in
            let entity = try Self.entity(kind, owner, account: account, in: tx)
            let prefix = IAMKeys.nameKey(account, entity.name) + "/"
            let key = prefix + input.PolicyName.lowercased()
            var total = size
            for (existingKey, existing) in try tx.scanJSON(InlinePolicyRecord.self, kind.inlineNamespace, prefix: prefix) where existingKey != key {
                total += PolicyLimits.size(of: existing.PolicyDocument)
            }
            guard total <= limit else {
                throw Self.awsError(PolicyError.inlinePolicySizeExceeded(limit: limit, entity: kind.owner, name: entity.name))
            }
            // A replaced policy keeps the name it was first given, as AWS does.
            let name = try tx.getJSON(InlinePolicyRecord.self, kind.inlineNamespace, key)?.PolicyName ?? input.PolicyName
            try tx.putJSON(kind.inlineNamespace, key, InlinePolicyRecord(PolicyName: name, PolicyDocument: input.PolicyDocument))
        }
        return EmptyShape()
    }

    @Sendable func getInlinePolicy(_ kind: IAMEntityKind, _ input: InlinePolicyNameInput, context: RequestContext) async throws -> InlinePolicyOutput {
        let account = account(context)
        let owner = try input.names.name(kind)
        let (entity, policy) = try await store.read { reader in
            let entity = try Self.entity(kind, owner, account: account, in: reader)
            let policy = try reader.getJSON(
                InlinePolicyRecord.self, kind.inlineNamespace, IAMKeys.nameKey(account, entity.name) + "/" + input.PolicyName.lowercased()
            )
            return (entity, policy)
        }
        guard let policy else {
            throw IAMError.noSuchEntity("The \(kind.label) policy with name \(input.PolicyName) cannot be found.")
        }
        var output = InlinePolicyOutput(PolicyName: policy.PolicyName, PolicyDocument: Self.urlEncoded(policy.PolicyDocument))
        switch kind {
        case .user: output.UserName = entity.name
        case .group: output.GroupName = entity.name
        case .role: output.RoleName = entity.name
        }
        return output
    }

    @Sendable func deleteInlinePolicy(_ kind: IAMEntityKind, _ input: InlinePolicyNameInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try input.names.name(kind)
        try await write(account) { tx in
            let entity = try Self.entity(kind, owner, account: account, in: tx)
            let key = IAMKeys.nameKey(account, entity.name) + "/" + input.PolicyName.lowercased()
            guard try tx.get(kind.inlineNamespace, key) != nil else {
                throw IAMError.noSuchEntity("The \(kind.label) policy with name \(input.PolicyName) cannot be found.")
            }
            try tx.delete(kind.inlineNamespace, key)
        }
        return EmptyShape()
    }

    @Sendable func listInlinePolicies(_ kind: IAMEntityKind, _ input: ListInlinePoliciesInput, context: RequestContext) async throws -> PolicyNamesOutput {
        let account = account(context)
        let owner = try input.names.name(kind)
        let items = try await store.read { reader in
            let entity = try Self.entity(kind, owner, account: account, in: reader)
            return try reader.scanJSON(InlinePolicyRecord.self, kind.inlineNamespace, prefix: IAMKeys.nameKey(account, entity.name) + "/")
                .map { ($0.key, $0.value.PolicyName) }
        }
        let page = try Self.slice(items, marker: input.Marker, maxItems: input.MaxItems)
        return PolicyNamesOutput(PolicyNames: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    @Sendable func attachPolicy(_ kind: IAMEntityKind, _ input: AttachPolicyInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try input.names.name(kind)
        let policy = try PolicyARN(input.PolicyArn)
        try await write(account) { tx in
            let entity = try Self.entity(kind, owner, account: account, in: tx)
            guard try Self.managedPolicyDocument(policy, account: account, in: tx) != nil else { throw Self.notAttachable(input.PolicyArn) }
            let prefix = IAMKeys.nameKey(account, entity.name) + "/"
            let key = prefix + policy.arn
            guard try tx.get(kind.attachedNamespace, key) == nil else { return }  // attaching twice is a no-op
            guard try tx.scan(kind.attachedNamespace, prefix: prefix, limit: 10).count < 10 else {
                throw IAMError.limitExceeded("Cannot exceed quota for PoliciesPer\(kind.rawValue): 10")
            }
            try tx.putJSON(kind.attachedNamespace, key, AttachedPolicy(PolicyName: policy.name, PolicyArn: policy.arn))
            try Self.recordUse(tx, account, policy, .permissions, entity)
        }
        return EmptyShape()
    }

    @Sendable func detachPolicy(_ kind: IAMEntityKind, _ input: AttachPolicyInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let owner = try input.names.name(kind)
        let policy = try PolicyARN(input.PolicyArn)
        try await write(account) { tx in
            let entity = try Self.entity(kind, owner, account: account, in: tx)
            let key = IAMKeys.nameKey(account, entity.name) + "/" + policy.arn
            guard try tx.get(kind.attachedNamespace, key) != nil else {
                throw IAMError.noSuchEntity("Policy \(policy.arn) was not found.")
            }
            try tx.delete(kind.attachedNamespace, key)
            try Self.removeUse(tx, account, policy, .permissions, entity)
        }
        return EmptyShape()
    }

    @Sendable func listAttachedPolicies(_ kind: IAMEntityKind, _ input: ListAttachedPoliciesInput, context: RequestContext) async throws
        -> AttachedPoliciesOutput
    {
        let account = account(context)
        let owner = try input.names.name(kind)
        let pathPrefix = input.PathPrefix ?? "/"
        let items = try await store.read { reader in
            let entity = try Self.entity(kind, owner, account: account, in: reader)
            return try reader.scanJSON(AttachedPolicy.self, kind.attachedNamespace, prefix: IAMKeys.nameKey(account, entity.name) + "/")
                .filter { ((try? PolicyARN($0.value.PolicyArn).path) ?? "/").hasPrefix(pathPrefix) }
                .map { ($0.key, $0.value) }
        }
        let page = try Self.slice(items, marker: input.Marker, maxItems: input.MaxItems)
        return AttachedPoliciesOutput(AttachedPolicies: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    // MARK: Pagination of small in-memory lists

    /// One page of `items` (each with its sort key), with the same opaque marker form as ``page(_:_:prefix:marker:maxItems:where:)``.
    static func slice<Item>(_ unsorted: [(String, Item)], marker: String?, maxItems: Int?) throws(AWSError) -> IAMPage<Item> {
        // Markers name the last key of a page, so pages follow key order (UTF-8 bytes, like the store's).
        let items = unsorted.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let limit = maxItems ?? 100
        guard (1...1000).contains(limit) else {
            throw AWSError.validation("1 validation error detected: Value '\(limit)' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
        }
        var start = 0
        if let marker {
            guard let data = Data(base64Encoded: marker), let key = String(data: data, encoding: .utf8) else {
                throw IAMError.invalidInput("Invalid Marker.")
            }
            start = items.firstIndex { key.utf8.lexicographicallyPrecedes($0.0.utf8) } ?? items.count
        }
        let end = min(items.count, start + limit)
        let page = Array(items[start..<end])
        let truncated = end < items.count
        return IAMPage(
            items: page.map(\.1),
            isTruncated: truncated,
            marker: truncated ? page.last.map { Data($0.0.utf8).base64EncodedString() } : nil
        )
    }
}
