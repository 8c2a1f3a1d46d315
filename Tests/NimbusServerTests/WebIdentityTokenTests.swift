import Crypto
import Foundation
import NimbusCore
import NimbusSTS
import NimbusServer
import NimbusWire
import Testing

/// The JWT side of `AssumeRoleWithWebIdentity`: what is accepted, and that hostile tokens and key sets
/// are refused with the right error rather than crashing.
struct WebIdentityTokenTests {
    static func b64u(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func es256(_ key: P256.Signing.PrivateKey, header: String = #"{"alg":"ES256","kid":"k1"}"#, claims: String) throws -> String {
        let input = b64u(Array(header.utf8)) + "." + b64u(Array(claims.utf8))
        let signature = try key.signature(for: SHA256.hash(data: Array(input.utf8)))
        return input + "." + b64u(signature.rawRepresentation)
    }

    static func jwks(_ key: P256.Signing.PublicKey, kid: String = "k1", extra: String = "") -> [UInt8] {
        let raw = Array(key.rawRepresentation)
        let x = b64u(raw[0..<32]), y = b64u(raw[32..<64])
        return Array(#"{"keys":[\#(extra){"kty":"EC","crv":"P-256","kid":"\#(kid)","x":"\#(x)","y":"\#(y)"}]}"#.utf8)
    }

    static let claims = #"{"iss":"https://idp.example/","sub":"user-1","aud":["app","other"],"azp":"app","exp":4102444800,"amr":["mfa"]}"#

    @Test func aValidES256TokenVerifiesAgainstItsKey() throws {
        let key = P256.Signing.PrivateKey()
        let token = try WebIdentityToken(Self.es256(key, claims: Self.claims))
        #expect(token.issuer == "https://idp.example/")
        #expect(token.providerLocation == "idp.example")
        #expect(token.audiences == ["app", "other"])
        #expect(token.authorizedParty == "app")
        #expect(token.authenticationMethods == ["mfa"])
        let keys = try JSONWebKey.parseSet(Self.jwks(key.publicKey))
        let match = try #require(token.key(in: keys))
        #expect(token.isSigned(by: match))
        try token.checkValidity(at: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test func anotherKeyOrAnEditedPayloadFails() throws {
        let key = P256.Signing.PrivateKey()
        let compact = try Self.es256(key, claims: Self.claims)
        let stranger = try JSONWebKey.parseSet(Self.jwks(P256.Signing.PrivateKey().publicKey))
        #expect(try WebIdentityToken(compact).isSigned(by: stranger[0]) == false)

        var parts = compact.split(separator: ".").map(String.init)
        parts[1] = Self.b64u(Array(Self.claims.replacingOccurrences(of: "user-1", with: "admin").utf8))
        let own = try JSONWebKey.parseSet(Self.jwks(key.publicKey))
        #expect(try WebIdentityToken(parts.joined(separator: ".")).isSigned(by: own[0]) == false)
    }

    @Test func aKeyDeclaredForAnotherAlgorithmIsNotUsed() throws {
        let key = P256.Signing.PrivateKey()
        let token = try WebIdentityToken(Self.es256(key, claims: Self.claims))
        var keys = try JSONWebKey.parseSet(Self.jwks(key.publicKey))
        keys[0].algorithm = "RS256"
        #expect(token.isSigned(by: keys[0]) == false)
    }

    @Test func expiryAndNotBeforeAreEnforced() throws {
        let key = P256.Signing.PrivateKey()
        let expired = try WebIdentityToken(Self.es256(key, claims: #"{"iss":"https://i","sub":"s","aud":"a","exp":1000}"#))
        #expect(throws: WebIdentityError.expired(now: 2000, expiry: 1000)) {
            try expired.checkValidity(at: Date(timeIntervalSince1970: 2000))
        }
        let early = try WebIdentityToken(Self.es256(key, claims: #"{"iss":"https://i","sub":"s","aud":"a","exp":99999,"nbf":5000}"#))
        #expect(throws: WebIdentityError.notYetValid) { try early.checkValidity(at: Date(timeIntervalSince1970: 1000)) }
        // Within five minutes of nbf is clock skew, not an early token.
        try early.checkValidity(at: Date(timeIntervalSince1970: 4800))
    }

    @Test(arguments: [
        "", ".", "..", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30.", "W10.W10.",
        // alg none, and an alg STS does not accept
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        // header fine, claims missing
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        // exp as a string, and an absurd exp
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJpIiwic3ViIjoicyIsImV4cCI6IjEifQ.c2ln",
    ])
    func hostileTokensAreRefusedWithoutACrash(_ compact: String) {
        #expect(throws: WebIdentityError.self) { _ = try WebIdentityToken(compact) }
    }

    @Test func absurdNumbersAreClampedNotTrapped() throws {
        let key = P256.Signing.PrivateKey()
        let token = try WebIdentityToken(Self.es256(key, claims: #"{"iss":"https://i","sub":"s","exp":1e308,"nbf":-1e308}"#))
        try token.checkValidity(at: Date())
    }

    @Test func keySetsSkipWhatCannotVerifyAndRejectGarbage() throws {
        let key = P256.Signing.PrivateKey()
        let extra = #"{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},{"kty":"oct","k":"c2VjcmV0"},{"kty":"EC","crv":"P-256","x":"!!"},"#
        let keys = try JSONWebKey.parseSet(Self.jwks(key.publicKey, extra: extra))
        #expect(keys.count == 1)
        for garbage in ["", "[]", #"{"keys":{}}"#, "{\"keys\":[" + String(repeating: "[", count: 100)] {
            #expect(throws: WebIdentityError.keysUnavailable) { _ = try JSONWebKey.parseSet(Array(garbage.utf8)) }
        }
        // An RSA key too small to trust never verifies.
        let weak = try JSONWebKey.parseSet(Array(#"{"keys":[{"kty":"RSA","kid":"w","n":"AQAB","e":"AQAB"}]}"#.utf8))
        let token = try WebIdentityToken("eyJhbGciOiJSUzI1NiIsImtpZCI6IncifQ.eyJpc3MiOiJpIiwic3ViIjoicyIsImV4cCI6MX0.c2ln")
        #expect(token.isSigned(by: weak[0]) == false)
    }

    @Test func theKeyIsChosenByKidOrIsTheOnlyOne() throws {
        let a = P256.Signing.PrivateKey(), b = P256.Signing.PrivateKey()
        var keys = try JSONWebKey.parseSet(Self.jwks(a.publicKey, kid: "a"))
        keys += try JSONWebKey.parseSet(Self.jwks(b.publicKey, kid: "b"))
        let named = try WebIdentityToken(Self.es256(b, header: #"{"alg":"ES256","kid":"b"}"#, claims: Self.claims))
        #expect(named.key(in: keys)?.keyID == "b")
        let unnamed = try WebIdentityToken(Self.es256(a, header: #"{"alg":"ES256"}"#, claims: Self.claims))
        #expect(unnamed.key(in: keys) == nil)
        #expect(unnamed.key(in: [keys[0]])?.keyID == "a")
    }
}

/// `sts:DecodeAuthorizationMessage` reads back what a service encoded about a denial, in that account only.
struct AuthorizationMessageTests {
    static func body(_ encoded: String) -> String {
        "Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage="
            + (encoded.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    @Test func anEncodedDenialDecodesToAWSShape() async throws {
        let nimbus = try await TestNimbus()
        let bob = Principal(kind: .user, accountID: TestNimbus.accountID, arn: "arn:aws:iam::111122223333:user/bob", userID: "AIDAEXAMPLEBOB")
        let message = AuthorizationMessage(
            denied: bob, action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1:111122223333:instance/*",
            explicitDeny: true, conditions: ["ec2:Tenancy": ["default"]]
        )
        let encoded = try message.encoded(rootKey: nimbus.runtime.state.rootKey, account: TestNimbus.accountID)
        #expect(!encoded.contains("RunInstances"))
        let response = await nimbus.query(Self.body(encoded))
        #expect(response.status == 200)
        let xml = response.text
        let start = try #require(xml.range(of: "<DecodedMessage>")), end = try #require(xml.range(of: "</DecodedMessage>"))
        let json = String(xml[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
        let decoded = try JSONDecoder().decode(AuthorizationMessage.self, from: Data(json.utf8))
        #expect(decoded == message)
        #expect(decoded.context.principal.name == "bob")
        #expect(decoded.context.conditions.items.first?.values.items.first?.value == "default")
    }

    @Test func anotherAccountsOrAnAlteredMessageIsInvalid() async throws {
        let nimbus = try await TestNimbus()
        let message = AuthorizationMessage(denied: .root(of: "444455556666"), action: "ec2:RunInstances", resource: "*", explicitDeny: false, conditions: [:])
        let foreign = try message.encoded(rootKey: nimbus.runtime.state.rootKey, account: "444455556666")
        for encoded in [foreign, "bm90IGEgbWVzc2FnZQ==", "!!!", String(repeating: "A", count: 10_000)] {
            let response = await nimbus.query(Self.body(encoded))
            #expect(response.status == 400)
            #expect(response.text.contains("<Code>InvalidAuthorizationMessageException</Code>"))
        }
    }
}
