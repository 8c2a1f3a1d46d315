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

    @Test func errorsCompareByCode() {
        let custom = AWSError(code: "SignatureDoesNotMatch", message: "Signature expired", status: 403)
        #expect(custom == AWSError.signatureDoesNotMatch)
        #expect(!(AWSError.accessDenied() ~= custom))
    }
}
