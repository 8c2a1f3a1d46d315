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

// The archive storage classes, as S3 has them: an object in GLACIER or DEEP_ARCHIVE (put there directly
// or by a lifecycle transition) keeps its metadata readable (HEAD, listings) but its data is not, for
// GET or as a copy source, until `RestoreObject` makes a temporary copy readable for `Days` days.
// Nimbus keeps the bytes where they were, so a restore completes at once; `x-amz-restore` says so.

extension S3Service {
    /// The classes whose objects must be restored before they can be read (GLACIER_IR reads directly).
    static let archiveStorageClasses: Set<String> = ["GLACIER", "DEEP_ARCHIVE"]

    /// How cold each class is, for lifecycle transitions, which only ever move an object colder.
    static let storageClassTemperature: [String: Int] = [
        "STANDARD": 0, "REDUCED_REDUNDANCY": 0, "INTELLIGENT_TIERING": 1, "STANDARD_IA": 1, "ONEZONE_IA": 1,
        "GLACIER_IR": 2, "GLACIER": 3, "DEEP_ARCHIVE": 4,
    ]

    /// True when `record`'s data can be read now: not archived, or restored and not yet expired.
    static func isReadable(_ record: ObjectRecord, now: Date) -> Bool {
        guard let storageClass = record.storageClass, archiveStorageClasses.contains(storageClass) else { return true }
        guard let until = record.restoredUntil else { return false }
        return now < until
    }

    /// `InvalidObjectState` for a GET of an archived object, as S3 answers it.
    static func checkReadable(_ record: ObjectRecord, now: Date, asCopySource: Bool = false) throws {
        guard !isReadable(record, now: now) else { return }
        throw AWSError(
            code: "InvalidObjectState",
            message: asCopySource
                ? "The source object of the COPY action is not in the active tier and is only stored in Amazon Glacier."
                : "The operation is not valid for the object's storage class",
            status: 403,
            extra: [("StorageClass", record.storageClass ?? "STANDARD")]
        )
    }

    /// `x-amz-restore` for HEAD and GET of an object that has been restored.
    static func restoreHeader(_ record: ObjectRecord) -> String? {
        guard let until = record.restoredUntil else { return nil }
        return "ongoing-request=\"false\", expiry-date=\"\(TimestampCoding.format(until, .rfc822))\""
    }

    // MARK: RestoreObject

    func restoreObject(_ input: ShapeValue, _ context: RequestContext) async throws -> OperationOutput {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        let request = input["RestoreRequest"]
        if let type = request?["Type"]?.stringValue, type == "SELECT" {
            throw AWSError(code: "NotImplemented", message: "Restores of type SELECT are not implemented by Nimbus.", status: 501)
        }
        guard let days = request?["Days"]?.integerValue else {
            throw AWSError(code: "MalformedXML", message: "The XML you provided was not well-formed or did not validate against our published schema", status: 400)
        }
        // S3's Days is a 32-bit integer.
        guard (1...Int64(Int32.max)).contains(days) else {
            throw AWSError.invalidArgument("Days must be a positive integer", name: "Days", value: String(days))
        }
        let tier = request?["GlacierJobParameters"]?["Tier"]?.stringValue ?? request?["Tier"]?.stringValue ?? "Standard"
        guard ["Standard", "Bulk", "Expedited"].contains(tier) else {
            throw AWSError.invalidArgument("Invalid tier: \(tier)", name: "Tier", value: tier)
        }
        let current = try await readableVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue, method: "POST")
        guard let storageClass = current.storageClass, Self.archiveStorageClasses.contains(storageClass) else {
            throw AWSError(
                code: "InvalidObjectState",
                message: "Restore is not allowed for the object's current storage class",
                status: 403,
                extra: [("StorageClass", current.storageClass ?? "STANDARD")]
            )
        }
        if tier == "Expedited", storageClass == "DEEP_ARCHIVE" {
            throw AWSError.invalidArgument("Expedited retrieval is not available for the DEEP_ARCHIVE storage class", name: "Tier", value: tier)
        }
        let now = clock.now
        // A first restore is accepted (202); asking again while the copy exists only moves its expiry (200).
        let wasRestored = Self.isReadable(current, now: now)
        let until = Self.lifecycleDue(now, days: days)
        _ = try await updateVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue, method: "POST") { $0.restoredUntil = until }
        return OperationOutput(.empty, status: wasRestored ? 200 : 202)
    }

    // MARK: Lifecycle transitions

    /// The storage class `transitions` put an object in at `now`, given when its clock started; nil when
    /// none is due or the object already is at least that cold.
    static func dueTransition(
        _ transitions: [LifecycleTransition], start: Date, size: Int64, currentClass: String?, rule: LifecycleRule,
        minimumSize: String, now: Date
    ) -> String? {
        var target: (due: Date, storageClass: String)?
        for transition in transitions {
            let due = transition.date ?? lifecycleDue(start, days: transition.days ?? 0)
            guard now >= due else { continue }
            if let found = target, found.due >= due { continue }
            target = (due, transition.storageClass)
        }
        guard let target else { return nil }
        let current = storageClassTemperature[currentClass ?? "STANDARD"] ?? 0
        guard (storageClassTemperature[target.storageClass] ?? 0) > current else { return nil }
        // S3 leaves objects under 128 KiB where they are unless the rule's filter names a size (since 2024),
        // or, with `varies_by_storage_class`, unless they go to GLACIER or DEEP_ARCHIVE.
        if size < 128 * 1024, rule.filter?.objectSizeGreaterThan == nil {
            let archive = archiveStorageClasses.contains(target.storageClass)
            if minimumSize != "varies_by_storage_class" || !archive { return nil }
        }
        return target.storageClass
    }

    /// Moves the current objects `rule` selects to the storage class its `Transition`s make due.
    func transitionObjects(in bucket: BucketRecord, rule: LifecycleRule, transitions: [LifecycleTransition], minimumSize: String, now: Date) async throws {
        let prefix = bucket.name + "/" + rule.keyPrefix
        var after: String? = nil
        while true {
            let page = try await store.read { [after] in
                try $0.scanJSON(LifecycleVersionView.self, S3Keys.objects, prefix: prefix, after: after, limit: 500)
            }
            for (_, object) in page where object.isDeleteMarker != true && rule.matches(key: object.key, size: object.size, tags: object.tags ?? [:]) {
                guard let target = Self.dueTransition(
                    transitions, start: object.lastModified, size: object.size, currentClass: object.storageClass, rule: rule,
                    minimumSize: minimumSize, now: now
                ) else { continue }
                try await transition(bucket: bucket, key: object.key, versionID: object.versionID ?? "null", to: target)
            }
            guard page.count == 500, let last = page.last else { return }
            after = last.key
        }
    }

    /// Changes one version's storage class; a version that changed meanwhile is left for the next pass.
    func transition(bucket: BucketRecord, key: String, versionID: String, to storageClass: String) async throws {
        do {
            _ = try await updateVersion(bucket: bucket, key: key, versionID: bucket.versioning == nil ? nil : versionID) { record in
                let current = Self.storageClassTemperature[record.storageClass ?? "STANDARD"] ?? 0
                guard (Self.storageClassTemperature[storageClass] ?? 0) > current else { return }
                record.storageClass = storageClass
                record.restoredUntil = nil
            }
        } catch is AWSError {
            // Deleted or replaced since the scan; nothing to move.
        }
    }
}
