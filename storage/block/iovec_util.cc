#include "storage/block/iovec_util.h"

#include <algorithm>
#include <cstring>

namespace virtd::storage {

uint64_t iov_total(std::span<const iovec> iov) {
    uint64_t total = 0;
    for (const iovec& v : iov) {
        if (v.iov_len > UINT64_MAX - total) return UINT64_MAX;
        total += v.iov_len;
    }
    return total;
}

void iov_advance(std::vector<iovec>& iov, size_t bytes) {
    size_t drop = 0;
    while (drop < iov.size() && bytes >= iov[drop].iov_len) {
        bytes -= iov[drop].iov_len;
        drop++;
    }
    iov.erase(iov.begin(), iov.begin() + static_cast<ptrdiff_t>(drop));
    if (!iov.empty() && bytes > 0) {
        iov.front().iov_base = static_cast<char*>(iov.front().iov_base) + bytes;
        iov.front().iov_len -= bytes;
    }
}

void iov_to_buffer(std::span<const iovec> iov, void* dst, size_t size) {
    auto* out = static_cast<char*>(dst);
    for (const iovec& v : iov) {
        if (size == 0) break;
        const size_t n = std::min(size, v.iov_len);
        std::memcpy(out, v.iov_base, n);
        out += n;
        size -= n;
    }
}

void iov_from_buffer(std::span<const iovec> iov, const void* src, size_t size) {
    const auto* in = static_cast<const char*>(src);
    for (const iovec& v : iov) {
        if (size == 0) break;
        const size_t n = std::min(size, v.iov_len);
        std::memcpy(v.iov_base, in, n);
        in += n;
        size -= n;
    }
}

void iov_zero(std::span<const iovec> iov) {
    for (const iovec& v : iov)
        std::memset(v.iov_base, 0, v.iov_len);
}

bool iov_aligned(std::span<const iovec> iov, size_t addr_align, size_t len_align) {
    for (const iovec& v : iov) {
        if ((reinterpret_cast<uintptr_t>(v.iov_base) & (addr_align - 1)) != 0 ||
            (v.iov_len & (len_align - 1)) != 0)
            return false;
    }
    return true;
}

} // namespace virtd::storage
