//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// KMS (json 1.1): Encrypt and Decrypt of 1 KiB under a symmetric key the setup creates.
extension Scenario {
    /// 1 KiB of plaintext, base64 as the JSON protocol carries blobs.
    static let kmsPlaintext = Data((0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).base64EncodedString()

    static func kmsCall(_ operation: String, _ body: String, keepsResponseBody: Bool = false) -> BenchRequest {
        jsonRequest(target: "TrentService.\(operation)", body: body, keepsResponseBody: keepsResponseBody)
    }

    static let createKey = kmsCall(
        "CreateKey",
        #"{"Description":"nimbus bench","KeyUsage":"ENCRYPT_DECRYPT","KeySpec":"SYMMETRIC_DEFAULT"}"#,
        keepsResponseBody: true
    )

    static func encrypt(keyID: String, keepsResponseBody: Bool = false) -> BenchRequest {
        kmsCall("Encrypt", #"{"KeyId":\#(JSONText.quote(keyID)),"Plaintext":"\#(kmsPlaintext)"}"#, keepsResponseBody: keepsResponseBody)
    }

    static func decrypt(keyID: String, ciphertext: String) -> BenchRequest {
        kmsCall("Decrypt", #"{"KeyId":\#(JSONText.quote(keyID)),"CiphertextBlob":\#(JSONText.quote(ciphertext))}"#)
    }

    /// CreateKey, and for Decrypt one Encrypt: `keyId` (and `ciphertext`) in the context.
    static func prepareKMS(_ context: ScenarioContext, over transport: any BenchTransport, ciphertext: Bool) async throws(BenchFailure) -> ScenarioContext {
        var context = context
        let created = try await transport.perform(createKey).get()
        guard let keyID = JSONText.string(["KeyMetadata", "KeyId"], in: created.body) else {
            throw BenchFailure.unexpected("KeyMetadata.KeyId", in: created)
        }
        context.values["keyId"] = keyID
        if ciphertext {
            let encrypted = try await transport.perform(encrypt(keyID: keyID, keepsResponseBody: true)).get()
            guard let blob = JSONText.string(["CiphertextBlob"], in: encrypted.body) else {
                throw BenchFailure.unexpected("CiphertextBlob", in: encrypted)
            }
            context.values["ciphertext"] = blob
        }
        return context
    }

    static let kmsEncrypt = Scenario(
        name: "kms-encrypt",
        summary: "KMS Encrypt of 1 KiB under a symmetric key the setup creates (json 1.1)",
        service: "kms",
        prepare: { context, transport throws(BenchFailure) in try await prepareKMS(context, over: transport, ciphertext: false) }
    ) { context, _, _ in
        encrypt(keyID: context.values["keyId"] ?? "")
    }

    static let kmsDecrypt = Scenario(
        name: "kms-decrypt",
        summary: "KMS Decrypt of a 1 KiB plaintext's ciphertext (json 1.1)",
        service: "kms",
        prepare: { context, transport throws(BenchFailure) in try await prepareKMS(context, over: transport, ciphertext: true) }
    ) { context, _, _ in
        decrypt(keyID: context.values["keyId"] ?? "", ciphertext: context.values["ciphertext"] ?? "")
    }
}
