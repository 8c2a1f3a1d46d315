//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusPolicy
import NimbusStorage
import NimbusWire

/// Key policies: every key has exactly one, named `default`.
extension KMSService {
    /// AWS's limit on a key policy: 32 KB.
    static let keyPolicySizeLimit = 32_768

    func policyHandlers() -> [String: OperationHandler] {
        [
            "GetKeyPolicy": OperationHandler { (input: GetKeyPolicyInput, context) in
                let key = try await self.key(input.KeyId, context, allowAlias: false, crossAccount: false)
                try Self.requireDefaultPolicyName(input.PolicyName)
                return GetKeyPolicyOutput(Policy: key.policy, PolicyName: "default")
            },
            "PutKeyPolicy": OperationHandler { (input: PutKeyPolicyInput, context) in
                try Self.requireDefaultPolicyName(input.PolicyName)
                try Self.validateKeyPolicy(input.Policy)
                try await self.updateKey(input.KeyId, context) { key in
                    try self.requireNotPendingDeletion(key)
                    key.policy = input.Policy
                }
                return EmptyShape()
            },
            "ListKeyPolicies": OperationHandler { (input: ListKeyPoliciesInput, context) in
                _ = try await self.key(input.KeyId, context, allowAlias: false, crossAccount: false)
                return ListKeyPoliciesOutput(PolicyNames: ["default"], Truncated: false)
            },
        ]
    }

    static func requireDefaultPolicyName(_ name: String?) throws {
        if let name, name != "default" { throw KMSError.notFound("No such policy exists") }
    }

    /// Checks a key policy as AWS does: at most 32 KB, and a valid resource policy (with principals).
    static func validateKeyPolicy(_ policy: String) throws {
        guard policy.utf8.count <= keyPolicySizeLimit else {
            throw KMSError.limitExceeded("Policy exceeds the maximum size of \(keyPolicySizeLimit) bytes.")
        }
        do {
            _ = try PolicyDocument.parse(policy, kind: .resourcePolicy(sizeLimit: keyPolicySizeLimit))
        } catch {
            if error.code == .limitExceeded { throw KMSError.limitExceeded(error.message) }
            throw KMSError.malformedPolicy(error.message)
        }
    }

    struct GetKeyPolicyInput: Decodable, Sendable {
        var KeyId: String
        var PolicyName: String?
    }

    struct GetKeyPolicyOutput: Encodable, Sendable {
        var Policy: String
        var PolicyName: String
    }

    struct PutKeyPolicyInput: Decodable, Sendable {
        var KeyId: String
        var PolicyName: String?
        var Policy: String
        var BypassPolicyLockoutSafetyCheck: Bool?
    }

    struct ListKeyPoliciesInput: Decodable, Sendable {
        var KeyId: String
        var Limit: Int?
        var Marker: String?
    }

    struct ListKeyPoliciesOutput: Encodable, Sendable {
        var PolicyNames: [String]
        var Truncated: Bool
    }
}
