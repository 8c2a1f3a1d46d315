//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
public import NimbusAudit
import NimbusCore
public import NimbusWire

/// AWS CloudTrail: event history (`LookupEvents`) over the events the request pipeline records.
public enum CloudTrailService {
    public static func definition(audit: AuditLog) -> ServiceDefinition {
        ServiceDefinition(
            model: .cloudtrail,
            handlers: [
                "LookupEvents": OperationHandler { (input: LookupEventsInput, context: RequestContext) in
                    try await lookupEvents(input, context: context, audit: audit)
                }
            ],
            // CloudTrail answers bad values with its own exceptions; it has no ValidationException.
            constraintValidation: .service
        )
    }

    /// Both members are required by the model; CloudTrail reports their absence itself.
    struct LookupAttributeInput: Decodable, Sendable {
        var AttributeKey: String?
        var AttributeValue: String?
    }

    struct LookupEventsInput: Decodable, Sendable {
        var LookupAttributes: [LookupAttributeInput]?
        var StartTime: Date?
        var EndTime: Date?
        var EventCategory: String?
        var MaxResults: Int?
        var NextToken: String?
    }

    struct ResourceOutput: Encodable, Sendable {
        var ResourceType: String
        var ResourceName: String
    }

    /// One entry of event history; `CloudTrailEvent` is the whole record as a JSON string.
    struct EventOutput: Encodable, Sendable {
        var EventId: String
        var EventName: String
        var ReadOnly: String
        var AccessKeyId: String?
        var EventTime: Date
        var EventSource: String
        var Username: String?
        var Resources: [ResourceOutput]
        var CloudTrailEvent: String
    }

    struct LookupEventsOutput: Encodable, Sendable {
        var Events: [EventOutput]
        var NextToken: String?
    }

    static func lookupEvents(_ input: LookupEventsInput, context: RequestContext, audit: AuditLog) async throws -> LookupEventsOutput {
        let attributes = input.LookupAttributes ?? []
        guard attributes.count <= 1 else {
            throw AWSError.invalidLookupAttributes("You cannot specify more than one lookup attribute.")
        }
        var attribute: LookupAttribute?
        if let given = attributes.first {
            guard let name = given.AttributeKey, let key = LookupAttribute.Key(rawValue: name) else {
                throw AWSError.invalidLookupAttributes("The lookup attribute key \(given.AttributeKey ?? "null") is not valid.")
            }
            guard let value = given.AttributeValue else {
                throw AWSError.invalidLookupAttributes("AttributeValue must be between 1 and 2000 characters long.")
            }
            attribute = LookupAttribute(key, value)
        }
        if let category = input.EventCategory, category != "insight" {
            throw AWSError(code: "InvalidEventCategoryException", message: "Event category \(category) is not valid.", status: 400)
        }
        // Insight events are not generated here, so asking for them finds none.
        if input.EventCategory == "insight" { return LookupEventsOutput(Events: [], NextToken: nil) }
        let page = try await audit.lookup(
            LookupQuery(
                recipientAccountId: context.principal.accountID,
                attribute: attribute,
                startTime: input.StartTime,
                endTime: input.EndTime,
                maxResults: input.MaxResults ?? 50,
                nextToken: input.NextToken
            )
        )
        let events = page.records.map { record in
            let event = record.event
            return EventOutput(
                EventId: event.eventID,
                EventName: event.eventName,
                ReadOnly: event.readOnly ? "true" : "false",
                AccessKeyId: event.userIdentity.accessKeyId,
                EventTime: event.eventTime,
                EventSource: event.eventSource,
                Username: event.username,
                Resources: (event.resources ?? []).map { ResourceOutput(ResourceType: $0.type, ResourceName: $0.name) },
                CloudTrailEvent: record.cloudTrailJSON
            )
        }
        return LookupEventsOutput(Events: events, NextToken: page.nextToken)
    }
}
