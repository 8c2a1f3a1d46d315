//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusStorage
import NimbusWire

// Cross-origin resource sharing: a bucket's CORS rules, the preflight `OPTIONS` answered from them (without
// authentication, as browsers send it), and the CORS headers on the answers to requests with an `Origin`.

/// One rule of a bucket's CORS configuration, as stored (JSON in `BucketRecord.cors`).
///
/// ```xml
/// <CORSRule>
///   <ID>string</ID>
///   <AllowedHeader>string</AllowedHeader> …
///   <AllowedMethod>GET|PUT|POST|DELETE|HEAD</AllowedMethod> …
///   <AllowedOrigin>string</AllowedOrigin> …
///   <ExposeHeader>string</ExposeHeader> …
///   <MaxAgeSeconds>integer</MaxAgeSeconds>
/// </CORSRule>
/// ```
struct CORSRule: Codable, Sendable, Hashable {
    var id: String?
    var allowedMethods: [String]
    var allowedOrigins: [String]
    var allowedHeaders: [String]
    var exposeHeaders: [String]
    var maxAgeSeconds: Int64?

    static let methods: Set<String> = ["GET", "PUT", "POST", "DELETE", "HEAD"]
    /// S3 allows at most 100 rules and a configuration of at most 64 KB.
    static let maxRules = 100
    static let maxBytes = 64 * 1024

    /// The origin pattern this rule allows `origin` by: `*` and `http://*.example.com` match with their one
    /// wildcard; nil when it does not.
    func matchedOrigin(_ origin: String) -> String? {
        allowedOrigins.first { Self.wildcardMatch($0, origin, caseInsensitive: false) }
    }

    func allows(method: String) -> Bool { allowedMethods.contains(method) }

    /// Whether every requested header (lowercase) matches one of the allowed header patterns.
    func allows(headers: [String]) -> Bool {
        headers.allSatisfy { header in allowedHeaders.contains { Self.wildcardMatch($0, header, caseInsensitive: true) } }
    }

    /// `pattern` with at most one `*`, matched against the whole of `value`.
    static func wildcardMatch(_ pattern: String, _ value: String, caseInsensitive: Bool) -> Bool {
        let p = caseInsensitive ? pattern.lowercased() : pattern
        let v = caseInsensitive ? value.lowercased() : value
        guard let star = p.firstIndex(of: "*") else { return p == v }
        let head = p[..<star], tail = p[p.index(after: star)...]
        return v.count >= head.count + tail.count && v.hasPrefix(head) && v.hasSuffix(tail)
    }
}

extension S3Service {
    // MARK: Configuration

    func putBucketCors(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let rules = try Self.corsRules(input["CORSConfiguration"])
        let encoded = String(decoding: try JSONEncoder().encode(rules), as: UTF8.self)
        guard encoded.utf8.count <= CORSRule.maxBytes else {
            throw AWSError(code: "MaxMessageLengthExceeded", message: "Your request was too big.", status: 400)
        }
        try await update(record.name) { $0.cors = encoded }
        return .empty
    }

    func getBucketCors(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let rules = Self.storedCORSRules(record), !rules.isEmpty else {
            throw AWSError(code: "NoSuchCORSConfiguration", message: "The CORS configuration does not exist", status: 404,
                           extra: [("BucketName", record.name)])
        }
        return .structure(["CORSRules": .list(rules.map(Self.shape))])
    }

    func deleteBucketCors(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        try await update(record.name) { $0.cors = nil }
        return .empty
    }

    /// The rules of a `CORSConfiguration`, checked as S3 checks them.
    static func corsRules(_ configuration: ShapeValue?) throws -> [CORSRule] {
        guard let items = configuration?["CORSRules"]?.listValue, !items.isEmpty, items.count <= CORSRule.maxRules else {
            throw AWSError.malformedXML
        }
        return try items.map { item in
            func strings(_ member: String) throws -> [String] {
                try (item[member]?.listValue ?? []).map {
                    guard let s = $0.stringValue else { throw AWSError.malformedXML }
                    return s
                }
            }
            let rule = CORSRule(
                id: item["ID"]?.stringValue,
                allowedMethods: try strings("AllowedMethods"),
                allowedOrigins: try strings("AllowedOrigins"),
                allowedHeaders: try strings("AllowedHeaders"),
                exposeHeaders: try strings("ExposeHeaders"),
                maxAgeSeconds: item["MaxAgeSeconds"]?.integerValue
            )
            guard !rule.allowedMethods.isEmpty, !rule.allowedOrigins.isEmpty else { throw AWSError.malformedXML }
            if let id = rule.id, id.count > 255 {
                throw AWSError.invalidArgument("ID length should not exceed allowed limit of 255", name: "ID", value: id)
            }
            for method in rule.allowedMethods where !CORSRule.methods.contains(method) {
                throw AWSError.invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is \(method)")
            }
            for origin in rule.allowedOrigins where origin.filter({ $0 == "*" }).count > 1 {
                throw AWSError.invalidRequest("AllowedOrigin \"\(origin)\" can not have more than one wildcard.")
            }
            for header in rule.allowedHeaders where header.filter({ $0 == "*" }).count > 1 {
                throw AWSError.invalidRequest("AllowedHeader \"\(header)\" can not have more than one wildcard.")
            }
            return rule
        }
    }

    static func storedCORSRules(_ record: BucketRecord) -> [CORSRule]? {
        guard let json = record.cors else { return nil }
        return try? JSONDecoder().decode([CORSRule].self, from: Data(json.utf8))
    }

    private static func shape(_ rule: CORSRule) -> ShapeValue {
        var out: [String: ShapeValue] = [
            "AllowedMethods": .list(rule.allowedMethods.map { .string($0) }),
            "AllowedOrigins": .list(rule.allowedOrigins.map { .string($0) }),
        ]
        if let id = rule.id { out["ID"] = .string(id) }
        if !rule.allowedHeaders.isEmpty { out["AllowedHeaders"] = .list(rule.allowedHeaders.map { .string($0) }) }
        if !rule.exposeHeaders.isEmpty { out["ExposeHeaders"] = .list(rule.exposeHeaders.map { .string($0) }) }
        if let age = rule.maxAgeSeconds { out["MaxAgeSeconds"] = .integer(age) }
        return .structure(out)
    }

    // MARK: Preflight and response headers

    /// The answer to `OPTIONS` on a bucket or object; nil for an `OPTIONS` that names no bucket.
    func answerPreflight(_ request: WireRequest, _ context: RequestContext) async -> WireResponse? {
        guard let target = Self.addressedBucket(request) else { return nil }
        let resourceType = target.key == nil ? "BUCKET" : "OBJECT"
        func fail(_ error: AWSError) -> WireResponse {
            Self.errorCodec.encodeError(error, requestID: context.requestID)
        }
        guard let origin = request.header("Origin"), !origin.isEmpty else {
            return fail(AWSError(code: "BadRequest", message: "Insufficient information. Origin request header needed.", status: 400))
        }
        let method = request.header("Access-Control-Request-Method") ?? ""
        guard CORSRule.methods.contains(method) else {
            return fail(AWSError(code: "BadRequest", message: "Invalid Access-Control-Request-Method: \(method.isEmpty ? "null" : method)", status: 400))
        }
        let record: BucketRecord?
        do {
            record = try await store.read { try Self.bucketRecords.get($0, S3Keys.buckets, target.bucket) }
        } catch {
            return fail(.internalFailure())
        }
        guard let record else { return fail(.noSuchBucket(target.bucket)) }
        let extra = [("Method", method), ("ResourceType", resourceType)]
        guard let rules = Self.storedCORSRules(record), !rules.isEmpty else {
            return fail(AWSError(code: "AccessForbidden", message: "CORSResponse: CORS is not enabled for this bucket.", status: 403, extra: extra))
        }
        let requested = (request.header("Access-Control-Request-Headers") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for rule in rules {
            guard let matched = rule.matchedOrigin(origin), rule.allows(method: method), rule.allows(headers: requested) else { continue }
            var headers = Self.corsResponseHeaders(rule, matched: matched, origin: origin)
            if !requested.isEmpty { headers.append(("Access-Control-Allow-Headers", requested.joined(separator: ", "))) }
            headers.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
            return WireResponse(status: 200, headers: headers + Self.requestIDHeaders(context.requestID))
        }
        return fail(AWSError(
            code: "AccessForbidden",
            message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
                + "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            status: 403, extra: extra
        ))
    }

    /// Adds the CORS headers of the first rule that allows the request's `Origin` and method.
    func addCORSHeaders(_ request: WireRequest, _ response: inout WireResponse) async {
        guard let origin = request.header("Origin"), !origin.isEmpty, let target = Self.addressedBucket(request),
            let record = try? await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, target.bucket) }),
            let rules = Self.storedCORSRules(record)
        else { return }
        let method = request.method.uppercased()
        for rule in rules {
            guard let matched = rule.matchedOrigin(origin), rule.allows(method: method) else { continue }
            response.headers += Self.corsResponseHeaders(rule, matched: matched, origin: origin)
            response.headers.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
            return
        }
    }

    private static func corsResponseHeaders(_ rule: CORSRule, matched: String, origin: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if matched == "*" {
            headers.append(("Access-Control-Allow-Origin", "*"))
        } else {
            headers.append(("Access-Control-Allow-Origin", origin))
            headers.append(("Access-Control-Allow-Credentials", "true"))
        }
        headers.append(("Access-Control-Allow-Methods", rule.allowedMethods.joined(separator: ", ")))
        if !rule.exposeHeaders.isEmpty { headers.append(("Access-Control-Expose-Headers", rule.exposeHeaders.joined(separator: ", "))) }
        if let age = rule.maxAgeSeconds { headers.append(("Access-Control-Max-Age", String(age))) }
        return headers
    }

    /// Renders S3 errors for answers given outside the pipeline's handlers (preflight).
    static let errorCodec = ServiceCodec(model: .s3, constraintValidation: .service)

    /// `x-amz-request-id` and `x-amz-id-2` for `requestID`, as the codec renders them on every answer.
    static func requestIDHeaders(_ requestID: String) -> [(name: String, value: String)] {
        errorCodec.encodeError(.internalFailure(), requestID: requestID).headers.filter { $0.name.lowercased().hasPrefix("x-amz-") }
    }

    /// The bucket and key a request addresses, path-style (`/bucket/key`) or virtual-hosted
    /// (`bucket.s3.localhost/key`, or a website endpoint's `bucket.s3-website.localhost/key`); nil when it names
    /// no bucket.
    static func addressedBucket(_ request: WireRequest) -> (bucket: String, key: String?)? {
        var path = Substring(request.path)
        if path.hasPrefix("/") { path = path.dropFirst() }
        let bucket: String
        if let host = request.host ?? request.header("Host"),
            let hosted = ServiceCatalog.virtualHostedBucket(host: host) ?? ServiceCatalog.websiteBucket(host: host)
        {
            bucket = hosted
        } else {
            let end = path.firstIndex(of: "/") ?? path.endIndex
            guard let name = String(path[..<end]).removingPercentEncoding, !name.isEmpty else { return nil }
            bucket = name
            path = end < path.endIndex ? path[path.index(after: end)...] : ""
        }
        let key = path.isEmpty ? nil : String(path).removingPercentEncoding
        return (bucket, key)
    }
}
