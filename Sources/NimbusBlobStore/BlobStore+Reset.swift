//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import NimbusCore

extension BlobStore {
    /// Removes every piece of every blob (the server's `/_nimbus/reset`, after the metadata that referred
    /// to them is gone). The directory structure stays.
    public func removeAll() throws {
        try packs.removeAll()
        let files = FileManager.default
        for root in Set(roots) {
            for prefix in 0..<256 {
                let directory = root + "/" + Hex.encode([UInt8(prefix)])
                for name in (try? files.contentsOfDirectory(atPath: directory)) ?? [] {
                    try files.removeItem(atPath: directory + "/" + name)
                }
            }
            for name in (try? files.contentsOfDirectory(atPath: root + "/tmp")) ?? [] {
                try? files.removeItem(atPath: root + "/tmp/" + name)
            }
        }
    }
}
