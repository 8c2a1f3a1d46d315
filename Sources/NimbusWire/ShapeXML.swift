//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// Writes shape values as XML the way botocore's parsers read them (query, ec2 and rest-xml).
struct ShapeXMLWriter {
    let model: ServiceModel
    /// Whether body timestamps carry milliseconds (S3 does: `2026-11-22T17:00:00.000Z`).
    var fractionalTimestamps = false
    var xml: XMLWriter

    init(model: ServiceModel, fractionalTimestamps: Bool = false, declaration: Bool = false) {
        self.model = model
        self.fractionalTimestamps = fractionalTimestamps
        self.xml = XMLWriter(declaration: declaration)
    }

    /// Writes the members of a structure as child elements, skipping HTTP-bound and attribute members.
    mutating func writeMembers(of value: ShapeValue, shape: Shape) {
        guard case .structure(let members) = value else { return }
        for member in shape.members where member.ref.location == nil && !member.ref.xmlAttribute {
            guard let v = members[member.name], let target = model.shapes[member.ref.shape] else { continue }
            writeMember(name: member.ref.locationName ?? member.name, value: v, ref: member.ref, shape: target)
        }
    }

    /// Writes one member, which for flattened lists and maps is several sibling elements.
    mutating func writeMember(name: String, value: ShapeValue, ref: ShapeRef, shape: Shape) {
        switch (shape.type, value) {
        case (.list, .list(let items)):
            guard let memberRef = shape.member, let memberShape = model.shapes[memberRef.shape] else { return }
            if ref.flattened || shape.flattened {
                let elementName = memberRef.locationName ?? name
                for item in items { writeElement(elementName, item, ref: memberRef, shape: memberShape) }
            } else {
                xml.open(name, attributes: namespaceAttributes(ref.xmlNamespace ?? shape.xmlNamespace))
                for item in items { writeElement(memberRef.locationName ?? "member", item, ref: memberRef, shape: memberShape) }
                xml.close(name)
            }
        case (.map, .map(let entries)), (.map, .structure(let entries)):
            guard let keyRef = shape.key, let valueRef = shape.value, let valueShape = model.shapes[valueRef.shape] else { return }
            let keyName = keyRef.locationName ?? "key", valueName = valueRef.locationName ?? "value"
            let flattened = ref.flattened || shape.flattened
            if !flattened { xml.open(name) }
            for key in entries.keys.sorted() {
                xml.open(flattened ? name : "entry")
                xml.element(keyName, key)
                writeElement(valueName, entries[key]!, ref: valueRef, shape: valueShape)
                xml.close(flattened ? name : "entry")
            }
            if !flattened { xml.close(name) }
        default:
            writeElement(name, value, ref: ref, shape: shape)
        }
    }

    mutating func writeElement(_ name: String, _ value: ShapeValue, ref: ShapeRef?, shape: Shape) {
        switch shape.type {
        case .structure:
            guard case .structure(let members) = value else { return }
            var attributes = namespaceAttributes(ref?.xmlNamespace ?? shape.xmlNamespace)
            for member in shape.members where member.ref.xmlAttribute {
                guard let v = members[member.name] else { continue }
                if let ns = member.ref.xmlNamespace ?? model.shapes[member.ref.shape]?.xmlNamespace, let prefix = ns.prefix,
                    !attributes.contains(where: { $0.0 == "xmlns:\(prefix)" })
                {
                    attributes.append(("xmlns:\(prefix)", ns.uri))
                }
                attributes.append((member.ref.locationName ?? member.name, scalarText(v, shape: model.shapes[member.ref.shape], ref: member.ref)))
            }
            xml.open(name, attributes: attributes)
            writeMembers(of: value, shape: shape)
            xml.close(name)
        case .list, .map:
            // A list or map inside a list or map: always wrapped.
            var unflattened = shape
            unflattened.flattened = false
            writeMember(name: name, value: value, ref: ShapeRef(shape: shape.name), shape: unflattened)
        default:
            xml.open(name, attributes: namespaceAttributes(ref?.xmlNamespace))
            xml.escape(scalarText(value, shape: shape, ref: ref))
            xml.close(name)
        }
    }

    func scalarText(_ value: ShapeValue, shape: Shape?, ref: ShapeRef?) -> String {
        let format = ref?.timestampFormat ?? shape?.timestampFormat ?? .iso8601
        return ScalarReader.write(value, shape: shape, format: format, fractional: fractionalTimestamps)
    }

    func namespaceAttributes(_ ns: XMLNamespace?) -> [(String, String)] {
        guard let ns else { return [] }
        return [(ns.prefix.map { "xmlns:\($0)" } ?? "xmlns", ns.uri)]
    }
}

/// Reads XML request bodies (rest-xml payloads) into shape values.
struct ShapeXMLReader {
    struct Failure: Error {
        var message: String
    }

    let model: ServiceModel

    func readStructure(_ element: XMLTreeElement, shape: Shape) throws(Failure) -> ShapeValue {
        var members: [String: ShapeValue] = [:]
        for member in shape.members where member.ref.location == nil {
            guard let target = model.shapes[member.ref.shape] else { continue }
            let name = member.ref.locationName ?? member.name
            if member.ref.xmlAttribute {
                let local = name.split(separator: ":").last.map(String.init) ?? name
                if let text = element.attributes[name] ?? element.attributes.first(where: { $0.key.hasSuffix(":" + local) || $0.key == local })?.value {
                    members[member.name] = try scalar(text, target, member.ref)
                }
                continue
            }
            if target.type == .list, member.ref.flattened || target.flattened {
                let itemName = target.member?.locationName ?? name
                var items = element.children(named: itemName)
                if items.isEmpty, itemName != name { items = element.children(named: name) }
                if !items.isEmpty { members[member.name] = try readList(items, shape: target) }
            } else if target.type == .map, member.ref.flattened || target.flattened {
                let entries = element.children(named: name)
                if !entries.isEmpty { members[member.name] = try readMap(entries, shape: target) }
            } else if let child = element.child(named: name) {
                members[member.name] = try read(child, shape: target, ref: member.ref)
            }
        }
        return .structure(members)
    }

    func read(_ element: XMLTreeElement, shape: Shape, ref: ShapeRef?) throws(Failure) -> ShapeValue {
        switch shape.type {
        case .structure:
            return try readStructure(element, shape: shape)
        case .list:
            return try readList(element.children, shape: shape)
        case .map:
            return try readMap(element.children(named: "entry"), shape: shape)
        default:
            return try scalar(element.text, shape, ref)
        }
    }

    func readList(_ items: [XMLTreeElement], shape: Shape) throws(Failure) -> ShapeValue {
        guard let ref = shape.member, let target = model.shapes[ref.shape] else { return .list([]) }
        var values: [ShapeValue] = []
        for item in items { values.append(try read(item, shape: target, ref: ref)) }
        return .list(values)
    }

    func readMap(_ entries: [XMLTreeElement], shape: Shape) throws(Failure) -> ShapeValue {
        guard let keyRef = shape.key, let valueRef = shape.value, let target = model.shapes[valueRef.shape] else { return .map([:]) }
        var map: [String: ShapeValue] = [:]
        for entry in entries {
            guard let key = entry.child(named: keyRef.locationName ?? "key")?.text else { throw Failure(message: "map entry without a key") }
            if let value = entry.child(named: valueRef.locationName ?? "value") { map[key] = try read(value, shape: target, ref: valueRef) }
        }
        return .map(map)
    }

    func scalar(_ text: String, _ shape: Shape, _ ref: ShapeRef?) throws(Failure) -> ShapeValue {
        do {
            return try ScalarReader.read(text, shape: shape, format: ref?.timestampFormat ?? shape.timestampFormat ?? .iso8601)
        } catch {
            throw Failure(message: error.message)
        }
    }
}
