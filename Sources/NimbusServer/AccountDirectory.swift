//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation
public import NimbusAuth
import NimbusCore
public import NimbusStorage
import Synchronization

/// One AWS account: its id and its root user's access key.
public struct Account: Sendable, Codable, Hashable {
    public var accountID: String
    public var name: String
    public var createdAt: Date
    public var rootAccessKeyID: String
    /// The root secret, sealed under the root key with the access key id as context.
    var sealedRootSecret: [UInt8]
}

/// The accounts of this Nimbus and their root credentials; the credential provider that authentication asks.
///
/// Secrets are stored sealed under the root key. Lookups are answered from memory; a miss falls through to
/// the store, so that an account made by `nimbus accounts create` beside a running server is found.
public final class AccountDirectory: CredentialProvider {
    static let namespace = "accounts"
    static let keyNamespace = "account-keys"
    static let metaNamespace = "accounts-meta"
    /// Where `nimbus accounts create` adds keys while a server may be running on the same data dir.
    public static let namespacesAddedByOtherProcesses: Set<String> = [namespace, keyNamespace, metaNamespace]

    private let store: any MetadataStore
    private let rootKey: RootKey
    private let cache = Mutex<[String: SigningCredential]>([:])

    public init(store: any MetadataStore, rootKey: RootKey) {
        self.store = store
        self.rootKey = rootKey
    }

    public static let migrations: [StoreMigration] = []

    /// Creates an account with a new (or the given) root key; returns the account and its root secret.
    @discardableResult
    public func create(
        accountID: String? = nil,
        name: String? = nil,
        rootAccessKeyID: String? = nil,
        rootSecret: String? = nil,
        now: Date = Date()
    ) async throws -> (Account, secret: String) {
        let id = accountID ?? Identifiers.accountID()
        guard Identifiers.isAccountID(id) else {
            throw AWSError.validation("Account id \(id) is not 12 digits.")
        }
        let keyID = rootAccessKeyID ?? Identifiers.accessKeyID()
        let secret = rootSecret ?? Identifiers.secretAccessKey()
        let account = Account(
            accountID: id,
            name: name ?? "account-\(id)",
            createdAt: now,
            rootAccessKeyID: keyID,
            sealedRootSecret: try rootKey.seal(Array(secret.utf8), context: "root-secret:\(keyID)")
        )
        try await store.write { tx in
            if try tx.get(Self.namespace, id) != nil {
                throw AWSError(code: "EntityAlreadyExists", message: "Account \(id) already exists.", status: 409)
            }
            if try tx.get(Self.keyNamespace, keyID) != nil {
                throw AWSError(code: "EntityAlreadyExists", message: "Access key \(keyID) is already in use.", status: 409)
            }
            try tx.putJSON(Self.namespace, id, account)
            try tx.put(Self.keyNamespace, keyID, Array(id.utf8))
        }
        cache.withLock { $0[keyID] = Self.credential(for: account, secret: secret) }
        return (account, secret)
    }

    /// Replaces an account's root key (a pinned key from the environment).
    public func setRootKey(of accountID: String, accessKeyID: String, secret: String) async throws {
        let sealed = try rootKey.seal(Array(secret.utf8), context: "root-secret:\(accessKeyID)")
        let old: Account = try await store.write { tx in
            guard var account: Account = try tx.getJSON(Account.self, Self.namespace, accountID) else {
                throw AWSError(code: "NoSuchEntity", message: "Account \(accountID) does not exist.", status: 404)
            }
            let previous = account
            if previous.rootAccessKeyID != accessKeyID {
                if try tx.get(Self.keyNamespace, accessKeyID) != nil {
                    throw AWSError(code: "EntityAlreadyExists", message: "Access key \(accessKeyID) is already in use.", status: 409)
                }
                try tx.delete(Self.keyNamespace, previous.rootAccessKeyID)
            }
            account.rootAccessKeyID = accessKeyID
            account.sealedRootSecret = sealed
            try tx.putJSON(Self.namespace, accountID, account)
            try tx.put(Self.keyNamespace, accessKeyID, Array(accountID.utf8))
            return previous
        }
        let account = try await self.account(accountID)
        cache.withLock {
            $0[old.rootAccessKeyID] = nil
            if let account { $0[accessKeyID] = Self.credential(for: account, secret: secret) }
        }
    }

    public func account(_ accountID: String) async throws -> Account? {
        try await store.read { try $0.getJSON(Account.self, Self.namespace, accountID) }
    }

    public func list() async throws -> [Account] {
        try await store.read { tx in
            try tx.scan(Self.namespace, prefix: "", after: nil, reverse: false, limit: 10_000).map {
                try JSONDecoder().decode(Account.self, from: Data($0.value))
            }
        }
    }

    /// The root secret of an account, for the credentials file and the start banner.
    public func rootSecret(of account: Account) throws -> String {
        String(decoding: try rootKey.open(account.sealedRootSecret, context: "root-secret:\(account.rootAccessKeyID)"), as: UTF8.self)
    }

    /// The default account (the one `nimbus serve` hands out), made on first start.
    ///
    /// Pinned values (from `NIMBUS_ACCOUNT_ID` and friends) win over what the store holds, so that CI
    /// gets the same credentials on every run.
    public func ensureDefault(accountID: String?, accessKeyID: String?, secret: String?) async throws -> (Account, secret: String) {
        let marker: String? = try await store.read { tx in
            try tx.get(Self.metaNamespace, "default").map { String(decoding: $0, as: UTF8.self) }
        }
        if let marker, accountID == nil || accountID == marker, var account = try await self.account(marker) {
            let current = try rootSecret(of: account)
            if let accessKeyID, let secret, accessKeyID != account.rootAccessKeyID || secret != current {
                try await setRootKey(of: marker, accessKeyID: accessKeyID, secret: secret)
                account = try await self.account(marker) ?? account
            }
            return (account, try rootSecret(of: account))
        }
        let made: (Account, secret: String)
        if let accountID, let existing = try await self.account(accountID) {
            made = (existing, try rootSecret(of: existing))
            if let accessKeyID, let secret { try await setRootKey(of: accountID, accessKeyID: accessKeyID, secret: secret) }
        } else {
            made = try await create(accountID: accountID, name: "default", rootAccessKeyID: accessKeyID, rootSecret: secret)
        }
        let id = made.0.accountID
        try await store.write { tx in try tx.put(Self.metaNamespace, "default", Array(id.utf8)) }
        guard let account = try await self.account(id) else { return made }
        return (account, try rootSecret(of: account))
    }

    /// Forgets cached credentials (after `reset`).
    public func invalidateCache() {
        cache.withLock { $0.removeAll() }
    }

    public func credential(for accessKeyID: String) async throws -> SigningCredential? {
        if let hit = cache.withLock({ $0[accessKeyID] }) { return hit }
        guard accessKeyID.utf8.count <= 128 else { return nil }
        let found: Account? = try await store.read { tx in
            guard let id = try tx.get(Self.keyNamespace, accessKeyID) else { return nil }
            return try tx.getJSON(Account.self, Self.namespace, String(decoding: id, as: UTF8.self))
        }
        guard let account = found, account.rootAccessKeyID == accessKeyID else { return nil }
        let credential = Self.credential(for: account, secret: try rootSecret(of: account))
        cache.withLock { $0[accessKeyID] = credential }
        return credential
    }

    private static func credential(for account: Account, secret: String) -> SigningCredential {
        SigningCredential(
            accessKeyID: account.rootAccessKeyID,
            secretAccessKey: secret,
            principal: .root(of: account.accountID, accessKeyID: account.rootAccessKeyID)
        )
    }
}
