//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NimbusCore
import NimbusSTS
import NimbusWire
import Synchronization

/// Fetches an OpenID provider's signing keys as STS does: `<issuer>/.well-known/openid-configuration`,
/// then its `jwks_uri`, both over HTTPS with verified certificates. Keys are kept an hour; a token
/// naming an unknown key fetches again, at most once every 30 seconds per provider.
final class OIDCKeyFetcher: WebIdentityKeySource {
    private struct Entry {
        var keys: [JSONWebKey]
        var fetchedAt: ContinuousClock.Instant
    }

    private let caBundle: String?
    private let logger: Logger
    private let cache = Mutex<[String: Entry]>([:])
    private static let lifetime = Duration.seconds(3600)
    private static let refetchAfter = Duration.seconds(30)
    private static let maxDocumentBytes = 512 * 1024

    init(caBundle: String?, logger: Logger) {
        self.caBundle = caBundle
        self.logger = logger
    }

    func keys(issuer: String, refresh: Bool) async throws -> [JSONWebKey] {
        let now = ContinuousClock.now
        if let entry = cache.withLock({ $0[issuer] }) {
            let age = entry.fetchedAt.duration(to: now)
            if age < Self.lifetime && (!refresh || age < Self.refetchAfter) { return entry.keys }
        }
        let keys = try await fetch(issuer: issuer)
        cache.withLock {
            if $0.count >= 1_000 { $0.removeAll() }
            $0[issuer] = Entry(keys: keys, fetchedAt: now)
        }
        return keys
    }

    private func fetch(issuer: String) async throws -> [JSONWebKey] {
        let client = Self.client(caBundle: caBundle)
        let discovery = try await get(issuer + "/.well-known/openid-configuration", client: client)
        guard let document = try? JSONParser(maxDepth: 16, maxStringBytes: 65_536, maxElements: 10_000).parse(discovery),
            let jwksURI = document["jwks_uri"]?.string, jwksURI.hasPrefix("https://")
        else { throw WebIdentityError.keysUnavailable }
        return try JSONWebKey.parseSet(try await get(jwksURI, client: client))
    }

    private func get(_ url: String, client: HTTPClient) async throws -> [UInt8] {
        guard url.hasPrefix("https://") else { throw WebIdentityError.keysUnavailable }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        } catch {
            logger.notice("OpenID provider unreachable", metadata: ["url": .string(url), "error": "\(error)"])
            throw WebIdentityError.unreachable
        }
        guard response.status == .ok else {
            logger.notice("OpenID provider answered with an error", metadata: ["url": .string(url), "status": "\(response.status.code)"])
            throw WebIdentityError.keysUnavailable
        }
        do {
            return Array(buffer: try await response.body.collect(upTo: Self.maxDocumentBytes))
        } catch {
            throw WebIdentityError.keysUnavailable
        }
    }

    // Clients live for the process (an HTTPClient must be shut down before it is released, and these
    // never are): the shared one, or one per extra CA bundle.
    private static let clients = Mutex<[String: HTTPClient]>([:])

    private static func client(caBundle: String?) -> HTTPClient {
        guard let caBundle else { return HTTPClient.shared }
        return clients.withLock { clients in
            if let existing = clients[caBundle] { return existing }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caBundle)]
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(
                    tlsConfiguration: tls,
                    redirectConfiguration: .follow(max: 3, allowCycles: false),
                    timeout: .init(connect: .seconds(5), read: .seconds(10))
                )
            )
            clients[caBundle] = client
            return client
        }
    }
}
