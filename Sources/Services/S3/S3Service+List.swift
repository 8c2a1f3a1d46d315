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

extension S3Service {
    /// One page of a listing: keys and common prefixes in UTF-8 order, at most `maxKeys` of them together.
    struct ListingPage {
        var objects: [ObjectSummary] = []
        var commonPrefixes: [String] = []
        var isTruncated = false
        /// The last key or common prefix returned: where the next page starts.
        var last: String?
    }

    /// Walks the bucket's keys after `after` that start with `prefix`, rolling keys that contain `delimiter`
    /// after the prefix up into common prefixes, and skipping past each rolled-up prefix in the store.
    func listing(bucket: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int) async throws -> ListingPage {
        let delimiter = delimiter.flatMap { $0.isEmpty ? nil : $0 }
        let base = bucket + "/"
        // `max-keys=0` lists nothing and, as S3 answers it, is not truncated.
        if maxKeys == 0 { return ListingPage() }
        return try await store.read { tx in
            var page = ListingPage()
            // Only the fields a listing shows (`ObjectSummary`): building whole records (with their pieces) was
            // most of a listing's cost.
            var cursor = after.map { base + $0 }
            if let c = cursor, !c.hasPrefix(base + prefix), c < base + prefix { cursor = nil }
            let batch = max(64, min(maxKeys + 1, 1000))
            while true {
                let rows = try tx.scan(S3Keys.objects, prefix: base + prefix, after: cursor, reverse: false, limit: batch)
                if rows.isEmpty { return page }
                var skipTo: String?
                for row in rows {
                    let key = String(row.key.dropFirst(base.count))
                    if let delimiter, let range = key.dropFirst(prefix.count).range(of: delimiter) {
                        let common = String(key[..<range.upperBound])
                        if page.commonPrefixes.last == common { continue }
                        if page.objects.count + page.commonPrefixes.count == maxKeys {
                            page.isTruncated = true
                            return page
                        }
                        page.commonPrefixes.append(common)
                        page.last = common
                        // Everything under this prefix rolls up into it: continue after all of it.
                        skipTo = base + common + "\u{10FFFF}"
                        break
                    }
                    if page.objects.count + page.commonPrefixes.count == maxKeys {
                        page.isTruncated = true
                        return page
                    }
                    page.objects.append(try ObjectSummary(record: row.value))
                    page.last = key
                    cursor = row.key
                }
                if let skipTo {
                    cursor = skipTo
                } else if rows.count < batch {
                    return page
                }
            }
        }
    }

    static func maxKeys(_ input: ShapeValue) throws -> Int {
        guard let value = input["MaxKeys"]?.integerValue else { return 1000 }
        // S3 reads the count as a 32-bit integer: beyond it is an error, as a negative count is.
        guard (0...Int64(Int32.max)).contains(value) else {
            throw AWSError.invalidArgument("Provided max-keys not an integer or within integer range", name: "max-keys", value: String(value))
        }
        return Int(min(value, 1000))
    }

    /// `max-parts` or `max-uploads`: 0 through 2³¹−1 (S3's 32-bit integer), 1000 when absent.
    static func countArgument(_ input: ShapeValue, member: String, parameter: String) throws -> Int {
        guard let value = input[member]?.integerValue else { return 1000 }
        guard (0...Int64(Int32.max)).contains(value) else {
            throw AWSError.invalidArgument("Argument \(parameter) must be an integer between 0 and 2147483647", name: parameter, value: String(value))
        }
        return Int(value)
    }

    static func encodingType(_ input: ShapeValue) throws -> Bool {
        guard let type = input["EncodingType"]?.stringValue else { return false }
        guard type == "url" else {
            throw AWSError.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: type)
        }
        return true
    }

    /// S3's `encoding-type=url`: keys percent-encoded like a form, `/` kept.
    static func urlEncode(_ s: String, _ enabled: Bool) -> String {
        guard enabled else { return s }
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-_.~/")
        // Spaces become `+`, as S3 encodes them (and as SDKs decode them).
        return (s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s).replacingOccurrences(of: "%20", with: "+")
    }

    func listObjectsV2(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let prefix = input["Prefix"]?.stringValue ?? ""
        let delimiter = input["Delimiter"]?.stringValue
        let maxKeys = try Self.maxKeys(input)
        let encode = try Self.encodingType(input)
        let token = input["ContinuationToken"]?.stringValue
        var after = input["StartAfter"]?.stringValue
        // An empty token is the first page (S3 echoes it).
        if let token, !token.isEmpty {
            guard let data = Data(base64Encoded: token), let resume = String(data: data, encoding: .utf8), resume.hasPrefix("1:") else {
                throw AWSError.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
            }
            after = String(resume.dropFirst(2))
        }
        let page = try await listing(bucket: bucket.name, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
        let fetchOwner = input["FetchOwner"]?.booleanValue ?? false
        var out: [String: ShapeValue] = [
            "Name": .string(bucket.name),
            "Prefix": .string(Self.urlEncode(prefix, encode)),
            "MaxKeys": .integer(Int64(maxKeys)),
            "KeyCount": .integer(Int64(page.objects.count + page.commonPrefixes.count)),
            "IsTruncated": .boolean(page.isTruncated),
            "Contents": .list(page.objects.map { Self.listEntry($0, owner: fetchOwner, encode: encode) }),
            "CommonPrefixes": .list(page.commonPrefixes.map { .structure(["Prefix": .string(Self.urlEncode($0, encode))]) }),
        ]
        // An empty delimiter is no delimiter, and S3 does not echo it.
        if let delimiter, !delimiter.isEmpty { out["Delimiter"] = .string(Self.urlEncode(delimiter, encode)) }
        if encode { out["EncodingType"] = .string("url") }
        if let token { out["ContinuationToken"] = .string(token) }
        if let startAfter = input["StartAfter"]?.stringValue { out["StartAfter"] = .string(Self.urlEncode(startAfter, encode)) }
        if page.isTruncated, let last = page.last {
            let resume = page.commonPrefixes.last == last ? last + "\u{10FFFF}" : last
            out["NextContinuationToken"] = .string(Data(("1:" + resume).utf8).base64EncodedString())
        }
        return .structure(out)
    }

    func listObjectsV1(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let bucket = try await bucket(input)
        let prefix = input["Prefix"]?.stringValue ?? ""
        let delimiter = input["Delimiter"]?.stringValue
        let maxKeys = try Self.maxKeys(input)
        let encode = try Self.encodingType(input)
        let marker = input["Marker"]?.stringValue
        // A marker that is a common prefix resumes after everything under it.
        var after = marker
        if let marker, let delimiter, !delimiter.isEmpty, marker.hasSuffix(delimiter) { after = marker + "\u{10FFFF}" }
        let page = try await listing(bucket: bucket.name, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
        var out: [String: ShapeValue] = [
            "Name": .string(bucket.name),
            // Version 1 encodes the marker but echoes the prefix as given (SDKs decode it only in version 2).
            "Prefix": .string(prefix),
            "Marker": .string(Self.urlEncode(marker ?? "", encode)),
            "MaxKeys": .integer(Int64(maxKeys)),
            "IsTruncated": .boolean(page.isTruncated),
            "Contents": .list(page.objects.map { Self.listEntry($0, owner: true, encode: encode) }),
            "CommonPrefixes": .list(page.commonPrefixes.map { .structure(["Prefix": .string(Self.urlEncode($0, encode))]) }),
        ]
        // An empty delimiter is no delimiter, and S3 does not echo it.
        if let delimiter, !delimiter.isEmpty { out["Delimiter"] = .string(Self.urlEncode(delimiter, encode)) }
        if encode { out["EncodingType"] = .string("url") }
        // S3 returns NextMarker only when a delimiter was given; clients otherwise use the last key.
        if page.isTruncated, delimiter?.isEmpty == false, let last = page.last { out["NextMarker"] = .string(Self.urlEncode(last, encode)) }
        return .structure(out)
    }

    static func listEntry(_ record: ObjectSummary, owner: Bool, encode: Bool) -> ShapeValue {
        var entry: [String: ShapeValue] = [
            "Key": .string(urlEncode(record.key, encode)),
            "LastModified": .timestamp(record.lastModified),
            "ETag": .string(record.etag),
            "Size": .integer(record.size),
            "StorageClass": .string(record.storageClass ?? "STANDARD"),
        ]
        if owner { entry["Owner"] = Self.owner(record.owner) }
        if let checksums = record.checksums, !checksums.isEmpty {
            entry["ChecksumAlgorithm"] = .list(checksums.keys.sorted().map { .string($0) })
            if let type = record.checksumType { entry["ChecksumType"] = .string(type) }
        }
        return .structure(entry)
    }
}
