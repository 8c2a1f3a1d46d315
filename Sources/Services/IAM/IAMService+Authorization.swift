//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
public import NimbusCore
import NimbusStorage

/// The policies the authorizer evaluates for one principal.
public struct PrincipalPolicies: Sendable {
    /// Identity policies that apply: the user's inline and attached policies plus those of its groups; the role's
    /// for a role session. Each with a stable id (`arn:aws:iam::aws:policy/ReadOnlyAccess@v1`,
    /// `inline:user/bob/MyPolicy@<content hash>`) that changes whenever the document does, so callers can cache
    /// compiled forms by id.
    public var identity: [(id: String, document: String)]
    public var permissionsBoundary: (id: String, document: String)?
    /// Principal tags (`aws:PrincipalTag/…`).
    public var tags: [String: String]
    /// `aws:username`, for users.
    public var username: String?

    public init(
        identity: [(id: String, document: String)] = [],
        permissionsBoundary: (id: String, document: String)? = nil,
        tags: [String: String] = [:],
        username: String? = nil
    ) {
        self.identity = identity
        self.permissionsBoundary = permissionsBoundary
        self.tags = tags
        self.username = username
    }
}

/// What STS needs to know about a role to assume it.
public struct RoleInfo: Sendable {
    public var arn: String
    public var roleID: String
    public var name: String
    /// The trust policy as stored (not URL-encoded).
    public var trustPolicy: String
    public var maxSessionDuration: Int
    /// The ARN of the role's permissions boundary policy.
    public var permissionsBoundary: String?
    public var tags: [String: String]
}

extension IAMService {
    /// The identity policies, boundary and tags of `principal`, from a cache that every IAM write of the
    /// principal's account invalidates before it returns.
    ///
    /// - `.user`: the user named by the last component of `principal.arn`, in `principal.accountID`.
    /// - `.assumedRole`: the role whose ARN is `principal.sessionIssuer`.
    /// - anything else (root, federated, anonymous), or an entity that no longer exists: no policies.
    public func policies(for principal: Principal) async throws -> PrincipalPolicies {
        guard principal.kind == .user || principal.kind == .assumedRole else { return PrincipalPolicies() }
        let cacheKey = "\(principal.kind.rawValue)|\(principal.arn)|\(principal.sessionIssuer ?? "")"
        let account = principal.accountID
        // Read the generation before the store: a write that commits after this read bumps it, so a result
        // computed from older data is never served once that write has returned.
        let generation = authorizationCache.generation(account)
        if let cached = authorizationCache.lookup(cacheKey, account: account, generation: generation) { return cached }
        let result: PrincipalPolicies
        switch principal.kind {
        case .user:
            guard let name = userName(of: principal) else { return PrincipalPolicies() }
            result = try await store.read { try Self.userPolicies(name, arn: principal.arn, account: account, in: $0) }
        default:
            guard let issuer = principal.sessionIssuer, let (roleAccount, name) = Self.roleName(inARN: issuer) else { return PrincipalPolicies() }
            result = try await store.read { try Self.rolePolicies(name, arn: issuer, account: roleAccount, in: $0) }
        }
        authorizationCache.store(cacheKey, account: account, generation: generation, result)
        return result
    }

    /// The role `arn` (`arn:aws:iam::123456789012:role/path/name`), or nil when there is none with that exact ARN.
    public func role(arn: String) async throws -> RoleInfo? {
        guard let (account, name) = Self.roleName(inARN: arn) else { return nil }
        guard let role = try await store.read({ try $0.getJSON(RoleRecord.self, IAMKeys.roles, IAMKeys.nameKey(account, name)) }), role.Arn == arn
        else { return nil }
        return RoleInfo(
            arn: role.Arn,
            roleID: role.RoleId,
            name: role.RoleName,
            trustPolicy: role.AssumeRolePolicyDocument ?? "",
            maxSessionDuration: role.MaxSessionDuration ?? 3600,
            permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn,
            tags: Self.tagMap(role.Tags)
        )
    }

    static func tagMap(_ tags: [Tag]?) -> [String: String] {
        Dictionary((tags ?? []).map { ($0.Key, $0.Value) }, uniquingKeysWith: { _, last in last })
    }

    static func userPolicies(_ name: String, arn: String, account: String, in reader: any StoreReader) throws -> PrincipalPolicies {
        let key = IAMKeys.nameKey(account, name)
        guard let user = try reader.getJSON(UserRecord.self, IAMKeys.users, key), user.Arn == arn else { return PrincipalPolicies() }
        var result = PrincipalPolicies(tags: tagMap(user.Tags), username: user.UserName)
        try collect(.user, user.UserName, account: account, in: reader, into: &result.identity)
        for membership in try reader.scanJSON(MembershipRecord.self, IAMKeys.userGroups, prefix: key + "/") {
            try collect(.group, membership.value.GroupName, account: account, in: reader, into: &result.identity)
        }
        result.permissionsBoundary = try boundary(user.PermissionsBoundary, account: account, in: reader)
        return result
    }

    static func rolePolicies(_ name: String, arn: String, account: String, in reader: any StoreReader) throws -> PrincipalPolicies {
        guard let role = try reader.getJSON(RoleRecord.self, IAMKeys.roles, IAMKeys.nameKey(account, name)), role.Arn == arn else {
            return PrincipalPolicies()
        }
        var result = PrincipalPolicies(tags: tagMap(role.Tags))
        try collect(.role, role.RoleName, account: account, in: reader, into: &result.identity)
        result.permissionsBoundary = try boundary(role.PermissionsBoundary, account: account, in: reader)
        return result
    }

    /// Appends the inline and attached policies of one user, group or role.
    static func collect(
        _ kind: IAMEntityKind, _ name: String, account: String, in reader: any StoreReader, into identity: inout [(id: String, document: String)]
    ) throws {
        let prefix = IAMKeys.nameKey(account, name) + "/"
        for (_, policy) in try reader.scanJSON(InlinePolicyRecord.self, kind.inlineNamespace, prefix: prefix) {
            identity.append(("inline:\(kind.label)/\(name)/\(policy.PolicyName)@\(contentHash(policy.PolicyDocument))", policy.PolicyDocument))
        }
        for (_, attached) in try reader.scanJSON(AttachedPolicy.self, kind.attachedNamespace, prefix: prefix) {
            guard let arn = try? PolicyARN(attached.PolicyArn), let (document, version) = try managedPolicyDocument(arn, account: account, in: reader)
            else { continue }
            identity.append(("\(arn.arn)@\(version)", document))
        }
    }

    static func boundary(_ boundary: AttachedPermissionsBoundary?, account: String, in reader: any StoreReader) throws -> (id: String, document: String)? {
        guard let boundary, let arn = try? PolicyARN(boundary.PermissionsBoundaryArn) else { return nil }
        guard let (document, version) = try managedPolicyDocument(arn, account: account, in: reader) else {
            // A boundary whose policy is gone allows nothing, as a boundary that matches no action would.
            return ("\(arn.arn)@missing", #"{"Version":"2012-10-17","Statement":[]}"#)
        }
        return ("\(arn.arn)@\(version)", document)
    }

    /// FNV-1a, 64 bits, hex: distinguishes inline policy contents in ids; not a security boundary.
    static func contentHash(_ document: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in document.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Principal policies by principal, tagged with the generation of their account they were read at.
///
/// Every IAM write bumps its account's generation after committing; entries of older generations are ignored.
final class AuthorizationCache: @unchecked Sendable {
    // @unchecked: `generations` and `entries` are only touched while `lock` is held.
    private let lock = NSLock()
    private var generations: [String: UInt64] = [:]
    /// Bumped by ``invalidateAll()``; an account's generation is `epoch + its own count`, so it only grows.
    private var epoch: UInt64 = 0
    private var entries: [String: (generation: UInt64, policies: PrincipalPolicies)] = [:]
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func generation(_ account: String) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return epoch &+ generations[account, default: 0]
    }

    func lookup(_ key: String, account: String, generation: UInt64) -> PrincipalPolicies? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key], entry.generation == generation, epoch &+ generations[account, default: 0] == generation else { return nil }
        return entry.policies
    }

    func store(_ key: String, account: String, generation: UInt64, _ policies: PrincipalPolicies) {
        lock.lock()
        defer { lock.unlock() }
        guard epoch &+ generations[account, default: 0] == generation else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = (generation, policies)
    }

    func invalidate(_ account: String) {
        lock.lock()
        defer { lock.unlock() }
        generations[account, default: 0] &+= 1
    }

    /// Forgets everything, for every account (the store was wiped).
    func invalidateAll() {
        lock.lock()
        defer { lock.unlock() }
        epoch &+= 1
        entries.removeAll()
    }
}
