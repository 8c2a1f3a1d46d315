//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
import NimbusAuth
import NimbusCore
import NimbusStorage
import Synchronization

/// One set of temporary credentials as stored: the secret sealed, the principal it stands for.
struct SessionRecord: Codable, Sendable {
    var accessKeyID: String
    var sealedSecret: [UInt8]
    var sessionToken: String
    var expiration: Date
    var principal: StoredPrincipal
}

/// `Principal` in a stable stored form.
struct StoredPrincipal: Codable, Sendable {
    var kind: String
    var accountID: String
    var arn: String
    var userID: String
    var mfaAuthenticatedAt: Date?
    var sessionIssuer: String?
    var sessionPolicies: [String]
    var sessionTags: [String: String]
    var sourceIdentity: String?
    var sessionCreatedAt: Date?

    init(_ p: Principal) {
        kind = p.kind.rawValue
        accountID = p.accountID
        arn = p.arn
        userID = p.userID
        mfaAuthenticatedAt = p.mfaAuthenticatedAt
        sessionIssuer = p.sessionIssuer
        sessionPolicies = p.sessionPolicies
        sessionTags = p.sessionTags
        sourceIdentity = p.sourceIdentity
        sessionCreatedAt = p.sessionCreatedAt
    }

    func principal(accessKeyID: String) -> Principal {
        var p = Principal(
            kind: Principal.Kind(rawValue: kind) ?? .assumedRole,
            accountID: accountID,
            arn: arn,
            userID: userID,
            accessKeyID: accessKeyID,
            mfaAuthenticatedAt: mfaAuthenticatedAt,
            sessionIssuer: sessionIssuer
        )
        p.sessionPolicies = sessionPolicies
        p.sessionTags = sessionTags
        p.sourceIdentity = sourceIdentity
        p.sessionCreatedAt = sessionCreatedAt
        return p
    }
}

/// Opened sessions by access key id; bounded, and never holding an expired one past its use.
final class SessionCache: Sendable {
    private let entries = Mutex<[String: SigningCredential]>([:])

    func get(_ id: String) -> SigningCredential? { entries.withLock { $0[id] } }

    func put(_ credential: SigningCredential) {
        entries.withLock {
            if $0.count >= 50_000 { $0.removeAll(keepingCapacity: true) }
            $0[credential.accessKeyID] = credential
        }
    }

    func removeAll() { entries.withLock { $0.removeAll() } }
}

struct SessionCredentialProvider: CredentialProvider {
    let service: STSService

    func credential(for accessKeyID: String) async throws -> SigningCredential? {
        guard accessKeyID.hasPrefix("ASIA"), accessKeyID.utf8.count <= 128 else { return nil }
        if let hit = service.sessions.get(accessKeyID) { return hit }
        guard let record = try await service.store.read({ try $0.getJSON(SessionRecord.self, STSService.sessionNamespace, accessKeyID) }) else {
            return nil
        }
        let secret = try service.rootKey.open(record.sealedSecret, context: "sts-session:\(accessKeyID)")
        let credential = SigningCredential(
            accessKeyID: accessKeyID,
            secretAccessKey: String(decoding: secret, as: UTF8.self),
            sessionToken: record.sessionToken,
            expiration: record.expiration,
            principal: record.principal.principal(accessKeyID: accessKeyID)
        )
        service.sessions.put(credential)
        return credential
    }
}

extension STSService {
    static let sessionNamespace = "sts.sessions"

    /// Makes and stores temporary credentials for `principal`, valid for `duration` seconds.
    func issue(for principal: Principal, duration: Int) async throws -> (credentials: CredentialsOutput, principal: Principal) {
        let now = clock.now
        let keyID = Identifiers.temporaryAccessKeyID()
        let secret = Identifiers.secretAccessKey()
        var tokenBytes = [UInt8](repeating: 0, count: 96)
        var rng = SystemRandomNumberGenerator()
        for i in tokenBytes.indices { tokenBytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let token = "IQoJb3JpZ2luX2Vj" + Data(tokenBytes).base64EncodedString()
        var session = principal
        session.accessKeyID = keyID
        session.sessionCreatedAt = now
        let expiration = now.addingTimeInterval(TimeInterval(duration))
        let record = SessionRecord(
            accessKeyID: keyID,
            sealedSecret: try rootKey.seal(Array(secret.utf8), context: "sts-session:\(keyID)"),
            sessionToken: token,
            expiration: expiration,
            principal: StoredPrincipal(session)
        )
        try await store.write { try $0.putJSON(Self.sessionNamespace, keyID, record) }
        sessions.put(
            SigningCredential(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token, expiration: expiration, principal: session)
        )
        return (CredentialsOutput(AccessKeyId: keyID, SecretAccessKey: secret, SessionToken: token, Expiration: expiration), session)
    }

    /// Forgets cached sessions (after a reset of the store).
    public func invalidateCache() { sessions.removeAll() }

    /// Deletes sessions that expired more than a day ago (they authenticate nothing; the day keeps a
    /// just-expired key answering `ExpiredToken` rather than `InvalidClientTokenId`). Returns how many.
    @discardableResult
    public func purgeExpiredSessions(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-86_400)
        var purged = 0
        var after: String?
        while true {
            let cursor = after
            let page = try await store.read { try $0.scanJSON(SessionRecord.self, Self.sessionNamespace, after: cursor, limit: 1_000) }
            guard let last = page.last else { return purged }
            let expired = page.filter { $0.value.expiration < cutoff }.map(\.key)
            if !expired.isEmpty {
                try await store.write { tx in for key in expired { try tx.delete(Self.sessionNamespace, key) } }
                purged += expired.count
            }
            after = last.key
        }
    }
}
