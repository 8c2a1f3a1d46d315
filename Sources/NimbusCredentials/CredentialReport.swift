//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// The CSV of `GetCredentialReport`: one row per user, the account root user first.
///
/// Columns and value conventions are AWS's: timestamps in ISO 8601 with `+00:00`, `true`/`false`,
/// `N/A` where a credential does not exist or was never used, `no_information` for a password that
/// has never been used, and `not_supported` for the root user's password columns.
public struct CredentialReport: Sendable, Hashable {
    /// The header row, in AWS's order.
    public static let columns = [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
        "password_next_rotation", "mfa_active",
        "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
        "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service",
        "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
    ]

    /// The user name AWS gives the root user's row.
    public static let rootUserName = "<root_account>"

    /// A console password.
    public struct Password: Sendable, Hashable {
        /// The last sign-in with it; nil if never used.
        public var lastUsed: Date?
        /// When it was last set; nil for the root user, whose report says `not_supported`.
        public var lastChanged: Date?
        /// When the password policy requires a new one; nil when passwords do not expire.
        public var nextRotation: Date?

        public init(lastUsed: Date? = nil, lastChanged: Date? = nil, nextRotation: Date? = nil) {
            self.lastUsed = lastUsed
            self.lastChanged = lastChanged
            self.nextRotation = nextRotation
        }
    }

    /// The last use of an access key, as `GetAccessKeyLastUsed` records it.
    public struct LastUsed: Sendable, Hashable {
        public var date: Date
        public var region: String
        /// The service's namespace, e.g. `s3`, `iam`.
        public var service: String

        public init(date: Date, region: String, service: String) {
            self.date = date
            self.region = region
            self.service = service
        }
    }

    public struct AccessKey: Sendable, Hashable {
        public var isActive: Bool
        /// When the key was created.
        public var lastRotated: Date
        public var lastUsed: LastUsed?

        public init(isActive: Bool, lastRotated: Date, lastUsed: LastUsed? = nil) {
            self.isActive = isActive
            self.lastRotated = lastRotated
            self.lastUsed = lastUsed
        }
    }

    public struct Certificate: Sendable, Hashable {
        public var isActive: Bool
        /// When the signing certificate was uploaded.
        public var lastRotated: Date

        public init(isActive: Bool, lastRotated: Date) {
            self.isActive = isActive
            self.lastRotated = lastRotated
        }
    }

    /// One user's credentials. Keys and certificates beyond the first two are not reported (AWS allows two).
    public struct Row: Sendable, Hashable {
        public var user: String
        public var arn: String
        public var creationTime: Date
        /// True for the account's root user: its password columns read `not_supported`.
        public var isRoot: Bool
        /// nil when the user has no console password (no login profile).
        public var password: Password?
        public var mfaActive: Bool
        /// In creation order.
        public var accessKeys: [AccessKey]
        /// In upload order.
        public var certificates: [Certificate]

        public init(
            user: String,
            arn: String,
            creationTime: Date,
            password: Password? = nil,
            mfaActive: Bool = false,
            accessKeys: [AccessKey] = [],
            certificates: [Certificate] = []
        ) {
            self.user = user
            self.arn = arn
            self.creationTime = creationTime
            self.isRoot = false
            self.password = password
            self.mfaActive = mfaActive
            self.accessKeys = accessKeys
            self.certificates = certificates
        }

        /// The root user's row: named `<root_account>`, ARN `arn:<partition>:iam::<account>:root`.
        public static func root(
            accountID: String,
            partition: String = "aws",
            creationTime: Date,
            passwordLastUsed: Date? = nil,
            mfaActive: Bool = false,
            accessKeys: [AccessKey] = [],
            certificates: [Certificate] = []
        ) -> Row {
            var row = Row(
                user: CredentialReport.rootUserName,
                arn: "arn:\(partition):iam::\(accountID):root",
                creationTime: creationTime,
                password: Password(lastUsed: passwordLastUsed),
                mfaActive: mfaActive,
                accessKeys: accessKeys,
                certificates: certificates
            )
            row.isRoot = true
            return row
        }

        /// The row's 22 values, in the order of ``CredentialReport/columns``.
        public var values: [String] {
            let na = "N/A"
            var v = [user, arn, CredentialReport.timestamp(creationTime)]
            if isRoot {
                v += ["not_supported", password?.lastUsed.map(CredentialReport.timestamp) ?? "no_information", "not_supported", "not_supported"]
            } else if let password {
                v += [
                    "true",
                    password.lastUsed.map(CredentialReport.timestamp) ?? "no_information",
                    password.lastChanged.map(CredentialReport.timestamp) ?? na,
                    password.nextRotation.map(CredentialReport.timestamp) ?? na,
                ]
            } else {
                v += ["false", na, na, na]
            }
            v.append(mfaActive ? "true" : "false")
            for i in 0..<2 {
                if i < accessKeys.count {
                    let key = accessKeys[i]
                    v += [key.isActive ? "true" : "false", CredentialReport.timestamp(key.lastRotated)]
                    if let used = key.lastUsed {
                        v += [CredentialReport.timestamp(used.date), used.region, used.service]
                    } else {
                        v += [na, na, na]
                    }
                } else {
                    v += ["false", na, na, na, na]
                }
            }
            for i in 0..<2 {
                if i < certificates.count {
                    v += [certificates[i].isActive ? "true" : "false", CredentialReport.timestamp(certificates[i].lastRotated)]
                } else {
                    v += ["false", na]
                }
            }
            return v
        }
    }

    public var rows: [Row]

    /// The root row, if any, is moved first; the others keep their order.
    public init(rows: [Row]) {
        self.rows = rows.filter(\.isRoot) + rows.filter { !$0.isRoot }
    }

    /// The report's CSV: the header, then a line per row, separated by `\n` (no trailing newline).
    /// Fields that contain a comma, a quote or a line break are quoted as RFC 4180 says.
    public func csv() -> String {
        ([Self.columns] + rows.map(\.values)).map { $0.map(Self.escape).joined(separator: ",") }.joined(separator: "\n")
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `2014-10-21T20:30:00+00:00`: whole seconds, UTC, as the report writes times.
    public static func timestamp(_ date: Date) -> String {
        let raw = date.timeIntervalSince1970
        // Years 1 to 9999; NaN reads as the epoch.
        let seconds = raw.isNaN ? 0 : Int64(raw.rounded(.down).clamped(to: -62_135_596_800...253_402_300_799))
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ n: Int64, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))+00:00"
    }
}
