//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// Decodes a `Decodable` type from a `ShapeValue`; coding keys are the model's member names.
///
/// Absent members decode as `nil`, members the type does not declare are ignored, and keys match
/// member names ignoring case, so `var roleArn` reads `RoleArn` without `CodingKeys`. `Date` reads
/// timestamps, `Data` and `[UInt8]` read blobs, and `ShapeValue` passes a value through untouched.
public struct ShapeDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type = T.self, from value: ShapeValue) throws -> T {
        try _ShapeDecoder(value: value, codingPath: []).decodeValue(T.self)
    }
}

private struct _ShapeDecoder: Decoder {
    let value: ShapeValue
    /// The path to the parent, and this value's key in it: the path is put together only when asked for (errors
    /// ask), where appending the key for every member decoded was an allocation each.
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var codingPath: [any CodingKey] { key.map { parentPath + [$0] } ?? parentPath }

    init(value: ShapeValue, codingPath: [any CodingKey]) {
        self.value = value
        self.parentPath = codingPath
        self.key = nil
    }

    init(value: ShapeValue, parentPath: [any CodingKey], key: any CodingKey) {
        self.value = value
        self.parentPath = parentPath
        self.key = key
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        // The common scalars and string maps straight from the value: through `T(from:)` each took a boxed
        // single-value container, and a `[String: String]` the standard library's generic dictionary decoding.
        if T.self == String.self { return sameType(try Single(decoder: self).decode(String.self), as: T.self) }
        if T.self == Bool.self { return sameType(try Single(decoder: self).decode(Bool.self), as: T.self) }
        if T.self == Int.self { return sameType(try Single(decoder: self).decode(Int.self), as: T.self) }
        if T.self == Int64.self { return sameType(try Single(decoder: self).decode(Int64.self), as: T.self) }
        if T.self == Int32.self { return sameType(try Single(decoder: self).decode(Int32.self), as: T.self) }
        if T.self == Double.self { return sameType(try Single(decoder: self).decode(Double.self), as: T.self) }
        if T.self == [String: String].self {
            guard case .structure(let members) = value else {
                if case .map(let entries) = value { return sameType(try stringMap(entries), as: T.self) }
                throw mismatch(T.self)
            }
            return sameType(try stringMap(members), as: T.self)
        }
        if T.self == ShapeValue.self { return sameType(value, as: T.self) }
        if T.self == Date.self {
            switch value {
            case .timestamp(let d): return sameType(d, as: T.self)
            case .double(let d): return sameType(Date(timeIntervalSince1970: d), as: T.self)
            case .integer(let i): return sameType(Date(timeIntervalSince1970: Double(i)), as: T.self)
            case .string(let s):
                if let d = TimestampCoding.parse(s, format: nil) { return sameType(d, as: T.self) }
            default: break
            }
            throw mismatch(T.self)
        }
        if T.self == Data.self {
            if case .blob(let b) = value { return sameType(Data(b), as: T.self) }
            if case .string(let s) = value { return sameType(Data(s.utf8), as: T.self) }
            throw mismatch(T.self)
        }
        if T.self == [UInt8].self {
            if case .blob(let b) = value { return sameType(b, as: T.self) }
            if case .string(let s) = value { return sameType(Array(s.utf8), as: T.self) }
            throw mismatch(T.self)
        }
        return try T(from: self)
    }

    private func stringMap(_ entries: [String: ShapeValue]) throws -> [String: String] {
        var map = [String: String](minimumCapacity: entries.count)
        let path = codingPath
        for (key, value) in entries {
            map[key] = try Single(decoder: _ShapeDecoder(value: value, parentPath: path, key: DictionaryKey(key))).decode(String.self)
        }
        return map
    }

    func mismatch(_ type: Any.Type) -> DecodingError {
        DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected \(type), found \(value)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .structure(let members), .map(let members):
            return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath))
        default:
            throw mismatch([String: ShapeValue].self)
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .list(let items) = value else { throw mismatch([ShapeValue].self) }
        return Unkeyed(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: ShapeValue]
        let codingPath: [any CodingKey]
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        /// The member for a coding key: exact first, then ignoring ASCII case, so `roleArn` reads `RoleArn`.
        func member(_ key: Key) -> ShapeValue? {
            let name = key.stringValue
            if let v = members[name] { return v }
            return members.first { asciiCaseInsensitiveEquals($0.key, name) }?.value
        }

        // One lookup of the member, where the protocol's default asked `contains`, then `decodeNil`, then `decode`.
        // The concrete types too: the protocol has a default for each, which the generic one does not replace.
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try present(type, key) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(type, key) }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(type, key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(type, key) }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try present(type, key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(type, key) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(type, key) }

        private func present<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
            guard let v = member(key) else { return nil }
            return try _ShapeDecoder(value: v, parentPath: codingPath, key: key).decodeValue(T.self)
        }

        func contains(_ key: Key) -> Bool { member(key) != nil }

        func decodeNil(forKey key: Key) throws -> Bool { member(key) == nil }

        func child(_ key: Key) throws -> _ShapeDecoder {
            guard let v = member(key) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "Missing member \(key.stringValue)"))
            }
            return _ShapeDecoder(value: v, parentPath: codingPath, key: key)
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeValue(T.self) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }

        func superDecoder() throws -> any Decoder { _ShapeDecoder(value: .structure(members), codingPath: codingPath) }

        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [ShapeValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        init(items: [ShapeValue], codingPath: [any CodingKey]) {
            self.items = items
            self.codingPath = codingPath
        }

        mutating func next() throws -> _ShapeDecoder {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(ShapeValue.self, .init(codingPath: codingPath, debugDescription: "End of list"))
            }
            defer { currentIndex += 1 }
            return _ShapeDecoder(value: items[currentIndex], parentPath: codingPath, key: IndexKey(intValue: currentIndex))
        }

        mutating func decodeNil() throws -> Bool { false }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(T.self) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

        mutating func superDecoder() throws -> any Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: _ShapeDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }

        func decodeNil() -> Bool { false }

        func decode(_ type: Bool.Type) throws -> Bool {
            switch decoder.value {
            case .boolean(let b): return b
            case .string("true"): return true
            case .string("false"): return false
            default: throw decoder.mismatch(type)
            }
        }

        func decode(_ type: String.Type) throws -> String {
            switch decoder.value {
            case .string(let s): return s
            case .integer(let i): return String(i)
            case .double(let d): return String(d)
            case .boolean(let b): return b ? "true" : "false"
            case .timestamp(let d): return TimestampCoding.format(d, .iso8601)
            default: throw decoder.mismatch(type)
            }
        }

        func decode(_ type: Double.Type) throws -> Double {
            switch decoder.value {
            case .double(let d): return d
            case .integer(let i): return Double(i)
            case .string(let s): if let d = Double(s) { return d }
            default: break
            }
            throw decoder.mismatch(type)
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            let i: Int64
            switch decoder.value {
            case .integer(let v): i = v
            case .string(let s):
                guard let v = Int64(s) else { throw decoder.mismatch(type) }
                i = v
            case .double(let d) where d.rounded() == d && abs(d) < 9e18: i = Int64(d)
            default: throw decoder.mismatch(type)
            }
            guard let v = T(exactly: i) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "\(i) does not fit \(type)"))
            }
            return v
        }

        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(T.self) }
    }
}

/// A string map's key in a coding path.
private struct DictionaryKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ key: String) { stringValue = key }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct IndexKey: CodingKey {
    var stringValue: String { String(intValue ?? 0) }
    var intValue: Int?
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
