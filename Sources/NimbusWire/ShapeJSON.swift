//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore

/// Converts between JSON documents and shape values for the json and rest-json protocols.
struct ShapeJSONCoding {
    struct Failure: Error {
        var message: String
    }

    let model: ServiceModel
    /// rest-json leaves HTTP-bound members out of the body.
    var skipLocated = false

    // MARK: Reading

    func read(_ node: JSONNode, shape: Shape, ref: ShapeRef?) throws(Failure) -> ShapeValue? {
        if case .null = node { return nil }
        switch shape.type {
        case .structure:
            guard case .object(let pairs) = node else { throw Failure(message: "Start of structure or map expected for \(shape.name).") }
            var members: [String: ShapeValue] = [:]
            for member in shape.members {
                if skipLocated, member.ref.location != nil { continue }
                let key = member.ref.locationName ?? member.name
                guard let child = pairs.first(where: { $0.0 == key })?.1, let target = model.shapes[member.ref.shape] else { continue }
                if let v = try read(child, shape: target, ref: member.ref) { members[member.name] = v }
            }
            return .structure(members)
        case .list:
            guard case .array(let items) = node else { throw Failure(message: "Start of list expected for \(shape.name).") }
            guard let memberRef = shape.member, let target = model.shapes[memberRef.shape] else { return .list([]) }
            var values: [ShapeValue] = []
            for item in items {
                if let v = try read(item, shape: target, ref: memberRef) { values.append(v) }
            }
            return .list(values)
        case .map:
            guard case .object(let pairs) = node else { throw Failure(message: "Start of map expected for \(shape.name).") }
            guard let valueRef = shape.value, let target = model.shapes[valueRef.shape] else { return .map([:]) }
            var map: [String: ShapeValue] = [:]
            for (k, v) in pairs {
                if let value = try read(v, shape: target, ref: valueRef) { map[k] = value }
            }
            return .map(map)
        case .string:
            guard case .string(let s) = node else { throw Failure(message: "\(kind(node)) can not be converted to a String") }
            return .string(s)
        case .integer, .long, .short, .byte, .biginteger:
            guard case .number(let text) = node else { throw Failure(message: "\(kind(node)) can not be converted to an Integer") }
            if let i = Int64(text) { return .integer(i) }
            throw Failure(message: "NUMBER_VALUE \(text) can not be converted to an Integer")
        case .float, .double, .bigdecimal:
            switch node {
            case .number(let text): return .double(Double(text) ?? 0)
            case .string("NaN"): return .double(.nan)
            case .string("Infinity"): return .double(.infinity)
            case .string("-Infinity"): return .double(-.infinity)
            default: throw Failure(message: "\(kind(node)) can not be converted to a Double")
            }
        case .boolean:
            guard case .bool(let b) = node else { throw Failure(message: "\(kind(node)) can not be converted to a Boolean") }
            return .boolean(b)
        case .timestamp:
            switch node {
            case .number(let text):
                guard let d = Double(text), d.isFinite else { throw Failure(message: "Invalid timestamp \(text)") }
                return .timestamp(Date(timeIntervalSince1970: d))
            case .string(let s):
                guard let d = TimestampCoding.parse(s, format: nil) else { throw Failure(message: "Invalid timestamp \(s)") }
                return .timestamp(d)
            default: throw Failure(message: "\(kind(node)) can not be converted to a Timestamp")
            }
        case .blob:
            guard case .string(let s) = node else { throw Failure(message: "\(kind(node)) can not be converted to a Blob") }
            guard let data = Data(base64Encoded: s) else { throw Failure(message: "Base64 encoded value expected for \(shape.name)") }
            return .blob(Array(data))
        case .document:
            return nil
        }
    }

    private func kind(_ node: JSONNode) -> String {
        switch node {
        case .null: "NULL_VALUE"
        case .bool: "BOOLEAN_VALUE"
        case .number: "NUMBER_VALUE"
        case .string: "STRING_VALUE"
        case .array: "START_ARRAY"
        case .object: "START_OBJECT"
        }
    }

    // MARK: Writing

    func write(_ value: ShapeValue, shape: Shape, ref: ShapeRef?) -> JSONNode? {
        switch (shape.type, value) {
        case (.structure, .structure(let members)):
            var pairs: [(String, JSONNode)] = []
            for member in shape.members {
                if skipLocated, member.ref.location != nil { continue }
                guard let v = members[member.name], let target = model.shapes[member.ref.shape],
                    let node = write(v, shape: target, ref: member.ref)
                else { continue }
                pairs.append((member.ref.locationName ?? member.name, node))
            }
            return .object(pairs)
        case (.list, .list(let items)):
            guard let memberRef = shape.member, let target = model.shapes[memberRef.shape] else { return .array([]) }
            return .array(items.compactMap { write($0, shape: target, ref: memberRef) })
        case (.map, .map(let entries)), (.map, .structure(let entries)):
            guard let valueRef = shape.value, let target = model.shapes[valueRef.shape] else { return .object([]) }
            return .object(entries.keys.sorted().compactMap { k in write(entries[k]!, shape: target, ref: valueRef).map { (k, $0) } })
        case (_, .timestamp(let d)):
            let format = ref?.timestampFormat ?? shape.timestampFormat ?? .unixTimestamp
            let text = TimestampCoding.format(d, format)
            return format == .unixTimestamp ? .number(text) : .string(text)
        case (_, .blob(let b)):
            return .string(Data(b).base64EncodedString())
        case (_, .boolean(let b)):
            return .bool(b)
        case (.string, _):
            return .string(ScalarReader.write(value, shape: shape, format: .unixTimestamp))
        case (_, .integer(let i)):
            return .number(String(i))
        case (_, .double(let d)):
            if d.isNaN || d.isInfinite { return .string(ScalarReader.double(d)) }
            if [.integer, .long, .short, .byte].contains(shape.type), d.rounded() == d, abs(d) < 9e18 { return .number(String(Int64(d))) }
            return .number(d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d))
        case (_, .string(let s)):
            if shape.type == .integer || shape.type == .long, let i = Int64(s) { return .number(String(i)) }
            return .string(s)
        default:
            return nil
        }
    }
}
