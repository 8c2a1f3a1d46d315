//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Crypto
import Foundation
import NimbusStorage
import X509

/// Where the local CA lives: `ca.pem` in the clear for clients, its key sealed under the root key.
enum TLSMaterial {
    /// The CA of the data dir, made (and both files written) at the first start or when it nears its end.
    static func certificateAuthority(state: NimbusState) async throws -> LocalCertificateAuthority {
        guard let dir = state.dataDirectory else { return try .create() }
        let keyURL = dir.appendingPathComponent("ca.key.sealed")
        let pemURL = dir.appendingPathComponent("ca.pem")
        if let sealed = try? Data(contentsOf: keyURL), let pem = try? String(contentsOf: pemURL, encoding: .utf8),
            let key = try? state.rootKey.open(Array(sealed), context: "local-ca-key"),
            let ca = try? LocalCertificateAuthority(keyRepresentation: key, certificatePEM: pem),
            ca.caCertificate.notValidAfter > Date().addingTimeInterval(30 * 86400)
        {
            return ca
        }
        let ca = try LocalCertificateAuthority.create()
        let sealed = try state.rootKey.seal(Array(ca.caKey.rawRepresentation), context: "local-ca-key")
        // Each write waits for its fsync (Foundation syncs what it writes); side by side, the waits overlap.
        async let keyWritten: Void = FileSystem.writePrivate(Data(sealed), to: keyURL)
        async let pemWritten: Void = Data(try ca.certificatePEM.utf8).write(to: pemURL, options: .atomic)
        _ = try await (keyWritten, pemWritten)
        return ca
    }
}

enum FileSystem {
    /// Writes a file readable by its owner only, atomically (temp file, then rename).
    static func writePrivate(_ data: Data, to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        _ = FileManager.default.createFile(atPath: temp.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try data.write(to: temp)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temp.path)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temp, to: url)
    }
}

/// `<data-dir>/credentials`, in the aws CLI's shared-credentials format, profile `nimbus`.
enum CredentialsFile {
    static func write(accessKeyID: String, secret: String, region: String, in dir: URL) throws {
        let text = """
            # Written by nimbus serve: the root key of the default account.
            # export AWS_SHARED_CREDENTIALS_FILE=\(dir.appendingPathComponent("credentials").path) AWS_PROFILE=nimbus
            [nimbus]
            aws_access_key_id = \(accessKeyID)
            aws_secret_access_key = \(secret)

            """
        try FileSystem.writePrivate(Data(text.utf8), to: dir.appendingPathComponent("credentials"))
    }
}
