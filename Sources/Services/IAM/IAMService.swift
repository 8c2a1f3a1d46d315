//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import Synchronization
public import NimbusCore
public import NimbusStorage
public import NimbusWire

/// AWS Identity and Access Management: users, groups, roles, policies and credentials, per account.
///
/// Handlers live in `IAMService+<Area>.swift`, each contributing a table of handlers; the authorizer
/// and STS use the lookups at the end of this file.
public final class IAMService: Sendable {
    let store: any MetadataStore
    let rootKey: RootKey
    let clock: WallClock
    /// Opened access keys, buffered key usage and the password hasher (IAMService+Credentials.swift).
    let credentialState = CredentialState()
    /// Role sessions' use of their roles, buffered like access key use (`RoleLastUsed`).
    let roleUsage = Mutex<[String: (date: Date, region: String)]>([:])
    /// Principal policies per principal, invalidated by every IAM write (IAMService+Authorization.swift).
    let authorizationCache = AuthorizationCache()

    public init(store: any MetadataStore, rootKey: RootKey, clock: WallClock = .system) {
        self.store = store
        self.rootKey = rootKey
        self.clock = clock
    }

    /// Data migrations of the IAM namespaces (none yet: the layout in `IAMKeys` is version 1).
    public static let migrations: [StoreMigration] = []

    public func definition() -> ServiceDefinition {
        var handlers: [String: OperationHandler] = [:]
        for table in handlerTables() {
            handlers.merge(table) { first, _ in first }
        }
        var tagKeys: [String: AuthorizationContextProvider] = [:]
        for operation in handlers.keys {
            tagKeys[operation] = { [self] input, context in try await tagConditionKeys(operation, input: input, context: context) }
        }
        return ServiceDefinition(model: .iam, handlers: handlers, authorization: Self.authorizationTable, authorizationContext: tagKeys)
    }

    /// Every area's handlers. An area adds itself here with one line.
    func handlerTables() -> [[String: OperationHandler]] {
        [
            userHandlers(),
            accessKeyHandlers(),
            mfaHandlers(),
            oidcHandlers(),
            loginProfileHandlers(),
            groupHandlers(),
            roleHandlers(),
            instanceProfileHandlers(),
            policyHandlers(),
            managedPolicyHandlers(),
            accountHandlers(),
            simulatorHandlers(),
            credentialReportHandlers(),
            certificateHandlers(),
            sshKeyHandlers(),
        ]
    }
}
