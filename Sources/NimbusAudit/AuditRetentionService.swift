//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// Purges expired audit events now and then at a fixed interval, until its task is cancelled.
///
/// The server runs it as a lifecycle service:
///
/// ```swift
/// struct RetentionService: Service {
///     let retention: AuditRetentionService
///     func run() async throws { await cancelWhenGracefulShutdown { await retention.run() } }
/// }
/// ```
public struct AuditRetentionService: Sendable {
    public let log: AuditLog
    public let interval: Duration
    private let onError: @Sendable (any Error) -> Void

    /// - Parameter onError: Told about a failed purge (the next round retries); log it.
    public init(log: AuditLog, interval: Duration = .seconds(3600), onError: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.log = log
        self.interval = interval
        self.onError = onError
    }

    /// Purges, then sleeps ``interval``, and again; returns when the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await log.purgeExpired()
            } catch is CancellationError {
                return
            } catch {
                onError(error)
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
