//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import Synchronization

// The rest-json and rest-xml protocols: members bound to the URI (`{Bucket}`, greedy `{Key+}`),
// query string, headers (`x-amz-meta-*` through a `headers` map), status code and the body, which
// is either one `payload` member or the remaining members as a JSON object or an XML document.
//
//     PUT /bucket/photos/cat.jpg HTTP/1.1
//     x-amz-meta-color: orange
//     <streaming body>

/// The operation a REST request matched, and the pieces routing already decoded.
/// The input members routing looks at, by wire name: worked out from the model once per operation
/// instead of at every request (for an S3 GET that was a tenth of the server's time).
struct RouteRequirements: Sendable {
    /// Required query-string members: an operation matches only when the request has them all.
    var requiredQuery: [String] = []
    /// Required header members.
    var requiredHeaders: [String] = []
    /// Every query-string member, required or not: each one present makes the match more specific.
    var queryMembers: [String] = []

    init(_ operation: Operation, in model: ServiceModel) {
        guard let input = operation.input, let shape = model.shapes[input.shape] else { return }
        for name in shape.required {
            guard let member = shape[member: name] else { continue }
            switch member.ref.location {
            case .querystring: requiredQuery.append(member.ref.locationName ?? name)
            case .header: requiredHeaders.append(member.ref.locationName ?? name)
            default: break
            }
        }
        for member in shape.members where member.ref.location == .querystring {
            queryMembers.append(member.ref.locationName ?? member.name)
        }
    }
}

/// An operation as routing weighs it, with its ``RouteRequirements``.
final class RouteCandidate: Sendable {
    let operation: Operation
    let requirements: RouteRequirements

    init(_ operation: Operation, in model: ServiceModel) {
        self.operation = operation
        requirements = RouteRequirements(operation, in: model)
    }
}

/// The ``RouteCandidate``s of each HTTP method, made when a request first uses the method (working them all out
/// at start would parse every input shape of the model, which start-up leaves for later). One lookup per request,
/// and the candidates are references: routing an S3 GET weighed some forty operations, each copied out of an
/// array and looked up here under a lock of its own.
final class RouteRequirementsCache: Sendable {
    private let byMethod = Mutex<[String: [RouteCandidate]]>([:])

    func candidates(for method: String, among operations: [String: [Operation]], in model: ServiceModel) -> [RouteCandidate] {
        if let known = byMethod.withLock({ $0[method] }) { return known }
        let made = (operations[method] ?? []).map { RouteCandidate($0, in: model) }
        return byMethod.withLock { table in
            if let raced = table[method] { return raced }
            table[method] = made
            return made
        }
    }
}

struct RESTRoute {
    var operation: Operation
    var labels: [String: String]
    var query: [(String, String)]
}

extension ServiceCodec {
    private var isS3: Bool { model.endpointPrefix == "s3" }

    /// The decoded path segments (with a virtual-hosted bucket prepended) and query parameters.
    func restTarget(_ request: WireRequest) throws(AWSError) -> (segments: [String], query: [(String, String)]) {
        if let parsed = request.restTarget { return parsed }
        let query: [(String, String)]
        var segments: [String]
        do throws(FormDecoding.Failure) {
            query = try FormDecoding.pairs(request.query, limit: limits.maxParameters)
            var rawPath = request.path.isEmpty ? "/" : request.path
            if isS3, let host = request.host, let bucket = ServiceCatalog.virtualHostedBucket(host: host) {
                rawPath = "/" + FormDecoding.encode(bucket) + rawPath
            }
            let parts = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard parts.count <= 4096 else { throw FormDecoding.Failure(message: "path too long") }
            segments = []
            for part in parts { segments.append(try FormDecoding.decodePath(part)) }
            if segments == [""] { segments = [] }
        } catch {
            if isS3 { throw AWSError(code: "InvalidURI", message: "Couldn't parse the specified URI.", status: 400) }
            throw malformedBody("Invalid URI: \(error.message)")
        }
        return (segments, query)
    }

    func restRoute(_ request: WireRequest) throws(AWSError) -> RESTRoute {
        let (segments, query) = try restTarget(request)
        let method = request.method.uppercased()
        let queryKeys = Set(query.map(\.0))
        var best: (score: Int, candidate: RouteCandidate)?
        for candidate in routeRequirements.candidates(for: method, among: restOperations, in: model) {
            let operation = candidate.operation
            guard operation.template.matches(segments) else { continue }
            var score = 0
            var matches = true
            for literal in operation.template.queryLiterals {
                if let value = literal.value {
                    if query.contains(where: { $0.0 == literal.key && $0.1 == value }) {
                        score += 100
                    } else if literal.key != "x-id" {
                        matches = false
                    }
                } else if queryKeys.contains(literal.key) {
                    score += 100
                } else {
                    matches = false
                }
            }
            guard matches else { continue }
            // Operations sharing a path are told apart by the query parameters and headers they require.
            let requirements = candidate.requirements
            for name in requirements.requiredQuery {
                if queryKeys.contains(name) { score += 10 } else { matches = false }
            }
            for name in requirements.requiredHeaders {
                if request.header(name) != nil { score += 10 } else { matches = false }
            }
            for name in requirements.queryMembers where queryKeys.contains(name) { score += 1 }
            guard matches else { continue }
            if operation.deprecated { score -= 5 }
            if best == nil || score > best!.score {
                best = (score, candidate)
            }
        }
        guard let best else {
            if isS3 {
                throw AWSError(code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.", status: 405)
            }
            throw AWSError(code: "UnknownOperationException", message: "No operation matches \(method) \(request.path)", status: 404)
        }
        let operation = best.candidate.operation
        return RESTRoute(operation: operation, labels: operation.template.match(segments) ?? [:], query: query)
    }

    /// The query parameters of SigV4 presigning, which are not headers.
    static let presignParameters: Set<String> = [
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature",
        "x-amz-security-token",
    ]

    func decodeRESTInput(_ operation: Operation, shape: Shape, request: WireRequest, includingBody: Bool = true) throws(AWSError) -> ShapeValue {
        let (segments, query) = try restTarget(request)
        let route = RESTRoute(operation: operation, labels: operation.template.match(segments) ?? [:], query: query)
        var members: [String: ShapeValue] = [:]
        var headers: [String: String] = [:]
        for (name, value) in request.headers where headers[name.lowercased()] == nil { headers[name.lowercased()] = value }
        if isS3, query.contains(where: { $0.0 == "Signature" || $0.0 == "X-Amz-Signature" }) {
            // A presigned URL carries its x-amz- headers as query parameters (botocore puts `Metadata` there):
            // they are signed as headers, and S3 takes them as headers.
            for (name, value) in query {
                let lowercased = name.lowercased()
                guard lowercased.hasPrefix("x-amz-"), !Self.presignParameters.contains(lowercased), headers[lowercased] == nil else { continue }
                headers[lowercased] = value
            }
        }
        do throws(ScalarReader.Failure) {
            for member in shape.members {
                guard let target = model.shapes[member.ref.shape] else { continue }
                let name = member.ref.locationName ?? member.name
                switch member.ref.location {
                case .uri:
                    if let text = route.labels[name] { members[member.name] = try ScalarReader.read(text, shape: target, format: .iso8601) }
                case .querystring:
                    if target.type == .map {
                        var map: [String: ShapeValue] = [:]
                        let bound = Set(shape.members.filter { $0.ref.location == .querystring }.map { $0.ref.locationName ?? $0.name })
                        for (k, v) in route.query where !bound.contains(k) { map[k] = .string(v) }
                        if !map.isEmpty { members[member.name] = .map(map) }
                    } else if target.type == .list {
                        let values = route.query.filter { $0.0 == name }.map(\.1)
                        guard !values.isEmpty, let itemRef = target.member, let itemShape = model.shapes[itemRef.shape] else { continue }
                        var items: [ShapeValue] = []
                        for v in values { items.append(try ScalarReader.read(v, shape: itemShape, format: .iso8601)) }
                        members[member.name] = .list(items)
                    } else if let text = route.query.first(where: { $0.0 == name })?.1 {
                        members[member.name] = try ScalarReader.read(text, shape: target, format: member.ref.timestampFormat ?? target.timestampFormat ?? .iso8601)
                    }
                case .header:
                    guard let text = headers[name.lowercased()] else { continue }
                    if target.type == .list, let itemRef = target.member, let itemShape = model.shapes[itemRef.shape] {
                        var items: [ShapeValue] = []
                        for part in text.split(separator: ",") {
                            items.append(try ScalarReader.read(part.trimmingCharacters(in: .whitespaces), shape: itemShape, format: .rfc822))
                        }
                        members[member.name] = .list(items)
                    } else if member.ref.jsonValue {
                        guard let data = Data(base64Encoded: text), let s = String(data: data, encoding: .utf8) else {
                            throw ScalarReader.Failure(message: "header \(name) is not base64-encoded JSON")
                        }
                        members[member.name] = .string(s)
                    } else {
                        members[member.name] = try ScalarReader.read(text, shape: target, format: member.ref.timestampFormat ?? target.timestampFormat ?? .rfc822)
                    }
                case .headers:
                    let prefix = name.lowercased()
                    var map: [String: ShapeValue] = [:]
                    for (k, v) in headers where k.hasPrefix(prefix) { map[String(k.dropFirst(prefix.count))] = .string(v) }
                    if !map.isEmpty { members[member.name] = .map(map) }
                case .statusCode, nil:
                    break
                }
            }
        } catch {
            throw validationError("1 validation error detected: \(error.message)")
        }
        guard includingBody else { return .structure(members) }
        if let payload = shape.payload, let member = shape[member: payload], let target = model.shapes[member.ref.shape] {
            if operation.streamingInputMember == payload {
                // Left to the caller: the body is a stream.
            } else if target.type == .blob {
                if !request.body.isEmpty { members[payload] = .blob(request.body) }
            } else if target.type == .string {
                if !request.body.isEmpty {
                    guard let s = String(validatingUTF8Bytes: request.body) else { throw malformedBody("The body is not valid UTF-8") }
                    members[payload] = .string(s)
                }
            } else if target.type == .structure, !isBlank(request.body) {
                members[payload] = try decodeBodyStructure(request.body, shape: target, rootName: member.ref.locationName ?? target.locationName ?? payload)
            }
        } else if !isBlank(request.body), shape.members.contains(where: { $0.ref.location == nil }) {
            if case .structure(let bodyMembers) = try decodeBodyStructure(request.body, shape: shape, rootName: nil) {
                members.merge(bodyMembers) { a, _ in a }
            }
        }
        return .structure(members)
    }

    private func isBlank(_ body: [UInt8]) -> Bool {
        body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    }

    private func decodeBodyStructure(_ body: [UInt8], shape: Shape, rootName: String?) throws(AWSError) -> ShapeValue {
        if model.protocol == .restJSON {
            let node = try parseJSONBody(body)
            do {
                return try ShapeJSONCoding(model: model, skipLocated: true).read(node, shape: shape, ref: nil) ?? .empty
            } catch {
                throw malformedBody(error.message)
            }
        }
        let element: XMLTreeElement
        do {
            element = try XMLTreeParser(limits: limits).parse(body)
        } catch {
            throw malformedBody(error.reason)
        }
        do {
            return try ShapeXMLReader(model: model).readStructure(element, shape: shape)
        } catch {
            throw malformedBody(error.message)
        }
    }

    func encodeRESTOutput(_ operation: Operation, _ value: ShapeValue, shape: Shape?, requestID: String) -> WireResponse {
        var headers: [(name: String, value: String)] =
            model.protocol == .restXML
            ? [("x-amz-request-id", requestID), ("x-amz-id-2", Self.hostID(for: requestID))]
            : [("x-amzn-RequestId", requestID)]
        var status = operation.responseCode
        guard let shape, case .structure(let members) = value else {
            return WireResponse(status: status, headers: headers)
        }
        for member in shape.members {
            guard let v = members[member.name], let target = model.shapes[member.ref.shape] else { continue }
            let name = member.ref.locationName ?? member.name
            switch member.ref.location {
            case .header:
                if member.ref.jsonValue, case .string(let s) = v {
                    headers.append((name, Base64.encode(Array(s.utf8))))
                } else if case .list(let items) = v {
                    let itemShape = target.member.flatMap { model.shapes[$0.shape] }
                    headers.append((name, items.map { ScalarReader.write($0, shape: itemShape, format: .rfc822) }.joined(separator: ",")))
                } else {
                    headers.append((name, ScalarReader.write(v, shape: target, format: member.ref.timestampFormat ?? target.timestampFormat ?? .rfc822)))
                }
            case .headers:
                if case .map(let entries) = v {
                    for k in entries.keys.sorted() { headers.append((name + k, ScalarReader.write(entries[k]!, shape: nil, format: .rfc822))) }
                } else if case .structure(let entries) = v {
                    for k in entries.keys.sorted() { headers.append((name + k, ScalarReader.write(entries[k]!, shape: nil, format: .rfc822))) }
                }
            case .statusCode:
                if case .integer(let code) = v, (100...599).contains(code) { status = Int(code) }
            case .uri, .querystring, nil:
                break
            }
        }
        if let payload = shape.payload, let member = shape[member: payload], let target = model.shapes[member.ref.shape] {
            if operation.streamingOutputMember == payload {
                return WireResponse(status: status, headers: headers, bodyIsStreamed: true)
            }
            guard let v = members[payload] else { return WireResponse(status: status, headers: headers) }
            switch (target.type, v) {
            case (.blob, .blob(let bytes)):
                return WireResponse(status: status, headers: headers, body: bytes)
            case (.string, .string(let s)), (.blob, .string(let s)):
                return WireResponse(status: status, headers: headers, body: Array(s.utf8))
            default:
                break
            }
            if model.protocol == .restJSON {
                let body = ShapeJSONCoding(model: model).write(v, shape: target, ref: member.ref).map(JSONWriter.encode) ?? []
                headers.append(("Content-Type", "application/json"))
                return WireResponse(status: status, headers: headers, body: body)
            }
            var writer = ShapeXMLWriter(model: model, fractionalTimestamps: isS3, declaration: true)
            let root = member.ref.locationName ?? target.locationName ?? payload
            writer.writeElement(root, v, ref: ShapeRef(shape: target.name, xmlNamespace: member.ref.xmlNamespace ?? target.xmlNamespace ?? defaultNamespace), shape: target)
            headers.append(("Content-Type", "application/xml"))
            return WireResponse(status: status, headers: headers, body: writer.xml.bytes)
        }
        let bodyMembers = shape.members.filter { $0.ref.location == nil && members[$0.name] != nil }
        if model.protocol == .restJSON {
            guard shape.members.contains(where: { $0.ref.location == nil }) else { return WireResponse(status: status, headers: headers) }
            let body = ShapeJSONCoding(model: model, skipLocated: true).write(value, shape: shape, ref: nil).map(JSONWriter.encode) ?? Array("{}".utf8)
            headers.append(("Content-Type", "application/json"))
            return WireResponse(status: status, headers: headers, body: body)
        }
        guard !bodyMembers.isEmpty else {
            // S3's HeadBucket says application/xml of its empty body (AWS-verified in moto's tests).
            if isS3, operation.name == "HeadBucket" { headers.append(("Content-Type", "application/xml")) }
            return WireResponse(status: status, headers: headers)
        }
        var writer = ShapeXMLWriter(model: model, fractionalTimestamps: isS3, declaration: true)
        let root = Self.s3RootElements[operation.name] ?? shape.locationName ?? operation.name + "Result"
        if operation.name == "GetBucketLocation", let only = bodyMembers.first, let v = members[only.name] {
            // S3 answers `<LocationConstraint xmlns="…">eu-west-1</LocationConstraint>`.
            writer.xml.open(root, attributes: defaultNamespace.map { [("xmlns", $0.uri)] } ?? [])
            writer.xml.escape(ScalarReader.write(v, shape: nil, format: .iso8601))
            writer.xml.close(root)
        } else {
            writer.writeElement(root, value, ref: ShapeRef(shape: shape.name, xmlNamespace: shape.xmlNamespace ?? defaultNamespace), shape: shape)
        }
        headers.append(("Content-Type", "application/xml"))
        return WireResponse(status: status, headers: headers, body: writer.xml.bytes)
    }

    private var defaultNamespace: XMLNamespace? {
        if let ns = model.xmlNamespace { return XMLNamespace(uri: ns) }
        return isS3 ? XMLNamespace(uri: "http://s3.amazonaws.com/doc/2006-03-01/") : nil
    }

    /// S3's response root elements, which the model does not record.
    static let s3RootElements: [String: String] = [
        "ListBuckets": "ListAllMyBucketsResult",
        "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
        "ListObjects": "ListBucketResult",
        "ListObjectsV2": "ListBucketResult",
        "ListObjectVersions": "ListVersionsResult",
        "ListMultipartUploads": "ListMultipartUploadsResult",
        "ListParts": "ListPartsResult",
        "CreateMultipartUpload": "InitiateMultipartUploadResult",
        "CompleteMultipartUpload": "CompleteMultipartUploadResult",
        "DeleteObjects": "DeleteResult",
        "GetBucketAcl": "AccessControlPolicy",
        "GetObjectAcl": "AccessControlPolicy",
        "GetBucketCors": "CORSConfiguration",
        "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
        "GetBucketLifecycle": "LifecycleConfiguration",
        "GetBucketLocation": "LocationConstraint",
        "GetBucketLogging": "BucketLoggingStatus",
        "GetBucketNotificationConfiguration": "NotificationConfiguration",
        "GetBucketNotification": "NotificationConfiguration",
        "GetBucketRequestPayment": "RequestPaymentConfiguration",
        "GetBucketTagging": "Tagging",
        "GetObjectTagging": "Tagging",
        "GetBucketVersioning": "VersioningConfiguration",
        "GetBucketWebsite": "WebsiteConfiguration",
        "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
        "GetObjectAttributes": "GetObjectAttributesResponse",
        "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
        "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
        "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
        "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
        "CreateSession": "CreateSessionResult",
    ]
}
