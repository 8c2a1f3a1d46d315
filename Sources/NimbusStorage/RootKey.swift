//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The key that encrypts secrets at rest: secret access keys, KMS key material, TOTP seeds.
///
/// 32 random bytes in `<data-dir>/root.key` (mode 0600), or in memory for `--ephemeral`.
/// Sealed data is AES-256-GCM with a random nonce, and the caller's `context` (say
/// `"iam/access-key/AKIA…"`) as additional authenticated data, so a ciphertext cannot be moved
/// to another record. The key bytes never appear in a description, a mirror or a log.
///
/// ```swift
/// let rootKey = try RootKey.loadOrCreate(in: dataDirectory)
/// let sealed = try rootKey.seal(Array(secret.utf8), context: "iam/access-key/\(keyID)")
/// let secret = try rootKey.open(sealed, context: "iam/access-key/\(keyID)")
/// ```
public struct RootKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The file name inside the data directory.
    public static let fileName = "root.key"
    /// Sealed format: `version (1 byte) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
    static let formatVersion: UInt8 = 1
    private static let keyByteCount = 32

    private let key: SymmetricKey

    private init(key: SymmetricKey) { self.key = key }

    /// A fresh random key that lives only in memory.
    public static func ephemeral() -> RootKey {
        RootKey(key: SymmetricKey(size: .bits256))
    }

    /// A key from 32 given bytes, for tests and for keys kept elsewhere (a KMS, an HSM, an env var).
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.keyByteCount else {
            throw StorageError(.rootKeyInvalid, "a root key has \(Self.keyByteCount) bytes, not \(bytes.count)")
        }
        self.init(key: SymmetricKey(data: bytes))
    }

    /// Reads `<dataDirectory>/root.key`, or creates it with 32 random bytes and mode 0600.
    ///
    /// Creation is atomic: the key is written and synced to a temporary file that is then linked
    /// into place, so a crash never leaves a partial key and two processes agree on one key.
    /// An existing file readable by group or others has its mode reset to 0600.
    public static func loadOrCreate(in dataDirectory: URL) throws -> RootKey {
        try FileManager.default.createDirectory(
            at: dataDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let path = dataDirectory.appendingPathComponent(fileName).path
        if let key = try load(path: path) { return key }
        try create(path: path, directory: dataDirectory.path)
        guard let key = try load(path: path) else {
            throw StorageError(.rootKeyInvalid, "\(path) vanished right after it was created")
        }
        return key
    }

    /// The key in `path`, nil when the file does not exist.
    private static func load(path: String) throws -> RootKey? {
        let fd = systemOpen(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StorageError(.rootKeyInvalid, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw StorageError(.rootKeyInvalid, "\(path) is not a regular file")
        }
        if info.st_mode & 0o077 != 0 {
            guard fchmod(fd, 0o600) == 0 else {
                throw StorageError(.rootKeyInvalid, "\(path) is readable by others and its mode cannot be fixed")
            }
        }
        var bytes = [UInt8](repeating: 0, count: keyByteCount + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw StorageError(.rootKeyInvalid, "cannot read \(path)") }
            if n == 0 { break }
            count += n
        }
        guard count == keyByteCount else {
            throw StorageError(.rootKeyInvalid, "\(path) must hold exactly \(keyByteCount) bytes")
        }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        return RootKey(key: SymmetricKey(data: bytes.prefix(keyByteCount)))
    }

    /// Writes a new key to a private temporary file, syncs it, and links it to `path` unless one exists.
    private static func create(path: String, directory: String) throws {
        let temporary = "\(path).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = systemOpen(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StorageError(.io, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        var bytes = [UInt8](repeating: 0, count: keyByteCount)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == keyByteCount, synced else { throw StorageError(.io, "cannot write \(temporary)") }
        // link(2) fails with EEXIST instead of replacing: if another process won the race, use its key.
        if link(temporary, path) != 0, errno != EEXIST {
            throw StorageError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let dirfd = systemOpen(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    /// Encrypts `plaintext`, binding it to `context`.
    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Self.associatedData(context))
        guard let combined = box.combined else {
            throw StorageError(.sealedDataInvalid, "AES-GCM produced no combined representation")
        }
        return [Self.formatVersion] + combined
    }

    /// Decrypts what ``seal(_:context:)`` produced with the same key and `context`.
    ///
    /// - Throws: ``StorageError/Code/sealedDataInvalid`` for another key or context, or tampered data.
    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        guard sealed.count >= 1 + 12 + 16, sealed[0] == Self.formatVersion else {
            throw StorageError(.sealedDataInvalid, "not sealed data of a known version")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            return [UInt8](try AES.GCM.open(box, using: key, authenticating: Self.associatedData(context)))
        } catch {
            throw StorageError(.sealedDataInvalid, "authentication failed (wrong key or context, or tampered data)")
        }
    }

    /// The version byte is authenticated too, so a later format cannot be downgraded silently.
    private static func associatedData(_ context: String) -> [UInt8] {
        [formatVersion] + Array(context.utf8)
    }

    public var description: String { "RootKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// `open(2)`, which `RootKey.open(_:context:)` would otherwise shadow.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}
