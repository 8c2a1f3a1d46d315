//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusBlobStore
import NimbusCore
import NimbusStorage

// Every PUT stores an `ObjectRecord`, inside the metadata store's group commit, whose transactions run one after
// another. Through `JSONEncoder` that was 41 % of the commit's time (its generic containers, a value tree, then
// the text). The writer below produces the same bytes as `JSONEncoder` with `.sortedKeys` and
// `.withoutEscapingSlashes` (what `putJSON` uses): members in byte order of their names, nil optionals left
// out, dates as seconds since 2001 (whole ones without a fraction), byte fields as the `Codable` conformances
// write them. Reading is unchanged (`JSONDecoder`, the `Decodable` conformances). `ObjectRecordWriterTests`
// compares the two on a record with every member set; a member added to `ObjectRecord` fails it until it is
// written here too.

extension ObjectRecord: StoredJSONWritable {
    package func storedJSONBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        var object = JSONMembers.open(&out)
        if let acl {
            object.key("acl", &out)
            JSONMembers.array(acl, &out) { grant, out in
                var member = JSONMembers.open(&out)
                if let account = grant.account { member.string("account", account, &out) }
                if let id = grant.id { member.string("id", id, &out) }
                member.string("permission", grant.permission, &out)
                if let uri = grant.uri { member.string("uri", uri, &out) }
                member.close(&out)
            }
        }
        if let bucketKeyEnabled { object.bool("bucketKeyEnabled", bucketKeyEnabled, &out) }
        if let cacheControl { object.string("cacheControl", cacheControl, &out) }
        if let checksumType { object.string("checksumType", checksumType, &out) }
        if let checksums { object.stringMap("checksums", checksums, &out) }
        if let contentDisposition { object.string("contentDisposition", contentDisposition, &out) }
        if let contentEncoding { object.string("contentEncoding", contentEncoding, &out) }
        if let contentLanguage { object.string("contentLanguage", contentLanguage, &out) }
        if let contentType { object.string("contentType", contentType, &out) }
        if let customerKeyHMAC { object.numbers("customerKeyHMAC", customerKeyHMAC, &out) }
        if let customerKeySalt { object.numbers("customerKeySalt", customerKeySalt, &out) }
        object.string("encryption", encryption.rawValue, &out)
        object.string("etag", etag, &out)
        if let expires { object.string("expires", expires, &out) }
        if let isDeleteMarker { object.bool("isDeleteMarker", isDeleteMarker, &out) }
        object.string("key", key, &out)
        if let kmsContext { object.stringMap("kmsContext", kmsContext, &out) }
        if let kmsKeyARN { object.string("kmsKeyARN", kmsKeyARN, &out) }
        object.date("lastModified", lastModified, &out)
        if let legalHold { object.bool("legalHold", legalHold, &out) }
        object.stringMap("metadata", metadata, &out)
        object.string("owner", owner, &out)
        if let partsCount { object.integer("partsCount", Int64(partsCount), &out) }
        object.key("pieces", &out)
        JSONMembers.array(pieces, &out) { piece, out in piece.writeStoredJSON(into: &out) }
        if let replicationStatus { object.string("replicationStatus", replicationStatus, &out) }
        if let restoredUntil { object.date("restoredUntil", restoredUntil, &out) }
        if let retainUntil { object.date("retainUntil", retainUntil, &out) }
        if let retentionMode { object.string("retentionMode", retentionMode, &out) }
        object.integer("size", size, &out)
        if let storageClass { object.string("storageClass", storageClass, &out) }
        if let tags { object.stringMap("tags", tags, &out) }
        if let versionID { object.string("versionID", versionID, &out) }
        if let websiteRedirectLocation { object.string("websiteRedirectLocation", websiteRedirectLocation, &out) }
        object.close(&out)
        return out
    }
}

extension DataPiece {
    /// As `encode(to:)` writes it (byte fields in base64), sorted.
    func writeStoredJSON(into out: inout [UInt8]) {
        var object = JSONMembers.open(&out)
        object.key("blob", &out)
        var blob = JSONMembers.open(&out)
        var checksums: [String: String] = [:]
        for (algorithm, value) in self.blob.checksums { checksums[algorithm.rawValue] = value }
        blob.stringMap("checksums", checksums, &out)
        blob.string("id", self.blob.id, &out)
        blob.string("md5", Data(self.blob.md5).base64EncodedString(), &out)
        blob.key("placement", &out)
        JSONMembers.array(self.blob.placement, &out) { index, out in out.append(contentsOf: String(index).utf8) }
        blob.string("redundancy", self.blob.redundancy.rawValue, &out)
        blob.integer("segmentSize", Int64(self.blob.segmentSize), &out)
        blob.integer("size", self.blob.size, &out)
        if let slot = self.blob.slot { blob.integer("slot", slot, &out) }
        blob.close(&out)
        if let bucketKeySalt { object.string("bucketKeySalt", Data(bucketKeySalt).base64EncodedString(), &out) }
        if let kmsKey { object.string("kmsKey", Data(kmsKey).base64EncodedString(), &out) }
        if let sealedKey { object.string("sealedKey", Data(sealedKey).base64EncodedString(), &out) }
        object.close(&out)
    }
}

/// The members of one JSON object being written to a byte buffer: a comma before each but the first.
private struct JSONMembers {
    private var first = true

    /// Starts an object.
    static func open(_ out: inout [UInt8]) -> JSONMembers {
        out.append(UInt8(ascii: "{"))
        return JSONMembers()
    }

    mutating func key(_ name: String, _ out: inout [UInt8]) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        JSONString.append(name, to: &out)
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ value: String, _ out: inout [UInt8]) {
        key(name, &out)
        JSONString.append(value, to: &out)
    }

    mutating func bool(_ name: String, _ value: Bool, _ out: inout [UInt8]) {
        key(name, &out)
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func integer(_ name: String, _ value: Int64, _ out: inout [UInt8]) {
        key(name, &out)
        out.append(contentsOf: String(value).utf8)
    }

    /// `Date`'s own `Codable` form: seconds since 2001-01-01, whole ones without a fraction, as `JSONEncoder` writes them.
    mutating func date(_ name: String, _ value: Date, _ out: inout [UInt8]) {
        key(name, &out)
        let seconds = value.timeIntervalSinceReferenceDate
        if seconds == seconds.rounded(), abs(seconds) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(seconds)).utf8)
        } else {
            out.append(contentsOf: String(seconds).utf8)
        }
    }

    /// `[UInt8]` as the synthesized conformance writes it: an array of numbers.
    mutating func numbers(_ name: String, _ value: [UInt8], _ out: inout [UInt8]) {
        key(name, &out)
        Self.array(value, &out) { byte, out in out.append(contentsOf: String(byte).utf8) }
    }

    /// A string-to-string map, its keys in the order `JSONEncoder`'s `.sortedKeys` puts them.
    mutating func stringMap(_ name: String, _ value: [String: String], _ out: inout [UInt8]) {
        key(name, &out)
        var map = JSONMembers.open(&out)
        for (k, v) in value.sorted(by: { $0.key < $1.key }) { map.string(k, v, &out) }
        map.close(&out)
    }

    func close(_ out: inout [UInt8]) {
        out.append(UInt8(ascii: "}"))
    }

    static func array<T>(_ items: [T], _ out: inout [UInt8], _ write: (T, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(item, &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
