//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

// A record's members are listed once, in CloudTrail's order (`AuditEvent.writeMembers(to:)`), and go either
// straight to bytes — what every call does as it is answered — or into an ordered `JSONValue`. Building the
// value first and rendering it cost a tenth of a `GetCallerIdentity` in the in-process pipeline.

/// Where a record's members go, one at a time, in order.
protocol CloudTrailMembers {
    mutating func string(_ key: StaticString, _ value: String)
    mutating func bool(_ key: StaticString, _ value: Bool)
    /// `null` when nil.
    mutating func value(_ key: StaticString, _ value: JSONValue?)
    mutating func object(_ key: StaticString, _ members: (inout Self) -> Void)
    /// An array of `count` objects, the members of the `index`th written by `members(&self, index)`.
    mutating func objects(_ key: StaticString, count: Int, _ members: (inout Self, Int) -> Void)
}

/// A part of a record that lists its own members.
protocol CloudTrailElement {
    func writeMembers<Members: CloudTrailMembers>(to out: inout Members)
}

extension CloudTrailElement {
    /// The members as an ordered JSON object (for `Encodable`, which keeps no order).
    var jsonValue: JSONValue {
        var members = JSONValueMembers()
        writeMembers(to: &members)
        return members.object
    }
}

/// Compact JSON bytes, as `JSONValue.compactJSONBytes()` renders the same members.
struct CompactJSONMembers: CloudTrailMembers {
    private(set) var bytes: [UInt8]
    private var first = true

    /// Starts the outermost object.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the outermost object and returns the document.
    ///
    /// `mutating`, not `consuming`: consumed from a local `var`, the buffer was not known to be unique, and the
    /// closing brace copied the whole record into a new one.
    mutating func finished() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `,"key":` — the keys are identifiers that need no escaping.
    private mutating func key(_ key: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        JSONString.append(value, to: &bytes)
    }

    mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    mutating func value(_ key: StaticString, _ value: JSONValue?) {
        self.key(key)
        if let value { value.write(to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
    }

    mutating func object(_ key: StaticString, _ members: (inout Self) -> Void) {
        self.key(key)
        bytes.append(UInt8(ascii: "{"))
        first = true
        members(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    mutating func objects(_ key: StaticString, count: Int, _ members: (inout Self, Int) -> Void) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for index in 0..<count {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            first = true
            members(&self, index)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
        first = false
    }
}

/// The same members as an ordered `JSONValue.object`.
struct JSONValueMembers: CloudTrailMembers {
    private(set) var members: [(String, JSONValue)] = []

    var object: JSONValue { .object(members) }

    mutating func string(_ key: StaticString, _ value: String) { members.append((key.description, .string(value))) }
    mutating func bool(_ key: StaticString, _ value: Bool) { members.append((key.description, .bool(value))) }
    mutating func value(_ key: StaticString, _ value: JSONValue?) { members.append((key.description, value ?? .null)) }

    mutating func object(_ key: StaticString, _ members: (inout Self) -> Void) {
        var inner = JSONValueMembers()
        members(&inner)
        self.members.append((key.description, inner.object))
    }

    mutating func objects(_ key: StaticString, count: Int, _ members: (inout Self, Int) -> Void) {
        let items = (0..<count).map { index in
            var inner = JSONValueMembers()
            members(&inner, index)
            return inner.object
        }
        self.members.append((key.description, .array(items)))
    }
}
