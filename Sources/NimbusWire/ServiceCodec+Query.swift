//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore

// The query and ec2 protocols.
//
// Request (form-encoded body, or the URL query for GET):
//
//     Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3A…&Tags.member.1.Key=k&Tags.member.1.Value=v
//
// Response:
//
//     <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//       <AssumeRoleResult>…</AssumeRoleResult>
//       <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//     </AssumeRoleResponse>
//
// EC2 flattens every list (`GroupId.1`), capitalizes `locationName` or uses `queryName`, and answers
// `<XResponse xmlns="…"><requestId>…</requestId>…</XResponse>`.

/// Parameters split on `.` into a tree: `Tags.member.1.Key` → Tags → member → 1 → Key.
private final class ParameterNode {
    var value: String?
    var children: [String: ParameterNode] = [:]

    func child(_ name: String) -> ParameterNode? { children[name] }

    /// Children whose names are list indexes, in index order.
    func indexed(limit: Int) throws(ScalarReader.Failure) -> [ParameterNode] {
        var items: [(Int, ParameterNode)] = []
        for (k, v) in children {
            guard let i = Int(k), i >= 1, i <= limit else { continue }
            items.append((i, v))
        }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

extension ServiceCodec {
    /// The decoded parameters of a query-protocol request: URL query first, then a form body.
    func queryParameters(_ request: WireRequest) throws(AWSError) -> [(String, String)] {
        if let parsed = request.formParameters { return parsed }
        do {
            var params = try FormDecoding.pairs(request.query, limit: limits.maxParameters)
            if !request.body.isEmpty {
                if let contentType = request.header("Content-Type"), !contentType.hasPrefixASCIICaseInsensitive("application/x-www-form-urlencoded") {
                    throw AWSError(code: "InvalidQueryParameter", message: "Unsupported Content-Type \(contentType.lowercased())", status: 400)
                }
                let form = try FormDecoding.pairs(request.body, limit: limits.maxParameters)
                if params.isEmpty { params = form } else { params += form }
            }
            guard params.count <= limits.maxParameters else {
                throw AWSError(code: "InvalidQueryParameter", message: "Too many parameters", status: 400)
            }
            return params
        } catch let error as FormDecoding.Failure {
            throw AWSError(code: "MalformedQueryString", message: "The query string contains a syntax error: \(error.message)", status: 400)
        } catch let error as AWSError {
            throw error
        } catch {
            throw AWSError(code: "MalformedQueryString", message: "The query string contains a syntax error", status: 400)
        }
    }

    func decodeQueryInput(shape: Shape, request: WireRequest) throws(AWSError) -> ShapeValue {
        let root = ParameterNode()
        for (key, value) in try queryParameters(request) where key != "Action" && key != "Version" {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= limits.maxDepth else {
                throw AWSError(code: "InvalidQueryParameter", message: "The parameter \(key.prefix(100)) is nested too deeply", status: 400)
            }
            guard value.utf8.count <= limits.maxStringBytes else {
                throw AWSError(code: "InvalidQueryParameter", message: "The value of \(key.prefix(100)) is too long", status: 400)
            }
            var node = root
            for part in parts {
                let name = String(part)
                if let next = node.children[name] {
                    node = next
                } else {
                    let next = ParameterNode()
                    node.children[name] = next
                    node = next
                }
            }
            node.value = value
        }
        do {
            return try readQuery(root, shape: shape, ref: nil, path: "") ?? .empty
        } catch {
            throw validationError("1 validation error detected: \(error.message)")
        }
    }

    private var isEC2: Bool { model.protocol == .ec2 }

    private func queryName(_ member: Member) -> String {
        guard isEC2 else { return member.ref.locationName ?? member.name }
        if let q = member.ref.queryName { return q }
        if let l = member.ref.locationName, let first = l.first { return first.uppercased() + l.dropFirst() }
        return member.name
    }

    private func readQuery(_ node: ParameterNode, shape: Shape, ref: ShapeRef?, path: String) throws(ScalarReader.Failure) -> ShapeValue? {
        switch shape.type {
        case .structure:
            var members: [String: ShapeValue] = [:]
            for member in shape.members {
                guard let target = model.shapes[member.ref.shape] else { continue }
                var child = node.child(queryName(member))
                // botocore names a flattened list after its member's locationName when it has one.
                if child == nil, !isEC2, target.type == .list, member.ref.flattened || target.flattened, let itemName = target.member?.locationName {
                    child = node.child(itemName)
                }
                guard let child else { continue }
                let memberPath = path.isEmpty ? Validator.pathName(member.name) : "\(path).\(Validator.pathName(member.name))"
                if let v = try readQuery(child, shape: target, ref: member.ref, path: memberPath) { members[member.name] = v }
            }
            return .structure(members)
        case .list:
            guard let memberRef = shape.member, let target = model.shapes[memberRef.shape] else { return nil }
            let container: ParameterNode?
            if isEC2 || ref?.flattened == true || shape.flattened {
                container = node
            } else {
                container = node.child(memberRef.locationName ?? "member")
            }
            guard let container else { return node.value != nil ? .list([]) : nil }
            var items: [ShapeValue] = []
            for (i, item) in try container.indexed(limit: limits.maxListIndex).enumerated() {
                if let v = try readQuery(item, shape: target, ref: memberRef, path: "\(path).\(i + 1).member") { items.append(v) }
            }
            return .list(items)
        case .map:
            guard let keyRef = shape.key, let valueRef = shape.value, let target = model.shapes[valueRef.shape] else { return nil }
            let flattened = ref?.flattened == true || shape.flattened
            guard let container = flattened ? node : node.child("entry") else { return node.value != nil ? .map([:]) : nil }
            var map: [String: ShapeValue] = [:]
            for entry in try container.indexed(limit: limits.maxListIndex) {
                guard let key = entry.child(keyRef.locationName ?? "key")?.value else { continue }
                if let valueNode = entry.child(valueRef.locationName ?? "value"),
                    let v = try readQuery(valueNode, shape: target, ref: valueRef, path: "\(path).\(key)")
                {
                    map[key] = v
                }
            }
            return .map(map)
        default:
            guard let text = node.value else { return nil }
            do {
                return try ScalarReader.read(text, shape: shape, format: ref?.timestampFormat ?? shape.timestampFormat ?? .iso8601)
            } catch {
                throw ScalarReader.Failure(message: "Value '\(text)' at '\(path)' failed to satisfy constraint: \(error.message)")
            }
        }
    }

    func encodeQueryOutput(_ operation: Operation, _ value: ShapeValue, shape: Shape?, requestID: String) -> WireResponse {
        var writer = ShapeXMLWriter(model: model)
        writer.xml.open(operation.name, suffix: "Response", namespace: model.xmlNamespace)
        if let shape {
            if let wrapper = operation.output?.resultWrapper {
                writer.xml.open(wrapper)
                writer.writeMembers(of: value, shape: shape)
                writer.xml.close(wrapper)
            } else {
                writer.xml.open(operation.name, suffix: "Result")
                writer.writeMembers(of: value, shape: shape)
                writer.xml.close(operation.name, suffix: "Result")
            }
        }
        writer.xml.open("ResponseMetadata")
        writer.xml.element("RequestId", requestID)
        writer.xml.close("ResponseMetadata")
        writer.xml.close(operation.name, suffix: "Response")
        return WireResponse(status: 200, headers: [("x-amzn-RequestId", requestID), ("Content-Type", "text/xml")], body: writer.xml.bytes)
    }

    func encodeEC2Output(_ operation: Operation, _ value: ShapeValue, shape: Shape?, requestID: String) -> WireResponse {
        var writer = ShapeXMLWriter(model: model, declaration: true)
        let root = operation.name + "Response"
        let namespace = model.xmlNamespace ?? "http://ec2.amazonaws.com/doc/\(model.apiVersion)/"
        writer.xml.open(root, attributes: [("xmlns", namespace)])
        writer.xml.element("requestId", requestID)
        if let shape { writer.writeMembers(of: value, shape: shape) }
        writer.xml.close(root)
        return WireResponse(status: 200, headers: [("x-amzn-RequestId", requestID), ("Content-Type", "text/xml;charset=UTF-8")], body: writer.xml.bytes)
    }
}
