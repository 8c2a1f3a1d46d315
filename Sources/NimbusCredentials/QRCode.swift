//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

/// A QR code encoder (ISO/IEC 18004) for the `otpauth://` URIs of virtual MFA devices.
///
/// Byte mode only, error correction level L or M, versions 1 to 40, Reed–Solomon over GF(256),
/// and all eight masks tried with the standard's penalty rules. ``png(for:correction:scale:quietZone:)``
/// renders the symbol as `CreateVirtualMFADevice`'s `QRCodePNG`.
public enum QRCode {
    public enum ErrorCorrection: Sendable, Hashable {
        /// Recovers about 7% of the symbol.
        case low
        /// Recovers about 15% of the symbol.
        case medium

        var ordinal: Int { self == .low ? 0 : 1 }
        /// The two format-information bits of the level.
        var formatBits: Int { self == .low ? 1 : 0 }
    }

    /// A QR symbol: `size × size` modules, without the quiet zone.
    public struct Symbol: Sendable, Hashable {
        public let version: Int
        public let size: Int
        public let mask: Int
        /// Row-major, `true` for a dark module.
        public let modules: [Bool]

        /// The module at column `x`, row `y`; out-of-range coordinates are light.
        public subscript(x: Int, y: Int) -> Bool {
            guard x >= 0, y >= 0, x < size, y < size else { return false }
            return modules[y * size + x]
        }
    }

    /// Encodes `bytes` in the smallest version that holds them; nil when more than version 40 holds
    /// (2,331 bytes at level M).
    public static func encode(_ bytes: [UInt8], correction: ErrorCorrection = .medium) -> Symbol? {
        guard let version = (1...40).first(where: { dataBits(bytes.count, version: $0) <= dataCodewords($0, correction) * 8 })
        else { return nil }
        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        let codewords = addErrorCorrection(dataCodewords(bytes, version: version, correction), version: version, correction)
        grid.placeCodewords(codewords)

        var best: (penalty: Int, grid: Grid, mask: Int)?
        for mask in 0..<8 {
            var candidate = grid
            candidate.applyMask(mask)
            candidate.drawFormatBits(correction: correction, mask: mask)
            let penalty = candidate.penalty()
            if best == nil || penalty < best!.penalty { best = (penalty, candidate, mask) }
        }
        let chosen = best!
        return Symbol(version: version, size: chosen.grid.size, mask: chosen.mask, modules: chosen.grid.modules)
    }

    /// A PNG of the symbol for `text` (UTF-8, byte mode): 1-bit grayscale, `scale` pixels per module,
    /// `quietZone` light modules around it. Nil when the text does not fit in a QR code.
    public static func png(for text: String, correction: ErrorCorrection = .medium, scale: Int = 4, quietZone: Int = 4) -> [UInt8]? {
        guard let symbol = encode(Array(text.utf8), correction: correction) else { return nil }
        return png(of: symbol, scale: scale, quietZone: quietZone)
    }

    /// A PNG of `symbol`, `scale` (1…32) pixels per module, `quietZone` (0…16) light modules around it.
    public static func png(of symbol: Symbol, scale: Int = 4, quietZone: Int = 4) -> [UInt8] {
        let scale = scale.clamped(to: 1...32)
        let quiet = quietZone.clamped(to: 0...16)
        let side = (symbol.size + 2 * quiet) * scale
        return PNG.grayscale1Bit(width: side, height: side) { x, y in
            // true = light (PNG grayscale 1 is white).
            !symbol[x / scale - quiet, y / scale - quiet]
        }
    }

    // MARK: Capacity

    /// [level][version]: error-correction codewords per block, from the standard's table 9.
    static let eccCodewordsPerBlock: [[Int]] = [
        [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
    ]
    /// [level][version]: number of error-correction blocks.
    static let eccBlocks: [[Int]] = [
        [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
    ]

    /// Modules left for data and error correction after the function patterns.
    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ version: Int, _ correction: ErrorCorrection) -> Int {
        rawDataModules(version) / 8 - eccCodewordsPerBlock[correction.ordinal][version] * eccBlocks[correction.ordinal][version]
    }

    static func dataBits(_ count: Int, version: Int) -> Int {
        let countBits = version <= 9 ? 8 : 16
        guard count < (1 << countBits) else { return .max }
        return 4 + countBits + 8 * count
    }

    // MARK: Codewords

    /// Mode indicator, character count, data, terminator and pad bytes, as codewords.
    static func dataCodewords(_ bytes: [UInt8], version: Int, _ correction: ErrorCorrection) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = dataCodewords(version, correction) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacity {
            bits.append(pad, count: 8)
            pad ^= 0xEC ^ 0x11
        }
        return bits.bytes
    }

    /// Splits the data into blocks, appends each block's Reed–Solomon codewords, and interleaves.
    static func addErrorCorrection(_ data: [UInt8], version: Int, _ correction: ErrorCorrection) -> [UInt8] {
        let blockCount = eccBlocks[correction.ordinal][version]
        let eccLength = eccCodewordsPerBlock[correction.ordinal][version]
        let rawCodewords = rawDataModules(version) / 8
        let shortBlocks = blockCount - rawCodewords % blockCount
        let shortBlockLength = rawCodewords / blockCount
        let generator = ReedSolomon.generator(degree: eccLength)

        var dataBlocks: [[UInt8]] = []
        var eccBlocks: [[UInt8]] = []
        var offset = 0
        for i in 0..<blockCount {
            let length = shortBlockLength - eccLength + (i < shortBlocks ? 0 : 1)
            let block = Array(data[offset..<offset + length])
            offset += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(block, generator: generator))
        }
        var result: [UInt8] = []
        result.reserveCapacity(rawCodewords)
        for i in 0..<(shortBlockLength - eccLength + 1) {
            for block in dataBlocks where i < block.count { result.append(block[i]) }
        }
        for i in 0..<eccLength {
            for block in eccBlocks { result.append(block[i]) }
        }
        return result
    }

    // MARK: The module grid

    struct Grid {
        let version: Int
        let size: Int
        var modules: [Bool]
        var isFunction: [Bool]

        init(version: Int) {
            self.version = version
            self.size = version * 4 + 17
            self.modules = Array(repeating: false, count: size * size)
            self.isFunction = Array(repeating: false, count: size * size)
        }

        subscript(x: Int, y: Int) -> Bool {
            get { modules[y * size + x] }
            set { modules[y * size + x] = newValue }
        }

        mutating func setFunction(_ x: Int, _ y: Int, _ dark: Bool) {
            modules[y * size + x] = dark
            isFunction[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                setFunction(6, i, i % 2 == 0)
                setFunction(i, 6, i % 2 == 0)
            }
            drawFinder(3, 3)
            drawFinder(size - 4, 3)
            drawFinder(3, size - 4)
            let positions = alignmentPositions()
            let last = positions.count - 1
            for (i, x) in positions.enumerated() {
                for (j, y) in positions.enumerated() where !((i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0)) {
                    drawAlignment(x, y)
                }
            }
            // Reserve the format areas (overwritten per mask) and draw the version information.
            drawFormatBits(correction: .medium, mask: 0)
            drawVersion()
        }

        mutating func drawFinder(_ cx: Int, _ cy: Int) {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = cx + dx
                    let y = cy + dy
                    guard x >= 0, y >= 0, x < size, y < size else { continue }
                    let distance = max(abs(dx), abs(dy))
                    setFunction(x, y, distance != 2 && distance != 4)
                }
            }
        }

        mutating func drawAlignment(_ cx: Int, _ cy: Int) {
            for dy in -2...2 {
                for dx in -2...2 { setFunction(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
            }
        }

        /// Centre coordinates of the alignment patterns, ascending.
        func alignmentPositions() -> [Int] {
            guard version > 1 else { return [] }
            let count = version / 7 + 2
            let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
            var result = [6]
            var position = size - 7
            while result.count < count {
                result.insert(position, at: 1)
                position -= step
            }
            return result
        }

        mutating func drawFormatBits(correction: ErrorCorrection, mask: Int) {
            let data = correction.formatBits << 3 | mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 != 0 }
            // Around the top-left finder.
            for i in 0...5 { setFunction(8, i, bit(i)) }
            setFunction(8, 7, bit(6))
            setFunction(8, 8, bit(7))
            setFunction(7, 8, bit(8))
            for i in 9..<15 { setFunction(14 - i, 8, bit(i)) }
            // Split between the other two finders.
            for i in 0..<8 { setFunction(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { setFunction(8, size - 15 + i, bit(i)) }
            setFunction(8, size - 8, true)  // the dark module
        }

        mutating func drawVersion() {
            guard version >= 7 else { return }
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for i in 0..<18 {
                let dark = (bits >> i) & 1 != 0
                let a = size - 11 + i % 3
                let b = i / 3
                setFunction(a, b, dark)
                setFunction(b, a, dark)
            }
        }

        /// Places the codewords in the two-column zigzag from the bottom-right corner, skipping column 6.
        mutating func placeCodewords(_ codewords: [UInt8]) {
            var i = 0
            let totalBits = codewords.count * 8
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upward = (right + 1) & 2 == 0
                for vertical in 0..<size {
                    let y = upward ? size - 1 - vertical : vertical
                    for j in 0..<2 {
                        let x = right - j
                        guard !isFunction[y * size + x], i < totalBits else { continue }
                        self[x, y] = (codewords[i >> 3] >> (7 - UInt8(i & 7))) & 1 != 0
                        i += 1
                    }
                }
                right -= 2
            }
        }

        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y * size + x] {
                    let invert: Bool
                    switch mask {
                    case 0: invert = (x + y) % 2 == 0
                    case 1: invert = y % 2 == 0
                    case 2: invert = x % 3 == 0
                    case 3: invert = (x + y) % 3 == 0
                    case 4: invert = (x / 3 + y / 2) % 2 == 0
                    case 5: invert = x * y % 2 + x * y % 3 == 0
                    case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                    default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if invert { self[x, y].toggle() }
                }
            }
        }

        /// The standard's four penalty rules (N1 = 3, N2 = 3, N3 = 40, N4 = 10).
        func penalty() -> Int {
            let n = size
            return modules.withUnsafeBufferPointer { m in
                var result = 0
                var line = [Bool](repeating: false, count: n)
                for direction in 0..<2 {
                    for a in 0..<n {
                        for b in 0..<n { line[b] = direction == 0 ? m[a * n + b] : m[b * n + a] }
                        result += Self.linePenalty(line)
                    }
                }
                // Rule 2: 2×2 blocks of one colour.
                var dark = 0
                for y in 0..<n {
                    for x in 0..<n {
                        let c = m[y * n + x]
                        if c { dark += 1 }
                        if x < n - 1, y < n - 1, c == m[y * n + x + 1], c == m[(y + 1) * n + x], c == m[(y + 1) * n + x + 1] {
                            result += 3
                        }
                    }
                }
                // Rule 4: how far the proportion of dark modules is from 50%, in steps of 5%.
                let total = n * n
                let k = (abs(dark * 20 - total * 10) + total - 1) / total - 1
                return result + max(k, 0) * 10
            }
        }

        /// Rules 1 and 3 for one row or column.
        static func linePenalty(_ line: [Bool]) -> Int {
            let n = line.count
            var result = 0
            // Rule 1: runs of five or more modules of one colour.
            var run = 1
            for i in 1..<n {
                if line[i] == line[i - 1] {
                    run += 1
                } else {
                    if run >= 5 { result += run - 2 }
                    run = 1
                }
            }
            if run >= 5 { result += run - 2 }
            // Rule 3: dark-light-dark×3-light-dark (1:1:3:1:1) with four light modules on either side.
            var start = 0
            while start + 7 <= n {
                if line[start], !line[start + 1], line[start + 2], line[start + 3], line[start + 4], !line[start + 5], line[start + 6] {
                    var lightBefore = true
                    var lightAfter = true
                    for d in 1...4 {
                        if start - d >= 0, line[start - d] { lightBefore = false }
                        if start + 6 + d < n, line[start + 6 + d] { lightAfter = false }
                    }
                    if lightBefore || lightAfter { result += 40 }
                }
                start += 1
            }
            return result
        }
    }

    struct BitBuffer {
        var bytes: [UInt8] = []
        var count = 0

        mutating func append(_ value: Int, count n: Int) {
            guard n > 0 else { return }
            for i in stride(from: n - 1, through: 0, by: -1) {
                if count % 8 == 0 { bytes.append(0) }
                if (value >> i) & 1 != 0 { bytes[count / 8] |= 0x80 >> UInt8(count % 8) }
                count += 1
            }
        }
    }

    /// Reed–Solomon over GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D).
    enum ReedSolomon {
        /// α^i for i in 0..<510, so that a product needs no modulo.
        static let exp: [UInt8] = {
            var table = [UInt8](repeating: 0, count: 510)
            var x = 1
            for i in 0..<255 {
                table[i] = UInt8(x)
                table[i + 255] = UInt8(x)
                x <<= 1
                if x & 0x100 != 0 { x ^= 0x11D }
            }
            return table
        }()
        static let log: [Int] = {
            var table = [Int](repeating: 0, count: 256)
            for i in 0..<255 { table[Int(exp[i])] = i }
            return table
        }()

        static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
            x == 0 || y == 0 ? 0 : exp[log[Int(x)] + log[Int(y)]]
        }

        /// Coefficients of ∏(x − α^i), i < degree, highest power first, without the leading 1.
        static func generator(degree: Int) -> [UInt8] {
            var result = [UInt8](repeating: 0, count: degree)
            result[degree - 1] = 1
            var root: UInt8 = 1
            for _ in 0..<degree {
                for j in 0..<degree {
                    result[j] = multiply(result[j], root)
                    if j + 1 < degree { result[j] ^= result[j + 1] }
                }
                root = multiply(root, 0x02)
            }
            return result
        }

        static func remainder(_ data: [UInt8], generator: [UInt8]) -> [UInt8] {
            let degree = generator.count
            var result = [UInt8](repeating: 0, count: degree)
            for byte in data {
                let factor = byte ^ result[0]
                for i in 0..<(degree - 1) { result[i] = result[i + 1] ^ multiply(generator[i], factor) }
                result[degree - 1] = multiply(generator[degree - 1], factor)
            }
            return result
        }
    }
}

extension TOTP {
    /// `CreateVirtualMFADevice`'s `QRCodePNG`: the ``provisioningURI(deviceName:accountName:)`` as a
    /// level-M QR code, 4 pixels per module with a 4-module quiet zone.
    ///
    /// Names within AWS's limits (226 + 64 characters, even fully %-encoded) always fit, far below
    /// version 40's 2,331 bytes; longer ones give an empty array.
    public func qrCodePNG(deviceName: String, accountName: String) -> [UInt8] {
        QRCode.png(for: provisioningURI(deviceName: deviceName, accountName: accountName)) ?? []
    }
}
