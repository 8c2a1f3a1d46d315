//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation
public import NimbusCore
public import NimbusStorage
import Synchronization

/// The CloudTrail event history of every account: durable recording, lookup, retention.
///
/// ``record(_:)`` is one group-committed ``MetadataStore/write(_:)`` of one journal entry: it
/// returns once the event is on disk, and concurrent calls share commits. Everything expensive
/// (rendering, key building) happens before the write, so the store's writer only copies bytes.
///
/// ``indexJournal()`` later moves journal entries, hundreds per transaction, to where lookups find
/// them. Writing an event's ten or so keys at once cost the writer about nine dirty pages per event,
/// because each key lands in a different part of the B-tree; appending one journal entry costs a
/// fraction of a page, and a batch of events shares the pages its keys touch. Lookups index the
/// journal first, so an event is found as soon as its call is answered; a start indexes whatever a
/// crash left in the journal.
///
/// Layout (every key component percent-escapes `%` and `/`):
/// - `audit.journal` `<ms>/<account>/<eventID>` → the index keys as a JSON array, a newline, the CloudTrail JSON record
/// - `audit.event`  `<account>/<inverted ms>/<eventID>` → the CloudTrail JSON record
/// - `audit.index`  `<account>/<attribute>/<value>/<inverted ms>/<eventID>` → empty, one per lookup attribute value
/// - `audit.expiry` `<ms>/<account>/<eventID>` → the index keys as a JSON array, for retention
///
/// The inverted time (`9999999999999 − ms since 1970`, 13 digits) sorts newest first, so every
/// lookup, with or without an attribute, is one forward range scan of at most `maxResults + 1` keys.
public final class AuditLog: Sendable {
    static let eventNamespace = "audit.event"
    static let indexNamespace = "audit.index"
    static let expiryNamespace = "audit.expiry"
    static let journalNamespace = "audit.journal"
    /// Journal entries moved per transaction, so that indexing never holds the writer long.
    static let indexBatchSize = 256
    /// Events deleted per transaction while purging, so a large purge never holds the writer long.
    static let purgeBatchSize = 500

    private let store: any MetadataStore
    private let clock: WallClock
    /// How long events are kept; CloudTrail's event history keeps 90 days.
    public let retention: TimeInterval
    private let tokenKey: RootKey
    /// Set when an event was journaled since the last ``indexJournal(onlyIfRecorded:)`` began; set at
    /// first, so that a start indexes what the last run left behind.
    private let journaled = Atomic<Bool>(true)

    /// - Parameters:
    ///   - tokenKey: Seals pagination tokens. Pass the server's root key so that tokens outlive a
    ///     restart; the default ephemeral key makes them valid for this process only.
    public init(store: any MetadataStore, clock: WallClock, retention: TimeInterval = 90 * 86_400, tokenKey: RootKey = .ephemeral()) {
        self.store = store
        self.clock = clock
        self.retention = retention
        self.tokenKey = tokenKey
    }

    // MARK: Recording

    /// Stores `event`; when this returns, the event is durable.
    public func record(_ event: AuditEvent) async throws {
        let keys = EventKeys(event)
        // A JSON array of the index keys (what `purgeExpired` deletes), as JSONEncoder wrote it before.
        let json = event.cloudTrailJSONBytes
        var entry = JSONValue.compactJSONBytes(strings: keys.indexKeys)
        entry.reserveCapacity(entry.count + 1 + json.count)
        entry.append(UInt8(ascii: "\n"))
        entry.append(contentsOf: json)
        try await store.write { [entry] writer in
            try writer.put(Self.journalNamespace, keys.expiryKey, entry)
        }
        journaled.store(true, ordering: .releasing)
    }

    // MARK: Indexing

    /// Moves every journaled event to where lookups and retention find it; returns how many it moved.
    ///
    /// - Parameter onlyIfRecorded: Skip the transaction when nothing was recorded since the last call
    ///   (the background indexer's case). Lookups pass `false`: a call indexing concurrently may not
    ///   have committed yet, and a write queued after it sees what it moved.
    @discardableResult
    public func indexJournal(onlyIfRecorded: Bool = false) async throws -> Int {
        let recorded = journaled.exchange(false, ordering: .acquiringAndReleasing)
        if onlyIfRecorded, !recorded { return 0 }
        var moved = 0
        do {
            while true {
                let count = try await store.write { writer in
                    let entries = try writer.scan(Self.journalNamespace, prefix: "", after: nil, reverse: false, limit: Self.indexBatchSize)
                    for entry in entries {
                        try Self.index(journalKey: entry.key, entry.value, into: writer)
                        try writer.delete(Self.journalNamespace, entry.key)
                    }
                    return entries.count
                }
                moved += count
                if count < Self.indexBatchSize { return moved }
            }
        } catch {
            // What is left stays in the journal; the next call tries again.
            journaled.store(true, ordering: .releasing)
            throw error
        }
    }

    /// Writes one journal entry's event, index and expiry keys.
    private static func index(journalKey: String, _ entry: [UInt8], into writer: any StoreWriter) throws {
        // The expiry key is `<ms>/<account>/<eventID>`; the event key is `<account>/<inverted ms>/<eventID>`.
        let parts = journalKey.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let millis = Int64(parts[0]), let newline = entry.firstIndex(of: UInt8(ascii: "\n")) else {
            // Not written by `record`: nothing can find it, and keeping it would stop nothing.
            return
        }
        let keysJSON = Array(entry[..<newline])
        let indexKeys = (try? JSONDecoder().decode([String].self, from: Data(keysJSON))) ?? []
        try writer.put(Self.eventNamespace, "\(parts[1])/\(invertedTime(millis))/\(parts[2])", Array(entry[(newline + 1)...]))
        for key in indexKeys { try writer.put(Self.indexNamespace, key, []) }
        try writer.put(Self.expiryNamespace, journalKey, keysJSON)
    }

    // MARK: Lookup

    /// One page of events of one account, newest first.
    ///
    /// - Throws: `AWSError` `InvalidMaxResultsException`, `InvalidTimeRangeException`,
    ///   `InvalidLookupAttributesException` or `InvalidNextTokenException`, as CloudTrail's `LookupEvents` does.
    public func lookup(_ query: LookupQuery) async throws -> LookupPage {
        guard (1...50).contains(query.maxResults) else { throw AWSError.invalidMaxResults }
        if let start = query.startTime, let end = query.endTime, start > end { throw AWSError.invalidTimeRange }
        if let attribute = query.attribute, attribute.value.isEmpty || attribute.value.utf8.count > 2000 {
            throw AWSError.invalidLookupAttributes("AttributeValue must be between 1 and 2000 characters long.")
        }
        // Compare whole seconds, as the rendered eventTime does: 17:00:00.7 is within an EndTime of 17:00:00.
        let lowest = query.startTime.map { clampedMilliseconds($0.timeIntervalSince1970.rounded(.up) * 1000) } ?? 0
        let highest = query.endTime.map { clampedMilliseconds($0.timeIntervalSince1970.rounded(.down) * 1000 + 999) }
        let filter = TokenPayload.Filter(attribute: query.attribute, lowest: lowest, highest: highest)
        let account = escape(query.recipientAccountId)
        let namespace: String
        let prefix: String
        if let attribute = query.attribute {
            namespace = Self.indexNamespace
            prefix = "\(account)/\(attribute.key.rawValue)/\(escape(attribute.normalizedValue))/"
        } else {
            namespace = Self.eventNamespace
            prefix = "\(account)/"
        }
        var after: String?
        if let token = query.nextToken {
            let payload = try openToken(token, account: query.recipientAccountId)
            guard payload.filter == filter else { throw AWSError.invalidNextToken }
            after = prefix + payload.position
        } else if let highest {
            // Strictly below every key of `highest`'s millisecond, above every newer one.
            after = prefix + invertedTime(highest)
        }
        let limit = query.maxResults
        try await indexJournal()
        let (records, lastPosition) = try await store.read { [after] reader in
            var records: [AuditRecord] = []
            var lastPosition: String?
            let entries = try reader.scan(namespace, prefix: prefix, after: after, reverse: false, limit: limit + 1)
            for entry in entries {
                let position = String(entry.key.utf8.dropFirst(prefix.utf8.count)) ?? ""
                guard let millis = millisecondsFromPosition(position), millis >= lowest else { break }
                // One more matching event exists: the page is full and a next page follows.
                if records.count == limit { return (records, lastPosition) }
                let eventKey = "\(account)/\(position)"
                guard let json = try reader.get(Self.eventNamespace, eventKey) else { continue }
                records.append(try AuditRecord(json: json))
                lastPosition = position
            }
            return (records, nil)
        }
        let nextToken = try lastPosition.map { try sealToken(TokenPayload(filter: filter, position: $0), account: query.recipientAccountId) }
        return LookupPage(records: records, nextToken: nextToken)
    }

    // MARK: Retention

    /// Deletes every event older than ``retention``; returns how many were deleted.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        let cutoff = milliseconds(clock.now.addingTimeInterval(-retention))
        try await indexJournal()
        var purged = 0
        while true {
            let count = try await store.write { writer in
                let entries = try writer.scan(Self.expiryNamespace, prefix: "", after: nil, reverse: false, limit: Self.purgeBatchSize)
                var count = 0
                for entry in entries {
                    guard let millis = Int64(entry.key.prefix(13)), millis < cutoff else { break }
                    let indexKeys = (try? JSONDecoder().decode([String].self, from: Data(entry.value))) ?? []
                    for key in indexKeys { try writer.delete(Self.indexNamespace, key) }
                    // The expiry key is `<ms>/<account>/<eventID>`; the event key is `<account>/<inverted ms>/<eventID>`.
                    let parts = entry.key.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
                    if parts.count == 3 {
                        try writer.delete(Self.eventNamespace, "\(parts[1])/\(invertedTime(millis))/\(parts[2])")
                    }
                    try writer.delete(Self.expiryNamespace, entry.key)
                    count += 1
                }
                return count
            }
            purged += count
            if count < Self.purgeBatchSize { return purged }
        }
    }

    // MARK: Tokens

    private func tokenContext(_ account: String) -> String { "nimbus.audit.lookup-token/\(account)" }

    private func sealToken(_ payload: TokenPayload, account: String) throws -> String {
        let sealed = try tokenKey.seal(Array(try JSONEncoder().encode(payload)), context: tokenContext(account))
        return Data(sealed).base64EncodedString()
    }

    /// Opens a token sealed for this account; anything else (forged, altered, another account's) is invalid.
    private func openToken(_ token: String, account: String) throws -> TokenPayload {
        guard
            let sealed = Data(base64Encoded: token),
            let plaintext = try? tokenKey.open(Array(sealed), context: tokenContext(account)),
            let payload = try? JSONDecoder().decode(TokenPayload.self, from: Data(plaintext)),
            payload.version == TokenPayload.currentVersion
        else { throw AWSError.invalidNextToken }
        return payload
    }
}

/// What a lookup asks for; mirrors CloudTrail's `LookupEvents` request.
public struct LookupQuery: Sendable, Hashable {
    /// Only this account's events are visible.
    public var recipientAccountId: String
    /// At most one attribute, as CloudTrail allows.
    public var attribute: LookupAttribute?
    /// Inclusive, compared to the second.
    public var startTime: Date?
    /// Inclusive, compared to the second.
    public var endTime: Date?
    /// 1 through 50.
    public var maxResults: Int
    /// The token of the previous page; it only works with the same account, attribute and times.
    public var nextToken: String?

    public init(
        recipientAccountId: String,
        attribute: LookupAttribute? = nil,
        startTime: Date? = nil,
        endTime: Date? = nil,
        maxResults: Int = 50,
        nextToken: String? = nil
    ) {
        self.recipientAccountId = recipientAccountId
        self.attribute = attribute
        self.startTime = startTime
        self.endTime = endTime
        self.maxResults = maxResults
        self.nextToken = nextToken
    }
}

/// CloudTrail's `LookupAttribute`: one key and the exact value to match.
public struct LookupAttribute: Sendable, Hashable {
    public enum Key: String, Sendable, Hashable, CaseIterable {
        case eventId = "EventId"
        case eventName = "EventName"
        case readOnly = "ReadOnly"
        case username = "Username"
        case resourceType = "ResourceType"
        case resourceName = "ResourceName"
        case eventSource = "EventSource"
        case accessKeyId = "AccessKeyId"
    }

    public var key: Key
    public var value: String

    public init(_ key: Key, _ value: String) {
        self.key = key
        self.value = value
    }

    /// `ReadOnly` matches `true`/`false` in any case; every other key matches exactly.
    var normalizedValue: String { key == .readOnly ? value.lowercased() : value }
}

/// One page of a lookup.
public struct LookupPage: Sendable {
    /// Newest first.
    public var records: [AuditRecord]
    /// Present when more events match; pass it in the next ``LookupQuery``.
    public var nextToken: String?

    public var events: [AuditEvent] { records.map(\.event) }
}

/// A stored event together with its record exactly as it was rendered when recorded.
public struct AuditRecord: Sendable {
    public var event: AuditEvent
    /// The CloudTrail JSON record, byte for byte as stored (LookupEvents' `CloudTrailEvent`).
    public var cloudTrailJSON: String

    init(json: [UInt8]) throws {
        event = try JSONDecoder().decode(AuditEvent.self, from: Data(json))
        cloudTrailJSON = String(decoding: json, as: UTF8.self)
    }
}

// MARK: - Keys

/// Every key one event is stored under.
struct EventKeys {
    var eventKey: String
    var indexKeys: [String]
    var expiryKey: String

    init(_ event: AuditEvent) {
        let account = escape(event.recipientAccountId)
        let eventID = escape(event.eventID)
        let millis = milliseconds(event.eventTime)
        var position = invertedTime(millis)
        position += "/"
        position += eventID
        eventKey = account + "/" + position
        expiryKey = thirteenDigits(millis) + "/" + account + "/" + eventID
        // A handful of keys: a linear check for duplicates beats hashing them.
        var keys: [String] = []
        keys.reserveCapacity(8)
        for (key, value) in event.lookupValues {
            var indexKey = account
            indexKey.reserveCapacity(account.utf8.count + value.utf8.count + position.utf8.count + 16)
            indexKey += "/"
            indexKey += key.rawValue
            indexKey += "/"
            indexKey += escape(value)
            indexKey += "/"
            indexKey += position
            if !keys.contains(indexKey) { keys.append(indexKey) }
        }
        indexKeys = keys
    }
}

extension AuditEvent {
    /// The (attribute, value) pairs a lookup can find this event by.
    var lookupValues: [(LookupAttribute.Key, String)] {
        var values: [(LookupAttribute.Key, String)] = [
            (.eventId, eventID),
            (.eventName, eventName),
            (.readOnly, readOnly ? "true" : "false"),
            (.eventSource, eventSource),
        ]
        if let username { values.append((.username, username)) }
        if let accessKeyId = userIdentity.accessKeyId { values.append((.accessKeyId, accessKeyId)) }
        for resource in resources ?? [] {
            values.append((.resourceType, resource.type))
            values.append((.resourceName, resource.arn))
            values.append((.resourceName, resource.name))
        }
        return values.filter { !$0.1.isEmpty }
    }
}

/// Milliseconds since 1970, clamped to what 13 digits hold (until the year 2286).
func milliseconds(_ date: Date) -> Int64 {
    clampedMilliseconds((date.timeIntervalSince1970 * 1000).rounded(.down))
}

/// `millis` clamped to 0…9999999999999, so that no client-supplied time can trap a conversion.
func clampedMilliseconds(_ millis: Double) -> Int64 {
    guard !millis.isNaN else { return 0 }
    return Int64(max(0, min(millis, 9_999_999_999_999)))
}

/// 13 digits that sort newest first.
func invertedTime(_ millis: Int64) -> String {
    thirteenDigits(9_999_999_999_999 - millis)
}

/// `value` (0…9999999999999) zero-padded to 13 digits, so that byte order is numeric order.
func thirteenDigits(_ value: Int64) -> String {
    var remaining = max(0, min(value, 9_999_999_999_999))
    return String(unsafeUninitializedCapacity: 13) { buffer in
        for i in stride(from: 12, through: 0, by: -1) {
            buffer[i] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
        return 13
    }
}

/// The event time of a `<inverted ms>/<eventID>` position.
func millisecondsFromPosition(_ position: String) -> Int64? {
    Int64(position.prefix(13)).map { 9_999_999_999_999 - $0 }
}

/// Percent-escapes `%` and `/`, so that a value never spans key components.
func escape(_ component: String) -> String {
    guard component.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }) else { return component }
    var escaped = ""
    for character in component {
        switch character {
        case "%": escaped += "%25"
        case "/": escaped += "%2F"
        default: escaped.append(character)
        }
    }
    return escaped
}

/// What a pagination token carries: the filters it was issued for and where the page ended.
struct TokenPayload: Codable, Equatable {
    static let currentVersion = 1

    /// The query's filters as the lookup applies them (times as millisecond bounds).
    struct Filter: Codable, Equatable {
        var attributeKey: String?
        var attributeValue: String?
        var lowest: Int64
        var highest: Int64?

        init(attribute: LookupAttribute?, lowest: Int64, highest: Int64?) {
            attributeKey = attribute?.key.rawValue
            attributeValue = attribute?.normalizedValue
            self.lowest = lowest
            self.highest = highest
        }
    }

    var version = currentVersion
    var filter: Filter
    /// `<inverted ms>/<eventID>` of the last event returned.
    var position: String
}
