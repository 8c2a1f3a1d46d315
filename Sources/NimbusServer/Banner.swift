//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation

/// What `nimbus serve` prints at start: where it listens and the exact lines to point a client at it.
enum Banner {
    static func print(configuration: ServerConfiguration, account: Account, secret: String, dataDirectory: URL?, caPath: String?) {
        let host = configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host
        let endpoint = "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.port)"
        var lines: [String] = []
        lines.append("Nimbus \(NimbusServer.version): an AWS-compatible cloud")
        lines.append("  endpoint  \(endpoint)")
        if configuration.tlsPort > 0 {
            let ca = caPath.map { "CA bundle \($0)" } ?? "ephemeral CA"
            lines.append("  https     https://\(host.contains(":") ? "[\(host)]" : host):\(configuration.tlsPort)  (\(ca))")
        }
        lines.append("  account   \(account.accountID)   region \(configuration.region)")
        lines.append("  storage   \(dataDirectory.map { "\($0.path) (SQLite, WAL)" } ?? "in memory (--ephemeral): nothing survives a restart")")
        if configuration.clockOffsetSeconds != 0 {
            lines.append("  clock     \(configuration.clockOffsetSeconds) s ahead of this machine (NIMBUS_CLOCK_OFFSET_SECONDS): for tests only")
        }
        if configuration.authMode == .compat {
            lines.append("")
            lines.append("  !!! SECURITY IS OFF (--auth compat): signatures are NOT checked and any access key is accepted.")
            lines.append("  !!! Use it only for test suites written for LocalStack or moto, never for anything you care about.")
        }
        lines.append("")
        lines.append("Point the aws CLI or boto3 at it:")
        if let dir = dataDirectory {
            lines.append("  export AWS_SHARED_CREDENTIALS_FILE=\(dir.appendingPathComponent("credentials").path) AWS_PROFILE=nimbus AWS_DEFAULT_REGION=\(configuration.region)")
        } else if configuration.rootSecretAccessKey != nil {
            lines.append("  export AWS_ACCESS_KEY_ID=\(account.rootAccessKeyID) AWS_SECRET_ACCESS_KEY=<NIMBUS_ROOT_SECRET_ACCESS_KEY> AWS_DEFAULT_REGION=\(configuration.region)")
        } else {
            // Ephemeral and unpinned: the key dies with the process and exists nowhere else, so show it once.
            lines.append("  export AWS_ACCESS_KEY_ID=\(account.rootAccessKeyID) AWS_SECRET_ACCESS_KEY=\(secret) AWS_DEFAULT_REGION=\(configuration.region)")
        }
        if let caPath { lines.append("  export AWS_CA_BUNDLE=\(caPath)   # for https://…:\(configuration.tlsPort)") }
        lines.append("  aws --endpoint-url \(endpoint) sts get-caller-identity")
        lines.append("  python3 -c 'import boto3; print(boto3.client(\"sts\", endpoint_url=\"\(endpoint)\").get_caller_identity())'")
        lines.append("")
        let text = lines.joined(separator: "\n") + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
