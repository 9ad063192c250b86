#include "network/switch/frame.h"

#include <algorithm>
#include <array>

namespace virtd::network {

namespace {

MacAddress mac_at(std::span<const uint8_t> frame, size_t at) {
    std::array<uint8_t, 6> b{};
    std::copy_n(frame.begin() + static_cast<ptrdiff_t>(at), b.size(), b.begin());
    return MacAddress(b);
}

uint16_t be16_at(std::span<const uint8_t> frame, size_t at) {
    return static_cast<uint16_t>(frame[at] << 8 | frame[at + 1]);
}

constexpr size_t kAddressesSize = 12; // destination and source: where a tag goes

} // namespace

std::optional<FrameHeader> parse_frame_header(std::span<const uint8_t> frame) {
    if (frame.size() < kEthHeaderSize) return std::nullopt;
    FrameHeader h{mac_at(frame, 0), mac_at(frame, 6), std::nullopt};
    if (be16_at(frame, kAddressesSize) == kTpid8021Q) {
        if (frame.size() < kEthHeaderSize + kVlanTagSize) return std::nullopt;
        h.tci = be16_at(frame, kAddressesSize + 2);
    }
    return h;
}

std::vector<uint8_t> add_vlan_tag(std::span<const uint8_t> frame, uint16_t tci) {
    std::vector<uint8_t> out;
    out.reserve(frame.size() + kVlanTagSize);
    out.insert(out.end(), frame.begin(), frame.begin() + kAddressesSize);
    out.push_back(static_cast<uint8_t>(kTpid8021Q >> 8));
    out.push_back(static_cast<uint8_t>(kTpid8021Q & 0xff));
    out.push_back(static_cast<uint8_t>(tci >> 8));
    out.push_back(static_cast<uint8_t>(tci & 0xff));
    out.insert(out.end(), frame.begin() + kAddressesSize, frame.end());
    return out;
}

std::vector<uint8_t> strip_vlan_tag(std::span<const uint8_t> frame) {
    std::vector<uint8_t> out;
    out.reserve(frame.size() - kVlanTagSize);
    out.insert(out.end(), frame.begin(), frame.begin() + kAddressesSize);
    out.insert(out.end(), frame.begin() + kAddressesSize + kVlanTagSize, frame.end());
    return out;
}

} // namespace virtd::network
