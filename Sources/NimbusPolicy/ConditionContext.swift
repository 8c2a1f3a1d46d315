//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import Foundation
public import NimbusCore

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
            let index = position(of: lookup)
            if index < entries.count, entries[index].hash == lookup.hash, let exact = find(lookup, from: index) {
                if let newValue {
                    entries[exact].values = newValue
                    entries[exact].name = key
                } else {
                    entries.remove(at: exact)
                }
            } else if let newValue {
                entries.insert(Entry(hash: lookup.hash, key: lookup.lowercased, name: key, values: newValue), at: index)
            }
        }
    }

    public mutating func set(_ key: String, _ value: String) { self[key] = [value] }

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
    /// `aws:RequestedRegion`, and `aws:MultiFactorAuthPresent` / `aws:MultiFactorAuthAge`.
    ///
    /// MFA keys follow AWS: present with the MFA age when MFA was used; `false` for temporary
    /// credentials without MFA; absent for long-term access keys.
    public static func global(for request: RequestContext) -> ConditionContext {
        var c = ConditionContext()
        c.set("aws:SourceIp", request.sourceIP)
        c.set("aws:SecureTransport", request.isSecureTransport ? "true" : "false")
        let now = request.receivedAt.timeIntervalSince1970
        c.set("aws:CurrentTime", PolicyDate.iso8601(now))
        c.set("aws:EpochTime", String(Int64(now.rounded(.down))))
        c.set("aws:UserAgent", request.userAgent)
        c.set("aws:RequestedRegion", request.region)
        let principal = request.principal
        if let mfa = principal.mfaAuthenticatedAt {
            c.set("aws:MultiFactorAuthPresent", "true")
            c.set("aws:MultiFactorAuthAge", String(max(0, Int64((now - mfa.timeIntervalSince1970).rounded(.down)))))
        } else if principal.accessKeyID?.hasPrefix("ASIA") == true || principal.sessionIssuer != nil {
            c.set("aws:MultiFactorAuthPresent", "false")
        }
        return c
    }
}
