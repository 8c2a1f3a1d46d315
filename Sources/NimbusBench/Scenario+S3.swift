//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusAuth

/// S3 (rest-xml), path-style on a bucket created by the setup.
extension Scenario {
    static let bucketErrors: Set<String> = ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"]
    /// Multipart part size: 16 MiB (the aws CLI uses 8 MiB; S3's minimum is 5 MiB).
    public static let largePartSize = 16 << 20
    /// Parts of one object in flight at once, as SDK transfer managers do.
    public static let largePartConcurrency = 4
    /// `s3-list`: objects under `list/`, listed 1,000 a page.
    public static let listKeyCount = 10_000

    static func createBucket(_ context: ScenarioContext) -> BenchRequest {
        BenchRequest(method: "PUT", path: "/\(context.bucket)", payload: .body)
    }

    static func putObject(_ context: ScenarioContext, key: String, body: [UInt8]? = nil, sha256: String? = nil) -> BenchRequest {
        BenchRequest(
            method: "PUT",
            path: "/\(context.bucket)/\(key)",
            headers: [("Content-Type", "application/octet-stream")],
            body: body ?? context.body,
            payload: .sha256(sha256 ?? context.bodySHA256)
        )
    }

    /// The bucket and the 64 objects that GETs read.
    static func seedObjects(_ context: ScenarioContext) -> [BenchRequest] {
        [createBucket(context)] + (0..<context.keyCount).map { putObject(context, key: context.key($0)) }
    }

    static let s3Put = Scenario(
        name: "s3-put",
        summary: "S3 PutObject of --size bytes, body hash signed, 64 keys per connection",
        service: "s3",
        flavor: .s3,
        usesSize: true,
        setup: { [createBucket($0)] },
        toleratedSetupErrors: bucketErrors
    ) { context, worker, iteration in
        putObject(context, key: context.key(iteration, worker: worker))
    }

    static let s3Get = Scenario(
        name: "s3-get",
        summary: "S3 GetObject of --size bytes (UNSIGNED-PAYLOAD), over 64 keys put by the setup",
        service: "s3",
        flavor: .s3,
        usesSize: true,
        setup: seedObjects,
        toleratedSetupErrors: bucketErrors
    ) { context, worker, iteration in
        getObject(context, key: context.key(worker &+ iteration))
    }

    static func getObject(_ context: ScenarioContext, key: String, range: ClosedRange<Int>? = nil) -> BenchRequest {
        BenchRequest(
            method: "GET",
            path: "/\(context.bucket)/\(key)",
            headers: range.map { [("Range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? [],
            payload: .unsigned
        )
    }

    // MARK: s3-list

    /// `list/key-00042`: sorted the same as numbers, so that page boundaries are known.
    static func listKey(_ index: Int) -> String {
        let digits = String(index)
        return "list/key-" + String(repeating: "0", count: Swift.max(0, 5 - digits.count)) + digits
    }

    /// ListObjectsV2 page `page` (0…9) of `list/`: 1,000 keys after `start-after`.
    static func listPage(_ context: ScenarioContext, page: Int) -> BenchRequest {
        var query = "list-type=2&max-keys=1000&prefix=list%2F"
        if page > 0 { query += "&start-after=" + URIEncoding.encode(listKey(page * 1000 - 1)) }
        return BenchRequest(method: "GET", path: "/\(context.bucket)", query: query, payload: .unsigned)
    }

    static let s3List = Scenario(
        name: "s3-list",
        summary: "S3 ListObjectsV2, 1,000 keys a page, over 10,000 keys put by the setup (pages cycle)",
        service: "s3",
        flavor: .s3,
        setup: { [createBucket($0)] },
        toleratedSetupErrors: bucketErrors,
        prepare: { context, transport throws(BenchFailure) in
            try await seedListKeys(context, over: transport)
            return context
        }
    ) { context, worker, iteration in
        listPage(context, page: (worker &+ iteration) % (listKeyCount / 1000))
    }

    /// Puts the 10,000 small objects `s3-list` reads, 16 at a time, unless a previous run left them: the last
    /// key goes in only after all the others, so its presence means the set is complete.
    static func seedListKeys(_ context: ScenarioContext, over transport: any BenchTransport) async throws(BenchFailure) {
        let last = listKeyCount - 1
        let head = BenchRequest(method: "HEAD", path: "/\(context.bucket)/\(listKey(last))", payload: .unsigned)
        if case .success = await transport.perform(head) { return }
        let body = Array("nimbus".utf8)
        let sha = SigV4Crypto.sha256Hex(bytes: body)
        try await concurrently(last, width: 16) { index in
            await transport.perform(putObject(context, key: listKey(index), body: body, sha256: sha)).map { _ in () }
        }
        if case .failure(let failure) = await transport.perform(putObject(context, key: listKey(last), body: body, sha256: sha)) {
            throw failure
        }
    }

    // MARK: s3-put-large, s3-get-large (multipart)

    /// A multipart scenario on `--size` objects in `largePartSize` parts.
    static func large(
        _ name: String,
        _ summary: String,
        prepare: @escaping @Sendable (ScenarioContext, any BenchTransport) async throws(BenchFailure) -> ScenarioContext = { context, _ in context },
        operation: @escaping @Sendable (ScenarioContext, _ worker: Int, _ iteration: Int, any BenchTransport) async -> Result<Int, BenchFailure>
    ) -> Scenario {
        Scenario(
            name: name, summary: summary, service: "s3", flavor: .s3, usesSize: true, partSize: largePartSize,
            setup: { [createBucket($0)] }, toleratedSetupErrors: bucketErrors, prepare: prepare, workload: .operation(operation)
        )
    }

    static let s3PutLarge = large(
        "s3-put-large",
        "S3 multipart upload of a --size object (e.g. 1GiB) in 16 MiB parts, 4 parts in flight; one per connection"
    ) { context, worker, _, transport in
        await multipartUpload(context, key: "bench/large/w\(worker)", over: transport)
    }

    static let largeSourceKey = "bench/large/source"

    static let s3GetLarge = large(
        "s3-get-large",
        "S3 download of a --size object (e.g. 1GiB) as 16 MiB ranged GETs, 4 in flight; the setup uploads it",
        prepare: { context, transport throws(BenchFailure) in
            let head = BenchRequest(method: "HEAD", path: "/\(context.bucket)/\(largeSourceKey)", payload: .unsigned)
            if case .success(let response) = await transport.perform(head), response.header("Content-Length") == String(context.size) {
                return context
            }
            if case .failure(let failure) = await multipartUpload(context, key: largeSourceKey, over: transport) { throw failure }
            return context
        }
    ) { context, _, _, transport in
        await rangedDownload(context, key: largeSourceKey, over: transport)
    }

    static func createMultipartUpload(_ context: ScenarioContext, key: String) -> BenchRequest {
        BenchRequest(
            method: "POST",
            path: "/\(context.bucket)/\(key)",
            query: "uploads",
            headers: [("Content-Type", "application/octet-stream")],
            keepsResponseBody: true
        )
    }

    static func uploadPart(_ context: ScenarioContext, key: String, uploadID: String, number: Int) -> BenchRequest {
        let last = number == context.partCount
        return BenchRequest(
            method: "PUT",
            path: "/\(context.bucket)/\(key)",
            query: "partNumber=\(number)&uploadId=\(URIEncoding.encode(uploadID))",
            body: last ? context.lastPart : context.body,
            payload: .sha256(last ? context.lastPartSHA256 : context.bodySHA256)
        )
    }

    /// ```xml
    /// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"…"</ETag></Part>…</CompleteMultipartUpload>
    /// ```
    static func completeMultipartUpload(_ context: ScenarioContext, key: String, uploadID: String, etags: [String]) -> BenchRequest {
        var xml = #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
        for (index, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(XMLText.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return BenchRequest(
            method: "POST",
            path: "/\(context.bucket)/\(key)",
            query: "uploadId=\(URIEncoding.encode(uploadID))",
            headers: [("Content-Type", "application/xml")],
            body: Array(xml.utf8),
            keepsResponseBody: true
        )
    }

    /// CreateMultipartUpload, the parts (`largePartConcurrency` in flight), CompleteMultipartUpload: the bytes sent.
    static func multipartUpload(_ context: ScenarioContext, key: String, over transport: any BenchTransport) async -> Result<Int, BenchFailure> {
        let created: BenchResponse
        switch await transport.perform(createMultipartUpload(context, key: key)) {
        case .success(let response): created = response
        case .failure(let failure): return .failure(failure)
        }
        guard let uploadID = XMLText.element("UploadId", in: created.text) else {
            return .failure(.unexpected("UploadId", in: created))
        }
        let etags = ETagList(count: context.partCount)
        do throws(BenchFailure) {
            try await concurrently(context.partCount, width: largePartConcurrency) { index in
                switch await transport.perform(uploadPart(context, key: key, uploadID: uploadID, number: index + 1)) {
                case .success(let response):
                    guard let etag = response.header("ETag") else { return .failure(.unexpected("ETag header", in: response)) }
                    etags.set(index, etag)
                    return .success(())
                case .failure(let failure):
                    return .failure(failure)
                }
            }
        } catch {
            return .failure(error)
        }
        switch await transport.perform(completeMultipartUpload(context, key: key, uploadID: uploadID, etags: etags.values)) {
        case .success(let response):
            // S3 may answer 200 and put the error in the body.
            if let code = XMLText.element("Code", in: response.text), response.text.contains("<Error>") {
                return .failure(BenchFailure(code: code, message: XMLText.element("Message", in: response.text) ?? "", status: response.status))
            }
            return .success(context.size)
        case .failure(let failure):
            return .failure(failure)
        }
    }

    /// The object as `partCount` ranged GETs, `largePartConcurrency` in flight: the bytes received.
    static func rangedDownload(_ context: ScenarioContext, key: String, over transport: any BenchTransport) async -> Result<Int, BenchFailure> {
        let received = ByteCounter()
        do throws(BenchFailure) {
            try await concurrently(context.partCount, width: largePartConcurrency) { index in
                let range = context.partRange(index + 1)
                return await transport.perform(getObject(context, key: key, range: range)).flatMap { response -> Result<Void, BenchFailure> in
                    guard response.bytes == range.count else {
                        return .failure(BenchFailure(code: "ShortRead", message: "\(response.bytes) of \(range.count) bytes", status: response.status))
                    }
                    received.add(response.bytes)
                    return .success(())
                }
            }
        } catch {
            return .failure(error)
        }
        return .success(received.total)
    }
}
