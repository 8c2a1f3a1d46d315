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
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == ShapeValue.self { return value as! T }
        if T.self == Date.self {
            switch value {
            case .timestamp(let d): return d as! T
            case .double(let d): return Date(timeIntervalSince1970: d) as! T
            case .integer(let i): return Date(timeIntervalSince1970: Double(i)) as! T
            case .string(let s):
                if let d = TimestampCoding.parse(s, format: nil) { return d as! T }
            default: break
            }
            throw mismatch(T.self)
        }
        if T.self == Data.self {
            if case .blob(let b) = value { return Data(b) as! T }
            if case .string(let s) = value { return Data(s.utf8) as! T }
            throw mismatch(T.self)
        }
        if T.self == [UInt8].self {
            if case .blob(let b) = value { return b as! T }
            if case .string(let s) = value { return Array(s.utf8) as! T }
            throw mismatch(T.self)
        }
        return try T(from: self)
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

        /// The member for a coding key: exact first, then ignoring case, so `roleArn` reads `RoleArn`.
        func member(_ key: Key) -> ShapeValue? {
            if let v = members[key.stringValue] { return v }
            let wanted = key.stringValue.lowercased()
            return members.first { $0.key.lowercased() == wanted }?.value
        }

        func contains(_ key: Key) -> Bool { member(key) != nil }

        func decodeNil(forKey key: Key) throws -> Bool { member(key) == nil }

        func child(_ key: Key) throws -> _ShapeDecoder {
            guard let v = member(key) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "Missing member \(key.stringValue)"))
            }
            return _ShapeDecoder(value: v, codingPath: codingPath + [key])
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
            return _ShapeDecoder(value: items[currentIndex], codingPath: codingPath + [IndexKey(intValue: currentIndex)])
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

struct IndexKey: CodingKey {
    var stringValue: String { String(intValue ?? 0) }
    var intValue: Int?
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
