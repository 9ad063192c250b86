// The switch's wire protocol: the hello a port sends when it connects, the switch's answer, and
// nothing else: after the answer every SOCK_SEQPACKET message, in both directions, is exactly
// one Ethernet frame (no length word, no header).
//
// Hello, integers big-endian:
//   offset  size  field
//        0     4  magic "VSWH" (0x56535748)
//        4     2  version (1)
//        6     2  mode: 0 access, 1 trunk
//        8     6  the port's MAC (unicast, not zero)
//       14     2  access: the VLAN id (1..4094); trunk: n, the number of allowed VLANs (1..4094)
//       16  2*n   trunk only: the allowed VLAN ids, ascending, distinct, each 1..4094
// The message is exactly that long; anything else is refused.
//
// Answer, integers big-endian:
//        0     4  magic "VSWA" (0x56535741)
//        4     2  version (1)
//        6     2  status: 0 accepted, 1 refused
//        8     n  refused: why, UTF-8 text (at most kMaxRefusalText bytes); accepted: nothing
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/mac.h"
#include "network/vlan_mode.h"

namespace virtd::network::switchproto {

inline constexpr uint32_t kHelloMagic = 0x56535748;  // "VSWH"
inline constexpr uint32_t kAnswerMagic = 0x56535741; // "VSWA"
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHelloHeaderSize = 16;
inline constexpr size_t kMaxHelloSize = kHelloHeaderSize + 2 * kMaxVlanId;
inline constexpr size_t kAnswerHeaderSize = 8;
inline constexpr size_t kMaxRefusalText = 1024;
inline constexpr size_t kMaxAnswerSize = kAnswerHeaderSize + kMaxRefusalText;

// What a port announces about itself.
struct Hello {
    MacAddress mac;
    VlanMode vlan;
    bool operator==(const Hello&) const = default;
};

std::vector<uint8_t> encode_hello(const Hello& hello);
// Errors (InvalidArg) say what is wrong with the message; never reads outside `msg`.
Result<Hello> decode_hello(std::span<const uint8_t> msg);

std::vector<uint8_t> encode_accept();
// Longer texts are cut to kMaxRefusalText bytes.
std::vector<uint8_t> encode_refusal(std::string_view why);
// Success when the switch accepted the port; otherwise an error carrying the switch's text (or
// saying the answer was malformed).
Status decode_answer(std::span<const uint8_t> msg);

} // namespace virtd::network::switchproto
