//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

// The HTTP request and response as the codecs see them, and the limits they enforce.

public import NimbusCore

/// Limits applied to every request body and query string, so that hostile input is a 400.
public struct WireLimits: Sendable, Hashable {
    /// Maximum nesting of JSON arrays/objects, XML elements and query keys (`A.member.1.B…`).
    public var maxDepth: Int
    /// Maximum length of one string value, in UTF-8 bytes.
    public var maxStringBytes: Int
    /// Maximum number of values (JSON values, XML elements, query parameters).
    public var maxElements: Int
    /// Maximum number of query or form parameters.
    public var maxParameters: Int
    /// Maximum list index in `Member.N` query keys.
    public var maxListIndex: Int

    public init(maxDepth: Int = 64, maxStringBytes: Int = 1 << 20, maxElements: Int = 100_000, maxParameters: Int = 10_000, maxListIndex: Int = 10_000) {
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxElements = maxElements
        self.maxParameters = maxParameters
        self.maxListIndex = maxListIndex
    }

    public static let `default` = WireLimits()
}

/// An HTTP request with its body already buffered (the server enforces the size limit).
public struct WireRequest: Sendable {
    public var method: String
    /// The raw, percent-encoded path without the query.
    public var path: String
    /// The raw query string without `?`.
    public var query: String
    public var headers: [(name: String, value: String)]
    public var host: String?
    /// The buffered body; empty for streaming operations, whose body is `bodyStream`.
    public var body: [UInt8]
    /// The body of an operation whose input streams, as it arrives from the socket (still `aws-chunked`
    /// encoded if it was sent that way).
    public var bodyStream: ByteStream?
    /// The query and form parameters of a `query`/`ec2` request once ``ServiceCodec/route(_:)`` parsed them,
    /// so that decoding does not parse them again.
    package var formParameters: [(String, String)]?
    /// The decoded path segments and query parameters of a REST request once ``ServiceCodec/route(_:)``
    /// parsed them, for the same reason.
    package var restTarget: (segments: [String], query: [(String, String)])?

    public init(
        method: String,
        path: String,
        query: String = "",
        headers: [(name: String, value: String)] = [],
        host: String? = nil,
        body: [UInt8] = [],
        bodyStream: ByteStream? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.host = host
        self.body = body
        self.bodyStream = bodyStream
    }

    /// The first header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }
}

/// Header-name comparison: ASCII only, as HTTP field names are.
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    var ia = a.utf8.makeIterator(), ib = b.utf8.makeIterator()
    while true {
        switch (ia.next(), ib.next()) {
        case (nil, nil): return true
        case (let x?, let y?):
            if x == y { continue }
            let lx = x >= 0x41 && x <= 0x5A ? x | 0x20 : x
            let ly = y >= 0x41 && y <= 0x5A ? y | 0x20 : y
            if lx != ly { return false }
        default: return false
        }
    }
}

/// An HTTP response ready to send.
public struct WireResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// True when the operation's output streams its payload (S3 `GetObject`): `body` is empty and the
    /// caller writes the payload itself, with `Content-Length` from `headers` when the handler set it.
    public var bodyIsStreamed: Bool
    /// The streamed payload, once the pipeline has attached the handler's.
    public var stream: ByteStream?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], bodyIsStreamed: Bool = false, stream: ByteStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyIsStreamed = bodyIsStreamed
        self.stream = stream
    }

    /// The first header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }
}
