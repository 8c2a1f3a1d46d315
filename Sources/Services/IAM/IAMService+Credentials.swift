//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import NimbusAuth
import NimbusCore
import NimbusCredentials
import NimbusStorage
import Synchronization

// The seams authentication and STS use: long-term keys of IAM users, their last use, MFA codes and
// OIDC providers. Everything here is read on the request path, so it is cached or buffered in memory.

extension IAMService {
    /// Long-term keys of IAM users (`AKIA…`): principal kind `.user`, the user's ARN and `AIDA…` id,
    /// `isActive` from the key's status.
    ///
    /// Opened keys are cached in memory (bounded, short-lived); `UpdateAccessKey` and `DeleteAccessKey`
    /// drop a key from the cache before they return, so an inactive key is refused right away.
    public var credentialProvider: any CredentialProvider { IAMCredentialProvider(service: self) }

    /// Records that a key authenticated a request. Cheap: kept in memory and written to the store in
    /// the background a few seconds later (or by ``flushKeyUsage()``).
    public func noteKeyUsed(accessKeyID: String, service: String, region: String, at date: Date) {
        guard accessKeyID.hasPrefix("AKIA") else { return }
        let schedule = credentialState.noteUsage(accessKeyID, KeyUsage(date: date, service: service, region: region))
        if schedule {
            Task { [self] in
                try? await Task.sleep(for: CredentialState.usageFlushDelay)
                try? await flushKeyUsage()
            }
        }
    }

    /// Writes the buffered key usage to the store, in one transaction.
    public func flushKeyUsage() async throws {
        let pending = credentialState.takeUsage()
        guard !pending.isEmpty else { return }
        do {
            try await store.write { tx in
                for (id, usage) in pending {
                    guard var record = try tx.getJSON(AccessKeyRecord.self, IAMKeys.accessKeys, id) else { continue }
                    if let last = record.LastUsedDate, last >= usage.date { continue }
                    record.LastUsedDate = usage.date
                    record.LastUsedService = usage.service
                    record.LastUsedRegion = usage.region
                    try tx.putJSON(IAMKeys.accessKeys, id, record)
                }
            }
        } catch {
            credentialState.restoreUsage(pending)
            throw error
        }
    }

    /// For STS `GetSessionToken` / `AssumeRole` with `SerialNumber` + `TokenCode`: true when `code` is the
    /// current code of that enabled MFA device of `account`, and consumes it, so a code is accepted at
    /// most once (here and by `EnableMFADevice` / `ResyncMFADevice`).
    ///
    /// - Parameter serialNumber: the device's ARN, `arn:aws:iam::<account>:mfa/<name>`.
    public func verifyMFA(account: String, serialNumber: String, code: String, at date: Date) async throws -> Bool {
        guard Identifiers.isAccountID(account), serialNumber.hasPrefix("arn:aws:iam::\(account):mfa/"), serialNumber.utf8.count <= 256 else {
            return false
        }
        let key = IAMKeys.mfaDeviceKey(account, serialNumber)
        let rootKey = rootKey
        return try await store.write { tx in
            guard var device = try tx.getJSON(MFADeviceRecord.self, IAMKeys.mfaDevices, key), device.assignedTo != nil else {
                return false
            }
            let totp = TOTP(secret: try rootKey.open(Array(device.sealedSeed), context: MFADeviceRecord.sealContext(device.SerialNumber)))
            guard let counter = totp.verify(code, at: date, window: 1, lastUsedCounter: device.lastUsedCounter) else {
                return false
            }
            device.lastUsedCounter = counter
            try tx.putJSON(IAMKeys.mfaDevices, key, device)
            return true
        }
    }

    /// What `AssumeRoleWithWebIdentity` needs of a registered OIDC provider.
    public struct OIDCProviderInfo: Sendable {
        public var arn: String
        /// `https://…` as registered.
        public var url: String
        public var clientIDs: [String]
        public var thumbprints: [String]
    }

    /// The OIDC provider with this ARN, or nil.
    public func oidcProvider(arn: String) async throws -> OIDCProviderInfo? {
        guard let key = OIDCProviderRecord.key(forARN: arn) else { return nil }
        guard let record = try await store.read({ try $0.getJSON(OIDCProviderRecord.self, IAMKeys.oidcProviders, key) }) else {
            return nil
        }
        return OIDCProviderInfo(arn: record.Arn, url: record.Url, clientIDs: record.ClientIDList, thumbprints: record.ThumbprintList)
    }

    /// Drops the cached credentials of a user, for changes that alter its principal (a rename, a new path,
    /// deletion). Access key changes invalidate their own keys.
    func invalidateCachedCredentials(ofUserID userID: String) {
        credentialState.invalidate { $0.principal.userID == userID }
    }

    // MARK: Loading keys

    func signingCredential(forAccessKeyID id: String) async throws -> SigningCredential? {
        guard id.hasPrefix("AKIA"), id.utf8.count <= 128 else { return nil }
        let now = clock.now
        if let cached = credentialState.cached(id, now: now) { return cached }
        let generation = credentialState.generation
        let loaded = try await store.read { reader -> (AccessKeyRecord, UserRecord)? in
            guard let record = try reader.getJSON(AccessKeyRecord.self, IAMKeys.accessKeys, id),
                let user = try Self.user(withID: record.UserId, reader)
            else { return nil }
            return (record, user)
        }
        guard let (record, user) = loaded else { return nil }
        let secret = try rootKey.open(Array(record.sealedSecret), context: AccessKeyRecord.sealContext(id))
        let credential = SigningCredential(
            accessKeyID: id,
            secretAccessKey: String(decoding: secret, as: UTF8.self),
            isActive: record.Status == AccessKeyStatus.active,
            principal: Principal(kind: .user, accountID: record.account, arn: user.Arn, userID: user.UserId, accessKeyID: id)
        )
        credentialState.insert(credential, ifGeneration: generation, now: now)
        return credential
    }

    /// The user with a unique id (`AIDA…`), through `IAMKeys.ids`.
    static func user(withID userID: String, _ reader: any StoreReader) throws -> UserRecord? {
        guard let target = try reader.get(IAMKeys.ids, userID) else { return nil }
        let value = String(decoding: target, as: UTF8.self)
        guard value.hasPrefix("user:") else { return nil }
        guard let user = try reader.getJSON(UserRecord.self, IAMKeys.users, String(value.dropFirst(5))), user.UserId == userID else {
            return nil
        }
        return user
    }
}

struct IAMCredentialProvider: CredentialProvider {
    let service: IAMService

    func credential(for accessKeyID: String) async throws -> SigningCredential? {
        try await service.signingCredential(forAccessKeyID: accessKeyID)
    }
}

struct KeyUsage: Sendable {
    var date: Date
    var service: String
    var region: String
}

/// The in-memory state of IAM's credential seams: the cache of opened access keys, key usage waiting
/// to be written, and the password hasher.
final class CredentialState: @unchecked Sendable {
    // @unchecked: every stored property below is read and written only while `lock` is held.
    private let lock = NSLock()
    private var entries: [String: (credential: SigningCredential, loadedAt: Date)] = [:]
    private var invalidations: UInt64 = 0
    private var usage: [String: KeyUsage] = [:]
    private var flushScheduled = false
    private var hasher = PasswordHasher()

    /// At most this many opened keys are kept.
    static let cacheCapacity = 10_000
    /// A cached key is re-read after this long, so that changes made by another node are seen.
    static let cacheLifetime: TimeInterval = 15
    static let usageFlushDelay: Duration = .seconds(5)

    init() {}

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    var generation: UInt64 { locked { invalidations } }

    func cached(_ id: String, now: Date) -> SigningCredential? {
        locked {
            guard let entry = entries[id] else { return nil }
            guard abs(now.timeIntervalSince(entry.loadedAt)) < Self.cacheLifetime else {
                entries[id] = nil
                return nil
            }
            return entry.credential
        }
    }

    /// Caches a credential read before `generation`, unless an invalidation happened since: the read
    /// may then predate the change, and the next request must read again.
    func insert(_ credential: SigningCredential, ifGeneration generation: UInt64, now: Date) {
        locked {
            guard invalidations == generation else { return }
            if entries.count >= Self.cacheCapacity {
                entries = entries.filter { abs(now.timeIntervalSince($0.value.loadedAt)) < Self.cacheLifetime }
                while entries.count >= Self.cacheCapacity * 7 / 8, let first = entries.keys.first {
                    entries[first] = nil
                }
            }
            entries[credential.accessKeyID] = (credential, now)
        }
    }

    func invalidate(_ ids: [String]) {
        locked {
            invalidations &+= 1
            for id in ids { entries[id] = nil }
        }
    }

    func invalidate(where matches: (SigningCredential) -> Bool) {
        locked {
            invalidations &+= 1
            entries = entries.filter { !matches($0.value.credential) }
        }
    }

    /// Buffers a use; true when the caller should schedule a flush.
    func noteUsage(_ id: String, _ use: KeyUsage) -> Bool {
        locked {
            if let existing = usage[id], existing.date >= use.date { return false }
            usage[id] = use
            guard !flushScheduled else { return false }
            flushScheduled = true
            return true
        }
    }

    func pendingUsage(_ id: String) -> KeyUsage? { locked { usage[id] } }

    func takeUsage() -> [String: KeyUsage] {
        locked {
            defer {
                usage = [:]
                flushScheduled = false
            }
            return usage
        }
    }

    func restoreUsage(_ pending: [String: KeyUsage]) {
        locked {
            usage.merge(pending) { current, old in current.date >= old.date ? current : old }
        }
    }

    func dropUsage(_ id: String) { _ = locked { usage.removeValue(forKey: id) } }

    var passwordHasher: PasswordHasher {
        get { locked { hasher } }
        set { locked { hasher = newValue } }
    }
}

extension IAMService {
    /// For tests: hash passwords with fewer iterations than production, so suites stay fast.
    func usePasswordHasher(_ hasher: PasswordHasher) {
        credentialState.passwordHasher = hasher
    }
}

extension IAMService {
    /// Notes that a session of the role `roleARN` made a request; `GetRole` reports it as `RoleLastUsed`
    /// shortly after, as AWS does (with some delay). Cheap: buffered, written in the background.
    public func noteRoleUsed(roleARN: String, region: String, at date: Date) {
        let schedule = roleUsage.withLock { pending -> Bool in
            let first = pending.isEmpty
            if let known = pending[roleARN], known.date >= date { return false }
            pending[roleARN] = (date, region)
            return first
        }
        guard schedule else { return }
        Task { [self] in
            try? await Task.sleep(for: CredentialState.usageFlushDelay)
            try? await flushRoleUsage()
        }
    }

    public func flushRoleUsage() async throws {
        let pending = roleUsage.withLock { pending in
            defer { pending = [:] }
            return pending
        }
        guard !pending.isEmpty else { return }
        try await store.write { tx in
            for (arn, usage) in pending {
                guard let (account, name) = Self.roleName(inARN: arn),
                    var role = try tx.getJSON(RoleRecord.self, IAMKeys.roles, IAMKeys.nameKey(account, name)), role.Arn == arn
                else { continue }
                if let last = role.RoleLastUsed?.LastUsedDate, last >= usage.date { continue }
                role.RoleLastUsed = RoleLastUsed(LastUsedDate: usage.date, Region: usage.region)
                try tx.putJSON(IAMKeys.roles, IAMKeys.nameKey(account, name), role)
            }
        }
    }
}
