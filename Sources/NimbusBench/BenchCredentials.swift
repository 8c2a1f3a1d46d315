//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

public import Foundation

/// The access key `nimbus bench` signs with, found where AWS SDKs look for it.
public struct BenchCredentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Never prints the secret or the token.
    public var description: String { "BenchCredentials(\(accessKeyID)\(sessionToken == nil ? "" : ", temporary"))" }

    /// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the profile `AWS_PROFILE`
    /// (default `default`) of `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`).
    public static func resolve(
        environment env: [String: String],
        readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) throws(BenchError) -> BenchCredentials {
        if let id = nonEmpty(env["AWS_ACCESS_KEY_ID"]), let secret = nonEmpty(env["AWS_SECRET_ACCESS_KEY"]) {
            return BenchCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty(env["AWS_SESSION_TOKEN"]))
        }
        let path = nonEmpty(env["AWS_SHARED_CREDENTIALS_FILE"]) ?? ((nonEmpty(env["HOME"]) ?? "~") + "/.aws/credentials")
        let profile = nonEmpty(env["AWS_PROFILE"]) ?? "default"
        guard let text = readFile(path) else {
            throw BenchError("No credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE (\(path) is not readable).")
        }
        let values = profileValues(in: text, profile: profile)
        guard let id = nonEmpty(values["aws_access_key_id"]), let secret = nonEmpty(values["aws_secret_access_key"]) else {
            throw BenchError("Profile [\(profile)] in \(path) has no aws_access_key_id and aws_secret_access_key.")
        }
        return BenchCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty(values["aws_session_token"]))
    }

    /// The `key = value` lines of `[profile]` in an AWS credentials file (keys lowercased; `#`/`;` comments).
    static func profileValues(in text: String, profile: String) -> [String: String] {
        var values: [String: String] = [:]
        var inProfile = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                inProfile = name == profile || name == "profile " + profile
                continue
            }
            guard inProfile, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            values[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return values
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}

/// Why a benchmark could not run: said plainly, for a person at a terminal.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
