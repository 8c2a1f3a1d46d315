//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore

/// Decodes requests and encodes responses for one service, in its wire protocol, from its model.
///
/// ```swift
/// let codec = ServiceCodec(model: .sts)
/// let operation = try codec.operation(for: request)
/// let input = try codec.decodeInput(operation, from: request)
/// let response = codec.encodeOutput(operation, output, requestID: id)
/// ```
public struct ServiceCodec: Sendable {
    /// Who checks the model's constraints (required members, lengths, ranges, patterns, enums).
    public enum ConstraintValidation: Sendable, Hashable {
        /// The codec does, answering `ValidationError` / `ValidationException` as most services do.
        case model
        /// The service's handlers do, with the service's own exceptions (CloudTrail's
        /// `InvalidMaxResultsException` …). Types are still checked by the codec.
        case service
    }

    public let model: ServiceModel
    public var limits: WireLimits
    public var constraintValidation: ConstraintValidation
    /// REST operations by HTTP method, in name order so that routing ties break the same way every time.
    let restOperations: [String: [Operation]]
    /// What routing checks of each REST operation's input, worked out at its first request.
    let routeRequirements = RouteRequirementsCache()

    public init(model: ServiceModel, limits: WireLimits = .default, constraintValidation: ConstraintValidation = .model) {
        self.model = model
        self.limits = limits
        self.constraintValidation = constraintValidation
        switch model.protocol {
        case .restJSON, .restXML:
            restOperations = Dictionary(grouping: model.operations.values.sorted { $0.name < $1.name }, by: { $0.method.uppercased() })
        default:
            restOperations = [:]
        }
    }

    // MARK: Routing

    /// Finds the operation a request asks for: `Action` (query, ec2), `X-Amz-Target` (json) or
    /// method and path template (rest-json, rest-xml).
    /// ``operation(for:)``, keeping in `request` what routing parsed (a query request's parameters, a REST
    /// request's path and query) for ``decodeInput(_:from:)``.
    public func route(_ request: inout WireRequest) throws(AWSError) -> Operation {
        switch model.protocol {
        case .query, .ec2:
            if request.formParameters == nil { request.formParameters = try queryParameters(request) }
        case .restJSON, .restXML:
            if request.restTarget == nil { request.restTarget = try restTarget(request) }
        default:
            break
        }
        return try operation(for: request)
    }

    public func operation(for request: WireRequest) throws(AWSError) -> Operation {
        switch model.protocol {
        case .query, .ec2:
            let params = try queryParameters(request)
            guard let action = params.first(where: { $0.0 == "Action" })?.1, !action.isEmpty else {
                throw AWSError(code: "MissingAction", message: "Missing Action", status: 400)
            }
            guard let operation = model.operations[action] else {
                if model.protocol == .ec2 {
                    throw AWSError(code: "InvalidAction", message: "The action \(action) is not valid for this web service.", status: 400)
                }
                throw AWSError(code: "InvalidAction", message: "Could not find operation \(action) for version \(model.apiVersion)", status: 400)
            }
            return operation
        case .json:
            guard let target = request.header("X-Amz-Target"), let dot = target.lastIndex(of: ".") else {
                throw AWSError(code: "UnknownOperationException", message: "", status: 400)
            }
            let prefix = target[..<dot], name = String(target[target.index(after: dot)...])
            guard model.targetPrefix == nil || prefix == model.targetPrefix!, let operation = model.operations[name] else {
                throw AWSError(code: "UnknownOperationException", message: "", status: 400)
            }
            return operation
        case .restJSON, .restXML:
            return try restRoute(request).operation
        }
    }

    // MARK: Decoding

    /// Decodes and validates the operation's input. The streaming payload member, if any, is left out.
    public func decodeInput(_ operation: Operation, from request: WireRequest) throws(AWSError) -> ShapeValue {
        guard let inputRef = operation.input, let shape = model.shapes[inputRef.shape] else { return .empty }
        let value: ShapeValue
        switch model.protocol {
        case .query, .ec2:
            value = try decodeQueryInput(shape: shape, request: request)
        case .json:
            value = try decodeJSONInput(shape: shape, request: request)
        case .restJSON, .restXML:
            value = try decodeRESTInput(operation, shape: shape, request: request)
        }
        guard constraintValidation == .model else { return value }
        var validator = Validator(model: model)
        validator.validate(structure: value, shape: shape, path: "")
        if let message = validator.message { throw validationError(message) }
        return value
    }

    /// The members of a REST operation's input that the URI, query string and headers carry, without reading the
    /// body or validating; nil for other protocols. For deciding access to a request whose body is malformed.
    public func decodeInputWithoutBody(_ operation: Operation, from request: WireRequest) -> ShapeValue? {
        guard model.protocol == .restXML || model.protocol == .restJSON,
            let inputRef = operation.input, let shape = model.shapes[inputRef.shape]
        else { return nil }
        return try? decodeRESTInput(operation, shape: shape, request: request, includingBody: false)
    }

    // MARK: Encoding

    /// Encodes a successful response. For operations with a streaming output payload the body is
    /// left empty and `bodyIsStreamed` is set: the caller writes the payload after these headers.
    /// Structure keys that differ from member names only in case (`roleArn`) are accepted.
    public func encodeOutput(_ operation: Operation, _ value: ShapeValue, requestID: String) -> WireResponse {
        let shape = operation.output.flatMap { model.shapes[$0.shape] }
        let value = shape.map { model.normalized(value, shape: $0.name) } ?? value
        switch model.protocol {
        case .query:
            return encodeQueryOutput(operation, value, shape: shape, requestID: requestID)
        case .ec2:
            return encodeEC2Output(operation, value, shape: shape, requestID: requestID)
        case .json(let version):
            var body: [UInt8] = Array("{}".utf8)
            if let shape, let node = ShapeJSONCoding(model: model).write(value, shape: shape, ref: operation.output) {
                body = JSONWriter.encode(node)
            }
            return WireResponse(
                status: 200,
                headers: [("x-amzn-RequestId", requestID), ("Content-Type", "application/x-amz-json-\(version)")],
                body: body
            )
        case .restJSON, .restXML:
            return encodeRESTOutput(operation, value, shape: shape, requestID: requestID)
        }
    }

    /// `error` under this service's name for it, the code its clients see (and CloudTrail records).
    ///
    /// JSON services call their validation error `ValidationException`; a `ValidationError` (the query
    /// services' code, and `AWSError.validation`'s default) is renamed to it for json and rest-json. S3 names
    /// its 500 `InternalError`; the other services share the common `InternalFailure`.
    public func inServiceTerms(_ error: AWSError) -> AWSError {
        var error = error
        if error.code == "ValidationError" {
            switch model.protocol {
            case .json, .restJSON: error.code = "ValidationException"
            default: break
            }
        }
        if error.code == "InternalFailure", model.endpointPrefix == "s3" { error.code = "InternalError" }
        return error
    }

    /// Renders an error in the protocol's shape (see ``inServiceTerms(_:)``), with the request id where
    /// clients look for it.
    public func encodeError(_ error: AWSError, requestID: String) -> WireResponse {
        let error = inServiceTerms(error)
        switch model.protocol {
        case .query:
            var xml = XMLWriter()
            xml.open("ErrorResponse", attributes: model.xmlNamespace.map { [("xmlns", $0)] } ?? [])
            xml.open("Error")
            xml.element("Type", error.isSenderFault ? "Sender" : "Receiver")
            xml.element("Code", error.code)
            xml.element("Message", error.message)
            for (k, v) in error.extra { xml.element(k, v) }
            xml.close("Error")
            xml.element("RequestId", requestID)
            xml.close("ErrorResponse")
            return WireResponse(status: error.status, headers: [("x-amzn-RequestId", requestID), ("Content-Type", "text/xml")], body: xml.bytes)
        case .ec2:
            var xml = XMLWriter(declaration: true)
            xml.open("Response")
            xml.open("Errors")
            xml.open("Error")
            xml.element("Code", error.code)
            xml.element("Message", error.message)
            for (k, v) in error.extra { xml.element(k, v) }
            xml.close("Error")
            xml.close("Errors")
            xml.element("RequestID", requestID)
            xml.close("Response")
            return WireResponse(status: error.status, headers: [("x-amzn-RequestId", requestID), ("Content-Type", "text/xml;charset=UTF-8")], body: xml.bytes)
        case .json(let version):
            var members: [(String, JSONNode)] = [("__type", .string(error.code)), ("message", .string(error.message))]
            for (k, v) in error.extra { members.append((k, .string(v))) }
            return WireResponse(
                status: error.status,
                headers: [("x-amzn-RequestId", requestID), ("Content-Type", "application/x-amz-json-\(version)")],
                body: JSONWriter.encode(.object(members))
            )
        case .restJSON:
            var members: [(String, JSONNode)] = [("message", .string(error.message))]
            for (k, v) in error.extra { members.append((k, .string(v))) }
            return WireResponse(
                status: error.status,
                headers: [("x-amzn-RequestId", requestID), ("x-amzn-ErrorType", error.code), ("Content-Type", "application/json")],
                body: JSONWriter.encode(.object(members))
            )
        case .restXML:
            let hostID = Self.hostID(for: requestID)
            var xml = XMLWriter(declaration: true)
            xml.raw("\n")
            xml.open("Error")
            xml.element("Code", error.code)
            xml.element("Message", error.message)
            for (k, v) in error.extra { xml.element(k, v) }
            xml.element("RequestId", requestID)
            xml.element("HostId", hostID)
            xml.close("Error")
            return WireResponse(
                status: error.status,
                headers: [("x-amz-request-id", requestID), ("x-amz-id-2", hostID), ("Content-Type", "application/xml")],
                body: xml.bytes
            )
        }
    }

    /// S3's `x-amz-id-2`: an opaque base64 token; here derived from the request id so logs correlate.
    /// (FNV-1a over the id and a round number, six rounds chained: 48 bytes. Every S3 answer carries one, so
    /// the rounds hash the id's bytes where they are: joining them to the round number allocated twice a round.)
    static func hostID(for requestID: String) -> String {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        var out: [UInt8] = []
        out.reserveCapacity(48)
        var id = requestID
        id.withUTF8 { bytes in
            for round in 0..<6 {
                for b in bytes {
                    state ^= UInt64(b)
                    state &*= 0x100_0000_01b3
                }
                state ^= UInt64(round)
                state &*= 0x100_0000_01b3
                withUnsafeBytes(of: state.bigEndian) { out.append(contentsOf: $0) }
            }
        }
        return Base64.encode(out)
    }

    // MARK: Protocol errors

    /// The error a constraint failure produces in this protocol.
    func validationError(_ message: String) -> AWSError {
        switch model.protocol {
        case .query: AWSError(code: "ValidationError", message: message, status: 400)
        case .ec2: AWSError(code: "InvalidParameterValue", message: message, status: 400)
        case .json, .restJSON: AWSError(code: "ValidationException", message: message, status: 400)
        case .restXML: AWSError(code: "InvalidArgument", message: message, status: 400)
        }
    }

    /// The error a body that is not what its protocol says produces.
    func malformedBody(_ detail: String) -> AWSError {
        switch model.protocol {
        case .query, .ec2: AWSError(code: "MalformedQueryString", message: detail, status: 400)
        case .json, .restJSON: AWSError(code: "SerializationException", message: detail, status: 400)
        case .restXML:
            AWSError(
                code: "MalformedXML",
                message: "The XML you provided was not well-formed or did not validate against our published schema",
                status: 400
            )
        }
    }
}

/// Standard base64 without Foundation, for the few places that need it in hot paths.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
