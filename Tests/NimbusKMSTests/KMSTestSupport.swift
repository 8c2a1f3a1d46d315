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
import Testing

@testable import NimbusKMS

/// A `KMSService` over a fresh `MemoryMetadataStore`, driven through the real JSON codec
/// (`X-Amz-Target: TrentService.<Operation>`), like the IAM harness drives the query codec.
///
/// ```swift
/// let kms = KMSHarness()
/// let key = try await kms.ok("CreateKey", [:])
/// let encrypted = try await kms.ok("Encrypt", ["KeyId": key.keyID, "Plaintext": KMSHarness.b64([1, 2, 3])])
/// ```
struct KMSHarness: Sendable {
    static let account = "111122223333"
    static let region = "us-east-1"

    let store: MemoryMetadataStore
    let service: KMSService
    let definition: ServiceDefinition
    let codec: ServiceCodec

    init(store: MemoryMetadataStore = MemoryMetadataStore(), clock: WallClock = .system) {
        self.store = store
        service = KMSService(store: store, rootKey: RootKey.ephemeral(), clock: clock)
        definition = service.definition()
        codec = definition.codec
    }

    func context(_ operation: String, principal: Principal? = nil) -> RequestContext {
        RequestContext(
            requestID: Identifiers.requestID(),
            receivedAt: Date(),
            sourceIP: "192.0.2.10",
            userAgent: "aws-cli/2.17.0 nimbus-tests",
            region: Self.region,
            service: "kms",
            operation: operation,
            principal: principal ?? .root(of: Self.account),
            isSecureTransport: true
        )
    }

    /// Calls `operation` with a JSON body. Client faults come back as error responses; bugs are thrown.
    func call(_ operation: String, _ body: [String: Any] = [:], as principal: Principal? = nil) async throws -> KMSResponse {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await call(operation, raw: [UInt8](data), as: principal)
    }

    func call(_ operation: String, raw body: [UInt8], as principal: Principal? = nil) async throws -> KMSResponse {
        let request = WireRequest(
            method: "POST",
            path: "/",
            headers: [
                ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.\(operation)"),
                ("Host", "kms.us-east-1.amazonaws.com"),
            ],
            host: "kms.us-east-1.amazonaws.com",
            body: body
        )
        let requestID = Identifiers.requestID()
        let response: WireResponse
        do {
            let op = try codec.operation(for: request)
            let input = try codec.decodeInput(op, from: request)
            guard let handler = definition.handlers[op.name] else {
                throw AWSError(code: "NotImplemented", message: "\(op.name) is not implemented", status: 501)
            }
            let output = try await handler(input, context(op.name, principal: principal))
            response = codec.encodeOutput(op, output, requestID: requestID)
        } catch let error as AWSError {
            response = codec.encodeError(error, requestID: requestID)
        }
        return KMSResponse(status: response.status, body: response.body)
    }

    /// Calls `operation` and fails the test unless it succeeds.
    @discardableResult
    func ok(_ operation: String, _ body: [String: Any] = [:], as principal: Principal? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> KMSResponse {
        let response = try await call(operation, body, as: principal)
        #expect(response.status == 200, "\(operation) failed: \(response)", sourceLocation: sourceLocation)
        return response
    }

    /// Creates a key and returns its id.
    func createKey(_ body: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let response = try await ok("CreateKey", body, sourceLocation: sourceLocation)
        return try #require(response.string("KeyMetadata", "KeyId"), sourceLocation: sourceLocation)
    }

    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func arn(_ keyID: String) -> String { "arn:aws:kms:\(region):\(account):key/\(keyID)" }

    static func user(_ name: String) -> Principal {
        Principal(kind: .user, accountID: account, arn: "arn:aws:iam::\(account):user/\(name)", userID: "AIDA" + String(repeating: "X", count: 17))
    }
}

/// An encoded JSON response with lookups for assertions.
struct KMSResponse: Sendable, CustomStringConvertible {
    var status: Int
    var body: [UInt8]

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var errorCode: String? { status == 200 ? nil : (json["__type"] as? String).map { $0.split(separator: "#").last.map(String.init) ?? $0 } }
    var errorMessage: String? { status == 200 ? nil : (json["message"] as? String ?? json["Message"] as? String) }

    func value(_ path: String...) -> Any? {
        var node: Any? = json
        for step in path { node = (node as? [String: Any])?[step] }
        return node
    }

    func string(_ path: String...) -> String? {
        var node: Any? = json
        for step in path { node = (node as? [String: Any])?[step] }
        return node as? String
    }

    /// A base64 blob member, decoded.
    func blob(_ member: String) -> [UInt8]? {
        (json[member] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
    }

    var description: String { "HTTP \(status) \(String(decoding: body, as: UTF8.self))" }
}
