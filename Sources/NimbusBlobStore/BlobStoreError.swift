//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// A failure of the blob store.
public enum BlobStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The body had more bytes than the caller allowed; nothing was stored.
    case tooLarge
    /// Too many pieces of the blob (named by id) are damaged or lost to reconstruct a segment.
    case corrupt(String)
    /// No piece of the blob (named by id) exists.
    case notFound(String)
    /// The blob's segments are intact but do not authenticate under the given key: the wrong key
    /// (or a consistent rewrite of every piece, which the checksums cannot tell from the truth).
    case authenticationFailed(String)
    /// A key that is not 32 bytes.
    case invalidKey
    /// A read range outside the blob.
    case invalidRange
    /// A ``StoredBlob`` that this store cannot have written (a malformed id, placement or size).
    case invalidBlob(String)
    /// A configuration the store cannot work with.
    case invalidConfiguration(String)
    /// A file-system call failed: the call, the path and `errno`'s text.
    case io(String)

    public var description: String {
        switch self {
        case .tooLarge: "BlobStoreError.tooLarge"
        case .corrupt(let id): "BlobStoreError.corrupt(\(id))"
        case .notFound(let id): "BlobStoreError.notFound(\(id))"
        case .authenticationFailed(let id): "BlobStoreError.authenticationFailed(\(id))"
        case .invalidKey: "BlobStoreError.invalidKey"
        case .invalidRange: "BlobStoreError.invalidRange"
        case .invalidBlob(let id): "BlobStoreError.invalidBlob(\(id))"
        case .invalidConfiguration(let message): "BlobStoreError.invalidConfiguration(\(message))"
        case .io(let message): "BlobStoreError.io(\(message))"
        }
    }
}
