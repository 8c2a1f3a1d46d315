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

@testable import NimbusIAM

/// An `IAMService` over a fresh `MemoryMetadataStore`, driven through the real query codec.
///
/// ```swift
/// let iam = IAMHarness()
/// let created = try await iam.call("CreateUser", ["UserName": "bob"])
/// #expect(created.status == 200)
/// #expect(created["UserName"] == "bob")
/// let missing = try await iam.call("GetUser", ["UserName": "nobody"])
/// #expect(missing.errorCode == "NoSuchEntity")
/// ```
struct IAMHarness: Sendable {
    static let account = "111122223333"

    let store: MemoryMetadataStore
    let service: IAMService
    let handlers: [String: OperationHandler]
    let codec: ServiceCodec
    let clock: WallClock

    init(store: MemoryMetadataStore = MemoryMetadataStore(), clock: WallClock = .system) {
        self.store = store
        self.clock = clock
        service = IAMService(store: store, rootKey: RootKey.ephemeral(), clock: clock)
        let definition = service.definition()
        handlers = definition.handlers
        codec = definition.codec
    }

    /// The request context of `principal` (the root user of account 111122223333 by default).
    func context(_ action: String, principal: Principal? = nil) -> RequestContext {
        RequestContext(
            requestID: Identifiers.requestID(),
            receivedAt: clock.now,
            sourceIP: "192.0.2.10",
            userAgent: "aws-cli/2.17.0 nimbus-tests",
            region: "us-east-1",
            service: "iam",
            operation: action,
            principal: principal ?? .root(of: Self.account),
            isSecureTransport: true
        )
    }

    /// Calls `action` with `parameters` (query member names such as `Tags.member.1.Key`).
    ///
    /// Client faults come back as error responses; anything else (a bug) is thrown.
    func call(_ action: String, _ parameters: KeyValuePairs<String, String> = [:], as principal: Principal? = nil) async throws -> IAMResponse {
        var form = "Action=\(Self.formEncode(action))&Version=2010-05-08"
        for (name, value) in parameters {
            form += "&\(Self.formEncode(name))=\(Self.formEncode(value))"
        }
        return try await call(form: form, as: principal)
    }

    /// ``call(_:_:as:)`` with parameters built at run time, sent in the given order.
    func call(_ action: String, pairs: [(String, String)], as principal: Principal? = nil) async throws -> IAMResponse {
        var form = "Action=\(Self.formEncode(action))&Version=2010-05-08"
        for (name, value) in pairs {
            form += "&\(Self.formEncode(name))=\(Self.formEncode(value))"
        }
        return try await call(form: form, as: principal)
    }

    /// Sends a raw `application/x-www-form-urlencoded` body, e.g. `Action=CreateUser&Version=2010-05-08&UserName=bob`.
    func call(form: String, as principal: Principal? = nil) async throws -> IAMResponse {
        let request = WireRequest(
            method: "POST",
            path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "iam.amazonaws.com")],
            host: "iam.amazonaws.com",
            body: Array(form.utf8)
        )
        let requestID = Identifiers.requestID()
        let response: WireResponse
        do {
            let operation = try codec.operation(for: request)
            let input = try codec.decodeInput(operation, from: request)
            guard let handler = handlers[operation.name] else {
                throw AWSError(code: "NotImplemented", message: "\(operation.name) is not implemented by Nimbus yet.", status: 501)
            }
            let output = try await handler(input, context(operation.name, principal: principal))
            response = codec.encodeOutput(operation, output, requestID: requestID)
        } catch let error as AWSError {
            response = codec.encodeError(error, requestID: requestID)
        }
        return IAMResponse(status: response.status, xml: String(decoding: response.body, as: UTF8.self))
    }

    /// Calls `action` and fails the test unless it succeeds.
    @discardableResult
    func ok(
        _ action: String,
        _ parameters: KeyValuePairs<String, String> = [:],
        as principal: Principal? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> IAMResponse {
        let response = try await call(action, parameters, as: principal)
        #expect(response.status == 200, "\(action) failed: \(response.errorCode ?? "") \(response.errorMessage ?? response.xml)", sourceLocation: sourceLocation)
        return response
    }

    /// A user principal of `account`, as authentication would produce it for one of the user's keys.
    static func userPrincipal(_ name: String, path: String = "/", account: String = account) -> Principal {
        Principal(kind: .user, accountID: account, arn: "arn:aws:iam::\(account):user\(path)\(name)", userID: "AIDA" + String(repeating: "X", count: 17))
    }

    /// `application/x-www-form-urlencoded` as botocore writes it: RFC 3986 unreserved characters kept.
    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(0x7F)))
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// RFC 3986 percent-decoding, as boto3 applies to policy documents.
    static func urlDecode(_ s: String) -> String { s.removingPercentEncoding ?? s }
}

/// An encoded response: status and XML text, with lookups for assertions.
struct IAMResponse: Sendable, CustomStringConvertible {
    var status: Int
    var xml: String
    /// The parsed XML, or nil when the body is not XML.
    var root: XMLTreeElement? { try? XMLTreeParser().parse(Array(xml.utf8)) }

    var isSuccess: Bool { status == 200 }
    /// `Error/Code` of an error response.
    var errorCode: String? { status == 200 ? nil : self["Code"] }
    /// `Error/Message` of an error response.
    var errorMessage: String? { status == 200 ? nil : self["Message"] }

    /// The text of the first element named `name`, depth first, anywhere in the response.
    subscript(name: String) -> String? { root.flatMap { Self.first(name, in: $0) }?.text }

    /// The text of the first element at `path` below the result element, e.g. `["User", "Tags", "member", "Key"]`;
    /// each step takes the first child of that name, so search from a unique ancestor.
    func value(_ path: String...) -> String? {
        guard var node = root.flatMap({ Self.first(path.first ?? "", in: $0) }) else { return nil }
        for step in path.dropFirst() {
            guard let next = node.child(named: step) else { return nil }
            node = next
        }
        return node.text
    }

    /// Every element named `name`, depth first, anywhere in the response.
    func all(_ name: String) -> [XMLTreeElement] {
        guard let root else { return [] }
        var found: [XMLTreeElement] = []
        Self.collect(name, in: root, into: &found)
        return found
    }

    /// The texts of every element named `name`, anywhere in the response.
    func texts(_ name: String) -> [String] { all(name).map(\.text) }

    /// The `member` children of the first list element named `list` (`Users`, `Groups`, `Tags` …).
    func members(of list: String) -> [XMLTreeElement] {
        root.flatMap { Self.first(list, in: $0) }?.children(named: "member") ?? []
    }

    var isTruncated: Bool { self["IsTruncated"] == "true" }
    var marker: String? { self["Marker"] }

    var description: String { "HTTP \(status) \(xml)" }

    private static func first(_ name: String, in node: XMLTreeElement) -> XMLTreeElement? {
        if node.localName == name { return node }
        for child in node.children {
            if let found = first(name, in: child) { return found }
        }
        return nil
    }

    private static func collect(_ name: String, in node: XMLTreeElement, into found: inout [XMLTreeElement]) {
        if node.localName == name { found.append(node) }
        for child in node.children { collect(name, in: child, into: &found) }
    }
}

extension XMLTreeElement {
    /// The text of the first child named `name`.
    func text(_ name: String) -> String? { child(named: name)?.text }
}
