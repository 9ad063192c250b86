// Ethernet II / 802.1Q framing as the switch sees it: addresses, the VLAN tag, and adding or
// removing that tag.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/mac.h"

namespace virtd::network {

inline constexpr size_t kEthHeaderSize = 14; // destination, source, EtherType
inline constexpr size_t kVlanTagSize = 4;    // TPID 0x8100, then the TCI
inline constexpr uint16_t kTpid8021Q = 0x8100;

// What the switch needs from a frame's header. Nothing past the header is read.
struct FrameHeader {
    MacAddress dst;
    MacAddress src;
    // The 802.1Q tag's TCI (priority, DEI, VLAN id) when the frame carries one.
    std::optional<uint16_t> tci;

    uint16_t vlan_id() const { return tci ? (*tci & 0x0fff) : 0; }
};

// Reads the header; nullopt when the frame is shorter than its header (14 bytes, or 18 with a
// tag). Frames too long for the switch are its own check.
std::optional<FrameHeader> parse_frame_header(std::span<const uint8_t> frame);

// The same frame with an 802.1Q tag (TCI `tci`) inserted after the source address. `frame`
// must be untagged and at least kEthHeaderSize long.
std::vector<uint8_t> add_vlan_tag(std::span<const uint8_t> frame, uint16_t tci);

// The same frame without its 802.1Q tag. `frame` must carry one (parse_frame_header said so).
std::vector<uint8_t> strip_vlan_tag(std::span<const uint8_t> frame);

} // namespace virtd::network
