//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore

// Reading a stored record back, as `LookupEvents` does for every event it returns.
//
// `JSONDecoder` took about 40 µs per record: most of it in `JSONValue`'s `Decodable`, which tries each kind of
// value in turn and throws for every miss, for each value in `requestParameters` and `responseElements`. Under
// `nimbus bench`'s `cloudtrail-lookup-events` it was 41 % of the server's CPU. The records are parsed with
// `JSONParser` instead, and each type reads its members here (`JSONObjectReader`) as its `Decodable`
// conformance would; objects in `JSONValue` keep their keys sorted, as its `Decodable` sorts them.

extension JSONObjectReader {
    /// A CloudTrail time (`2026-11-22T17:00:00Z`) member.
    fileprivate func time(_ key: String) throws(JSONReadError) -> Date? {
        guard let text = try optionalString(key) else { return nil }
        guard let date = try? CloudTrailTime.parse(text, codingPath: []) else {
            throw JSONReadError("\(path).\(key) is not a CloudTrail time: \(text)")
        }
        return date
    }
}

extension AuditEvent {
    /// The event of a stored record (``cloudTrailJSONBytes``), as `init(from:)` decodes it.
    init(record bytes: [UInt8]) throws(JSONReadError) {
        let record = try JSONObjectReader(parsing: bytes, with: Self.recordParser, path: "record")
        guard let identity = try record.object("userIdentity") else { throw JSONReadError("record.userIdentity is missing") }
        guard let eventTime = try record.time("eventTime") else { throw JSONReadError("record.eventTime is missing") }
        var resources: [AuditResource]?
        if let list = record.optional("resources") {
            guard case .array(let items) = list else { throw JSONReadError("record.resources is not an array") }
            resources = []
            for item in items { resources!.append(try AuditResource(record: JSONObjectReader(item, path: "record.resources[]"))) }
        }
        self.init(
            eventVersion: try record.string("eventVersion"),
            userIdentity: try UserIdentity(record: identity),
            eventTime: eventTime,
            eventSource: try record.string("eventSource"),
            eventName: try record.string("eventName"),
            awsRegion: try record.string("awsRegion"),
            sourceIPAddress: try record.string("sourceIPAddress"),
            userAgent: try record.string("userAgent"),
            errorCode: try record.optionalString("errorCode"),
            errorMessage: try record.optionalString("errorMessage"),
            requestParameters: record.optional("requestParameters").map(JSONValue.init(record:)),
            responseElements: record.optional("responseElements").map(JSONValue.init(record:)),
            requestID: try record.string("requestID"),
            eventID: try record.string("eventID"),
            readOnly: try record.bool("readOnly"),
            resources: resources,
            eventType: try record.string("eventType"),
            managementEvent: try record.bool("managementEvent"),
            recipientAccountId: try record.string("recipientAccountId"),
            eventCategory: try record.optionalString("eventCategory") ?? "Management",
            tlsDetails: try record.object("tlsDetails").map { (details) throws(JSONReadError) in
                TLSDetails(
                    tlsVersion: try details.string("tlsVersion"),
                    cipherSuite: try details.string("cipherSuite"),
                    clientProvidedHostHeader: try details.string("clientProvidedHostHeader")
                )
            }
        )
    }

    /// Records are this code's own output, bounded by what a request can carry.
    private static let recordParser = JSONParser(maxDepth: 128, maxStringBytes: 1 << 26, maxElements: 1 << 24)
}

extension UserIdentity {
    fileprivate init(record: JSONObjectReader) throws(JSONReadError) {
        self.init(
            type: try record.string("type"),
            principalId: try record.string("principalId"),
            arn: try record.optionalString("arn"),
            accountId: try record.optionalString("accountId"),
            accessKeyId: try record.optionalString("accessKeyId"),
            userName: try record.optionalString("userName")
        )
        identityProvider = try record.optionalString("identityProvider")
        invokedBy = try record.optionalString("invokedBy")
        if let context = try record.object("sessionContext") {
            guard let attributes = try context.object("attributes") else {
                throw JSONReadError("\(context.path).attributes is missing")
            }
            sessionContext = SessionContext(
                sessionIssuer: try context.object("sessionIssuer").map { (issuer) throws(JSONReadError) in
                    SessionContext.SessionIssuer(
                        type: try issuer.string("type"),
                        principalId: try issuer.optionalString("principalId"),
                        arn: try issuer.string("arn"),
                        accountId: try issuer.string("accountId"),
                        userName: try issuer.optionalString("userName")
                    )
                },
                attributes: SessionContext.Attributes(
                    creationDate: try attributes.time("creationDate"),
                    // CloudTrail writes the flag as a string: "true" / "false".
                    mfaAuthenticated: try attributes.optionalString("mfaAuthenticated") == "true"
                )
            )
        }
    }
}

extension AuditResource {
    fileprivate init(record: JSONObjectReader) throws(JSONReadError) {
        self.init(type: try record.string("type"), arn: try record.string("ARN"), accountId: try record.optionalString("accountId"))
    }
}

extension JSONValue {
    /// `node` as `JSONValue`'s `Decodable` reads it: numbers as `Double`, object keys sorted.
    fileprivate init(record node: JSONNode) {
        switch node {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        // The parser checked the literal, so it converts; `Double` is what decoding made of every number.
        case .number(let text): self = .number(Double(text) ?? 0)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(JSONValue.init(record:)))
        case .object(let members):
            self = .object(members.sorted { $0.0 < $1.0 }.map { ($0.0, JSONValue(record: $0.1)) })
        }
    }
}
