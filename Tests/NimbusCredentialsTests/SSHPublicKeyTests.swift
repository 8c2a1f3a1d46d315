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
import NimbusCredentials
import Testing
import _CryptoExtras

/// RSA keys made for the run, and their encodings built here independently of the parser.
enum TestSSHKeys {
    static let rsa2048 = try! _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey
    static let rsa3072 = try! _RSA.Signing.PrivateKey(keySize: .bits3072).publicKey
    static let rsa1024 = try! _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey

    static func sshString(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    static func mpint(_ data: Data) -> [UInt8] {
        let bytes = Array(data.drop { $0 == 0 })
        return sshString(bytes.first.map { $0 & 0x80 != 0 } == true ? [0] + bytes : bytes)
    }

    static func blob(_ key: _RSA.Signing.PublicKey, type: String = "ssh-rsa") -> [UInt8] {
        let p = try! key.getKeyPrimitives()
        return sshString(Array(type.utf8)) + mpint(p.publicExponent) + mpint(p.modulus)
    }

    static func openSSH(_ key: _RSA.Signing.PublicKey, comment: String = "alice@laptop") -> String {
        "ssh-rsa " + Data(blob(key)).base64EncodedString() + (comment.isEmpty ? "" : " " + comment)
    }

    static func rfc4716(_ key: _RSA.Signing.PublicKey, headers: [String] = ["Comment: \"2048-bit RSA, converted by alice\""]) -> String {
        let body = Data(blob(key)).base64EncodedString()
        let lines = stride(from: 0, to: body.count, by: 70).map { offset -> String in
            let start = body.index(body.startIndex, offsetBy: offset)
            return String(body[start..<(body.index(start, offsetBy: 70, limitedBy: body.endIndex) ?? body.endIndex)])
        }
        return (["---- BEGIN SSH2 PUBLIC KEY ----"] + headers + lines + ["---- END SSH2 PUBLIC KEY ----"]).joined(separator: "\n") + "\n"
    }

    static func md5Fingerprint(_ key: _RSA.Signing.PublicKey) -> String {
        Insecure.MD5.hash(data: blob(key)).map { String(format: "%02x", $0) }.joined(separator: ":")
    }
}

@Suite struct SSHPublicKeyTests {
    @Test func openSSHFormat() throws {
        let info = try parseSSHPublicKey(TestSSHKeys.openSSH(TestSSHKeys.rsa2048))
        #expect(info.encoding == .openSSH)
        #expect(info.keySizeInBits == 2048)
        #expect(info.fingerprint == TestSSHKeys.md5Fingerprint(TestSSHKeys.rsa2048))
        #expect(info.fingerprint.count == 47)
        #expect(info.comment == "alice@laptop")
        #expect(info.openSSHRepresentation == TestSSHKeys.openSSH(TestSSHKeys.rsa2048, comment: ""))
        // No comment, surrounding whitespace, a multi-word comment.
        #expect(try parseSSHPublicKey("\n  " + TestSSHKeys.openSSH(TestSSHKeys.rsa2048, comment: "") + "\r\n").comment == nil)
        #expect(try parseSSHPublicKey(TestSSHKeys.openSSH(TestSSHKeys.rsa2048, comment: "my work key")).comment == "my work key")
        #expect(try parseSSHPublicKey(TestSSHKeys.openSSH(TestSSHKeys.rsa3072)).keySizeInBits == 3072)
    }

    @Test func pemFormats() throws {
        for pem in [TestSSHKeys.rsa2048.pemRepresentation, TestSSHKeys.rsa2048.pkcs1PEMRepresentation] {
            let info = try parseSSHPublicKey(pem)
            #expect(info.encoding == .pem)
            #expect(info.keySizeInBits == 2048)
            // The same key has the same fingerprint whatever its encoding.
            #expect(info.fingerprint == TestSSHKeys.md5Fingerprint(TestSSHKeys.rsa2048))
            #expect(info.openSSHRepresentation == TestSSHKeys.openSSH(TestSSHKeys.rsa2048, comment: ""))
        }
    }

    @Test func rfc4716Format() throws {
        let info = try parseSSHPublicKey(TestSSHKeys.rfc4716(TestSSHKeys.rsa2048))
        #expect(info.encoding == .rfc4716)
        #expect(info.fingerprint == TestSSHKeys.md5Fingerprint(TestSSHKeys.rsa2048))
        #expect(info.comment == "2048-bit RSA, converted by alice")
        // Continued headers, several headers, none.
        let continued = TestSSHKeys.rfc4716(TestSSHKeys.rsa2048, headers: ["Subject: alice", "Comment: \"a very long \\", "comment\"", "x-private: 1"])
        #expect(try parseSSHPublicKey(continued).comment == "a very long comment")
        #expect(try parseSSHPublicKey(TestSSHKeys.rfc4716(TestSSHKeys.rsa2048, headers: [])).comment == nil)
        let truncated = TestSSHKeys.rfc4716(TestSSHKeys.rsa2048).replacingOccurrences(of: "---- END SSH2 PUBLIC KEY ----", with: "")
        #expect(throws: AWSError.unrecognizedPublicKeyEncoding("")) { try parseSSHPublicKey(truncated) }
    }

    @Test func tooShort() throws {
        for text in [TestSSHKeys.openSSH(TestSSHKeys.rsa1024), TestSSHKeys.rsa1024.pemRepresentation, TestSSHKeys.rfc4716(TestSSHKeys.rsa1024)] {
            do {
                _ = try parseSSHPublicKey(text)
                Issue.record("a 1024-bit key was accepted")
            } catch {
                #expect(error.code == "InvalidPublicKey")
                #expect(error.message == "The public key is 1024 bits long. The minimum bit-length of the public key is 2048 bits.")
            }
        }
    }

    @Test func otherAlgorithmsAreInvalid() throws {
        let ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice"
        let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= bob"
        for text in [ed25519, ecdsa, P256.Signing.PrivateKey().publicKey.pemRepresentation] {
            #expect(throws: AWSError.invalidPublicKey("")) { try parseSSHPublicKey(text) }
        }
        // An ssh-rsa label on a blob of another type.
        let lying = "ssh-rsa " + Data(TestSSHKeys.blob(TestSSHKeys.rsa2048, type: "ssh-dss")).base64EncodedString()
        #expect(throws: AWSError.invalidPublicKey("")) { try parseSSHPublicKey(lying) }
    }

    @Test(arguments: [
        "", "garbage", "AAAAB3NzaC1yc2E", "hello world how are you", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY", "---- BEGIN SSH2 PUBLIC KEY ----", String(repeating: "A", count: 20_000),
        "\u{0}\u{0}", String(decoding: [0xC3, 0x28, 0xA0, 0xA1], as: UTF8.self),
    ])
    func unrecognizedEncodings(_ text: String) {
        #expect(throws: AWSError.unrecognizedPublicKeyEncoding("")) { try parseSSHPublicKey(text) }
    }

    @Test func malformedBlobs() throws {
        let good = TestSSHKeys.blob(TestSSHKeys.rsa2048)
        var bad: [[UInt8]] = [
            [], [0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF] + Array("ssh-rsa".utf8),
            Array(good.dropLast()),  // truncated modulus
            good + [0],  // trailing bytes
            TestSSHKeys.sshString(Array("ssh-rsa".utf8)),  // no numbers
            TestSSHKeys.sshString(Array("ssh-rsa".utf8)) + TestSSHKeys.sshString([0x81]) + TestSSHKeys.sshString([UInt8](repeating: 0x7F, count: 256)),  // negative e
            TestSSHKeys.sshString(Array("ssh-rsa".utf8)) + TestSSHKeys.sshString([1]) + TestSSHKeys.sshString([0x7F] + [UInt8](repeating: 0xFF, count: 256)),  // e = 1
            TestSSHKeys.sshString(Array("ssh-rsa".utf8)) + TestSSHKeys.sshString([3]) + TestSSHKeys.sshString([0x7F] + [UInt8](repeating: 0xFE, count: 256)),  // even n
            TestSSHKeys.sshString(Array("ssh-rsa".utf8)) + TestSSHKeys.sshString([3]) + TestSSHKeys.sshString([0x00, 0x01] + [UInt8](repeating: 0xFF, count: 256)),  // non-minimal
            TestSSHKeys.sshString(Array("ssh-rsa".utf8)) + TestSSHKeys.sshString([3]) + TestSSHKeys.sshString([0x7F] + [UInt8](repeating: 0xFF, count: 4000)),  // 32,000 bits
        ]
        bad.append(contentsOf: (0..<20).map { _ in (0..<300).map { _ in UInt8.random(in: 0...255) } })
        for blob in bad {
            #expect(throws: AWSError.invalidPublicKey("")) { try parseSSHPublicKey("ssh-rsa " + Data(blob).base64EncodedString()) }
        }
        #expect(throws: AWSError.invalidPublicKey("")) { try parseSSHPublicKey("ssh-rsa not*base64") }
        #expect(throws: AWSError.invalidPublicKey("")) { try parseSSHPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") }
    }

    @Test func fuzzedTextNeverCrashes() {
        let seeds = [TestSSHKeys.openSSH(TestSSHKeys.rsa2048), TestSSHKeys.rsa2048.pemRepresentation, TestSSHKeys.rfc4716(TestSSHKeys.rsa2048)]
        var rng = SystemRandomNumberGenerator()
        for seed in seeds {
            var bytes = Array(seed.utf8)
            for _ in 0..<200 {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = UInt8.random(in: 0...255, using: &rng)
                do {
                    _ = try parseSSHPublicKey(String(decoding: bytes, as: UTF8.self))
                } catch {
                    #expect(["InvalidPublicKey", "UnrecognizedPublicKeyEncoding"].contains(error.code))
                }
            }
        }
    }

    /// Cross-checks with OpenSSH's own tool when it is installed.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen"), "needs ssh-keygen"))
    func agreesWithSSHKeygen() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-ssh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key.pub").path
        try TestSSHKeys.openSSH(TestSSHKeys.rsa2048).write(toFile: path, atomically: true, encoding: .utf8)

        func keygen(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        // "2048 MD5:7a:1d:… alice@laptop (RSA)"
        let listed = try keygen(["-l", "-E", "md5", "-f", path])
        let info = try parseSSHPublicKey(TestSSHKeys.openSSH(TestSSHKeys.rsa2048))
        #expect(listed.contains("MD5:" + info.fingerprint))
        for format in ["RFC4716", "PKCS8", "PEM"] {
            let exported = try keygen(["-e", "-m", format, "-f", path])
            #expect(try parseSSHPublicKey(exported).fingerprint == info.fingerprint, "\(format)")
        }
    }
}
