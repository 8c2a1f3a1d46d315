//===----------------------------------------------------------------------===//
//
// This source file is part of the Nimbus project.
// Copyright (c) 2026 the Nimbus authors. Licensed under Apache License v2.0.
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef C_NIMBUS_CRC_H
#define C_NIMBUS_CRC_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has a CRC-32C instruction (x86-64 SSE4.2, AArch64 CRC32), else 0.
int nimbus_crc32c_hardware_available(void);

/// Advances an inverted CRC-32C state over `count` bytes with the CPU's instruction.
/// Call only when `nimbus_crc32c_hardware_available()` returned 1.
uint32_t nimbus_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count);

#endif
