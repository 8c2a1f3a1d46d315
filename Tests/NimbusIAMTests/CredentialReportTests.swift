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
import Testing

@testable import NimbusIAM

@Suite struct CredentialReportTests {
    static let account = IAMHarness.account

    func rows(_ response: IAMResponse) throws -> [[String: String]] {
        let csv = String(decoding: try #require(response.blob("Content")), as: UTF8.self)
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        #expect(header == CredentialReport.columns)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    @Test func generateAndGet() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        let missing = try await iam.call("GetCredentialReport")
        #expect(missing.status == 410)
        #expect(missing.errorCode == "ReportNotPresent")

        try await iam.createUser("bob")
        try await iam.createUser("carol")
        try await iam.ok("CreateLoginProfile", ["UserName": "bob", "Password": "Report-Pass-1"])
        let key = try #require(try await iam.ok("CreateAccessKey", ["UserName": "bob"])["AccessKeyId"])
        iam.service.noteKeyUsed(accessKeyID: key, service: "s3", region: "eu-west-1", at: clock.now)
        // The report orders a user's keys by creation time; two keys are never made in the same instant.
        clock.advance(by: 60)
        let second = try #require(try await iam.ok("CreateAccessKey", ["UserName": "bob"])["AccessKeyId"])
        try await iam.ok("UpdateAccessKey", ["UserName": "bob", "AccessKeyId": second, "Status": "Inactive"])
        let created = try await iam.ok("CreateVirtualMFADevice", ["VirtualMFADeviceName": "bob"])
        let seed = String(decoding: try #require(created.blob("Base32StringSeed")), as: UTF8.self)
        let totp = TOTP(secret: try #require(Base32.decode(seed)))
        let serial = try #require(created["SerialNumber"])
        let counter = TOTP.counter(at: clock.now)
        try await iam.ok("EnableMFADevice", [
            "UserName": "bob", "SerialNumber": serial,
            "AuthenticationCode1": totp.code(counter: counter - 1), "AuthenticationCode2": totp.code(counter: counter),
        ])

        let started = try await iam.ok("GenerateCredentialReport")
        #expect(started["State"] == "STARTED")
        #expect(started["Description"] != nil)
        #expect(try await iam.ok("GenerateCredentialReport")["State"] == "COMPLETE")

        let report = try await iam.ok("GetCredentialReport")
        #expect(report["ReportFormat"] == "text/csv")
        #expect(report["GeneratedTime"] != nil)
        let rows = try rows(report)
        #expect(rows.map { $0["user"] } == ["<root_account>", "bob", "carol"])
        let root = rows[0]
        #expect(root["arn"] == "arn:aws:iam::\(Self.account):root")
        #expect(root["password_enabled"] == "not_supported")
        let bob = rows[1]
        #expect(bob["arn"] == "arn:aws:iam::\(Self.account):user/bob")
        #expect(bob["password_enabled"] == "true")
        #expect(bob["mfa_active"] == "true")
        #expect(bob["access_key_1_active"] == "true")
        #expect(bob["access_key_1_last_used_service"] == "s3")
        #expect(bob["access_key_1_last_used_region"] == "eu-west-1")
        #expect(bob["access_key_2_active"] == "false")
        #expect(bob["access_key_2_last_used_date"] == "N/A")
        #expect(bob["cert_1_active"] == "false")
        let carol = rows[2]
        #expect(carol["password_enabled"] == "false")
        #expect(carol["mfa_active"] == "false")
        #expect(carol["access_key_1_active"] == "false")
        // No secret of any kind in the report.
        #expect(!report.xml.contains("Report-Pass-1"))
    }

    @Test func expiresAfterFourHours() async throws {
        let clock = TestClock()
        let iam = IAMHarness.credentials(clock: clock)
        try await iam.ok("GenerateCredentialReport")
        try await iam.createUser("dave")
        clock.advance(by: 3 * 3600)
        // Still fresh: the old report, without dave.
        #expect(try await iam.ok("GenerateCredentialReport")["State"] == "COMPLETE")
        #expect(try rows(try await iam.ok("GetCredentialReport")).count == 1)
        clock.advance(by: 3600)
        let expired = try await iam.call("GetCredentialReport")
        #expect(expired.status == 410)
        #expect(expired.errorCode == "ReportExpired")
        #expect(try await iam.ok("GenerateCredentialReport")["State"] == "STARTED")
        #expect(try rows(try await iam.ok("GetCredentialReport")).map { $0["user"] } == ["<root_account>", "dave"])
    }
}
