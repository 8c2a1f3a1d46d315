//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
public import NimbusCore

// The signature of an S3 browser-based (POST) upload is over the base64 policy document itself, the
// string the `policy` form field holds:
//
// SigV4: x-amz-algorithm = AWS4-HMAC-SHA256, x-amz-credential = AKID/yyyymmdd/region/s3/aws4_request,
//        x-amz-date = yyyymmddThhmmssZ,
//        x-amz-signature = Hex(HMAC-SHA256(SigningKey(secret, yyyymmdd, region, service), policy))
// SigV2: AWSAccessKeyId, signature = Base64(HMAC-SHA1(secret, policy))
//
// Either may add x-amz-security-token for temporary credentials. What the policy allows is S3's business;
// this only says who signed it.

/// Verifies who signed the policy of an S3 POST upload.
///
/// ```swift
/// let verifier = PostPolicySignatureVerifier(credentials: store)
/// if let principal = try await verifier.verify(policy: fields["policy"]!, fields: fields) { … }
/// ```
public struct PostPolicySignatureVerifier: Sendable {
    private let credentials: any CredentialProvider
    private let clock: WallClock
    private let keys = SigningKeyCache(capacity: 256)

    public init(credentials: any CredentialProvider, clock: WallClock = .system) {
        self.credentials = credentials
        self.clock = clock
    }

    /// The signer of `policy`, or nil when `fields` carry no signature at all.
    ///
    /// - Parameter fields: the form's fields by lowercased name (`x-amz-credential`, `awsaccesskeyid` …).
    public func verify(policy: String, fields: [String: String]) async throws(AWSError) -> Principal? {
        guard let signature = try Self.parse(fields) else { return nil }
        let now = clock.now
        let credential = try await lookUp(signature.accessKeyID)
        try SigV4Verifier.checkToken(fields["x-amz-security-token"], of: credential, now: now, flavor: .s3)
        let expected: String
        let provided: String
        switch signature {
        case .v4(let scope, let value):
            let key = keys.signingKey(secret: credential.secretAccessKey, date: scope.date, region: scope.region, service: scope.service)
            expected = SigV4Crypto.signature(key, policy)
            provided = value.lowercased()
        case .v2(_, let value):
            let key = SymmetricKey(data: Array(credential.secretAccessKey.utf8))
            expected = Data(HMAC<Insecure.SHA1>.authenticationCode(for: Array(policy.utf8), using: key)).base64EncodedString()
            // A `+` that reached us unencoded (urlencoded by hand) arrives as a space.
            provided = value.replacingOccurrences(of: " ", with: "+")
        }
        guard SigV4Crypto.constantTimeEqual(expected, provided) else {
            var error = AWSError.s3SignatureDoesNotMatch
            error.extra = [("AWSAccessKeyId", SigV4Verifier.echo(signature.accessKeyID)), ("StringToSign", SigV4Verifier.echo(policy)),
                           ("SignatureProvided", SigV4Verifier.echo(value(of: signature)))]
            throw error
        }
        return credential.principal
    }

    /// The access key id the form names, without verifying anything (for `--auth compat`).
    public static func accessKeyID(in fields: [String: String]) -> String? {
        if let credential = fields["x-amz-credential"] {
            return credential.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        }
        return fields["awsaccesskeyid"]
    }

    enum Signature {
        case v4(SigningScope, signature: String)
        case v2(accessKeyID: String, signature: String)

        var accessKeyID: String {
            switch self {
            case .v4(let scope, _): scope.accessKeyID
            case .v2(let id, _): id
            }
        }
    }

    private func value(of signature: Signature) -> String {
        switch signature {
        case .v4(_, let value), .v2(_, let value): value
        }
    }

    /// The signature the fields carry: SigV4 when any `x-amz-algorithm`, `x-amz-credential` or `x-amz-signature`
    /// is present, SigV2 when `AWSAccessKeyId` or `signature` is; nil for neither.
    static func parse(_ fields: [String: String]) throws(AWSError) -> Signature? {
        if fields["x-amz-algorithm"] != nil || fields["x-amz-credential"] != nil || fields["x-amz-signature"] != nil {
            guard let algorithm = fields["x-amz-algorithm"] else { throw missing("x-amz-algorithm") }
            guard algorithm == SigV4Crypto.algorithm else {
                throw AWSError(
                    code: "InvalidArgument", message: "Unsupported algorithm: only AWS4-HMAC-SHA256 is supported.", status: 400,
                    extra: [("ArgumentName", "x-amz-algorithm"), ("ArgumentValue", SigV4Verifier.echo(algorithm))]
                )
            }
            guard let credential = fields["x-amz-credential"] else { throw missing("x-amz-credential") }
            guard let signature = fields["x-amz-signature"], !signature.isEmpty else { throw missing("x-amz-signature") }
            guard let date = fields["x-amz-date"] else { throw missing("x-amz-date") }
            let scope: SigningScope
            do {
                scope = try SigV4Verifier.parseCredential(credential, flavor: .s3, presigned: false)
            } catch {
                throw invalid("x-amz-credential", credential, "Invalid credential: expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
            }
            guard AmzDate.parseBasic(date) != nil else {
                throw invalid("x-amz-date", date, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
            }
            guard date.hasPrefix(scope.date) else {
                throw invalid("x-amz-credential", credential, "Invalid credential date. Date is not the same as X-Amz-Date.")
            }
            return .v4(scope, signature: signature)
        }
        if fields["awsaccesskeyid"] != nil || fields["signature"] != nil {
            guard let id = fields["awsaccesskeyid"], !id.isEmpty else { throw missing("AWSAccessKeyId") }
            guard let signature = fields["signature"], !signature.isEmpty else { throw missing("Signature") }
            return .v2(accessKeyID: id, signature: signature)
        }
        return nil
    }

    private func lookUp(_ accessKeyID: String) async throws(AWSError) -> SigningCredential {
        try await credentials.activeCredential(for: accessKeyID, unknown: SigV2Verifier.unknownKey(accessKeyID))
    }

    private static func missing(_ name: String) -> AWSError {
        AWSError(
            code: "InvalidArgument",
            message: "Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.",
            status: 400,
            extra: [("ArgumentName", name), ("ArgumentValue", "")]
        )
    }

    private static func invalid(_ name: String, _ value: String, _ message: String) -> AWSError {
        AWSError(code: "InvalidArgument", message: message, status: 400, extra: [("ArgumentName", name), ("ArgumentValue", SigV4Verifier.echo(value))])
    }
}
