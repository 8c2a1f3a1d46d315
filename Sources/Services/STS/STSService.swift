//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import NimbusAuth
public import NimbusCore
public import NimbusStorage
public import NimbusWire

/// A role as STS needs to know it, from IAM.
public struct STSRole: Sendable {
    public var arn: String
    public var roleID: String
    public var name: String
    public var maxSessionDuration: Int
    public var tags: [String: String]

    public init(arn: String, roleID: String, name: String, maxSessionDuration: Int, tags: [String: String]) {
        self.arn = arn
        self.roleID = roleID
        self.name = name
        self.maxSessionDuration = maxSessionDuration
        self.tags = tags
    }
}

/// What STS asks IAM. The server adapts the IAM service to it, so that STS does not depend on IAM.
public protocol STSDirectory: Sendable {
    func role(arn: String) async throws -> STSRole?
    /// True when `code` is the current code of the enabled MFA device; consumes the code.
    func verifyMFA(account: String, serialNumber: String, code: String, at: Date) async throws -> Bool
    /// The default version of a managed policy, for `PolicyArns` session policies.
    func managedPolicyDocument(arn: String) async throws -> String?
    /// The OpenID Connect provider with this ARN (`arn:aws:iam::<account>:oidc-provider/<host/path>`).
    func oidcProvider(arn: String) async throws -> STSOIDCProvider?
}

/// AWS Security Token Service: temporary credentials (`ASIA…`) for role sessions, MFA sessions and
/// federated users, kept in the metadata store with their secrets sealed, until they expire.
public final class STSService: Sendable {
    let store: any MetadataStore
    let rootKey: RootKey
    let clock: WallClock
    let directory: any STSDirectory
    let webIdentityKeys: any WebIdentityKeySource
    let sessions: SessionCache

    public init(
        store: any MetadataStore, rootKey: RootKey, clock: WallClock = .system, directory: any STSDirectory,
        webIdentityKeys: any WebIdentityKeySource
    ) {
        self.store = store
        self.rootKey = rootKey
        self.clock = clock
        self.directory = directory
        self.webIdentityKeys = webIdentityKeys
        self.sessions = SessionCache()
    }

    public static let migrations: [StoreMigration] = []

    /// Temporary credentials, for authentication.
    public var credentialProvider: any CredentialProvider { SessionCredentialProvider(service: self) }

    public func definition() -> ServiceDefinition {
        var definition = ServiceDefinition(
            model: .sts,
            handlers: [
                "GetCallerIdentity": OperationHandler(Self.getCallerIdentity),
                "AssumeRole": OperationHandler(assumeRole),
                "GetSessionToken": OperationHandler(getSessionToken),
                "GetFederationToken": OperationHandler(getFederationToken),
                "AssumeRoleWithWebIdentity": OperationHandler(assumeRoleWithWebIdentity),
                "DecodeAuthorizationMessage": OperationHandler(decodeAuthorizationMessage),
            ],
            authorization: [
                // "No permissions are required to perform this operation."
                "GetCallerIdentity": .unauthorized,
                // Needs no permission either; MFA, when given, is checked by the handler.
                "GetSessionToken": .unauthorized,
                "AssumeRole": OperationAuthorization(resource: "${RoleArn}"),
                "GetFederationToken": OperationAuthorization(resource: "arn:${Partition}:sts::${Account}:federated-user/${Name}"),
                "AssumeRoleWithWebIdentity": OperationAuthorization(resource: "${RoleArn}"),
            ],
            authorizationContext: [
                "AssumeRole": { [directory, clock] input, context in
                    try await Self.assumeRoleConditionKeys(input, context: context, directory: directory, clock: clock)
                }
            ]
        )
        definition.inputAuthenticators = [
            // Unsigned: the token is the credential.
            "AssumeRoleWithWebIdentity": { [directory, webIdentityKeys, clock] input, context in
                try await Self.webIdentityCaller(input, context: context, directory: directory, keySource: webIdentityKeys, clock: clock)
            }
        ]
        return definition
    }

    /// ```xml
    /// <GetCallerIdentityResult>
    ///   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    ///   <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    ///   <Account>123456789012</Account>
    /// </GetCallerIdentityResult>
    /// ```
    struct GetCallerIdentityOutput: Encodable, Sendable {
        var UserId: String
        var Account: String
        var Arn: String
    }

    struct DecodeAuthorizationMessageInput: Decodable, Sendable {
        var EncodedMessage: String
    }

    struct DecodeAuthorizationMessageOutput: Encodable, Sendable {
        var DecodedMessage: String
    }

    /// Reads what a service encoded about a denial (`AuthorizationMessage`), for callers allowed
    /// `sts:DecodeAuthorizationMessage` in the account the message was made for.
    @Sendable func decodeAuthorizationMessage(
        _ input: DecodeAuthorizationMessageInput, context: RequestContext
    ) async throws -> DecodeAuthorizationMessageOutput {
        guard let json = AuthorizationMessage.decodedJSON(input.EncodedMessage, rootKey: rootKey, account: context.principal.accountID) else {
            throw AWSError(code: "InvalidAuthorizationMessageException", message: "The encoded message is not valid.", status: 400)
        }
        return DecodeAuthorizationMessageOutput(DecodedMessage: json)
    }

    @Sendable static func getCallerIdentity(_: EmptyShape, context: RequestContext) async throws -> GetCallerIdentityOutput {
        let principal = context.principal
        return GetCallerIdentityOutput(UserId: principal.userID, Account: principal.accountID, Arn: principal.arn)
    }
}
