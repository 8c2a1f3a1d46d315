//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

// JSONEncoder does not keep the order of object members, and CloudTrail records are read by
// people who expect AWS's order; so records are written by hand from an ordered `JSONValue`.

extension JSONValue {
    /// Compact JSON with members in their stored order, `/` unescaped, non-ASCII as UTF-8.
    func compactJSON() -> String {
        String(decoding: compactJSONBytes(), as: UTF8.self)
    }

    /// ``compactJSON()`` as UTF-8 bytes.
    func compactJSONBytes(capacity: Int = 1024) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(capacity)
        write(to: &output)
        return output
    }

    func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let b): output.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n):
            if !n.isFinite {
                output.append(contentsOf: "null".utf8)
            } else if n.rounded() == n, abs(n) < 1e15 {
                output.append(contentsOf: String(Int64(n)).utf8)
            } else {
                output.append(contentsOf: "\(n)".utf8)
            }
        case .string(let s): JSONString.append(s, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                JSONString.append(key, to: &output)
                output.append(UInt8(ascii: ":"))
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON array of strings, as ``compactJSON()`` writes `.array(strings.map(JSONValue.string))`.
    static func compactJSONBytes(strings: [String]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "[")]
        for (i, string) in strings.enumerated() {
            if i > 0 { output.append(UInt8(ascii: ",")) }
            JSONString.append(string, to: &output)
        }
        output.append(UInt8(ascii: "]"))
        return output
    }
}
