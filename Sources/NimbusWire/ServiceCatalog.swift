//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

/// The registered services, and which one a request is for.
public struct ServiceCatalog: Sendable {
    public let models: [ServiceModel]
    /// Every model of a signing name, in registration order (the first is the default).
    private let bySigningName: [String: [Int]]
    private let byTargetPrefix: [String: Int]
    private let byEndpointPrefix: [String: Int]
    private let s3Index: Int?
    private let s3ControlIndex: Int?

    public init(models: [ServiceModel]) {
        self.models = models
        var signing: [String: [Int]] = [:], target: [String: Int] = [:], endpoint: [String: Int] = [:]
        for (i, m) in models.enumerated() {
            signing[m.signingName, default: []].append(i)
            if let prefix = m.targetPrefix { target[prefix] = i }
            if endpoint[m.endpointPrefix] == nil { endpoint[m.endpointPrefix] = i }
        }
        bySigningName = signing
        byTargetPrefix = target
        byEndpointPrefix = endpoint
        s3Index = endpoint["s3"]
        s3ControlIndex = endpoint["s3-control"]
    }

    /// The model registered under a signing name, e.g. `sts`.
    public subscript(signingName name: String) -> ServiceModel? { bySigningName[name].map { models[$0[0]] } }

    /// Identifies the service from, in order: `X-Amz-Target`, the signing scope's service, the Host
    /// header (`s3.localhost`, `bucket.s3.localhost`, `sts.us-east-1.localhost`), the `Action` and
    /// `Version` parameters; unsigned REST-looking requests fall back to S3 when it is registered.
    /// A request signed for a service that is not registered identifies nothing.
    ///
    /// - Parameter signingService: the service from the SigV4 credential scope or presigned query, if any.
    public func identify(_ request: WireRequest, signingService: String?) -> ServiceModel? {
        // S3 Control shares S3's signing name; its paths are versioned and it names the account in a header.
        if let s3ControlIndex, request.path.hasPrefix("/v20180820/"), request.header("x-amz-account-id") != nil {
            return models[s3ControlIndex]
        }
        if let target = request.header("X-Amz-Target"), let dot = target.lastIndex(of: "."),
            let i = byTargetPrefix[String(target[..<dot])]
        {
            return models[i]
        }
        if let signingService, let candidates = bySigningName[signingService] {
            // Several services can share a signing name; the Action/Version or host picks among them.
            if candidates.count == 1 { return models[candidates[0]] }
            if let picked = byQueryParameters(request, among: candidates) { return models[picked] }
            return models[candidates[0]]
        }
        // Signed for a service that is not registered: not S3's to answer either.
        if signingService != nil { return nil }
        if let host = request.host, let i = byHost(host) { return models[i] }
        if let picked = byQueryParameters(request, among: Array(models.indices)) { return models[picked] }
        if let s3Index, request.header("X-Amz-Target") == nil { return models[s3Index] }
        return nil
    }

    private func byHost(_ host: String) -> Int? {
        let labels = Self.hostLabels(host)
        if labels.contains(where: { Self.isS3Label($0) || Self.isWebsiteLabel($0) }), s3Index != nil { return s3Index }
        guard let first = labels.first, labels.count > 1 else { return nil }
        return byEndpointPrefix[String(first)]
    }

    private func byQueryParameters(_ request: WireRequest, among candidates: [Int]) -> Int? {
        var params = (try? FormDecoding.pairs(request.query, limit: 10_000)) ?? []
        let contentType = request.header("Content-Type")?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            params += (try? FormDecoding.pairs(request.body, limit: 10_000)) ?? []
        }
        guard let action = params.first(where: { $0.0 == "Action" })?.1 else { return nil }
        let version = params.first(where: { $0.0 == "Version" })?.1
        let queryish = candidates.filter {
            switch models[$0].protocol {
            case .query, .ec2: true
            default: false
            }
        }
        if let version {
            if let exact = queryish.first(where: { models[$0].apiVersion == version && models[$0].operations[action] != nil }) { return exact }
            if let v = queryish.first(where: { models[$0].apiVersion == version }) { return v }
        }
        return queryish.first { models[$0].operations[action] != nil }
    }

    /// Every request's host is read here (to identify it, and for S3's bucket), so by bytes: searching the
    /// `Character`s of the host for its port was most of routing an S3 GET.
    private static func hostLabels(_ host: String) -> [Substring] {
        var h = Substring(host)
        if h.utf8.first == UInt8(ascii: "[") { return [] }  // an IPv6 literal
        if let colon = h.utf8.lastIndex(of: UInt8(ascii: ":")) { h = h[..<colon] }
        return h.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { Substring($0) }
    }

    private static func isS3Label(_ label: Substring) -> Bool { label.equalsASCIICaseInsensitive("s3") }

    /// `s3-website`, or `s3-website-us-east-1` (the older form of a website endpoint's region).
    private static func isWebsiteLabel(_ label: Substring) -> Bool {
        label.utf8.count >= 10 && label.prefix(10).equalsASCIICaseInsensitive("s3-website")
            && (label.utf8.count == 10 || label.utf8.dropFirst(10).first == UInt8(ascii: "-"))
    }

    /// Whether `host` has `-website`, in any case, anywhere.
    private static func mayHaveWebsiteLabel(_ host: String) -> Bool {
        let pattern = Array("-website".utf8)
        var matched = 0
        for b in host.utf8 {
            matched = b | 0x20 == pattern[matched] | 0x20 ? matched + 1 : (b == pattern[0] ? 1 : 0)
            if matched == pattern.count { return true }
        }
        return false
    }

    /// Whether `host` has an `s3` or `S3` anywhere, which every `s3` label has.
    private static func mayHaveS3Label(_ host: String) -> Bool {
        var previous: UInt8 = 0
        for b in host.utf8 {
            if b == UInt8(ascii: "3"), previous | 0x20 == UInt8(ascii: "s") { return true }
            previous = b
        }
        return false
    }

    /// The bucket of a virtual-hosted–style S3 host: `photos.s3.localhost:4566` → `photos`,
    /// `my.bucket.s3.us-east-1.localhost` → `my.bucket`; nil for `s3.localhost` and other hosts.
    public static func virtualHostedBucket(host: String) -> String? {
        // Most hosts (`localhost:4566`, `127.0.0.1:4566`) have no `s3` label at all: told without splitting them.
        guard mayHaveS3Label(host) else { return nil }
        let labels = hostLabels(host)
        guard let s3 = labels.lastIndex(where: isS3Label), s3 > 0 else { return nil }
        let bucket = labels[..<s3].joined(separator: ".")
        return bucket.isEmpty ? nil : bucket
    }

    /// The bucket of an S3 website endpoint's host: `site.s3-website.localhost:4566`,
    /// `site.s3-website-us-east-1.localhost` or `site.s3-website.us-east-1.localhost` → `site`; nil for others.
    public static func websiteBucket(host: String) -> String? {
        // Every S3 request's host is asked (a website endpoint is answered before routing): told without
        // splitting it for all but the hosts that have `-website` (a website label has) somewhere.
        guard mayHaveWebsiteLabel(host) else { return nil }
        let labels = hostLabels(host)
        guard let website = labels.lastIndex(where: isWebsiteLabel), website > 0 else { return nil }
        return labels[..<website].joined(separator: ".")
    }
}
