//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

/// IAM's credential errors, with the codes and HTTP statuses of AWS's API model.
extension AWSError {
    /// A password breaks the account password policy (or AWS's default rules).
    public static func passwordPolicyViolation(_ message: String) -> AWSError {
        AWSError(code: "PasswordPolicyViolation", message: message, status: 400)
    }
    /// A certificate that does not parse, is expired or not yet valid.
    public static func malformedCertificate(_ message: String) -> AWSError {
        AWSError(code: "MalformedCertificate", message: message, status: 400)
    }
    /// A certificate whose content IAM refuses (e.g. an unsupported key type).
    public static func invalidCertificate(_ message: String) -> AWSError {
        AWSError(code: "InvalidCertificate", message: message, status: 400)
    }
    /// A server certificate and private key that do not belong together.
    public static func keyPairMismatch(_ message: String = "The public key certificate and the private key do not match.") -> AWSError {
        AWSError(code: "KeyPairMismatch", message: message, status: 400)
    }
    /// A public key that is malformed, too short or of an unsupported algorithm.
    public static func invalidPublicKey(_ message: String) -> AWSError {
        AWSError(code: "InvalidPublicKey", message: message, status: 400)
    }
    /// A public key in neither the OpenSSH nor the PEM format.
    public static func unrecognizedPublicKeyEncoding(_ message: String) -> AWSError {
        AWSError(code: "UnrecognizedPublicKeyEncoding", message: message, status: 400)
    }
    /// A wrong, malformed or replayed MFA code.
    public static func invalidAuthenticationCode(_ message: String = "Authentication code for device is not valid.") -> AWSError {
        AWSError(code: "InvalidAuthenticationCode", message: message, status: 403)
    }
}
