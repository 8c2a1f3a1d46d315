//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCredentials
import Testing

@Suite struct CredentialReportTests {
    static func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func goldenCSV() {
        let report = CredentialReport(rows: [
            CredentialReport.Row(
                user: "alice",
                arn: "arn:aws:iam::123456789012:user/alice",
                creationTime: Self.date("2024-01-02T03:04:05Z"),
                password: .init(
                    lastUsed: Self.date("2024-03-01T12:00:00Z"),
                    lastChanged: Self.date("2024-01-02T03:10:00Z"),
                    nextRotation: Self.date("2024-04-01T03:10:00Z")
                ),
                mfaActive: true,
                accessKeys: [
                    .init(
                        isActive: true,
                        lastRotated: Self.date("2024-01-02T03:05:00Z"),
                        lastUsed: .init(date: Self.date("2024-03-02T08:00:00Z"), region: "us-east-1", service: "s3")
                    ),
                    .init(isActive: false, lastRotated: Self.date("2024-02-02T00:00:00Z")),
                ],
                certificates: [.init(isActive: true, lastRotated: Self.date("2024-01-05T00:00:00Z"))]
            ),
            CredentialReport.Row(
                user: "bob",
                arn: "arn:aws:iam::123456789012:user/ops/bob",
                creationTime: Self.date("2024-05-06T07:08:09Z"),
                password: .init(lastChanged: Self.date("2024-05-06T07:08:09Z"))
            ),
            CredentialReport.Row(user: "carol", arn: "arn:aws:iam::123456789012:user/carol", creationTime: Self.date("2024-06-01T00:00:00Z")),
            // The root row is reported first whatever its position.
            .root(accountID: "123456789012", creationTime: Self.date("2023-12-31T23:59:59Z"), mfaActive: true),
        ])
        let expected = """
            user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,\
            access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,\
            access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,\
            cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
            <root_account>,arn:aws:iam::123456789012:root,2023-12-31T23:59:59+00:00,not_supported,no_information,not_supported,not_supported,true,\
            false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
            alice,arn:aws:iam::123456789012:user/alice,2024-01-02T03:04:05+00:00,true,2024-03-01T12:00:00+00:00,2024-01-02T03:10:00+00:00,\
            2024-04-01T03:10:00+00:00,true,true,2024-01-02T03:05:00+00:00,2024-03-02T08:00:00+00:00,us-east-1,s3,\
            false,2024-02-02T00:00:00+00:00,N/A,N/A,N/A,true,2024-01-05T00:00:00+00:00,false,N/A
            bob,arn:aws:iam::123456789012:user/ops/bob,2024-05-06T07:08:09+00:00,true,no_information,2024-05-06T07:08:09+00:00,N/A,false,\
            false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
            carol,arn:aws:iam::123456789012:user/carol,2024-06-01T00:00:00+00:00,false,N/A,N/A,N/A,false,\
            false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
            """
        #expect(report.csv() == expected)
        for line in report.csv().split(separator: "\n") {
            #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == 22)
        }
    }

    @Test func columnsAreAWSs() {
        #expect(CredentialReport.columns.count == 22)
        #expect(CredentialReport.columns.first == "user")
        #expect(CredentialReport.columns.last == "cert_2_last_rotated")
    }

    @Test func rootWithUsedPassword() {
        let row = CredentialReport.Row.root(
            accountID: "111122223333",
            partition: "aws-cn",
            creationTime: Self.date("2020-01-01T00:00:00Z"),
            passwordLastUsed: Self.date("2024-02-29T23:00:01Z")
        )
        #expect(Array(row.values.prefix(8)) == [
            "<root_account>", "arn:aws-cn:iam::111122223333:root", "2020-01-01T00:00:00+00:00", "not_supported",
            "2024-02-29T23:00:01+00:00", "not_supported", "not_supported", "false",
        ])
    }

    @Test func timestamps() {
        #expect(CredentialReport.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00+00:00")
        #expect(CredentialReport.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00+00:00")
        #expect(CredentialReport.timestamp(Date(timeIntervalSince1970: 1_413_923_400.9)) == "2014-10-21T20:30:00+00:00")
        #expect(CredentialReport.timestamp(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59+00:00")
        #expect(CredentialReport.timestamp(Date(timeIntervalSince1970: 4_102_444_800)) == "2100-01-01T00:00:00+00:00")
        // Out-of-range dates are clamped, not a crash.
        #expect(CredentialReport.timestamp(.distantFuture).hasPrefix("4001-") || CredentialReport.timestamp(.distantFuture).hasPrefix("9999-"))
        _ = CredentialReport.timestamp(Date(timeIntervalSince1970: .infinity))
        _ = CredentialReport.timestamp(Date(timeIntervalSince1970: -.infinity))
        _ = CredentialReport.timestamp(Date(timeIntervalSince1970: .nan))
    }

    @Test func fieldsWithCommasOrQuotesAreQuoted() {
        // IAM user names may contain commas.
        let row = CredentialReport.Row(user: "a,b", arn: "arn:aws:iam::123456789012:user/a,b", creationTime: Date(timeIntervalSince1970: 0))
        let line = CredentialReport(rows: [row]).csv().split(separator: "\n")[1]
        #expect(line.hasPrefix("\"a,b\",\"arn:aws:iam::123456789012:user/a,b\",1970-01-01T00:00:00+00:00,false"))
        let quoted = CredentialReport.Row(user: "q\"x", arn: "x\ny", creationTime: Date(timeIntervalSince1970: 0))
        #expect(CredentialReport(rows: [quoted]).csv().contains("\"q\"\"x\",\"x\ny\""))
    }

    @Test func extraKeysAndCertificatesAreNotReported() {
        let key = CredentialReport.AccessKey(isActive: true, lastRotated: Date(timeIntervalSince1970: 0))
        let row = CredentialReport.Row(user: "u", arn: "a", creationTime: Date(timeIntervalSince1970: 0), accessKeys: [key, key, key])
        #expect(row.values.count == 22)
    }
}
