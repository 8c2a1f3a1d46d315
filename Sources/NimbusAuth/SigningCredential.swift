//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import NimbusCore

/// An access key as the verifier needs it: the secret, its state, and who it belongs to.
///
/// `description`, `debugDescription` and the reflection mirror leave the secret and the session token out,
/// so that a credential can be logged or dumped without leaking them.
public struct SigningCredential: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Set for temporary (`ASIA…`) credentials; the request's `X-Amz-Security-Token` must equal it.
    public var sessionToken: String?
    /// After this instant the credential is refused with `ExpiredToken`.
    public var expiration: Date?
    /// Inactive IAM keys are refused as if they did not exist.
    public var isActive: Bool
    public var principal: Principal

    public init(
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        expiration: Date? = nil,
        isActive: Bool = true,
        principal: Principal
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.isActive = isActive
        self.principal = principal
    }

    public var description: String {
        "SigningCredential(\(accessKeyID), \(principal.arn)\(sessionToken == nil ? "" : ", temporary")\(isActive ? "" : ", inactive"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyID": accessKeyID, "principal": principal, "isActive": isActive, "expiration": expiration as Any])
    }
}

/// Looks up the credential for an access key id.
///
/// Return nil for an unknown key; the verifier turns that into AWS's error for the service. Thrown
/// `AWSError`s pass through unchanged; any other error becomes `InternalFailure`.
public protocol CredentialProvider: Sendable {
    func credential(for accessKeyID: String) async throws -> SigningCredential?
}

extension CredentialProvider {
    /// The active credential for `accessKeyID`, or `unknown` (the service's error for an unknown or
    /// inactive key). The provider's `AWSError`s pass through; any other failure is `InternalFailure`.
    func activeCredential(for accessKeyID: String, unknown: @autoclosure () -> AWSError) async throws(AWSError) -> SigningCredential {
        let found: SigningCredential?
        do {
            found = try await credential(for: accessKeyID)
        } catch let error as AWSError {
            throw error
        } catch {
            throw .internalFailure()
        }
        guard let found, found.isActive else { throw unknown() }
        return found
    }
}

/// A fixed set of credentials, for tests, benchmarks and bootstrap keys.
public struct StaticCredentialProvider: CredentialProvider {
    private let byAccessKeyID: [String: SigningCredential]

    public init(_ credentials: [SigningCredential]) {
        var byAccessKeyID: [String: SigningCredential] = [:]
        for credential in credentials { byAccessKeyID[credential.accessKeyID] = credential }
        self.byAccessKeyID = byAccessKeyID
    }

    public func credential(for accessKeyID: String) async throws -> SigningCredential? { byAccessKeyID[accessKeyID] }
}
