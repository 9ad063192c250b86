#include "common/uuid.h"

#include <cerrno>
#include <cstdlib>

#include <sys/random.h>

namespace virtd {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

Result<Uuid> Uuid::parse(std::string_view text) {
    auto invalid = [&] {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None, "malformed uuid '{}'", text);
    };
    std::string_view t = text;
    while (!t.empty() && is_space(t.front()))
        t.remove_prefix(1);
    while (!t.empty() && is_space(t.back()))
        t.remove_suffix(1);
    bool dashed = t.size() == 36;
    if (!dashed && t.size() != 32) return invalid();

    std::array<uint8_t, 16> bytes{};
    size_t n = 0;
    for (size_t i = 0; i < t.size(); i++) {
        if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (t[i] != '-') return invalid();
            continue;
        }
        int v = hex_value(t[i]);
        if (v < 0) return invalid();
        bytes[n / 2] = static_cast<uint8_t>((bytes[n / 2] << 4) | v);
        n++;
    }
    return Uuid(bytes);
}

Uuid Uuid::generate() {
    std::array<uint8_t, 16> bytes{};
    size_t got = 0;
    while (got < bytes.size()) {
        ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) std::abort(); // getrandom cannot fail for 16 bytes on Linux >= 3.17
        got += static_cast<size_t>(n);
    }
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
    return Uuid(bytes);
}

std::string Uuid::format() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (size_t i = 0; i < bytes_.size(); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += kHex[bytes_[i] >> 4];
        out += kHex[bytes_[i] & 0xf];
    }
    return out;
}

} // namespace virtd
