import NimbusWire
import Testing

@Suite struct OperationAuthorizationTests {
    let input = ShapeValue.structure(["UserName": .string("alice"), "Path": .string("/eng/")])

    @Test func fillsTemplatesFromTheInput() {
        let auth = OperationAuthorization(resource: "arn:${Partition}:iam::${Account}:user${Path}${UserName}")
        #expect(auth.resourceARNs(input: input, account: "111122223333", region: "us-east-1") == ["arn:aws:iam::111122223333:user/eng/alice"])
    }

    @Test func usesDefaultsForAbsentMembers() {
        let auth = OperationAuthorization(resource: "arn:${Partition}:iam::${Account}:user${Path}${UserName}", defaults: ["Path": "/"])
        let arns = auth.resourceARNs(input: .structure(["UserName": .string("bob")]), account: "111122223333", region: "us-east-1")
        #expect(arns == ["arn:aws:iam::111122223333:user/bob"])
    }

    @Test func absentMembersWithoutDefaultsMeanAnyResource() {
        let auth = OperationAuthorization(resource: "arn:aws:kms:${Region}:${Account}:key/${KeyId}")
        #expect(auth.resourceARNs(input: input, account: "111122223333", region: "eu-west-1") == ["*"])
        #expect(OperationAuthorization().resourceARNs(input: input, account: "1", region: "r") == ["*"])
        #expect(OperationAuthorization(resource: "arn:${Oops").resourceARNs(input: input, account: "1", region: "r") == ["*"])
    }

    @Test func dollarsThatOpenNoPlaceholderStayAsTheyAre() {
        let values = ShapeValue.structure(["Key": .string("a${Key}b"), "Bucket": .string("$b")])
        let auth = OperationAuthorization(resource: "arn:aws:s3:::${Bucket}/$x/${Key}$")
        #expect(auth.resourceARNs(input: values, account: "1", region: "r") == ["arn:aws:s3:::$b/$x/a${Key}b$"])
        // Values are inserted as they are, never read as templates; multi-byte text survives.
        let unicode = ShapeValue.structure(["Key": .string("é/ß/😀")])
        #expect(OperationAuthorization(resource: "k/${Key}/é$").resourceARNs(input: unicode, account: "1", region: "r") == ["k/é/ß/😀/é$"])
    }
}
