//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusStorage

extension IAMService {
    /// The default version of a managed policy (customer or AWS managed), for STS session policies.
    public func managedPolicyDocument(arn: String) async throws -> String? {
        guard let policy = try? PolicyARN(arn) else { return nil }
        return try await store.read { try Self.managedPolicyDocument(policy, account: policy.account, in: $0)?.document }
    }
}

extension IAMService {
    /// Forgets every cached credential and policy set: the store was wiped (`POST /_nimbus/reset`).
    public func invalidateCaches() {
        authorizationCache.invalidateAll()
        credentialState.invalidate(where: { _ in true })
    }
}
