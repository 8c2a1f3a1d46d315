//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import NimbusCore
import Foundation
import NimbusBlobStore
import NimbusWire

// Browser-based uploads: `POST /bucket` with a multipart/form-data body and a signed policy document.
//
//   POST / HTTP/1.1                        (Host: bucket.s3.localhost, or POST /bucket path-style)
//   Content-Type: multipart/form-data; boundary=…
//
//   key=uploads/${filename}  acl  Content-Type  x-amz-meta-*  success_action_status|_redirect  tagging (XML)
//   policy  x-amz-algorithm  x-amz-credential  x-amz-date  x-amz-signature  [x-amz-security-token]   (SigV4)
//   policy  AWSAccessKeyId  signature  [x-amz-security-token]                                          (SigV2)
//   file                                   (last: fields after it are ignored)
//
// No policy means an anonymous upload, which a bucket policy must allow. The object is written by
// `putObject` itself, so everything a PUT does (encryption, ACLs and Block Public Access, checksums,
// Object Lock defaults, versioning) holds for a POST.

/// Checks the signature of a POST upload's policy. The server implements it over NimbusAuth.
public protocol S3PostPolicyVerifier: Sendable {
    /// The principal whose key signed `policy`, from the form's signature fields (names lowercased:
    /// `x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `x-amz-signature`, or `awsaccesskeyid` and
    /// `signature`; `x-amz-security-token` for temporary keys). Nil when the form carries no signature;
    /// throws S3's error (`SignatureDoesNotMatch`, `InvalidAccessKeyId` …) when it does not verify.
    func principal(policy: String, fields: [String: String]) async throws -> Principal?
}

extension S3Service {
    /// The form fields before the file may take 20 KB, as in S3.
    static let maxPostPreData = 20 * 1024

    /// S3's XML errors for the answers given here, outside the pipeline.
    private static let postCodec = ServiceCodec(model: .s3, constraintValidation: .service)

    /// Answers a POST upload; nil for every other POST (DeleteObjects, CompleteMultipartUpload …).
    ///
    /// The body is the one the server buffered (at most its 20 MiB `maxBufferedBody`), so a POST upload is
    /// limited to that; larger ones would need the form parsed as it streams in.
    func postObject(_ request: WireRequest, _ context: RequestContext) async -> PreflightAnswer? {
        guard let contentType = request.header("content-type"), MultipartFormData.isFormData(contentType: contentType),
            let bucket = Self.postBucket(request)
        else { return nil }
        let started = ContinuousClock.now
        var context = context
        context.operation = "PostObject"
        var response: WireResponse
        var failure: AWSError?
        var key: String?
        do {
            response = try await browserUpload(request, contentType: contentType, bucket: bucket, context: &context, key: &key)
        } catch {
            let awsError = error as? AWSError ?? .internalFailure()
            failure = awsError
            response = Self.postCodec.encodeError(awsError, requestID: context.requestID)
            response.headers += awsError.headers
        }
        await decorate(request, context, &response)
        await accessLog(CompletedRequest(
            request: request, context: context, operation: context.operation, input: nil, status: response.status,
            errorCode: failure?.code, bytesSent: Int64(response.body.count), duration: ContinuousClock.now - started
        ))
        // CloudTrail's S3 data event for the upload, as for PutObject: the bucket, the key once the form named it.
        var parameters: [(String, JSONValue)] = [("bucketName", .string(bucket))]
        if let key { parameters.append(("key", .string(key))) }
        if let host = request.host { parameters.append(("Host", .string(host))) }
        return PreflightAnswer(response, call: AuditedCall(context: context, requestParameters: .object(parameters), error: failure))
    }

    /// The bucket a POST upload is addressed to: `POST /` on a virtual-hosted bucket, `POST /bucket` path-style.
    /// Nil when the request names a key or carries a query (those are API operations).
    static func postBucket(_ request: WireRequest) -> String? {
        guard request.query.isEmpty else { return nil }
        if let host = request.host, let bucket = ServiceCatalog.virtualHostedBucket(host: host) {
            return request.path.isEmpty || request.path == "/" ? bucket : nil
        }
        var path = request.path.dropFirst()
        if path.hasSuffix("/") { path = path.dropLast() }
        guard !path.isEmpty, !path.contains("/"), let bucket = String(path).removingPercentEncoding, !bucket.isEmpty else { return nil }
        return bucket
    }

    private func browserUpload(
        _ request: WireRequest, contentType: String, bucket: String, context: inout RequestContext, key recordedKey: inout String?
    ) async throws -> WireResponse {
        // 1. The form's fields, read from the body as it arrives, up to the start of the file, which then
        // streams into the object without being buffered (S3 takes POST uploads of up to 5 GB).
        guard let boundary = MultipartFormData.boundary(contentType: contentType) else { throw Self.malformedPOST }
        let isFile: (MultipartFormData.Part) -> Bool = { $0.name.lowercased() == "file" }
        var body = (request.bodyStream ?? ByteStream(bytes: request.body)).makeAsyncIterator()
        var buffer: [UInt8] = []
        var head: (fields: [MultipartFormData.Part], file: MultipartFormData.Part, bodyStart: Int)?
        while true {
            do {
                head = try MultipartFormData.head(buffer, boundary: boundary, isFile: isFile)
            } catch {
                // A form that is whole but has no file is S3's InvalidArgument; anything else is malformed.
                if (try? MultipartFormData(buffer, boundary: boundary)) != nil { throw Self.noFile }
                throw Self.malformedPOST
            }
            if head != nil { break }
            // The fields before the file are limited, and so is how much is read looking for them.
            guard buffer.count <= Self.maxPostPreData + MultipartFormData.Limits().maxHeaderBytes else {
                throw Self.preDataTooLarge
            }
            guard let chunk = try await body.next() else {
                // The whole body, and no file in it: S3's answer when the form parses, a malformed POST otherwise.
                if (try? MultipartFormData(buffer, boundary: boundary)) != nil { throw Self.noFile }
                throw Self.malformedPOST
            }
            buffer += chunk
        }
        guard let (formFields, file, fileStart) = head else { throw Self.malformedPOST }
        guard fileStart <= Self.maxPostPreData else { throw Self.preDataTooLarge }
        // A file of up to `postLookahead` is read whole before anything else, so that a truncated form is
        // malformed (400) rather than whatever the policy or authorization would say; larger files stream.
        let closing = Array(("\r\n--" + boundary).utf8)
        while MultipartFormData.find(closing, in: buffer, from: fileStart) == nil, buffer.count - fileStart < Self.postLookahead {
            guard let chunk = try await body.next() else { throw Self.malformedPOST }
            buffer += chunk
        }
        var fields: [String: String] = [:]
        var names: [String] = []
        for part in formFields {
            let name = part.name.lowercased()
            guard fields[name] == nil else {
                throw AWSError.invalidArgument("POST form fields must not be repeated.", name: name, value: part.text)
            }
            fields[name] = part.text
            names.append(name)
        }
        guard let keyField = fields["key"] else { throw Self.missingField("key") }
        let key = keyField.replacingOccurrences(of: "${filename}", with: file.filename ?? "")
        recordedKey = key

        // 2. Who signed the policy, and whether the form meets it (its content-length-range while the file streams).
        var postPolicy: PostPolicy?
        if let policy = fields["policy"] {
            guard let verifier = postPolicyVerifier else {
                throw AWSError(code: "NotImplemented", message: "Signed POST uploads are not available on this server.", status: 501)
            }
            guard let principal = try await verifier.principal(policy: policy, fields: fields) else { throw Self.missingField("AWSAccessKeyId") }
            context.principal = principal
            var checked = fields
            checked["key"] = key
            checked["bucket"] = bucket
            let document = try PostPolicy(base64: policy)
            try document.check(fields: checked, formFieldNames: names, fileSize: nil, now: clock.now)
            postPolicy = document
        } else if ["x-amz-signature", "x-amz-credential", "x-amz-algorithm", "signature", "awsaccesskeyid"].contains(where: { fields[$0] != nil }) {
            throw Self.missingField("policy")
        } else {
            context.principal = .anonymous
        }

        // 3. Allowed as a PutObject would be, then written by it.
        let input = try Self.putInput(fields, bucket: bucket, key: key)
        _ = try Self.objectKey(input)
        let conditionKeys = try await Self.authorizationContext["PutObject"]?(input, context) ?? [:]
        try await authorizer.authorize(
            AuthorizationRequest(action: "s3:PutObject", resources: ["arn:aws:s3:::\(bucket)/\(key)"], context: context, conditionKeys: conditionKeys)
        )
        let checkSize: @Sendable (Int64, Bool) throws -> Void = { [postPolicy] size, ended in try postPolicy?.checkSize(size, ended: ended) }
        let fileBody = MultipartFileBody(
            remainder: ByteStream(RemainingBody(body), length: nil), alreadyRead: Array(buffer[fileStart...]), boundary: boundary, check: checkSize
        )
        let output: ShapeValue
        do {
            let target = try await self.bucket(input)
            output = try await storeObject(input, context, bucket: target, body: ByteStream(fileBody, length: nil), declared: nil).value
        } catch is MultipartFormDataError {
            throw Self.malformedPOST
        }

        // 4. S3's answer: a redirect, an XML document, or headers only.
        let etag = output["ETag"]?.stringValue ?? ""
        var headers: [(name: String, value: String)] = [("x-amz-request-id", context.requestID), ("ETag", etag)]
        if let version = output["VersionId"]?.stringValue { headers.append(("x-amz-version-id", version)) }
        if let sse = output["ServerSideEncryption"]?.stringValue { headers.append(("x-amz-server-side-encryption", sse)) }
        if let kmsKey = output["SSEKMSKeyId"]?.stringValue { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kmsKey)) }
        if output["BucketKeyEnabled"]?.booleanValue == true { headers.append(("x-amz-server-side-encryption-bucket-key-enabled", "true")) }
        if let redirect = fields["success_action_redirect"] ?? fields["redirect"],
            let target = Self.redirectTarget(redirect, bucket: bucket, key: key, etag: etag)
        {
            return WireResponse(status: 303, headers: headers + [("Location", target)])
        }
        let location = Self.location(request, bucket: bucket, key: key, secure: context.isSecureTransport)
        headers.append(("Location", location))
        switch fields["success_action_status"] {
        case "200"?:
            return WireResponse(status: 200, headers: headers)
        case "201"?:
            var xml = XMLWriter(declaration: true)
            xml.raw("\n")
            xml.open("PostResponse")
            xml.element("Location", location)
            xml.element("Bucket", bucket)
            xml.element("Key", key)
            xml.element("ETag", etag)
            xml.close("PostResponse")
            return WireResponse(status: 201, headers: headers + [("Content-Type", "application/xml")], body: xml.bytes)
        default:
            return WireResponse(status: 204, headers: headers)
        }
    }

    /// The PutObject input a form stands for: its fields under the names of the matching headers.
    static func putInput(_ fields: [String: String], bucket: String, key: String) throws -> ShapeValue {
        var input: [String: ShapeValue] = ["Bucket": .string(bucket), "Key": .string(key)]
        var metadata: [String: ShapeValue] = [:]
        for (name, value) in fields {
            if let member = postFieldMembers[name] {
                input[member] = .string(value)
            } else if name.hasPrefix("x-amz-meta-"), name.count > "x-amz-meta-".count {
                metadata[String(name.dropFirst("x-amz-meta-".count))] = .string(value)
            } else if name.hasPrefix("x-amz-checksum-"), let algorithm = ChecksumAlgorithm(rawValue: name.dropFirst("x-amz-checksum-".count).uppercased()) {
                input[ExpectedDigests.member(algorithm)] = .string(value)
            }
        }
        if !metadata.isEmpty { input["Metadata"] = .map(metadata) }
        if let enabled = fields["x-amz-server-side-encryption-bucket-key-enabled"] {
            input["BucketKeyEnabled"] = .boolean(enabled.lowercased() == "true")
        }
        if let encoded = fields["x-amz-server-side-encryption-context"] {
            guard let data = Data(base64Encoded: encoded), let json = String(data: data, encoding: .utf8) else {
                throw AWSError.invalidArgument("The header 'x-amz-server-side-encryption-context' is not valid JSON of string values.",
                                               name: "x-amz-server-side-encryption-context")
            }
            input["SSEKMSEncryptionContext"] = .string(json)
        }
        if let until = fields["x-amz-object-lock-retain-until-date"] {
            guard let date = TimestampCoding.parse(until, format: .iso8601) else {
                throw AWSError.invalidArgument("The retain until date must be in ISO 8601 format.", name: "x-amz-object-lock-retain-until-date", value: until)
            }
            input["ObjectLockRetainUntilDate"] = .timestamp(date)
        }
        if let tagging = fields["tagging"] { input["Tagging"] = .string(try taggingHeader(fromXML: tagging)) }
        return .structure(input)
    }

    /// Form fields that are PutObject headers, by lowercased name.
    static let postFieldMembers: [String: String] = [
        "content-type": "ContentType", "cache-control": "CacheControl", "content-disposition": "ContentDisposition",
        "content-encoding": "ContentEncoding", "content-language": "ContentLanguage", "expires": "Expires",
        "acl": "ACL", "x-amz-grant-read": "GrantRead", "x-amz-grant-read-acp": "GrantReadACP",
        "x-amz-grant-write-acp": "GrantWriteACP", "x-amz-grant-full-control": "GrantFullControl",
        "x-amz-storage-class": "StorageClass", "x-amz-website-redirect-location": "WebsiteRedirectLocation",
        "x-amz-server-side-encryption": "ServerSideEncryption", "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
        "x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
        "x-amz-server-side-encryption-customer-key": "SSECustomerKey",
        "x-amz-server-side-encryption-customer-key-md5": "SSECustomerKeyMD5",
        "x-amz-checksum-algorithm": "ChecksumAlgorithm",
        "x-amz-object-lock-mode": "ObjectLockMode", "x-amz-object-lock-legal-hold": "ObjectLockLegalHoldStatus",
    ]

    /// The `tagging` field's `<Tagging><TagSet><Tag><Key/><Value/></Tag>…` as the `x-amz-tagging` header says it.
    static func taggingHeader(fromXML xml: String) throws -> String {
        guard let root = try? XMLTreeParser(limits: .default).parse(Array(xml.utf8)), root.localName == "Tagging",
            let set = root.child(named: "TagSet")
        else { throw AWSError.malformedXML }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        var pairs: [String] = []
        for tag in set.children(named: "Tag") {
            guard let key = tag.child(named: "Key")?.text, let value = tag.child(named: "Value")?.text,
                let k = key.addingPercentEncoding(withAllowedCharacters: allowed), let v = value.addingPercentEncoding(withAllowedCharacters: allowed)
            else { throw AWSError.malformedXML }
            pairs.append(k + "=" + v)
        }
        return pairs.joined(separator: "&")
    }

    /// Where the object now is: the request's own host, path-style or virtual-hosted as it was addressed.
    static func location(_ request: WireRequest, bucket: String, key: String, secure: Bool) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        let path = key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key
        let host = request.host ?? "s3.localhost"
        let virtual = ServiceCatalog.virtualHostedBucket(host: host) != nil
        return (secure ? "https://" : "http://") + host + (virtual ? "/" : "/\(bucket)/") + path
    }

    /// `success_action_redirect` with `bucket`, `key` and `etag` added to its query; nil when it is not an
    /// http(s) URL, which S3 ignores.
    static func redirectTarget(_ redirect: String, bucket: String, key: String, etag: String) -> String? {
        guard let url = URL(string: redirect), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            return nil
        }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        let query = "bucket=\(encode(bucket))&key=\(encode(key))&etag=\(encode(etag))"
        guard let hash = redirect.firstIndex(of: "#") else {
            return redirect + (redirect.contains("?") ? "&" : "?") + query
        }
        let base = redirect[..<hash]
        return base + (base.contains("?") ? "&" : "?") + query + redirect[hash...]
    }

    /// How much of a POST upload's file is read before its form is checked; the rest streams.
    static let postLookahead = 1 << 20

    static let noFile = AWSError.invalidArgument("POST requires exactly one file upload per request.", name: "file", value: "0")

    static let preDataTooLarge = AWSError(
        code: "MaxPostPreDataLengthExceededError", message: "Your POST request fields preceeding the upload file was too large.", status: 400
    )

    static let malformedPOST = AWSError(
        code: "MalformedPOSTRequest", message: "The body of your POST request is not well-formed multipart/form-data.", status: 400
    )

    static func missingField(_ name: String) -> AWSError {
        AWSError.invalidArgument(
            "Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.", name: name, value: ""
        )
    }
}

/// What is left of a request body once the form's fields were read from it, for the one reader of the file.
/// Unchecked: the iterator is only ever advanced by that reader, one call at a time.
private final class RemainingBody: AsyncSequence, @unchecked Sendable {
    typealias Element = [UInt8]

    private var iterator: ByteStream.AsyncIterator

    init(_ iterator: ByteStream.AsyncIterator) { self.iterator = iterator }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: RemainingBody
        func next() async throws -> [UInt8]? { try await body.iterator.next() }
    }
}
