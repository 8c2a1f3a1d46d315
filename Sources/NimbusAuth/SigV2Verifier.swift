//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation
public import NimbusCore

// S3's Signature Version 2 ("Signing and authenticating REST requests"):
//
// Authorization = "AWS" + " " + AWSAccessKeyId + ":" + Signature
// ?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D
//
// Signature = Base64(HMAC-SHA1(YourSecretAccessKey, UTF-8-Encoding-Of(StringToSign)))
//
// StringToSign = HTTP-Verb + "\n" +
//     Content-MD5 + "\n" +
//     Content-Type + "\n" +
//     Date + "\n" +                    (Expires for query-string authentication; "" when x-amz-date is present)
//     CanonicalizedAmzHeaders +        ("x-amz-name:value1,value2\n", lowercase names, sorted)
//     CanonicalizedResource;           (["/" + Bucket] + raw path + ["?" + sorted sub-resources])

/// Verifies S3's Signature Version 2: the `Authorization: AWS AKID:signature` header and query-string (presigned)
/// URLs, with S3's error codes.
///
/// ```swift
/// let v2 = SigV2Verifier(credentials: store)
/// if let auth = try await v2.authenticate(request, host: host) { … } else { /* SigV4 rules apply */ }
/// ```
public struct SigV2Verifier: Sendable {
    /// S3's error for an unknown or inactive key, naming it as S3 does.
    static func unknownKey(_ accessKeyID: String) -> AWSError {
        var error = AWSError.s3InvalidAccessKeyId
        error.extra = [("AWSAccessKeyId", SigV4Verifier.echo(accessKeyID))]
        return error
    }

    private let credentials: any CredentialProvider
    private let clock: WallClock
    private let allowedSkew: TimeInterval

    public init(credentials: any CredentialProvider, clock: WallClock = .system, allowedSkew: TimeInterval = 900) {
        self.credentials = credentials
        self.clock = clock
        self.allowedSkew = allowedSkew
    }

    /// True when the request carries SigV2 credentials (query AWSAccessKeyId+Signature, or an `Authorization: AWS ` header).
    ///
    /// Any one of `AWSAccessKeyId`, `Signature` and `Expires` in the query counts, so that an incomplete URL gets S3's
    /// error rather than being served anonymously; `authenticate` returns nil exactly when this is false.
    public static func isSigV2(_ request: SignableRequest) -> Bool {
        if request.headers.contains(where: { isAuthorization($0.name) && isV2Authorization($0.value) }) { return true }
        return QueryItem.parse(request.query).contains(where: isV2Parameter)
    }

    /// nil when the request carries no SigV2 signature (then SigV4 rules apply); otherwise the verified request or a thrown S3 error.
    ///
    /// - Parameter host: the `Host` the request was addressed to (nil: the request's own `Host` header). A
    ///   virtual-hosted `bucket.s3.localhost` puts `/bucket` in front of the path, as the signer did.
    public func authenticate(_ request: SignableRequest, host: String?) async throws(AWSError) -> AuthenticatedRequest? {
        try await authenticateShowingWork(request, host: host)?.authenticated
    }

    /// `authenticate`, also returning the string to sign that the signature matched.
    package func authenticateShowingWork(
        _ request: SignableRequest,
        host: String?
    ) async throws(AWSError) -> (authenticated: AuthenticatedRequest, stringToSign: String)? {
        let headers = HeaderIndex(request.headers)
        let query = QueryItem.parse(request.query)
        guard let parsed = try Self.parse(headers: headers, query: query) else { return nil }
        let now = clock.now
        try checkTime(parsed, now: now)

        let credential = try await credentials.activeCredential(for: parsed.accessKeyID, unknown: Self.unknownKey(parsed.accessKeyID))
        try SigV4Verifier.checkToken(parsed.securityToken, of: credential, now: now, flavor: .s3)

        let bucket = Self.virtualHostedBucket(host: host ?? headers.first("host"))
        let candidates = Self.stringsToSign(request, headers: headers, query: query, parsed, bucket: bucket)
        let key = SymmetricKey(data: Array(credential.secretAccessKey.utf8))
        for stringToSign in candidates where SigV4Crypto.constantTimeEqual(Self.signature(key, stringToSign), parsed.signature) {
            let signedAt = parsed.signedAt ?? now
            let authenticated = AuthenticatedRequest(
                credential: credential,
                scope: SigningScope(
                    accessKeyID: parsed.accessKeyID,
                    date: String(AmzDate.formatBasic(signedAt).prefix(8)),
                    region: "us-east-1",
                    service: "s3"
                ),
                signedAt: signedAt,
                isPresigned: parsed.isPresigned,
                payload: .unsigned
            )
            return (authenticated, stringToSign)
        }
        throw Self.mismatch(parsed, stringToSign: candidates[0])
    }

    /// The string to sign for `request`, without looking up the key; nil for a request without a SigV2 signature.
    ///
    /// - Parameter bucket: the bucket the `Host` names, for a virtual-hosted (or CNAME) request.
    package static func stringToSign(for request: SignableRequest, bucket: String?) throws(AWSError) -> String? {
        let headers = HeaderIndex(request.headers)
        let query = QueryItem.parse(request.query)
        guard let parsed = try parse(headers: headers, query: query) else { return nil }
        return stringsToSign(request, headers: headers, query: query, parsed, bucket: bucket)[0]
    }

    /// `Base64(HMAC-SHA1(secret, stringToSign))`.
    package static func signature(secret: String, _ stringToSign: String) -> String {
        signature(SymmetricKey(data: Array(secret.utf8)), stringToSign)
    }

    private static func signature(_ key: SymmetricKey, _ stringToSign: String) -> String {
        Data(HMAC<Insecure.SHA1>.authenticationCode(for: Array(stringToSign.utf8), using: key)).base64EncodedString()
    }
}

// MARK: - Parsing

extension SigV2Verifier {
    struct ParsedSignature {
        var accessKeyID: String
        /// Base64, with any space put back to the `+` that an unencoded query turned into one.
        var signature: String
        var isPresigned: Bool
        /// The `Date` line of the string to sign: `Date`, `Expires`, or empty when `x-amz-date` is present.
        var dateLine: String
        /// `x-amz-date` as sent, when present (header authentication).
        var amzDate: String?
        /// When the request was signed (header authentication); nil for a presigned URL, which only says when it expires.
        var signedAt: Date?
        /// The raw `Date`/`x-amz-date` value, as S3 echoes it in `RequestTimeTooSkewed`.
        var requestTime: String
        /// Seconds since the epoch (query authentication).
        var expires: Int
        var securityToken: String?
    }

    private static func isAuthorization(_ name: String) -> Bool { name.utf8.count == 13 && name.lowercased() == "authorization" }

    private static func isV2Authorization(_ value: String) -> Bool { value.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("AWS ") }

    private static func isV2Parameter(_ item: QueryItem) -> Bool {
        item.named("AWSAccessKeyId") || item.named("Signature") || item.named("Expires")
    }

    private static func isV4Parameter(_ item: QueryItem) -> Bool {
        item.named("X-Amz-Algorithm") || item.named("X-Amz-Credential") || item.named("X-Amz-Signature")
    }

    static func parse(headers: HeaderIndex, query: [QueryItem]) throws(AWSError) -> ParsedSignature? {
        let authorization = headers.all("authorization") ?? []
        let v2Header = authorization.contains(where: isV2Authorization)
        let v2Query = query.contains(where: isV2Parameter)
        guard v2Header || v2Query else { return nil }
        if (v2Query && !authorization.isEmpty) || query.contains(where: isV4Parameter) {
            throw AWSError(
                code: "InvalidArgument",
                message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter "
                    + "or the Authorization header should be specified",
                status: 400
            )
        }
        return v2Query ? try parseQuery(query, headers: headers) : try parseHeader(authorization, headers: headers)
    }

    private static func invalidArgument(_ message: String, value: String) -> AWSError {
        AWSError(
            code: "InvalidArgument",
            message: message,
            status: 400,
            extra: [("ArgumentName", "Authorization"), ("ArgumentValue", SigV4Verifier.echo(value))]
        )
    }

    private static func parseHeader(_ authorization: [String], headers: HeaderIndex) throws(AWSError) -> ParsedSignature {
        let value = authorization[0]
        guard authorization.count == 1 else {
            throw invalidArgument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", value: value)
        }
        let credentials = value.drop(while: { $0 == " " || $0 == "\t" }).dropFirst(4)
        guard !credentials.contains(" ") else {
            throw invalidArgument("Authorization header is invalid -- one and only one ' ' (space) required", value: value)
        }
        let parts = credentials.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw invalidArgument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", value: value)
        }

        // x-amz-date wins over Date, and then the Date line is empty: x-amz-date is signed among the x-amz- headers.
        let amzDate = headers.first("x-amz-date").map { $0.trimmingHTTPWhitespace() }
        guard let requestTime = amzDate ?? headers.first("date").map({ $0.trimmingHTTPWhitespace() }),
            let signedAt = parseDate(requestTime)
        else { throw .s3MissingDate }
        return ParsedSignature(
            accessKeyID: String(parts[0]),
            signature: String(parts[1]),
            isPresigned: false,
            dateLine: amzDate == nil ? requestTime : "",
            amzDate: amzDate,
            signedAt: signedAt,
            requestTime: requestTime,
            expires: 0,
            securityToken: headers.first("x-amz-security-token").map { $0.trimmingHTTPWhitespace() }
        )
    }

    private static func parseQuery(_ query: [QueryItem], headers: HeaderIndex) throws(AWSError) -> ParsedSignature {
        func parameter(_ name: String) -> String? { query.first { $0.named(name) }?.valueString }
        guard let accessKeyID = parameter("AWSAccessKeyId"), !accessKeyID.isEmpty, let signature = parameter("Signature"), !signature.isEmpty,
            let expires = parameter("Expires"), !expires.isEmpty
        else {
            throw .accessDenied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
        // Digits only: no sign, no space, and nothing that overflows.
        guard expires.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int(expires) else {
            throw .accessDenied("Invalid date (should be seconds since epoch): \(SigV4Verifier.echo(expires))")
        }
        return ParsedSignature(
            accessKeyID: accessKeyID,
            // A `+` sent unencoded arrives as a space; base64 has no spaces, so this is unambiguous.
            signature: signature.replacingOccurrences(of: " ", with: "+"),
            isPresigned: true,
            dateLine: expires,
            amzDate: nil,
            signedAt: nil,
            requestTime: expires,
            expires: seconds,
            securityToken: query.first { $0.nameString.lowercased() == "x-amz-security-token" }?.valueString
                ?? headers.first("x-amz-security-token").map { $0.trimmingHTTPWhitespace() }
        )
    }

    /// The HTTP date formats RFC 2616 allows (RFC 1123, RFC 850, asctime), RFC 1123 with a numeric zone as AWS's
    /// examples write it (`+0000`, read by `AmzDate.parseHTTP`), and the ISO 8601 basic form.
    package static func parseDate(_ value: String) -> Date? {
        let trimmed = value.trimmingHTTPWhitespace()
        guard trimmed.utf8.count <= 64 else { return nil }
        if let date = AmzDate.parseHTTP(trimmed) { return date }
        let parts = trimmed.split(separator: " ")
        switch parts.count {
        case 4:  // Tuesday, 27-Mar-07 19:36:42 GMT
            let dayMonthYear = parts[1].split(separator: "-")
            guard parts[3] == "GMT", dayMonthYear.count == 3, let year = Int(dayMonthYear[2]) else { return nil }
            let fullYear = dayMonthYear[2].utf8.count == 2 ? (year < 70 ? 2000 + year : 1900 + year) : year
            return AmzDate.parseHTTP("\(parts[0]) \(dayMonthYear[0]) \(dayMonthYear[1]) \(fullYear) \(parts[2]) GMT")
        case 5:  // Tue Mar 27 19:36:42 2007
            return AmzDate.parseHTTP("\(parts[0]), \(parts[2]) \(parts[1]) \(parts[4]) \(parts[3]) GMT")
        default:
            return nil
        }
    }

    /// The bucket of a virtual-hosted–style host, by the rule `ServiceCatalog.virtualHostedBucket` routes with:
    /// the labels before the last `s3` label (`photos.s3.localhost:4566` → `photos`); nil for path-style hosts.
    package static func virtualHostedBucket(host: String?) -> String? {
        guard let host, !host.hasPrefix("[") else { return nil }
        let name = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let s3 = labels.lastIndex(where: { $0.lowercased() == "s3" }), s3 > 0 else { return nil }
        let bucket = labels[..<s3].joined(separator: ".").lowercased()
        return bucket.isEmpty ? nil : bucket
    }
}

// MARK: - Checks and the string to sign

extension SigV2Verifier {
    private func checkTime(_ parsed: ParsedSignature, now: Date) throws(AWSError) {
        if parsed.isPresigned {
            // No skew for a presigned URL: it is good until `Expires`, and only that is checked.
            guard now.timeIntervalSince1970 > TimeInterval(parsed.expires) else { return }
            throw AWSError(
                code: "AccessDenied",
                message: "Request has expired",
                status: 403,
                extra: [
                    ("Expires", AmzDate.formatExtended(Date(timeIntervalSince1970: TimeInterval(parsed.expires)))),
                    ("ServerTime", AmzDate.formatExtended(now)),
                ]
            )
        }
        guard let signedAt = parsed.signedAt, abs(signedAt.timeIntervalSince(now)) > allowedSkew else { return }
        throw .s3TimeTooSkewed(
            requestTime: SigV4Verifier.echo(parsed.requestTime),
            serverTime: AmzDate.formatExtended(now),
            maxSkewMilliseconds: Int(allowedSkew) * 1000
        )
    }

    /// The sub-resources S3 signs (and the `response-*` overrides): the developer guide's list, the later
    /// configuration sub-resources, and every name botocore's `HmacV1Auth` signs.
    static let subresources: Set<String> = [
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "legal-hold", "lifecycle", "location",
        "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment", "restore",
        "retention", "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website",
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires",
    ]

    /// The string to sign, then (for a header-signed request with `x-amz-date`) the form AWS's developer guide signs its
    /// x-amz-date example with: that date on the `Date` line and `x-amz-date` left out of the headers. Both cover the
    /// same date, so accepting either grants nothing more.
    static func stringsToSign(
        _ request: SignableRequest,
        headers: HeaderIndex,
        query: [QueryItem],
        _ parsed: ParsedSignature,
        bucket: String?
    ) -> [String] {
        func positional(_ name: String) -> String {
            if let value = headers.first(name) { return value.trimmingHTTPWhitespace() }
            // A presigned URL carries the headers it was signed with in its query (botocore's HmacV1QueryAuth).
            guard parsed.isPresigned else { return "" }
            return query.first { $0.nameString.lowercased() == name }?.valueString ?? ""
        }
        let head = request.method + "\n" + positional("content-md5") + "\n" + positional("content-type") + "\n"
        let resource = canonicalizedResource(path: request.path, query: request.query, bucket: bucket)
        let amzHeaders = canonicalizedAmzHeaders(request.headers, query: parsed.isPresigned ? query : [], omitting: nil)
        let standard = head + parsed.dateLine + "\n" + amzHeaders + resource
        guard let amzDate = parsed.amzDate else { return [standard] }
        let guideForm = head + amzDate + "\n" + canonicalizedAmzHeaders(request.headers, query: [], omitting: "x-amz-date") + resource
        return [standard, guideForm]
    }

    /// Lowercase `x-amz-` names, sorted, values trimmed, unfolded and joined with commas, one `name:value\n` each.
    /// A presigned URL's `x-amz-` query parameters count as headers (botocore and the Java SDK move them there).
    static func canonicalizedAmzHeaders(_ headers: [(name: String, value: String)], query: [QueryItem], omitting: String?) -> String {
        var values: [String: [String]] = [:]
        func add(_ name: String, _ value: String) {
            let lowercased = name.lowercased()
            guard lowercased.hasPrefix("x-amz-"), lowercased != omitting else { return }
            let unfolded = value.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" })
                .map { $0.trimmingHTTPWhitespace() }
                .joined(separator: " ")
            values[lowercased, default: []].append(unfolded)
        }
        for header in headers { add(header.name, header.value) }
        for item in query { add(item.nameString, item.valueString) }
        var out = ""
        for name in values.keys.sorted() { out += name + ":" + values[name, default: []].joined(separator: ",") + "\n" }
        return out
    }

    /// `/bucket` for a virtual-hosted request, the path exactly as received (still percent-encoded), then the
    /// sub-resources sorted by name, their values percent-decoded as the signer wrote them before encoding.
    package static func canonicalizedResource(path: String, query: String, bucket: String?) -> String {
        var out = bucket.map { "/" + $0 } ?? ""
        out += path.isEmpty ? "/" : path
        var signed: [(name: String, text: String)] = []
        for piece in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            // Decoded before matching, so that `%61cl` cannot select `?acl` without being signed.
            let name = String(decoding: URIEncoding.decode(piece[..<(equals ?? piece.endIndex)], plusAsSpace: true), as: UTF8.self)
            guard subresources.contains(name) else { continue }
            guard let equals else {
                signed.append((name, name))
                continue
            }
            let value = URIEncoding.decode(piece[piece.index(after: equals)...], plusAsSpace: false)
            signed.append((name, name + "=" + String(decoding: value, as: UTF8.self)))
        }
        guard !signed.isEmpty else { return out }
        // Stable: repeated names keep their order.
        let sorted = signed.enumerated().sorted { ($0.element.name, $0.offset) < ($1.element.name, $1.offset) }
        return out + "?" + sorted.map(\.element.text).joined(separator: "&")
    }

    private static func mismatch(_ parsed: ParsedSignature, stringToSign: String) -> AWSError {
        var error = AWSError.s3SignatureDoesNotMatch
        // S3 returns what it computed so that clients can debug their signer; none of it is secret.
        if stringToSign.utf8.count <= 16_384 {
            error.extra = [
                ("AWSAccessKeyId", SigV4Verifier.echo(parsed.accessKeyID)), ("StringToSign", stringToSign),
                ("SignatureProvided", SigV4Verifier.echo(parsed.signature)),
                ("StringToSignBytes", stringToSign.utf8.map { SigV4Crypto.hex([$0]) }.joined(separator: " ")),
            ]
        }
        return error
    }
}
