//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAuth
import NimbusCore
import Testing

enum TestSupport {
    static func sha256Hex(_ string: String) -> String { SigV4Crypto.sha256Hex(string) }
    static func sha256Hex(_ bytes: [UInt8]) -> String { SigV4Crypto.sha256Hex(bytes: bytes) }

    static let accountID = "123456789012"
    static let accessKeyID = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    /// 2013-05-24T00:00:00Z, the date of AWS's S3 examples.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)

    static var credential: SigningCredential {
        SigningCredential(accessKeyID: accessKeyID, secretAccessKey: secret, principal: .root(of: accountID, accessKeyID: accessKeyID))
    }

    static func verifier(_ credentials: [SigningCredential] = [credential], now: Date = date) -> SigV4Verifier {
        SigV4Verifier(credentials: StaticCredentialProvider(credentials), clock: .fixed(now))
    }

    static func get(path: String = "/", query: String = "", headers: [(name: String, value: String)] = []) -> SignableRequest {
        SignableRequest(
            method: "GET",
            path: path,
            query: query,
            headers: [("Host", "iam.amazonaws.com")] + headers,
            bodySHA256: SigV4Crypto.emptySHA256
        )
    }

    static func signer(
        flavor: SigningFlavor = .standard,
        secret: String = secret,
        accessKeyID: String = accessKeyID,
        token: String? = nil,
        service: String = "iam"
    ) -> SigV4Signer {
        SigV4Signer(
            accessKeyID: accessKeyID,
            secretAccessKey: secret,
            sessionToken: token,
            region: "us-east-1",
            service: service,
            flavor: flavor
        )
    }

    /// The error `body` throws, or nil.
    static func error(_ body: () async throws(AWSError) -> Authentication) async -> AWSError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }
}

extension SignableRequest {
    func replacingHeader(_ name: String, with value: String?) -> SignableRequest {
        var copy = self
        copy.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { copy.headers.append((name, value)) }
        return copy
    }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}
