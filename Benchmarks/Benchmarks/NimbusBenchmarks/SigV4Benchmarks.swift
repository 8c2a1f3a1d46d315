//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Benchmark
import Crypto
import Foundation
import NimbusAuth
import NimbusBlobStore
import NimbusCore

/// AWS's documentation example key, and one instant, so every run verifies the same bytes.
let exampleAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
let exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
let exampleAccount = "111122223333"
let fixedDate = Date(timeIntervalSince1970: 1_795_366_800)  // 2026-11-22T17:00:00Z

func signedGetCallerIdentity(host: String = "127.0.0.1:4566", at date: Date = fixedDate) -> SignableRequest {
    signedQuery(service: "sts", body: "Action=GetCallerIdentity&Version=2011-06-15", host: host, at: date)
}

/// A query-protocol POST (`Action=…&Version=…` body) signed in its headers, as botocore sends it.
func signedQuery(
    service: String,
    body: String,
    accessKeyID: String = exampleAccessKeyID,
    secretAccessKey: String = exampleSecret,
    host: String = "127.0.0.1:4566",
    at date: Date = fixedDate
) -> SignableRequest {
    let request = SignableRequest(
        method: "POST",
        path: "/",
        headers: [("Host", host), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        bodySHA256: SHA256.hash(data: Array(body.utf8)).map { String(format: "%02x", $0) }.joined()
    )
    let signer = SigV4Signer(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, region: "us-east-1", service: service)
    return signer.signed(request, at: date)
}

func sigV4Benchmarks() {
    let verifier = SigV4Verifier(
        credentials: StaticCredentialProvider([
            SigningCredential(
                accessKeyID: exampleAccessKeyID,
                secretAccessKey: exampleSecret,
                principal: .root(of: exampleAccount, accessKeyID: exampleAccessKeyID)
            )
        ]),
        clock: .fixed(fixedDate)
    )
    let request = signedGetCallerIdentity()

    Benchmark("SigV4 verify header-signed GetCallerIdentity") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await verifier.authenticate(request, flavor: .standard))
        }
    }

    let s3Signer = SigV4Signer(accessKeyID: exampleAccessKeyID, secretAccessKey: exampleSecret, region: "us-east-1", service: "s3", flavor: .s3)
    let put = s3Signer.signed(
        SignableRequest(method: "PUT", path: "/bucket/dir/object%20name.bin", headers: [("Host", "127.0.0.1:4566"), ("Content-Length", "4096")]),
        at: fixedDate,
        payload: .unsigned
    )
    Benchmark("SigV4 verify S3 PutObject (UNSIGNED-PAYLOAD)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await verifier.authenticate(put, flavor: .s3))
        }
    }

    // Made once, as `nimbus bench` makes its signer once per run: the closure below runs once per sample, and
    // a signer made in it derived its signing key (four HMACs) every time.
    let signer = SigV4Signer(accessKeyID: exampleAccessKeyID, secretAccessKey: exampleSecret, region: "us-east-1", service: "sts")
    let unsigned = SignableRequest(method: "POST", path: "/", headers: [("Host", "127.0.0.1:4566")], bodySHA256: request.bodySHA256)
    Benchmark("SigV4 sign GetCallerIdentity (client side, as nimbus bench does)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(signer.signed(unsigned, at: fixedDate))
        }
    }
}

func digestBenchmarks() {
    let mebibyte = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .instructions, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 2_000
    )
    Benchmark("MD5 1 MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Insecure.MD5.hash(data: mebibyte))
        }
    }
    Benchmark("SHA-256 1 MiB", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(SHA256.hash(data: mebibyte))
        }
    }
    // S3's additional checksums as the blob store computes them while an object streams in.
    for algorithm in [ChecksumAlgorithm.crc32c, .crc32, .crc64nvme] {
        Benchmark("\(algorithm.rawValue.uppercased()) 1 MiB (StreamingChecksum)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                var checksum = StreamingChecksum(algorithm)
                checksum.update(mebibyte)
                blackHole(checksum.finalize())
            }
        }
    }
}
