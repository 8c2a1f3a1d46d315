//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef C_NIMBUS_SYSTEM_H
#define C_NIMBUS_SYSTEM_H

#include <stdint.h>

/// Makes the first `length` bytes of the file read as zeros and keeps its size and blocks (Linux's
/// `fallocate` with `FALLOC_FL_ZERO_RANGE`, which Swift's Glibc module does not import).
/// 0, or -1 with `errno` set (`EOPNOTSUPP` where the file system or the platform cannot).
int nimbus_zero_range(int fd, int64_t length);

/// Returns the whole free pages of every malloc arena to the system (glibc's `malloc_trim(0)`, from `malloc.h`,
/// which Swift's Glibc module does not import). Does nothing with other C libraries.
void nimbus_release_free_memory(void);

#endif
