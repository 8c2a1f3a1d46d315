//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
public import NimbusCore
import SwiftASN1
import X509
import _CryptoExtras

/// An SSH public key as `UploadSSHPublicKey` accepts it (for CodeCommit): RSA, at least 2048 bits.
public struct SSHPublicKeyInfo: Sendable, Hashable {
    /// How the key was written.
    public enum Encoding: String, Sendable, Hashable {
        /// `ssh-rsa AAAA… comment`, as in `authorized_keys`.
        case openSSH
        /// `-----BEGIN PUBLIC KEY-----` (X.509 SubjectPublicKeyInfo) or `-----BEGIN RSA PUBLIC KEY-----` (PKCS #1).
        case pem
        /// RFC 4716: `---- BEGIN SSH2 PUBLIC KEY ----`.
        case rfc4716
    }

    public var encoding: Encoding
    /// The MD5 digest of the key's SSH wire encoding as colon-separated hex, as AWS reports `Fingerprint`:
    /// `7a:1d:ea:9e:b0:80:ac:f8:ec:d8:dc:e6:a7:2c:fc:51`.
    public var fingerprint: String
    public var keySizeInBits: Int
    /// The key as one `ssh-rsa AAAA…` line, without a comment.
    public var openSSHRepresentation: String
    /// The comment of the OpenSSH line or RFC 4716 `Comment:` header, if any.
    public var comment: String?
}

/// Parses an SSH public key.
///
/// - Throws: `UnrecognizedPublicKeyEncoding` when the text is in none of the three formats;
///   `InvalidPublicKey` when it is, but the key is malformed, not RSA, or shorter than 2048 bits.
public func parseSSHPublicKey(_ text: String) throws(AWSError) -> SSHPublicKeyInfo {
    guard text.utf8.count <= 16_384 else {
        throw .unrecognizedPublicKeyEncoding("The public key is larger than the maximum of 16384 characters.")
    }
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("---- BEGIN SSH2 PUBLIC KEY ----") {
        let (blob, comment) = try SSHKeyParsing.rfc4716(trimmed)
        return try SSHKeyParsing.info(blob: blob, encoding: .rfc4716, comment: comment)
    }
    if trimmed.hasPrefix("-----BEGIN ") {
        return try SSHKeyParsing.pem(trimmed)
    }
    let fields = trimmed.split(maxSplits: 2, omittingEmptySubsequences: true, whereSeparator: { $0 == " " || $0 == "\t" })
    if let type = fields.first, SSHKeyParsing.isKeyType(type) {
        guard type == "ssh-rsa" else {
            throw .invalidPublicKey("The key type \(type) is not supported. Only ssh-rsa keys are accepted.")
        }
        guard fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])).map(Array.init) else {
            throw .invalidPublicKey(SSHKeyParsing.malformed)
        }
        let comment = fields.count > 2 ? String(fields[2]).trimmingCharacters(in: .whitespaces) : nil
        return try SSHKeyParsing.info(blob: blob, encoding: .openSSH, comment: comment?.isEmpty == false ? comment : nil)
    }
    throw .unrecognizedPublicKeyEncoding(
        "The public key encoding is not recognized. Use the ssh-rsa (OpenSSH), PEM or RFC 4716 format."
    )
}

enum SSHKeyParsing {
    static let malformed = "The public key is malformed."
    static let minimumBits = 2048
    static let maximumBits = 16_384

    static func isKeyType(_ s: Substring) -> Bool {
        s.hasPrefix("ssh-") || s.hasPrefix("ecdsa-sha2-") || s.hasPrefix("sk-")
    }

    /// RFC 4716 §3: begin line, headers (`Tag: value`, continued by a trailing backslash), base64 body, end line.
    static func rfc4716(_ text: String) throws(AWSError) -> ([UInt8], String?) {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count >= 3, lines.last == "---- END SSH2 PUBLIC KEY ----" else {
            throw .unrecognizedPublicKeyEncoding("The RFC 4716 public key has no '---- END SSH2 PUBLIC KEY ----' line.")
        }
        var comment: String?
        var body = ""
        var continuing = false
        var headerValue = ""
        var headerTag = ""
        for line in lines.dropFirst().dropLast() {
            if continuing || (body.isEmpty && line.contains(":")) {
                if !continuing {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headerTag = String(parts[0]).trimmingCharacters(in: .whitespaces)
                    headerValue = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
                } else {
                    headerValue += line
                }
                continuing = headerValue.hasSuffix("\\")
                if continuing {
                    headerValue.removeLast()
                } else if headerTag.lowercased() == "comment" {
                    var value = headerValue
                    if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                    comment = value
                }
            } else {
                body += line
            }
        }
        guard !body.isEmpty, let blob = Data(base64Encoded: body) else { throw .invalidPublicKey(malformed) }
        return (Array(blob), comment)
    }

    /// PEM public keys: SubjectPublicKeyInfo or PKCS #1, RSA only.
    static func pem(_ text: String) throws(AWSError) -> SSHPublicKeyInfo {
        guard let document = try? PEMDocument(pemString: text) else {
            throw .unrecognizedPublicKeyEncoding("Unable to parse the PEM public key.")
        }
        guard document.discriminator == "PUBLIC KEY" || document.discriminator == "RSA PUBLIC KEY" else {
            throw .unrecognizedPublicKeyEncoding("A PEM public key must be a 'PUBLIC KEY' or 'RSA PUBLIC KEY' block, not '\(document.discriminator)'.")
        }
        guard let rsa = try? _RSA.Signing.PublicKey(unsafePEMRepresentation: text),
            let primitives = try? rsa.getKeyPrimitives()
        else {
            if document.discriminator == "PUBLIC KEY", (try? Certificate.PublicKey(pemEncoded: text)) != nil {
                throw .invalidPublicKey("The key is not an RSA key. Only RSA keys are accepted.")
            }
            throw .invalidPublicKey(malformed)
        }
        var blob: [UInt8] = []
        appendString(Array("ssh-rsa".utf8), to: &blob)
        appendString(mpint(Array(primitives.publicExponent)), to: &blob)
        appendString(mpint(Array(primitives.modulus)), to: &blob)
        return try info(blob: blob, encoding: .pem, comment: nil)
    }

    /// Checks the SSH wire encoding (RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n) and describes the key.
    static func info(blob: [UInt8], encoding: SSHPublicKeyInfo.Encoding, comment: String?) throws(AWSError) -> SSHPublicKeyInfo {
        var reader = Reader(bytes: blob)
        guard let type = reader.string() else { throw .invalidPublicKey(malformed) }
        guard type == Array("ssh-rsa".utf8) else {
            throw .invalidPublicKey("The key type \(String(decoding: type, as: UTF8.self)) is not supported. Only ssh-rsa keys are accepted.")
        }
        guard let e = reader.string(), let n = reader.string(), reader.isAtEnd,
            let exponent = positive(e), let modulus = positive(n), !exponent.isEmpty, !modulus.isEmpty
        else { throw .invalidPublicKey(malformed) }
        let bits = (modulus.count - 1) * 8 + (8 - modulus[0].leadingZeroBitCount)
        guard bits >= minimumBits else {
            throw .invalidPublicKey("The public key is \(bits) bits long. The minimum bit-length of the public key is \(minimumBits) bits.")
        }
        guard bits <= maximumBits, modulus.last! & 1 == 1, exponent.last! & 1 == 1, exponent.count <= 8,
            exponent != [1], (try? _RSA.Signing.PublicKey(n: modulus, e: exponent)) != nil
        else { throw .invalidPublicKey(malformed) }
        let digest = Insecure.MD5.hash(data: blob)
        return SSHPublicKeyInfo(
            encoding: encoding,
            fingerprint: hex(digest, separator: ":"),
            keySizeInBits: bits,
            openSSHRepresentation: "ssh-rsa " + Data(blob).base64EncodedString(),
            comment: comment
        )
    }

    /// An mpint's magnitude without leading zeros; nil for a negative number or a non-minimal encoding.
    static func positive(_ mpint: [UInt8]) -> [UInt8]? {
        guard let first = mpint.first else { return [] }
        guard first & 0x80 == 0 else { return nil }
        if first == 0 {
            // A leading zero is only allowed to keep the sign bit clear.
            guard mpint.count > 1, mpint[1] & 0x80 != 0 else { return nil }
            return Array(mpint.dropFirst())
        }
        return mpint
    }

    static func mpint(_ magnitude: [UInt8]) -> [UInt8] {
        let stripped = Array(magnitude.drop { $0 == 0 })
        guard let first = stripped.first else { return [] }
        return first & 0x80 != 0 ? [0] + stripped : stripped
    }

    static func appendString(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.appendBigEndian(UInt32(bytes.count))
        out += bytes
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func string() -> [UInt8]? {
            guard bytes.count - offset >= 4 else { return nil }
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            offset += 4
            guard length <= bytes.count - offset else { return nil }
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }
    }
}
