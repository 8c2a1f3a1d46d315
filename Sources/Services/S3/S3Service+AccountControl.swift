//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusWire
import NimbusCore
import NimbusStorage

// S3 Control's account-wide Block Public Access (`/v20180820/configuration/publicAccessBlock`, the
// account in `x-amz-account-id`). Every bucket of the account is then held to these settings as well as
// its own: the effective setting is on where either turns it on.

extension S3Service {
    /// The S3 Control operations Nimbus implements, as a service of their own (S3 Control has its own model
    /// and paths, and shares S3's signing name).
    public func controlDefinition() -> ServiceDefinition {
        func handler(_ body: @escaping @Sendable (ShapeValue, RequestContext) async throws -> ShapeValue) -> OperationHandler {
            OperationHandler(raw: { OperationOutput(try await body($0, $1)) })
        }
        return ServiceDefinition(
            model: .s3control,
            handlers: [
                "PutPublicAccessBlock": handler(putAccountPublicAccessBlock),
                "GetPublicAccessBlock": handler(getAccountPublicAccessBlock),
                "DeletePublicAccessBlock": handler(deleteAccountPublicAccessBlock),
            ],
            authorization: [
                "PutPublicAccessBlock": OperationAuthorization(actions: ["s3:PutAccountPublicAccessBlock"]),
                "GetPublicAccessBlock": OperationAuthorization(actions: ["s3:GetAccountPublicAccessBlock"]),
                "DeletePublicAccessBlock": OperationAuthorization(actions: ["s3:PutAccountPublicAccessBlock"]),
            ]
        )
    }

    /// The account the request names, which must be the caller's own.
    private static func controlAccount(_ input: ShapeValue, _ context: RequestContext) throws -> String {
        let account = input["AccountId"]?.stringValue ?? ""
        guard Identifiers.isAccountID(account) else {
            throw AWSError(code: "InvalidRequest", message: "Account id must be 12 digits.", status: 400)
        }
        guard account == context.principal.accountID else { throw AWSError.accessDenied() }
        return account
    }

    func putAccountPublicAccessBlock(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let account = try Self.controlAccount(input, context)
        guard let c = input["PublicAccessBlockConfiguration"] else { throw AWSError.malformedXML }
        let block = Self.publicAccessBlock(from: c)
        try await store.write { try $0.putJSON(S3Keys.accountPublicAccessBlocks, account, block) }
        return .empty
    }

    func getAccountPublicAccessBlock(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let account = try Self.controlAccount(input, context)
        guard let block = try await store.read({ try Self.accountBlocks.get($0, S3Keys.accountPublicAccessBlocks, account) }) else {
            throw AWSError(code: "NoSuchPublicAccessBlockConfiguration", message: "The public access block configuration was not found", status: 404,
                           extra: [("AccountId", account)])
        }
        return .structure(["PublicAccessBlockConfiguration": Self.publicAccessBlockShape(block)])
    }

    func deleteAccountPublicAccessBlock(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let account = try Self.controlAccount(input, context)
        try await store.write { try $0.delete(S3Keys.accountPublicAccessBlocks, account) }
        return .empty
    }

    /// A `PublicAccessBlockConfiguration` as sent: members left out are off.
    static func publicAccessBlock(from c: ShapeValue) -> PublicAccessBlock {
        PublicAccessBlock(
            blockPublicAcls: c["BlockPublicAcls"]?.booleanValue ?? false,
            ignorePublicAcls: c["IgnorePublicAcls"]?.booleanValue ?? false,
            blockPublicPolicy: c["BlockPublicPolicy"]?.booleanValue ?? false,
            restrictPublicBuckets: c["RestrictPublicBuckets"]?.booleanValue ?? false
        )
    }

    static func publicAccessBlockShape(_ block: PublicAccessBlock) -> ShapeValue {
        .structure([
            "BlockPublicAcls": .boolean(block.blockPublicAcls), "IgnorePublicAcls": .boolean(block.ignorePublicAcls),
            "BlockPublicPolicy": .boolean(block.blockPublicPolicy), "RestrictPublicBuckets": .boolean(block.restrictPublicBuckets),
        ])
    }
}
