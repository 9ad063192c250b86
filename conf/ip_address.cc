#include "conf/ip_address.h"

#include <cstring>
#include <string>

#include <arpa/inet.h>

namespace virtd::conf {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    std::string s(text);
    IpAddress a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
    return std::nullopt;
}

bool IpAddress::same_subnet(const IpAddress& other, unsigned prefix) const {
    if (v6 != other.v6 || prefix > max_prefix()) return false;
    for (unsigned bit = 0; bit < prefix; bit++) {
        unsigned mask = 0x80u >> (bit % 8);
        if ((bytes[bit / 8] & mask) != (other.bytes[bit / 8] & mask)) return false;
    }
    return true;
}

std::optional<unsigned> IpAddress::netmask_prefix() const {
    if (v6) return std::nullopt;
    uint32_t m = (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) |
                 (uint32_t(bytes[2]) << 8) | bytes[3];
    unsigned ones = 0;
    while (ones < 32 && (m & (0x80000000u >> ones)))
        ones++;
    uint32_t expect = ones == 0 ? 0 : ~uint32_t(0) << (32 - ones);
    if (m != expect) return std::nullopt;
    return ones;
}

} // namespace virtd::conf
