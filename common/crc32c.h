// crc32c(): the CRC-32C (Castagnoli) checksum that guards each section of a VMM state file
// (drivers/kvm/vmm/STATE.md). Computed in software with slicing-by-8 tables, so it needs no CPU
// feature and no library; incremental: pass the previous result as `crc` to continue.
//
// Thread safety: pure function (the tables are built once, thread-safely).
#pragma once

#include <cstddef>
#include <cstdint>

namespace virtd {

// The CRC-32C of `len` bytes at `data`, continuing from `crc` (0 for a fresh checksum).
uint32_t crc32c(const void* data, size_t len, uint32_t crc = 0);

} // namespace virtd
