//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusCredentials
import NimbusStorage
import NimbusWire

/// A user's X.509 signing certificate, key `<account>/<lowercased user>/<certificate id>` in
/// `IAMKeys.signingCertificates`; also the `<Certificate>` element.
struct SigningCertificateRecord: Codable, Sendable {
    var UserName: String
    var CertificateId: String
    var CertificateBody: String
    var Status: String
    var UploadDate: Date
}

/// A server certificate, key `<account>/<lowercased name>` in `IAMKeys.serverCertificates`. The private
/// key is sealed under the root key, bound to the certificate id, and never returned.
struct ServerCertificateRecord: Codable, Sendable {
    var Path: String
    var ServerCertificateName: String
    var ServerCertificateId: String
    var Arn: String
    var UploadDate: Date
    var Expiration: Date
    var CertificateBody: String
    var CertificateChain: String?
    var sealedPrivateKey: Data
    var Tags: [Tag]?

    var metadata: ServerCertificateMetadata {
        ServerCertificateMetadata(
            Path: Path, ServerCertificateName: ServerCertificateName, ServerCertificateId: ServerCertificateId,
            Arn: Arn, UploadDate: UploadDate, Expiration: Expiration
        )
    }

    static func sealContext(_ id: String) -> String { "iam-server-certificate:\(id)" }
}

/// ```xml
/// <ServerCertificateMetadata><Path>/</Path><ServerCertificateName>web</ServerCertificateName>
///   <ServerCertificateId>ASCA…</ServerCertificateId><Arn>arn:aws:iam::111122223333:server-certificate/web</Arn>
///   <UploadDate>…</UploadDate><Expiration>…</Expiration></ServerCertificateMetadata>
/// ```
struct ServerCertificateMetadata: Codable, Sendable {
    var Path: String
    var ServerCertificateName: String
    var ServerCertificateId: String
    var Arn: String
    var UploadDate: Date
    var Expiration: Date
}

extension IAMService {
    /// AWS's quotas `SigningCertificatesPerUser` and `ServerCertificatesPerAccount`.
    static let signingCertificatesPerUser = 2
    static let serverCertificatesPerAccount = 20

    func certificateHandlers() -> [String: OperationHandler] {
        [
            "UploadSigningCertificate": OperationHandler(uploadSigningCertificate),
            "ListSigningCertificates": OperationHandler(listSigningCertificates),
            "UpdateSigningCertificate": OperationHandler(updateSigningCertificate),
            "DeleteSigningCertificate": OperationHandler(deleteSigningCertificate),
            "UploadServerCertificate": OperationHandler(uploadServerCertificate),
            "GetServerCertificate": OperationHandler(getServerCertificate),
            "ListServerCertificates": OperationHandler(listServerCertificates),
            "UpdateServerCertificate": OperationHandler(updateServerCertificate),
            "DeleteServerCertificate": OperationHandler(deleteServerCertificate),
            "TagServerCertificate": OperationHandler(tagServerCertificate),
            "UntagServerCertificate": OperationHandler(untagServerCertificate),
            "ListServerCertificateTags": OperationHandler(listServerCertificateTags),
        ]
    }

    static func noSuchSigningCertificate(_ id: String) -> AWSError {
        IAMError.noSuchEntity("The Certificate with id \(id) cannot be found.")
    }

    /// `<account>/<lowercased user>` of the user a signing-certificate operation names (or the caller).
    private func signingCertificateOwner(_ given: String?, _ context: RequestContext) async throws -> (key: String, user: UserRecord) {
        let account = account(context)
        guard let name = targetUserName(given, context) else {
            throw AWSError.validation("Must specify userName when calling with non-User credentials")
        }
        let user = try await user(named: name, in: account)
        return (IAMKeys.nameKey(account, name), user)
    }

    // MARK: Signing certificates

    struct UploadSigningCertificateInput: Decodable, Sendable {
        var UserName: String?
        var CertificateBody: String
    }

    struct SigningCertificateOutput: Encodable, Sendable {
        var Certificate: SigningCertificateRecord
    }

    @Sendable func uploadSigningCertificate(_ input: UploadSigningCertificateInput, context: RequestContext) async throws -> SigningCertificateOutput {
        let (userKey, user) = try await signingCertificateOwner(input.UserName, context)
        let now = clock.now
        let info = try parseSigningCertificate(pem: input.CertificateBody, now: now)
        let record = SigningCertificateRecord(
            UserName: user.UserName, CertificateId: info.certificateID, CertificateBody: info.certificateBody,
            Status: AccessKeyStatus.active, UploadDate: now
        )
        try await store.write { tx in
            guard try tx.get(IAMKeys.users, userKey) != nil else { throw IAMError.noSuchEntity("user", named: user.UserName) }
            guard try tx.get(IAMKeys.signingCertificates, userKey + "/" + record.CertificateId) == nil else {
                throw AWSError(code: "DuplicateCertificate", message: "The Certificate with id \(record.CertificateId) already exists.", status: 409)
            }
            let existing = try tx.scan(IAMKeys.signingCertificates, prefix: userKey + "/", after: nil, reverse: false, limit: Self.signingCertificatesPerUser)
            guard existing.count < Self.signingCertificatesPerUser else {
                throw IAMError.limitExceeded("Cannot exceed quota for SigningCertificatesPerUser: \(Self.signingCertificatesPerUser)")
            }
            try tx.putJSON(IAMKeys.signingCertificates, userKey + "/" + record.CertificateId, record)
        }
        return SigningCertificateOutput(Certificate: record)
    }

    struct ListSigningCertificatesInput: Decodable, Sendable {
        var UserName: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListSigningCertificatesOutput: Encodable, Sendable {
        var Certificates: [SigningCertificateRecord]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listSigningCertificates(_ input: ListSigningCertificatesInput, context: RequestContext) async throws -> ListSigningCertificatesOutput {
        guard targetUserName(input.UserName, context) != nil else {
            return ListSigningCertificatesOutput(Certificates: [], IsTruncated: false)
        }
        let (userKey, user) = try await signingCertificateOwner(input.UserName, context)
        let page = try await page(SigningCertificateRecord.self, IAMKeys.signingCertificates, prefix: userKey + "/", marker: input.Marker, maxItems: input.MaxItems)
        let certificates = page.items.map { certificate in
            var certificate = certificate
            certificate.UserName = user.UserName
            return certificate
        }
        return ListSigningCertificatesOutput(Certificates: certificates, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct UpdateSigningCertificateInput: Decodable, Sendable {
        var UserName: String?
        var CertificateId: String
        var Status: String
    }

    @Sendable func updateSigningCertificate(_ input: UpdateSigningCertificateInput, context: RequestContext) async throws -> EmptyShape {
        let status = try AccessKeyStatus.validated(input.Status)
        let (userKey, _) = try await signingCertificateOwner(input.UserName, context)
        let key = userKey + "/" + input.CertificateId
        try await store.write { tx in
            guard var record = try tx.getJSON(SigningCertificateRecord.self, IAMKeys.signingCertificates, key) else {
                throw Self.noSuchSigningCertificate(input.CertificateId)
            }
            record.Status = status
            try tx.putJSON(IAMKeys.signingCertificates, key, record)
        }
        return EmptyShape()
    }

    struct DeleteSigningCertificateInput: Decodable, Sendable {
        var UserName: String?
        var CertificateId: String
    }

    @Sendable func deleteSigningCertificate(_ input: DeleteSigningCertificateInput, context: RequestContext) async throws -> EmptyShape {
        let (userKey, _) = try await signingCertificateOwner(input.UserName, context)
        let key = userKey + "/" + input.CertificateId
        try await store.write { tx in
            guard try tx.get(IAMKeys.signingCertificates, key) != nil else { throw Self.noSuchSigningCertificate(input.CertificateId) }
            try tx.delete(IAMKeys.signingCertificates, key)
        }
        return EmptyShape()
    }

    // MARK: Server certificates

    static func noSuchServerCertificate(_ name: String) -> AWSError {
        IAMError.noSuchEntity("The Server Certificate with name \(name) cannot be found.")
    }

    static func serverCertificateExists(_ name: String) -> AWSError {
        AWSError(code: "EntityAlreadyExists", message: "The Server Certificate with name \(name) already exists.", status: 409)
    }

    struct UploadServerCertificateInput: Decodable, Sendable {
        var Path: String?
        var ServerCertificateName: String
        var CertificateBody: String
        var PrivateKey: String
        var CertificateChain: String?
        var Tags: [Tag]?
    }

    struct UploadServerCertificateOutput: Encodable, Sendable {
        var ServerCertificateMetadata: ServerCertificateMetadata
        var Tags: [Tag]?
    }

    @Sendable func uploadServerCertificate(_ input: UploadServerCertificateInput, context: RequestContext) async throws -> UploadServerCertificateOutput {
        let account = account(context)
        let path = try IAMValidation.path(input.Path)
        let tags = try IAMValidation.tags(input.Tags)
        let name = input.ServerCertificateName
        let now = clock.now
        let info = try validateServerCertificate(certificatePEM: input.CertificateBody, privateKeyPEM: input.PrivateKey, chainPEM: input.CertificateChain, now: now)
        let id = Identifiers.uniqueID(prefix: "ASCA")
        let record = ServerCertificateRecord(
            Path: path, ServerCertificateName: name, ServerCertificateId: id,
            Arn: IAMValidation.arn(account, "server-certificate", path: path, name: name),
            UploadDate: now, Expiration: info.expiration, CertificateBody: info.certificateBody, CertificateChain: info.certificateChain,
            sealedPrivateKey: Data(try rootKey.seal(Array(input.PrivateKey.utf8), context: ServerCertificateRecord.sealContext(id))),
            Tags: tags.isEmpty ? nil : tags
        )
        let key = IAMKeys.nameKey(account, name)
        try await store.write { tx in
            guard try tx.get(IAMKeys.serverCertificates, key) == nil else { throw Self.serverCertificateExists(name) }
            let existing = try tx.scan(IAMKeys.serverCertificates, prefix: account + "/", after: nil, reverse: false, limit: Self.serverCertificatesPerAccount)
            guard existing.count < Self.serverCertificatesPerAccount else {
                throw IAMError.limitExceeded("Cannot exceed quota for ServerCertificatesPerAccount: \(Self.serverCertificatesPerAccount)")
            }
            try tx.putJSON(IAMKeys.serverCertificates, key, record)
        }
        return UploadServerCertificateOutput(ServerCertificateMetadata: record.metadata, Tags: record.Tags)
    }

    struct ServerCertificateNameInput: Decodable, Sendable {
        var ServerCertificateName: String
    }

    struct ServerCertificate: Encodable, Sendable {
        var ServerCertificateMetadata: ServerCertificateMetadata
        var CertificateBody: String
        var CertificateChain: String?
        var Tags: [Tag]?
    }

    struct GetServerCertificateOutput: Encodable, Sendable {
        var ServerCertificate: ServerCertificate
    }

    func serverCertificate(_ name: String, _ context: RequestContext) async throws -> ServerCertificateRecord {
        let key = IAMKeys.nameKey(account(context), name)
        guard let record = try await store.read({ try $0.getJSON(ServerCertificateRecord.self, IAMKeys.serverCertificates, key) }) else {
            throw Self.noSuchServerCertificate(name)
        }
        return record
    }

    @Sendable func getServerCertificate(_ input: ServerCertificateNameInput, context: RequestContext) async throws -> GetServerCertificateOutput {
        let record = try await serverCertificate(input.ServerCertificateName, context)
        return GetServerCertificateOutput(
            ServerCertificate: ServerCertificate(
                ServerCertificateMetadata: record.metadata, CertificateBody: record.CertificateBody,
                CertificateChain: record.CertificateChain, Tags: record.Tags
            )
        )
    }

    struct ListServerCertificatesInput: Decodable, Sendable {
        var PathPrefix: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListServerCertificatesOutput: Encodable, Sendable {
        var ServerCertificateMetadataList: [ServerCertificateMetadata]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listServerCertificates(_ input: ListServerCertificatesInput, context: RequestContext) async throws -> ListServerCertificatesOutput {
        let prefix = input.PathPrefix ?? "/"
        let page = try await page(
            ServerCertificateMetadata.self, IAMKeys.serverCertificates, prefix: account(context) + "/", marker: input.Marker,
            maxItems: input.MaxItems, where: { $0.Path.hasPrefix(prefix) }
        )
        return ListServerCertificatesOutput(ServerCertificateMetadataList: page.items, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct UpdateServerCertificateInput: Decodable, Sendable {
        var ServerCertificateName: String
        var NewPath: String?
        var NewServerCertificateName: String?
    }

    @Sendable func updateServerCertificate(_ input: UpdateServerCertificateInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        let name = input.ServerCertificateName
        let newPath = try input.NewPath.map { path throws(AWSError) in try IAMValidation.path(path, member: "newPath") }
        let newName = input.NewServerCertificateName
        try await store.write { tx in
            let key = IAMKeys.nameKey(account, name)
            guard var record = try tx.getJSON(ServerCertificateRecord.self, IAMKeys.serverCertificates, key) else {
                throw Self.noSuchServerCertificate(name)
            }
            let newKey = IAMKeys.nameKey(account, newName ?? record.ServerCertificateName)
            if newKey != key, try tx.get(IAMKeys.serverCertificates, newKey) != nil {
                throw Self.serverCertificateExists(newName ?? name)
            }
            record.Path = newPath ?? record.Path
            record.ServerCertificateName = newName ?? record.ServerCertificateName
            record.Arn = IAMValidation.arn(account, "server-certificate", path: record.Path, name: record.ServerCertificateName)
            try tx.delete(IAMKeys.serverCertificates, key)
            try tx.putJSON(IAMKeys.serverCertificates, newKey, record)
        }
        return EmptyShape()
    }

    @Sendable func deleteServerCertificate(_ input: ServerCertificateNameInput, context: RequestContext) async throws -> EmptyShape {
        let key = IAMKeys.nameKey(account(context), input.ServerCertificateName)
        try await store.write { tx in
            guard try tx.get(IAMKeys.serverCertificates, key) != nil else { throw Self.noSuchServerCertificate(input.ServerCertificateName) }
            try tx.delete(IAMKeys.serverCertificates, key)
        }
        return EmptyShape()
    }

    struct TagServerCertificateInput: Decodable, Sendable {
        var ServerCertificateName: String
        var Tags: [Tag]
    }

    @Sendable func tagServerCertificate(_ input: TagServerCertificateInput, context: RequestContext) async throws -> EmptyShape {
        let key = IAMKeys.nameKey(account(context), input.ServerCertificateName)
        try await store.write { tx in
            guard var record = try tx.getJSON(ServerCertificateRecord.self, IAMKeys.serverCertificates, key) else {
                throw Self.noSuchServerCertificate(input.ServerCertificateName)
            }
            let tags = try IAMValidation.tags(input.Tags, existing: record.Tags ?? [])
            record.Tags = tags.isEmpty ? nil : tags
            try tx.putJSON(IAMKeys.serverCertificates, key, record)
        }
        return EmptyShape()
    }

    struct UntagServerCertificateInput: Decodable, Sendable {
        var ServerCertificateName: String
        var TagKeys: [String]
    }

    @Sendable func untagServerCertificate(_ input: UntagServerCertificateInput, context: RequestContext) async throws -> EmptyShape {
        let key = IAMKeys.nameKey(account(context), input.ServerCertificateName)
        try await store.write { tx in
            guard var record = try tx.getJSON(ServerCertificateRecord.self, IAMKeys.serverCertificates, key) else {
                throw Self.noSuchServerCertificate(input.ServerCertificateName)
            }
            record.Tags = Self.removingTags(input.TagKeys, from: record.Tags)
            try tx.putJSON(IAMKeys.serverCertificates, key, record)
        }
        return EmptyShape()
    }

    @Sendable func listServerCertificateTags(_ input: ListCredentialTagsInput, context: RequestContext) async throws -> CredentialTagPage {
        let record = try await serverCertificate(input.ServerCertificateName ?? "", context)
        return try Self.tagPage(record.Tags ?? [], marker: input.Marker, maxItems: input.MaxItems)
    }
}
