//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import Foundation
public import NimbusCore
import Synchronization

/// The request's condition keys: `aws:SourceIp`, `s3:prefix`, `aws:RequestTag/…` …
///
/// Key names are case-insensitive, as in AWS; values are case-sensitive. A key may have several
/// values (`aws:TagKeys`). Keys the principal defines (`aws:username`, `aws:userid`,
/// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalTag/…`) always come
/// from the `PrincipalContext`; values set here for them are ignored, so a request cannot forge them.
public struct ConditionContext: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    struct Entry: Sendable, Hashable {
        var hash: UInt64
        var key: String
        /// As the caller spelled it.
        var name: String
        var values: [String]
    }

    /// Sorted by `hash`: a lookup is a cheap hash of the (precomputed) key and a binary search.
    private var entries: [Entry] = []

    public init() {}

    public init(_ values: [String: [String]]) {
        for (k, v) in values { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        for (k, v) in elements { self[k] = [v] }
    }

    /// All values of a key, or nil when the request does not have it.
    public subscript(key: String) -> [String]? {
        get { values(for: LookupKey(key)) }
        set {
            let lookup = LookupKey(key)
            if let newValue {
                set(lookup, name: key, newValue)
            } else if let exact = find(lookup, from: position(of: lookup)) {
                entries.remove(at: exact)
            }
        }
    }

    public mutating func set(_ key: String, _ value: String) { self[key] = [value] }

    /// Sets a key whose lookup form was computed once (the global keys every request has).
    mutating func set(_ lookup: LookupKey, name: String, _ values: [String]) {
        let index = position(of: lookup)
        if let exact = find(lookup, from: index) {
            entries[exact].values = values
            entries[exact].name = name
        } else {
            entries.insert(Entry(hash: lookup.hash, key: lookup.lowercased, name: name, values: values), at: index)
        }
    }

    /// The keys present, as the caller spelled them.
    public var keys: [String] { entries.map(\.name).sorted() }

    public var isEmpty: Bool { entries.isEmpty }

    /// The first entry whose hash is not less than `key.hash`.
    @inline(__always)
    private func position(of key: LookupKey) -> Int {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].hash < key.hash { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    @inline(__always)
    private func find(_ key: LookupKey, from start: Int) -> Int? {
        var i = start
        while i < entries.count, entries[i].hash == key.hash {
            if entries[i].key == key.lowercased { return i }
            i += 1
        }
        return nil
    }

    @inline(__always)
    func values(for key: LookupKey) -> [String]? {
        if entries.isEmpty { return nil }
        let start = position(of: key)
        guard let i = find(key, from: start) else { return nil }
        return entries[i].values
    }
}

/// A context key name, lowercased and hashed once (at compile time for policies).
struct LookupKey: Sendable, Hashable {
    let lowercased: String
    let hash: UInt64
    /// A key the principal defines (`aws:username`, `aws:PrincipalTag/…` …): only the principal answers it.
    let isPrincipalKey: Bool

    init(_ name: String) {
        lowercased = name.lowercased()
        isPrincipalKey = PrincipalContext.definedKeys.contains(lowercased) || lowercased.hasPrefix("aws:principaltag/")
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in lowercased.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        hash = h
    }
}

extension ConditionContext {
    /// The global keys every request has, from what the pipeline knows about it:
    /// `aws:SourceIp`, `aws:SecureTransport`, `aws:CurrentTime`, `aws:EpochTime`, `aws:UserAgent`,
    /// `aws:RequestedRegion`, `aws:ViaAWSService` (`false`: services acting for a caller set their own
    /// keys), and `aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge`.
    ///
    /// MFA keys follow AWS: present with the MFA age when MFA was used; `false` for temporary
    /// credentials without MFA; absent for long-term access keys.
    public static func global(for request: RequestContext) -> ConditionContext {
        var c = ConditionContext()
        // Every request builds this: keys are hashed once, arrays sized once, the time formatted once a second.
        c.entries.reserveCapacity(16)
        c.set(GlobalKey.sourceIp, name: "aws:SourceIp", [request.sourceIP])
        c.set(GlobalKey.secureTransport, name: "aws:SecureTransport", [request.isSecureTransport ? "true" : "false"])
        let now = request.receivedAt.timeIntervalSince1970
        let time = RenderedSecond.of(now)
        c.set(GlobalKey.currentTime, name: "aws:CurrentTime", [time.iso8601])
        c.set(GlobalKey.epochTime, name: "aws:EpochTime", [time.epoch])
        c.set(GlobalKey.userAgent, name: "aws:UserAgent", [request.userAgent])
        c.set(GlobalKey.requestedRegion, name: "aws:RequestedRegion", [request.region])
        c.set(GlobalKey.viaAWSService, name: "aws:ViaAWSService", ["false"])
        let principal = request.principal
        if let mfa = principal.mfaAuthenticatedAt {
            c.set(GlobalKey.mfaPresent, name: "aws:MultiFactorAuthPresent", ["true"])
            c.set(GlobalKey.mfaAge, name: "aws:MultiFactorAuthAge", [String(max(0, Int64((now - mfa.timeIntervalSince1970).rounded(.down))))])
        } else if principal.accessKeyID?.hasPrefix("ASIA") == true || principal.sessionIssuer != nil {
            c.set(GlobalKey.mfaPresent, name: "aws:MultiFactorAuthPresent", ["false"])
        }
        return c
    }

    private enum GlobalKey {
        static let sourceIp = LookupKey("aws:SourceIp")
        static let secureTransport = LookupKey("aws:SecureTransport")
        static let currentTime = LookupKey("aws:CurrentTime")
        static let epochTime = LookupKey("aws:EpochTime")
        static let userAgent = LookupKey("aws:UserAgent")
        static let requestedRegion = LookupKey("aws:RequestedRegion")
        static let viaAWSService = LookupKey("aws:ViaAWSService")
        static let mfaPresent = LookupKey("aws:MultiFactorAuthPresent")
        static let mfaAge = LookupKey("aws:MultiFactorAuthAge")
    }
}

/// `aws:CurrentTime` and `aws:EpochTime` of the current second, formatted once per second, not per request.
private struct RenderedSecond: Sendable {
    var second: Int64
    var iso8601: String
    var epoch: String

    private static let last = Mutex(RenderedSecond(second: .min, iso8601: "", epoch: ""))

    static func of(_ epochSeconds: Double) -> RenderedSecond {
        let second = Int64(epochSeconds.rounded(.down))
        if let hit = last.withLock({ $0.second == second ? $0 : nil }) { return hit }
        let rendered = RenderedSecond(second: second, iso8601: PolicyDate.iso8601(epochSeconds), epoch: String(second))
        last.withLock { $0 = rendered }
        return rendered
    }
}
