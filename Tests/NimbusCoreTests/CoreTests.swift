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
