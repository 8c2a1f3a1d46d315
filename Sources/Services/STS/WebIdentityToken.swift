//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import _CryptoExtras
public import Foundation
public import NimbusCore
import NimbusWire

/// One public key of an OpenID provider's JWKS (RFC 7517), reduced to what verifies a token.
public struct JSONWebKey: Sendable {
    public enum Material: Sendable {
        case rsa(n: [UInt8], e: [UInt8])
        /// `crv` is `P-256`, `P-384` or `P-521`; `x` and `y` are the point's coordinates.
        case ec(curve: String, x: [UInt8], y: [UInt8])
    }

    public var keyID: String?
    /// The key's `alg`, when the provider says which algorithm it is for.
    public var algorithm: String?
    public var material: Material

    /// The signing keys of a JWKS document (`{"keys": [...]}`). Encryption keys (`use: enc`), key types
    /// other than RSA and EC, and keys with malformed members are left out.
    public static func parseSet(_ document: some Collection<UInt8>) throws(WebIdentityError) -> [JSONWebKey] {
        guard let root = try? JSONParser(maxDepth: 16, maxStringBytes: 65_536, maxElements: 10_000).parse(document),
            case .array(let entries)? = root["keys"]
        else { throw .keysUnavailable }
        var keys: [JSONWebKey] = []
        for entry in entries where entry["use"]?.string ?? "sig" == "sig" {
            let keyID = entry["kid"]?.string
            let algorithm = entry["alg"]?.string
            switch entry["kty"]?.string {
            case "RSA":
                guard let n = entry["n"]?.string.flatMap(Base64URL.decode), let e = entry["e"]?.string.flatMap(Base64URL.decode) else {
                    continue
                }
                keys.append(JSONWebKey(keyID: keyID, algorithm: algorithm, material: .rsa(n: n, e: e)))
            case "EC":
                guard let curve = entry["crv"]?.string, let x = entry["x"]?.string.flatMap(Base64URL.decode),
                    let y = entry["y"]?.string.flatMap(Base64URL.decode)
                else { continue }
                keys.append(JSONWebKey(keyID: keyID, algorithm: algorithm, material: .ec(curve: curve, x: x, y: y)))
            default:
                continue
            }
        }
        return keys
    }
}

/// Why a web identity token was refused, each with the error STS answers.
public enum WebIdentityError: Error, Sendable, Equatable {
    case malformed
    case unsupportedAlgorithm(String)
    case noProvider(issuer: String)
    case audience
    case expired(now: Int, expiry: Int)
    case notYetValid
    case missingClaim(String)
    case signature
    /// The provider's keys could not be had, or none matches the token's `kid`.
    case keysUnavailable
    /// The provider could not be reached.
    case unreachable

    public var awsError: AWSError {
        switch self {
        case .malformed:
            return Self.invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
        case .unsupportedAlgorithm(let alg):
            return Self.invalid("The ID Token provided is signed with an unsupported algorithm: \(alg).")
        case .noProvider(let issuer):
            return Self.invalid("No OpenIDConnect provider found in your account for \(issuer)")
        case .audience:
            return Self.invalid("Incorrect token audience")
        case .expired(let now, let expiry):
            return AWSError(
                code: "ExpiredTokenException",
                message: "Token expired: current date/time \(now) must be before the expiration date/time \(expiry)",
                status: 400
            )
        case .notYetValid:
            return Self.invalid("The ID Token provided is not yet valid.")
        case .missingClaim(let claim):
            return Self.invalid("The ID Token provided is missing the required claim '\(claim)'.")
        case .signature:
            return Self.invalid(
                "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."
            )
        case .keysUnavailable:
            return Self.invalid(
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
            )
        case .unreachable:
            return AWSError(
                code: "IDPCommunicationError",
                message: "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. Retry the request a limited number of times and wait between retries.",
                status: 400
            )
        }
    }

    private static func invalid(_ message: String) -> AWSError {
        AWSError(code: "InvalidIdentityToken", message: message, status: 400)
    }
}

/// A signed OIDC ID token (a JWS in compact form, RFC 7515/7519), parsed but not yet trusted.
public struct WebIdentityToken: Sendable {
    public var algorithm: String
    public var keyID: String?
    /// `iss`, as written.
    public var issuer: String
    public var subject: String
    /// `aud`: one value or several.
    public var audiences: [String]
    /// `azp`, which STS prefers over `aud` for the `<provider>:aud` condition key.
    public var authorizedParty: String?
    public var expiresAt: Int
    public var notBefore: Int?
    /// `amr`, the authentication methods, as Cognito sets them.
    public var authenticationMethods: [String]
    private var signingInput: [UInt8]
    private var signature: [UInt8]

    /// The algorithms STS accepts.
    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]

    /// Parses the compact form; throws `.malformed` for anything that is not a JWS with the claims STS requires.
    public init(_ compact: String) throws(WebIdentityError) {
        let parts = compact.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = Base64URL.decode(Substring(parts[0])),
            let payloadBytes = Base64URL.decode(Substring(parts[1])),
            let signature = Base64URL.decode(Substring(parts[2]))
        else { throw .malformed }
        let parser = JSONParser(maxDepth: 16, maxStringBytes: 16_384, maxElements: 1_000)
        guard let header = try? parser.parse(headerBytes), let claims = try? parser.parse(payloadBytes),
            let algorithm = header["alg"]?.string
        else { throw .malformed }
        guard Self.algorithms.contains(algorithm) else { throw .unsupportedAlgorithm(algorithm) }
        guard let issuer = claims["iss"]?.string else { throw .missingClaim("iss") }
        guard let subject = claims["sub"]?.string, !subject.isEmpty else { throw .missingClaim("sub") }
        guard let expiry = claims["exp"]?.number else { throw .missingClaim("exp") }
        self.algorithm = algorithm
        self.keyID = header["kid"]?.string
        self.issuer = issuer
        self.subject = subject
        self.audiences = Self.strings(claims["aud"])
        self.authorizedParty = claims["azp"]?.string
        self.expiresAt = Self.seconds(expiry)
        self.notBefore = claims["nbf"]?.number.map(Self.seconds)
        self.authenticationMethods = Self.strings(claims["amr"])
        self.signingInput = Array(compact.utf8.prefix(parts[0].count + 1 + parts[1].count))
        self.signature = signature
    }

    /// A NumericDate as whole seconds; NaN and absurd values become the far past or future.
    private static func seconds(_ value: Double) -> Int {
        guard value.isFinite else { return value > 0 ? Int.max : Int.min }
        return Int(min(max(value, -1e15), 1e15))
    }

    private static func strings(_ node: JSONNode?) -> [String] {
        switch node {
        case .string(let s)?: [s]
        case .array(let items)?: items.compactMap(\.string)
        default: []
        }
    }

    /// The issuer as IAM names providers: without `https://` and without a trailing `/`.
    public var providerLocation: String {
        var location = Substring(issuer)
        if location.hasPrefix("https://") { location = location.dropFirst("https://".count) }
        while location.hasSuffix("/") { location = location.dropLast() }
        return String(location)
    }

    /// Checks the times against `now`, allowing `leeway` seconds of clock difference for `nbf`.
    public func checkValidity(at now: Date, leeway: Int = 300) throws(WebIdentityError) {
        let seconds = Int(now.timeIntervalSince1970)
        guard seconds < expiresAt else { throw .expired(now: seconds, expiry: expiresAt) }
        if let notBefore, seconds + leeway < notBefore { throw .notYetValid }
    }

    /// The key of `keys` that the token names: by `kid`, or the only key when the token names none.
    public func key(in keys: [JSONWebKey]) -> JSONWebKey? {
        if let keyID { return keys.first { $0.keyID == keyID } }
        return keys.count == 1 ? keys[0] : nil
    }

    /// Whether `key` made the signature, with the token's algorithm.
    public func isSigned(by key: JSONWebKey) -> Bool {
        if let declared = key.algorithm, declared != algorithm { return false }
        switch (key.material, algorithm.prefix(2)) {
        case (.rsa(let n, let e), "RS"), (.rsa(let n, let e), "PS"):
            guard let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding: _RSA.Signing.Padding = algorithm.hasPrefix("PS") ? .PSS : .insecurePKCS1v1_5
            switch algorithm.suffix(3) {
            case "256": return publicKey.isValidSignature(rsaSignature, for: SHA256.hash(data: signingInput), padding: padding)
            case "384": return publicKey.isValidSignature(rsaSignature, for: SHA384.hash(data: signingInput), padding: padding)
            default: return publicKey.isValidSignature(rsaSignature, for: SHA512.hash(data: signingInput), padding: padding)
            }
        case (.ec(let curve, let x, let y), "ES"):
            let point = x + y
            switch (curve, algorithm) {
            case ("P-256", "ES256"):
                guard let k = try? P256.Signing.PublicKey(rawRepresentation: point),
                    let s = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
                else { return false }
                return k.isValidSignature(s, for: SHA256.hash(data: signingInput))
            case ("P-384", "ES384"):
                guard let k = try? P384.Signing.PublicKey(rawRepresentation: point),
                    let s = try? P384.Signing.ECDSASignature(rawRepresentation: signature)
                else { return false }
                return k.isValidSignature(s, for: SHA384.hash(data: signingInput))
            case ("P-521", "ES512"):
                guard let k = try? P521.Signing.PublicKey(rawRepresentation: point),
                    let s = try? P521.Signing.ECDSASignature(rawRepresentation: signature)
                else { return false }
                return k.isValidSignature(s, for: SHA512.hash(data: signingInput))
            default:
                return false
            }
        default:
            return false
        }
    }
}

/// base64url without padding (RFC 4648 §5), as JOSE writes it.
enum Base64URL {
    static func decode(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count <= 65_536 else { return nil }
        var standard = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch standard.utf8.count % 4 {
        case 2: standard += "=="
        case 3: standard += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: standard).map { Array($0) }
    }

    static func decode(_ text: String) -> [UInt8]? { decode(Substring(text)) }
}
