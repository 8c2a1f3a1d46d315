//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusWire
import Testing

/// 2026-11-22T17:00:00Z
let fixedDate = Date(timeIntervalSince1970: 1_795_366_800)

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func formRequest(_ body: String, host: String = "localhost:4566") -> WireRequest {
    WireRequest(
        method: "POST",
        path: "/",
        headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        host: host,
        body: Array(body.utf8)
    )
}

func jsonRequest(target: String, _ body: String, version: String = "1.1") -> WireRequest {
    WireRequest(
        method: "POST",
        path: "/",
        headers: [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-\(version)")],
        host: "localhost:4566",
        body: Array(body.utf8)
    )
}

/// Routes and decodes, returning the error if either step fails.
func decodeError(_ codec: ServiceCodec, _ request: WireRequest) -> AWSError? {
    do {
        let operation = try codec.operation(for: request)
        _ = try codec.decodeInput(operation, from: request)
        return nil
    } catch {
        return error
    }
}

func context(operation: String = "Test", service: String = "sts") -> RequestContext {
    RequestContext(
        requestID: "req-1",
        receivedAt: fixedDate,
        sourceIP: "127.0.0.1",
        userAgent: "test",
        region: "us-east-1",
        service: service,
        operation: operation,
        principal: .root(of: "123456789012"),
        isSecureTransport: false
    )
}
