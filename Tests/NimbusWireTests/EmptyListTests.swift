import NimbusCore
import Testing

@testable import NimbusWire

@Suite struct EmptyCollectionTests {
    struct Item: Encodable, Sendable { var Name: String }
    struct Output: Encodable, Sendable {
        var Events: [Item]
        var NextToken: String?
    }

    @Test func emptyListEncodesAsAnEmptyList() throws {
        let value = try ShapeEncoder().encode(Output(Events: []))
        #expect(value == .structure(["Events": .list([])]))
    }

    @Test func emptyListRendersAsAJSONArray() throws {
        let model = ServiceModel.cloudtrail
        let codec = ServiceCodec(model: model)
        let operation = try #require(model.operations["LookupEvents"])
        let value = try ShapeEncoder().encode(Output(Events: []))
        let response = codec.encodeOutput(operation, value, requestID: "r")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"Events":[]}"#)
    }
}
