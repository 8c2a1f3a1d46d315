//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#define _GNU_SOURCE
#include "CNimbusSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/falloc.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int nimbus_zero_range(int fd, int64_t length) {
#if defined(__linux__) && defined(FALLOC_FL_ZERO_RANGE)
    return fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, (off_t)length);
#else
    (void)fd;
    (void)length;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int nimbus_punch_hole(int fd, int64_t offset, int64_t length) {
#if defined(__linux__) && defined(FALLOC_FL_PUNCH_HOLE)
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
#else
    (void)fd;
    (void)offset;
    (void)length;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int64_t nimbus_seek_extent(int fd, int64_t offset, int hole) {
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
    return (int64_t)lseek(fd, (off_t)offset, hole ? SEEK_HOLE : SEEK_DATA);
#else
    (void)fd;
    (void)offset;
    (void)hole;
    errno = EINVAL;
    return -1;
#endif
}

void nimbus_release_free_memory(void) {
#if defined(__GLIBC__)
    (void)malloc_trim(0);
#endif
}

void nimbus_set_malloc_thresholds(int mmap_threshold, int trim_threshold, int arena_max) {
#if defined(__GLIBC__)
    (void)mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    (void)mallopt(M_TRIM_THRESHOLD, trim_threshold);
    (void)mallopt(M_ARENA_MAX, arena_max);
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    (void)arena_max;
#endif
}
