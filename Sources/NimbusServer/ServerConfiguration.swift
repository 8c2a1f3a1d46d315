//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import Logging

/// Everything `nimbus serve` can be told, from flags or `NIMBUS_*` environment variables.
public struct ServerConfiguration: Sendable {
    public enum AuthMode: String, Sendable, CaseIterable {
        /// Every request is SigV4-verified and authorized. The default.
        case strict
        /// For suites written for LocalStack or moto: any key is the root of an account, signatures unchecked.
        case compat
    }

    public var host: String = "127.0.0.1"
    public var port: Int = 4566
    /// The HTTPS port; 0 turns HTTPS off.
    public var tlsPort: Int = 4567
    public var dataDirectory: URL = URL(fileURLWithPath: ".nimbus")
    public var ephemeral: Bool = false
    /// How many CloudTrail events an ephemeral server keeps, the newest (its history is in memory):
    /// `NIMBUS_EPHEMERAL_MAX_EVENTS`. A durable server keeps every event for 90 days.
    public var ephemeralMaxEvents: Int = 50_000
    public var region: String = "us-east-1"
    public var logLevel: Logger.Level = .info
    public var authMode: AuthMode = .strict
    /// Pins the default account and its root key (for CI): `NIMBUS_ACCOUNT_ID`, `NIMBUS_ROOT_ACCESS_KEY_ID`, `NIMBUS_ROOT_SECRET_ACCESS_KEY`.
    public var accountID: String?
    public var rootAccessKeyID: String?
    public var rootSecretAccessKey: String?
    /// Largest non-streaming request body the server buffers.
    public var maxBufferedBody: Int = 20 * 1024 * 1024
    /// The fault domains object data is spread over (`NIMBUS_BLOB_DIRS`, comma-separated); by default three
    /// directories under the data dir. Point them at separate disks to survive the loss of one.
    public var blobDirectories: [URL]?
    /// How often the scrubber re-reads all object data, and how fast (`NIMBUS_SCRUB_INTERVAL` seconds,
    /// `NIMBUS_SCRUB_RATE` bytes per second).
    public var scrubInterval: Duration = .seconds(6 * 3600)
    public var scrubBytesPerSecond: Int64? = 64 * 1024 * 1024
    /// How long ago a blob's pieces must have been written before the scrubber removes it as an orphan,
    /// when no record names it (`NIMBUS_SCRUB_ORPHAN_AGE` seconds).
    public var orphanMinimumAge: Double = 3600
    /// How often S3 lifecycle rules are carried out (`NIMBUS_S3_LIFECYCLE_INTERVAL_SECONDS`).
    public var lifecycleInterval: Duration = .seconds(60)
    /// PEM certificates trusted, besides the system's, when fetching OpenID providers' signing keys
    /// (`NIMBUS_OIDC_CA_BUNDLE`), for a provider on a private CA such as a local Dex or Keycloak.
    public var oidcCABundle: String?
    /// How far ahead of the system clock the server's clock runs (`NIMBUS_CLOCK_OFFSET_SECONDS`), for testing
    /// what happens with time (session and key expiry, lifecycle) without waiting. Signatures are checked
    /// against this clock too, so clients must sign with the same offset. Never set in production.
    public var clockOffsetSeconds: Double = 0

    public init() {}
}
