//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore
import Synchronization

extension ServiceModel {
    /// Parses botocore's `service-2.json`.
    public init(json bytes: some Collection<UInt8>) throws(AWSError) {
        let root: JSONNode
        do {
            root = try Self.parser.parse(bytes)
        } catch {
            throw AWSError(code: "InvalidModel", message: "The service model is not JSON: \(error.reason) at \(error.offset)", status: 500)
        }
        var shapes: [String: Shape] = [:]
        for (name, node) in root["shapes"]?.members ?? [] {
            shapes[name] = Shape(name: name, node: node)
        }
        try self.init(metadata: root["metadata"], operations: root["operations"], shapes: ShapeTable(shapes))
    }

    private init(metadata: JSONNode?, operations operationsNode: JSONNode?, shapes: ShapeTable) throws(AWSError) {
        guard let metadata, let protocolName = metadata["protocol"]?.string else {
            throw AWSError(code: "InvalidModel", message: "The service model has no metadata.protocol", status: 500)
        }
        let wireProtocol: WireProtocol
        switch protocolName {
        case "query": wireProtocol = .query
        case "ec2": wireProtocol = .ec2
        case "json": wireProtocol = .json(version: metadata["jsonVersion"]?.string ?? "1.0")
        case "rest-json": wireProtocol = .restJSON
        case "rest-xml": wireProtocol = .restXML
        default: throw AWSError(code: "InvalidModel", message: "Unsupported protocol \(protocolName)", status: 500)
        }
        let endpointPrefix = metadata["endpointPrefix"]?.string ?? ""
        var operations: [String: Operation] = [:]
        for (name, node) in operationsNode?.members ?? [] {
            var op = Operation(
                name: name,
                method: node["http"]?["method"]?.string ?? "POST",
                requestURI: node["http"]?["requestUri"]?.string ?? "/",
                responseCode: node["http"]?["responseCode"]?.number.map { Int($0) } ?? 200,
                input: node["input"].map { ShapeRef(node: $0) },
                output: node["output"].map { ShapeRef(node: $0) },
                errors: node["errors"]?.array?.compactMap { $0["shape"]?.string } ?? [],
                deprecated: node["deprecated"]?.bool ?? false
            )
            // Only the REST protocols bind a member to the body (`payload`); skipping the others keeps
            // a lazily loaded model from parsing shapes at start.
            if wireProtocol == .restXML || wireProtocol == .restJSON {
                op.streamingInputMember = Self.streamingPayload(op.input, shapes)
                op.streamingOutputMember = Self.streamingPayload(op.output, shapes)
            }
            operations[name] = op
        }
        self.init(
            serviceID: metadata["serviceId"]?.string ?? endpointPrefix,
            serviceFullName: metadata["serviceFullName"]?.string,
            protocol: wireProtocol,
            apiVersion: metadata["apiVersion"]?.string ?? "",
            signingName: metadata["signingName"]?.string ?? endpointPrefix,
            endpointPrefix: endpointPrefix,
            targetPrefix: metadata["targetPrefix"]?.string,
            jsonVersion: metadata["jsonVersion"]?.string,
            xmlNamespace: metadata["xmlNamespace"]?.string,
            operations: operations,
            shapes: shapes
        )
    }

    /// Loads a model compiled into the binary by `scripts/import-models.py`; a broken one is a build defect.
    ///
    /// Only the metadata and the operations are parsed here; the shapes are located, and each is parsed
    /// when first asked for (`LazyShapes`). Parsing all of them took most of a server's start.
    package static func generated(json: StaticString) -> ServiceModel {
        // A string literal's bytes are static: they outlive every model made from them.
        let bytes = UnsafeRawBufferPointer(start: json.utf8Start, count: json.utf8CodeUnitCount)
        do {
            let scanner = JSONScanner(bytes: bytes)
            let top = try scanner.members(ofObjectAt: 0)
            func subtree(_ key: String) throws -> JSONNode? {
                guard let range = top.first(where: { $0.name == key })?.value else { return nil }
                return try parser.parse(UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
            let shapes = try top.first(where: { $0.name == "shapes" }).map { try scanner.members(ofObjectAt: $0.value.lowerBound) }
            return try ServiceModel(
                metadata: subtree("metadata"),
                operations: subtree("operations"),
                shapes: ShapeTable(lazy: LazyShapes(bytes: bytes, members: shapes ?? []))
            )
        } catch {
            fatalError("Generated service model does not load: \(error)")
        }
    }

    static let parser = JSONParser(maxDepth: 32, maxStringBytes: 1 << 24, maxElements: 1 << 24)

    static func streamingPayload(_ ref: ShapeRef?, _ shapes: ShapeTable) -> String? {
        guard let ref, shapes.mayHavePayload(ref.shape), let shape = shapes[ref.shape], let payload = shape.payload,
            let member = shape[member: payload]
        else { return nil }
        let target = shapes[member.ref.shape]
        guard member.ref.streaming || target?.streaming == true, target?.type == .blob || target?.type == .string else { return nil }
        return payload
    }
}

/// A generated model's shapes, each parsed from its JSON the first time it is asked for.
///
/// The first reader of a shape parses it and publishes it with a compare-and-exchange; every later
/// reader finds it with one atomic load, so the request path takes no lock.
final class LazyShapes: @unchecked Sendable {
    // Unchecked because of `slots`: each slot changes once, atomically, from nil to a retained `Box`
    // that is never mutated; `bytes` is static memory and everything else is immutable after init.
    private final class Box {
        let shape: Shape
        init(_ shape: Shape) { self.shape = shape }
    }

    private let bytes: UnsafeRawBufferPointer
    private let index: [String: Int]
    private let ranges: [Range<Int>]
    let names: [String]
    private let slots: UnsafeMutablePointer<Atomic<UnsafeRawPointer?>>

    /// - Parameter members: each shape's name and the range of its JSON object in `bytes`.
    init(bytes: UnsafeRawBufferPointer, members: [(name: String, value: Range<Int>)]) {
        self.bytes = bytes
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (i, member) in members.enumerated() { index[member.name] = i }
        self.index = index
        ranges = members.map(\.value)
        names = Array(index.keys)
        slots = .allocate(capacity: members.count)
        for i in 0..<members.count { (slots + i).initialize(to: Atomic(nil)) }
    }

    deinit {
        for i in 0..<ranges.count {
            if let box = slots[i].load(ordering: .acquiring) { Unmanaged<Box>.fromOpaque(box).release() }
        }
        slots.deinitialize(count: ranges.count)
        slots.deallocate()
    }

    subscript(name: String) -> Shape? {
        guard let i = index[name] else { return nil }
        if let box = slots[i].load(ordering: .acquiring) {
            return Unmanaged<Box>.fromOpaque(box).takeUnretainedValue().shape
        }
        return parse(i, name: name)
    }

    /// False when the shape's JSON does not mention `payload`, without parsing it.
    func mayHavePayload(_ name: String) -> Bool {
        guard let i = index[name] else { return false }
        let key: StaticString = "\"payload\""
        let needle = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        let json = UnsafeRawBufferPointer(rebasing: bytes[ranges[i]])
        guard json.count >= needle.count else { return false }
        for start in 0...(json.count - needle.count) where json[start] == needle[0] {
            if UnsafeRawBufferPointer(rebasing: json[start..<(start + needle.count)]).elementsEqual(needle) { return true }
        }
        return false
    }

    private func parse(_ i: Int, name: String) -> Shape {
        let node: JSONNode
        do {
            node = try ServiceModel.parser.parse(UnsafeRawBufferPointer(rebasing: bytes[ranges[i]]))
        } catch {
            fatalError("Generated service model has a broken shape \(name): \(error.reason)")
        }
        let shape = Shape(name: name, node: node)
        let box = Unmanaged.passRetained(Box(shape))
        let (stored, existing) = slots[i].compareExchange(
            expected: nil, desired: UnsafeRawPointer(box.toOpaque()), ordering: .acquiringAndReleasing
        )
        if stored { return shape }
        // Another thread parsed it first; keep its copy so that every reader sees the same one.
        box.release()
        return Unmanaged<Box>.fromOpaque(existing!).takeUnretainedValue().shape
    }
}

/// Finds the members of a JSON object and where their values lie, without parsing the values.
///
/// Only for the generated models, which `JSONParser` checks in full when a test loads every shape:
/// it checks no more of the structure than it needs to skip over it.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer

    func members(ofObjectAt start: Int) throws(JSONParseError) -> [(name: String, value: Range<Int>)] {
        var i = skipWhitespace(start)
        try expect(UInt8(ascii: "{"), at: i)
        i = skipWhitespace(i + 1)
        var members: [(name: String, value: Range<Int>)] = []
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return members }
        while true {
            try expect(UInt8(ascii: "\""), at: i)
            let nameEnd = try skipString(at: i)
            let name = try string(i..<nameEnd)
            i = skipWhitespace(nameEnd)
            try expect(UInt8(ascii: ":"), at: i)
            let valueStart = skipWhitespace(i + 1)
            let valueEnd = try skipValue(at: valueStart)
            members.append((name, valueStart..<valueEnd))
            i = skipWhitespace(valueEnd)
            guard i < bytes.count else { throw JSONParseError(reason: "unexpected end", offset: i) }
            if bytes[i] == UInt8(ascii: "}") { return members }
            try expect(UInt8(ascii: ","), at: i)
            i = skipWhitespace(i + 1)
        }
    }

    private func expect(_ byte: UInt8, at i: Int) throws(JSONParseError) {
        guard i < bytes.count, bytes[i] == byte else {
            throw JSONParseError(reason: "expected '\(Character(Unicode.Scalar(byte)))'", offset: i)
        }
    }

    private func skipWhitespace(_ start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }

    /// The index after the closing quote of the string that starts at `start`.
    private func skipString(at start: Int) throws(JSONParseError) -> Int {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""): return i + 1
            case UInt8(ascii: "\\"): i += 2
            default: i += 1
            }
        }
        throw JSONParseError(reason: "unterminated string", offset: start)
    }

    /// The index after the value that starts at `start`.
    private func skipValue(at start: Int) throws(JSONParseError) -> Int {
        var i = start
        var depth = 0
        repeat {
            guard i < bytes.count else { throw JSONParseError(reason: "unexpected end", offset: i) }
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i = try skipString(at: i)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw JSONParseError(reason: "expected a value", offset: i) }
                depth -= 1
                i += 1
            default:
                guard depth == 0 else {
                    i += 1
                    continue
                }
                // A number or a literal: it ends where a delimiter begins.
                scalar: while i < bytes.count {
                    switch bytes[i] {
                    case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: break scalar
                    default: i += 1
                    }
                }
                guard i > start else { throw JSONParseError(reason: "expected a value", offset: i) }
            }
        } while depth > 0
        return i
    }

    /// The string whose quoted JSON form is `range`.
    private func string(_ range: Range<Int>) throws(JSONParseError) -> String {
        let inner = UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        guard let string = try ServiceModel.parser.parse(UnsafeRawBufferPointer(rebasing: bytes[range])).string else {
            throw JSONParseError(reason: "expected a member name", offset: range.lowerBound)
        }
        return string
    }
}

extension ShapeRef {
    init(node: JSONNode) {
        self.init(
            shape: node["shape"]?.string ?? "",
            location: node["location"]?.string.flatMap(MemberLocation.init(rawValue:)),
            locationName: node["locationName"]?.string,
            queryName: node["queryName"]?.string,
            xmlNamespace: XMLNamespace(node: node["xmlNamespace"]),
            xmlAttribute: node["xmlAttribute"]?.bool ?? false,
            flattened: node["flattened"]?.bool ?? false,
            streaming: node["streaming"]?.bool ?? false,
            timestampFormat: node["timestampFormat"]?.string.flatMap(TimestampFormat.init(rawValue:)),
            jsonValue: node["jsonvalue"]?.bool ?? false,
            idempotencyToken: node["idempotencyToken"]?.bool ?? false,
            hostLabel: node["hostLabel"]?.bool ?? false,
            deprecated: node["deprecated"]?.bool ?? false,
            resultWrapper: node["resultWrapper"]?.string,
            eventPayload: node["eventpayload"]?.bool ?? false
        )
    }
}

extension XMLNamespace {
    init?(node: JSONNode?) {
        guard let node else { return nil }
        if let uri = node.string {
            self.init(uri: uri)
        } else if let uri = node["uri"]?.string {
            self.init(uri: uri, prefix: node["prefix"]?.string)
        } else {
            return nil
        }
    }
}

extension Shape {
    init(name: String, node: JSONNode) {
        let type = node["type"]?.string.flatMap(Kind.init(rawValue:)) ?? .string
        let errorNode = node["error"]
        let error: ErrorTraits? = errorNode.map {
            ErrorTraits(
                code: $0["code"]?.string,
                httpStatusCode: $0["httpStatusCode"]?.number.map { Int($0) },
                senderFault: $0["senderFault"]?.bool ?? true
            )
        }
        self.init(
            name: name,
            type: type,
            members: (node["members"]?.members ?? []).map { Member(name: $0.0, ref: ShapeRef(node: $0.1)) },
            member: node["member"].map { ShapeRef(node: $0) },
            key: node["key"].map { ShapeRef(node: $0) },
            value: node["value"].map { ShapeRef(node: $0) },
            required: node["required"]?.array?.compactMap(\.string) ?? [],
            min: node["min"]?.number,
            max: node["max"]?.number,
            pattern: node["pattern"]?.string,
            enumValues: node["enum"]?.array?.compactMap(\.string),
            sensitive: node["sensitive"]?.bool ?? false,
            flattened: node["flattened"]?.bool ?? false,
            locationName: node["locationName"]?.string,
            xmlNamespace: XMLNamespace(node: node["xmlNamespace"]),
            timestampFormat: node["timestampFormat"]?.string.flatMap(TimestampFormat.init(rawValue:)),
            streaming: node["streaming"]?.bool ?? false,
            eventstream: node["eventstream"]?.bool ?? false,
            union: node["union"]?.bool ?? false,
            document: node["document"]?.bool ?? false,
            payload: node["payload"]?.string,
            error: error,
            isException: node["exception"]?.bool ?? false
        )
    }
}
