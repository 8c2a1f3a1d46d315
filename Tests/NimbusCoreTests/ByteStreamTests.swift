import NimbusCore
import Testing

struct ReadFailure: Error {}

@Suite struct ByteStreamTests {
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let chunks: [[UInt8]]
        let failAfter: Int?

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks[...], failAfter: failAfter) }

        struct AsyncIterator: AsyncIteratorProtocol {
            var chunks: ArraySlice<[UInt8]>
            var failAfter: Int?
            mutating func next() async throws -> [UInt8]? {
                if failAfter == 0 { throw ReadFailure() }
                failAfter = failAfter.map { $0 - 1 }
                return chunks.popFirst()
            }
        }
    }

    func stream(_ chunks: [[UInt8]], length: Int64, failAfter: Int? = nil) -> ByteStream {
        ByteStream(Chunks(chunks: chunks, failAfter: failAfter), length: length)
    }

    @Test func collectsTheDeclaredLengthInOneOrManyChunks() async throws {
        #expect(try await stream([[1, 2, 3]], length: 3).collect(exactly: 3) == [1, 2, 3])
        #expect(try await stream([[1], [], [2, 3], [4]], length: 4).collect(exactly: 4) == [1, 2, 3, 4])
        #expect(try await stream([], length: 0).collect(exactly: 0) == [])
    }

    /// Fewer or more bytes than declared, or a chunk that cannot be read, is an error, never a short body.
    @Test func refusesAnyOtherLengthAndPassesOnReadErrors() async throws {
        await #expect(throws: ByteStreamError.self) { try await stream([[1, 2]], length: 3).collect(exactly: 3) }
        await #expect(throws: ByteStreamError.self) { try await stream([[1, 2], [3, 4]], length: 3).collect(exactly: 3) }
        await #expect(throws: ReadFailure.self) { try await stream([[1], [2]], length: 2, failAfter: 1).collect(exactly: 2) }
    }
}
