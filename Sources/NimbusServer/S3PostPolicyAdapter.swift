//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusAuth
import NimbusCore
import NimbusS3

/// S3's POST uploads verified by NimbusAuth, under the server's authentication mode: in `compat` the
/// signature goes unchecked and the key names the account, as for every other request.
struct S3PostPolicyAdapter: S3PostPolicyVerifier {
    let verifier: PostPolicySignatureVerifier
    let authMode: ServerConfiguration.AuthMode
    let defaultAccountID: String

    func principal(policy: String, fields: [String: String]) async throws -> Principal? {
        switch authMode {
        case .strict:
            return try await verifier.verify(policy: policy, fields: fields)
        case .compat:
            guard let keyID = PostPolicySignatureVerifier.accessKeyID(in: fields) else { return nil }
            return .root(of: Identifiers.isAccountID(keyID) ? keyID : defaultAccountID, accessKeyID: keyID)
        }
    }
}
