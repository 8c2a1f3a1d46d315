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
import Testing

/// A strict reader for the PNGs `QRCode` writes: checks the signature, every chunk's CRC, the zlib
/// framing and Adler-32, and unpacks the 1-bit grayscale pixels.
struct DecodedPNG {
    var width = 0
    var height = 0
    var bitDepth = 0
    var colorType = 0
    var chunkTypes: [String] = []
    /// Row-major, true for white.
    var pixels: [Bool] = []

    enum Failure: Error { case signature, truncated, crc(String), header, zlib, adler, size }

    init(_ png: [UInt8]) throws {
        guard png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Failure.signature }
        var offset = 8
        var idat: [UInt8] = []
        func u32(_ at: Int) -> Int { Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3]) }
        while offset < png.count {
            guard png.count - offset >= 12 else { throw Failure.truncated }
            let length = u32(offset)
            guard png.count - offset - 12 >= length else { throw Failure.truncated }
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            let data = Array(png[offset + 8..<offset + 8 + length])
            guard UInt32(u32(offset + 8 + length)) == Self.crc32(Array(png[offset + 4..<offset + 8 + length])) else {
                throw Failure.crc(type)
            }
            chunkTypes.append(type)
            switch type {
            case "IHDR":
                guard data.count == 13 else { throw Failure.header }
                width = Int(data[0]) << 24 | Int(data[1]) << 16 | Int(data[2]) << 8 | Int(data[3])
                height = Int(data[4]) << 24 | Int(data[5]) << 16 | Int(data[6]) << 8 | Int(data[7])
                bitDepth = Int(data[8])
                colorType = Int(data[9])
                guard data[10] == 0, data[11] == 0, data[12] == 0 else { throw Failure.header }
            case "IDAT": idat += data
            default: break
            }
            offset += 12 + length
        }
        let raw = try Self.inflateStored(idat)
        let rowBytes = (width + 7) / 8
        guard raw.count == (rowBytes + 1) * height else { throw Failure.size }
        for y in 0..<height {
            guard raw[y * (rowBytes + 1)] == 0 else { throw Failure.size }
            for x in 0..<width {
                pixels.append(raw[y * (rowBytes + 1) + 1 + x / 8] & (0x80 >> UInt8(x % 8)) != 0)
            }
        }
    }

    static func inflateStored(_ z: [UInt8]) throws -> [UInt8] {
        guard z.count >= 6, (Int(z[0]) << 8 | Int(z[1])) % 31 == 0, z[0] & 0x0F == 8 else { throw Failure.zlib }
        var offset = 2
        var out: [UInt8] = []
        var final = false
        while !final {
            guard offset + 5 <= z.count else { throw Failure.zlib }
            final = z[offset] & 1 == 1
            guard (z[offset] >> 1) & 3 == 0 else { throw Failure.zlib }  // stored blocks only
            let length = Int(z[offset + 1]) | Int(z[offset + 2]) << 8
            let complement = Int(z[offset + 3]) | Int(z[offset + 4]) << 8
            guard length ^ 0xFFFF == complement, offset + 5 + length <= z.count else { throw Failure.zlib }
            out += z[offset + 5..<offset + 5 + length]
            offset += 5 + length
        }
        guard offset + 4 == z.count else { throw Failure.zlib }
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in out {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        let adler = UInt32(z[offset]) << 24 | UInt32(z[offset + 1]) << 16 | UInt32(z[offset + 2]) << 8 | UInt32(z[offset + 3])
        guard adler == b << 16 | a else { throw Failure.adler }
        return out
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// zxing-cpp (PyPI `zxing-cpp`, with numpy) when this machine has it; the tests that need it skip otherwise.
enum QRDecoder {
    static let script = """
        import sys, zlib, struct
        import numpy, zxingcpp
        def decode(path):
            data = open(path, 'rb').read()
            pos, idat, w, h = 8, b'', 0, 0
            while pos < len(data):
                n, t = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]
                if t == b'IHDR': w, h = struct.unpack('>II', body[:8])
                if t == b'IDAT': idat += body
                pos += 12 + n
            raw, rb = zlib.decompress(idat), (w + 7) // 8
            rows = numpy.frombuffer(raw, dtype=numpy.uint8).reshape(h, rb + 1)[:, 1:]
            img = (numpy.unpackbits(rows, axis=1)[:, :w] * 255).astype(numpy.uint8)
            results = zxingcpp.read_barcodes(img)
            return results[0].text if results else ''
        sys.stdout.write('\\0'.join(decode(p) for p in sys.argv[1:]))
        """

    static func run(_ arguments: [String]) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static let isAvailable: Bool = run(["-c", "import numpy, zxingcpp"])?.status == 0

    /// Decodes several PNGs with one interpreter start; one text per image, empty when unreadable.
    static func decode(_ pngs: [[UInt8]]) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (i, png) in pngs.enumerated() {
            let url = directory.appendingPathComponent("\(i).png")
            try Data(png).write(to: url)
            paths.append(url.path)
        }
        guard let result = run(["-c", script] + paths), result.status == 0 else { return [] }
        return result.output.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
    }
}

@Suite struct QRCodeTests {
    /// A 40-byte seed, as AWS makes them.
    static let awsURI = TOTP(secret: Array("1234567890123456789012345678901234567890".utf8))
        .provisioningURI(deviceName: "alice-phone", accountName: "123456789012")

    static let samples: [String] = [
        "otpauth://totp/a@1?secret=MZXW6YTB",
        awsURI,
        TOTP(secret: TOTP.generateSecret()).provisioningURI(
            deviceName: String(repeating: "d", count: 64),
            accountName: String(repeating: "u", count: 64)
        ),
        String(repeating: "x", count: 500),
    ]

    @Test func versionsGrowWithTheData() throws {
        #expect(QRCode.encode(Array("hello".utf8), correction: .medium)?.version == 1)
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 14), correction: .medium)?.version == 1)
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 15), correction: .medium)?.version == 2)
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 17), correction: .low)?.version == 1)
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 18), correction: .low)?.version == 2)
        // The AWS-shaped URI of a 40-byte seed (~100 characters) fits version 6 or 7 at level M.
        let symbol = try #require(QRCode.encode(Array(Self.awsURI.utf8)))
        #expect(Self.awsURI.utf8.count > 90)
        #expect((5...7).contains(symbol.version))
        #expect(symbol.size == symbol.version * 4 + 17)
        // Version 40 holds 2,331 bytes at M and 2,953 at L; one more does not fit.
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 2331), correction: .medium)?.version == 40)
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 2332), correction: .medium) == nil)
        #expect(QRCode.encode([UInt8](repeating: 0x41, count: 2953), correction: .low)?.version == 40)
        #expect(QRCode.png(for: String(repeating: "x", count: 3000)) == nil)
    }

    @Test func functionPatternsAreInPlace() throws {
        let symbol = try #require(QRCode.encode(Array(Self.awsURI.utf8)))
        let n = symbol.size
        // Finder patterns: dark 7×7 ring, light ring, dark 3×3 centre, light separator.
        for (ox, oy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
            for i in 0..<7 {
                #expect(symbol[ox + i, oy] && symbol[ox + i, oy + 6] && symbol[ox, oy + i] && symbol[ox + 6, oy + i])
            }
            #expect(symbol[ox + 3, oy + 3] && !symbol[ox + 1, oy + 1])
        }
        // Timing patterns alternate between the finders.
        for i in 8..<(n - 8) {
            #expect(symbol[i, 6] == (i % 2 == 0))
            #expect(symbol[6, i] == (i % 2 == 0))
        }
        #expect(symbol[8, n - 8])  // the dark module
    }

    @Test(arguments: samples)
    func pngIsWellFormedAndShowsTheSymbol(_ text: String) throws {
        let symbol = try #require(QRCode.encode(Array(text.utf8)))
        let png = try #require(QRCode.png(for: text, scale: 3, quietZone: 4))
        let decoded = try DecodedPNG(png)
        #expect(decoded.chunkTypes == ["IHDR", "IDAT", "IEND"])
        #expect(decoded.bitDepth == 1 && decoded.colorType == 0)
        #expect(decoded.width == (symbol.size + 8) * 3 && decoded.height == decoded.width)
        for y in 0..<decoded.height {
            for x in 0..<decoded.width {
                let module = symbol[x / 3 - 4, y / 3 - 4]
                guard decoded.pixels[y * decoded.width + x] == !module else {
                    Issue.record("pixel \(x),\(y) differs")
                    return
                }
            }
        }
        // The quiet zone is white all round.
        #expect((0..<decoded.width).allSatisfy { decoded.pixels[$0] && decoded.pixels[(decoded.height - 1) * decoded.width + $0] })
    }

    @Test func largeImagesSpanSeveralDeflateBlocks() throws {
        let png = try #require(QRCode.png(for: String(repeating: "y", count: 1200), scale: 12))
        let decoded = try DecodedPNG(png)
        #expect(decoded.width * decoded.height / 8 > 65_535)
    }

    @Test(.enabled(if: QRDecoder.isAvailable, "needs python3 with zxing-cpp and numpy"))
    func aRealDecoderReadsTheURI() throws {
        var pngs: [[UInt8]] = []
        var expected: [String] = []
        for text in Self.samples {
            for correction in [QRCode.ErrorCorrection.low, .medium] {
                pngs.append(try #require(QRCode.png(for: text, correction: correction)))
                expected.append(text)
            }
        }
        #expect(try QRDecoder.decode(pngs) == expected)
    }

    @Test(.enabled(if: QRDecoder.isAvailable, "needs python3 with zxing-cpp and numpy"))
    func aRealDecoderReadsManyVersionsAndMasks() throws {
        var masks = Set<Int>()
        var versions = Set<Int>()
        var pngs: [[UInt8]] = []
        var expected: [String] = []
        // Seeded: with random texts the encoder sometimes chose only two masks for all 18 symbols, and
        // the mask check below failed once in a while.
        var rng = SplitMix64(seed: 0x5EED_0A11)
        for length in [1, 10, 30, 60, 90, 120, 150, 200, 260, 320, 400, 520, 700, 900, 1200, 1600, 2000, 2331] {
            let text = String((0..<length).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789:/?=&%".randomElement(using: &rng)! })
            let symbol = try #require(QRCode.encode(Array(text.utf8)))
            masks.insert(symbol.mask)
            versions.insert(symbol.version)
            pngs.append(QRCode.png(of: symbol, scale: 3))
            expected.append(text)
        }
        #expect(try QRDecoder.decode(pngs) == expected)
        #expect(versions.count >= 15)
        #expect(masks.count >= 3)
    }

    @Test func totpConvenience() throws {
        let totp = TOTP(secret: TOTP.generateSecret())
        let png = totp.qrCodePNG(deviceName: "alice-phone", accountName: "alice")
        #expect(png == QRCode.png(for: totp.provisioningURI(deviceName: "alice-phone", accountName: "alice")))
        #expect(try DecodedPNG(png).width > 0)
        if QRDecoder.isAvailable {
            #expect(try QRDecoder.decode([png]) == [totp.provisioningURI(deviceName: "alice-phone", accountName: "alice")])
        }
        // AWS's longest names, every character %-encoded, still fit.
        #expect(!totp.qrCodePNG(deviceName: String(repeating: "@", count: 226), accountName: String(repeating: ",", count: 64)).isEmpty)
    }

    @Test func hostileInputs() {
        #expect(QRCode.png(for: "") != nil)
        #expect(QRCode.png(for: "\u{0}\u{FFFF}🙂", scale: -5, quietZone: 1000) != nil)
        #expect(QRCode.png(for: String(repeating: "z", count: 1_000_000)) == nil)
    }
}
