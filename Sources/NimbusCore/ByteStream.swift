//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Synchronization

/// A body that moves in chunks: an S3 object on its way in from the socket or out to it.
///
/// It is read once. Errors in the stream (a bad chunk signature, a body hash that does not match, the
/// client going away) surface from `next()`; whoever consumes the stream must treat everything it has
/// read as provisional until the stream has ended without throwing.
public struct ByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let makeIterator: @Sendable () -> AsyncIterator
    /// The number of bytes the stream will deliver, when the sender declared it.
    public let length: Int64?
    /// Trailing headers (`x-amz-checksum-crc32` …), available once the stream has ended.
    public let trailers: StreamTrailers

    public init<Base: AsyncSequence & Sendable>(_ base: Base, length: Int64?, trailers: StreamTrailers = StreamTrailers())
    where Base.Element == [UInt8] {
        self.makeIterator = {
            var iterator = base.makeAsyncIterator()
            return AsyncIterator { try await iterator.next() }
        }
        self.length = length
        self.trailers = trailers
    }

    /// A stream of the given bytes, delivered as one chunk.
    public init(bytes: [UInt8]) {
        self.init(ByteChunks(chunks: bytes.isEmpty ? [] : [bytes]), length: Int64(bytes.count))
    }

    public func makeAsyncIterator() -> AsyncIterator { makeIterator() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let nextChunk: () async throws -> [UInt8]?

        public mutating func next() async throws -> [UInt8]? { try await nextChunk() }
    }

    /// Reads the whole stream into memory: exactly `length` bytes, or it throws
    /// ``ByteStreamError/lengthMismatch(expected:)``. For small bodies only; a stream of one chunk (a small
    /// object's one segment) is returned without a copy.
    public func collect(exactly length: Int) async throws -> [UInt8] {
        var result: [UInt8] = []
        for try await chunk in self {
            guard result.count + chunk.count <= length else { throw ByteStreamError.lengthMismatch(expected: length) }
            if result.isEmpty && chunk.count == length {
                result = chunk
            } else {
                if result.isEmpty { result.reserveCapacity(length) }
                result += chunk
            }
        }
        guard result.count == length else { throw ByteStreamError.lengthMismatch(expected: length) }
        return result
    }
}

public enum ByteStreamError: Error, Sendable {
    /// The stream delivered more or fewer bytes than it was to.
    case lengthMismatch(expected: Int)
}

/// Fixed chunks as an async sequence.
struct ByteChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: [[UInt8]]

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks[...]) }

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: ArraySlice<[UInt8]>
        mutating func next() async -> [UInt8]? { chunks.popFirst() }
    }
}

/// The trailing headers of an `aws-chunked` body, filled in by the decoder when the body ends.
public final class StreamTrailers: Sendable {
    private let fields = Mutex<[(name: String, value: String)]>([])

    public init() {}

    public func set(_ values: [(name: String, value: String)]) {
        fields.withLock { $0 = values }
    }

    /// The trailer called `name` (lowercase), once the stream has ended.
    public subscript(name: String) -> String? {
        fields.withLock { $0.first { $0.name == name }?.value }
    }

    public var all: [(name: String, value: String)] { fields.withLock { $0 } }
}
