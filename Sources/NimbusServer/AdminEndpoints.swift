//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NimbusAuth
import NimbusCore

/// `GET /_nimbus/health`, `GET /metrics` and `POST /_nimbus/reset`.
struct AdminEndpoints: Sendable {
    let version: String
    let startedAt: ContinuousClock.Instant
    let serviceNames: [String]
    let metrics: RequestMetrics
    let verifier: SigV4Verifier
    let authMode: ServerConfiguration.AuthMode
    /// The default account, whose root alone may reset in strict mode.
    let defaultAccountID: String
    let reset: @Sendable () async throws -> Void

    /// Nil when the path is not an admin endpoint (it then goes to S3 like any other path).
    func respond(to request: Request, path: String, context: NimbusRequestContext) async -> Response? {
        switch (request.method, path) {
        case (.get, "/_nimbus/health"), (.head, "/_nimbus/health"):
            return json(health())
        case (.get, "/metrics"):
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        case (.post, "/_nimbus/reset"):
            return await resetResponse(request, context: context)
        default:
            return nil
        }
    }

    private func health() -> [String: Any] {
        let uptime = ContinuousClock.now - startedAt
        return [
            "status": "running",
            "version": version,
            "uptimeSeconds": Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            "services": Dictionary(uniqueKeysWithValues: serviceNames.map { ($0, "running") }),
        ]
    }

    private func resetResponse(_ request: Request, context: NimbusRequestContext) async -> Response {
        var request = request
        guard let body = try? await request.collectBody(upTo: 64 * 1024) else {
            return json(["error": "request body too large"], status: .contentTooLarge)
        }
        switch authMode {
        case .compat:
            guard Self.isLoopback(context.remoteAddress) else {
                return json(["error": "reset is allowed from loopback only"], status: .forbidden)
            }
        case .strict:
            let (path, query) = NimbusResponder.split(request.head.path ?? "/")
            var headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
            if let authority = request.head.authority { headers.append(("host", authority)) }
            let signable = SignableRequest(
                method: request.method.rawValue,
                path: path,
                query: query,
                headers: headers,
                bodySHA256: RequestPipeline.sha256Hex(Array(body.readableBytesView))
            )
            do {
                guard case .authenticated(let auth) = try await verifier.authenticate(signable, flavor: .standard),
                    auth.credential.principal.kind == .root, auth.credential.principal.accountID == defaultAccountID
                else {
                    return json(["error": "reset needs a request signed by the default account's root"], status: .forbidden)
                }
            } catch {
                return json(["error": "\(error.code): \(error.message)"], status: .forbidden)
            }
        }
        do {
            try await reset()
            return json(["status": "reset"])
        } catch {
            return json(["error": "reset failed"], status: .internalServerError)
        }
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    private func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
