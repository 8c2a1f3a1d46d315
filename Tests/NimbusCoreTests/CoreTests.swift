import Foundation
import NimbusCore
import Testing

@Suite struct ARNTests {
    @Test func parsesResourceWithColons() throws {
        let arn = try #require(ARN("arn:aws:s3:::bucket/a:b:c"))
        #expect(arn.service == "s3")
        #expect(arn.accountID == "")
        #expect(arn.resource == "bucket/a:b:c")
        #expect(arn.description == "arn:aws:s3:::bucket/a:b:c")
    }

    @Test(arguments: ["", "arn", "arn:aws", "arn:aws:iam::123", "aws:iam::123:user/x:y", "arn::iam::1:x"])
    func rejectsMalformed(_ s: String) {
        #expect(ARN(s) == nil)
    }

    /// The byte-wise parser agrees with the obvious one (split at the first five colons) on every string
    /// made of a few ARN-ish pieces, and on a `Substring`.
    @Test func agreesWithSplittingAtTheFirstFiveColons() {
        let pieces = ["arn", "aws", "", ":", "s3", "é", "key/1", "::", "x:y"]
        var strings = [""]
        for _ in 0..<4 { strings = strings.flatMap { s in pieces.map { s + $0 } } }
        for string in strings + strings.map({ "arn:aws:" + $0 }) {
            let parts = string.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            let expected = parts.count == 6 && parts[0] == "arn" && !parts[1].isEmpty && !parts[2].isEmpty
                ? ARN(partition: String(parts[1]), service: String(parts[2]), region: String(parts[3]), accountID: String(parts[4]), resource: String(parts[5]))
                : nil
            #expect(ARN(string) == expected, "\(string)")
            #expect(ARN(Substring("-" + string).dropFirst()) == expected, "\(string)")
        }
    }
}

@Suite struct IdentifierTests {
    @Test func shapes() {
        let key = Identifiers.accessKeyID()
        #expect(key.hasPrefix("AKIA") && key.count == 20)
        #expect(Identifiers.temporaryAccessKeyID().hasPrefix("ASIA"))
        #expect(Identifiers.secretAccessKey().count == 40)
        let account = Identifiers.accountID()
        #expect(Identifiers.isAccountID(account) && account.first != "0")
        #expect(!Identifiers.isAccountID("12345678901a"))
    }

    @Test func requestIDsAreLowercaseVersion4UUIDs() throws {
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let id = Identifiers.requestID()
            let uuid = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(id == uuid.uuidString.lowercased())
            let bytes = Array(id.utf8)
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(bytes[19]))
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
    }

    @Test func eventIDsAreVersion7UUIDsInTimeOrder() throws {
        let start = Date(timeIntervalSince1970: 1_795_366_800.123)
        var previous = ""
        var seen = Set<String>()
        for step in 0..<1_000 {
            let id = Identifiers.eventID(at: start.addingTimeInterval(Double(step) / 500))
            let uuid = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(id == uuid.uuidString.lowercased())
            let bytes = Array(id.utf8)
            #expect(bytes[14] == UInt8(ascii: "7"))
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(bytes[19]))
            // Every 2 ms a new millisecond: ids of later milliseconds sort after earlier ones.
            if step % 2 == 0 { #expect(id > previous) }
            previous = id
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
        // The first 48 bits are the milliseconds.
        let hex = Identifiers.eventID(at: start).replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(hex, radix: 16) == 1_795_366_800_123)
        // Times outside what 48 bits hold do not trap.
        for date in [Date.distantPast, Date.distantFuture, Date(timeIntervalSince1970: .nan)] {
            #expect(UUID(uuidString: Identifiers.eventID(at: date)) != nil)
        }
    }

    @Test func errorsCompareByCode() {
        let custom = AWSError(code: "SignatureDoesNotMatch", message: "Signature expired", status: 403)
        #expect(custom == AWSError.signatureDoesNotMatch)
        #expect(!(AWSError.accessDenied() ~= custom))
    }
}

@Suite struct RootOnlyAuthorizerTests {
    func context(_ principal: Principal) -> RequestContext {
        RequestContext(
            requestID: "r", receivedAt: .now, sourceIP: "127.0.0.1", userAgent: "", region: "us-east-1",
            service: "s3", operation: "GetObject", principal: principal, isSecureTransport: false
        )
    }

    @Test func rootMayActInItsOwnAccountOnly() async throws {
        let authorizer = RootOnlyAuthorizer()
        let root = Principal.root(of: "111122223333")
        try await authorizer.authorize(.init(action: "s3:GetObject", resources: ["*"], context: context(root)))
        try await authorizer.authorize(.init(action: "iam:GetUser", resources: ["arn:aws:iam::111122223333:user/a"], context: context(root)))
        await #expect(throws: AWSError.accessDenied()) {
            try await authorizer.authorize(.init(action: "iam:GetUser", resources: ["arn:aws:iam::999988887777:user/a"], context: context(root)))
        }
        await #expect(throws: AWSError.accessDenied()) {
            try await authorizer.authorize(.init(action: "s3:GetObject", context: context(.anonymous)))
        }
    }
}

@Suite struct ASCIITextTests {
    @Test(arguments: [
        ("abc", "abc"), ("  abc", "abc"), ("abc \t", "abc"), ("\t a b \t", "a b"), ("", ""), ("   ", ""),
        ("\u{A0}x\u{A0}", "\u{A0}x\u{A0}"), (" é ", "é"),
    ])
    func trimsSpacesAndTabsOnly(_ input: String, _ expected: String) {
        #expect(input.trimmingHTTPWhitespace() == expected)
        #expect(Substring(input).trimmingHTTPWhitespace() == expected)
    }

    @Test func comparesIgnoringASCIICase() {
        #expect("Authorization".equalsASCIICaseInsensitive("authorization"))
        #expect("AUTHORIZATION".equalsASCIICaseInsensitive("authorization"))
        #expect(!"Authorizatio".equalsASCIICaseInsensitive("authorization"))
        #expect(!"Authorizat1on".equalsASCIICaseInsensitive("authorization"))
        // Only A–Z fold: '@' (0x40) and '[' (0x5B) stay themselves.
        #expect(!"@".equalsASCIICaseInsensitive("`"))
        #expect(!"[".equalsASCIICaseInsensitive("{"))
    }

    @Test func findsASCIIInside() {
        #expect("arn:aws:kms:us-east-1:111122223333:key/1234".containsASCII(":key/"))
        #expect("arn:aws:kms:us-east-1:111122223333:alias/key/x".containsASCII(":key/") == false)
        #expect(":key/".containsASCII(":key/"))
        #expect(!":key".containsASCII(":key/"))
        #expect("::key/".containsASCII(":key/"))
        #expect("ü:key/".containsASCII(":key/"))
        #expect(Substring("a:role/b").containsASCII(":role/"))
        #expect("".containsASCII(""))
        #expect(!"".containsASCII("x"))
        #expect("arn:aws:iam::1:role/r".hasPrefixASCIICaseInsensitive("arn:aws:iam"))
        #expect("STS:AssumeRoleWithSAML".hasPrefixASCIICaseInsensitive("sts:assumerole"))
    }

    @Test func lowercasesASCII() {
        #expect("X-Amz-Date".lowercasedASCII() == "x-amz-date")
        #expect("already-lower".lowercasedASCII() == "already-lower")
        #expect(Substring("Host").lowercasedASCII() == "host")
        #expect("ÄB".lowercasedASCII() == "Äb")
    }
}

@Suite struct JSONStringTests {
    private func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        JSONString.append(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func escapesOnlyWhatJSONRequires() throws {
        #expect(quoted("") == #""""#)
        #expect(quoted("plain/ascii") == #""plain/ascii""#)
        #expect(quoted("a\"b\\c\nd\re\tf\u{8}g\u{C}h\u{1}i\u{1F}") == #""a\"b\\c\nd\re\tf\bg\fh\u0001i\u001f""#)
        #expect(quoted("caf\u{E9} \u{1F600}") == "\"caf\u{E9} \u{1F600}\"")
        // What Foundation's parser reads back is the string itself.
        let tricky = "\"\\\u{0}x\u{7F}\u{2028}é\"end\\"
        let parsed = try JSONSerialization.jsonObject(with: Data(quoted(tricky).utf8), options: .fragmentsAllowed) as? String
        #expect(parsed == tricky)
    }
}

@Suite struct HexTests {
    @Test func writesLowercasePairs() {
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode((0...255).map(UInt8.init)) == (0...255).map { String(format: "%02x", $0) }.joined())
        // A sequence without contiguous storage takes the other path, to the same answer.
        #expect(Hex.encode(stride(from: UInt8(250), through: 255, by: 1)) == "fafbfcfdfeff")
    }
}

@Suite struct BytesCodingTests {
    private struct Record: Codable, Equatable {
        var digest: [UInt8]
        var sealed: [UInt8]?

        enum CodingKeys: String, CodingKey { case digest, sealed }

        init(digest: [UInt8], sealed: [UInt8]?) {
            self.digest = digest
            self.sealed = sealed
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            digest = try c.decodeBytes(forKey: .digest)
            sealed = try c.decodeBytesIfPresent(forKey: .sealed)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeBytes(digest, forKey: .digest)
            try c.encodeBytesIfPresent(sealed, forKey: .sealed)
        }
    }

    @Test func writesBase64AndReadsItBack() throws {
        let record = Record(digest: [0, 1, 2, 0xfe, 0xff], sealed: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(record), as: UTF8.self)
        #expect(json == #"{"digest":"AAEC\/v8="}"#)
        #expect(try JSONDecoder().decode(Record.self, from: Data(json.utf8)) == record)
        let both = Record(digest: [], sealed: Array(repeating: 7, count: 60))
        #expect(try JSONDecoder().decode(Record.self, from: try encoder.encode(both)) == both)
    }

    @Test func readsRecordsWrittenAsNumberArrays() throws {
        let old = #"{"digest":[0,1,2,254,255],"sealed":[9,8]}"#
        #expect(try JSONDecoder().decode(Record.self, from: Data(old.utf8)) == Record(digest: [0, 1, 2, 254, 255], sealed: [9, 8]))
        let absent = #"{"digest":[],"sealed":null}"#
        #expect(try JSONDecoder().decode(Record.self, from: Data(absent.utf8)) == Record(digest: [], sealed: nil))
    }

    @Test func refusesWhatIsNeither() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Record.self, from: Data(#"{"digest":"not base64!"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Record.self, from: Data(#"{"digest":[256]}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Record.self, from: Data(#"{"digest":{}}"#.utf8)) }
    }
}

@Suite struct UTF8ValidationTests {
    /// The ASCII fast path and the fallback agree with `String(validating:as:)`, contiguous or not.
    @Test func agreesWithTheStandardLibrary() {
        let samples: [[UInt8]] = [
            [], Array("plain ascii {\"k\":1}".utf8), Array("café 😀 ü".utf8),
            [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x61, 0xFF, 0x62], [0xF4, 0x90, 0x80, 0x80],
        ]
        for bytes in samples {
            let expected = String(validating: bytes, as: UTF8.self)
            #expect(String(validatingUTF8Bytes: bytes) == expected, "\(bytes)")
            #expect(String(validatingUTF8Bytes: bytes[...]) == expected, "\(bytes)")
            // Not contiguous: the copying path.
            #expect(String(validatingUTF8Bytes: bytes.lazy.map { $0 }) == expected, "\(bytes)")
        }
    }
}
