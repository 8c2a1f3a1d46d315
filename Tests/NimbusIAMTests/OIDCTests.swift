//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Testing

@testable import NimbusIAM

@Suite struct OIDCTests {
    static let account = IAMHarness.account
    static let thumbprint = String(repeating: "a1", count: 20)

    @Test func lifecycle() async throws {
        let iam = IAMHarness.credentials()
        let created = try await iam.ok("CreateOpenIDConnectProvider", [
            "Url": "https://token.actions.githubusercontent.com",
            "ClientIDList.member.1": "sts.amazonaws.com",
            "ThumbprintList.member.1": Self.thumbprint,
            "Tags.member.1.Key": "team", "Tags.member.1.Value": "ci",
        ])
        let arn = try #require(created["OpenIDConnectProviderArn"])
        #expect(arn == "arn:aws:iam::\(Self.account):oidc-provider/token.actions.githubusercontent.com")
        #expect(try await iam.call("CreateOpenIDConnectProvider", ["Url": "https://token.actions.githubusercontent.com"]).errorCode == "EntityAlreadyExists")

        let got = try await iam.ok("GetOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn])
        #expect(got["Url"] == "token.actions.githubusercontent.com")
        #expect(got.texts("member").contains("sts.amazonaws.com"))
        #expect(try await iam.ok("ListOpenIDConnectProviders").texts("Arn") == [arn])

        try await iam.ok("AddClientIDToOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn, "ClientID": "my-app"])
        try await iam.ok("AddClientIDToOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn, "ClientID": "my-app"])
        var info = try #require(try await iam.service.oidcProvider(arn: arn))
        #expect(info.clientIDs == ["sts.amazonaws.com", "my-app"])
        #expect(info.url == "https://token.actions.githubusercontent.com")
        try await iam.ok("RemoveClientIDFromOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn, "ClientID": "sts.amazonaws.com"])
        try await iam.ok("RemoveClientIDFromOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn, "ClientID": "never-added"])
        let other = String(repeating: "b2", count: 20)
        try await iam.ok("UpdateOpenIDConnectProviderThumbprint", ["OpenIDConnectProviderArn": arn, "ThumbprintList.member.1": other])
        info = try #require(try await iam.service.oidcProvider(arn: arn))
        #expect(info.clientIDs == ["my-app"])
        #expect(info.thumbprints == [other])

        try await iam.ok("TagOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn, "Tags.member.1.Key": "env", "Tags.member.1.Value": "prod"])
        #expect(try await iam.ok("ListOpenIDConnectProviderTags", ["OpenIDConnectProviderArn": arn]).texts("Key") == ["team", "env"])
        try await iam.ok("UntagOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn, "TagKeys.member.1": "team"])
        #expect(try await iam.ok("ListOpenIDConnectProviderTags", ["OpenIDConnectProviderArn": arn]).texts("Key") == ["env"])

        try await iam.ok("DeleteOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn])
        let gone = try await iam.call("GetOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn])
        #expect(gone.errorCode == "NoSuchEntity")
        #expect(gone.errorMessage == "OpenIDConnect Provider not found for arn \(arn)")
        #expect(try await iam.service.oidcProvider(arn: arn) == nil)
    }

    @Test func badInput() async throws {
        let iam = IAMHarness.credentials()
        for url in ["http://example.com", "https://", "https://exa mple.com", "https://example.com?x=1", "https://user@example.com", "ftp://x", "example.com"] {
            #expect(try await iam.call("CreateOpenIDConnectProvider", ["Url": url]).status == 400, "\(url)")
        }
        #expect(try await iam.call("CreateOpenIDConnectProvider", ["Url": "https://a.example", "ThumbprintList.member.1": "zz"]).status == 400)
        #expect(try await iam.call("CreateOpenIDConnectProvider", ["Url": "https://a.example", "ThumbprintList.member.1": String(repeating: "z", count: 40)]).status == 400)
        let six = (1...6).map { ("ThumbprintList.member.\($0)", String(repeating: "\($0)", count: 40)) }
        #expect(try await iam.call("CreateOpenIDConnectProvider", pairs: [("Url", "https://a.example")] + six).status == 400)
        #expect(try await iam.ok("ListOpenIDConnectProviders").texts("Arn").isEmpty)

        for arn in ["not-an-arn-at-all-really", "arn:aws:iam::123:oidc-provider/x", "arn:aws:iam::\(Self.account):user/bob", "arn:aws:iam::\(Self.account):oidc-provider/"] {
            #expect(try await iam.call("GetOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn]).errorCode == "InvalidInput", "\(arn)")
        }
        #expect(try await iam.call("GetOpenIDConnectProvider", ["OpenIDConnectProviderArn": "arn:aws:iam::\(Self.account):oidc-provider/missing.example"]).errorCode == "NoSuchEntity")
        // Another account's provider is not the caller's.
        let created = try await iam.ok("CreateOpenIDConnectProvider", ["Url": "https://a.example"])
        let arn = try #require(created["OpenIDConnectProviderArn"])
        #expect(try await iam.call("DeleteOpenIDConnectProvider", ["OpenIDConnectProviderArn": arn], as: .root(of: "999988887777")).errorCode == "NoSuchEntity")
    }
}
