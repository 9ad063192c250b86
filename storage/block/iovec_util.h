// Helpers for walking iovec arrays, shared by backends that continue short transfers or copy
// between guest buffers and bounce buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <sys/uio.h>

namespace virtd::storage {

// The sum of the lengths. Saturates at UINT64_MAX so a hostile list cannot wrap to a small size.
uint64_t iov_total(std::span<const iovec> iov);

// Drops the first `bytes` bytes from the list (whole entries and a partial one), in place.
void iov_advance(std::vector<iovec>& iov, size_t bytes);

// Copies from the list into `dst` / from `src` into the list, up to the smaller of the sizes.
void iov_to_buffer(std::span<const iovec> iov, void* dst, size_t size);
void iov_from_buffer(std::span<const iovec> iov, const void* src, size_t size);

// Fills the whole list with zero bytes.
void iov_zero(std::span<const iovec> iov);

// Is every entry's address a multiple of `addr_align` and its length a multiple of `len_align`
// (both powers of two)? What O_DIRECT asks of buffers.
bool iov_aligned(std::span<const iovec> iov, size_t addr_align, size_t len_align);

} // namespace virtd::storage
