//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//


/// The decoded data of an `aws-chunked` body, read from any sequence of byte buffers.
///
/// Iteration throws the decoder's `AWSError` on a bad signature or malformed body, and the base sequence's
/// errors as they are. After the last element the iterator's `trailers` holds the verified trailers.
public struct AWSChunkedSequence<Base: AsyncSequence>: AsyncSequence where Base.Element: Collection, Base.Element.Element == UInt8 {
    public typealias Element = [UInt8]

    private let base: Base
    private let decoder: AWSChunkedDecoder

    public init(_ base: Base, decoder: AWSChunkedDecoder) {
        self.base = base
        self.decoder = decoder
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), decoder: decoder) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: Base.AsyncIterator
        private var decoder: AWSChunkedDecoder
        private var pending: [[UInt8]] = []
        private var pendingIndex = 0
        private var finished = false
        /// Set once the body has been read to the end and verified.
        public private(set) var trailers: AWSChunkedDecoder.Trailers?

        init(base: Base.AsyncIterator, decoder: AWSChunkedDecoder) {
            self.base = base
            self.decoder = decoder
        }

        public mutating func next() async throws -> [UInt8]? {
            while true {
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                if finished { return nil }
                pending = []
                pendingIndex = 0
                if let bytes = try await base.next() {
                    pending = try decoder.feed(bytes).filter { !$0.isEmpty }
                } else {
                    finished = true
                    trailers = try decoder.finish()
                }
            }
        }
    }
}

extension AWSChunkedSequence: Sendable where Base: Sendable {}

extension AsyncSequence where Element: Collection, Element.Element == UInt8 {
    /// This body decoded from `aws-chunked` by `decoder`.
    public func awsChunkedDecoded(with decoder: AWSChunkedDecoder) -> AWSChunkedSequence<Self> {
        AWSChunkedSequence(self, decoder: decoder)
    }
}
