//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Synchronization

/// Just enough XML for a benchmark's steps: the text of an element, and escaping.
enum XMLText {
    /// The text of the first `<name>…</name>`, unescaped; nil when absent.
    static func element(_ name: String, in body: String) -> String? {
        guard let open = body.range(of: "<\(name)>"), let close = body.range(of: "</\(name)>", range: open.upperBound..<body.endIndex) else {
            return nil
        }
        return unescape(String(body[open.upperBound..<close.lowerBound]))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#34;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Reads string values out of a JSON answer (`KeyMetadata.KeyId`, `CiphertextBlob`).
enum JSONText {
    /// The string at `path` (object keys) in `body`, or nil.
    static func string(_ path: [String], in body: [UInt8]) -> String? {
        guard var value = try? JSONSerialization.jsonObject(with: Data(body)) else { return nil }
        for key in path {
            guard let object = value as? [String: Any], let next = object[key] else { return nil }
            value = next
        }
        return value as? String
    }

    /// A JSON string literal, quotes included. Called for every request of some scenarios: Foundation's
    /// `JSONSerialization` took the load tool a third more CPU for a KMS `Decrypt` (its 1.4 KB ciphertext)
    /// than for an `Encrypt`, CPU the server it measures did not get.
    static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        JSONString.append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// The ETags of a multipart upload's parts, filled in by concurrent part uploads.
final class ETagList: Sendable {
    private let storage: Mutex<[String]>

    init(count: Int) { storage = Mutex(Array(repeating: "", count: count)) }

    func set(_ index: Int, _ etag: String) { storage.withLock { $0[index] = etag } }

    var values: [String] { storage.withLock { $0 } }
}

/// Bytes received by concurrent ranged GETs.
final class ByteCounter: Sendable {
    private let storage = Mutex(0)

    func add(_ bytes: Int) { storage.withLock { $0 += bytes } }

    var total: Int { storage.withLock { $0 } }
}
