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

/// Makes bytes `offset..<offset+length` of the file read as zeros and gives their whole blocks back to the file
/// system, keeping the file's size (`fallocate` with `FALLOC_FL_PUNCH_HOLE`). 0, or -1 with `errno` set
/// (`EOPNOTSUPP` where the file system or the platform cannot).
int nimbus_punch_hole(int fd, int64_t offset, int64_t length);

/// The first byte at or after `offset` that has data (`hole` false) or is in a hole (`hole` true): `lseek` with
/// `SEEK_DATA` or `SEEK_HOLE`, which Swift's Glibc module does not import. -1 with `errno` set: `ENXIO` when
/// no data follows `offset`, `EINVAL` where the platform has neither.
int64_t nimbus_seek_extent(int fd, int64_t offset, int hole);

/// Returns the whole free pages of every malloc arena to the system (glibc's `malloc_trim(0)`, from `malloc.h`,
/// which Swift's Glibc module does not import). Does nothing with other C libraries.
void nimbus_release_free_memory(void);

/// Fixes glibc's thresholds for serving an allocation with its own `mmap` and for returning the free top of a heap
/// (`mallopt`'s `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD`), which glibc otherwise moves as the process frees memory,
/// and caps the number of malloc arenas (`M_ARENA_MAX`; glibc's default is eight per core). Does nothing with other
/// C libraries.
void nimbus_set_malloc_thresholds(int mmap_threshold, int trim_threshold, int arena_max);

#endif
