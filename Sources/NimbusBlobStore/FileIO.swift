//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import CNimbusSystem
import Dispatch
import Foundation
import Synchronization

// `package`: FileIO's signatures use C types, and NimbusAudit's event log uses FileIO.
#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// Thin POSIX calls that retry on `EINTR`, finish short transfers and throw ``BlobStoreError/io``.
package enum FileIO {
    package static func open(_ path: String, _ flags: CInt, _ mode: mode_t = 0) throws -> CInt {
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw failure("open", path)
        }
    }

    /// The descriptor, or nil when `path` does not exist.
    package static func openIfExists(_ path: String, _ flags: CInt) throws -> CInt? {
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, 0)
            if fd >= 0 { return fd }
            switch errno {
            case EINTR: continue
            case ENOENT, ENOTDIR: return nil
            default: throw failure("open", path)
            }
        }
    }

    static func writeAll(_ fd: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            p += n
            left -= n
        }
    }

    /// Writes `parts` one after another with as few `writev` calls as the kernel allows (at most 8 parts).
    static func writeAll(_ fd: CInt, parts: [UnsafeRawBufferPointer], path: String) throws {
        precondition(parts.count <= 8)
        try withUnsafeTemporaryAllocation(of: iovec.self, capacity: parts.count) { vectors in
            var count = 0
            for part in parts where part.count > 0 {
                vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: part.baseAddress), iov_len: part.count)
                count += 1
            }
            var first = 0
            while first < count {
                let n = writev(fd, vectors.baseAddress! + first, CInt(count - first))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("writev", path)
                }
                // Skips what went out: whole vectors, then the front of a partly written one.
                var written = n
                while first < count, written >= vectors[first].iov_len {
                    written -= vectors[first].iov_len
                    first += 1
                }
                if written > 0 {
                    vectors[first].iov_base += written
                    vectors[first].iov_len -= written
                }
            }
        }
    }

    package static func pwriteAll(_ fd: CInt, _ bytes: UnsafeRawBufferPointer, offset: Int64, path: String) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        var at = off_t(offset)
        while left > 0 {
            let n = pwrite(fd, p, left, at)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pwrite", path)
            }
            p += n
            left -= n
            at += off_t(n)
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    package static func pread(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = systemPread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pread", path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// The `expected` bytes at `offset` of a file expected to end there, read with one call; nil when the file
    /// holds fewer or more. (Asked for one byte more, a read that returns exactly `expected` has met the end of
    /// a regular file: reading on to see it return 0, as ``pread(_:count:offset:path:)`` does, is a second call.)
    package static func preadToEnd(_ fd: CInt, expected: Int, offset: Int64, path: String) throws -> [UInt8]? {
        var got = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: expected + 1) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            var first: Int
            repeat { first = systemPread(fd, target.baseAddress!, target.count, off_t(offset)) } while first < 0 && errno == EINTR
            guard first >= 0 else { throw failure("pread", path) }
            got = first
            if got > 0 && got < expected {
                // Short before the expected end (a signal, say): the rest as any read.
                got += try pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: target[got...]), offset: offset + Int64(got), path: path)
            }
            initialized = got
        }
        return got == expected ? bytes : nil
    }

    /// Bytes at `offset`, fewer at end of file.
    package static func pread(_ fd: CInt, count: Int, offset: Int64, path: String) throws -> [UInt8] {
        var got = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<count])
            got = try pread(fd, into: target, offset: offset, path: path)
            initialized = got
        }
        return bytes
    }

    package static func size(_ fd: CInt, path: String) throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("fstat", path) }
        return Int64(info.st_size)
    }

    /// Makes the file's data (and the size) durable.
    package static func syncData(_ fd: CInt, path: String) throws {
        #if os(Linux)
        let result = fdatasync(fd)
        #else
        let result = fsync(fd)
        #endif
        guard result == 0 else { throw failure("fsync", path) }
    }

    enum ZeroingResult { case zeroed, unsupported, tooLarge, failed }

    /// Makes the file at `path` read as zeros, keeping its size and its blocks (allocated, so that the
    /// next write into them allocates nothing). Unless `.zeroed`, nothing changed: `.unsupported` where
    /// the file system (or the platform) has no zero range, `.tooLarge` for a file over `limit` bytes,
    /// `.failed` for anything else.
    static func zeroKeepingBlocks(_ path: String, limit: Int64) -> ZeroingResult {
        guard let fd = try? open(path, O_WRONLY) else { return .failed }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return .failed }
        guard Int64(status.st_size) <= limit else { return .tooLarge }
        while nimbus_zero_range(fd, Int64(status.st_size)) != 0 {
            switch errno {
            case EINTR: continue
            case EOPNOTSUPP, ENOSYS: return .unsupported
            default: return .failed
            }
        }
        return .zeroed
    }

    /// Cuts the file to `length` bytes (retrying on EINTR).
    package static func truncate(_ fd: CInt, to length: Int64, path: String) throws {
        while ftruncate(fd, off_t(length)) != 0 {
            guard errno == EINTR else { throw failure("ftruncate", path) }
        }
    }

    /// Asks the kernel to start writing `count` bytes at `offset` back now, so the final sync finds
    /// little left to do. Advisory: failures are ignored.
    static func startWriteback(_ fd: CInt, offset: Int64, count: Int) {
        #if os(Linux)
        _ = syncFileRange?(fd, off_t(offset), off_t(count), 2)  // SYNC_FILE_RANGE_WRITE
        #endif
    }

    /// Makes the names in a directory durable (after a rename or unlink in it).
    package static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    /// Renames, first making the destination's directory (durably, if asked) when it does not exist yet:
    /// the 256 prefix directories of a root are made as pieces first land in them, not all at start.
    static func renameMakingDirectory(_ from: String, _ to: String, durable: Bool) throws {
        if systemRename(from, to) == 0 { return }
        guard errno == ENOENT, let slash = to.lastIndex(of: "/"), slash > to.startIndex else { throw failure("rename", from) }
        let directory = String(to[..<slash])
        try makeDirectory(directory)
        if durable, let parentSlash = directory.lastIndex(of: "/"), parentSlash > directory.startIndex {
            try syncDirectory(String(directory[..<parentSlash]))
        }
        try rename(from, to)
    }

    static func rename(_ from: String, _ to: String) throws {
        guard systemRename(from, to) == 0 else { throw failure("rename", from) }
    }

    /// Removes `path`; true if it existed.
    @discardableResult
    package static func unlinkIfExists(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw failure("unlink", path)
    }

    package static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        throw failure("mkdir", path)
    }

    /// The names in a directory, without `.` and `..`; empty when it does not exist.
    package static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw failure("opendir", path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Seconds since `path` was last modified, nil if it is gone.
    static func age(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        #if canImport(Darwin)
        let modified = info.st_mtimespec.tv_sec
        #else
        let modified = info.st_mtim.tv_sec
        #endif
        return Double(now.tv_sec - modified)
    }

    /// Runs blocking jobs at once on threads of their own and waits, without blocking the caller's
    /// thread, for all of them; throws the first error. For the syncs of a write, which wait on the
    /// disks, not the CPU: run one after another their latencies add up.
    static func inParallel(_ jobs: [@Sendable () throws -> Void]) async throws {
        if jobs.count <= 1 {
            try jobs.first?()
            return
        }
        let firstError = FirstError()
        let first = Int(nextQueue.wrappingAdd(UInt(jobs.count), ordering: .relaxed).oldValue % UInt(ioQueues.count))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let group = DispatchGroup()
            for (offset, job) in jobs.enumerated() {
                ioQueues[(first + offset) % ioQueues.count].async(group: group) {
                    do { try job() } catch { firstError.record(error) }
                }
            }
            group.notify(queue: ioQueues[first % ioQueues.count]) {
                if let error = firstError.error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }

    /// Serial queues of our own, taken in turn. A serial queue targets libdispatch's overcommitting root
    /// queue, which gives a job blocked in `fsync` a thread of its own. A concurrent queue targets the
    /// non-overcommitting one instead, which runs no more jobs at once than there are CPUs: on two cores,
    /// a PUT's three piece syncs ran one and then two, their waits added up.
    private static let ioQueues = (0..<16).map { DispatchQueue(label: "nimbus.blobstore.io.\($0)") }
    private static let nextQueue = Atomic<UInt>(0)

    private final class FirstError: @unchecked Sendable {
        // @unchecked: `stored` is only touched under `lock`.
        private let lock = NSLock()
        private var stored: (any Error)?

        func record(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
        var error: (any Error)? { lock.withLock { stored } }
    }

    private static func failure(_ call: String, _ path: String) -> BlobStoreError {
        .io("\(call) \(path): \(String(cString: strerror(errno)))")
    }
}

#if os(Linux)
/// `sync_file_range(2)`, which Glibc declares only under `_GNU_SOURCE`, so Swift cannot see it.
private let syncFileRange: (@convention(c) (CInt, off_t, off_t, CUnsignedInt) -> CInt)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (CInt, off_t, off_t, CUnsignedInt) -> CInt).self)
}()
#endif

// Module-level wrappers, so the `FileIO` methods of the same names do not shadow the C functions.
private func systemOpen(_ path: String, _ flags: CInt, _ mode: mode_t) -> CInt { open(path, flags, mode) }
private func systemWrite(_ fd: CInt, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func systemPread(_ fd: CInt, _ p: UnsafeMutableRawPointer, _ n: Int, _ offset: off_t) -> Int { pread(fd, p, n, offset) }
private func systemRename(_ from: String, _ to: String) -> CInt { rename(from, to) }
