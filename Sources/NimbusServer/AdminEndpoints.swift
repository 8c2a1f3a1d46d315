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
import NimbusBlobStore
import NimbusCore

/// `GET /_nimbus/health`, `GET /metrics` and `POST /_nimbus/reset` (also `/moto-api/reset` in compat mode).
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
    /// Object data, for its health counters and an on-demand scrub.
    let blobs: BlobStore
    /// What the scrub removes as orphans.
    let orphans: OrphanSweep

    /// Nil when the path is not an admin endpoint (it then goes to S3 like any other path).
    func respond(to request: Request, path: String, context: NimbusRequestContext) async -> Response? {
        switch (request.method, path) {
        case (.get, "/_nimbus/health"), (.head, "/_nimbus/health"):
            return json(health())
        case (.get, "/metrics"):
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render() + storageMetrics())))
        case (.post, "/_nimbus/reset"),
            (.post, "/moto-api/reset") where authMode == .compat:
            // moto's own tests, in its server mode, reset through `/moto-api/reset` between tests; in compat mode
            // (where such suites run) that path is ours too, so they run against Nimbus unchanged.
            if let refusal = await refuseUnlessOperator(request, context: context) { return refusal }
            do {
                try await reset()
                return json(["status": "reset"])
            } catch {
                return json(["error": "reset failed"], status: .internalServerError)
            }
        case (.post, "/_nimbus/scrub"):
            // Re-reads every piece of object data now, at full speed, repairing what it can.
            if let refusal = await refuseUnlessOperator(request, context: context) { return refusal }
            do {
                let report = try await blobs.scrub(bytesPerSecond: nil, orphans: orphans)
                return json([
                    "blobsChecked": report.blobsChecked, "bytesChecked": report.bytesChecked, "corruptPieces": report.corruptPieces,
                    "missingPieces": report.missingPieces, "repaired": report.repaired, "unrecoverable": report.unrecoverable,
                    "reclaimedBlocks": report.reclaimedBlocks, "orphansRemoved": report.orphansRemoved,
                ])
            } catch {
                return json(["error": "scrub failed: \(error)"], status: .internalServerError)
            }
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
            "storage": storageCounters(),
        ]
    }

    private func storageCounters() -> [String: Int64] {
        let s = blobs.statistics
        return [
            "scrubbedBytes": s.scrubbedBytes, "corruptPieces": s.corruptPieces, "repairedPieces": s.repairedPieces,
            "unrecoverable": s.unrecoverable, "readsFailedOver": s.readsFailedOver,
        ]
    }

    /// The blob store's counters in Prometheus's text format.
    private func storageMetrics() -> [UInt8] {
        var text = ""
        for (name, value) in storageCounters().sorted(by: { $0.key < $1.key }) {
            let metric = "nimbus_blob_" + name.reduce(into: "") { out, c in
                if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
            } + "_total"
            text += "# TYPE \(metric) counter\n\(metric) \(value)\n"
        }
        return Array(text.utf8)
    }

    /// Nil when the request may use an operator endpoint: signed by the default account's root (strict), or
    /// from loopback (compat); otherwise the refusal.
    private func refuseUnlessOperator(_ request: Request, context: NimbusRequestContext) async -> Response? {
        var request = request
        guard let body = try? await request.collectBody(upTo: 64 * 1024) else {
            return json(["error": "request body too large"], status: .contentTooLarge)
        }
        switch authMode {
        case .compat:
            guard Self.isLoopback(context.remoteAddress) else {
                return json(["error": "this endpoint is allowed from loopback only"], status: .forbidden)
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
                    return json(["error": "this endpoint needs a request signed by the default account's root"], status: .forbidden)
                }
            } catch {
                return json(["error": "\(error.code): \(error.message)"], status: .forbidden)
            }
        }
        return nil
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
