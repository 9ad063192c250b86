#include "rpc/xdr.h"

#include <fmt/format.h>

namespace virtd::rpc {

bool XdrReader::fail(std::string_view what) {
    if (error_.empty()) error_ = fmt::format("at byte {}: {}", offset(), what);
    p_ = end_; // nothing after a failure is read
    return false;
}

bool XdrReader::need(size_t n, const char* what) {
    if (!ok()) return false;
    if (remaining() < n)
        return fail(fmt::format("truncated: {} needs {} bytes, {} left", what, n, remaining()));
    return true;
}

bool XdrReader::finish() {
    if (!ok()) return false;
    if (remaining() != 0) return fail(fmt::format("{} unexpected trailing bytes", remaining()));
    return true;
}

bool XdrReader::u32(uint32_t& v) {
    if (!need(4, "an integer")) return false;
    v = (uint32_t(p_[0]) << 24) | (uint32_t(p_[1]) << 16) | (uint32_t(p_[2]) << 8) | p_[3];
    p_ += 4;
    return true;
}

bool XdrReader::i32(int32_t& v) {
    uint32_t u = 0;
    if (!u32(u)) return false;
    v = static_cast<int32_t>(u);
    return true;
}

bool XdrReader::u64(uint64_t& v) {
    uint32_t hi = 0;
    uint32_t lo = 0;
    if (!need(8, "a hyper") || !u32(hi) || !u32(lo)) return false;
    v = (uint64_t(hi) << 32) | lo;
    return true;
}

bool XdrReader::i64(int64_t& v) {
    uint64_t u = 0;
    if (!u64(u)) return false;
    v = static_cast<int64_t>(u);
    return true;
}

bool XdrReader::f64(double& v) {
    uint64_t bits = 0;
    if (!u64(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
}

bool XdrReader::boolean(bool& v) {
    uint32_t u = 0;
    if (!u32(u)) return false;
    if (u > 1) return fail(fmt::format("boolean is {}, not 0 or 1", u));
    v = u == 1;
    return true;
}

bool XdrReader::u8(uint8_t& v) {
    uint32_t u = 0;
    if (!u32(u)) return false;
    if (u > 0xff) return fail(fmt::format("value {} does not fit in an unsigned char", u));
    v = static_cast<uint8_t>(u);
    return true;
}

bool XdrReader::u16(uint16_t& v) {
    uint32_t u = 0;
    if (!u32(u)) return false;
    if (u > 0xffff) return fail(fmt::format("value {} does not fit in an unsigned short", u));
    v = static_cast<uint16_t>(u);
    return true;
}

bool XdrReader::fixed_opaque(void* out, size_t n) {
    size_t padded = (n + 3) & ~size_t(3);
    if (!need(padded, "fixed opaque data")) return false;
    std::memcpy(out, p_, n);
    p_ += padded;
    return true;
}

bool XdrReader::opaque(std::string& out, uint32_t max) {
    uint32_t n = 0;
    if (!u32(n)) return false;
    if (n > max) return fail(fmt::format("length {} exceeds the limit of {}", n, max));
    size_t padded = (size_t(n) + 3) & ~size_t(3);
    if (!need(padded, "string or opaque data")) return false;
    out.assign(reinterpret_cast<const char*>(p_), n);
    p_ += padded;
    return true;
}

bool XdrReader::optional_string(std::optional<std::string>& out, uint32_t max) {
    bool present = false;
    if (!boolean(present)) return false;
    if (!present) {
        out.reset();
        return true;
    }
    out.emplace();
    return string(*out, max);
}

bool XdrReader::char_array(std::string& out, uint32_t max) {
    uint32_t n = 0;
    if (!count(n, max, 4)) return false;
    out.resize(n);
    for (uint32_t i = 0; i < n; i++) {
        int32_t c = 0;
        if (!i32(c)) return false;
        if (c < -128 || c > 255) return fail(fmt::format("character value {} out of range", c));
        out[i] = static_cast<char>(c);
    }
    return true;
}

bool XdrReader::fixed_char_array(std::string& out, size_t n) {
    if (!need(n * 4, "a character array")) return false;
    out.clear();
    bool ended = false;
    for (size_t i = 0; i < n; i++) {
        int32_t c = 0;
        i32(c);
        if (c == 0) ended = true;
        if (!ended) out.push_back(static_cast<char>(c));
    }
    return true;
}

bool XdrReader::count(uint32_t& n, uint32_t max, size_t min_element_size) {
    if (!u32(n)) return false;
    if (n > max) return fail(fmt::format("array of {} elements exceeds the limit of {}", n, max));
    if (min_element_size && n > remaining() / min_element_size)
        return fail(
            fmt::format("array of {} elements cannot fit in the {} bytes left", n, remaining()));
    return true;
}

} // namespace virtd::rpc
