//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Logging
import NimbusServer

/// The entry point: runs the command on Swift's concurrent executor and parks the main thread.
///
/// Not `@main` on the command itself: an async `main` gives the main thread to libdispatch, whose
/// `dispatch_main` ends it with `pthread_exit`, and that thread's forced unwind reads the binary's unwind
/// tables (about half a megabyte of `.eh_frame_hdr` and `.eh_frame` kept resident in every idle server).
/// Nothing in Nimbus or its dependencies runs on the main actor, so the main thread has nothing to drain.
@main
enum Entry {
    static func main() {
        // Detached: a task made here would inherit the main actor, which nothing will ever run again.
        Task.detached {
            await Nimbus.main()  // exits by itself on an error
            exit(EXIT_SUCCESS)
        }
        while true { pause() }
    }
}

// Every command names itself: ArgumentParser otherwise derives the name from `String(describing:)` of
// the type, whose protocol-conformance lookups cost milliseconds at every start.
struct Nimbus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nimbus",
        abstract: "An AWS-compatible cloud in one binary.",
        version: NimbusServer.version,
        subcommands: [Serve.self, Accounts.self, Bench.self],
        defaultSubcommand: Serve.self
    )
}

/// The options every command that opens the data dir shares. Each falls back to its `NIMBUS_*` variable.
struct StateOptions: ParsableArguments {
    @Option(help: "Directory for all state (env NIMBUS_DATA_DIR).")
    var dataDir: String?

    @Flag(help: "Keep all state in memory; nothing survives a restart (env NIMBUS_EPHEMERAL=1).")
    var ephemeral = false
    @Option(help: "Comma-separated directories (fault domains) for object data; default three under the data dir (env NIMBUS_BLOB_DIRS).")
    var blobDirs: String?

    func apply(to configuration: inout ServerConfiguration, environment env: [String: String]) {
        if let dir = dataDir ?? env["NIMBUS_DATA_DIR"] { configuration.dataDirectory = URL(fileURLWithPath: dir) }
        configuration.ephemeral = ephemeral || ["1", "true", "yes"].contains(env["NIMBUS_EPHEMERAL"]?.lowercased() ?? "")
        if let events = env["NIMBUS_EPHEMERAL_MAX_EVENTS"].flatMap(Int.init), events > 0 { configuration.ephemeralMaxEvents = events }
        if let seconds = env["NIMBUS_SCRUB_INTERVAL"].flatMap(Int.init), seconds > 0 { configuration.scrubInterval = .seconds(seconds) }
        if let rate = env["NIMBUS_SCRUB_RATE"].flatMap(Int64.init) { configuration.scrubBytesPerSecond = rate > 0 ? rate : nil }
        if let seconds = env["NIMBUS_SCRUB_ORPHAN_AGE"].flatMap(Double.init), seconds.isFinite, seconds >= 0 {
            configuration.orphanMinimumAge = seconds
        }
        if let seconds = env["NIMBUS_S3_LIFECYCLE_INTERVAL_SECONDS"].flatMap(Int.init), seconds > 0 {
            configuration.lifecycleInterval = .seconds(seconds)
        }
        if let bundle = env["NIMBUS_OIDC_CA_BUNDLE"], !bundle.isEmpty { configuration.oidcCABundle = bundle }
        if let offset = env["NIMBUS_CLOCK_OFFSET_SECONDS"].flatMap(Double.init), offset.isFinite { configuration.clockOffsetSeconds = offset }
        if let dirs = blobDirs ?? env["NIMBUS_BLOB_DIRS"], !dirs.isEmpty {
            configuration.blobDirectories = dirs.split(separator: ",").map { URL(fileURLWithPath: String($0)) }
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the AWS APIs (the default command).")

    @Option(help: "Address to listen on (env NIMBUS_HOST). Loopback unless told otherwise.")
    var host: String?
    @Option(help: "HTTP port (env NIMBUS_PORT).")
    var port: Int?
    @Option(help: "HTTPS port; 0 turns HTTPS off (env NIMBUS_TLS_PORT).")
    var tlsPort: Int?
    @OptionGroup var state: StateOptions
    @Option(help: "Default region (env NIMBUS_REGION).")
    var region: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env NIMBUS_LOG_LEVEL).")
    var logLevel: String?
    @Option(help: "strict (default) or compat: accept any key, check no signature (env NIMBUS_AUTH).")
    var auth: String?

    func run() async throws {
        // Nimbus reckons in UTC, as AWS does. Without TZ, Foundation finds the host's zone for the first Calendar
        // (Hummingbird makes one at start for the Date header) by asking ICU to canonicalise its name, which maps
        // half a megabyte of ICU's data into every idle server; "GMT" is the one name it knows without ICU. Logs
        // then carry UTC timestamps (with their offset); a TZ the user set is kept.
        if getenv("TZ") == nil { setenv("TZ", "GMT", 1) }
        let env = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        configuration.host = host ?? env["NIMBUS_HOST"] ?? configuration.host
        configuration.port = try port ?? Self.int(env["NIMBUS_PORT"], "NIMBUS_PORT") ?? configuration.port
        configuration.tlsPort = try tlsPort ?? Self.int(env["NIMBUS_TLS_PORT"], "NIMBUS_TLS_PORT") ?? configuration.tlsPort
        state.apply(to: &configuration, environment: env)
        configuration.region = region ?? env["NIMBUS_REGION"] ?? configuration.region
        if let level = logLevel ?? env["NIMBUS_LOG_LEVEL"] {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ValidationError("Unknown log level '\(level)'.")
            }
            configuration.logLevel = parsed
        }
        if let mode = auth ?? env["NIMBUS_AUTH"] {
            guard let parsed = ServerConfiguration.AuthMode(rawValue: mode.lowercased()) else {
                throw ValidationError("--auth must be strict or compat.")
            }
            configuration.authMode = parsed
        }
        configuration.accountID = env["NIMBUS_ACCOUNT_ID"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.rootAccessKeyID = env["NIMBUS_ROOT_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.rootSecretAccessKey = env["NIMBUS_ROOT_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if (configuration.rootAccessKeyID == nil) != (configuration.rootSecretAccessKey == nil) {
            throw ValidationError("Set both NIMBUS_ROOT_ACCESS_KEY_ID and NIMBUS_ROOT_SECRET_ACCESS_KEY, or neither.")
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        try await NimbusServer.run(configuration)
    }

    private static func int(_ value: String?, _ name: String) throws -> Int? {
        guard let value else { return nil }
        guard let n = Int(value) else { throw ValidationError("\(name) must be a number.") }
        return n
    }
}

struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Create and list accounts in a data dir.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an account and print its root credentials.")
        @OptionGroup var state: StateOptions
        @Option(help: "A name for the account.")
        var name: String?
        @Option(help: "The 12-digit account id (random if not given).")
        var accountId: String?

        func run() async throws {
            var configuration = ServerConfiguration()
            state.apply(to: &configuration, environment: ProcessInfo.processInfo.environment)
            guard !configuration.ephemeral else { throw ValidationError("An ephemeral server keeps its accounts to itself.") }
            let opened = try await NimbusState.open(configuration)
            let (account, secret) = try await opened.accounts.create(accountID: accountId, name: name)
            print("""
                [\(account.name)]
                account_id = \(account.accountID)
                aws_access_key_id = \(account.rootAccessKeyID)
                aws_secret_access_key = \(secret)
                """)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the accounts of a data dir.")
        @OptionGroup var state: StateOptions

        func run() async throws {
            var configuration = ServerConfiguration()
            state.apply(to: &configuration, environment: ProcessInfo.processInfo.environment)
            let opened = try await NimbusState.open(configuration)
            let formatter = ISO8601DateFormatter()
            for account in try await opened.accounts.list() {
                print("\(account.accountID)  \(account.rootAccessKeyID)  \(formatter.string(from: account.createdAt))  \(account.name)")
            }
        }
    }
}
