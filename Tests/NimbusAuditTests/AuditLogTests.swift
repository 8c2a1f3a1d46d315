//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
@testable import NimbusAudit
import NimbusCore
import NimbusStorage
import Testing

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    // @unchecked: `date` is only touched while `lock` is held.
    private let lock = NSLock()
    private var date: Date
    init(_ date: Date) { self.date = date }
    var wallClock: WallClock { WallClock { self.lock.withLock { self.date } } }
    func advance(by interval: TimeInterval) { lock.withLock { date.addTimeInterval(interval) } }
}

let accountA = "111122223333"
let accountB = "444455556666"
let base = Date(timeIntervalSince1970: 1_795_366_800)  // 2026-11-22T17:00:00Z

func makeEvent(
    account: String = accountA,
    at time: Date,
    name: String = "GetCallerIdentity",
    source: String = "sts.amazonaws.com",
    readOnly: Bool = true,
    user: String = "alice",
    accessKey: String = "AKIAALICE",
    resources: [AuditResource]? = nil,
    id: String = Identifiers.requestID()
) -> AuditEvent {
    AuditEvent(
        userIdentity: UserIdentity(
            type: "IAMUser",
            principalId: "AIDA\(user.uppercased())",
            arn: "arn:aws:iam::\(account):user/\(user)",
            accountId: account,
            accessKeyId: accessKey,
            userName: user
        ),
        eventTime: time,
        eventSource: source,
        eventName: name,
        awsRegion: "us-east-1",
        sourceIPAddress: "127.0.0.1",
        userAgent: "test",
        requestID: Identifiers.requestID(),
        eventID: id,
        readOnly: readOnly,
        resources: resources,
        recipientAccountId: account
    )
}

/// Every page of a lookup, following tokens.
func lookupAll(_ log: AuditLog, _ query: LookupQuery) async throws -> [AuditEvent] {
    var query = query
    var events: [AuditEvent] = []
    var pages = 0
    while true {
        let page = try await log.lookup(query)
        events += page.events
        pages += 1
        #expect(page.records.count <= query.maxResults)
        guard let token = page.nextToken else { return events }
        #expect(page.records.count == query.maxResults)
        query.nextToken = token
        if pages > 1000 {
            Issue.record("lookup does not end")
            return events
        }
    }
}

@Suite struct AuditLogTests {
    /// The keys are written into one buffer as bytes; they must be what the lookups build as strings.
    @Test func eventKeysAreTheKeysLookupsBuild() {
        let resources = [
            AuditResource(type: "AWS::S3::Object", arn: "arn:aws:s3:::bucket/a%2Fb/ü"),
            AuditResource(type: "AWS::S3::Bucket", arn: "bucket"),  // name == ARN: one key
            AuditResource(type: "AWS::S3::Object", arn: "arn:aws:s3:::bucket/c"),  // the type again: one key
        ]
        let event = makeEvent(at: base.addingTimeInterval(0.25), user: "x/y%z", resources: resources, id: "id/1%")
        let millis = milliseconds(event.eventTime)
        let position = invertedTime(millis) + "/" + escape(event.eventID)
        var expected: [String] = []
        for (key, value) in [
            ("EventId", "id/1%"), ("EventName", "GetCallerIdentity"), ("ReadOnly", "true"), ("EventSource", "sts.amazonaws.com"),
            ("Username", "x/y%z"), ("AccessKeyId", "AKIAALICE"),
            ("ResourceType", "AWS::S3::Object"), ("ResourceName", "arn:aws:s3:::bucket/a%2Fb/ü"), ("ResourceName", "ü"),
            ("ResourceType", "AWS::S3::Bucket"), ("ResourceName", "bucket"), ("ResourceName", "bucket"),
            ("ResourceType", "AWS::S3::Object"), ("ResourceName", "arn:aws:s3:::bucket/c"), ("ResourceName", "c"),
        ] {
            let indexKey = "\(accountA)/\(key)/\(escape(value))/\(position)"
            if !expected.contains(indexKey) { expected.append(indexKey) }
        }
        let keys = EventKeys(event).strings
        #expect(keys.event == "\(accountA)/\(position)")
        #expect(keys.expiry == "\(thirteenDigits(millis))/\(accountA)/id%2F1%25")
        #expect(keys.index == expected)
        #expect(keys.index.count == 13)  // 15 values, 2 of them repeated
        // The string helpers share the byte writers; what they write, spelled out.
        #expect(escape("x/y%z") == "x%2Fy%25z")
        #expect(escape("plain") == "plain")
        #expect(thirteenDigits(42) == "0000000000042")
        #expect(thirteenDigits(-5) == "0000000000000")
        #expect(thirteenDigits(99_999_999_999_999) == "9999999999999")
    }

    @Test func newestFirstWithFullRecords() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        let older = makeEvent(at: base, name: "First")
        let newer = makeEvent(at: base.addingTimeInterval(0.25), name: "Second")
        try await log.record(older)
        try await log.record(newer)
        let page = try await log.lookup(LookupQuery(recipientAccountId: accountA))
        #expect(page.events.map(\.eventName) == ["Second", "First"])
        #expect(page.nextToken == nil)
        #expect(page.records[0].cloudTrailJSON == newer.cloudTrailJSON)
        #expect(page.records[1].event.eventID == older.eventID)
    }

    @Test(arguments: LookupAttribute.Key.allCases)
    func lookupByAttribute(_ key: LookupAttribute.Key) async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        let bucket = AuditResource(type: "AWS::S3::Bucket", arn: "arn:aws:s3:::photos")
        let target = makeEvent(
            at: base,
            name: "CreateBucket",
            source: "s3.amazonaws.com",
            readOnly: false,
            user: "bob",
            accessKey: "AKIABOB",
            resources: [bucket]
        )
        try await log.record(target)
        for i in 0..<5 {
            try await log.record(
                makeEvent(
                    at: base.addingTimeInterval(Double(i)),
                    resources: [AuditResource(type: "AWS::IAM::User", arn: "arn:aws:iam::\(accountA):user/x\(i)")]
                )
            )
        }
        let value: String =
            switch key {
            case .eventId: target.eventID
            case .eventName: "CreateBucket"
            case .readOnly: "FALSE"
            case .username: "bob"
            case .resourceType: "AWS::S3::Bucket"
            case .resourceName: "photos"
            case .eventSource: "s3.amazonaws.com"
            case .accessKeyId: "AKIABOB"
            }
        let page = try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(key, value)))
        #expect(page.events.map(\.eventID) == [target.eventID])
        let none = try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(key, value + "x")))
        #expect(none.records.isEmpty)
    }

    @Test func resourceNameMatchesTheFullARNToo() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        let event = makeEvent(at: base, resources: [AuditResource(type: "AWS::IAM::User", arn: "arn:aws:iam::\(accountA):user/alice")])
        try await log.record(event)
        let byARN = try await log.lookup(
            LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.resourceName, "arn:aws:iam::\(accountA):user/alice"))
        )
        #expect(byARN.events.map(\.eventID) == [event.eventID])
    }

    @Test func valuesWithSlashesDoNotMatchTheirPrefixes() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        try await log.record(makeEvent(at: base, name: "a/b"))
        try await log.record(makeEvent(at: base, name: "a%2Fb"))
        try await log.record(makeEvent(at: base, name: "a"))
        for name in ["a", "a/b", "a%2Fb"] {
            let page = try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, name)))
            #expect(page.events.map(\.eventName) == [name])
        }
    }

    @Test func timeRangeIsInclusiveToTheSecond() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        for second in 0..<10 {
            try await log.record(makeEvent(at: base.addingTimeInterval(Double(second) + 0.5), name: "E\(second)"))
        }
        let page = try await log.lookup(
            LookupQuery(
                recipientAccountId: accountA,
                startTime: base.addingTimeInterval(3),
                endTime: base.addingTimeInterval(6)
            )
        )
        #expect(page.events.map(\.eventName) == ["E6", "E5", "E4", "E3"])
        let withAttribute = try await log.lookup(
            LookupQuery(
                recipientAccountId: accountA,
                attribute: LookupAttribute(.username, "alice"),
                startTime: base.addingTimeInterval(8),
                endTime: base.addingTimeInterval(100)
            )
        )
        #expect(withAttribute.events.map(\.eventName) == ["E9", "E8"])
        let onlyEnd = try await log.lookup(LookupQuery(recipientAccountId: accountA, endTime: base.addingTimeInterval(1)))
        #expect(onlyEnd.events.map(\.eventName) == ["E1", "E0"])
        let empty = try await log.lookup(LookupQuery(recipientAccountId: accountA, startTime: base.addingTimeInterval(50)))
        #expect(empty.records.isEmpty && empty.nextToken == nil)
    }

    @Test func invalidRequests() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        await #expect(throws: AWSError.invalidTimeRange) {
            try await log.lookup(LookupQuery(recipientAccountId: accountA, startTime: base, endTime: base.addingTimeInterval(-1)))
        }
        for maxResults in [0, 51, -1] {
            await #expect(throws: AWSError.invalidMaxResults) {
                try await log.lookup(LookupQuery(recipientAccountId: accountA, maxResults: maxResults))
            }
        }
        // Absurd times are clamped, never trapped on.
        let absurd = try await log.lookup(
            LookupQuery(
                recipientAccountId: accountA,
                startTime: Date(timeIntervalSince1970: -1e300),
                endTime: Date(timeIntervalSince1970: 1e300)
            )
        )
        #expect(absurd.records.isEmpty)
        await #expect(throws: AWSError.invalidLookupAttributes("")) {
            try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, "")))
        }
    }

    @Test(arguments: [1, 7, 50])
    func paginationHasNoDuplicatesOrGaps(_ pageSize: Int) async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        var expected: [String] = []
        // Several events share a millisecond, so ties are broken by event id.
        for i in 0..<123 {
            let event = makeEvent(at: base.addingTimeInterval(Double(i / 3)), name: i % 2 == 0 ? "Even" : "Odd")
            try await log.record(event)
            expected.append(event.eventID)
        }
        let all = try await lookupAll(log, LookupQuery(recipientAccountId: accountA, maxResults: pageSize))
        #expect(all.count == 123)
        #expect(Set(all.map(\.eventID)) == Set(expected))
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.eventTime >= $1.eventTime })
        let evens = try await lookupAll(
            log,
            LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, "Even"), maxResults: pageSize)
        )
        #expect(evens.count == 62 && Set(evens.map(\.eventID)).count == 62 && evens.allSatisfy { $0.eventName == "Even" })
        let ranged = try await lookupAll(
            log,
            LookupQuery(
                recipientAccountId: accountA,
                startTime: base.addingTimeInterval(10),
                endTime: base.addingTimeInterval(19),
                maxResults: pageSize
            )
        )
        #expect(ranged.count == 30)
    }

    @Test func exactlyFullLastPageHasNoToken() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        for i in 0..<10 { try await log.record(makeEvent(at: base.addingTimeInterval(Double(i)))) }
        let first = try await log.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 5))
        #expect(first.nextToken != nil)
        let second = try await log.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 5, nextToken: first.nextToken))
        #expect(second.records.count == 5 && second.nextToken == nil)
    }

    @Test func tokensAreBoundToAccountQueryAndKey() async throws {
        let store = MemoryMetadataStore()
        // A restart below keeps the store and the event log, as a server's data directory does.
        let events = MemoryEventLogMedium()
        let log = try AuditLog(store: store, clock: .fixed(base), events: events)
        for account in [accountA, accountB] {
            for i in 0..<5 { try await log.record(makeEvent(account: account, at: base.addingTimeInterval(Double(i)))) }
        }
        let page = try await log.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 2))
        let token = try #require(page.nextToken)
        // Another account replaying A's token.
        await #expect(throws: AWSError.invalidNextToken) {
            try await log.lookup(LookupQuery(recipientAccountId: accountB, maxResults: 2, nextToken: token))
        }
        // The same account with other filters.
        await #expect(throws: AWSError.invalidNextToken) {
            try await log.lookup(
                LookupQuery(
                    recipientAccountId: accountA,
                    attribute: LookupAttribute(.eventName, "GetCallerIdentity"),
                    maxResults: 2,
                    nextToken: token
                )
            )
        }
        await #expect(throws: AWSError.invalidNextToken) {
            try await log.lookup(LookupQuery(recipientAccountId: accountA, startTime: base, maxResults: 2, nextToken: token))
        }
        // Forged and altered tokens.
        var altered = Array(Data(base64Encoded: token)!)
        altered[altered.count / 2] ^= 0x01
        for forged in ["", "not base64!", "AAAA", Data(altered).base64EncodedString(), token + "A"] {
            await #expect(throws: AWSError.invalidNextToken) {
                try await log.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 2, nextToken: forged))
            }
        }
        // A token from another process (another token key) is not accepted either.
        let restarted = try AuditLog(store: store, clock: .fixed(base), events: events)
        await #expect(throws: AWSError.invalidNextToken) {
            try await restarted.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 2, nextToken: token))
        }
        // With a shared root key, tokens survive a restart; a different maxResults is fine.
        let rootKey = RootKey.ephemeral()
        let first = try AuditLog(store: store, clock: .fixed(base), tokenKey: rootKey, events: events)
        let second = try AuditLog(store: store, clock: .fixed(base), tokenKey: rootKey, events: events)
        let sharedToken = try #require(try await first.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 2)).nextToken)
        let rest = try await second.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 50, nextToken: sharedToken))
        #expect(rest.records.count == 3)
    }

    @Test func accountsAreIsolated() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        let a = makeEvent(account: accountA, at: base, name: "Shared", accessKey: "AKIASHARED")
        let b = makeEvent(account: accountB, at: base, name: "Shared", accessKey: "AKIASHARED")
        try await log.record(a)
        try await log.record(b)
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventID) == [a.eventID])
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountB)).events.map(\.eventID) == [b.eventID])
        let byKey = try await log.lookup(LookupQuery(recipientAccountId: accountB, attribute: LookupAttribute(.accessKeyId, "AKIASHARED")))
        #expect(byKey.events.map(\.eventID) == [b.eventID])
        let foreignID = try await log.lookup(LookupQuery(recipientAccountId: accountB, attribute: LookupAttribute(.eventId, a.eventID)))
        #expect(foreignID.records.isEmpty)
        #expect(try await log.lookup(LookupQuery(recipientAccountId: "999999999999")).records.isEmpty)
    }

    @Test func purgeRemovesExpiredEventsAndTheirIndexEntries() async throws {
        let clock = ManualClock(base)
        let store = MemoryMetadataStore()
        let log = try AuditLog(store: store, clock: clock.wallClock, retention: 3600)
        for minute in 0..<120 {
            try await log.record(makeEvent(at: base.addingTimeInterval(Double(minute) * 60), name: minute < 60 ? "Early" : "Late"))
        }
        #expect(try await log.purgeExpired() == 0)
        clock.advance(by: 2 * 3600)  // now = base + 2h: events before base + 1h expire
        #expect(try await log.purgeExpired() == 60)
        #expect(try await log.purgeExpired() == 0)
        let remaining = try await lookupAll(log, LookupQuery(recipientAccountId: accountA))
        #expect(remaining.count == 60 && remaining.allSatisfy { $0.eventName == "Late" })
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, "Early"))).records.isEmpty)
        // Nothing of the purged events is left behind in any namespace.
        let stored = try await store.read { reader in
            try ["audit.event", "audit.index", "audit.expiry"].map { try reader.scan($0, prefix: "", after: nil, reverse: false, limit: .max).count }
        }
        let indexEntriesPerEvent = 6  // EventId, EventName, ReadOnly, EventSource, Username, AccessKeyId
        #expect(stored == [60, 60 * indexEntriesPerEvent, 60])
        clock.advance(by: 10 * 3600)
        #expect(try await log.purgeExpired() == 60)
    }

    @Test func purgeWorksInBatches() async throws {
        let clock = ManualClock(base)
        let log = try AuditLog(store: MemoryMetadataStore(), clock: clock.wallClock, retention: 60)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1_234 { group.addTask { try await log.record(makeEvent(at: base.addingTimeInterval(Double(i) / 1000))) } }
            try await group.waitForAll()
        }
        clock.advance(by: 3600)
        #expect(try await log.purgeExpired() == 1_234)
    }

    @Test func retentionServicePurgesUntilCancelled() async throws {
        let clock = ManualClock(base)
        let log = try AuditLog(store: MemoryMetadataStore(), clock: clock.wallClock, retention: 60)
        try await log.record(makeEvent(at: base))
        clock.advance(by: 3600)
        let service = AuditRetentionService(log: log, interval: .milliseconds(10))
        let task = Task { await service.run() }
        var purged = false
        for _ in 0..<500 where !purged {
            try await Task.sleep(for: .milliseconds(10))
            purged = try await log.lookup(LookupQuery(recipientAccountId: accountA)).records.isEmpty
        }
        #expect(purged)
        task.cancel()
        await task.value
    }

    @Test func recordsWaitInTheLogUntilIndexed() async throws {
        let store = MemoryMetadataStore()
        let log = try AuditLog(store: store, clock: .fixed(base))
        for i in 0..<3 { try await log.record(makeEvent(at: base.addingTimeInterval(Double(i)))) }
        #expect(try await storedCounts(store) == [0, 0, 0])
        #expect(try await log.indexPending() == 3)
        let indexEntriesPerEvent = 6  // EventId, EventName, ReadOnly, EventSource, Username, AccessKeyId
        #expect(try await storedCounts(store) == [3, 3 * indexEntriesPerEvent, 3])
        #expect(try await log.indexPending() == 0)
        // The store keeps where each record is in the log, not the record.
        let values = try await store.read { try $0.scan("audit.event", prefix: "", after: nil, reverse: false, limit: .max).map(\.value) }
        #expect(values.allSatisfy { $0.first == UInt8(ascii: "@") })
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).records.count == 3)
    }

    @Test func theBackgroundIndexerSkipsWhenNothingWasRecorded() async throws {
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base))
        // A new log reads its files once, for what an earlier run left unindexed.
        #expect(try await log.indexPending(onlyIfRecorded: true) == 0)
        #expect(try await log.indexPending(onlyIfRecorded: true) == 0)
        try await log.record(makeEvent(at: base))
        try await log.record(makeEvent(at: base))
        #expect(try await log.indexPending(onlyIfRecorded: true) == 2)
        #expect(try await log.indexPending(onlyIfRecorded: true) == 0)
    }

    @Test func eventsStoredBeforeTheLogAreStillFound() async throws {
        let store = MemoryMetadataStore()
        let log = try AuditLog(store: store, clock: .fixed(base))
        let old = makeEvent(at: base, name: "Old")
        // As earlier versions stored an event: the record itself under its event key, and its index keys.
        let millis = Int64(base.timeIntervalSince1970 * 1000)
        let position = "\(9_999_999_999_999 - millis)/\(old.eventID)"
        try await store.write { writer in
            try writer.put("audit.event", "\(accountA)/\(position)", old.cloudTrailJSONBytes)
            try writer.put("audit.index", "\(accountA)/EventName/Old/\(position)", [])
        }
        try await log.record(makeEvent(at: base.addingTimeInterval(1), name: "New"))
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["New", "Old"])
        let byName = try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, "Old")))
        #expect(byName.records.map(\.cloudTrailJSON) == [old.cloudTrailJSON])
    }

    @Test func aRestartIndexesWhatWasNeverIndexed() async throws {
        try await withTemporaryAuditDirectory { directory in
            var ids: [String] = []
            do {
                let log = try AuditLog(store: try SQLiteMetadataStore(directory: directory), clock: .fixed(base), events: try logMedium(directory))
                for i in 0..<5 {
                    let event = makeEvent(at: base.addingTimeInterval(Double(i)), name: "Call\(i)")
                    try await log.record(event)
                    ids.append(event.eventID)
                }
            }
            // As after a crash: the first process never indexed.
            let reopened = try AuditLog(store: try SQLiteMetadataStore(directory: directory), clock: .fixed(base), events: try logMedium(directory))
            #expect(try await reopened.indexPending(onlyIfRecorded: true) == 5)
            let page = try await reopened.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, "Call3")))
            #expect(page.events.map(\.eventID) == [ids[3]])
            #expect(try await lookupAll(reopened, LookupQuery(recipientAccountId: accountA)).map(\.eventID) == ids.reversed())
            // Indexed once: a third start finds nothing left to do, and writes to a file of its own.
            let third = try AuditLog(store: try SQLiteMetadataStore(directory: directory), clock: .fixed(base), events: try logMedium(directory))
            #expect(try await third.indexPending(onlyIfRecorded: true) == 0)
            try await third.record(makeEvent(at: base.addingTimeInterval(9), name: "Later"))
            #expect(try await lookupAll(third, LookupQuery(recipientAccountId: accountA)).count == 6)
            #expect(try logMedium(directory).files().count == 2)
        }
    }

    @Test func aLongUnindexedLogIsReadBackInBatches() async throws {
        let medium = MemoryEventLogMedium()
        let count = AuditLog.recoveryBatchSize * 2 + 500
        do {
            // As if the database had been lost: the log alone holds the events.
            let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base), events: medium)
            for i in 0..<count { try await log.record(makeEvent(at: base.addingTimeInterval(Double(i) / 1000), name: "Call\(i)")) }
        }
        let store = MemoryMetadataStore()
        let reopened = try AuditLog(store: store, clock: .fixed(base), events: medium)
        try await reopened.record(makeEvent(at: base.addingTimeInterval(10), name: "Newest"))
        #expect(try await reopened.indexPending() == count + 1)
        #expect(try await storedCounts(store)[0] == count + 1)
        let newest = try await reopened.lookup(LookupQuery(recipientAccountId: accountA, maxResults: 2)).events.map(\.eventName)
        #expect(newest == ["Newest", "Call\(count - 1)"])
        let first = try await reopened.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, "Call0")))
        #expect(first.records.count == 1)
        // Everything was read back: another start finds nothing to do.
        let third = try AuditLog(store: store, clock: .fixed(base), events: medium)
        #expect(try await third.indexPending(onlyIfRecorded: true) == 0)
    }

    @Test func aTornTailIsIgnoredAndTheRestIndexed() async throws {
        let medium = MemoryEventLogMedium()
        let store = MemoryMetadataStore()
        do {
            let log = try AuditLog(store: store, clock: .fixed(base), events: medium)
            for i in 0..<3 { try await log.record(makeEvent(at: base.addingTimeInterval(Double(i)), name: "Call\(i)")) }
            #expect(try await log.indexPending() == 3)
            try await log.record(makeEvent(at: base.addingTimeInterval(3), name: "Durable"))
        }
        // A crash in the middle of the next write: half a frame, and a frame whose checksum is wrong.
        let file = try #require(try medium.files().last)
        let size = try #require(try medium.size(file))
        var frame: [UInt8] = []
        EventLog.appendFrame(makeEvent(at: base.addingTimeInterval(4), name: "Torn").cloudTrailJSONBytes, millis: 0, to: &frame)
        frame[frame.count - 1] ^= 0xFF
        try medium.write(file, frame + frame.prefix(frame.count / 2), at: size)

        let reopened = try AuditLog(store: store, clock: .fixed(base), events: medium)
        #expect(try await reopened.indexPending(onlyIfRecorded: true) == 1)
        let names = try await lookupAll(reopened, LookupQuery(recipientAccountId: accountA)).map(\.eventName)
        #expect(names == ["Durable", "Call2", "Call1", "Call0"])
    }

    @Test func aDamagedRecordIsLeftOutOfLookups() async throws {
        let medium = MemoryEventLogMedium()
        let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base), events: medium)
        try await log.record(makeEvent(at: base, name: "Damaged"))
        try await log.record(makeEvent(at: base.addingTimeInterval(1), name: "Intact"))
        #expect(try await log.indexPending() == 2)
        let file = try #require(try medium.files().last)
        let headerAndLength = EventLog.header.count + EventLog.frameHeaderSize
        try medium.write(file, Array("X".utf8), at: Int64(headerAndLength + 10))
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["Intact"])
    }

    @Test func removingEverythingForgetsWhatWaitsToBeIndexed() async throws {
        let medium = MemoryEventLogMedium()
        let store = MemoryMetadataStore()
        let log = try AuditLog(store: store, clock: .fixed(base), events: medium)
        try await log.record(makeEvent(at: base, name: "Before"))
        try await store.reset()
        try log.removeAll()
        #expect(try medium.files().isEmpty)
        try await log.record(makeEvent(at: base.addingTimeInterval(1), name: "After"))
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["After"])
    }

    @Test(arguments: [false, true])
    func aFailedWriteStartsANewFile(onDisk: Bool) async throws {
        try await withTemporaryAuditDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let medium: any EventLogMedium = onDisk ? try logMedium(directory) : MemoryEventLogMedium()
            let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base), events: medium)
            try await log.record(makeEvent(at: base, name: "First"))
            // The file disappears under the log (an operator's rm): the next write fails, the one after it
            // goes to a new file.
            for file in try medium.files() { try medium.remove(file) }
            await #expect(throws: (any Error).self) { try await log.record(makeEvent(at: base, name: "Lost")) }
            try await log.record(makeEvent(at: base.addingTimeInterval(1), name: "Second"))
            #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["Second"])
            #expect(try medium.files().count == 1)
        }
    }

    /// A server makes its first file as it starts, so that its first request waits only for its own record.
    @Test func aPreparedLogWritesItsFirstRecordsToTheFileMadeAhead() async throws {
        try await withTemporaryAuditDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let medium = try logMedium(directory)
            let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base), events: medium)
            log.prepareForRecording()
            let deadline = ContinuousClock.now + .seconds(10)
            while try medium.files().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            let made = try medium.files()
            #expect(made.count == 1)
            log.prepareForRecording()  // there is a file: nothing more
            try await log.record(makeEvent(at: base, name: "First"))
            try await log.record(makeEvent(at: base.addingTimeInterval(1), name: "Second"))
            #expect(try medium.files() == made)
            #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["Second", "First"])
        }
    }

    /// The file being appended to is kept open; one deleted under it must not swallow records.
    @Test func aLogFileDeletedBehindTheLogsBackIsNotWrittenInto() async throws {
        try await withTemporaryAuditDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let medium = try logMedium(directory)
            let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base), events: medium)
            try await log.record(makeEvent(at: base, name: "First"))
            try await log.record(makeEvent(at: base, name: "Second"))
            for file in try FileManager.default.contentsOfDirectory(atPath: medium.directory) {
                try FileManager.default.removeItem(atPath: medium.directory + "/" + file)
            }
            await #expect(throws: (any Error).self) { try await log.record(makeEvent(at: base, name: "Lost")) }
            try await log.record(makeEvent(at: base.addingTimeInterval(1), name: "Third"))
            #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["Third"])
            #expect(try medium.files().count == 1)
        }
    }

    /// On disk the records overwrite zeros written ahead of them (a sync then need not write the inode): a
    /// quiet log's file stays small, zeros end the records for a reader as a torn tail does, and a file the
    /// log is done with loses them.
    @Test func recordsOnDiskOverwriteZerosWrittenAhead() async throws {
        try await withTemporaryAuditDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let medium = try logMedium(directory)
            let firstFileSize = Int64(EventLog.header.count) + DirectoryEventLogMedium.firstReserve
            var names: [String] = []
            do {
                let log = try AuditLog(store: MemoryMetadataStore(), clock: .fixed(base), events: medium, maxEvents: nil, maxEventFileSize: 300 << 10)
                try await log.record(makeEvent(at: base, name: "Call0"))
                names.append("Call0")
                let first = try #require(try medium.files().first)
                #expect(try medium.size(first) == firstFileSize)
                for i in 1..<600 {
                    try await log.record(makeEvent(at: base.addingTimeInterval(Double(i) / 1000), name: "Call\(i)"))
                    names.append("Call\(i)")
                }
            }
            let files = try medium.files()
            try #require(files.count >= 2)
            var recordsInFiles = 0
            for (index, file) in files.enumerated() {
                let size = try #require(try medium.size(file))
                let bytes = try #require(try medium.read(file, at: 0, count: Int(size)))
                #expect(Array(bytes.prefix(EventLog.header.count)) == EventLog.header)
                var rest = bytes[EventLog.header.count...]
                while let (_, _, next) = EventLog.frame(in: rest) {
                    recordsInFiles += 1
                    rest = rest[next...]
                }
                if index < files.count - 1 {
                    #expect(rest.isEmpty, "a file the log moved on from ends with its last record")
                } else {
                    // The file being written when the log stopped: zeros past its records, more of them than a
                    // new file has (they grew with the file), and nothing else.
                    #expect(rest.count >= Int(DirectoryEventLogMedium.reserveLowWater))
                    #expect(size > firstFileSize)
                    #expect(rest.allSatisfy { $0 == 0 })
                }
            }
            #expect(recordsInFiles == names.count)

            // As after a crash in the middle of the next write: half a frame over the zeros.
            let last = try #require(files.last)
            let lastSize = try #require(try medium.size(last))
            let lastBytes = try #require(try medium.read(last, at: 0, count: Int(lastSize)))
            var end = EventLog.header.count
            while let (_, _, next) = EventLog.frame(in: lastBytes[end...]) { end = next }
            var torn: [UInt8] = []
            EventLog.appendFrame(makeEvent(at: base.addingTimeInterval(1), name: "Torn").cloudTrailJSONBytes, millis: 0, to: &torn)
            let tornFD = open(medium.directory + "/" + String(format: "%013lld", last) + ".log", O_WRONLY)
            try #require(tornFD >= 0)
            _ = torn.prefix(torn.count / 2).withUnsafeBytes { pwrite(tornFD, $0.baseAddress, $0.count, off_t(end)) }
            close(tornFD)

            // The index lost with the database: the log alone gives every record back, and nothing else.
            let store = MemoryMetadataStore()
            let reopened = try AuditLog(store: store, clock: .fixed(base), events: try logMedium(directory))
            #expect(try await reopened.indexPending(onlyIfRecorded: true) == names.count)
            let found = try await lookupAll(reopened, LookupQuery(recipientAccountId: accountA, maxResults: 50)).map(\.eventName)
            #expect(found.sorted() == names.sorted())
        }
    }

    @Test func anEphemeralLogKeepsTheNewestEvents() async throws {
        let clock = ManualClock(base)
        let medium = MemoryEventLogMedium()
        let log = try AuditLog(
            store: MemoryMetadataStore(), clock: clock.wallClock, events: medium, maxEvents: 100, maxEventFileSize: 4096
        )
        for i in 0..<300 {
            try await log.record(makeEvent(at: clock.wallClock.now, name: "Call\(i)"))
            clock.advance(by: 0.01)
            if i % 25 == 24 { try await log.indexPending(onlyIfRecorded: true) }
        }
        let kept = try await lookupAll(log, LookupQuery(recipientAccountId: accountA)).map(\.eventName)
        // Trimmed back to 100 whenever it passes 110: between 100 and 110 newest events.
        #expect((100...110).contains(kept.count))
        #expect(kept.first == "Call299")
        #expect(kept == (300 - kept.count..<300).reversed().map { "Call\($0)" })
        // Only the files that still hold kept events (and the one being written) are left.
        let files = try medium.files()
        #expect(files.count < 300 * 650 / 4096)
        let oldestKept = try #require(try await log.lookup(LookupQuery(recipientAccountId: accountA, attribute: LookupAttribute(.eventName, kept.last!))).records.first)
        #expect(oldestKept.event.eventName == kept.last)
    }

    @Test(arguments: 0..<5)
    func concurrentIndexingNeverTrimsBelowTheLimit(_ attempt: Int) async throws {
        // The background indexer and every lookup index (and trim) at once; each used to compute the same
        // excess and delete it, leaving fewer events than the limit.
        // SQLite's writes suspend (group commit), so the trims interleave as they do in a server.
        try await withTemporaryAuditDirectory { directory in
            let clock = ManualClock(base)
            let log = try AuditLog(
                store: try SQLiteMetadataStore(directory: directory), clock: clock.wallClock, events: MemoryEventLogMedium(),
                maxEvents: 40, maxEventFileSize: 4096
            )
            for i in 0..<40 {
                try await log.record(makeEvent(at: clock.wallClock.now, name: "Call\(i)"))
                clock.advance(by: 0.01)
            }
            try await log.indexPending()
            for round in 0..<5 {
                for i in 0..<10 {
                    try await log.record(makeEvent(at: clock.wallClock.now, name: "Call\(round)-\(i)"))
                    clock.advance(by: 0.01)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 { group.addTask { try await log.indexPending() } }
                    try await group.waitForAll()
                }
                let kept = try await lookupAll(log, LookupQuery(recipientAccountId: accountA))
                #expect(kept.count >= 40, "round \(round): \(kept.count) events kept")
                #expect(kept.count <= 60, "round \(round): \(kept.count) events kept")
            }
        }
    }

    @Test func aFileGoesOnceItsRecordsAreAllOlderThanTheCutoff() async throws {
        let medium = MemoryEventLogMedium()
        for file: Int64 in [1_000, 2_000, 3_000] { try medium.create(file, header: EventLog.header) }
        let log = try EventLog(medium: medium, clock: .fixed(base))
        #expect(try log.removeFiles(olderThan: 1_999) == 0)
        #expect(try log.removeFiles(olderThan: 2_000) == 1)
        #expect(try medium.files() == [2_000, 3_000])
        // The newest file's records may be as new as the end of its day.
        #expect(try log.removeFiles(olderThan: 86_399_999) == 1)
        #expect(try medium.files() == [3_000])
        #expect(try log.removeFiles(olderThan: 86_400_000) == 1)
        #expect(try medium.files().isEmpty)
    }

    @Test func aDamagedLocationReadsNothingAndAllocatesNoMore() async throws {
        try await withTemporaryAuditDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let medium = try logMedium(directory)
            let store = MemoryMetadataStore()
            let log = try AuditLog(store: store, clock: .fixed(base), events: medium)
            let event = makeEvent(at: base, name: "Real")
            try await log.record(event)
            #expect(try await log.indexPending() == 1)
            // A stored location whose length (or offset) is far beyond the file: skipped, not a crash.
            let file = try #require(try medium.files().first)
            let eventKey = EventKeys(event).strings.event
            for damaged in [
                "@\(file):24:\(Int.max / 2)", "@\(file):24:\(Int.max)", "@\(file):\(Int64.max / 2):10", "@\(file):\(Int64.max):10",
                "@\(file + 1):24:100", "@\(file):-1:10", "@:24:10", "@\(file):24",
            ] {
                try await store.write { try $0.put("audit.event", eventKey, Array(damaged.utf8)) }
                #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).records.isEmpty)
            }
        }
    }

    @Test func retentionRemovesWholeLogFiles() async throws {
        let clock = ManualClock(base)
        let medium = MemoryEventLogMedium()
        let log = try AuditLog(store: MemoryMetadataStore(), clock: clock.wallClock, retention: 3600, events: medium)
        try await log.record(makeEvent(at: base, name: "Old"))
        clock.advance(by: 2 * 86_400)
        try await log.record(makeEvent(at: base.addingTimeInterval(2 * 86_400), name: "New"))
        #expect(try medium.files().count == 2)
        #expect(try await log.purgeExpired() == 1)
        #expect(try medium.files().count == 1)
        #expect(try await log.lookup(LookupQuery(recipientAccountId: accountA)).events.map(\.eventName) == ["New"])
    }

    @Test func manyConcurrentRecordsOnSQLite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteMetadataStore(directory: directory)
        let log = try AuditLog(store: store, clock: .fixed(base), events: try logMedium(directory))
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<500 {
                group.addTask {
                    let event = makeEvent(account: i % 2 == 0 ? accountA : accountB, at: base.addingTimeInterval(Double(i % 50)))
                    try await log.record(event)
                    return event.eventID
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        let a = try await lookupAll(log, LookupQuery(recipientAccountId: accountA))
        let b = try await lookupAll(log, LookupQuery(recipientAccountId: accountB, attribute: LookupAttribute(.readOnly, "true"), maxResults: 33))
        #expect(a.count == 250 && b.count == 250)
        #expect(Set(a.map(\.eventID)).union(b.map(\.eventID)) == ids)
        // A second connection (as after a crash) sees everything that was answered.
        let reopened = try AuditLog(store: try SQLiteMetadataStore(directory: directory), clock: .fixed(base), events: try logMedium(directory))
        #expect(try await lookupAll(reopened, LookupQuery(recipientAccountId: accountA)).count == 250)
    }
}

private func withTemporaryAuditDirectory(_ body: (URL) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-audit-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try await body(directory)
}

private func logMedium(_ directory: URL) throws -> DirectoryEventLogMedium {
    try DirectoryEventLogMedium(directory: directory.appendingPathComponent("cloudtrail"))
}

/// How many keys `audit.event`, `audit.index` and `audit.expiry` hold.
private func storedCounts(_ store: any MetadataStore) async throws -> [Int] {
    try await store.read { reader in
        try ["audit.event", "audit.index", "audit.expiry"].map { try reader.scan($0, prefix: "", after: nil, reverse: false, limit: .max).count }
    }
}
