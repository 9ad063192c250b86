// StateWriter and StateReader: the little-endian byte encoding every component's saved state
// uses inside a VMM state file (drivers/kvm/vmm/STATE.md).
//
// The reader decodes untrusted bytes: every read is bounds-checked, and the first problem
// (truncation, a value out of range) is kept and reported once by error(), so a decoder reads
// its fields straight through and checks ok() at the end instead of after every field.
//
// Thread safety: plain values; one thread at a time per object.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace virtd {

class StateWriter {
public:
    void u8(uint8_t v) { bytes_.push_back(v); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    // A length (u32) then the bytes.
    void blob(std::span<const uint8_t> b) {
        u32(static_cast<uint32_t>(b.size()));
        bytes_.insert(bytes_.end(), b.begin(), b.end());
    }
    void str(std::string_view s) {
        blob(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    }
    const std::vector<uint8_t>& bytes() const { return bytes_; }
    std::vector<uint8_t> take() { return std::move(bytes_); }

private:
    void put(uint64_t v, unsigned n) {
        for (unsigned i = 0; i < n; ++i)
            bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::vector<uint8_t> bytes_;
};

class StateReader {
public:
    explicit StateReader(std::span<const uint8_t> bytes)
        : bytes_(bytes) {}

    uint8_t u8() { return static_cast<uint8_t>(get(1)); }
    bool boolean() {
        uint8_t v = u8();
        if (v > 1) fail(fmt::format("byte {} is {} where a boolean (0 or 1) belongs", pos_ - 1, v));
        return v == 1;
    }
    uint16_t u16() { return static_cast<uint16_t>(get(2)); }
    uint32_t u32() { return static_cast<uint32_t>(get(4)); }
    uint64_t u64() { return get(8); }
    // A blob written by StateWriter::blob, of at most `max` bytes.
    std::span<const uint8_t> blob(size_t max) {
        uint32_t n = u32();
        if (!ok()) return {};
        if (n > max) {
            fail(fmt::format("a field of {} bytes is longer than the limit of {}", n, max));
            return {};
        }
        if (n > bytes_.size() - pos_) {
            truncated();
            return {};
        }
        std::span<const uint8_t> out = bytes_.subspan(pos_, n);
        pos_ += n;
        return out;
    }
    std::string str(size_t max) {
        std::span<const uint8_t> b = blob(max);
        return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }
    // A count of items that follow, each at least `min_item_bytes` long, at most `max`.
    uint32_t count(uint32_t max, size_t min_item_bytes = 1) {
        uint32_t n = u32();
        if (!ok()) return 0;
        if (n > max) {
            fail(fmt::format("a count of {} is above the limit of {}", n, max));
            return 0;
        }
        if (min_item_bytes != 0 && n > (bytes_.size() - pos_) / min_item_bytes) {
            truncated();
            return 0;
        }
        return n;
    }

    // Steps over `n` bytes a caller used in place (at position() before the call).
    void skip(size_t n) {
        if (!ok()) return;
        if (n > remaining()) {
            truncated();
            return;
        }
        pos_ += n;
    }

    // Records a problem (the first one wins); reads after it return zeros.
    void fail(std::string why) {
        if (error_.empty()) error_ = std::move(why);
        pos_ = bytes_.size();
    }
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    size_t position() const { return pos_; }
    size_t remaining() const { return bytes_.size() - pos_; }
    // For a decoder that has read everything it knows: extra bytes are a problem too.
    void expect_end() {
        if (ok() && pos_ != bytes_.size())
            fail(fmt::format("{} unexpected bytes after the last field", bytes_.size() - pos_));
    }

private:
    void truncated() { fail(fmt::format("truncated at byte {}", pos_)); }
    uint64_t get(unsigned n) {
        if (!ok()) return 0;
        if (n > bytes_.size() - pos_) {
            truncated();
            return 0;
        }
        uint64_t v = 0;
        for (unsigned i = 0; i < n; ++i)
            v |= uint64_t{bytes_[pos_ + i]} << (8 * i);
        pos_ += n;
        return v;
    }

    std::span<const uint8_t> bytes_;
    size_t pos_ = 0;
    std::string error_;
};

} // namespace virtd
