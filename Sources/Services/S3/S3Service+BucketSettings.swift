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

// Bucket settings that tools read whether or not anybody set them (Terraform's `aws_s3_bucket` reads each
// of them on every refresh): Transfer Acceleration and Requester Pays, kept as set; event notifications,
// kept after S3's checks of their destinations; replication's operations (carried out in `+Replication`);
// and the configurations that would make S3 do work Nimbus does not (inventory reports, analytics exports,
// CloudWatch request metrics, Intelligent-Tiering archiving), which answer as for a bucket that has none, and
// refuse to be set.

/// A bucket's event notification configuration, as stored (`BucketRecord.notifications`).
struct NotificationSettings: Codable, Sendable, Hashable {
    struct Target: Codable, Sendable, Hashable {
        /// `Queue`, `Topic` or `LambdaFunction`: the element name's stem.
        var kind: String
        var id: String
        var arn: String
        var events: [String]
        /// Key filter rules, `prefix` or `suffix` and the value.
        var filterRules: [[String]]
    }
    var targets: [Target]
    var eventBridge: Bool
}

extension S3Service {
    func bucketSettingsHandlers(_ on: (String, String, @escaping @Sendable (ShapeValue, RequestContext) async throws -> ShapeValue) -> Void) {
        on("PutBucketAccelerateConfiguration", "PutAccelerateConfiguration", putBucketAccelerateConfiguration)
        on("GetBucketAccelerateConfiguration", "GetAccelerateConfiguration", getBucketAccelerateConfiguration)
        on("PutBucketRequestPayment", "PutBucketRequestPayment", putBucketRequestPayment)
        on("GetBucketRequestPayment", "GetBucketRequestPayment", getBucketRequestPayment)
        on("PutBucketNotificationConfiguration", "PutBucketNotification", putBucketNotificationConfiguration)
        on("GetBucketNotificationConfiguration", "GetBucketNotification", getBucketNotificationConfiguration)
        on("PutBucketReplication", "PutReplicationConfiguration", putBucketReplication)
        on("GetBucketReplication", "GetReplicationConfiguration", getBucketReplication)
        on("DeleteBucketReplication", "PutReplicationConfiguration", deleteBucketReplication)
        for (kind, action) in [("Inventory", "InventoryConfiguration"), ("Analytics", "AnalyticsConfiguration"),
                               ("Metrics", "MetricsConfiguration"), ("IntelligentTiering", "IntelligentTieringConfiguration")] {
            on("GetBucket\(kind)Configuration", "Get" + action, noConfiguration)
            on("DeleteBucket\(kind)Configuration", "Put" + action, noConfiguration)
            on("ListBucket\(kind)Configurations", "Get" + action, noConfigurations)
        }
    }

    // MARK: Transfer Acceleration

    func putBucketAccelerateConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let status = input["AccelerateConfiguration"]?["Status"]?.stringValue
        guard status == "Enabled" || status == "Suspended" else { throw AWSError.malformedXML }
        guard !record.name.contains(".") else {
            throw AWSError.invalidRequest("S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
        }
        // Suspending acceleration that was never enabled leaves the bucket without a configuration.
        guard record.accelerate != nil || status == "Enabled" else { return .empty }
        try await update(record.name) { $0.accelerate = status }
        return .empty
    }

    func getBucketAccelerateConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        return .structure(record.accelerate.map { ["Status": .string($0)] } ?? [:])
    }

    // MARK: Requester Pays

    func putBucketRequestPayment(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let payer = input["RequestPaymentConfiguration"]?["Payer"]?.stringValue
        guard payer == "Requester" || payer == "BucketOwner" else { throw AWSError.malformedXML }
        try await update(record.name) { $0.requestPayer = payer == "Requester" ? payer : nil }
        return .empty
    }

    /// `x-amz-request-charged: requester` on a successful answer to a caller outside a Requester Pays bucket's
    /// account who accepted the charge.
    func addRequestCharged(_ request: WireRequest, _ context: RequestContext, _ response: inout WireResponse) async {
        guard response.status < 400, request.header("x-amz-request-payer")?.lowercased() == "requester",
            let target = Self.addressedBucket(request),
            let record = try? await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, target.bucket) }),
            record.requestPayer != nil, record.account != context.principal.accountID
        else { return }
        response.headers.append(("x-amz-request-charged", "requester"))
    }

    func getBucketRequestPayment(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        return .structure(["Payer": .string(record.requestPayer ?? "BucketOwner")])
    }

    // MARK: Event notifications

    /// The event types S3 notifies of, as its error message lists them.
    static let notificationEvents: [String] = [
        "s3:IntelligentTiering", "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition", "s3:ObjectAcl:Put", "s3:ObjectCreated:*",
        "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectCreated:Copy", "s3:ObjectCreated:Post", "s3:ObjectCreated:Put",
        "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*",
        "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:ObjectRestore:Post", "s3:ObjectTagging:*",
        "s3:ObjectTagging:Delete", "s3:ObjectTagging:Put", "s3:ReducedRedundancyLostObject", "s3:Replication:*",
        "s3:Replication:OperationFailedReplication", "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationNotTracked", "s3:Replication:OperationReplicatedAfterThreshold",
    ]
    private static let notificationKinds: [(kind: String, service: String)] = [("Topic", "sns"), ("Queue", "sqs"), ("LambdaFunction", "lambda")]

    func putBucketNotificationConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let settings = try Self.notificationSettings(input["NotificationConfiguration"], bucketRegion: record.region)
        // S3 checks each destination by sending it a test event; Nimbus runs no SNS, SQS or Lambda, so there is
        // no destination to check or to deliver to, unless the caller asks to skip the check.
        if input["SkipDestinationValidation"]?.booleanValue != true, let target = settings.targets.first {
            let noun = ["Topic": "topic", "Queue": "queue", "LambdaFunction": "function"][target.kind] ?? "destination"
            throw AWSError.invalidArgument(
                "Unable to validate the following destination configurations", name: target.arn,
                value: "The destination \(noun) does not exist")
        }
        try await update(record.name) {
            $0.notifications = settings.targets.isEmpty && !settings.eventBridge ? nil : settings
        }
        return .empty
    }

    func getBucketNotificationConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let settings = record.notifications else { return .empty }
        var out: [String: ShapeValue] = [:]
        for (kind, _) in Self.notificationKinds {
            let targets = settings.targets.filter { $0.kind == kind }
            guard !targets.isEmpty else { continue }
            out["\(kind)Configurations"] = .list(targets.map { target in
                var item: [String: ShapeValue] = [
                    "Id": .string(target.id), "\(kind)Arn": .string(target.arn), "Events": .list(target.events.map { .string($0) }),
                ]
                if !target.filterRules.isEmpty {
                    let rules = target.filterRules.map { ShapeValue.structure(["Name": .string($0[0]), "Value": .string($0[1])]) }
                    item["Filter"] = .structure(["Key": .structure(["FilterRules": .list(rules)])])
                }
                return .structure(item)
            })
        }
        if settings.eventBridge { out["EventBridgeConfiguration"] = .empty }
        return .structure(out)
    }

    /// A `NotificationConfiguration`, checked as S3 checks it before it validates the destinations.
    static func notificationSettings(_ configuration: ShapeValue?, bucketRegion: String) throws -> NotificationSettings {
        var targets: [NotificationSettings.Target] = []
        for (kind, service) in notificationKinds {
            for item in configuration?["\(kind)Configurations"]?.listValue ?? [] {
                guard let arn = item["\(kind)Arn"]?.stringValue, let events = item["Events"]?.listValue, !events.isEmpty else {
                    throw AWSError.malformedXML
                }
                let parts = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
                guard parts.count >= 6, parts[0] == "arn", parts[2] == service, !parts[3].isEmpty, !parts[5].isEmpty else {
                    throw AWSError.invalidArgument("The ARN is not well formed", name: arn, value: arn)
                }
                guard parts[3] == bucketRegion else {
                    throw AWSError.invalidArgument(
                        "The notification destination service region is not valid for the bucket location constraint",
                        name: arn, value: arn)
                }
                let names = try events.map { event -> String in
                    guard let name = event.stringValue, notificationEvents.contains(name) else {
                        let listed = notificationEvents.map { "'\($0)'" }.joined(separator: ", ")
                        throw AWSError.invalidArgument(
                            "The event '\(event.stringValue ?? "")' is not supported for notifications. Supported events are as follows: [\(listed)]",
                            name: "Event", value: event.stringValue ?? "")
                    }
                    return name
                }
                let rules = try (item["Filter"]?["Key"]?["FilterRules"]?.listValue ?? []).map { rule -> [String] in
                    let name = rule["Name"]?.stringValue?.lowercased() ?? ""
                    guard name == "prefix" || name == "suffix" else {
                        throw AWSError.invalidArgument("filter rule name must be either prefix or suffix", name: "FilterRule", value: name)
                    }
                    return [name, rule["Value"]?.stringValue ?? ""]
                }
                guard Set(rules.map { $0[0] }).count == rules.count else {
                    throw AWSError.invalidArgument("Cannot specify more than one prefix or suffix rule in a filter.", name: "FilterRule", value: "")
                }
                let id = item["Id"]?.stringValue ?? UUID().uuidString.lowercased()
                targets.append(.init(kind: kind, id: id, arn: arn, events: names, filterRules: rules))
            }
        }
        return NotificationSettings(targets: targets, eventBridge: configuration?["EventBridgeConfiguration"] != nil)
    }

    // MARK: Configurations of work Nimbus does not do

    /// Get or delete of an inventory, analytics, metrics or Intelligent-Tiering configuration by its id:
    /// none is ever set.
    func noConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        _ = try await bucket(input)
        throw AWSError(code: "NoSuchConfiguration", message: "The specified configuration does not exist.", status: 404)
    }

    func noConfigurations(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        _ = try await bucket(input)
        return .structure(["IsTruncated": .boolean(false)])
    }
}
