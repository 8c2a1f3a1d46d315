//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusWire

/// An OpenID Connect provider registered in IAM, as `AssumeRoleWithWebIdentity` needs it.
public struct STSOIDCProvider: Sendable {
    public var arn: String
    public var clientIDs: [String]

    public init(arn: String, clientIDs: [String]) {
        self.arn = arn
        self.clientIDs = clientIDs
    }
}

/// Where the signing keys of an OpenID provider come from: its discovery document's `jwks_uri`.
/// The server fetches them over HTTPS and caches them.
public protocol WebIdentityKeySource: Sendable {
    /// The provider's signing keys.
    /// - Parameters:
    ///   - issuer: `https://host[:port][/path]`, the provider's URL as registered.
    ///   - refresh: the token names a key the cached set lacks; fetch again unless that was just done.
    /// - Throws: `WebIdentityError.unreachable` or `.keysUnavailable`.
    func keys(issuer: String, refresh: Bool) async throws -> [JSONWebKey]
}

extension STSService {
    // MARK: AssumeRoleWithWebIdentity

    struct AssumeRoleWithWebIdentityInput: Decodable, Sendable {
        var RoleArn: String
        var RoleSessionName: String
        var WebIdentityToken: String
        var ProviderId: String?
        var PolicyArns: [PolicyDescriptor]?
        var Policy: String?
        var DurationSeconds: Int?
    }

    struct AssumeRoleWithWebIdentityOutput: Encodable, Sendable {
        var Credentials: CredentialsOutput
        var SubjectFromWebIdentityToken: String
        var AssumedRoleUser: AssumedRoleUser
        var PackedPolicySize: Int?
        var Provider: String
        var Audience: String
    }

    /// The caller of `AssumeRoleWithWebIdentity` is whoever the token says, once its signature, issuer,
    /// audience and lifetime check out against the OIDC provider registered in the role's account; the
    /// role's trust policy then decides, with `<provider>:aud`, `:sub`, `:amr` and `:oaud` as condition keys.
    static func webIdentityCaller(
        _ input: ShapeValue,
        context: RequestContext,
        directory: any STSDirectory,
        keySource: any WebIdentityKeySource,
        clock: WallClock
    ) async throws -> InputIdentity {
        guard let roleARN = input["RoleArn"]?.stringValue, let compact = input["WebIdentityToken"]?.stringValue,
            let roleAccount = ARN(roleARN)?.accountID, Identifiers.isAccountID(roleAccount)
        else { throw AWSError.validation("RoleArn must be the ARN of a role.") }
        do {
            let token = try WebIdentityToken(compact)
            let location = token.providerLocation
            let providerARN = "arn:aws:iam::\(roleAccount):oidc-provider/\(location)"
            guard let provider = try await directory.oidcProvider(arn: providerARN) else {
                throw WebIdentityError.noProvider(issuer: token.issuer)
            }
            // `azp` is the client when present (Google's ID tokens); otherwise one `aud` must be a registered client.
            let candidates = (token.authorizedParty.map { [$0] } ?? []) + token.audiences
            guard let audience = candidates.first(where: provider.clientIDs.contains) else { throw WebIdentityError.audience }
            try token.checkValidity(at: clock.now)
            let issuer = "https://" + location
            var keys = try await keySource.keys(issuer: issuer, refresh: false)
            if token.key(in: keys) == nil { keys = try await keySource.keys(issuer: issuer, refresh: true) }
            guard let key = token.key(in: keys) else { throw WebIdentityError.keysUnavailable }
            guard token.isSigned(by: key) else { throw WebIdentityError.signature }

            var principal = Principal(kind: .webIdentity, accountID: roleAccount, arn: provider.arn, userID: "\(location):\(audience):\(token.subject)")
            principal.federatedSubject = token.subject
            var keysForPolicy: [String: [String]] = [
                "\(location):aud": [audience],
                "\(location):sub": [token.subject],
                "aws:FederatedProvider": [provider.arn],
            ]
            if !token.audiences.isEmpty { keysForPolicy["\(location):oaud"] = token.audiences }
            if !token.authenticationMethods.isEmpty { keysForPolicy["\(location):amr"] = token.authenticationMethods }
            if let name = input["RoleSessionName"]?.stringValue { keysForPolicy["sts:RoleSessionName"] = [name] }
            return InputIdentity(principal: principal, conditionKeys: keysForPolicy)
        } catch {
            let refusal = (error as? WebIdentityError)?.awsError ?? error
            // AWS records the refused exchange in the role's account; for a role that is not there, nothing.
            guard (try? await directory.role(arn: roleARN)) != nil else { throw refusal }
            throw InputAuthenticationFailure(underlying: refusal, claimed: claimedCaller(compact, roleAccount: roleAccount))
        }
    }

    /// Who a refused token says its bearer is, for CloudTrail: unverified, as AWS shows it.
    ///
    /// Anyone can send such a token, unsigned: claims longer than the model allows a subject (255) or a
    /// provider URL (2048) are not recorded, so that they cannot make the event and its lookup keys large.
    private static func claimedCaller(_ compact: String, roleAccount: String) -> Principal {
        let unknown = Principal(kind: .webIdentity, accountID: roleAccount, arn: "", userID: "")
        guard let token = try? WebIdentityToken(compact) else { return unknown }
        let location = token.providerLocation
        let audience = token.authorizedParty ?? token.audiences.first ?? ""
        guard token.subject.utf8.count <= 255, location.utf8.count <= 2048, audience.utf8.count <= 2048 else { return unknown }
        var principal = Principal(
            kind: .webIdentity,
            accountID: roleAccount,
            arn: "arn:aws:iam::\(roleAccount):oidc-provider/\(location)",
            userID: "\(location):\(audience):\(token.subject)"
        )
        principal.federatedSubject = token.subject
        return principal
    }

    @Sendable func assumeRoleWithWebIdentity(
        _ input: AssumeRoleWithWebIdentityInput, context: RequestContext
    ) async throws -> AssumeRoleWithWebIdentityOutput {
        let caller = context.principal
        guard caller.kind == .webIdentity, let subject = caller.federatedSubject, let location = caller.arn.split(separator: ":oidc-provider/").last else {
            throw AWSError.accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
        }
        // The trust policy was evaluated by the authorizer, and a missing role has none that allows.
        guard let role = try await directory.role(arn: input.RoleArn) else {
            throw AWSError.accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
        }
        let duration = input.DurationSeconds ?? 3600
        guard duration <= role.maxSessionDuration else {
            throw AWSError.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let (policies, packed) = try await sessionPolicies(inline: input.Policy, arns: input.PolicyArns, tags: nil)
        var principal = Principal(
            kind: .assumedRole,
            accountID: caller.accountID,
            arn: "arn:aws:sts::\(caller.accountID):assumed-role/\(role.name)/\(input.RoleSessionName)",
            userID: "\(role.roleID):\(input.RoleSessionName)",
            sessionIssuer: role.arn
        )
        principal.sessionPolicies = policies
        let issued = try await issue(for: principal, duration: duration)
        // userID is `<provider>:<audience>:<sub>`; the audience is what lies between.
        let audience = caller.userID.dropFirst(location.count + 1).dropLast(subject.count + 1)
        return AssumeRoleWithWebIdentityOutput(
            Credentials: issued.credentials,
            SubjectFromWebIdentityToken: subject,
            AssumedRoleUser: AssumedRoleUser(AssumedRoleId: principal.userID, Arn: principal.arn),
            PackedPolicySize: packed,
            Provider: String(location),
            Audience: String(audience)
        )
    }
}
