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

// Object Lock (WORM): a bucket's default retention, per-version retention (GOVERNANCE or COMPLIANCE
// until a date) and legal holds. What they forbid is enforced where versions are deleted
// (`S3Service.checkLock`); here they are configured.

extension S3Service {
    static let missingLockConfiguration = AWSError.invalidRequest("Bucket is missing Object Lock Configuration")

    /// Changes one version's record (the current one when `versionID` is nil), in `s3.versions` and, if it
    /// is the current version, in `s3.objects` too. Returns the changed record.
    @discardableResult
    func updateVersion(
        bucket: BucketRecord, key: String, versionID: String?, method: String = "PUT",
        _ change: @escaping @Sendable (inout ObjectRecord) throws -> Void
    ) async throws -> ObjectRecord {
        guard let found = try await findVersion(bucket: bucket, key: key, versionID: versionID) else {
            if let versionID {
                throw AWSError(code: "NoSuchVersion", message: "The specified version does not exist.", status: 404,
                               extra: [("Key", key), ("VersionId", versionID)])
            }
            throw AWSError.noSuchKey(key)
        }
        guard found.record.isDeleteMarker != true else { throw Self.deleteMarkerRefuses(method, versionID: found.record.version) }
        let bucketName = bucket.name
        return try await store.write { tx in
            let currentKey = S3Keys.object(bucketName, key)
            let current = try tx.getJSON(ObjectRecord.self, S3Keys.objects, currentKey)
            var entry = found.entry
            if entry == nil, let id = found.record.versionID {
                entry = try tx.get(S3Keys.versionIDs, bucketName + "/" + id).map { String(decoding: $0, as: UTF8.self) }
            } else if entry == nil, bucket.versioning != nil {
                entry = try tx.scanJSON(ObjectRecord.self, S3Keys.versions, prefix: S3Keys.versionPrefix(bucketName, key))
                    .first { $0.value.versionID == nil }?.key
            }
            var record: ObjectRecord
            if let entry {
                guard let stored = try tx.getJSON(ObjectRecord.self, S3Keys.versions, entry) else { throw AWSError.noSuchKey(key) }
                record = stored
                try change(&record)
                try tx.putJSON(S3Keys.versions, entry, record)
            } else {
                guard let stored = current else { throw AWSError.noSuchKey(key) }
                record = stored
                try change(&record)
            }
            if let current, current.version == record.version { try tx.putJSON(S3Keys.objects, currentKey, record) }
            return record
        }
    }

    /// `x-amz-object-lock-mode`, `-retain-until-date` and `-legal-hold` on a write.
    static func applyLockHeaders(_ input: ShapeValue, bucket: BucketRecord, to record: inout ObjectRecord) throws {
        let mode = input["ObjectLockMode"]?.stringValue
        let until: Date?
        if case .timestamp(let date)? = input["ObjectLockRetainUntilDate"] { until = date } else { until = nil }
        let hold = input["ObjectLockLegalHoldStatus"]?.stringValue
        guard mode != nil || until != nil || hold != nil else { return }
        guard bucket.objectLockEnabled == true else { throw missingLockConfiguration }
        if (mode == nil) != (until == nil) {
            throw AWSError.invalidArgument(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied", name: "x-amz-object-lock-mode"
            )
        }
        if let mode {
            guard mode == "GOVERNANCE" || mode == "COMPLIANCE" else {
                throw AWSError.invalidArgument("Unknown wormMode directive.", name: "x-amz-object-lock-mode", value: mode)
            }
            record.retentionMode = mode
            record.retainUntil = until
        }
        if let hold {
            guard hold == "ON" || hold == "OFF" else {
                throw AWSError.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", name: "x-amz-object-lock-legal-hold", value: hold)
            }
            record.legalHold = hold == "ON"
        }
    }

    // MARK: Bucket configuration

    func putObjectLockConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard let configuration = input["ObjectLockConfiguration"] else {
            throw AWSError(code: "MissingRequestBodyError", message: "Request Body is empty", status: 400)
        }
        guard configuration["ObjectLockEnabled"]?.stringValue == "Enabled" else { throw AWSError.malformedXML }
        guard bucket.objectLockEnabled == true || bucket.versioning == "Enabled" else {
            throw AWSError(code: "InvalidBucketState", message: "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration", status: 409)
        }
        var mode: String?
        var days: Int?
        var years: Int?
        if let retention = configuration["Rule"]?["DefaultRetention"] {
            mode = retention["Mode"]?.stringValue
            days = retention["Days"]?.integerValue.map(Int.init)
            years = retention["Years"]?.integerValue.map(Int.init)
            guard mode == "GOVERNANCE" || mode == "COMPLIANCE", (days == nil) != (years == nil) else { throw AWSError.malformedXML }
            guard (days ?? 1) > 0, (years ?? 1) > 0 else {
                throw AWSError.invalidArgument("Default retention period must be a positive integer value.", name: days != nil ? "Days" : "Years")
            }
        }
        let (mode_, days_, years_) = (mode, days, years)
        try await update(bucket.name) {
            $0.objectLockEnabled = true
            $0.versioning = "Enabled"
            $0.defaultRetentionMode = mode_
            $0.defaultRetentionDays = days_
            $0.defaultRetentionYears = years_
        }
        return .empty
    }

    func getObjectLockConfiguration(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        guard bucket.objectLockEnabled == true else {
            throw AWSError(code: "ObjectLockConfigurationNotFoundError", message: "Object Lock configuration does not exist for this bucket", status: 404,
                           extra: [("BucketName", bucket.name)])
        }
        var configuration: [String: ShapeValue] = ["ObjectLockEnabled": .string("Enabled")]
        if let mode = bucket.defaultRetentionMode {
            var retention: [String: ShapeValue] = ["Mode": .string(mode)]
            if let days = bucket.defaultRetentionDays { retention["Days"] = .integer(Int64(days)) }
            if let years = bucket.defaultRetentionYears { retention["Years"] = .integer(Int64(years)) }
            configuration["Rule"] = .structure(["DefaultRetention": .structure(retention)])
        }
        return .structure(["ObjectLockConfiguration": .structure(configuration)])
    }

    // MARK: Retention and legal hold

    func putObjectRetention(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        guard bucket.objectLockEnabled == true else { throw Self.missingLockConfiguration }
        let mode = input["Retention"]?["Mode"]?.stringValue
        var requested: Date?
        if case .timestamp(let date)? = input["Retention"]?["RetainUntilDate"] { requested = date }
        let until = requested
        if let mode, mode != "GOVERNANCE" && mode != "COMPLIANCE" { throw AWSError.malformedXML }
        if (mode == nil) != (until == nil) { throw AWSError.malformedXML }
        let now = clock.now
        if let until, until <= now {
            throw AWSError.invalidArgument("The retain until date must be in the future!", name: "RetainUntilDate")
        }
        let bypass = try await bypassesGovernance(input, bucket: bucket.name, key: key, context: context)
        let version = try await updateVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue) { record in
            if let current = record.retentionMode, let currentUntil = record.retainUntil, currentUntil > now {
                // Retention may always be extended in its mode. Shortened, removed or given another mode (even
                // governance to compliance, as S3 has it) only under governance, with bypass.
                let alters = mode != current || (until ?? now) < currentUntil
                if alters && (current == "COMPLIANCE" || !bypass) { throw Self.lockedError }
            }
            record.retentionMode = mode
            record.retainUntil = until
        }
        return bucket.versioning == nil ? .empty : .structure(["VersionId": .string(version.version)])
    }

    func getObjectRetention(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        guard bucket.objectLockEnabled == true else { throw Self.missingLockConfiguration }
        let record = try await readableVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue)
        guard let mode = record.retentionMode, let until = record.retainUntil else {
            throw AWSError(code: "NoSuchObjectLockConfiguration", message: "The specified object does not have a ObjectLock configuration", status: 404)
        }
        return .structure(["Retention": .structure(["Mode": .string(mode), "RetainUntilDate": .timestamp(until)])])
    }

    func putObjectLegalHold(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        guard bucket.objectLockEnabled == true else { throw Self.missingLockConfiguration }
        guard let status = input["LegalHold"]?["Status"]?.stringValue, status == "ON" || status == "OFF" else { throw AWSError.malformedXML }
        try await updateVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue) { $0.legalHold = status == "ON" }
        return .empty
    }

    func getObjectLegalHold(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let key = try Self.objectKey(input)
        guard bucket.objectLockEnabled == true else { throw Self.missingLockConfiguration }
        let record = try await readableVersion(bucket: bucket, key: key, versionID: input["VersionId"]?.stringValue)
        guard let hold = record.legalHold else {
            throw AWSError(code: "NoSuchObjectLockConfiguration", message: "The specified object does not have a ObjectLock configuration", status: 404)
        }
        return .structure(["LegalHold": .structure(["Status": .string(hold ? "ON" : "OFF")])])
    }
}
