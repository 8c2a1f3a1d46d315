//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// Encodes an `Encodable` value into a `ShapeValue`; coding keys are the model's member names.
///
/// `nil` optionals are left out. `Date` becomes a timestamp, `Data` and `[UInt8]` blobs, and
/// `[String: V]` a structure that the codecs write as a map where the model says so.
public struct ShapeEncoder: Sendable {
    public init() {}

    public func encode(_ value: some Encodable) throws -> ShapeValue {
        let node = EncodingNode()
        try node.encodeValue(value, codingPath: [])
        return node.result
    }
}

/// Mutable scratch tree filled by the `Encoder` containers, turned into a `ShapeValue` at the end.
private final class EncodingNode {
    enum Storage {
        case empty
        case value(ShapeValue)
        case keyed([String: Member])
        case unkeyed([EncodingNode])
    }

    /// A scalar member is kept as its value: a node for each would be an allocation per member.
    enum Member {
        case value(ShapeValue)
        case node(EncodingNode)

        var result: ShapeValue {
            switch self {
            case .value(let v): v
            case .node(let node): node.result
            }
        }
    }

    var storage: Storage = .empty

    var result: ShapeValue {
        switch storage {
        case .empty: .structure([:])
        case .value(let v): v
        case .keyed(let members): .structure(members.mapValues(\.result))
        case .unkeyed(let items): .list(items.map(\.result))
        }
    }

    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        // Types compared, not cast: four failed `as` casts cost more than encoding a small output. (A cast would
        // also take any empty array for a `[UInt8]`, a blob.)
        if T.self == ShapeValue.self {
            storage = .value(sameType(value, as: ShapeValue.self))
        } else if T.self == Date.self {
            storage = .value(.timestamp(sameType(value, as: Date.self)))
        } else if T.self == Data.self {
            storage = .value(.blob(Array(sameType(value, as: Data.self))))
        } else if T.self == [UInt8].self {
            storage = .value(.blob(sameType(value, as: [UInt8].self)))
        } else {
            try value.encode(to: _ShapeEncoder(node: self, codingPath: codingPath))
        }
    }

    // The storage is emptied while its dictionary or array is changed, so that the change happens in
    // place instead of on a copy made because `storage` still held it.
    func keyedChild(_ key: String) -> EncodingNode {
        var members: [String: Member] = [:]
        if case .keyed(let m) = storage {
            storage = .empty
            members = m
        }
        let child: EncodingNode
        switch members[key] {
        case .node(let node):
            child = node
        case .value(let value):
            child = EncodingNode()
            child.storage = .value(value)
        case nil:
            child = EncodingNode()
        }
        members[key] = .node(child)
        storage = .keyed(members)
        return child
    }

    /// Sets member `key` to a scalar, without the `Encoder` round trip that `encodeValue` takes.
    func setMember(_ key: String, _ value: ShapeValue) {
        var members: [String: Member] = [:]
        if case .keyed(let m) = storage {
            storage = .empty
            members = m
        }
        members[key] = .value(value)
        storage = .keyed(members)
    }

    func appendChild() -> EncodingNode {
        var items: [EncodingNode] = []
        if case .unkeyed(let i) = storage {
            storage = .empty
            items = i
        }
        let child = EncodingNode()
        items.append(child)
        storage = .unkeyed(items)
        return child
    }
}

private struct _ShapeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // Room for a typical structure's members at once, where growing from empty reallocated twice by the third.
        if case .keyed = node.storage {} else { node.storage = .keyed(Dictionary(minimumCapacity: 8)) }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unkeyed = node.storage {} else { node.storage = .unkeyed([]) }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: EncodingNode
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws {}

        // Scalars directly: the generic path below tries four casts and builds an encoder for each one.
        mutating func encode(_ value: String, forKey key: Key) throws { node.setMember(key.stringValue, .string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { node.setMember(key.stringValue, .boolean(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { node.setMember(key.stringValue, .integer(Int64(value))) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { node.setMember(key.stringValue, .integer(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { node.setMember(key.stringValue, .integer(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { node.setMember(key.stringValue, .double(value)) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try node.keyedChild(key.stringValue).encodeValue(value, codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            _ShapeEncoder(node: node.keyedChild(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            _ShapeEncoder(node: node.keyedChild(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { _ShapeEncoder(node: node, codingPath: codingPath) }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            _ShapeEncoder(node: node.keyedChild(key.stringValue), codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: EncodingNode
        let codingPath: [any CodingKey]
        var count: Int {
            if case .unkeyed(let items) = node.storage { return items.count }
            return 0
        }

        mutating func encodeNil() throws {}

        mutating func encode<T: Encodable>(_ value: T) throws {
            let path = codingPath + [IndexKey(intValue: count)]
            try node.appendChild().encodeValue(value, codingPath: path)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            _ShapeEncoder(node: node.appendChild(), codingPath: codingPath).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            _ShapeEncoder(node: node.appendChild(), codingPath: codingPath).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { _ShapeEncoder(node: node.appendChild(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: EncodingNode
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws {}
        mutating func encode(_ value: Bool) throws { node.storage = .value(.boolean(value)) }
        mutating func encode(_ value: String) throws { node.storage = .value(.string(value)) }
        mutating func encode(_ value: Double) throws { node.storage = .value(.double(value)) }
        mutating func encode(_ value: Float) throws { node.storage = .value(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: Int8) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: Int16) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: Int32) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: Int64) throws { node.storage = .value(.integer(value)) }
        mutating func encode(_ value: UInt) throws { node.storage = .value(.integer(Int64(clamping: value))) }
        mutating func encode(_ value: UInt8) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: UInt16) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: UInt32) throws { node.storage = .value(.integer(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { node.storage = .value(.integer(Int64(clamping: value))) }
        mutating func encode<T: Encodable>(_ value: T) throws { try node.encodeValue(value, codingPath: codingPath) }
    }
}
