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

/// Verifies AWS Signature Version 4 the way AWS does: header and presigned forms, AWS's error codes.
///
/// ```swift
/// let verifier = SigV4Verifier(credentials: store)
/// switch try await verifier.authenticate(request, flavor: .standard) {
/// case .anonymous: …
/// case .authenticated(let auth): auth.principal …
/// }
/// ```
public struct SigV4Verifier: Sendable {
    private let credentials: any CredentialProvider
    private let clock: WallClock
    private let allowedSkew: TimeInterval
    private let keys: SigningKeyCache

    /// Presigned URLs live at most a week, as the derived key does.
    static let maxPresignedExpiry = 604_800
    private static let maxEcho = 2_048

    public init(credentials: any CredentialProvider, clock: WallClock = .system, allowedSkew: TimeInterval = 900) {
        self.credentials = credentials
        self.clock = clock
        self.allowedSkew = allowedSkew
        self.keys = SigningKeyCache()
    }

    /// The signing scope from the `Authorization` header or the `X-Amz-Credential` parameter, without any
    /// verification: enough to tell which service a request is for before authenticating it.
    public static func scope(of request: SignableRequest) -> SigningScope? {
        for header in request.headers where header.name.equalsASCIICaseInsensitive("authorization") {
            // Read in place, as `parseHeader` reads it: every request is identified this way before it is verified.
            var value = header.value
            return value.withUTF8 { bytes -> SigningScope? in
                guard let credential = AuthorizationFields(bytes).credential else { return nil }
                return try? parseCredential(bytes: UnsafeBufferPointer(rebasing: bytes[credential]), flavor: .standard, presigned: false)
            }
        }
        for piece in request.query.utf8.split(separator: UInt8(ascii: "&")) where piece.starts(with: "X-Amz-Credential=".utf8) {
            let value = URIEncoding.decode(piece.dropFirst(17), plusAsSpace: true)
            return try? parseCredential(String(decoding: value, as: UTF8.self), flavor: .standard, presigned: true)
        }
        return nil
    }

    /// Authenticates `request`: `.anonymous` when it carries no signature at all, otherwise the verified credential
    /// and what its body must be checked against.
    public func authenticate(_ request: SignableRequest, flavor: SigningFlavor) async throws(AWSError) -> Authentication {
        try await verify(request, flavor: flavor).authentication
    }

    /// `authenticate`, also returning the canonical request and string to sign that the signature matched.
    package func authenticateShowingWork(
        _ request: SignableRequest,
        flavor: SigningFlavor
    ) async throws(AWSError) -> (authentication: Authentication, canonicalRequest: String, stringToSign: String) {
        let work = try await verify(request, flavor: flavor)
        return (work.authentication, String(decoding: work.canonicalRequest, as: UTF8.self), String(decoding: work.stringToSign, as: UTF8.self))
    }

    private func verify(
        _ request: SignableRequest,
        flavor: SigningFlavor
    ) async throws(AWSError) -> (authentication: Authentication, canonicalRequest: [UInt8], stringToSign: [UInt8]) {
        let headers = HeaderIndex(request.headers)
        let query = QueryItem.parse(request.query)
        guard let parsed = try Self.parse(headers: headers, query: query, flavor: flavor) else { return (.anonymous, [], []) }
        let now = clock.now
        try checkTime(parsed, now: now, flavor: flavor)
        let candidates = try Self.payloadCandidates(parsed, request: request, flavor: flavor)

        let credential = try await credentials.activeCredential(for: parsed.scope.accessKeyID, unknown: .unknownAccessKey(flavor))
        try Self.checkToken(parsed.securityToken, of: credential, now: now, flavor: flavor)

        let derived = keys.derivedKey(
            secret: credential.secretAccessKey,
            date: parsed.scope.date,
            region: parsed.scope.region,
            service: parsed.scope.service
        )
        // Usually one candidate. A presigned URL may also have had its token appended after signing (IoT and
        // some STS clients do; the token was checked against the credential above), and an S3 presigned URL
        // may be signed over the actual body hash instead of UNSIGNED-PAYLOAD.
        let tokenVariants = parsed.isPresigned && parsed.securityToken != nil ? 2 : 1
        var first: (canonical: [UInt8], stringToSign: [UInt8])?
        for variant in 0..<(tokenVariants * candidates.count) {
            let payload = candidates[variant % candidates.count]
            let canonical = Self.canonicalRequestBytes(
                request, headers: headers, query: query, parsed, payloadHash: payload.canonicalHash, flavor: flavor,
                omittingSessionToken: variant >= candidates.count
            )
            let stringToSign = CanonicalRequest.stringToSign(timestamp: parsed.timestamp, scope: parsed.scope, canonicalRequest: canonical)
            if first == nil { first = (canonical, stringToSign) }
            guard derived.matches(stringToSign, signature: parsed.signature) else { continue }
            let authenticated = AuthenticatedRequest(
                credential: credential,
                scope: parsed.scope,
                signedAt: parsed.signedAt,
                isPresigned: parsed.isPresigned,
                payload: try Self.payloadMode(payload.kind, key: derived.key, parsed: parsed, request: request, flavor: flavor)
            )
            return (.authenticated(authenticated), canonical, stringToSign)
        }
        throw Self.mismatch(
            flavor,
            parsed: parsed,
            stringToSign: String(decoding: first?.stringToSign ?? [], as: UTF8.self),
            canonicalRequest: String(decoding: first?.canonical ?? [], as: UTF8.self)
        )
    }

    private static func payloadMode(
        _ kind: DeclaredKind,
        key: SymmetricKey,
        parsed: ParsedSignature,
        request: SignableRequest,
        flavor: SigningFlavor
    ) throws(AWSError) -> PayloadMode {
        switch kind {
        case .hex(let hex):
            if let body = request.bodySHA256, body.lowercasedASCII() != hex {
                throw flavor == .s3 ? Self.contentMismatch(client: hex, computed: body) : .signatureDoesNotMatch
            }
            return .signed(sha256Hex: hex)
        case .unsigned:
            return .unsigned
        case .streamingSigned, .streamingSignedTrailer:
            let context = ChunkSigningContext(
                signingKey: key,
                credentialScope: parsed.scope.credentialScope,
                timestamp: parsed.timestamp,
                seedSignature: parsed.signature.lowercased()
            )
            return kind == .streamingSigned ? .streamingSigned(context) : .streamingSignedTrailer(context)
        case .streamingUnsignedTrailer:
            return .streamingUnsignedTrailer
        }
    }

    /// The canonical request and string to sign for `request`'s first payload candidate, without looking up the
    /// key. Nil for an unsigned request.
    package static func canonicalRequest(
        for request: SignableRequest,
        flavor: SigningFlavor,
        omittingSessionToken: Bool = false
    ) throws(AWSError) -> (canonicalRequest: String, stringToSign: String)? {
        let headers = HeaderIndex(request.headers)
        let query = QueryItem.parse(request.query)
        guard let parsed = try parse(headers: headers, query: query, flavor: flavor) else { return nil }
        let candidate = try payloadCandidates(parsed, request: request, flavor: flavor)[0]
        let canonical = canonicalRequestBytes(
            request, headers: headers, query: query, parsed, payloadHash: candidate.canonicalHash, flavor: flavor,
            omittingSessionToken: omittingSessionToken
        )
        let stringToSign = CanonicalRequest.stringToSign(timestamp: parsed.timestamp, scope: parsed.scope, canonicalRequest: canonical)
        return (String(decoding: canonical, as: UTF8.self), String(decoding: stringToSign, as: UTF8.self))
    }
}

// MARK: - Parsing

extension SigV4Verifier {
    struct ParsedSignature {
        var scope: SigningScope
        /// `yyyyMMdd'T'HHmmss'Z'`, as it goes into the string to sign.
        var timestamp: String
        var signedAt: Date
        var signedHeaders: [String]
        var signature: String
        var isPresigned: Bool
        var expires: Int
        var securityToken: String?
        /// `x-amz-content-sha256` (or `X-Amz-Content-Sha256` in a presigned URL), trimmed.
        var declaredPayload: String?
    }

    static func parse(headers: HeaderIndex, query: [QueryItem], flavor: SigningFlavor) throws(AWSError) -> ParsedSignature? {
        let authorization = headers.first("authorization")
        let hasQueryAuth = query.contains { $0.named("X-Amz-Signature") || $0.named("X-Amz-Credential") || $0.named("X-Amz-Algorithm") }
        switch (authorization, hasQueryAuth) {
        case (nil, false):
            return nil
        case (.some, true):
            let message = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter "
                + "or the Authorization header should be specified"
            throw flavor == .s3 ? AWSError(code: "InvalidArgument", message: message, status: 400) : .incompleteSignature(message)
        case (.some(let value), false):
            guard headers.count("authorization") == 1 else {
                throw flavor == .s3
                    ? .authorizationHeaderMalformed("the authorization header requires three components: Credential, SignedHeaders, and Signature.")
                    : .incompleteSignature("Only one Authorization header is allowed.")
            }
            return try parseHeader(value, headers: headers, flavor: flavor)
        case (nil, true):
            return try parseQuery(query, headers: headers, flavor: flavor)
        }
    }

    static func echo(_ value: String) -> String {
        value.utf8.count <= maxEcho ? value : String(value.prefix(maxEcho)) + "…"
    }

    private static func parseHeader(_ value: String, headers: HeaderIndex, flavor: SigningFlavor) throws(AWSError) -> ParsedSignature {
        let bytes = Array(value.utf8)
        let fields = AuthorizationFields(bytes)
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        // Only error messages quote the whole header.
        var trimmed: String { text(fields.trimmed) }
        guard bytes[fields.algorithm].elementsEqual(SigV4Crypto.algorithm.utf8) else {
            let algorithm = text(fields.algorithm)
            switch flavor {
            case .s3 where algorithm == "AWS" || algorithm.hasPrefix("AWS4-"):
                throw AWSError(
                    code: "InvalidRequest",
                    message: "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
                    status: 400
                )
            case .s3:
                throw AWSError(
                    code: "InvalidArgument",
                    message: "Unsupported Authorization Type",
                    status: 400,
                    extra: [("ArgumentName", "Authorization"), ("ArgumentValue", echo(trimmed))]
                )
            case .standard:
                throw .incompleteSignature("Unsupported AWS 'algorithm': '\(echo(algorithm))'.")
            }
        }
        if let token = fields.malformed.map(text) {
            throw flavor == .s3
                ? .authorizationHeaderMalformed("the authorization component \"\(echo(token))\" is malformed.")
                : .incompleteSignature("'\(echo(token))' not a valid key=value pair (missing equal-sign) in Authorization header: '\(echo(trimmed))'.")
        }
        let credential = fields.credential.map { bytes[$0] }
        let signedHeaders = fields.signedHeaders.map { bytes[$0] }
        let signature = fields.signature.map(text)

        let timestamp = try headerTimestamp(headers, flavor: flavor)
        if flavor == .s3 {
            guard let credential, !credential.isEmpty, let signedHeaders, !signedHeaders.isEmpty, let signature, !signature.isEmpty else {
                throw .authorizationHeaderMalformed("the authorization header requires three components: Credential, SignedHeaders, and Signature.")
            }
            guard timestamp != nil else { throw .s3MissingDate }
        } else {
            var missing: [String] = []
            if credential?.isEmpty ?? true { missing.append("Authorization header requires 'Credential' parameter.") }
            if signature?.isEmpty ?? true { missing.append("Authorization header requires 'Signature' parameter.") }
            if signedHeaders?.isEmpty ?? true { missing.append("Authorization header requires 'SignedHeaders' parameter.") }
            if timestamp == nil { missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.") }
            if !missing.isEmpty {
                throw .incompleteSignature(missing.joined(separator: " ") + " Authorization=" + echo(trimmed))
            }
        }
        guard let credential, let signedHeaders, let signature, let timestamp else { throw .signatureMismatch(flavor) }

        let scope = try parseCredential(bytes: credential, flavor: flavor, presigned: false)
        try checkScopeDate(scope, timestamp: timestamp.text, flavor: flavor, presigned: false)
        let names = try parseSignedHeaders(bytes: signedHeaders, headers: headers, flavor: flavor, presigned: false)
        return ParsedSignature(
            scope: scope,
            timestamp: timestamp.text,
            signedAt: timestamp.date,
            signedHeaders: names,
            signature: signature,
            isPresigned: false,
            expires: 0,
            securityToken: headers.first("x-amz-security-token").map { $0.trimmingHTTPWhitespace() },
            declaredPayload: headers.first("x-amz-content-sha256").map { $0.trimmingHTTPWhitespace() }
        )
    }

    /// Where an `Authorization` header's parts are, as offsets into its bytes.
    ///
    /// The value is trimmed of HTTP whitespace; the algorithm runs to the first space; after it come tokens
    /// separated by commas, spaces and tabs, each `key=value` (the last of a key counts). Read byte by byte in one
    /// pass: the generic `split` and `firstIndex` over `Substring.UTF8View` cost a tenth of the whole request in
    /// profiles. Whether the algorithm is SigV4's is the caller's to check.
    struct AuthorizationFields {
        private(set) var trimmed = 0..<0
        private(set) var algorithm = 0..<0
        private(set) var credential: Range<Int>?
        private(set) var signedHeaders: Range<Int>?
        private(set) var signature: Range<Int>?
        /// The first token without an `=`.
        private(set) var malformed: Range<Int>?

        init<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) where Bytes.Index == Int {
            var lower = bytes.startIndex
            var upper = bytes.endIndex
            while lower < upper, String.isHTTPWhitespace(bytes[lower]) { lower += 1 }
            while upper > lower, String.isHTTPWhitespace(bytes[upper - 1]) { upper -= 1 }
            trimmed = lower..<upper
            var i = lower
            while i < upper, bytes[i] != UInt8(ascii: " ") { i += 1 }
            algorithm = lower..<i
            while i < upper {
                while i < upper, Self.isSeparator(bytes[i]) { i += 1 }
                if i == upper { break }
                let start = i
                var equals: Int?
                while i < upper, !Self.isSeparator(bytes[i]) {
                    if equals == nil, bytes[i] == UInt8(ascii: "=") { equals = i }
                    i += 1
                }
                guard let equals else {
                    if malformed == nil { malformed = start..<i }
                    continue
                }
                let key = bytes[start..<equals]
                let value = (equals + 1)..<i
                if key.elementsEqual("Credential".utf8) {
                    credential = value
                } else if key.elementsEqual("SignedHeaders".utf8) {
                    signedHeaders = value
                } else if key.elementsEqual("Signature".utf8) {
                    signature = value
                }
            }
        }

        private static func isSeparator(_ b: UInt8) -> Bool { b == UInt8(ascii: ",") || b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
    }

    /// `x-amz-date`, else `Date`; nil when neither is there.
    private static func headerTimestamp(_ headers: HeaderIndex, flavor: SigningFlavor) throws(AWSError) -> (text: String, date: Date)? {
        if let amzDate = headers.first("x-amz-date") {
            let value = amzDate.trimmingHTTPWhitespace()
            guard let date = AmzDate.parseBasic(value) else { throw invalidDate(value, flavor: flavor, presigned: false) }
            return (value, date)
        }
        if let httpDate = headers.first("date") {
            guard let date = AmzDate.parseHTTP(httpDate) else { throw invalidDate(httpDate, flavor: flavor, presigned: false) }
            return (AmzDate.formatBasic(date), date)
        }
        return nil
    }

    private static func invalidDate(_ value: String, flavor: SigningFlavor, presigned: Bool) -> AWSError {
        switch flavor {
        case .s3 where presigned:
            .authorizationQueryParameters("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        case .s3:
            .s3MissingDate
        case .standard:
            .incompleteSignature("Date must be in ISO-8601 'basic format'. Got '\(echo(value))'. See http://en.wikipedia.org/wiki/ISO_8601")
        }
    }

    /// `AKID/20150830/us-east-1/service/aws4_request`.
    static func parseCredential(_ credential: some StringProtocol, flavor: SigningFlavor, presigned: Bool) throws(AWSError) -> SigningScope {
        try parseCredential(bytes: ArraySlice(credential.utf8), flavor: flavor, presigned: presigned)
    }

    /// Cut by hand at its four slashes: `split` and `map` made two arrays per call, and every request parses its
    /// credential twice (to identify the service, then to authenticate).
    static func parseCredential<Bytes: RandomAccessCollection<UInt8>>(
        bytes: Bytes,
        flavor: SigningFlavor,
        presigned: Bool
    ) throws(AWSError) -> SigningScope where Bytes.Index == Int {
        var slashes = (bytes.startIndex, bytes.startIndex, bytes.startIndex, bytes.startIndex)
        var count = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "/") {
            switch count {
            case 0: slashes.0 = i
            case 1: slashes.1 = i
            case 2: slashes.2 = i
            case 3: slashes.3 = i
            default: break
            }
            count += 1
            if count > 4 { break }
        }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        // Empty where fewer than four slashes were found; the guard below refuses that case anyway.
        func span(_ from: Int, _ to: Int) -> Range<Int> { from <= to ? from..<to : to..<to }
        let key = span(bytes.startIndex, slashes.0)
        let date = span(slashes.0 + 1, slashes.1)
        let region = span(slashes.1 + 1, slashes.2)
        let service = span(slashes.2 + 1, slashes.3)
        let terminal = span(slashes.3 + 1, bytes.endIndex)
        guard count == 4, !key.isEmpty, date.count == 8, bytes[date].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !region.isEmpty, !service.isEmpty
        else {
            switch flavor {
            case .s3 where presigned:
                throw .authorizationQueryParameters(
                    "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                )
            case .s3:
                throw .authorizationHeaderMalformed(
                    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                )
            case .standard:
                throw .incompleteSignature(
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '\(echo(String(decoding: bytes, as: UTF8.self)))'"
                )
            }
        }
        guard bytes[terminal].elementsEqual("aws4_request".utf8) else {
            let terminal = echo(text(terminal))
            switch flavor {
            case .s3 where presigned:
                throw .authorizationQueryParameters(
                    "Error parsing the X-Amz-Credential parameter; incorrect terminal \"\(terminal)\". This endpoint uses \"aws4_request\"."
                )
            case .s3:
                throw .authorizationHeaderMalformed("incorrect terminal \"\(terminal)\". This endpoint uses \"aws4_request\".")
            case .standard:
                throw AWSError(
                    code: "SignatureDoesNotMatch",
                    message: "Credential should be scoped with a valid terminator: 'aws4_request', not '\(terminal)'.",
                    status: 403
                )
            }
        }
        return SigningScope(accessKeyID: text(key), date: text(date), region: text(region), service: text(service))
    }

    private static func checkScopeDate(_ scope: SigningScope, timestamp: String, flavor: SigningFlavor, presigned: Bool) throws(AWSError) {
        // Compared as bytes: the day as a `String` was an allocation on every request.
        if scope.date.utf8.count == 8, timestamp.utf8.starts(with: scope.date.utf8) { return }
        let day = String(timestamp.prefix(8))
        switch flavor {
        case .s3 where presigned:
            throw .authorizationQueryParameters(
                "Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date."
            )
        case .s3:
            throw .authorizationHeaderMalformed("Invalid credential date. Date is not the same as X-Amz-Date.")
        case .standard:
            throw AWSError(
                code: "SignatureDoesNotMatch",
                message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(scope.date)' != '\(day)', from '\(timestamp)'.",
                status: 403
            )
        }
    }

    private static func parseSignedHeaders(
        _ list: some StringProtocol,
        headers: HeaderIndex,
        flavor: SigningFlavor,
        presigned: Bool
    ) throws(AWSError) -> [String] {
        try parseSignedHeaders(bytes: ArraySlice(list.utf8), headers: headers, flavor: flavor, presigned: presigned)
    }

    private static func parseSignedHeaders(
        bytes: ArraySlice<UInt8>,
        headers: HeaderIndex,
        flavor: SigningFlavor,
        presigned: Bool
    ) throws(AWSError) -> [String] {
        var names: [String] = []
        names.reserveCapacity(8)
        var start = bytes.startIndex
        for end in bytes.indices where bytes[end] == UInt8(ascii: ";") {
            names.append(String(decoding: bytes[start..<end], as: UTF8.self).lowercasedASCII())
            start = end + 1
        }
        names.append(String(decoding: bytes[start...], as: UTF8.self).lowercasedASCII())
        guard names.contains("host") || names.contains(":authority") else {
            throw flavor == .s3
                ? AWSError(
                    code: "AccessDenied",
                    message: "There were headers present in the request which were not signed",
                    status: 403,
                    extra: [("HeadersNotSigned", "host")]
                )
                : .incompleteSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        }
        if flavor == .s3, presigned {
            let signed = Set(names)
            let unsigned = headers.names.filter { $0.hasPrefix("x-amz-") && !signed.contains($0) }.sorted()
            if !unsigned.isEmpty {
                throw AWSError(
                    code: "AccessDenied",
                    message: "There were headers present in the request which were not signed",
                    status: 403,
                    extra: [("HeadersNotSigned", echo(unsigned.joined(separator: ", ")))]
                )
            }
        }
        return names
    }

    private static func parseQuery(_ query: [QueryItem], headers: HeaderIndex, flavor: SigningFlavor) throws(AWSError) -> ParsedSignature {
        func parameter(_ name: String) -> String? { query.first { $0.named(name) }?.valueString }
        let algorithm = parameter("X-Amz-Algorithm")
        let credential = parameter("X-Amz-Credential")
        let date = parameter("X-Amz-Date")
        let expires = parameter("X-Amz-Expires")
        let signedHeaders = parameter("X-Amz-SignedHeaders")
        let signature = parameter("X-Amz-Signature")

        if flavor == .s3 {
            guard algorithm != nil, credential != nil, date != nil, expires != nil, signedHeaders != nil, signature != nil else {
                throw .authorizationQueryParameters(
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                        + "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
                )
            }
        } else {
            var missing: [String] = []
            for (name, value) in [
                ("X-Amz-Algorithm", algorithm), ("X-Amz-Credential", credential), ("X-Amz-Signature", signature),
                ("X-Amz-SignedHeaders", signedHeaders), ("X-Amz-Date", date),
            ] where value?.isEmpty ?? true {
                missing.append("AWS query-string parameters must include '\(name)'.")
            }
            if !missing.isEmpty { throw .incompleteSignature(missing.joined(separator: " ") + " Re-examine the query-string parameters.") }
        }
        guard let algorithm, let credential, let date, let signedHeaders, let signature else { throw .signatureMismatch(flavor) }

        guard algorithm == SigV4Crypto.algorithm else {
            throw flavor == .s3
                ? .authorizationQueryParameters("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
                : .incompleteSignature("Unsupported AWS 'algorithm': '\(echo(algorithm))'.")
        }
        let lifetime: Int
        if let expires {
            guard let seconds = Int(expires) else {
                throw flavor == .s3 ? .authorizationQueryParameters("X-Amz-Expires should be a number") : .incompleteSignature("X-Amz-Expires should be a number")
            }
            guard seconds > 0 else {
                throw flavor == .s3
                    ? .authorizationQueryParameters("X-Amz-Expires must be non-negative")
                    : .incompleteSignature("X-Amz-Expires must be non-negative")
            }
            guard seconds <= maxPresignedExpiry else {
                let message = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
                throw flavor == .s3 ? .authorizationQueryParameters(message) : .incompleteSignature(message)
            }
            lifetime = seconds
        } else {
            lifetime = 900
        }
        guard let signedAt = AmzDate.parseBasic(date) else { throw invalidDate(date, flavor: flavor, presigned: true) }
        let scope = try parseCredential(credential, flavor: flavor, presigned: true)
        try checkScopeDate(scope, timestamp: date, flavor: flavor, presigned: true)
        let names = try parseSignedHeaders(signedHeaders, headers: headers, flavor: flavor, presigned: true)
        var declared = parameter("X-Amz-Content-Sha256")
        if declared == nil, names.contains("x-amz-content-sha256") {
            declared = headers.first("x-amz-content-sha256").map { $0.trimmingHTTPWhitespace() }
        }
        return ParsedSignature(
            scope: scope,
            timestamp: date,
            signedAt: signedAt,
            signedHeaders: names,
            signature: signature,
            isPresigned: true,
            expires: lifetime,
            securityToken: parameter("X-Amz-Security-Token"),
            declaredPayload: declared
        )
    }
}

// MARK: - Checks

extension SigV4Verifier {
    private static func window(_ seconds: Int) -> String { seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) sec" }

    private func checkTime(_ parsed: ParsedSignature, now: Date, flavor: SigningFlavor) throws(AWSError) {
        let skew = Int(allowedSkew)
        if parsed.isPresigned {
            let expiry = parsed.signedAt.addingTimeInterval(TimeInterval(parsed.expires))
            if now > expiry {
                throw flavor == .s3
                    ? AWSError(
                        code: "AccessDenied",
                        message: "Request has expired",
                        status: 403,
                        extra: [
                            ("X-Amz-Expires", String(parsed.expires)), ("Expires", AmzDate.formatExtended(expiry)),
                            ("ServerTime", AmzDate.formatExtended(now)),
                        ]
                    )
                    : .signatureExpired(
                        signed: parsed.timestamp,
                        limit: AmzDate.formatBasic(now.addingTimeInterval(-TimeInterval(parsed.expires))),
                        now: AmzDate.formatBasic(now),
                        window: Self.window(parsed.expires)
                    )
            }
            if parsed.signedAt > now.addingTimeInterval(allowedSkew) {
                throw flavor == .s3
                    ? .accessDenied("Request is not valid yet")
                    : .signatureNotYetCurrent(
                        signed: parsed.timestamp,
                        limit: AmzDate.formatBasic(now.addingTimeInterval(allowedSkew)),
                        now: AmzDate.formatBasic(now),
                        window: Self.window(skew)
                    )
            }
            return
        }
        if parsed.signedAt < now.addingTimeInterval(-allowedSkew) {
            throw flavor == .s3
                ? .s3TimeTooSkewed(requestTime: parsed.timestamp, serverTime: AmzDate.formatExtended(now), maxSkewMilliseconds: skew * 1000)
                : .signatureExpired(
                    signed: parsed.timestamp,
                    limit: AmzDate.formatBasic(now.addingTimeInterval(-allowedSkew)),
                    now: AmzDate.formatBasic(now),
                    window: Self.window(skew)
                )
        }
        if parsed.signedAt > now.addingTimeInterval(allowedSkew) {
            throw flavor == .s3
                ? .s3TimeTooSkewed(requestTime: parsed.timestamp, serverTime: AmzDate.formatExtended(now), maxSkewMilliseconds: skew * 1000)
                : .signatureNotYetCurrent(
                    signed: parsed.timestamp,
                    limit: AmzDate.formatBasic(now.addingTimeInterval(allowedSkew)),
                    now: AmzDate.formatBasic(now),
                    window: Self.window(skew)
                )
        }
    }

    static func checkToken(_ token: String?, of credential: SigningCredential, now: Date, flavor: SigningFlavor) throws(AWSError) {
        if let expected = credential.sessionToken {
            guard let token, SigV4Crypto.constantTimeEqual(token, expected) else { throw .invalidSecurityToken(flavor) }
        } else if token != nil {
            throw .invalidSecurityToken(flavor)
        }
        if let expiration = credential.expiration, now >= expiration { throw .expiredSecurityToken(flavor) }
    }

    enum DeclaredKind: Equatable {
        case hex(String)
        case unsigned
        case streamingSigned
        case streamingSignedTrailer
        case streamingUnsignedTrailer
    }

    struct PayloadCandidate {
        var canonicalHash: String
        var kind: DeclaredKind
    }

    /// The payload hashes the signature may cover, most likely first, and what each says about the body.
    static func payloadCandidates(
        _ parsed: ParsedSignature,
        request: SignableRequest,
        flavor: SigningFlavor
    ) throws(AWSError) -> [PayloadCandidate] {
        let body = request.bodySHA256.map { PayloadCandidate(canonicalHash: $0, kind: .hex($0.lowercasedASCII())) }
        guard let value = parsed.declaredPayload else {
            if parsed.isPresigned {
                let unsigned = PayloadCandidate(canonicalHash: "UNSIGNED-PAYLOAD", kind: .unsigned)
                if flavor == .standard { return [body ?? unsigned] }
                return [unsigned] + (body.map { [$0] } ?? [])
            }
            // S3 requires the header; a request without it is still verifiable when the body was hashed.
            guard let body else {
                throw flavor == .s3
                    ? AWSError(code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256", status: 400)
                    : .internalFailure("The request body was neither hashed nor declared by x-amz-content-sha256.")
            }
            return [body]
        }
        return [try declared(value, flavor: flavor)]
    }

    private static func declared(_ value: String, flavor: SigningFlavor) throws(AWSError) -> PayloadCandidate {
        let kind: DeclaredKind
        switch value {
        case "UNSIGNED-PAYLOAD": kind = .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": kind = .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": kind = .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": kind = .streamingUnsignedTrailer
        case _ where SigV4Crypto.isHexSHA256(value): kind = .hex(value.lowercasedASCII())
        case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" where flavor == .s3,
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" where flavor == .s3:
            throw AWSError(code: "NotImplemented", message: "A header you provided implies functionality that is not implemented.", status: 501)
        default:
            guard flavor == .s3 else { throw .signatureDoesNotMatch }
            throw AWSError(
                code: "InvalidArgument",
                message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                    + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                    + "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                status: 400,
                extra: [("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", echo(value))]
            )
        }
        return PayloadCandidate(canonicalHash: value, kind: kind)
    }

    static func canonicalRequestBytes(
        _ request: SignableRequest,
        headers: HeaderIndex,
        query: [QueryItem],
        _ parsed: ParsedSignature,
        payloadHash: String,
        flavor: SigningFlavor,
        omittingSessionToken: Bool
    ) -> [UInt8] {
        let presigned = parsed.isPresigned
        return CanonicalRequest.bytes(
            method: request.method,
            path: request.path,
            flavor: flavor,
            query: query,
            excludingFromQuery: { item in
                (presigned && item.named("X-Amz-Signature")) || (omittingSessionToken && item.named("X-Amz-Security-Token"))
            },
            headers: headers,
            signedHeaders: parsed.signedHeaders,
            payloadHash: payloadHash
        )
    }

    private static func mismatch(_ flavor: SigningFlavor, parsed: ParsedSignature, stringToSign: String, canonicalRequest: String) -> AWSError {
        guard flavor == .s3 else { return .signatureDoesNotMatch }
        var error = AWSError.s3SignatureDoesNotMatch
        // S3 returns what it computed so that clients can debug their signer; none of it is secret.
        if canonicalRequest.utf8.count <= 16_384 {
            error.extra = [
                ("AWSAccessKeyId", echo(parsed.scope.accessKeyID)), ("StringToSign", stringToSign),
                ("SignatureProvided", echo(parsed.signature)), ("CanonicalRequest", canonicalRequest),
            ]
        }
        return error
    }

    private static func contentMismatch(client: String, computed: String) -> AWSError {
        var error = AWSError.xAmzContentSHA256Mismatch
        error.extra = [("ClientComputedContentSHA256", client), ("S3ComputedContentSHA256", computed)]
        return error
    }
}
