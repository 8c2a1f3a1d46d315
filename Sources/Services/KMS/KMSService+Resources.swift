//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
import NimbusWire

// The key a request acts on is what its key policy and grants are looked up by, so the authorizer must
// see the key's ARN whichever way the caller named it: key id, key ARN, alias name, alias ARN, or (for
// Decrypt and ReEncrypt) only the ciphertext blob.

extension KMSService {
    func resourceResolvers() -> [String: ResourceResolver] {
        var resolvers: [String: ResourceResolver] = [:]
        for operation in Self.keyOperations {
            resolvers[operation] = { [self] input, context, rendered in
                if let keyID = input["KeyId"]?.stringValue {
                    return [try await resolve(keyID, context) ?? rendered.first ?? "*"]
                }
                if operation == "Decrypt", case .blob(let blob)? = input["CiphertextBlob"],
                    let arn = Self.ciphertextKeyARN(blob, region: context.region)
                {
                    return [arn]
                }
                return rendered
            }
        }
        resolvers["ReEncrypt"] = { [self] input, context, rendered in
            var resources: [String] = []
            if let destination = input["DestinationKeyId"]?.stringValue, let arn = try await resolve(destination, context) {
                resources.append(arn)
            }
            if let source = input["SourceKeyId"]?.stringValue, let arn = try await resolve(source, context) {
                resources.append(arn)
            } else if case .blob(let blob)? = input["CiphertextBlob"], let arn = Self.ciphertextKeyARN(blob, region: context.region) {
                resources.append(arn)
            }
            return resources.isEmpty ? rendered : resources
        }
        for operation in ["CreateAlias", "UpdateAlias"] {
            resolvers[operation] = { [self] input, context, rendered in
                guard let target = input["TargetKeyId"]?.stringValue, let arn = try await resolve(target, context) else { return rendered }
                return rendered.filter { !$0.contains(":key/") } + [arn]
            }
        }
        return resolvers
    }

    private func resolve(_ keyID: String, _ context: RequestContext) async throws -> String? {
        try await resolveKeyARN(keyID, account: context.principal.accountID, region: context.region)
    }
}
