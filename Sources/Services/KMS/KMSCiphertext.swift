//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusCore

/// The ciphertext blob of a symmetric KMS key: AES-256-GCM under one backing key version.
///
/// ```
/// "NK" ‖ 0x01 ‖ account (12 ASCII digits) ‖ key id (36 ASCII: a UUID, or `mrk-` and 32 hex digits) ‖ backing key version (UInt32 BE)
///      ‖ nonce (12) ‖ ciphertext ‖ tag (16)
/// ```
///
/// The header and the encryption context (canonically serialized) are the additional authenticated
/// data, so a blob cannot be moved to another key or version, and decrypts only with the same context.
/// Decrypt reads the key from the header, which is why it needs no `KeyId` for symmetric keys.
struct SymmetricCiphertext: Sendable {
    static let magic: [UInt8] = [0x4E, 0x4B, 0x01]
    static let headerLength = 3 + 12 + 36 + 4
    static let minimumLength = headerLength + 12 + 16

    var account: String
    var keyID: String
    var version: Int
    /// The whole blob.
    var bytes: [UInt8]

    /// Parses the header; nil for anything that is not one of our blobs (no crash on hostile input).
    init?(parsing blob: [UInt8]) {
        guard blob.count >= Self.minimumLength, Array(blob[0..<3]) == Self.magic else { return nil }
        let accountBytes = blob[3..<15]
        let idBytes = blob[15..<51]
        guard accountBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let idString = String(decoding: idBytes, as: UTF8.self)
        if idString.hasPrefix("mrk-") {
            // A multi-Region key's id is as long as a UUID: `mrk-` and 32 hex digits.
            guard KMSService.isKeyID(idString) else { return nil }
            keyID = idString
        } else {
            guard idBytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2D }),
                  let id = UUID(uuidString: idString)
            else { return nil }
            keyID = id.uuidString.lowercased()
        }
        account = String(decoding: accountBytes, as: UTF8.self)
        version = Int(blob[51]) << 24 | Int(blob[52]) << 16 | Int(blob[53]) << 8 | Int(blob[54])
        bytes = blob
    }

    static func header(account: String, keyID: String, version: Int) -> [UInt8] {
        let v = UInt32(version)
        return magic + Array(account.utf8) + Array(keyID.utf8)
            + [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// Encrypts `plaintext` under `material` (32 bytes), bound to the header and `context`.
    static func seal(
        _ plaintext: [UInt8],
        material: [UInt8],
        account: String,
        keyID: String,
        version: Int,
        context: [String: String]
    ) throws -> [UInt8] {
        let header = header(account: account, keyID: keyID, version: version)
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: material), authenticating: header + canonical(context))
        guard let combined = box.combined else { throw AWSError.internalFailure() }
        return header + combined
    }

    /// Decrypts with `material`; any failure (wrong context, tampering) is `InvalidCiphertextException`.
    func open(material: [UInt8], context: [String: String]) throws -> [UInt8] {
        let header = Array(bytes[0..<Self.headerLength])
        do {
            let box = try AES.GCM.SealedBox(combined: bytes[Self.headerLength...])
            return [UInt8](try AES.GCM.open(box, using: SymmetricKey(data: material), authenticating: header + Self.canonical(context)))
        } catch {
            throw KMSError.invalidCiphertext
        }
    }

    /// The encryption context as bytes: pairs sorted by key bytes, each length-prefixed, so that
    /// `{"a":"bc"}` and `{"ab":"c"}` differ and the order the client sent does not matter.
    static func canonical(_ context: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in context.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
            for part in [Array(key.utf8), Array(value.utf8)] {
                let n = UInt32(part.count)
                out += [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
                out += part
            }
        }
        return out
    }
}
