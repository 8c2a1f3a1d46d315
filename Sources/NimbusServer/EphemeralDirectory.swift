//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory under the system's temporary directory where an `--ephemeral` server keeps object
/// data (too big for memory), removed when the server goes and, after a `kill -9`, by the next
/// ephemeral server to start.
///
/// The owner holds an exclusive `flock` on `<directory>/.lock` for as long as it lives, and the kernel
/// drops that lock however the process ends, so a lock that can be taken marks a directory nobody
/// owns. A PID file could not say as much: PIDs are reused, and containers sharing `/tmp` see each
/// other's PIDs differently. The lock file is locked before it gets its name, so there is no moment
/// when a starting server's directory looks abandoned.
final class EphemeralDirectory: Sendable {
    static let prefix = "nimbus-ephemeral-"
    static let lockName = ".lock"

    let url: URL
    /// The locked file's descriptor, nil once removed.
    private let lock: Mutex<CInt?>

    private init(url: URL, lock: CInt) {
        self.url = url
        self.lock = Mutex(lock)
    }

    /// Makes a new, locked directory in `parent`.
    static func make(in parent: URL = FileManager.default.temporaryDirectory) throws -> EphemeralDirectory {
        let url = parent.appendingPathComponent(prefix + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let staging = url.appendingPathComponent(lockName + ".new").path
        let fd = open(staging, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open", staging) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, rename(staging, url.appendingPathComponent(lockName).path) == 0 else {
            let error = failure("lock", staging)
            close(fd)
            try? FileManager.default.removeItem(at: url)
            throw error
        }
        return EphemeralDirectory(url: url, lock: fd)
    }

    /// Removes the directory, then lets go of the lock (the other order would let a sweep race us). Only
    /// the first call does anything.
    ///
    /// `serve` calls this when it stops: a deinit alone is not enough, because the process exits as soon
    /// as the command returns, while a task that has not yet finished may still hold the last reference.
    func remove() {
        lock.withLock { fd in
            guard let held = fd else { return }
            try? FileManager.default.removeItem(at: url)
            close(held)
            fd = nil
        }
    }

    deinit { remove() }

    /// Removes the directories in `parent` whose owner is gone; returns how many. Directories without a
    /// lock file (made by a Nimbus before this one, or not by Nimbus at all) are left alone.
    @discardableResult
    static func sweep(_ parent: URL = FileManager.default.temporaryDirectory) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        var removed = 0
        for name in names where name.hasPrefix(prefix) {
            let directory = parent.appendingPathComponent(name)
            let fd = open(directory.appendingPathComponent(lockName).path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            if (try? FileManager.default.removeItem(at: directory)) != nil { removed += 1 }
        }
        return removed
    }

    private static func failure(_ call: String, _ path: String) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(call) \(path): \(String(cString: strerror(errno)))"])
    }
}
