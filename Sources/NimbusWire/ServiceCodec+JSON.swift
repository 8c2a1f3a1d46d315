//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore

// The json protocol (1.0 and 1.1).
//
//     POST /  X-Amz-Target: TrentService.Encrypt  Content-Type: application/x-amz-json-1.1
//     {"KeyId":"alias/x","Plaintext":"aGVsbG8="}
//
// Timestamps are epoch seconds, blobs base64; errors are `{"__type":"Code","message":"…"}`.

extension ServiceCodec {
    func parseJSONBody(_ body: [UInt8]) throws(AWSError) -> JSONNode {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object([]) }
        do {
            return try JSONParser(maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes, maxElements: limits.maxElements).parse(body)
        } catch {
            throw malformedBody(error.reason == "nesting too deep" ? "Nesting depth exceeded" : "Malformed JSON: \(error.reason) at offset \(error.offset)")
        }
    }

    func decodeJSONInput(shape: Shape, request: WireRequest) throws(AWSError) -> ShapeValue {
        let node = try parseJSONBody(request.body)
        guard case .object = node else { throw malformedBody("Start of structure or map found where not expected.") }
        do {
            return try ShapeJSONCoding(model: model).read(node, shape: shape, ref: nil) ?? .empty
        } catch {
            throw malformedBody(error.message)
        }
    }
}
