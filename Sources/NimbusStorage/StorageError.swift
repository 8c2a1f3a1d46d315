//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// An error of the storage layer: a matchable code and a message for the operator's log.
///
/// Equality compares the code only, so tests can write `#expect(throws: StorageError(.sealedDataInvalid))`.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case migrationMismatch, rootKeyInvalid, sealedDataInvalid, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The recorded migrations of a module are not a prefix of the ones it now declares.
        public static let migrationMismatch = Code(.migrationMismatch)
        /// The root key file is missing, has the wrong size or cannot be secured.
        public static let rootKeyInvalid = Code(.rootKeyInvalid)
        /// Sealed data is malformed, tampered with, sealed under another key or another context.
        public static let sealedDataInvalid = Code(.sealedDataInvalid)
        /// A file-system call failed.
        public static let io = Code(.io)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    public static func == (lhs: StorageError, rhs: StorageError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { message.isEmpty ? "StorageError(\(code))" : "StorageError(\(code)): \(message)" }

    /// Matches an error by code in a `catch` or `switch`.
    public static func ~= (pattern: StorageError, value: any Error) -> Bool {
        (value as? StorageError)?.code == pattern.code
    }
}
