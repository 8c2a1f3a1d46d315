//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import NimbusCore
import Synchronization

// A CloudTrail record as AWS delivers it (record contents, event version 1.08):
//
// {"eventVersion":"1.08",
//  "userIdentity":{"type":"IAMUser","principalId":"AIDA…","arn":"arn:aws:iam::111122223333:user/Alice",
//                  "accountId":"111122223333","accessKeyId":"AKIA…","userName":"Alice"},
//  "eventTime":"2026-11-22T17:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser",
//  "awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.15.0",
//  "errorCode":"AccessDenied","errorMessage":"…",                      (only on failure)
//  "requestParameters":{…} or null,"responseElements":{…} or null,
//  "requestID":"…","eventID":"…","readOnly":false,
//  "resources":[{"accountId":"…","type":"AWS::IAM::User","ARN":"…"}],  (only when known)
//  "eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333",
//  "eventCategory":"Management",
//  "tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",
//                "clientProvidedHostHeader":"iam.amazonaws.com"}}      (only over TLS)

/// One CloudTrail event: who called which operation, when, from where, with what result.
///
/// ``cloudTrailJSON`` renders it exactly as CloudTrail delivers it (field order included); that
/// string is also what `LookupEvents` returns as `CloudTrailEvent`.
public struct AuditEvent: Sendable, Hashable, Codable {
    public var eventVersion: String
    public var userIdentity: UserIdentity
    /// When the request completed; rendered to the second, in UTC.
    public var eventTime: Date
    /// The service's endpoint name, e.g. `sts.amazonaws.com`.
    public var eventSource: String
    public var eventName: String
    public var awsRegion: String
    public var sourceIPAddress: String
    public var userAgent: String
    public var errorCode: String?
    public var errorMessage: String?
    /// The request's parameters; rendered as `null` when nil.
    public var requestParameters: JSONValue?
    /// The response's elements; rendered as `null` when nil (and for every failed or read-only call).
    public var responseElements: JSONValue?
    public var requestID: String
    public var eventID: String
    public var readOnly: Bool
    public var resources: [AuditResource]?
    public var eventType: String
    public var managementEvent: Bool
    /// The account whose trail receives the event; lookups are per recipient account.
    public var recipientAccountId: String
    public var eventCategory: String
    public var tlsDetails: TLSDetails?

    public init(
        eventVersion: String = "1.08",
        userIdentity: UserIdentity,
        eventTime: Date,
        eventSource: String,
        eventName: String,
        awsRegion: String,
        sourceIPAddress: String,
        userAgent: String,
        errorCode: String? = nil,
        errorMessage: String? = nil,
        requestParameters: JSONValue? = nil,
        responseElements: JSONValue? = nil,
        requestID: String,
        eventID: String? = nil,
        readOnly: Bool,
        resources: [AuditResource]? = nil,
        eventType: String = "AwsApiCall",
        managementEvent: Bool = true,
        recipientAccountId: String,
        eventCategory: String = "Management",
        tlsDetails: TLSDetails? = nil
    ) {
        self.eventVersion = eventVersion
        self.userIdentity = userIdentity
        self.eventTime = eventTime
        self.eventSource = eventSource
        self.eventName = eventName
        self.awsRegion = awsRegion
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.requestID = requestID
        self.eventID = eventID ?? Identifiers.eventID(at: eventTime)
        self.readOnly = readOnly
        self.resources = resources
        self.eventType = eventType
        self.managementEvent = managementEvent
        self.recipientAccountId = recipientAccountId
        self.eventCategory = eventCategory
        self.tlsDetails = tlsDetails
    }

    /// The event for one call through the request pipeline, allowed or denied.
    ///
    /// - Parameters:
    ///   - eventTime: When the call completed (the server's clock, not the request's).
    ///   - recipientAccountId: Defaults to the caller's account; pass the resource owner's for
    ///     cross-account and anonymous calls.
    ///   - error: The error the client received, if any; its code and message are recorded.
    ///   - eventSource: `<context.service>.amazonaws.com` when nil; a caller that records many events passes it
    ///     made once.
    public init(
        context: borrowing RequestContext,
        eventTime: Date,
        readOnly: Bool,
        requestParameters: JSONValue? = nil,
        responseElements: JSONValue? = nil,
        error: AWSError? = nil,
        recipientAccountId: String? = nil,
        resources: [AuditResource]? = nil,
        tlsDetails: TLSDetails? = nil,
        eventSource: String? = nil
    ) {
        self.init(
            userIdentity: UserIdentity(context.principal),
            eventTime: eventTime,
            eventSource: eventSource ?? context.service + ".amazonaws.com",
            eventName: context.operation,
            awsRegion: context.region,
            sourceIPAddress: context.sourceIP,
            userAgent: context.userAgent,
            errorCode: error?.code,
            errorMessage: error?.message,
            requestParameters: requestParameters,
            responseElements: error == nil ? responseElements : nil,
            requestID: context.requestID,
            readOnly: readOnly,
            resources: resources,
            recipientAccountId: recipientAccountId ?? context.principal.accountID,
            tlsDetails: tlsDetails
        )
    }

    /// The user name CloudTrail shows in event history: the IAM user's name, `root`, or the session name.
    public var username: String? {
        if let userName = userIdentity.userName { return userName }
        switch userIdentity.type {
        case "Root": return "root"
        case "AssumedRole", "FederatedUser":
            return userIdentity.arn.flatMap { $0.split(separator: "/").last.map(String.init) }
        default: return nil
        }
    }

    // MARK: Rendering

    /// The record as CloudTrail delivers it: compact JSON, AWS's field order, times like `2026-11-22T17:00:00Z`.
    public var cloudTrailJSON: String { String(decoding: cloudTrailJSONBytes, as: UTF8.self) }

    /// ``cloudTrailJSON`` as UTF-8 bytes, as the audit log stores it.
    var cloudTrailJSONBytes: [UInt8] {
        // A signed call with its identity renders to 1–2 KB: room for it at once.
        var writer = CompactJSONMembers(capacity: 2048)
        writeMembers(to: &writer)
        return writer.finished()
    }

    /// The record as an ordered JSON value.
    public var jsonValue: JSONValue {
        var members = JSONValueMembers()
        writeMembers(to: &members)
        return members.object
    }

    /// Every member, in CloudTrail's order: the one list both renderings follow.
    func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
        out.string("eventVersion", eventVersion)
        out.object("userIdentity") { userIdentity.writeMembers(to: &$0) }
        out.string("eventTime", CloudTrailTime.format(eventTime))
        out.string("eventSource", eventSource)
        out.string("eventName", eventName)
        out.string("awsRegion", awsRegion)
        out.string("sourceIPAddress", sourceIPAddress)
        out.string("userAgent", userAgent)
        if let errorCode { out.string("errorCode", errorCode) }
        if let errorMessage { out.string("errorMessage", errorMessage) }
        out.value("requestParameters", requestParameters)
        out.value("responseElements", responseElements)
        out.string("requestID", requestID)
        out.string("eventID", eventID)
        out.bool("readOnly", readOnly)
        if let resources { out.objects("resources", count: resources.count) { resources[$1].writeMembers(to: &$0) } }
        out.string("eventType", eventType)
        out.bool("managementEvent", managementEvent)
        out.string("recipientAccountId", recipientAccountId)
        out.string("eventCategory", eventCategory)
        if let tlsDetails { out.object("tlsDetails") { tlsDetails.writeMembers(to: &$0) } }
    }

    // MARK: Codable (the CloudTrail record shape)

    private enum CodingKeys: String, CodingKey {
        case eventVersion, userIdentity, eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent
        case errorCode, errorMessage, requestParameters, responseElements, requestID, eventID, readOnly, resources
        case eventType, managementEvent, recipientAccountId, eventCategory, tlsDetails
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            eventVersion: try c.decode(String.self, forKey: .eventVersion),
            userIdentity: try c.decode(UserIdentity.self, forKey: .userIdentity),
            eventTime: try CloudTrailTime.parse(try c.decode(String.self, forKey: .eventTime), codingPath: c.codingPath),
            eventSource: try c.decode(String.self, forKey: .eventSource),
            eventName: try c.decode(String.self, forKey: .eventName),
            awsRegion: try c.decode(String.self, forKey: .awsRegion),
            sourceIPAddress: try c.decode(String.self, forKey: .sourceIPAddress),
            userAgent: try c.decode(String.self, forKey: .userAgent),
            errorCode: try c.decodeIfPresent(String.self, forKey: .errorCode),
            errorMessage: try c.decodeIfPresent(String.self, forKey: .errorMessage),
            requestParameters: try c.decodeIfPresent(JSONValue.self, forKey: .requestParameters),
            responseElements: try c.decodeIfPresent(JSONValue.self, forKey: .responseElements),
            requestID: try c.decode(String.self, forKey: .requestID),
            eventID: try c.decode(String.self, forKey: .eventID),
            readOnly: try c.decode(Bool.self, forKey: .readOnly),
            resources: try c.decodeIfPresent([AuditResource].self, forKey: .resources),
            eventType: try c.decode(String.self, forKey: .eventType),
            managementEvent: try c.decode(Bool.self, forKey: .managementEvent),
            recipientAccountId: try c.decode(String.self, forKey: .recipientAccountId),
            eventCategory: try c.decodeIfPresent(String.self, forKey: .eventCategory) ?? "Management",
            tlsDetails: try c.decodeIfPresent(TLSDetails.self, forKey: .tlsDetails)
        )
    }

    /// Encodes the same members as ``jsonValue``; use ``cloudTrailJSON`` when field order matters.
    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}

/// CloudTrail's `userIdentity` element.
public struct UserIdentity: Sendable, Hashable, Codable, CloudTrailElement {
    /// `Root`, `IAMUser`, `AssumedRole`, `FederatedUser`, `AWSAccount` or `AWSService`.
    public var type: String
    public var principalId: String
    public var arn: String?
    public var accountId: String?
    public var accessKeyId: String?
    /// Present for IAM users (and root when signed in with a name); a web identity's `sub`.
    public var userName: String?
    /// The OIDC provider (`host/path`) of a `WebIdentityUser`.
    public var identityProvider: String?
    public var sessionContext: SessionContext?
    /// The AWS service that made the call on the principal's behalf (`s3.amazonaws.com` for SSE-KMS).
    public var invokedBy: String?

    public init(
        type: String,
        principalId: String,
        arn: String? = nil,
        accountId: String? = nil,
        accessKeyId: String? = nil,
        userName: String? = nil,
        sessionContext: SessionContext? = nil
    ) {
        self.type = type
        self.principalId = principalId
        self.arn = arn
        self.accountId = accountId
        self.accessKeyId = accessKeyId
        self.userName = userName
        self.sessionContext = sessionContext
    }

    /// The identity CloudTrail records for an authenticated (or anonymous) principal.
    public init(_ principal: borrowing Principal) {
        switch principal.kind {
        case .root:
            self.init(
                type: "Root",
                principalId: principal.userID,
                arn: principal.arn,
                accountId: principal.accountID,
                accessKeyId: principal.accessKeyID
            )
        case .user:
            self.init(
                type: "IAMUser",
                principalId: principal.userID,
                arn: principal.arn,
                accountId: principal.accountID,
                accessKeyId: principal.accessKeyID,
                userName: Self.lastPathComponent(principal.arn)
            )
        case .assumedRole, .federatedUser:
            let isRole = principal.kind == .assumedRole
            let issuerARN = principal.sessionIssuer
            let issuer = issuerARN.map { arn in
                SessionContext.SessionIssuer(
                    type: isRole ? "Role" : "IAMUser",
                    principalId: isRole ? principal.userID.split(separator: ":").first.map(String.init) : nil,
                    arn: arn,
                    accountId: principal.accountID,
                    userName: arn.split(separator: "/").last.map(String.init)
                )
            }
            self.init(
                type: isRole ? "AssumedRole" : "FederatedUser",
                principalId: principal.userID,
                arn: principal.arn,
                accountId: principal.accountID,
                accessKeyId: principal.accessKeyID,
                sessionContext: SessionContext(
                    sessionIssuer: issuer,
                    attributes: .init(creationDate: principal.sessionCreatedAt, mfaAuthenticated: principal.mfaAuthenticatedAt != nil)
                )
            )
        case .webIdentity:
            self.init(type: "WebIdentityUser", principalId: principal.userID, userName: principal.federatedSubject)
            identityProvider = principal.arn.split(separator: ":oidc-provider/", maxSplits: 1).last.map(String.init)
        case .anonymous:
            self.init(type: "AWSAccount", principalId: "", accountId: "anonymous")
        }
    }

    /// What follows the last `/` of an ARN (the whole ARN when there is none).
    static func lastPathComponent(_ arn: String) -> String {
        guard let slash = arn.utf8.lastIndex(of: UInt8(ascii: "/")) else { return arn }
        return String(arn[arn.utf8.index(after: slash)...])
    }

    func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
        out.string("type", type)
        out.string("principalId", principalId)
        if let arn { out.string("arn", arn) }
        if let accountId { out.string("accountId", accountId) }
        if let accessKeyId { out.string("accessKeyId", accessKeyId) }
        if let userName { out.string("userName", userName) }
        if let identityProvider { out.string("identityProvider", identityProvider) }
        if let sessionContext { out.object("sessionContext") { sessionContext.writeMembers(to: &$0) } }
        if let invokedBy { out.string("invokedBy", invokedBy) }
    }

    public func encode(to encoder: any Encoder) throws { try jsonValue.encode(to: encoder) }
}

/// `userIdentity.sessionContext`: where temporary credentials came from.
public struct SessionContext: Sendable, Hashable, Codable, CloudTrailElement {
    public struct SessionIssuer: Sendable, Hashable, Codable, CloudTrailElement {
        /// `Role` or `IAMUser`.
        public var type: String
        public var principalId: String?
        public var arn: String
        public var accountId: String
        public var userName: String?

        public init(type: String, principalId: String?, arn: String, accountId: String, userName: String?) {
            self.type = type
            self.principalId = principalId
            self.arn = arn
            self.accountId = accountId
            self.userName = userName
        }

        func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
            out.string("type", type)
            if let principalId { out.string("principalId", principalId) }
            out.string("arn", arn)
            out.string("accountId", accountId)
            if let userName { out.string("userName", userName) }
        }

        public func encode(to encoder: any Encoder) throws { try jsonValue.encode(to: encoder) }
    }

    public struct Attributes: Sendable, Hashable, Codable, CloudTrailElement {
        /// When the credentials were issued.
        public var creationDate: Date?
        public var mfaAuthenticated: Bool

        public init(creationDate: Date?, mfaAuthenticated: Bool) {
            self.creationDate = creationDate
            self.mfaAuthenticated = mfaAuthenticated
        }

        private enum CodingKeys: String, CodingKey { case creationDate, mfaAuthenticated }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            creationDate = try c.decodeIfPresent(String.self, forKey: .creationDate).map {
                try CloudTrailTime.parse($0, codingPath: c.codingPath)
            }
            // CloudTrail writes the flag as a string: "true" / "false".
            mfaAuthenticated = try c.decodeIfPresent(String.self, forKey: .mfaAuthenticated) == "true"
        }

        func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
            if let creationDate { out.string("creationDate", CloudTrailTime.format(creationDate)) }
            out.string("mfaAuthenticated", mfaAuthenticated ? "true" : "false")
        }

        public func encode(to encoder: any Encoder) throws { try jsonValue.encode(to: encoder) }
    }

    public var sessionIssuer: SessionIssuer?
    public var attributes: Attributes

    public init(sessionIssuer: SessionIssuer?, attributes: Attributes) {
        self.sessionIssuer = sessionIssuer
        self.attributes = attributes
    }

    func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
        if let sessionIssuer {
            out.object("sessionIssuer") { sessionIssuer.writeMembers(to: &$0) }
            out.object("webIdFederationData") { _ in }
        }
        out.object("attributes") { attributes.writeMembers(to: &$0) }
    }

    public func encode(to encoder: any Encoder) throws { try jsonValue.encode(to: encoder) }
}

/// An element of a record's `resources`: `{"accountId": …, "type": "AWS::IAM::User", "ARN": …}`.
public struct AuditResource: Sendable, Hashable, Codable, CloudTrailElement {
    public var accountId: String?
    /// The CloudFormation-style type, e.g. `AWS::S3::Bucket`.
    public var type: String
    public var arn: String

    public init(type: String, arn: String, accountId: String? = nil) {
        self.type = type
        self.arn = arn
        self.accountId = accountId
    }

    /// The short name CloudTrail's event history shows: the ARN's last `/` or `:` component.
    public var name: String {
        String(arn.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == ":" }.last ?? Substring(arn))
    }

    private enum CodingKeys: String, CodingKey {
        case accountId, type
        case arn = "ARN"
    }

    func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
        if let accountId { out.string("accountId", accountId) }
        out.string("type", type)
        out.string("ARN", arn)
    }

    public func encode(to encoder: any Encoder) throws { try jsonValue.encode(to: encoder) }
}

/// A record's `tlsDetails`, present when the call came over TLS.
public struct TLSDetails: Sendable, Hashable, Codable {
    /// e.g. `TLSv1.3`.
    public var tlsVersion: String
    /// e.g. `TLS_AES_128_GCM_SHA256`.
    public var cipherSuite: String
    public var clientProvidedHostHeader: String

    public init(tlsVersion: String, cipherSuite: String, clientProvidedHostHeader: String) {
        self.tlsVersion = tlsVersion
        self.cipherSuite = cipherSuite
        self.clientProvidedHostHeader = clientProvidedHostHeader
    }

    func writeMembers<Members: CloudTrailMembers>(to out: inout Members) {
        out.string("tlsVersion", tlsVersion)
        out.string("cipherSuite", cipherSuite)
        out.string("clientProvidedHostHeader", clientProvidedHostHeader)
    }
}

/// CloudTrail's timestamp format: UTC, to the second, `2026-11-22T17:00:00Z`.
enum CloudTrailTime {
    /// The last second formatted: events arrive many per second, and formatting is the costly part.
    private static let lastFormatted = Mutex<(second: Int64, text: String)>((.min, ""))

    static func format(_ date: Date) -> String {
        let second = Int64(date.timeIntervalSince1970.rounded(.down))
        if let text = lastFormatted.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = Date(timeIntervalSince1970: TimeInterval(second)).formatted(.iso8601)
        lastFormatted.withLock { $0 = (second, text) }
        return text
    }

    static func parse(_ string: String, codingPath: [any CodingKey]) throws -> Date {
        guard let date = try? Date.ISO8601FormatStyle().parse(string) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "not a CloudTrail time: \(string)"))
        }
        return date
    }
}
