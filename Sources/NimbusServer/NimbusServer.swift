//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
import Hummingbird
import HummingbirdCore
import NIOSSL
public import Logging
public import NimbusAudit
import NimbusAuth
import NimbusCloudTrail
import NimbusIAM
public import NimbusBlobStore
public import NimbusCore
import NimbusKMS
import NimbusS3
import NimbusSTS
public import NimbusStorage
public import NimbusWire
import ServiceLifecycle
import UnixSignals

/// The state a Nimbus runs on: the metadata store, the root key and the accounts.
///
/// `nimbus serve` opens it to serve; `nimbus accounts …` opens the same data dir to administer it.
public struct NimbusState: Sendable {
    public let store: any MetadataStore
    public let rootKey: RootKey
    public let accounts: AccountDirectory
    public let audit: AuditLog
    public let dataDirectory: URL?
    /// Object data (S3).
    public let blobs: BlobStore
    /// Where an ephemeral server's object data lives; removed with the last copy of this state.
    let scratch: EphemeralDirectory?

    public static func open(_ configuration: ServerConfiguration, clock: WallClock = .system) async throws -> NimbusState {
        let dataDirectory = configuration.ephemeral ? nil : configuration.dataDirectory.standardizedFileURL
        if let dir = dataDirectory {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // Object data always lives on disk; an ephemeral server keeps it in a directory of its own under
        // the system's temporary directory, without flushes (it dies with the process), and clears away
        // what ephemeral servers killed before it left there, off the path to the first request.
        var scratch: EphemeralDirectory?
        var blobDirectories = configuration.blobDirectories
        if blobDirectories == nil {
            let blobRoot: URL
            if let dataDirectory {
                blobRoot = dataDirectory.appendingPathComponent("blobs")
            } else {
                let directory = try EphemeralDirectory.make()
                Task.detached(priority: .background) { EphemeralDirectory.sweep() }
                (scratch, blobRoot) = (directory, directory.url)
            }
            blobDirectories = (0..<3).map { blobRoot.appendingPathComponent("d\($0)") }
        }
        // The blob directories, the root key and the metadata store do not depend on one another, and
        // each waits for its own fsyncs on a first start: made side by side, their waits overlap.
        async let blobs = BlobStore(configuration: BlobStoreConfiguration(directories: blobDirectories!, durable: dataDirectory != nil))
        async let rootKey = dataDirectory.map { try RootKey.loadOrCreate(in: $0) } ?? RootKey.ephemeral()
        let store: any MetadataStore = try dataDirectory.map {
            try SQLiteMetadataStore(
                path: $0.appendingPathComponent(SQLiteMetadataStore.fileName).path,
                sharedNamespaces: AccountDirectory.namespacesAddedByOtherProcesses
            )
        } ?? MemoryMetadataStore()
        try await store.migrate([
            ("accounts", AccountDirectory.migrations), ("iam", IAMService.migrations), ("sts", STSService.migrations),
            ("s3", S3Service.migrations), ("kms", KMSService.migrations),
        ])
        let key = try await rootKey
        return NimbusState(
            store: store,
            rootKey: key,
            accounts: AccountDirectory(store: store, rootKey: key),
            audit: try AuditLog(
                store: store, clock: clock, tokenKey: key,
                events: try dataDirectory.map { try DirectoryEventLogMedium(directory: $0.appendingPathComponent("cloudtrail")) }
                    ?? MemoryEventLogMedium(),
                maxEvents: dataDirectory == nil ? configuration.ephemeralMaxEvents : nil
            ),
            dataDirectory: dataDirectory,
            blobs: try await blobs,
            scratch: scratch
        )
    }
}

/// `nimbus serve`: the HTTP and HTTPS listeners, the pipeline and the background services, in one ServiceGroup.
public enum NimbusServer {
    public static let version = "0.1.0"

    /// The services this Nimbus serves. A new service adds one line here.
    static func services(state: NimbusState, iam: IAMService, sts: STSService, s3: S3Service, kms: KMSService) -> [ServiceDefinition] {
        [
            sts.definition(),
            CloudTrailService.definition(audit: state.audit),
            iam.definition(),
            s3.definition(),
            s3.controlDefinition(),
            kms.definition(),
        ]
    }

    /// Parses the models `services` registers. Each is otherwise parsed on first use, which is most of a
    /// start's CPU once the state is open (about 15 ms); see `NimbusRuntime.make`.
    static func loadModels() {
        _ = [ServiceModel.sts, .cloudtrail, .iam, .s3, .s3control, .kms]
    }

    public static func run(_ configuration: ServerConfiguration) async throws {
        let startedAt = ContinuousClock.now
        HeapTrimPolicy.setThresholds()
        let logger = {
            var logger = Logger(label: "nimbus")
            logger.logLevel = configuration.logLevel
            return logger
        }()
        let offset = configuration.clockOffsetSeconds
        let clock = offset == 0 ? WallClock.system : WallClock { Date().addingTimeInterval(offset) }
        let runtime = try await NimbusRuntime.make(configuration, logger: logger, clock: clock, startedAt: startedAt)
        let state = runtime.state
        // Written while the CA is loaded or made (each file write waits for its fsync); awaited before the banner.
        async let credentialsWritten: Void? = state.dataDirectory.map {
            try CredentialsFile.write(accessKeyID: runtime.account.rootAccessKeyID, secret: runtime.secret, region: configuration.region, in: $0)
        }

        var appLogger = logger
        appLogger.logLevel = max(configuration.logLevel, .notice)
        var listeners: [(any Service, String)] = []
        let plain = Application(
            responder: NimbusResponder(
                pipeline: runtime.pipeline, admin: runtime.admin, isSecure: false, maxBufferedBody: configuration.maxBufferedBody
            ),
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            logger: appLogger
        )
        listeners.append((plain, "http listener"))
        var caPath: String?
        if configuration.tlsPort > 0 {
            let ca = try await TLSMaterial.certificateAuthority(state: state)
            let host = configuration.host
            let context = LazyTLSContext { try NIOSSLContext(configuration: ca.serverTLSConfiguration(extraNames: [host])) }
            caPath = state.dataDirectory?.appendingPathComponent("ca.pem").path
            let secure = Application(
                responder: NimbusResponder(
                    pipeline: runtime.pipeline, admin: runtime.admin, isSecure: true, maxBufferedBody: configuration.maxBufferedBody
                ),
                server: HTTPServerBuilder { responder in
                    LazyTLSChannel(
                        base: HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
                        context: context
                    )
                },
                configuration: .init(address: .hostname(configuration.host, port: configuration.tlsPort), serverName: nil),
                logger: appLogger
            )
            listeners.append((secure, "https listener"))
        }
        // Key deletions and rotations fall due by the clock; a minute's delay is within AWS's own.
        let kmsMaintenance = PeriodicTask(name: "kms maintenance", interval: .seconds(60), logger: logger) {
            try await runtime.kms.runMaintenance(now: clock.now)
        }
        // Lookups index what is pending themselves; this keeps it short between them, in batches.
        let auditIndexing = PeriodicTask(name: "cloudtrail indexing", interval: .milliseconds(100), logger: logger) {
            try await state.audit.indexPending(onlyIfRecorded: true)
        }
        let stsPurge = PeriodicTask(name: "sts session purge", interval: .seconds(3600), logger: logger) {
            try await runtime.sts.purgeExpiredSessions(now: clock.now)
        }
        let s3Lifecycle = PeriodicTask(name: "s3 lifecycle", interval: configuration.lifecycleInterval, logger: logger) {
            try await runtime.s3.runLifecycle(now: clock.now)
        }
        let s3Logs = PeriodicTask(name: "s3 access log delivery", interval: .seconds(10), logger: logger) {
            try await runtime.s3.deliverAccessLogs()
        }
        // Woken by the writes that queue versions; every minute as well, for what a crash left queued.
        let replicate: @Sendable () async throws -> Void = { while try await runtime.s3.replicatePending() > 0 {} }
        let s3Replication = PeriodicTask(name: "s3 replication", wakes: runtime.s3.replicationWakes, logger: logger, body: replicate)
        let s3ReplicationBacklog = PeriodicTask(name: "s3 replication backlog", interval: .seconds(60), logger: logger, body: replicate)
        let scrubber = PeriodicTask(name: "blob scrub", interval: configuration.scrubInterval, logger: logger) {
            let report = try await state.blobs.scrub(bytesPerSecond: configuration.scrubBytesPerSecond, orphans: runtime.admin.orphans)
            if report.corruptPieces + report.missingPieces > 0 || !report.unrecoverable.isEmpty {
                logger.warning("blob scrub found damage", metadata: [
                    "corrupt": "\(report.corruptPieces)", "missing": "\(report.missingPieces)",
                    "repaired": "\(report.repaired)", "unrecoverable": "\(report.unrecoverable.count)",
                ])
            }
            if report.orphanSweepFailed {
                logger.warning("blob scrub could not read the records to find orphaned blobs; it removed none after that")
            }
            if report.orphansRemoved > 0 {
                logger.notice("blob scrub removed blobs no record names", metadata: ["blobs": "\(report.orphansRemoved)"])
            }
            if report.reclaimedBlocks > 0 {
                logger.info("blob scrub gave back deleted small objects' blocks", metadata: ["blocks": "\(report.reclaimedBlocks)"])
            }
        }
        let heap = HeapTrimmer(metrics: runtime.pipeline.metrics)
        let heapTrim = PeriodicTask(name: "heap trim", interval: .seconds(1), logger: logger) { heap.tick() }
        let retention = AuditRetentionLifecycle(
            service: AuditRetentionService(log: state.audit, onError: { error in
                logger.error("audit retention sweep failed", metadata: ["error": "\(error)"])
            })
        )
        _ = try await credentialsWritten
        Banner.print(
            configuration: configuration, account: runtime.account, secret: runtime.secret,
            dataDirectory: state.dataDirectory, caPath: caPath
        )

        // Named here: without a name ServiceLifecycle describes each service by reflecting over all of it
        // (the listeners hold the whole runtime), which took milliseconds of every start.
        let named: [(any Service, String)] = listeners + [
            (retention, "audit retention"), (auditIndexing, auditIndexing.name), (kmsMaintenance, kmsMaintenance.name), (scrubber, scrubber.name),
            (s3Lifecycle, s3Lifecycle.name), (s3Logs, s3Logs.name), (s3Replication, s3Replication.name),
            (s3ReplicationBacklog, s3ReplicationBacklog.name), (stsPurge, stsPurge.name), (heapTrim, heapTrim.name),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: named.map { .init(service: $0.0, serviceName: $0.1) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: appLogger
            )
        )
        // However serve ends, an ephemeral server's object data goes with it.
        defer { state.scratch?.remove() }
        try await group.run()
        state.blobs.finishForStop()
    }
}

/// Everything that answers requests, assembled and ready, without sockets: what `serve` listens with,
/// and what tests and benchmarks drive in-process.
public struct NimbusRuntime: Sendable {
    public let state: NimbusState
    public let account: Account
    /// The default account's root secret.
    public let secret: String
    let pipeline: RequestPipeline
    let admin: AdminEndpoints
    let kms: KMSService
    let s3: S3Service
    let sts: STSService

    public static func make(
        _ configuration: ServerConfiguration,
        logger: Logger,
        clock: WallClock = .system,
        startedAt: ContinuousClock.Instant = .now
    ) async throws -> NimbusRuntime {
        // Opening the state is mostly waiting: for fsyncs on a first start, for the disk on a later one.
        // The models, which nothing here needs until the services are made, are parsed meanwhile.
        let models = Task.detached(priority: .high) { NimbusServer.loadModels() }
        let state = try await NimbusState.open(configuration, clock: clock)
        state.audit.prepareForRecording()
        let (account, secret) = try await state.accounts.ensureDefault(
            accountID: configuration.accountID,
            accessKeyID: configuration.rootAccessKeyID,
            secret: configuration.rootSecretAccessKey
        )
        let pinned = (account.accountID, account.rootAccessKeyID, secret)
        let iam = IAMService(store: state.store, rootKey: state.rootKey, clock: clock)
        let sts = STSService(
            store: state.store, rootKey: state.rootKey, clock: clock, directory: IAMSTSDirectory(iam: iam),
            webIdentityKeys: OIDCKeyFetcher(caBundle: configuration.oidcCABundle, logger: logger)
        )
        let credentials = CompositeCredentialProvider(providers: [state.accounts, iam.credentialProvider, sts.credentialProvider])
        let verifier = SigV4Verifier(credentials: credentials, clock: clock)
        let metrics = RequestMetrics()
        let kms = KMSService(store: state.store, rootKey: state.rootKey, clock: clock)
        let authorizer = PolicyAuthorizer(
            identities: IAMIdentityPolicies(iam: iam),
            resourcePolicies: CompositeResourcePolicies(sources: [
                IAMResourcePolicies(iam: iam), S3BucketPolicies(store: state.store), KMSKeyPolicies(kms: kms),
            ]),
            grants: CompositeGrants(sources: [KMSGrants(kms: kms), S3UploadInitiators(store: state.store)])
        )
        let s3 = S3Service(
            store: state.store, rootKey: state.rootKey, blobs: state.blobs, clock: clock, authorizer: authorizer,
            kmsKeys: KMSForS3(kms: kms, authorizer: authorizer, audit: state.audit, clock: clock),
            postPolicyVerifier: S3PostPolicyAdapter(
                verifier: PostPolicySignatureVerifier(credentials: credentials, clock: clock), authMode: configuration.authMode,
                defaultAccountID: account.accountID
            ),
            accountIDs: { [accounts = state.accounts] in try await accounts.list().map(\.accountID) }
        )
        await models.value
        let services = NimbusServer.services(state: state, iam: iam, sts: sts, s3: s3, kms: kms)
        let pipeline = RequestPipeline(
            services: services,
            verifier: verifier,
            sigV2: SigV2Verifier(credentials: credentials, clock: clock),
            authMode: configuration.authMode,
            accounts: state.accounts,
            defaultAccountID: account.accountID,
            authorizer: authorizer,
            keyUsage: { id, service, region, date in iam.noteKeyUsed(accessKeyID: id, service: service, region: region, at: date) },
            roleUsage: { role, region, date in iam.noteRoleUsed(roleARN: role, region: region, at: date) },
            audit: state.audit,
            clock: clock,
            defaultRegion: configuration.region,
            metrics: metrics,
            logger: logger
        )
        let admin = AdminEndpoints(
            version: NimbusServer.version,
            startedAt: startedAt,
            serviceNames: services.map(\.model.endpointPrefix).sorted(),
            metrics: metrics,
            verifier: verifier,
            authMode: configuration.authMode,
            defaultAccountID: account.accountID,
            reset: {
                try await state.store.reset()
                try state.audit.removeAll()
                try state.blobs.removeAll()
                state.accounts.invalidateCache()
                iam.invalidateCaches()
                sts.invalidateCache()
                _ = try await state.accounts.ensureDefault(accountID: pinned.0, accessKeyID: pinned.1, secret: pinned.2)
                logger.notice("state reset")
            },
            blobs: state.blobs,
            orphans: OrphanSweep(minimumAge: configuration.orphanMinimumAge) { [s3] in try await s3.referencedBlobs(among: $0) }
        )
        return NimbusRuntime(state: state, account: account, secret: secret, pipeline: pipeline, admin: admin, kms: kms, s3: s3, sts: sts)
    }

    /// Answers one buffered API request, as the listeners do (admin endpoints excluded).
    public func respond(to request: WireRequest, from remoteAddress: String = "127.0.0.1", secure: Bool = false) async -> WireResponse {
        await pipeline.respond(to: request, connection: Connection(remoteAddress: remoteAddress, isSecure: secure))
    }
}

/// Runs `body` every `interval`, or each time `wakes` yields (wakes that arrive while it runs make one more run),
/// until graceful shutdown; a failure is logged and retried next time.
struct PeriodicTask: Service {
    enum Schedule {
        case every(Duration)
        case wokenBy(AsyncStream<Void>)
    }

    let name: String
    let schedule: Schedule
    let logger: Logger
    let body: @Sendable () async throws -> Void

    init(name: String, interval: Duration, logger: Logger, body: @escaping @Sendable () async throws -> Void) {
        (self.name, self.schedule, self.logger, self.body) = (name, .every(interval), logger, body)
    }

    init(name: String, wakes: AsyncStream<Void>, logger: Logger, body: @escaping @Sendable () async throws -> Void) {
        (self.name, self.schedule, self.logger, self.body) = (name, .wokenBy(wakes), logger, body)
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            switch schedule {
            case .every(let interval):
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    guard await runBody() else { return }
                }
            case .wokenBy(let wakes):
                for await _ in wakes {
                    guard await runBody() else { return }
                }
            }
        }
    }

    /// One run of `body`; false once it was cancelled.
    private func runBody() async -> Bool {
        do {
            try await body()
        } catch is CancellationError {
            return false
        } catch {
            logger.error("\(name) failed", metadata: ["error": "\(error)"])
        }
        return true
    }
}

/// Runs the audit retention sweep inside the ServiceGroup, ending with it.
struct AuditRetentionLifecycle: Service {
    let service: AuditRetentionService

    func run() async throws {
        // The sweep loops until cancelled; graceful shutdown cancels it.
        try? await cancelWhenGracefulShutdown {
            await service.run()
            try Task.checkCancellation()
        }
    }
}
