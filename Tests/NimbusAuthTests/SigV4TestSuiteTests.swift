//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusAuth
import NimbusCore
import Testing

/// AWS's SigV4 test suite (aws-c-auth `tests/aws-signing-test-suite/v4`), read from `../shared` next to the
/// repository when it is there.
enum SigV4TestSuite {
    static let directory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/sigv4-test-suite/v4").standardized

    static var isAvailable: Bool { FileManager.default.fileExists(atPath: directory.path) }

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var normalize: Bool
        var region: String
        var service: String
        var timestamp: String
        var omit_session_token: Bool?
    }

    static func text(_ name: String, _ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name).appendingPathComponent(file), encoding: .utf8)
    }

    static func context(_ name: String) throws -> Context {
        try JSONDecoder().decode(Context.self, from: Data(text(name, "context.json").utf8))
    }

    /// Parses `METHOD path?query HTTP/1.1`, header lines (folded lines kept with their newline) and the body.
    static func request(_ raw: String) -> SignableRequest {
        var lines = raw.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        var target = String(requestLine.dropFirst(method.count + 1))
        if let range = target.range(of: " HTTP/1.1", options: .backwards) { target = String(target[..<range.lowerBound]) }
        let questionMark = target.firstIndex(of: "?")
        let path = String(target[..<(questionMark ?? target.endIndex)])
        let query = questionMark.map { String(target[target.index(after: $0)...]) } ?? ""
        var headers: [(name: String, value: String)] = []
        while !lines.isEmpty {
            let line = lines.removeFirst()
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            let colon = line.firstIndex(of: ":")!
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let body = lines.joined(separator: "\n")
        return SignableRequest(method: method, path: path, query: query, headers: headers, bodySHA256: TestSupport.sha256Hex(body))
    }
}

@Suite("AWS SigV4 test suite", .enabled(if: SigV4TestSuite.isAvailable, "../shared/sigv4-test-suite is not next to the repository"))
struct SigV4TestSuiteTests {
    @Test("the suite has all 38 cases")
    func suiteIsComplete() {
        #expect(SigV4TestSuite.cases.count == 38)
    }

    @Test("header form: accepted, canonical request and string to sign as in the vector", arguments: SigV4TestSuite.cases)
    func headerForm(name: String) async throws {
        try await check(name, form: "header")
    }

    @Test("query form: accepted, canonical request and string to sign as in the vector", arguments: SigV4TestSuite.cases)
    func queryForm(name: String) async throws {
        try await check(name, form: "query")
    }

    private func check(_ name: String, form: String) async throws {
        let context = try SigV4TestSuite.context(name)
        let flavor: SigningFlavor = context.normalize ? .standard : .s3
        let request = SigV4TestSuite.request(try SigV4TestSuite.text(name, "\(form)-signed-request.txt"))
        let expectedCanonical = try SigV4TestSuite.text(name, "\(form)-canonical-request.txt")
        let expectedStringToSign = try SigV4TestSuite.text(name, "\(form)-string-to-sign.txt")
        let signedAt = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        let credential = SigningCredential(
            accessKeyID: context.credentials.access_key_id,
            secretAccessKey: context.credentials.secret_access_key,
            sessionToken: context.credentials.token,
            principal: .root(of: "123456789012")
        )
        let verifier = SigV4Verifier(credentials: StaticCredentialProvider([credential]), clock: .fixed(signedAt))

        let (authentication, canonical, stringToSign) = try await verifier.authenticateShowingWork(request, flavor: flavor)
        guard case .authenticated(let authenticated) = authentication else {
            Issue.record("\(name) (\(form)) was not authenticated")
            return
        }
        #expect(authenticated.scope == SigningScope(accessKeyID: "AKIDEXAMPLE", date: "20150830", region: context.region, service: context.service))
        #expect(authenticated.isPresigned == (form == "query"))
        #expect(canonical == expectedCanonical)
        #expect(stringToSign == expectedStringToSign)

        // The same computation without a key, as the pipeline may call it.
        let omit = form == "query" && (context.omit_session_token ?? false)
        let computed = try #require(try SigV4Verifier.canonicalRequest(for: request, flavor: flavor, omittingSessionToken: omit))
        if flavor == .standard || form == "header" {
            #expect(computed.canonicalRequest == expectedCanonical)
        }
        #expect(SigV4Verifier.scope(of: request)?.accessKeyID == "AKIDEXAMPLE")
    }
}
