//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

extension ServiceModel {
    /// Parses botocore's `service-2.json`.
    public init(json bytes: some Collection<UInt8>) throws(AWSError) {
        let root: JSONNode
        do {
            root = try JSONParser(maxDepth: 32, maxStringBytes: 1 << 24, maxElements: 1 << 24).parse(bytes)
        } catch {
            throw AWSError(code: "InvalidModel", message: "The service model is not JSON: \(error.reason) at \(error.offset)", status: 500)
        }
        guard let metadata = root["metadata"], let protocolName = metadata["protocol"]?.string else {
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
        var shapes: [String: Shape] = [:]
        for (name, node) in root["shapes"]?.members ?? [] {
            shapes[name] = Shape(name: name, node: node)
        }
        var operations: [String: Operation] = [:]
        for (name, node) in root["operations"]?.members ?? [] {
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
            op.streamingInputMember = Self.streamingPayload(op.input, shapes)
            op.streamingOutputMember = Self.streamingPayload(op.output, shapes)
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
    package static func generated(json: StaticString) -> ServiceModel {
        json.withUTF8Buffer { buffer in
            do {
                return try ServiceModel(json: buffer)
            } catch {
                fatalError("Generated service model does not load: \(error)")
            }
        }
    }

    static func streamingPayload(_ ref: ShapeRef?, _ shapes: [String: Shape]) -> String? {
        guard let ref, let shape = shapes[ref.shape], let payload = shape.payload, let member = shape[member: payload] else { return nil }
        let target = shapes[member.ref.shape]
        guard member.ref.streaming || target?.streaming == true, target?.type == .blob || target?.type == .string else { return nil }
        return payload
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
