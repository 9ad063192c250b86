// XdrWriter and XdrReader: the XDR encoding (RFC 4506) as libvirt's RPC uses it: big-endian,
// everything padded to 4 bytes, `char` arrays at 4 bytes per character.
//
// The reader treats its input as hostile: every length and count is checked against both its
// declared limit and the bytes that remain, so a bad message fails fast without allocating.
// The first failure is remembered (with its offset) and every later read fails too.
// Neither class is thread-safe; use one per message.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace virtd::rpc {

// libvirt's REMOTE_STRING_MAX: the longest string any procedure carries.
inline constexpr uint32_t kXdrStringMax = 4194304;

class XdrWriter {
public:
    void u32(uint32_t v) {
        uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
        buf_.append(reinterpret_cast<const char*>(b), 4);
    }
    void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
    void u64(uint64_t v) {
        u32(static_cast<uint32_t>(v >> 32));
        u32(static_cast<uint32_t>(v));
    }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void f64(double v) {
        uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        u64(bits);
    }
    void boolean(bool v) { u32(v ? 1 : 0); }
    // Fixed-length opaque: the bytes, then zero padding to 4.
    void fixed_opaque(const void* data, size_t n) {
        buf_.append(static_cast<const char*>(data), n);
        pad(n);
    }
    // Variable-length opaque and strings: a length word, the bytes, padding. No NUL on the wire.
    void opaque(std::string_view bytes) {
        u32(static_cast<uint32_t>(bytes.size()));
        fixed_opaque(bytes.data(), bytes.size());
    }
    void string(std::string_view s) { opaque(s); }
    void optional_string(const std::optional<std::string>& s) {
        boolean(s.has_value());
        if (s) string(*s);
    }
    // `char x<N>`: a count, then each character as a 4-byte signed int.
    void char_array(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        for (char c : s)
            i32(static_cast<signed char>(c));
    }
    // `char x[N]`: exactly N characters, shorter text padded with NULs.
    void fixed_char_array(std::string_view s, size_t n) {
        for (size_t i = 0; i < n; i++)
            i32(i < s.size() ? static_cast<signed char>(s[i]) : 0);
    }

    const std::string& data() const { return buf_; }
    std::string take() { return std::move(buf_); }
    size_t size() const { return buf_.size(); }
    // Overwrites a 4-byte word written earlier (for lengths known only at the end).
    void patch_u32(size_t offset, uint32_t v) {
        for (int i = 0; i < 4; i++)
            buf_[offset + i] = static_cast<char>(v >> (24 - 8 * i));
    }

private:
    void pad(size_t n) {
        static const char zeros[4] = {};
        buf_.append(zeros, (4 - n % 4) % 4);
    }

    std::string buf_;
};

class XdrReader {
public:
    XdrReader(const void* data, size_t size)
        : p_(static_cast<const uint8_t*>(data))
        , begin_(p_)
        , end_(p_ + size) {}
    explicit XdrReader(std::string_view s)
        : XdrReader(s.data(), s.size()) {}

    bool ok() const { return error_.empty(); }
    // What went wrong first, with its byte offset; empty while ok().
    const std::string& error() const { return error_; }
    size_t offset() const { return static_cast<size_t>(p_ - begin_); }
    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    // Fails unless every byte was consumed.
    bool finish();

    bool u32(uint32_t& v);
    bool i32(int32_t& v);
    bool u64(uint64_t& v);
    bool i64(int64_t& v);
    bool f64(double& v);
    bool boolean(bool& v);
    // Narrow integers travel as 4 bytes; values outside the type are an error.
    bool u8(uint8_t& v);
    bool u16(uint16_t& v);
    bool fixed_opaque(void* out, size_t n);
    bool opaque(std::string& out, uint32_t max);
    bool string(std::string& out, uint32_t max = kXdrStringMax) { return opaque(out, max); }
    bool optional_string(std::optional<std::string>& out, uint32_t max = kXdrStringMax);
    bool char_array(std::string& out, uint32_t max);
    bool fixed_char_array(std::string& out, size_t n);
    // An array count: at most `max`, and small enough that `count` elements of at least
    // `min_element_size` bytes fit in what remains.
    bool count(uint32_t& n, uint32_t max, size_t min_element_size);

    // Records a failure found by a caller (a bad union discriminant, say).
    bool fail(std::string_view what);

private:
    bool need(size_t n, const char* what);

    const uint8_t* p_;
    const uint8_t* begin_;
    const uint8_t* end_;
    std::string error_;
};

} // namespace virtd::rpc
