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
}
