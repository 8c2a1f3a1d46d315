//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAudit
import NimbusAuth
import NimbusCore
import NimbusIAM
import NimbusKMS
import NimbusPolicy
import NimbusS3
import NimbusStorage
import NimbusSTS

/// IAM as the authorizer's source of identity policies.
struct IAMIdentityPolicies: IdentityPolicySource {
    let iam: IAMService

    func identityPolicies(for principal: Principal) async throws -> IdentityPolicies {
        let p = try await iam.policies(for: principal)
        return IdentityPolicies(identity: p.identity, permissionsBoundary: p.permissionsBoundary, tags: p.tags, username: p.username)
    }
}

/// Resource policies held by IAM: a role's trust policy governs `sts:AssumeRole*` on that role.
struct IAMResourcePolicies: ResourcePolicySource {
    let iam: IAMService

    func resourcePolicy(action: String, resource: String) async throws -> ResourcePolicy? {
        guard action.hasPrefixASCIICaseInsensitive("sts:assumerole"), resource.containsASCII(":role/") else { return nil }
        guard let role = try await iam.role(arn: resource) else { return nil }
        return ResourcePolicy(id: "trust:\(role.arn)", document: role.trustPolicy, kind: .trustPolicy, required: true)
    }
}

/// Bucket policies: they govern `s3:` actions on the bucket and its objects. A bucket without a policy
/// still names its owner, so that another account's caller is refused unless a policy lets it in.
struct S3BucketPolicies: ResourcePolicySource {
    let store: any MetadataStore

    func resourcePolicy(action: String, resource: String) async throws -> ResourcePolicy? {
        // A bucket that exists already is another matter for CreateBucket (BucketAlreadyExists), not a denial.
        guard action.hasPrefix("s3:"), action != "s3:CreateBucket", let found = try await S3Service.bucketPolicy(in: store, resource: resource) else { return nil }
        let bucket = resource.dropFirst("arn:aws:s3:::".count).prefix { $0 != "/" }
        return ResourcePolicy(id: "bucket-policy:\(bucket)", document: found.policy ?? "", kind: .resourcePolicy, required: false, account: found.owner)
    }
}

/// A KMS key's key policy governs every `kms:` action on the key, and must allow by itself (with the
/// default policy it does so by delegating to the account's IAM policies).
struct KMSKeyPolicies: ResourcePolicySource {
    let kms: KMSService

    func resourcePolicy(action: String, resource: String) async throws -> ResourcePolicy? {
        guard action.hasPrefix("kms:"), resource.containsASCII(":key/"), let policy = try await kms.keyPolicy(keyARN: resource) else { return nil }
        return ResourcePolicy(id: "key-policy:\(resource)", document: policy, kind: .resourcePolicy, required: true)
    }
}

/// KMS grants, for the principal itself and, for a role session, for its role.
struct KMSGrants: GrantSource {
    let kms: KMSService

    func grantAllows(action: String, resource: String, principal: Principal, conditionKeys: [String: [String]]) async throws -> Bool {
        guard action.hasPrefix("kms:"), resource.containsASCII(":key/") else { return false }
        var context: [String: String] = [:]
        let prefix = "kms:encryptioncontext:"
        for (key, values) in conditionKeys where key.lowercased().hasPrefix(prefix) && key.lowercased() != "kms:encryptioncontextkeys" {
            if let value = values.first { context[String(key.dropFirst(prefix.count))] = value }
        }
        var principals = [principal.arn]
        if let role = principal.sessionIssuer, principal.kind == .assumedRole { principals.append(role) }
        for arn in principals where try await kms.grantAllows(keyARN: resource, principalARN: arn, operation: action, encryptionContext: context) {
            return true
        }
        return false
    }
}

/// S3's default permission of a multipart upload's initiator to abort it and list its parts.
struct S3UploadInitiators: GrantSource {
    let store: any MetadataStore

    func grantAllows(action: String, resource: String, principal: Principal, conditionKeys: [String: [String]]) async throws -> Bool {
        guard action == "s3:AbortMultipartUpload" || action == "s3:ListMultipartUploadParts",
            let uploadID = conditionKeys[S3Service.uploadIDConditionKey]?.first
        else { return false }
        return try await S3Service.isUploadInitiator(in: store, resource: resource, uploadID: uploadID, principalARN: principal.arn)
    }
}

/// Each grant source in turn; any that allows, allows.
struct CompositeGrants: GrantSource {
    let sources: [any GrantSource]

    func grantAllows(action: String, resource: String, principal: Principal, conditionKeys: [String: [String]]) async throws -> Bool {
        for source in sources where try await source.grantAllows(action: action, resource: resource, principal: principal, conditionKeys: conditionKeys) {
            return true
        }
        return false
    }
}

/// KMS as S3 uses it for SSE-KMS: on behalf of the caller, who must be allowed to use the key through S3.
struct KMSForS3: S3KeyService {
    let kms: KMSService
    let authorizer: any Authorizer
    /// Where the KMS calls S3 makes for the caller are recorded, as KMS records its own.
    let audit: AuditLog
    let clock: WallClock

    func defaultKey(context: RequestContext) async throws -> String {
        try await kms.awsManagedKey(service: "s3", context: context)
    }

    func resolve(keyID: String, context: RequestContext) async throws -> String {
        guard let arn = try await kms.resolveKeyARN(keyID, account: context.principal.accountID, region: context.region) else {
            throw AWSError(code: "KMS.NotFoundException", message: "Invalid keyId '\(keyID)'", status: 400)
        }
        return arn
    }

    func generateDataKey(keyARN: String, encryptionContext: [String: String], context: RequestContext) async throws -> (plaintext: [UInt8], ciphertext: [UInt8]) {
        try await recorded("GenerateDataKey", keyARN: keyARN, encryptionContext: encryptionContext, context: context) {
            try await checkPermission("kms:GenerateDataKey", keyARN: keyARN, encryptionContext: encryptionContext, context: context)
            let key = try await asS3Error { try await kms.generateDataKey(keyID: keyARN, encryptionContext: encryptionContext, context: context) }
            return (key.plaintext, key.ciphertext)
        }
    }

    func decrypt(_ ciphertext: [UInt8], keyARN: String, encryptionContext: [String: String], context: RequestContext) async throws -> [UInt8] {
        try await recorded("Decrypt", keyARN: keyARN, encryptionContext: encryptionContext, context: context) {
            try await checkPermission("kms:Decrypt", keyARN: keyARN, encryptionContext: encryptionContext, context: context)
            return try await asS3Error { try await kms.decryptDataKey(ciphertext, encryptionContext: encryptionContext, context: context) }
        }
    }

    /// Runs one KMS call made for the caller and puts it in CloudTrail as AWS does: the caller's identity
    /// `invokedBy` S3, from `s3.amazonaws.com`, with the key as the event's resource. Refusals are recorded too.
    private func recorded<T>(
        _ operation: String, keyARN: String, encryptionContext: [String: String], context: RequestContext,
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            let result = try await body()
            await record(operation, keyARN: keyARN, encryptionContext: encryptionContext, context: context, failure: nil)
            return result
        } catch let error as AWSError {
            await record(operation, keyARN: keyARN, encryptionContext: encryptionContext, context: context, failure: error)
            throw error
        }
    }

    private func record(
        _ operation: String, keyARN: String, encryptionContext: [String: String], context: RequestContext, failure: AWSError?
    ) async {
        var call = context
        call.service = "kms"
        call.operation = operation
        call.sourceIP = "s3.amazonaws.com"
        call.userAgent = "s3.amazonaws.com"
        var parameters: [(String, JSONValue)] = [("keyId", .string(keyARN))]
        if operation == "GenerateDataKey" { parameters.append(("keySpec", .string("AES_256"))) }
        parameters.append(("encryptionContext", .object(encryptionContext.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        var event = AuditEvent(
            context: call, eventTime: clock.now, readOnly: true, requestParameters: .object(parameters), error: failure,
            resources: [AuditResource(type: "AWS::KMS::Key", arn: keyARN, accountId: ARN(keyARN)?.accountID)]
        )
        event.userIdentity.invokedBy = "s3.amazonaws.com"
        // Like the pipeline's own record, durable before the S3 request is answered; a failure to record
        // is not the caller's fault and does not fail the request.
        try? await audit.record(event)
    }

    func checkPermission(_ action: String, keyARN: String, encryptionContext: [String: String], context: RequestContext) async throws {
        var keys: [String: [String]] = [
            "kms:ViaService": ["s3.\(context.region).amazonaws.com"],
            "kms:CallerAccount": [context.principal.accountID],
            "kms:EncryptionContextKeys": encryptionContext.keys.sorted(),
        ]
        for (key, value) in encryptionContext { keys["kms:EncryptionContext:\(key)"] = [value] }
        try await authorizer.authorize(AuthorizationRequest(action: action, resources: [keyARN], context: context, conditionKeys: keys))
    }

    /// KMS's errors as S3 reports them: `KMS.DisabledException` and so on.
    private func asS3Error<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AWSError where !error.code.hasPrefix("KMS.") && error.code != "AccessDenied" {
            throw AWSError(code: "KMS." + error.code, message: error.message, status: error.status)
        }
    }
}

/// Each source in turn; the first that knows the resource answers.
struct CompositeResourcePolicies: ResourcePolicySource {
    let sources: [any ResourcePolicySource]

    func resourcePolicy(action: String, resource: String) async throws -> ResourcePolicy? {
        for source in sources {
            if let found = try await source.resourcePolicy(action: action, resource: resource) { return found }
        }
        return nil
    }
}

/// IAM as STS sees it.
struct IAMSTSDirectory: STSDirectory {
    let iam: IAMService

    func role(arn: String) async throws -> STSRole? {
        guard let role = try await iam.role(arn: arn) else { return nil }
        return STSRole(arn: role.arn, roleID: role.roleID, name: role.name, maxSessionDuration: role.maxSessionDuration, tags: role.tags)
    }

    func verifyMFA(account: String, serialNumber: String, code: String, at date: Date) async throws -> Bool {
        try await iam.verifyMFA(account: account, serialNumber: serialNumber, code: code, at: date)
    }

    func managedPolicyDocument(arn: String) async throws -> String? {
        try await iam.managedPolicyDocument(arn: arn)
    }

    func oidcProvider(arn: String) async throws -> STSOIDCProvider? {
        try await iam.oidcProvider(arn: arn).map { STSOIDCProvider(arn: $0.arn, clientIDs: $0.clientIDs) }
    }
}

/// Asks each provider in turn: account root keys, IAM users' keys, STS sessions.
struct CompositeCredentialProvider: CredentialProvider {
    let providers: [any CredentialProvider]

    func credential(for accessKeyID: String) async throws -> SigningCredential? {
        for provider in providers {
            if let found = try await provider.credential(for: accessKeyID) { return found }
        }
        return nil
    }
}
