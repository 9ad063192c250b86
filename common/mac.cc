#include "common/mac.h"

#include <sys/random.h>

namespace virtd {

Result<MacAddress> MacAddress::parse(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::array<uint8_t, 6> b{};
    bool ok = text.size() == 17;
    for (size_t i = 0; ok && i < 6; i++) {
        int hi = hex(text[i * 3]);
        int lo = hex(text[i * 3 + 1]);
        ok = hi >= 0 && lo >= 0 && (i == 5 || text[i * 3 + 2] == ':');
        b[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    if (!ok)
        return make_error(ErrorCode::InvalidMac, ErrorDomain::None, "malformed MAC address '{}'",
                          text);
    return MacAddress(b);
}

MacAddress MacAddress::generate() {
    std::array<uint8_t, 6> b{0x52, 0x54, 0x00, 0, 0, 0};
    while (::getrandom(b.data() + 3, 3, 0) != 3) {
    }
    return MacAddress(b);
}

std::string MacAddress::format() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes_[0], bytes_[1], bytes_[2],
                       bytes_[3], bytes_[4], bytes_[5]);
}

} // namespace virtd
