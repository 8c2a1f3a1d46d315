import Crypto
import Foundation
import Logging
import NimbusAuth
import NimbusCore
import NimbusStorage
import NimbusSTS
import NimbusWire
import NIOSSL
import Testing

@testable import NimbusServer

/// A Nimbus assembled in memory with a pinned root key, driven without sockets.
struct TestNimbus {
    static let accountID = "111122223333"
    static let keyID = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    let runtime: NimbusRuntime

    init(auth: ServerConfiguration.AuthMode = .strict) async throws {
        var configuration = ServerConfiguration()
        configuration.ephemeral = true
        configuration.authMode = auth
        configuration.accountID = Self.accountID
        configuration.rootAccessKeyID = Self.keyID
        configuration.rootSecretAccessKey = Self.secret
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        runtime = try await NimbusRuntime.make(configuration, logger: logger)
    }

    /// A query-protocol request, SigV4-signed now (or `offset` seconds off) with the given key.
    func query(
        _ body: String,
        service: String = "sts",
        keyID: String = keyID,
        secret: String = secret,
        offset: TimeInterval = 0,
        sign: Bool = true
    ) async -> WireResponse {
        await send(
            method: "POST", headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(body.utf8), service: service, keyID: keyID, secret: secret, offset: offset, sign: sign
        )
    }

    /// A json-protocol request to `target`.
    func json(_ body: String, target: String, service: String) async -> WireResponse {
        await send(
            method: "POST", headers: [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)],
            body: Array(body.utf8), service: service, keyID: Self.keyID, secret: Self.secret, offset: 0, sign: true
        )
    }

    func send(
        method: String,
        path: String = "/",
        query: String = "",
        headers: [(name: String, value: String)],
        body: [UInt8],
        service: String,
        keyID: String,
        secret: String,
        offset: TimeInterval,
        sign: Bool
    ) async -> WireResponse {
        var unsigned = SignableRequest(
            method: method, path: path, query: query,
            headers: headers + [("host", "localhost:4566")],
            bodySHA256: RequestPipeline.sha256Hex(body)
        )
        if sign {
            let signer = SigV4Signer(accessKeyID: keyID, secretAccessKey: secret, region: "us-east-1", service: service)
            unsigned = signer.signed(unsigned, at: Date().addingTimeInterval(offset))
        }
        let wire = WireRequest(
            method: method, path: path, query: unsigned.query, headers: unsigned.headers, host: "localhost:4566", body: body
        )
        return await runtime.respond(to: wire, from: "192.0.2.10")
    }
}

extension WireResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

@Suite struct PipelineTests {
    let identity = "Action=GetCallerIdentity&Version=2011-06-15"

    /// What the transport learns from a request's head: the service, the operation where the head names it, and
    /// whether the body is read as a stream; a form body is identified again once read.
    @Test func routingFromTheHead() async throws {
        let nimbus = try await TestNimbus()
        let pipeline = nimbus.runtime.pipeline
        func head(_ method: String, _ path: String, _ headers: [(name: String, value: String)] = []) -> WireRequest {
            WireRequest(method: method, path: path, query: "", headers: headers + [("host", "localhost:4566")], host: "localhost:4566")
        }
        var put = head("PUT", "/bucket/key")
        let putRouting = try #require(pipeline.routing(for: &put))
        #expect(putRouting.operation?.name == "PutObject")
        #expect(putRouting.streamsBody)
        #expect(put.restTarget != nil)  // routed once, in place

        var get = head("GET", "/bucket/key")
        let getRouting = try #require(pipeline.routing(for: &get))
        #expect(getRouting.operation?.name == "GetObject")
        #expect(!getRouting.streamsBody)

        var encrypt = head("POST", "/", [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "TrentService.Encrypt")])
        #expect(pipeline.routing(for: &encrypt)?.operation?.name == "Encrypt")

        // A form's action is in its body: the head names no operation, and `respond` identifies the request again.
        var form = head("POST", "/", [("content-type", "application/x-www-form-urlencoded")])
        #expect(pipeline.routing(for: &form)?.operation == nil)
        #expect(form.hasFormBody)
        let routing = pipeline.routing(for: &form)
        form.body = Array(identity.utf8)
        let answer = await pipeline.respond(to: form, connection: Connection(remoteAddress: "192.0.2.10", isSecure: false), routing: routing)
        #expect(answer.text.contains("<Code>MissingAuthenticationToken</Code>"))
    }

    @Test func getCallerIdentityReturnsTheRoot() async throws {
        let nimbus = try await TestNimbus()
        let response = await nimbus.query(identity)
        #expect(response.status == 200)
        #expect(response.text.contains("<Arn>arn:aws:iam::111122223333:root</Arn>"))
        #expect(response.text.contains("<Account>111122223333</Account>"))
        #expect(response.headers.contains { $0.name.lowercased() == "x-amzn-requestid" })
    }

    @Test func authenticationFailuresHaveAWSCodes() async throws {
        let nimbus = try await TestNimbus()
        let wrongSecret = await nimbus.query(identity, secret: "not-the-secret")
        #expect(wrongSecret.status == 403)
        #expect(wrongSecret.text.contains("<Code>SignatureDoesNotMatch</Code>"))
        let unknownKey = await nimbus.query(identity, keyID: "AKIAUNKNOWNUNKNOWN00")
        #expect(unknownKey.text.contains("<Code>InvalidClientTokenId</Code>"))
        let unsigned = await nimbus.query(identity, sign: false)
        #expect(unsigned.status == 403)
        #expect(unsigned.text.contains("<Code>MissingAuthenticationToken</Code>"))
    }

    @Test(arguments: [(-1200.0, false), (-600.0, true), (600.0, true), (1200.0, false)])
    func clockSkewWindowIsFifteenMinutes(offset: TimeInterval, accepted: Bool) async throws {
        let nimbus = try await TestNimbus()
        let response = await nimbus.query(identity, offset: offset)
        #expect((response.status == 200) == accepted)
        if !accepted { #expect(response.text.contains("SignatureDoesNotMatch")) }
    }

    @Test func unknownActionIsInvalidAction() async throws {
        let nimbus = try await TestNimbus()
        let response = await nimbus.query("Action=NoSuchThing&Version=2011-06-15")
        #expect(response.status == 400)
        #expect(response.text.contains("<Code>InvalidAction</Code>"))
    }

    @Test func everyAuthenticatedCallIsInCloudTrail() async throws {
        let nimbus = try await TestNimbus()
        _ = await nimbus.query(identity)
        _ = await nimbus.query(identity, secret: "wrong")
        let response = await nimbus.json(
            #"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"GetCallerIdentity"}]}"#,
            target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
            service: "cloudtrail"
        )
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let events = try #require(object["Events"] as? [[String: Any]])
        #expect(events.count == 1)
        let record = try #require(events.first?["CloudTrailEvent"] as? String)
        #expect(record.contains(#""sourceIPAddress":"192.0.2.10""#))
        #expect(record.contains(#""arn":"arn:aws:iam::111122223333:root""#))
        #expect(!record.contains(TestNimbus.secret))
    }

    @Test func lookupEventsValidatesItsInput() async throws {
        let nimbus = try await TestNimbus()
        let response = await nimbus.json(
            #"{"MaxResults":500}"#,
            target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
            service: "cloudtrail"
        )
        #expect((400..<500).contains(response.status))
    }

    @Test func compatModeAcceptsAnyKeyAndAccountIDKeys() async throws {
        let nimbus = try await TestNimbus(auth: .compat)
        let anyKey = await nimbus.query(identity, keyID: "test", secret: "test")
        #expect(anyKey.status == 200)
        #expect(anyKey.text.contains("<Account>111122223333</Account>"))
        let accountKey = await nimbus.query(identity, keyID: "000000000000", secret: "whatever")
        #expect(accountKey.text.contains("<Account>000000000000</Account>"))
    }

    @Test func hostileBodiesGetClientErrors() async throws {
        let nimbus = try await TestNimbus()
        var random = SystemRandomNumberGenerator()
        let garbage = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &random) }
        let responses = [
            await nimbus.send(
                method: "POST", headers: [], body: garbage, service: "sts",
                keyID: TestNimbus.keyID, secret: TestNimbus.secret, offset: 0, sign: false
            ),
            await nimbus.query("Action=GetCallerIdentity&Version=2011-06-15&%ZZ=%"),
            await nimbus.json(String(repeating: "[", count: 10_000), target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", service: "cloudtrail"),
            await nimbus.json("{\"StartTime\": \"\u{FFFD}\"}", target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", service: "cloudtrail"),
        ]
        for response in responses {
            #expect((400..<500).contains(response.status), "\(response.status) \(response.text)")
        }
    }
}

@Suite struct AccountDirectoryTests {
    @Test func pinnedCredentialsWinOverStoredOnes() async throws {
        let store = MemoryMetadataStore()
        let directory = AccountDirectory(store: store, rootKey: .ephemeral())
        let (first, firstSecret) = try await directory.ensureDefault(accountID: nil, accessKeyID: nil, secret: nil)
        #expect(Identifiers.isAccountID(first.accountID))
        #expect(try await directory.credential(for: first.rootAccessKeyID)?.secretAccessKey == firstSecret)

        let (again, _) = try await directory.ensureDefault(accountID: nil, accessKeyID: "AKIAPINNEDPINNED0001", secret: "pinned-secret")
        #expect(again.accountID == first.accountID)
        #expect(try await directory.credential(for: first.rootAccessKeyID) == nil)
        #expect(try await directory.credential(for: "AKIAPINNEDPINNED0001")?.secretAccessKey == "pinned-secret")
    }

    @Test func secretsAreStoredSealed() async throws {
        let store = MemoryMetadataStore()
        let directory = AccountDirectory(store: store, rootKey: .ephemeral())
        let (account, secret) = try await directory.create(name: "b")
        let raw = try await store.read { try $0.get(AccountDirectory.namespace, account.accountID) }
        let stored = String(decoding: try #require(raw), as: UTF8.self)
        #expect(!stored.contains(secret))
        #expect(try await directory.list().map(\.accountID) == [account.accountID])
    }

    @Test func accountIDsAreValidated() async throws {
        let directory = AccountDirectory(store: MemoryMetadataStore(), rootKey: .ephemeral())
        await #expect(throws: AWSError.self) { try await directory.create(accountID: "12345") }
    }
}

@Suite struct LocalCertificateAuthorityTests {
    @Test func restoresFromItsKeyAndCertificate() throws {
        let ca = try LocalCertificateAuthority.create()
        let pem = try ca.certificatePEM
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let restored = try LocalCertificateAuthority(keyRepresentation: Array(ca.caKey.rawRepresentation), certificatePEM: pem)
        #expect(restored.caCertificate == ca.caCertificate)
        let tls = try restored.serverTLSConfiguration(extraNames: ["127.0.0.1", "nimbus.internal"])
        #expect(tls.minimumTLSVersion == .tlsv12)
        #expect(tls.cipherSuites.split(separator: ":").allSatisfy { $0.hasPrefix("ECDHE-") })
    }
}

@Suite struct SessionPurgeTests {
    @Test func expiredSessionsArePurgedAfterADay() async throws {
        let nimbus = try await TestNimbus()
        let issued = await nimbus.query("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900")
        #expect(issued.status == 200, "\(issued.text)")
        #expect(try await nimbus.runtime.sts.purgeExpiredSessions(now: Date()) == 0)
        // Expired, but within the day during which the key still answers ExpiredToken.
        #expect(try await nimbus.runtime.sts.purgeExpiredSessions(now: Date().addingTimeInterval(3_600)) == 0)
        #expect(try await nimbus.runtime.sts.purgeExpiredSessions(now: Date().addingTimeInterval(2 * 86_400)) == 1)
        #expect(try await nimbus.runtime.sts.purgeExpiredSessions(now: Date().addingTimeInterval(2 * 86_400)) == 0)
    }
}

@Suite struct AuthorizerARNTests {
    @Test(arguments: [
        ("arn:aws:kms:us-east-1:111122223333:key/1234", "111122223333"),
        ("arn:aws:iam::444455556666:user/division/bob", "444455556666"),
        ("arn:aws:s3:::bucket/key:with:colons", nil),
        ("arn:aws:s3:::bucket", nil),
        ("arn:aws:iam::123456789012", nil),
        ("*", nil),
        ("", nil),
        ("arn:", nil),
    ] as [(String, String?)])
    func theAccountFieldIsReadWithoutParsingTheARN(_ arn: String, _ account: String?) {
        #expect(PolicyAuthorizer.accountField(of: arn) == account)
        // The same answer ARN parsing gives, where ARN parses.
        if let parsed = ARN(arn) { #expect((parsed.accountID.isEmpty ? nil : parsed.accountID) == account) }
    }
}
