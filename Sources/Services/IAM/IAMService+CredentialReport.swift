//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusCredentials
import NimbusStorage
import NimbusWire

/// The account's last credential report, key `<account>/credential-report` in `IAMKeys.account`.
struct CredentialReportRecord: Codable, Sendable {
    var GeneratedTime: Date
    var Content: Data
}

extension IAMService {
    /// AWS regenerates a report at most every four hours, and a report older than that has expired.
    static let credentialReportLifetime: TimeInterval = 4 * 3600

    func credentialReportHandlers() -> [String: OperationHandler] {
        [
            "GenerateCredentialReport": OperationHandler(generateCredentialReport),
            "GetCredentialReport": OperationHandler(getCredentialReport),
        ]
    }

    static func credentialReportKey(_ account: String) -> String { IAMKeys.key(account, "credential-report") }
    /// When the account's root user was first seen by IAM: the root row's `user_creation_time`.
    static func rootCreatedKey(_ account: String) -> String { IAMKeys.key(account, "root-created") }

    struct GenerateCredentialReportOutput: Encodable, Sendable {
        var State: String
        var Description: String?
    }

    /// `STARTED` when a new report is made, `COMPLETE` while the last one is less than four hours old.
    /// Reports are small enough to build at once, so a started report is ready for the next call.
    @Sendable func generateCredentialReport(_ input: EmptyShape, context: RequestContext) async throws -> GenerateCredentialReportOutput {
        let account = account(context)
        let now = clock.now
        let key = Self.credentialReportKey(account)
        if let existing = try await store.read({ try $0.getJSON(CredentialReportRecord.self, IAMKeys.account, key) }),
            now.timeIntervalSince(existing.GeneratedTime) < Self.credentialReportLifetime
        {
            return GenerateCredentialReportOutput(State: "COMPLETE")
        }
        // Uses still buffered in memory belong in the report.
        try await flushKeyUsage()
        let policy = try await passwordPolicy(in: account)
        try await store.write { tx in
            let report = try Self.credentialReport(account: account, policy: policy, now: now, tx)
            try tx.putJSON(IAMKeys.account, key, CredentialReportRecord(GeneratedTime: now, Content: Data(report.csv().utf8)))
        }
        return GenerateCredentialReportOutput(State: "STARTED", Description: "No report exists. Starting a new report generation task")
    }

    struct GetCredentialReportOutput: Encodable, Sendable {
        var Content: Data
        var ReportFormat: String
        var GeneratedTime: Date
    }

    @Sendable func getCredentialReport(_ input: EmptyShape, context: RequestContext) async throws -> GetCredentialReportOutput {
        let key = Self.credentialReportKey(account(context))
        guard let report = try await store.read({ try $0.getJSON(CredentialReportRecord.self, IAMKeys.account, key) }) else {
            throw AWSError(
                code: "ReportNotPresent",
                message: "Credential report does not exist. To generate a credential report, use GenerateCredentialReport.",
                status: 410
            )
        }
        guard clock.now.timeIntervalSince(report.GeneratedTime) < Self.credentialReportLifetime else {
            throw AWSError(
                code: "ReportExpired",
                message: "The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.",
                status: 410
            )
        }
        return GetCredentialReportOutput(Content: report.Content, ReportFormat: "text/csv", GeneratedTime: report.GeneratedTime)
    }

    /// The root row and one row per user, from one consistent view of the store.
    static func credentialReport(account: String, policy: PasswordPolicy?, now: Date, _ tx: any StoreWriter) throws -> CredentialReport {
        var rootCreated = try tx.getJSON(Date.self, IAMKeys.account, rootCreatedKey(account))
        if rootCreated == nil {
            rootCreated = now
            try tx.putJSON(IAMKeys.account, rootCreatedKey(account), now)
        }
        let rootMFA = try !tx.scan(IAMKeys.userMFADevices, prefix: MFAOwner.rootKey(account) + "/", after: nil, reverse: false, limit: 1).isEmpty
        var rows = [CredentialReport.Row.root(accountID: account, creationTime: rootCreated ?? now, mfaActive: rootMFA)]
        for (userKey, user) in try tx.scanJSON(UserRecord.self, IAMKeys.users, prefix: account + "/") {
            let prefix = userKey + "/"
            var password: CredentialReport.Password?
            if let profile = try tx.getJSON(LoginProfileRecord.self, IAMKeys.loginProfiles, LoginProfileRecord.key(userKey)) {
                password = CredentialReport.Password(
                    lastUsed: user.PasswordLastUsed,
                    lastChanged: profile.passwordLastChanged,
                    nextRotation: policy?.expiry(ofPasswordChangedAt: profile.passwordLastChanged)
                )
            }
            let mfa = try !tx.scan(IAMKeys.userMFADevices, prefix: prefix, after: nil, reverse: false, limit: 1).isEmpty
            var keys: [CredentialReport.AccessKey] = []
            let keyEntries = try tx.scanJSON(AccessKeyMetadata.self, IAMKeys.userAccessKeys, prefix: prefix).map(\.value)
            for entry in keyEntries.sorted(by: { $0.CreateDate < $1.CreateDate }) {
                let record = try tx.getJSON(AccessKeyRecord.self, IAMKeys.accessKeys, entry.AccessKeyId)
                var lastUsed: CredentialReport.LastUsed?
                if let record, let date = record.LastUsedDate {
                    lastUsed = CredentialReport.LastUsed(date: date, region: record.LastUsedRegion ?? "N/A", service: record.LastUsedService ?? "N/A")
                }
                keys.append(CredentialReport.AccessKey(isActive: entry.Status == AccessKeyStatus.active, lastRotated: entry.CreateDate, lastUsed: lastUsed))
            }
            let certificates = try tx.scanJSON(SigningCertificateRecord.self, IAMKeys.signingCertificates, prefix: prefix).map(\.value)
                .sorted { $0.UploadDate < $1.UploadDate }
                .map { CredentialReport.Certificate(isActive: $0.Status == AccessKeyStatus.active, lastRotated: $0.UploadDate) }
            rows.append(
                CredentialReport.Row(
                    user: user.UserName, arn: user.Arn, creationTime: user.CreateDate, password: password,
                    mfaActive: mfa, accessKeys: keys, certificates: certificates
                )
            )
        }
        return CredentialReport(rows: rows)
    }
}
