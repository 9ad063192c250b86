#include "common/crc32c.h"

#include <array>
#include <cstring>

namespace virtd {
namespace {

constexpr uint32_t kPoly = 0x82F63B78; // CRC-32C, reflected

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// Table k maps a byte to its CRC contribution k bytes further on (slicing-by-8).
Tables make_tables() {
    Tables t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (size_t k = 1; k < 8; ++k)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    return t;
}

} // namespace

uint32_t crc32c(const void* data, size_t len, uint32_t crc) {
    static const Tables t = make_tables();
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
    while (len >= 8) {
        uint64_t v = 0;
        std::memcpy(&v, p, 8); // little-endian hosts only, as the rest of the VMM
        v ^= crc;
        crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
              t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
              t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

} // namespace virtd
