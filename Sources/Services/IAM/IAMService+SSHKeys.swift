//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore
import NimbusCredentials
import NimbusStorage
import NimbusWire

/// A user's SSH public key (for CodeCommit), key `<account>/<lowercased user>/<key id>` in
/// `IAMKeys.sshPublicKeys`; the body is kept as one OpenSSH line, whatever form was uploaded.
struct SSHPublicKeyRecord: Codable, Sendable {
    var UserName: String
    var SSHPublicKeyId: String
    var Fingerprint: String
    var SSHPublicKeyBody: String
    var Status: String
    var UploadDate: Date
}

/// `ListSSHPublicKeys`' `<member>`: no body, no fingerprint.
struct SSHPublicKeyMetadata: Codable, Sendable {
    var UserName: String
    var SSHPublicKeyId: String
    var Status: String
    var UploadDate: Date
}

extension IAMService {
    /// AWS's quota `SSHPublicKeysPerUser`.
    static let sshPublicKeysPerUser = 5

    func sshKeyHandlers() -> [String: OperationHandler] {
        [
            "UploadSSHPublicKey": OperationHandler(uploadSSHPublicKey),
            "GetSSHPublicKey": OperationHandler(getSSHPublicKey),
            "ListSSHPublicKeys": OperationHandler(listSSHPublicKeys),
            "UpdateSSHPublicKey": OperationHandler(updateSSHPublicKey),
            "DeleteSSHPublicKey": OperationHandler(deleteSSHPublicKey),
        ]
    }

    static func noSuchSSHPublicKey(_ id: String) -> AWSError {
        IAMError.noSuchEntity("The Public Key with id \(id) cannot be found.")
    }

    struct UploadSSHPublicKeyInput: Decodable, Sendable {
        var UserName: String
        var SSHPublicKeyBody: String
    }

    struct SSHPublicKeyOutput: Encodable, Sendable {
        var SSHPublicKey: SSHPublicKeyRecord
    }

    @Sendable func uploadSSHPublicKey(_ input: UploadSSHPublicKeyInput, context: RequestContext) async throws -> SSHPublicKeyOutput {
        let account = account(context)
        let user = try await user(named: input.UserName, in: account)
        let info = try parseSSHPublicKey(input.SSHPublicKeyBody)
        let userKey = IAMKeys.nameKey(account, input.UserName)
        let record = SSHPublicKeyRecord(
            UserName: user.UserName, SSHPublicKeyId: Identifiers.uniqueID(prefix: "APKA"), Fingerprint: info.fingerprint,
            SSHPublicKeyBody: info.openSSHRepresentation, Status: AccessKeyStatus.active, UploadDate: clock.now
        )
        try await store.write { tx in
            guard try tx.get(IAMKeys.users, userKey) != nil else { throw IAMError.noSuchEntity("user", named: input.UserName) }
            let existing = try tx.scanJSON(SSHPublicKeyRecord.self, IAMKeys.sshPublicKeys, prefix: userKey + "/")
            guard !existing.contains(where: { $0.value.Fingerprint == record.Fingerprint }) else {
                throw AWSError(code: "DuplicateSSHPublicKey", message: "The SSH public key is already associated with the specified IAM user.", status: 400)
            }
            guard existing.count < Self.sshPublicKeysPerUser else {
                throw IAMError.limitExceeded("Cannot exceed quota for SSHPublicKeysPerUser: \(Self.sshPublicKeysPerUser)")
            }
            try tx.putJSON(IAMKeys.sshPublicKeys, userKey + "/" + record.SSHPublicKeyId, record)
        }
        return SSHPublicKeyOutput(SSHPublicKey: record)
    }

    struct GetSSHPublicKeyInput: Decodable, Sendable {
        var UserName: String
        var SSHPublicKeyId: String
        var Encoding: String
    }

    /// `Encoding` `SSH` answers the OpenSSH line, `PEM` the key as a `PUBLIC KEY` (SubjectPublicKeyInfo) block.
    @Sendable func getSSHPublicKey(_ input: GetSSHPublicKeyInput, context: RequestContext) async throws -> SSHPublicKeyOutput {
        guard input.Encoding == "SSH" || input.Encoding == "PEM" else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(input.Encoding)' at 'encoding' failed to satisfy constraint: Member must satisfy enum value set: [SSH, PEM]"
            )
        }
        var record = try await sshPublicKey(input.UserName, input.SSHPublicKeyId, context)
        if input.Encoding == "PEM" {
            guard let pem = Self.pemPublicKey(fromOpenSSH: record.SSHPublicKeyBody) else {
                throw AWSError.unrecognizedPublicKeyEncoding("The stored public key cannot be written as PEM.")
            }
            record.SSHPublicKeyBody = pem
        }
        return SSHPublicKeyOutput(SSHPublicKey: record)
    }

    private func sshPublicKey(_ userName: String, _ id: String, _ context: RequestContext) async throws -> SSHPublicKeyRecord {
        let account = account(context)
        _ = try await user(named: userName, in: account)
        let key = IAMKeys.nameKey(account, userName) + "/" + id
        guard let record = try await store.read({ try $0.getJSON(SSHPublicKeyRecord.self, IAMKeys.sshPublicKeys, key) }) else {
            throw Self.noSuchSSHPublicKey(id)
        }
        return record
    }

    struct ListSSHPublicKeysInput: Decodable, Sendable {
        var UserName: String?
        var Marker: String?
        var MaxItems: Int?
    }

    struct ListSSHPublicKeysOutput: Encodable, Sendable {
        var SSHPublicKeys: [SSHPublicKeyMetadata]
        var IsTruncated: Bool
        var Marker: String?
    }

    @Sendable func listSSHPublicKeys(_ input: ListSSHPublicKeysInput, context: RequestContext) async throws -> ListSSHPublicKeysOutput {
        let account = account(context)
        guard let name = targetUserName(input.UserName, context) else {
            return ListSSHPublicKeysOutput(SSHPublicKeys: [], IsTruncated: false)
        }
        let user = try await user(named: name, in: account)
        let page = try await page(
            SSHPublicKeyMetadata.self, IAMKeys.sshPublicKeys, prefix: IAMKeys.nameKey(account, name) + "/",
            marker: input.Marker, maxItems: input.MaxItems
        )
        let keys = page.items.map { key in
            var key = key
            key.UserName = user.UserName
            return key
        }
        return ListSSHPublicKeysOutput(SSHPublicKeys: keys, IsTruncated: page.isTruncated, Marker: page.marker)
    }

    struct UpdateSSHPublicKeyInput: Decodable, Sendable {
        var UserName: String
        var SSHPublicKeyId: String
        var Status: String
    }

    @Sendable func updateSSHPublicKey(_ input: UpdateSSHPublicKeyInput, context: RequestContext) async throws -> EmptyShape {
        let status = try AccessKeyStatus.validated(input.Status)
        let account = account(context)
        _ = try await user(named: input.UserName, in: account)
        let key = IAMKeys.nameKey(account, input.UserName) + "/" + input.SSHPublicKeyId
        try await store.write { tx in
            guard var record = try tx.getJSON(SSHPublicKeyRecord.self, IAMKeys.sshPublicKeys, key) else {
                throw Self.noSuchSSHPublicKey(input.SSHPublicKeyId)
            }
            record.Status = status
            try tx.putJSON(IAMKeys.sshPublicKeys, key, record)
        }
        return EmptyShape()
    }

    struct DeleteSSHPublicKeyInput: Decodable, Sendable {
        var UserName: String
        var SSHPublicKeyId: String
    }

    @Sendable func deleteSSHPublicKey(_ input: DeleteSSHPublicKeyInput, context: RequestContext) async throws -> EmptyShape {
        let account = account(context)
        _ = try await user(named: input.UserName, in: account)
        let key = IAMKeys.nameKey(account, input.UserName) + "/" + input.SSHPublicKeyId
        try await store.write { tx in
            guard try tx.get(IAMKeys.sshPublicKeys, key) != nil else { throw Self.noSuchSSHPublicKey(input.SSHPublicKeyId) }
            try tx.delete(IAMKeys.sshPublicKeys, key)
        }
        return EmptyShape()
    }

    // MARK: PEM form

    /// An `ssh-rsa AAAA…` line as a PEM `PUBLIC KEY` block: RFC 5280 SubjectPublicKeyInfo over the
    /// RFC 8017 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
    static func pemPublicKey(fromOpenSSH line: String) -> String? {
        let fields = line.split(separator: " ")
        guard fields.count >= 2, fields[0] == "ssh-rsa", let blob = Data(base64Encoded: String(fields[1])) else { return nil }
        var reader = SSHWireReader(bytes: Array(blob))
        guard let type = reader.string(), type == Array("ssh-rsa".utf8), let e = reader.string(), let n = reader.string(), reader.isAtEnd else {
            return nil
        }
        let rsaKey = DER.sequence(DER.integer(n) + DER.integer(e))
        // AlgorithmIdentifier: rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters.
        let algorithm: [UInt8] = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00]
        let spki = DER.sequence(algorithm + DER.element(0x03, [0x00] + rsaKey))
        let base64 = Data(spki).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN PUBLIC KEY-----\n" + lines.joined(separator: "\n") + "\n-----END PUBLIC KEY-----\n"
    }
}

/// Reads RFC 4251 `string`s (a 4-byte big-endian length, then the bytes).
private struct SSHWireReader {
    var bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func string() -> [UInt8]? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        offset += 4
        guard length <= bytes.count - offset else { return nil }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }
}

/// The few DER encodings the PEM form of an RSA key needs.
private enum DER {
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    static func sequence(_ content: [UInt8]) -> [UInt8] { element(0x30, content) }

    /// A non-negative INTEGER from an SSH `mpint`: leading zeros dropped, one added when the top bit is set.
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop { $0 == 0 })
        if bytes.isEmpty || bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return element(0x02, bytes)
    }

    static func length(_ count: Int) -> [UInt8] {
        guard count >= 0x80 else { return [UInt8(count)] }
        var octets: [UInt8] = []
        var n = count
        while n > 0 {
            octets.insert(UInt8(n & 0xFF), at: 0)
            n >>= 8
        }
        return [0x80 | UInt8(octets.count)] + octets
    }
}
