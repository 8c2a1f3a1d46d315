//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import NimbusCore
import NimbusWire

// Browser-based uploads: `POST /bucket` with a multipart/form-data body and a signed policy document.

extension S3Service {
    /// Answers a POST upload; nil for every other POST (DeleteObjects, CompleteMultipartUpload …).
    func postObject(_ request: WireRequest, _ context: RequestContext) async -> WireResponse? {
        nil
    }
}
