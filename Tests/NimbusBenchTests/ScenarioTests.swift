//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAuth
import Synchronization
import Testing

@testable import NimbusBench

/// Answers requests from a closure and records them, in order.
final class FakeTransport: BenchTransport {
    private let log = Mutex<[BenchRequest]>([])
    private let answer: @Sendable (BenchRequest) -> Result<BenchResponse, BenchFailure>

    init(_ answer: @escaping @Sendable (BenchRequest) -> Result<BenchResponse, BenchFailure> = { _ in .success(BenchResponse()) }) {
        self.answer = answer
    }

    func perform(_ request: BenchRequest) async -> Result<BenchResponse, BenchFailure> {
        log.withLock { $0.append(request) }
        return answer(request)
    }

    var requests: [BenchRequest] { log.withLock { $0 } }

    /// The `Action=` of form-encoded (IAM, STS) requests.
    var actions: [String] {
        requests.compactMap { request in
            String(decoding: request.body, as: UTF8.self).split(separator: "&").first { $0.hasPrefix("Action=") }.map { String($0.dropFirst(7)) }
        }
    }
}

private func text(_ request: BenchRequest) -> String { String(decoding: request.body, as: UTF8.self) }

private func xml(_ text: String) -> Result<BenchResponse, BenchFailure> {
    .success(BenchResponse(body: Array(text.utf8), bytes: text.utf8.count))
}

@Suite struct ScenarioTableTests {
    @Test func namesAreUniqueAndFound() {
        let names = Scenario.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in ["sts-caller-identity", "s3-put", "s3-get", "s3-list", "s3-put-large", "s3-get-large", "iam-authorized-get", "kms-encrypt", "kms-decrypt"] {
            #expect(Scenario.named(name)?.name == name)
        }
        #expect(Scenario.named("s3-nothing") == nil)
        // The help text lists `names`, which must be `all`'s.
        #expect(Scenario.names == names)
    }
}

@Suite struct S3ScenarioTests {
    @Test func putSignsTheBodyHashAndWritesTheWorkersOwnKeys() throws {
        let scenario = try #require(Scenario.named("s3-put"))
        let context = scenario.context(size: 4096)
        let request = try #require(scenario.request(context, 3, 69))
        #expect(request.method == "PUT")
        #expect(request.path == "/nimbus-bench/bench/w3/object-5")
        #expect(request.body.count == 4096)
        guard case .sha256(let hash) = request.payload else { Issue.record("payload \(request.payload)"); return }
        #expect(hash == SigV4Crypto.sha256Hex(bytes: request.body))
        #expect(scenario.setup(context).map(\.path) == ["/nimbus-bench"])
    }

    @Test func getIsUnsignedAndReadsTheSeededKeys() throws {
        let scenario = try #require(Scenario.named("s3-get"))
        let context = scenario.context(size: 1024)
        let setup = scenario.setup(context)
        #expect(setup.count == 1 + context.keyCount)
        #expect(setup.dropFirst().allSatisfy { $0.method == "PUT" && $0.body.count == 1024 })
        let request = try #require(scenario.request(context, 1, 2))
        #expect(request.method == "GET")
        #expect(request.path == "/nimbus-bench/bench/object-3")
        guard case .unsigned = request.payload else { Issue.record("payload \(request.payload)"); return }
    }

    @Test func listPagesCycleThroughTenThousandKeys() throws {
        let scenario = try #require(Scenario.named("s3-list"))
        let context = scenario.context(size: 4096)
        let first = try #require(scenario.request(context, 0, 0))
        #expect(first.path == "/nimbus-bench")
        #expect(first.query == "list-type=2&max-keys=1000&prefix=list%2F")
        let fourth = try #require(scenario.request(context, 1, 2))
        #expect(fourth.query == "list-type=2&max-keys=1000&prefix=list%2F&start-after=list%2Fkey-02999")
        #expect(try #require(scenario.request(context, 5, 5)).query == first.query)
        #expect(Scenario.listKey(7) == "list/key-00007")
        #expect(Scenario.listKey(9999) == "list/key-09999")
    }

    @Test func listSetupPutsTheKeysOnceAndTheLastKeyLast() async throws {
        let scenario = try #require(Scenario.named("s3-list"))
        let context = scenario.context(size: 0)
        let empty = FakeTransport { request in
            request.method == "HEAD" ? .failure(BenchFailure(code: "HTTP 404", message: "", status: 404)) : .success(BenchResponse())
        }
        _ = try await scenario.prepare(context, empty)
        let puts = empty.requests.filter { $0.method == "PUT" }
        #expect(puts.count == Scenario.listKeyCount)
        #expect(Set(puts.map(\.path)).count == Scenario.listKeyCount)
        #expect(puts.last?.path == "/nimbus-bench/list/key-09999")

        let seeded = FakeTransport()
        _ = try await scenario.prepare(context, seeded)
        #expect(seeded.requests.map(\.method) == ["HEAD"])
    }

    @Test func multipartUploadSendsEveryPartAndCompletesWithTheirETags() async throws {
        let scenario = try #require(Scenario.named("s3-put-large"))
        let context = scenario.context(size: 40 << 20)
        #expect(context.partCount == 3)
        #expect(context.body.count == 16 << 20)
        #expect(context.lastPart.count == 8 << 20)
        let transport = FakeTransport { request in
            if request.query == "uploads" { return xml("<InitiateMultipartUploadResult><UploadId>up/1+x=</UploadId></InitiateMultipartUploadResult>") }
            if request.query.hasPrefix("partNumber=") {
                let number = request.query.split(separator: "&")[0].dropFirst("partNumber=".count)
                return .success(BenchResponse(headers: [("ETag", "\"etag-\(number)\"")], bytes: request.body.count))
            }
            return xml("<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>")
        }
        let moved = try await scenario.run(context, worker: 2, iteration: 0, over: transport).get()
        #expect(moved == 40 << 20)
        let requests = transport.requests
        #expect(requests.count == 5)
        #expect(requests.allSatisfy { $0.path == "/nimbus-bench/bench/large/w2" })
        let parts = requests.filter { $0.method == "PUT" }
        #expect(Set(parts.map(\.query)) == Set((1...3).map { "partNumber=\($0)&uploadId=up%2F1%2Bx%3D" }))
        #expect(parts.map(\.body.count).sorted() == [8 << 20, 16 << 20, 16 << 20])
        let complete = try #require(requests.last)
        #expect(complete.method == "POST")
        #expect(complete.query == "uploadId=up%2F1%2Bx%3D")
        #expect(text(complete).contains("<Part><PartNumber>1</PartNumber><ETag>&quot;etag-1&quot;</ETag></Part><Part><PartNumber>2</PartNumber>"))
        #expect(text(complete).hasSuffix("<PartNumber>3</PartNumber><ETag>&quot;etag-3&quot;</ETag></Part></CompleteMultipartUpload>"))
    }

    @Test func multipartUploadReportsAnErrorInsideA200() async throws {
        let scenario = try #require(Scenario.named("s3-put-large"))
        let context = scenario.context(size: 1 << 20)
        let transport = FakeTransport { request in
            if request.query == "uploads" { return xml("<UploadId>u</UploadId>") }
            if request.query.hasPrefix("partNumber=") { return .success(BenchResponse(headers: [("etag", "\"e\"")])) }
            return xml("<Error><Code>InternalError</Code><Message>try again</Message></Error>")
        }
        let result = await scenario.run(context, worker: 0, iteration: 0, over: transport)
        guard case .failure(let failure) = result else { Issue.record("expected a failure"); return }
        #expect(failure.code == "InternalError")
    }

    @Test func largeDownloadIsRangedGetsCoveringTheObject() async throws {
        let scenario = try #require(Scenario.named("s3-get-large"))
        let context = scenario.context(size: (32 << 20) + 5)
        let transport = FakeTransport { request in
            let range = request.header("Range")!.dropFirst("bytes=".count).split(separator: "-").map { Int($0)! }
            return .success(BenchResponse(status: 206, bytes: range[1] - range[0] + 1))
        }
        let moved = try await scenario.run(context, worker: 0, iteration: 0, over: transport).get()
        #expect(moved == (32 << 20) + 5)
        let ranges = transport.requests.compactMap { $0.header("Range") }.sorted()
        #expect(ranges == ["bytes=0-16777215", "bytes=16777216-33554431", "bytes=33554432-33554436"])
        #expect(transport.requests.allSatisfy { $0.path == "/nimbus-bench/bench/large/source" && $0.method == "GET" })
    }

    @Test func largeDownloadSetupUploadsOnlyWhenTheObjectIsMissing() async throws {
        let scenario = try #require(Scenario.named("s3-get-large"))
        let context = scenario.context(size: 20 << 20)
        let present = FakeTransport { _ in .success(BenchResponse(headers: [("Content-Length", String(20 << 20))])) }
        _ = try await scenario.prepare(context, present)
        #expect(present.requests.map(\.method) == ["HEAD"])

        let missing = FakeTransport { request in
            if request.method == "HEAD" { return .failure(BenchFailure(code: "HTTP 404", message: "", status: 404)) }
            if request.query == "uploads" { return xml("<UploadId>u</UploadId>") }
            return .success(BenchResponse(headers: [("ETag", "\"e\"")]))
        }
        _ = try await scenario.prepare(context, missing)
        #expect(missing.requests.map(\.method) == ["HEAD", "POST", "PUT", "PUT", "POST"])
    }
}

@Suite struct IAMScenarioTests {
    @Test func setupCreatesAUserWithThreePoliciesAndSignsGetsWithItsKey() async throws {
        let scenario = try #require(Scenario.named("iam-authorized-get"))
        let context = scenario.context(size: 4096)
        let transport = FakeTransport { request in
            switch text(request).split(separator: "&").first {
            case "Action=CreatePolicy":
                return xml("<CreatePolicyResult><Policy><Arn>arn:aws:iam::111122223333:policy/p</Arn></Policy></CreatePolicyResult>")
            case "Action=CreateAccessKey":
                return xml("<AccessKey><AccessKeyId>AKIAUSER</AccessKeyId><SecretAccessKey>s&amp;cret</SecretAccessKey></AccessKey>")
            default:
                return xml("<ok/>")
            }
        }
        let prepared = try await scenario.prepare(context, transport)
        #expect(transport.actions == [
            "CreateUser", "CreateGroup", "AddUserToGroup", "PutGroupPolicy", "PutUserPolicy", "CreatePolicy", "AttachUserPolicy",
            "CreateAccessKey",
        ])
        #expect(transport.requests.allSatisfy { $0.service == "iam" && $0.credentials == nil })
        #expect(text(transport.requests[6]).contains("PolicyArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Apolicy%2Fp"))
        #expect(prepared.credentials?.accessKeyID == "AKIAUSER")
        #expect(prepared.credentials?.secretAccessKey == "s&cret")

        let get = try #require(scenario.request(prepared, 0, 1))
        #expect(get.method == "GET" && get.path == "/nimbus-bench/bench/object-1")
        #expect(get.credentials?.accessKeyID == "AKIAUSER")
    }

    @Test func policiesAreJSONThatNamesTheBucket() throws {
        let policies = Scenario.benchPolicies(bucket: "b")
        for document in [policies.userInline, policies.managed, policies.groupInline] {
            let object = try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any]
            #expect(object?["Version"] as? String == "2012-10-17")
            #expect(document.contains("arn:aws:s3:::b"))
        }
    }

    @Test func requestsOverridingTheServiceAreSignedForIt() throws {
        let signing = Exchange.Signing(
            credentials: BenchCredentials(accessKeyID: "AKIAROOT", secretAccessKey: "r"), region: "us-east-1", service: "s3", flavor: .s3
        )
        let call = Scenario.iamCall("CreateUser", [("UserName", "u")])
        let signed = Exchange.signed(call, host: "127.0.0.1:4566", signer: signing.signer(for: call), at: Date(timeIntervalSince1970: 1_795_366_800))
        let authorization = try #require(signed.headers.first { $0.name == "Authorization" }?.value)
        #expect(authorization.contains("Credential=AKIAROOT/20261122/us-east-1/iam/aws4_request"))

        var get = Scenario.getObject(ScenarioContext(size: 1), key: "k")
        get.credentials = BenchCredentials(accessKeyID: "AKIAUSER", secretAccessKey: "u")
        let signedGet = Exchange.signed(get, host: "h", signer: signing.signer(for: get), at: Date(timeIntervalSince1970: 1_795_366_800))
        let getAuthorization = try #require(signedGet.headers.first { $0.name == "Authorization" }?.value)
        #expect(getAuthorization.contains("Credential=AKIAUSER/20261122/us-east-1/s3/aws4_request"))
        #expect(signedGet.headers.contains { $0.name.lowercased() == "x-amz-content-sha256" && $0.value == "UNSIGNED-PAYLOAD" })
    }
}

@Suite struct KMSScenarioTests {
    private static let transport = FakeTransport { request in
        switch request.header("X-Amz-Target") {
        case "TrentService.CreateKey":
            return xml(#"{"KeyMetadata":{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","Arn":"arn:aws:kms:us-east-1:111122223333:key/x"}}"#)
        case "TrentService.Encrypt":
            return xml(#"{"CiphertextBlob":"AQIDBA==","KeyId":"arn:aws:kms:us-east-1:111122223333:key/x"}"#)
        default:
            return xml("{}")
        }
    }

    @Test func encryptSendsOneKiBUnderTheCreatedKey() async throws {
        let scenario = try #require(Scenario.named("kms-encrypt"))
        let prepared = try await scenario.prepare(scenario.context(size: 4096), Self.transport)
        let request = try #require(scenario.request(prepared, 0, 0))
        #expect(request.header("X-Amz-Target") == "TrentService.Encrypt")
        #expect(request.header("Content-Type") == "application/x-amz-json-1.1")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
        #expect(body["KeyId"] == "1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(Data(base64Encoded: body["Plaintext"] ?? "")?.count == 1024)
    }

    @Test func decryptSendsTheCiphertextTheSetupGot() async throws {
        let scenario = try #require(Scenario.named("kms-decrypt"))
        let prepared = try await scenario.prepare(scenario.context(size: 4096), Self.transport)
        #expect(prepared.values["ciphertext"] == "AQIDBA==")
        let request = try #require(scenario.request(prepared, 3, 9))
        #expect(request.header("X-Amz-Target") == "TrentService.Decrypt")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
        #expect(body == ["KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "CiphertextBlob": "AQIDBA=="])
    }

    @Test func aSetupAnswerWithoutAKeyIdFails() async throws {
        let scenario = try #require(Scenario.named("kms-encrypt"))
        await #expect(throws: BenchFailure.self) {
            _ = try await scenario.prepare(scenario.context(size: 0), FakeTransport { _ in xml("{}") })
        }
    }
}
