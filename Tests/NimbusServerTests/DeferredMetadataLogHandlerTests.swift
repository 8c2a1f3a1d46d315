//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Logging
import NimbusServer
import Synchronization
import Testing

@Suite("Deferred-metadata log handler")
struct DeferredMetadataLogHandlerTests {
    /// Collects what a `StreamLogHandler` writes.
    final class Lines: TextOutputStream, Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        var written: String { text.withLock { $0 } }
    }

    @Test func writesTheLoggersMetadataWithEachMessage() {
        let lines = Lines()
        var logger = Logger(label: "test") { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler(label: label, stream: lines, metadataProvider: nil))
            handler.logLevel = .info
            return handler
        }
        logger[metadataKey: "hb.request.id"] = "42"
        logger[metadataKey: "service"] = "sts"
        logger.debug("below the level")
        logger.info("answered", metadata: ["service": "kms", "status": "200"])
        let written = lines.written
        #expect(!written.contains("below the level"))
        // The message's own metadata wins over the logger's, as with `StreamLogHandler` alone.
        #expect(written.contains("hb.request.id=42"))
        #expect(written.contains("service=kms"))
        #expect(written.contains("status=200"))
        #expect(!written.contains("service=sts"))
        #expect(written.contains("answered"))
        #expect(logger[metadataKey: "service"] == "sts")
    }

    @Test func aMessageWithoutMetadataIsWrittenAsBefore() {
        let lines = Lines()
        let logger = Logger(label: "plain") { label in
            DeferredMetadataLogHandler(StreamLogHandler(label: label, stream: lines, metadataProvider: nil))
        }
        logger.warning("nothing attached")
        #expect(lines.written.contains("warning plain: [NimbusServerTests] nothing attached"))
    }
}
