// Helpers the network tests share: MAC addresses and Ethernet frames written out by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mac.h"

namespace virtd::network::testing {

inline MacAddress mac(uint8_t last) {
    return MacAddress({0x52, 0x54, 0x00, 0x00, 0x00, last});
}
inline const MacAddress kBroadcast({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});

// An Ethernet frame dst, src, [802.1Q tag with `tci`], EtherType 0x88b5 (local experimental),
// then `payload`.
inline std::vector<uint8_t> frame(const MacAddress& dst, const MacAddress& src,
                                  const std::string& payload,
                                  std::optional<uint16_t> tci = std::nullopt) {
    std::vector<uint8_t> f(dst.bytes().begin(), dst.bytes().end());
    f.insert(f.end(), src.bytes().begin(), src.bytes().end());
    if (tci) f.insert(f.end(), {0x81, 0x00, uint8_t(*tci >> 8), uint8_t(*tci & 0xff)});
    f.insert(f.end(), {0x88, 0xb5});
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

} // namespace virtd::network::testing
