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

// Static website hosting: a bucket's website configuration (index and error documents, redirects, routing
// rules), checked as S3 checks it, and the website endpoint that serves it: `bucket.s3-website.localhost`
// (or `bucket.s3-website-<region>.localhost`, `bucket.s3-website.<region>.localhost`), GET and HEAD only,
// every request anonymous (as S3's website endpoints, which serve only what the bucket makes public), errors
// as HTML pages or the bucket's error document.

/// A bucket's website configuration, as stored (`BucketRecord.website`).
struct WebsiteConfiguration: Codable, Sendable, Hashable {
    /// Where a redirect goes; the members S3 allows depend on where it is used (`RedirectAllRequestsTo` takes
    /// only the host name and protocol).
    struct Redirect: Codable, Sendable, Hashable {
        var hostName: String?
        var httpProtocol: String?
        var httpRedirectCode: String?
        var replaceKeyPrefixWith: String?
        var replaceKeyWith: String?
    }
    struct RoutingRule: Codable, Sendable, Hashable {
        var keyPrefixEquals: String?
        var httpErrorCodeReturnedEquals: String?
        /// Whether the rule has a `Condition` at all (one without applies to every request).
        var hasCondition: Bool
        var redirect: Redirect
    }
    var indexSuffix: String?
    var errorKey: String?
    var redirectAll: Redirect?
    var routingRules: [RoutingRule]

    /// S3 allows at most 50 routing rules.
    static let maxRoutingRules = 50
}

extension S3Service {
    func putBucketWebsite(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        let configuration = try Self.websiteConfiguration(input["WebsiteConfiguration"])
        try await update(record.name) { $0.website = configuration }
        return .empty
    }

    func getBucketWebsite(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        guard let website = record.website else { throw Self.noSuchWebsiteConfiguration(record.name) }
        return Self.shape(website)
    }

    func deleteBucketWebsite(_ input: ShapeValue, _ context: RequestContext) async throws -> ShapeValue {
        let record = try await bucket(input)
        if record.website != nil { try await update(record.name) { $0.website = nil } }
        return .empty
    }

    static func noSuchWebsiteConfiguration(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchWebsiteConfiguration", message: "The specified bucket does not have a website configuration",
                 status: 404, extra: [("BucketName", bucket)])
    }

    private static let invalidProtocol = AWSError.invalidRequest(
        "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.")

    /// A `WebsiteConfiguration`, checked as S3 checks it.
    static func websiteConfiguration(_ input: ShapeValue?) throws -> WebsiteConfiguration {
        guard let input, case .structure(let members) = input else { throw AWSError.malformedXML }
        func redirect(_ value: ShapeValue?) throws -> WebsiteConfiguration.Redirect {
            let redirect = WebsiteConfiguration.Redirect(
                hostName: value?["HostName"]?.stringValue, httpProtocol: value?["Protocol"]?.stringValue,
                httpRedirectCode: value?["HttpRedirectCode"]?.stringValue,
                replaceKeyPrefixWith: value?["ReplaceKeyPrefixWith"]?.stringValue, replaceKeyWith: value?["ReplaceKeyWith"]?.stringValue)
            if let scheme = redirect.httpProtocol, scheme != "http", scheme != "https" { throw invalidProtocol }
            return redirect
        }
        if let all = members["RedirectAllRequestsTo"] {
            guard members.count == 1 else {
                throw AWSError.invalidArgument(
                    "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
                    name: "RedirectAllRequestsTo", value: "not null")
            }
            guard all["HostName"]?.stringValue?.isEmpty == false else { throw AWSError.malformedXML }
            return WebsiteConfiguration(redirectAll: try redirect(all), routingRules: [])
        }
        guard let index = members["IndexDocument"] else {
            throw AWSError.invalidArgument(
                "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty", name: "IndexDocument", value: "null")
        }
        guard let suffix = index["Suffix"]?.stringValue, !suffix.isEmpty, !suffix.contains("/") else {
            throw AWSError.invalidArgument(
                "The IndexDocument Suffix is not well formed", name: "IndexDocument", value: index["Suffix"]?.stringValue ?? "null")
        }
        var errorKey: String?
        if let error = members["ErrorDocument"] {
            guard let key = error["Key"]?.stringValue, !key.isEmpty else { throw AWSError.malformedXML }
            errorKey = key
        }
        var rules: [WebsiteConfiguration.RoutingRule] = []
        if let listed = members["RoutingRules"] {
            guard let items = listed.listValue, !items.isEmpty else { throw AWSError.malformedXML }
            guard items.count <= WebsiteConfiguration.maxRoutingRules else {
                throw AWSError.invalidRequest("The number of routing rules must not exceed the allowed limit of \(WebsiteConfiguration.maxRoutingRules).")
            }
            for item in items {
                guard let target = item["Redirect"] else { throw AWSError.malformedXML }
                let redirect = try redirect(target)
                if redirect.replaceKeyPrefixWith != nil, redirect.replaceKeyWith != nil {
                    throw AWSError.invalidRequest("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
                }
                if let code = redirect.httpRedirectCode, !(Int(code).map { (301...399).contains($0) } ?? false) {
                    throw AWSError.invalidRequest("The provided HTTP redirect code (\(code)) is not valid. Valid codes are 3XX except 300.")
                }
                let condition = item["Condition"]
                let prefix = condition?["KeyPrefixEquals"]?.stringValue
                let errorCode = condition?["HttpErrorCodeReturnedEquals"]?.stringValue
                if condition != nil, prefix == nil, errorCode == nil {
                    throw AWSError.invalidRequest(
                        "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.")
                }
                if let errorCode, !(Int(errorCode).map { (400...599).contains($0) } ?? false) {
                    throw AWSError.invalidRequest("The provided HTTP error code (\(errorCode)) is not valid. Valid codes are 4XX or 5XX.")
                }
                rules.append(.init(keyPrefixEquals: prefix, httpErrorCodeReturnedEquals: errorCode, hasCondition: condition != nil, redirect: redirect))
            }
        }
        return WebsiteConfiguration(indexSuffix: suffix, errorKey: errorKey, redirectAll: nil, routingRules: rules)
    }

    static func shape(_ website: WebsiteConfiguration) -> ShapeValue {
        func shape(_ redirect: WebsiteConfiguration.Redirect) -> ShapeValue {
            var out: [String: ShapeValue] = [:]
            if let v = redirect.hostName { out["HostName"] = .string(v) }
            if let v = redirect.httpProtocol { out["Protocol"] = .string(v) }
            if let v = redirect.httpRedirectCode { out["HttpRedirectCode"] = .string(v) }
            if let v = redirect.replaceKeyPrefixWith { out["ReplaceKeyPrefixWith"] = .string(v) }
            if let v = redirect.replaceKeyWith { out["ReplaceKeyWith"] = .string(v) }
            return .structure(out)
        }
        var out: [String: ShapeValue] = [:]
        if let all = website.redirectAll { out["RedirectAllRequestsTo"] = shape(all) }
        if let suffix = website.indexSuffix { out["IndexDocument"] = .structure(["Suffix": .string(suffix)]) }
        if let key = website.errorKey { out["ErrorDocument"] = .structure(["Key": .string(key)]) }
        if !website.routingRules.isEmpty {
            out["RoutingRules"] = .list(website.routingRules.map { rule in
                var item: [String: ShapeValue] = ["Redirect": shape(rule.redirect)]
                if rule.hasCondition {
                    var condition: [String: ShapeValue] = [:]
                    if let v = rule.keyPrefixEquals { condition["KeyPrefixEquals"] = .string(v) }
                    if let v = rule.httpErrorCodeReturnedEquals { condition["HttpErrorCodeReturnedEquals"] = .string(v) }
                    item["Condition"] = .structure(condition)
                }
                return .structure(item)
            })
        }
        return .structure(out)
    }
}

// MARK: The website endpoint

extension S3Service {
    /// The answer of a website endpoint to `request`; the request is anonymous whatever it carries.
    func answerWebsite(_ request: WireRequest, _ context: RequestContext, bucket name: String) async -> PreflightAnswer {
        var context = context
        context.principal = .anonymous
        context.operation = "GetObject"
        let response: WireResponse
        do {
            response = try await websiteResponse(request, context, bucket: name)
        } catch let failure as AWSError where failure.status == 304 {
            // Not modified: its validators, no body.
            response = WireResponse(status: 304, headers: failure.headers + [("x-amz-request-id", context.requestID)])
        } catch {
            let failure = error as? AWSError ?? .internalFailure()
            response = Self.websiteErrorPage(failure, requestID: context.requestID, method: request.method)
        }
        return PreflightAnswer(response, call: AuditedCall(context: context, requestParameters: nil, error: nil))
    }

    private func websiteResponse(_ request: WireRequest, _ context: RequestContext, bucket name: String) async throws -> WireResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            throw AWSError(code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.", status: 405,
                           extra: [("Method", request.method), ("ResourceType", "OBJECT")])
        }
        guard let bucket = try await store.read({ try Self.bucketRecords.get($0, S3Keys.buckets, name) }) else {
            throw AWSError.noSuchBucket(name)
        }
        guard let website = bucket.website else { throw Self.noSuchWebsiteConfiguration(name) }
        let host = request.host ?? request.header("Host") ?? "localhost"
        let scheme = context.isSecureTransport ? "https" : "http"
        if let all = website.redirectAll {
            let target = (all.httpProtocol ?? scheme) + "://" + (all.hostName ?? host) + request.path + (request.query.isEmpty ? "" : "?" + request.query)
            return Self.websiteRedirect(to: target, status: 301, requestID: context.requestID)
        }
        guard let requested = String(request.path.dropFirst(request.path.hasPrefix("/") ? 1 : 0)).removingPercentEncoding else {
            throw AWSError(code: "InvalidURI", message: "Couldn't parse the specified URI.", status: 400)
        }
        // A routing rule without an error-code condition redirects before anything is read.
        if let rule = website.routingRules.first(where: { $0.httpErrorCodeReturnedEquals == nil && requested.hasPrefix($0.keyPrefixEquals ?? "") }) {
            return Self.websiteRedirect(rule, key: requested, host: host, scheme: scheme, requestID: context.requestID)
        }
        let suffix = website.indexSuffix ?? "index.html"
        let key = requested.isEmpty || requested.hasSuffix("/") ? requested + suffix : requested
        do {
            return try await websiteObject(bucket: bucket, key: key, request: request, context: context, status: nil)
        } catch let error as AWSError where error.status == 403 || error.status == 404 {
            // `docs` when `docs/index.html` is there, and public: S3 redirects to the folder.
            let folderIndex = requested + "/" + suffix
            if key == requested, error.status == 404 || error.code == "AccessDenied",
                (try? await authorizer.authorize(AuthorizationRequest(
                    action: "s3:GetObject", resources: ["arn:aws:s3:::\(bucket.name)/\(folderIndex)"], context: context))) != nil,
                (try? await readableVersion(bucket: bucket, key: folderIndex, versionID: nil)) != nil
            {
                return Self.websiteRedirect(to: "/" + Self.websitePathEncoded(requested) + "/", status: 302, requestID: context.requestID)
            }
            if let rule = website.routingRules.first(where: {
                $0.httpErrorCodeReturnedEquals == String(error.status) && requested.hasPrefix($0.keyPrefixEquals ?? "")
            }) {
                return Self.websiteRedirect(rule, key: requested, host: host, scheme: scheme, requestID: context.requestID)
            }
            if let errorKey = website.errorKey,
                let page = try? await websiteObject(bucket: bucket, key: errorKey, request: request, context: context, status: error.status)
            {
                return page
            }
            throw error
        }
    }

    /// The object at `key` as an anonymous GET (or HEAD) would read it; `status`, when given, is the error an
    /// error document is served for (its conditions and range are not applied).
    private func websiteObject(bucket: BucketRecord, key: String, request: WireRequest, context: RequestContext, status: Int?) async throws -> WireResponse {
        var headers = status == nil ? request.headers.filter { Self.websiteReadHeaders.contains($0.name.lowercased()) } : []
        headers.append(("Host", "localhost"))
        var get = WireRequest(method: "GET", path: "/" + bucket.name + "/" + Self.websitePathEncoded(key), headers: headers, host: "localhost")
        let operation = try Self.errorCodec.route(&get)
        let input = try Self.errorCodec.decodeInput(operation, from: get)
        _ = try Self.objectKey(input)
        do {
            try await authorizer.authorize(AuthorizationRequest(action: "s3:GetObject", resources: ["arn:aws:s3:::\(bucket.name)/\(key)"], context: context))
        } catch {
            throw AWSError.accessDenied()
        }
        let output: OperationOutput
        do {
            output = try await read(input, context, includeBody: request.method == "GET")
        } catch let error as AWSError where error.code == "NoSuchKey" {
            // As the REST endpoint: a caller that may not list the bucket is not told that a key is missing.
            do {
                try await authorizer.authorize(AuthorizationRequest(action: "s3:ListBucket", resources: [bucket.arn], context: context))
            } catch {
                throw AWSError.accessDenied()
            }
            throw error
        }
        if status == nil, let redirect = output.value["WebsiteRedirectLocation"]?.stringValue {
            return Self.websiteRedirect(to: redirect, status: 301, requestID: context.requestID)
        }
        var response = Self.errorCodec.encodeOutput(operation, output.value, requestID: context.requestID)
        if let status { response.status = status } else if let other = output.status { response.status = other }
        if request.method == "GET", let payload = output.payload {
            response.stream = payload
        }
        return response
    }

    /// The request headers a website GET passes to the object's read: conditions and range.
    private static let websiteReadHeaders: Set<String> = ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]

    private static func websiteRedirect(
        _ rule: WebsiteConfiguration.RoutingRule, key: String, host: String, scheme: String, requestID: String
    ) -> WireResponse {
        let redirect = rule.redirect
        var target = key
        if let replacement = redirect.replaceKeyWith {
            target = replacement
        } else if let replacement = redirect.replaceKeyPrefixWith {
            target = replacement + key.dropFirst((rule.keyPrefixEquals ?? "").count)
        }
        let location = (redirect.httpProtocol ?? scheme) + "://" + (redirect.hostName ?? host) + "/" + websitePathEncoded(target)
        return websiteRedirect(to: location, status: Int(redirect.httpRedirectCode ?? "") ?? 301, requestID: requestID)
    }

    private static func websiteRedirect(to location: String, status: Int, requestID: String) -> WireResponse {
        WireResponse(status: status, headers: [("Location", location), ("x-amz-request-id", requestID), ("Content-Length", "0")])
    }

    /// A key as a URL path: everything but unreserved ASCII and `/` percent-encoded.
    static func websitePathEncoded(_ key: String) -> String {
        var out = ""
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// S3's website error page: HTML, with the error's code and message.
    static func websiteErrorPage(_ error: AWSError, requestID: String, method: String) -> WireResponse {
        let reason = ["400": "Bad Request", "403": "Forbidden", "404": "Not Found", "405": "Method Not Allowed"][String(error.status)] ?? "Error"
        var items = ["Code: \(error.code)", "Message: \(error.message)"]
        items += error.extra.map { "\($0.0): \($0.1)" }
        items.append("RequestId: \(requestID)")
        let html = """
            <html>
            <head><title>\(error.status) \(reason)</title></head>
            <body>
            <h1>\(error.status) \(reason)</h1>
            <ul>
            \(items.map { "<li>\(htmlEscaped($0))</li>" }.joined(separator: "\n"))
            </ul>
            <hr/>
            </body>
            </html>

            """
        let body = Array(html.utf8)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", String(body.count)), ("x-amz-request-id", requestID),
        ]
        if error.status == 405 { headers.append(("Allow", "GET, HEAD")) }
        return WireResponse(status: error.status, headers: headers, body: method == "HEAD" ? [] : body)
    }

    /// `text` with the characters HTML gives meaning to escaped (as XML escapes them).
    private static func htmlEscaped(_ text: String) -> String {
        var writer = XMLWriter()
        writer.escape(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
