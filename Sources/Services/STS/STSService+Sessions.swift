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
import NimbusWire

/// `<Credentials>` of every operation that issues temporary credentials.
struct CredentialsOutput: Encodable, Sendable {
    var AccessKeyId: String
    var SecretAccessKey: String
    var SessionToken: String
    var Expiration: Date
}

struct PolicyDescriptor: Decodable, Sendable {
    var arn: String?
}

struct SessionTag: Decodable, Sendable {
    var Key: String
    var Value: String
}

extension STSService {
    // MARK: AssumeRole

    struct AssumeRoleInput: Decodable, Sendable {
        var RoleArn: String
        var RoleSessionName: String
        var PolicyArns: [PolicyDescriptor]?
        var Policy: String?
        var DurationSeconds: Int?
        var Tags: [SessionTag]?
        var ExternalId: String?
        var SerialNumber: String?
        var TokenCode: String?
        var SourceIdentity: String?
    }

    struct AssumedRoleUser: Encodable, Sendable {
        var AssumedRoleId: String
        var Arn: String
    }

    struct AssumeRoleOutput: Encodable, Sendable {
        var Credentials: CredentialsOutput
        var AssumedRoleUser: AssumedRoleUser
        var PackedPolicySize: Int?
        var SourceIdentity: String?
    }

    static let invalidMFA = AWSError.accessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")

    /// The trust policy's view of an `AssumeRole` call: its own condition keys, and MFA when a code was
    /// given (checked, and used up, here, before the trust policy is evaluated).
    static func assumeRoleConditionKeys(
        _ input: ShapeValue,
        context: RequestContext,
        directory: any STSDirectory,
        clock: WallClock
    ) async throws -> [String: [String]] {
        var keys: [String: [String]] = [:]
        if let v = input["ExternalId"]?.stringValue { keys["sts:ExternalId"] = [v] }
        if let v = input["RoleSessionName"]?.stringValue { keys["sts:RoleSessionName"] = [v] }
        if let v = input["SourceIdentity"]?.stringValue { keys["sts:SourceIdentity"] = [v] }
        keys.merge(OperationAuthorization.requestTagKeys(input)) { _, tag in tag }
        if let serial = input["SerialNumber"]?.stringValue {
            guard let code = input["TokenCode"]?.stringValue,
                try await directory.verifyMFA(account: context.principal.accountID, serialNumber: serial, code: code, at: clock.now)
            else { throw invalidMFA }
            keys["aws:MultiFactorAuthPresent"] = ["true"]
            keys["aws:MultiFactorAuthAge"] = ["0"]
        }
        return keys
    }

    @Sendable func assumeRole(_ input: AssumeRoleInput, context: RequestContext) async throws -> AssumeRoleOutput {
        let caller = context.principal
        // The trust policy was evaluated by the authorizer; a missing role never got this far, but the
        // answer for one must not differ from a refusal.
        guard let role = try await directory.role(arn: input.RoleArn) else {
            throw AWSError.accessDenied(
                "User: \(caller.arn) is not authorized to perform: sts:AssumeRole on resource: \(input.RoleArn)"
            )
        }
        let chained = caller.kind == .assumedRole
        let duration = input.DurationSeconds ?? 3600
        if chained, duration > 3600 {
            throw AWSError.validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
        }
        guard duration <= role.maxSessionDuration else {
            throw AWSError.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let (policies, packed) = try await sessionPolicies(inline: input.Policy, arns: input.PolicyArns, tags: input.Tags)
        let accountID = ARN(role.arn)?.accountID ?? caller.accountID
        var principal = Principal(
            kind: .assumedRole,
            accountID: accountID,
            arn: "arn:aws:sts::\(accountID):assumed-role/\(role.name)/\(input.RoleSessionName)",
            userID: "\(role.roleID):\(input.RoleSessionName)",
            mfaAuthenticatedAt: input.SerialNumber != nil ? clock.now : caller.mfaAuthenticatedAt,
            sessionIssuer: role.arn
        )
        principal.sessionPolicies = policies
        principal.sessionTags = Dictionary((input.Tags ?? []).map { ($0.Key, $0.Value) }, uniquingKeysWith: { _, last in last })
        principal.sourceIdentity = input.SourceIdentity ?? caller.sourceIdentity
        let issued = try await issue(for: principal, duration: duration)
        return AssumeRoleOutput(
            Credentials: issued.credentials,
            AssumedRoleUser: AssumedRoleUser(AssumedRoleId: principal.userID, Arn: principal.arn),
            PackedPolicySize: packed,
            SourceIdentity: principal.sourceIdentity
        )
    }

    // MARK: GetSessionToken

    struct GetSessionTokenInput: Decodable, Sendable {
        var DurationSeconds: Int?
        var SerialNumber: String?
        var TokenCode: String?
    }

    struct GetSessionTokenOutput: Encodable, Sendable {
        var Credentials: CredentialsOutput
    }

    @Sendable func getSessionToken(_ input: GetSessionTokenInput, context: RequestContext) async throws -> GetSessionTokenOutput {
        var principal = context.principal
        guard principal.accessKeyID?.hasPrefix("ASIA") != true, principal.kind == .user || principal.kind == .root else {
            throw AWSError.accessDenied("Cannot call GetSessionToken with session credentials")
        }
        var duration = input.DurationSeconds ?? 43_200
        // "Sessions for AWS account owners are restricted to a maximum of 3,600 seconds."
        if principal.kind == .root { duration = min(duration, 3600) }
        if let serial = input.SerialNumber {
            guard let code = input.TokenCode,
                try await directory.verifyMFA(account: principal.accountID, serialNumber: serial, code: code, at: clock.now)
            else { throw Self.invalidMFA }
            principal.mfaAuthenticatedAt = clock.now
        } else if input.TokenCode != nil {
            throw AWSError.validation("SerialNumber is required when TokenCode is given.")
        }
        return GetSessionTokenOutput(Credentials: try await issue(for: principal, duration: duration).credentials)
    }

    // MARK: GetFederationToken

    struct GetFederationTokenInput: Decodable, Sendable {
        var Name: String
        var Policy: String?
        var PolicyArns: [PolicyDescriptor]?
        var DurationSeconds: Int?
        var Tags: [SessionTag]?
    }

    struct FederatedUserOutput: Encodable, Sendable {
        var FederatedUserId: String
        var Arn: String
    }

    struct GetFederationTokenOutput: Encodable, Sendable {
        var Credentials: CredentialsOutput
        var FederatedUser: FederatedUserOutput
        var PackedPolicySize: Int?
    }

    /// A session policy that allows nothing: federation without a policy grants no permissions.
    static let allowsNothing = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"nimbus:NoAction","Resource":"*"}]}"#

    @Sendable func getFederationToken(_ input: GetFederationTokenInput, context: RequestContext) async throws -> GetFederationTokenOutput {
        let caller = context.principal
        guard caller.accessKeyID?.hasPrefix("ASIA") != true, caller.kind == .user || caller.kind == .root else {
            throw AWSError.accessDenied("Cannot call GetFederationToken with session credentials")
        }
        var duration = input.DurationSeconds ?? 43_200
        if caller.kind == .root { duration = min(duration, 3600) }
        let (policies, packed) = try await sessionPolicies(inline: input.Policy, arns: input.PolicyArns, tags: input.Tags)
        var principal = Principal(
            kind: .federatedUser,
            accountID: caller.accountID,
            arn: "arn:aws:sts::\(caller.accountID):federated-user/\(input.Name)",
            userID: "\(caller.accountID):\(input.Name)",
            sessionIssuer: caller.arn
        )
        principal.sessionPolicies = policies.isEmpty ? [Self.allowsNothing] : policies
        principal.sessionTags = Dictionary((input.Tags ?? []).map { ($0.Key, $0.Value) }, uniquingKeysWith: { _, last in last })
        let issued = try await issue(for: principal, duration: duration)
        return GetFederationTokenOutput(
            Credentials: issued.credentials,
            FederatedUser: FederatedUserOutput(FederatedUserId: principal.userID, Arn: principal.arn),
            PackedPolicySize: packed
        )
    }

    // MARK: Session policies

    /// The session policies of a request, validated, and AWS's `PackedPolicySize` (percent of the quota).
    func sessionPolicies(inline: String?, arns: [PolicyDescriptor]?, tags: [SessionTag]?) async throws -> ([String], Int?) {
        var documents: [String] = []
        if let inline {
            do {
                _ = try PolicyDocument.parse(inline, kind: .sessionPolicy)
            } catch {
                throw AWSError(code: error.code == .limitExceeded ? "PackedPolicyTooLarge" : "MalformedPolicyDocument", message: error.message, status: 400)
            }
            documents.append(inline)
        }
        let descriptors = arns ?? []
        guard descriptors.count <= 10 else {
            throw AWSError.validation("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
        }
        for descriptor in descriptors {
            guard let arn = descriptor.arn, let document = try await directory.managedPolicyDocument(arn: arn) else {
                throw AWSError(code: "InvalidParameterValue", message: "The policy \(descriptor.arn ?? "") does not exist.", status: 400)
            }
            documents.append(document)
        }
        guard (tags ?? []).count <= 50 else {
            throw AWSError.validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
        }
        guard inline != nil || !descriptors.isEmpty || !(tags ?? []).isEmpty else { return (documents, nil) }
        let packedBytes = (inline?.filter { !$0.isWhitespace }.utf8.count ?? 0) + descriptors.count * 64
            + (tags ?? []).reduce(0) { $0 + $1.Key.utf8.count + $1.Value.utf8.count }
        let percent = Int((Double(packedBytes) / Double(PolicyLimits.sessionPolicyPlaintext) * 100).rounded(.up))
        guard percent <= 100 else {
            throw AWSError(code: "PackedPolicyTooLarge", message: "Packed policy consumes \(percent)% of allotted space, please use smaller policy.", status: 400)
        }
        return (documents, percent)
    }
}
