//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage
import NimbusWire

/// An OpenID Connect identity provider, by `<account>/<url without https://>` in `IAMKeys.oidcProviders`;
/// its ARN is `arn:aws:iam::<account>:oidc-provider/<url without https://>`.
struct OIDCProviderRecord: Codable, Sendable {
    var Arn: String
    var Url: String
    var ClientIDList: [String]
    var ThumbprintList: [String]
    var CreateDate: Date
    var Tags: [Tag]?

    static let arnInfix = ":oidc-provider/"

    /// The store key of the provider an ARN names, nil when it is not an OIDC provider ARN.
    static func key(forARN arn: String) -> String? {
        let prefix = "arn:aws:iam::"
        guard arn.hasPrefix(prefix), arn.utf8.count <= 2048 else { return nil }
        let rest = arn.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let account = rest[..<colon]
        let resource = rest[colon...]
        guard Identifiers.isAccountID(account), resource.hasPrefix(arnInfix) else { return nil }
        let location = resource.dropFirst(arnInfix.count)
        guard !location.isEmpty else { return nil }
        return "\(account)/\(location)"
    }
}

extension IAMService {
    /// AWS's quotas: providers per account, client ids and thumbprints per provider.
    static let oidcProvidersPerAccount = 100
    static let clientIDsPerProvider = 100
    static let thumbprintsPerProvider = 5

    func oidcHandlers() -> [String: OperationHandler] {
        [
            "CreateOpenIDConnectProvider": OperationHandler(createOpenIDConnectProvider),
            "GetOpenIDConnectProvider": OperationHandler(getOpenIDConnectProvider),
            "ListOpenIDConnectProviders": OperationHandler(listOpenIDConnectProviders),
            "DeleteOpenIDConnectProvider": OperationHandler(deleteOpenIDConnectProvider),
            "AddClientIDToOpenIDConnectProvider": OperationHandler(addClientIDToOpenIDConnectProvider),
            "RemoveClientIDFromOpenIDConnectProvider": OperationHandler(removeClientIDFromOpenIDConnectProvider),
            "UpdateOpenIDConnectProviderThumbprint": OperationHandler(updateOpenIDConnectProviderThumbprint),
            "TagOpenIDConnectProvider": OperationHandler(tagOpenIDConnectProvider),
            "UntagOpenIDConnectProvider": OperationHandler(untagOpenIDConnectProvider),
            "ListOpenIDConnectProviderTags": OperationHandler(listOpenIDConnectProviderTags),
        ]
    }

    /// `https://host[:port][/path]`: no query, fragment, user info or white space; at most 255 characters.
    /// Returns the location without the scheme and trailing slash, as the ARN and the key use it.
    static func oidcLocation(_ url: String) throws(AWSError) -> String {
        let scheme = "https://"
        let invalid = IAMError.invalidInput("Invalid Open ID Connect Provider URL")
        guard url.utf8.count <= 255, url.lowercased().hasPrefix(scheme) else { throw invalid }
        var location = String(url.dropFirst(scheme.count))
        while location.hasSuffix("/") { location.removeLast() }
        let host = location.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard !host.isEmpty, !location.contains(where: { "?#@ \\".contains($0) || $0.isWhitespace || !$0.isASCII || $0.asciiValue! < 0x21 }),
            components(URL(string: url))
        else { throw invalid }
        return location
    }

    private static func components(_ url: URL?) -> Bool { url?.host.map { !$0.isEmpty } ?? false }

    static func validatedThumbprints(_ thumbprints: [String]) throws(AWSError) -> [String] {
        guard thumbprints.count <= thumbprintsPerProvider else {
            throw IAMError.invalidInput("Thumbprint list must contain fewer than \(thumbprintsPerProvider + 1) entries.")
        }
        for thumbprint in thumbprints where thumbprint.utf8.count != 40 || !thumbprint.allSatisfy(\.isHexDigit) || !thumbprint.allSatisfy(\.isASCII) {
            throw AWSError.validation(
                "1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: "
                    + "Member must satisfy constraint: [Member must have length 40, Member must be a hexadecimal string]"
            )
        }
        var seen = Set<String>()
        return thumbprints.filter { seen.insert($0.lowercased()).inserted }
    }

    static func validatedClientIDs(_ ids: [String]) throws(AWSError) -> [String] {
        for id in ids where id.isEmpty || id.utf8.count > 255 {
            throw AWSError.validation(
                "1 validation error detected: Value at 'clientIDList' failed to satisfy constraint: "
                    + "Member must have length between 1 and 255"
            )
        }
        var seen = Set<String>()
        let unique = ids.filter { seen.insert($0).inserted }
        guard unique.count <= clientIDsPerProvider else {
            throw IAMError.limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: \(clientIDsPerProvider)")
        }
        return unique
    }

    /// The store key of the caller's provider `arn`: `InvalidInput` for a malformed ARN, `NoSuchEntity`
    /// for another account's.
    func oidcKey(_ arn: String, _ context: RequestContext) throws(AWSError) -> String {
        guard let key = OIDCProviderRecord.key(forARN: arn) else {
            throw IAMError.invalidInput("ARN \(arn) is not valid.")
        }
        guard key.hasPrefix(account(context) + "/") else { throw Self.noSuchOIDCProvider(arn) }
        return key
    }

    static func noSuchOIDCProvider(_ arn: String) -> AWSError {
        IAMError.noSuchEntity("OpenIDConnect Provider not found for arn \(arn)")
    }

    /// Reads, changes and stores one provider in a transaction.
    func updateOIDCProvider(_ arn: String, _ context: RequestContext, _ change: @escaping @Sendable (inout OIDCProviderRecord) throws -> Void) async throws {
        let key = try oidcKey(arn, context)
        try await store.write { tx in
            guard var record = try tx.getJSON(OIDCProviderRecord.self, IAMKeys.oidcProviders, key) else { throw Self.noSuchOIDCProvider(arn) }
            try change(&record)
            try tx.putJSON(IAMKeys.oidcProviders, key, record)
        }
    }

    // MARK: Create / Get / List / Delete

    struct CreateOpenIDConnectProviderInput: Decodable, Sendable {
        var Url: String
        var ClientIDList: [String]?
        var ThumbprintList: [String]?
        var Tags: [Tag]?
    }

    struct CreateOpenIDConnectProviderOutput: Encodable, Sendable {
        var OpenIDConnectProviderArn: String
        var Tags: [Tag]?
    }

    @Sendable func createOpenIDConnectProvider(_ input: CreateOpenIDConnectProviderInput, context: RequestContext) async throws -> CreateOpenIDConnectProviderOutput {
        let account = account(context)
        let location = try Self.oidcLocation(input.Url)
        let thumbprints = try Self.validatedThumbprints(input.ThumbprintList ?? [])
        let clientIDs = try Self.validatedClientIDs(input.ClientIDList ?? [])
        let tags = try IAMValidation.tags(input.Tags)
        let record = OIDCProviderRecord(
            Arn: "arn:aws:iam::\(account)\(OIDCProviderRecord.arnInfix)\(location)",
            Url: "https://" + location,
            ClientIDList: clientIDs,
            ThumbprintList: thumbprints,
            CreateDate: clock.now,
            Tags: tags.isEmpty ? nil : tags
        )
        let key = "\(account)/\(location)"
        try await store.write { tx in
            guard try tx.get(IAMKeys.oidcProviders, key) == nil else {
                throw AWSError(code: "EntityAlreadyExists", message: "Provider with url \(record.Url) already exists.", status: 409)
            }
            let existing = try tx.scan(IAMKeys.oidcProviders, prefix: account + "/", after: nil, reverse: false, limit: Self.oidcProvidersPerAccount)
            guard existing.count < Self.oidcProvidersPerAccount else {
                throw IAMError.limitExceeded("Cannot exceed quota for OpenIdConnectProvidersPerAccount: \(Self.oidcProvidersPerAccount)")
            }
            try tx.putJSON(IAMKeys.oidcProviders, key, record)
        }
        return CreateOpenIDConnectProviderOutput(OpenIDConnectProviderArn: record.Arn, Tags: record.Tags)
    }

    struct OIDCProviderArnInput: Decodable, Sendable {
        var OpenIDConnectProviderArn: String
    }

    struct GetOpenIDConnectProviderOutput: Encodable, Sendable {
        var Url: String
        var ClientIDList: [String]
        var ThumbprintList: [String]
        var CreateDate: Date
        var Tags: [Tag]?
    }

    @Sendable func getOpenIDConnectProvider(_ input: OIDCProviderArnInput, context: RequestContext) async throws -> GetOpenIDConnectProviderOutput {
        let arn = input.OpenIDConnectProviderArn
        let key = try oidcKey(arn, context)
        guard let record = try await store.read({ try $0.getJSON(OIDCProviderRecord.self, IAMKeys.oidcProviders, key) }) else {
            throw Self.noSuchOIDCProvider(arn)
        }
        // AWS answers the URL without its scheme.
        return GetOpenIDConnectProviderOutput(
            Url: String(record.Url.dropFirst("https://".count)), ClientIDList: record.ClientIDList, ThumbprintList: record.ThumbprintList,
            CreateDate: record.CreateDate, Tags: record.Tags
        )
    }

    struct OIDCProviderListEntry: Encodable, Sendable {
        var Arn: String
    }

    struct ListOpenIDConnectProvidersOutput: Encodable, Sendable {
        var OpenIDConnectProviderList: [OIDCProviderListEntry]
    }

    @Sendable func listOpenIDConnectProviders(_ input: EmptyShape, context: RequestContext) async throws -> ListOpenIDConnectProvidersOutput {
        let account = account(context)
        let records = try await store.read { try $0.scanJSON(OIDCProviderRecord.self, IAMKeys.oidcProviders, prefix: account + "/") }
        return ListOpenIDConnectProvidersOutput(OpenIDConnectProviderList: records.map { OIDCProviderListEntry(Arn: $0.value.Arn) })
    }

    @Sendable func deleteOpenIDConnectProvider(_ input: OIDCProviderArnInput, context: RequestContext) async throws -> EmptyShape {
        let arn = input.OpenIDConnectProviderArn
        let key = try oidcKey(arn, context)
        try await store.write { tx in
            guard try tx.get(IAMKeys.oidcProviders, key) != nil else { throw Self.noSuchOIDCProvider(arn) }
            try tx.delete(IAMKeys.oidcProviders, key)
        }
        return EmptyShape()
    }

    // MARK: Client ids and thumbprints

    struct OIDCClientIDInput: Decodable, Sendable {
        var OpenIDConnectProviderArn: String
        var ClientID: String
    }

    /// Adding a client id the provider already has changes nothing, as in AWS.
    @Sendable func addClientIDToOpenIDConnectProvider(_ input: OIDCClientIDInput, context: RequestContext) async throws -> EmptyShape {
        let id = input.ClientID
        _ = try Self.validatedClientIDs([id])
        try await updateOIDCProvider(input.OpenIDConnectProviderArn, context) { record in
            guard !record.ClientIDList.contains(id) else { return }
            record.ClientIDList = try Self.validatedClientIDs(record.ClientIDList + [id])
        }
        return EmptyShape()
    }

    /// Removing a client id the provider does not have is not an error, as in AWS.
    @Sendable func removeClientIDFromOpenIDConnectProvider(_ input: OIDCClientIDInput, context: RequestContext) async throws -> EmptyShape {
        let id = input.ClientID
        try await updateOIDCProvider(input.OpenIDConnectProviderArn, context) { record in
            record.ClientIDList.removeAll { $0 == id }
        }
        return EmptyShape()
    }

    struct UpdateThumbprintInput: Decodable, Sendable {
        var OpenIDConnectProviderArn: String
        var ThumbprintList: [String]
    }

    @Sendable func updateOpenIDConnectProviderThumbprint(_ input: UpdateThumbprintInput, context: RequestContext) async throws -> EmptyShape {
        let thumbprints = try Self.validatedThumbprints(input.ThumbprintList)
        try await updateOIDCProvider(input.OpenIDConnectProviderArn, context) { record in
            record.ThumbprintList = thumbprints
        }
        return EmptyShape()
    }

    // MARK: Tags

    struct TagOIDCProviderInput: Decodable, Sendable {
        var OpenIDConnectProviderArn: String
        var Tags: [Tag]
    }

    @Sendable func tagOpenIDConnectProvider(_ input: TagOIDCProviderInput, context: RequestContext) async throws -> EmptyShape {
        let tags = input.Tags
        try await updateOIDCProvider(input.OpenIDConnectProviderArn, context) { record in
            let merged = try IAMValidation.tags(tags, existing: record.Tags ?? [])
            record.Tags = merged.isEmpty ? nil : merged
        }
        return EmptyShape()
    }

    struct UntagOIDCProviderInput: Decodable, Sendable {
        var OpenIDConnectProviderArn: String
        var TagKeys: [String]
    }

    @Sendable func untagOpenIDConnectProvider(_ input: UntagOIDCProviderInput, context: RequestContext) async throws -> EmptyShape {
        let keys = input.TagKeys
        try await updateOIDCProvider(input.OpenIDConnectProviderArn, context) { record in
            record.Tags = Self.removingTags(keys, from: record.Tags)
        }
        return EmptyShape()
    }

    @Sendable func listOpenIDConnectProviderTags(_ input: ListCredentialTagsInput, context: RequestContext) async throws -> CredentialTagPage {
        let arn = input.OpenIDConnectProviderArn ?? ""
        let key = try oidcKey(arn, context)
        guard let record = try await store.read({ try $0.getJSON(OIDCProviderRecord.self, IAMKeys.oidcProviders, key) }) else {
            throw Self.noSuchOIDCProvider(arn)
        }
        return try Self.tagPage(record.Tags ?? [], marker: input.Marker, maxItems: input.MaxItems)
    }
}
