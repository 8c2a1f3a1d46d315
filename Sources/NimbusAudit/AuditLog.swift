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
/// ``record(_:)`` appends the CloudTrail record to the ``EventLog``, group-committed: it returns once
/// the record is on disk, and concurrent calls share one write and one fsync. Everything expensive
/// (rendering, key building) happens before, so the log's writer only copies bytes.
///
/// ``indexPending(onlyIfRecorded:)`` later writes what lookups and retention need to the store, for
/// hundreds of events per transaction: every 100 ms in the server, before every lookup (so an
/// answered call is found at once), and at start (what a crash left unindexed, read back from the log
/// after the checkpoint). Before the log, each event wrote its record and ten or so keys, each in a
/// different part of the B-tree, in the request's own commit: ~50 KB of disk writes per request.
///
/// Layout in the store (every key component percent-escapes `%` and `/`):
/// - `audit.event`  `<account>/<inverted ms>/<eventID>` → `@<file>:<offset>:<length>`, the record's place in
///   the log (or, for an event stored before the log existed, the record itself, which starts with `{`)
/// - `audit.index`  `<account>/<attribute>/<value>/<inverted ms>/<eventID>` → empty, one per lookup attribute value
/// - `audit.expiry` `<ms>/<account>/<eventID>` → the index keys as a JSON array, for retention
/// - `audit.log`    `checkpoint` → `<file>:<end>`: every record before it is indexed
///
/// The inverted time (`9999999999999 − ms since 1970`, 13 digits) sorts newest first, so every
/// lookup, with or without an attribute, is one forward range scan of at most `maxResults + 1` keys.
public final class AuditLog: Sendable {
    static let eventNamespace = "audit.event"
    static let indexNamespace = "audit.index"
    static let expiryNamespace = "audit.expiry"
    /// Records read back from the log per transaction (after a crash, or an index lost with the database).
    static let recoveryBatchSize = 1_000
    static let logNamespace = "audit.log"
    static let checkpointKey = "checkpoint"
    /// Events deleted per transaction while purging, so a large purge never holds the writer long.
    static let purgeBatchSize = 500

    private let store: any MetadataStore
    private let clock: WallClock
    /// How long events are kept; CloudTrail's event history keeps 90 days.
    public let retention: TimeInterval
    private let tokenKey: RootKey
    /// How many events are kept at most; nil keeps every event for ``retention``.
    public let maxEvents: Int?
    /// Events this process indexed, less those it trimmed (for ``maxEvents``).
    private let indexedCount = Atomic<Int>(0)
    /// Set while a trim runs. Trims side by side (the background indexer's and lookups') each computed the
    /// same excess and deleted it, down to no events at all.
    private let trimming = Atomic<Bool>(false)
    private let log: EventLog
    /// Whether the next indexing reads the log after the checkpoint: at first (what the last run left
    /// unindexed), and after an indexing transaction failed (the records it had taken).
    private let mustReadLog = Atomic<Bool>(true)

    /// - Parameters:
    ///   - tokenKey: Seals pagination tokens. Pass the server's root key so that tokens outlive a
    ///     restart; the default ephemeral key makes them valid for this process only.
    ///   - events: Where the records are kept: a ``DirectoryEventLogMedium`` next to a durable store,
    ///     memory otherwise.
    ///   - maxEvents: Keep at most about this many events, the newest (an ephemeral server, whose
    ///     history is in memory and begins with the process); nil keeps all of them for `retention`.
    public convenience init(
        store: any MetadataStore,
        clock: WallClock,
        retention: TimeInterval = 90 * 86_400,
        tokenKey: RootKey = .ephemeral(),
        events: any EventLogMedium = MemoryEventLogMedium(),
        maxEvents: Int? = nil
    ) throws {
        try self.init(store: store, clock: clock, retention: retention, tokenKey: tokenKey, events: events, maxEvents: maxEvents, maxEventFileSize: nil)
    }

    /// - Parameter maxEventFileSize: How large the event log's files grow (tests make it small).
    package init(
        store: any MetadataStore,
        clock: WallClock,
        retention: TimeInterval = 90 * 86_400,
        tokenKey: RootKey = .ephemeral(),
        events: any EventLogMedium,
        maxEvents: Int?,
        maxEventFileSize: Int64?
    ) throws {
        self.store = store
        self.clock = clock
        self.retention = retention
        self.tokenKey = tokenKey
        self.maxEvents = maxEvents
        self.log = try EventLog(medium: events, clock: clock, maxFileSize: maxEventFileSize ?? EventLog.defaultMaxFileSize)
    }

    // MARK: Recording

    /// Stores `event`; when this returns, the event is durable.
    public func record(_ event: AuditEvent) async throws {
        let keys = EventKeys(event)
        try await log.append(event.cloudTrailJSONBytes, keys: keys)
    }

    /// Gets the log ready for the first record in the background (a server calls this as it starts), so
    /// that the first request does not wait for a new file's fsyncs.
    public func prepareForRecording() {
        log.prepareFile()
    }

    // MARK: Indexing

    /// Writes the index entries of every durable record not indexed yet; returns how many.
    ///
    /// - Parameter onlyIfRecorded: Skip the transaction when nothing is waiting (the background
    ///   indexer's case). Lookups pass `false`: an indexing transaction of another caller may not have
    ///   committed yet, and one queued after it sees what it indexed.
    @discardableResult
    public func indexPending(onlyIfRecorded: Bool = false) async throws -> Int {
        if onlyIfRecorded, !log.hasUnindexed, !mustReadLog.load(ordering: .acquiring) { return 0 }
        var indexed = 0
        while true {
            let (count, complete) = try await indexPendingOnce()
            indexed += count
            if complete { break }
        }
        // A tenth over the limit before trimming: trimming then deletes in batches, not event by event.
        if let maxEvents, indexedCount.add(indexed, ordering: .relaxed).newValue > maxEvents + maxEvents / 10 {
            try await trimToMaxEvents()
        }
        return indexed
    }

    /// One transaction of ``indexPending(onlyIfRecorded:)``; `complete` is false when records read back
    /// from the log were left for the next one.
    private func indexPendingOnce() async throws -> (count: Int, complete: Bool) {
        do {
            // The records are taken inside the transaction: the store runs writes one at a time, in
            // order, so the checkpoint only ever moves forward.
            return try await store.write { [self] writer in
                let checkpoint = try Self.checkpoint(writer)
                var fromLog: [(EventLocation, millis: Int64, [UInt8])] = []
                // Where the log was read up to, when it was read only in part: the checkpoint goes no
                // further, and the next transaction reads on from there.
                var readUpTo: (file: Int64, end: Int64)?
                if mustReadLog.exchange(false, ordering: .acquiringAndReleasing) {
                    let (records, complete) = try log.records(after: checkpoint, limit: Self.recoveryBatchSize)
                    fromLog = records
                    if !complete, let lastRead = records.last?.0 {
                        readUpTo = (lastRead.file, lastRead.end)
                        mustReadLog.store(true, ordering: .releasing)
                    }
                }
                // Records appended meanwhile wait while the log is read in part (they are in it, after
                // what was read); taken after the read, so each record is either read or taken, or both
                // and then indexed once.
                var entries = readUpTo == nil ? log.takeUnindexed() : []
                let taken = Set(entries.map(\.0))
                for (location, millis, record) in fromLog where !taken.contains(location) {
                    guard let event = try? AuditEvent(record: record) else { continue }
                    entries.append((location, EventKeys(event, millis: millis)))
                }
                guard !entries.isEmpty else { return (0, true) }
                var last = checkpoint
                for (location, eventKeys) in entries {
                    let keys = eventKeys.strings
                    try writer.put(Self.eventNamespace, keys.event, location.encoded)
                    for key in keys.index { try writer.put(Self.indexNamespace, key, []) }
                    // A JSON array of the index keys (what `purgeExpired` deletes), as JSONEncoder wrote it before.
                    try writer.put(Self.expiryNamespace, keys.expiry, JSONValue.compactJSONBytes(strings: keys.index))
                    if last.map({ ($0.file, $0.end) < (location.file, location.end) }) ?? true { last = (location.file, location.end) }
                }
                if let readUpTo { last = readUpTo }
                if let last { try writer.put(Self.logNamespace, Self.checkpointKey, Array("\(last.file):\(last.end)".utf8)) }
                return (entries.count, readUpTo == nil)
            }
        } catch {
            // What this call took is in the log after the checkpoint; the next call reads it from there.
            mustReadLog.store(true, ordering: .releasing)
            throw error
        }
    }

    /// Where indexing got to in the log.
    private static func checkpoint(_ reader: any StoreReader) throws -> (file: Int64, end: Int64)? {
        guard let value = try reader.get(logNamespace, checkpointKey) else { return nil }
        let parts = value.split(separator: UInt8(ascii: ":"))
        guard parts.count == 2, let file = Int64(String(decoding: parts[0], as: UTF8.self)),
            let end = Int64(String(decoding: parts[1], as: UTF8.self))
        else { return nil }
        return (file, end)
    }

    /// The record an `audit.event` value stands for: its place in the log, or (stored before the log) itself.
    private static func record(_ value: [UInt8], in log: EventLog) throws -> [UInt8]? {
        guard value.first == UInt8(ascii: "@") else { return value }
        // A damaged location finds nothing, as a removed file does.
        return try EventLocation(encoded: value).flatMap { try log.read($0) }
    }

    /// Forgets every event: for `POST /_nimbus/reset`, after the store was emptied.
    public func removeAll() throws {
        try log.removeAll()
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
        try await indexPending()
        let (records, lastPosition) = try await store.read { [after, log] reader in
            var records: [AuditRecord] = []
            var lastPosition: String?
            let entries = try reader.scan(namespace, prefix: prefix, after: after, reverse: false, limit: limit + 1)
            for entry in entries {
                let position = String(entry.key.utf8.dropFirst(prefix.utf8.count)) ?? ""
                guard let millis = millisecondsFromPosition(position), millis >= lowest else { break }
                // One more matching event exists: the page is full and a next page follows.
                if records.count == limit { return (records, lastPosition) }
                let eventKey = "\(account)/\(position)"
                guard let value = try reader.get(Self.eventNamespace, eventKey), let json = try Self.record(value, in: log) else { continue }
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
        try await indexPending()
        let purged = try await purgeOldest(limit: .max) { $0 < cutoff }
        // Only now: a file goes once no index entry points into it any more.
        try log.removeFiles(olderThan: cutoff)
        return purged.count
    }

    /// Deletes the oldest events beyond ``maxEvents`` (those this process indexed), oldest first.
    private func trimToMaxEvents() async throws {
        guard let maxEvents else { return }
        // Indexing that finds a trim running leaves the excess to it, or to the next one.
        guard trimming.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { trimming.store(false, ordering: .releasing) }
        let excess = indexedCount.load(ordering: .relaxed) - maxEvents
        guard excess > 0 else { return }
        let purged = try await purgeOldest(limit: excess) { _ in true }
        indexedCount.subtract(purged.count, ordering: .relaxed)
        try log.removeFiles(olderThan: purged.oldestLeft ?? milliseconds(clock.now))
    }

    /// Deletes events oldest first, while `isDue(ms)` holds and at most `limit` of them; returns how
    /// many, and the time of the oldest event left.
    private func purgeOldest(limit: Int, isDue: @escaping @Sendable (Int64) -> Bool) async throws -> (count: Int, oldestLeft: Int64?) {
        var purged = 0
        while true {
            let batch = min(Self.purgeBatchSize, limit - purged)
            let (count, oldestLeft, done) = try await store.write { writer in
                // One more than the batch: the first one left is the oldest time that stays.
                let entries = try writer.scan(Self.expiryNamespace, prefix: "", after: nil, reverse: false, limit: batch + 1)
                var count = 0
                for entry in entries {
                    guard let millis = Int64(entry.key.prefix(13)) else { continue }
                    guard isDue(millis) else { return (count, Optional(millis), true) }
                    guard count < batch else { return (count, Optional(millis), false) }
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
                return (count, nil, true)
            }
            purged += count
            if done || purged >= limit { return (purged, oldestLeft) }
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
        event = try AuditEvent(record: json)
        cloudTrailJSON = String(decoding: json, as: UTF8.self)
    }
}

// MARK: - Keys

/// Every key one event is stored under.
///
/// Made as the call is recorded: made by the background indexer instead, they let it fall behind under load. So
/// they go into one buffer (two allocations per event, where a `String` per key took 17 and 8 µs), and become
/// strings only in the indexer. Each key is its UTF-8 bytes after its length (`UInt32`, little-endian): the event
/// key, the expiry key, then the index keys.
struct EventKeys {
    private var bytes: [UInt8]
    /// The event's time as its keys have it: milliseconds since 1970 (the record's `eventTime` has seconds).
    var millis: Int64

    /// - Parameter millis: The time to key by; the event's own time when nil.
    init(_ event: borrowing AuditEvent, millis: Int64? = nil) {
        let millis = millis ?? milliseconds(event.eventTime)
        self.millis = millis
        let account = event.recipientAccountId.utf8
        let eventID = event.eventID.utf8
        // Room for every key unescaped; growing once for an escaped value is rare.
        var estimate = 2 * (account.count + eventID.count + 40)
        event.forEachLookupValue { key, value in estimate += account.count + key.rawValue.utf8.count + value.utf8.count + eventID.count + 24 }
        bytes = []
        bytes.reserveCapacity(estimate)
        // `<account>/<inverted ms>/<eventID>`
        appendKey { key in
            key.appendEscaped(account)
            key.append(UInt8(ascii: "/"))
            key.appendThirteenDigits(9_999_999_999_999 - millis)
            key.append(UInt8(ascii: "/"))
            key.appendEscaped(eventID)
        }
        // `<ms>/<account>/<eventID>`
        appendKey { key in
            key.appendThirteenDigits(millis)
            key.append(UInt8(ascii: "/"))
            key.appendEscaped(account)
            key.append(UInt8(ascii: "/"))
            key.appendEscaped(eventID)
        }
        let firstIndexKey = bytes.count
        // `<account>/<attribute>/<value>/<inverted ms>/<eventID>`
        event.forEachLookupValue { attribute, value in
            let start = bytes.count
            appendKey { key in
                key.appendEscaped(account)
                key.append(UInt8(ascii: "/"))
                key.append(contentsOf: attribute.rawValue.utf8)
                key.append(UInt8(ascii: "/"))
                key.appendEscaped(value.utf8)
                key.append(UInt8(ascii: "/"))
                key.appendThirteenDigits(9_999_999_999_999 - millis)
                key.append(UInt8(ascii: "/"))
                key.appendEscaped(eventID)
            }
            // A handful of keys: a linear check for duplicates beats hashing them.
            if Self.contains(bytes, from: firstIndexKey, before: start, keyAt: start) { bytes.removeSubrange(start...) }
        }
    }

    private mutating func appendKey(_ write: (inout [UInt8]) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: [0, 0, 0, 0] as [UInt8])
        write(&bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - start - 4)
        for i in 0..<4 { bytes[start + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(i))) }
    }

    /// The keys' byte ranges, in order.
    private var ranges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Self.length(bytes, at: offset)
            ranges.append((offset + 4)..<(offset + 4 + length))
            offset += 4 + length
        }
        return ranges
    }

    /// The length prefix at `offset`.
    private static func length(_ bytes: [UInt8], at offset: Int) -> Int {
        (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }

    /// Whether one of the length-prefixed keys in `bytes[from..<before]` equals the one at `keyAt`.
    private static func contains(_ bytes: [UInt8], from: Int, before: Int, keyAt: Int) -> Bool {
        let candidate = bytes[keyAt...]
        var offset = from
        while offset < before {
            let length = length(bytes, at: offset)
            if bytes[offset..<(offset + 4 + length)].elementsEqual(candidate) { return true }
            offset += 4 + length
        }
        return false
    }

    private func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The keys as strings: `<account>/<inverted ms>/<eventID>` where the event's location is kept,
    /// `<ms>/<account>/<eventID>` by which retention finds expired events, and
    /// `<account>/<attribute>/<value>/<inverted ms>/<eventID>` for each lookup attribute value, without duplicates.
    var strings: (event: String, expiry: String, index: [String]) {
        let ranges = ranges
        return (string(ranges[0]), string(ranges[1]), ranges.dropFirst(2).map(string))
    }
}

extension [UInt8] {
    /// Appends `component` with `%` and `/` percent-escaped (``escape(_:)``'s escaping).
    fileprivate mutating func appendEscaped(_ component: String.UTF8View) {
        // Runs between escapes go in whole: byte by byte, this was a sixth of recording an event.
        let appended: Void? = component.withContiguousStorageIfAvailable { appendEscaped($0) }
        if appended == nil { Array(component).withUnsafeBufferPointer { appendEscaped($0) } }
    }

    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var run = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "%") || bytes[i] == UInt8(ascii: "/") {
            append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
            append(contentsOf: bytes[i] == UInt8(ascii: "%") ? Self.escapedPercent : Self.escapedSlash)
            run = i + 1
        }
        append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
    }

    private static var escapedPercent: [UInt8] { [UInt8(ascii: "%"), UInt8(ascii: "2"), UInt8(ascii: "5")] }
    private static var escapedSlash: [UInt8] { [UInt8(ascii: "%"), UInt8(ascii: "2"), UInt8(ascii: "F")] }

    /// Appends `value` clamped to 0…9999999999999 and zero-padded to 13 digits, so that byte order is numeric order.
    fileprivate mutating func appendThirteenDigits(_ value: Int64) {
        var remaining = Swift.max(0, Swift.min(value, 9_999_999_999_999))
        let start = count
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 13))
        for i in stride(from: start + 12, through: start, by: -1) {
            self[i] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
    }
}

extension AuditEvent {
    /// Calls `body` with each non-empty (attribute, value) pair a lookup can find this event by.
    func forEachLookupValue(_ body: (LookupAttribute.Key, String) -> Void) {
        func visit(_ key: LookupAttribute.Key, _ value: String) { if !value.isEmpty { body(key, value) } }
        visit(.eventId, eventID)
        visit(.eventName, eventName)
        visit(.readOnly, readOnly ? "true" : "false")
        visit(.eventSource, eventSource)
        if let username { visit(.username, username) }
        if let accessKeyId = userIdentity.accessKeyId { visit(.accessKeyId, accessKeyId) }
        for resource in resources ?? [] {
            visit(.resourceType, resource.type)
            visit(.resourceName, resource.arn)
            visit(.resourceName, resource.name)
        }
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

/// `value` (0…9999999999999) zero-padded to 13 digits, as the event keys have it.
func thirteenDigits(_ value: Int64) -> String {
    var digits: [UInt8] = []
    digits.appendThirteenDigits(value)
    return String(decoding: digits, as: UTF8.self)
}

/// The event time of a `<inverted ms>/<eventID>` position.
func millisecondsFromPosition(_ position: String) -> Int64? {
    Int64(position.prefix(13)).map { 9_999_999_999_999 - $0 }
}

/// Percent-escapes `%` and `/`, so that a value never spans key components.
func escape(_ component: String) -> String {
    guard component.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }) else { return component }
    var escaped: [UInt8] = []
    escaped.appendEscaped(component.utf8)
    return String(decoding: escaped, as: UTF8.self)
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
