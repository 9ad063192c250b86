// Fuzz target: bytes a switch port sends: as its hello (decode_hello), as the switch's answer a
// port reads (decode_answer), and as a frame forwarded through a switch from an access port and
// from a trunk port (header parsing, VLAN checks, tagging and untagging, learning).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/log.h"
#include "network/switch/frame.h"
#include "network/switch/protocol.h"
#include "network/switch/switch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace virtd;
    using namespace virtd::network;
    static const bool quiet = [] {
        log::set_level(log::Level::Error); // every malformed frame would log a warning
        return true;
    }();
    (void)quiet;
    std::span<const uint8_t> input(data, size);

    Result<switchproto::Hello> hello = switchproto::decode_hello(input);
    if (hello) {
        // What decodes must encode back to the same bytes: the format has one spelling.
        std::vector<uint8_t> again = switchproto::encode_hello(*hello);
        if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) __builtin_trap();
    }
    (void)switchproto::decode_answer(input);

    Switch sw(SwitchLimits{.max_ports = 8, .max_mac_entries = 16});
    // Whatever leaves the switch is within the size limits; what leaves a trunk carries a tag.
    // (An access port may get a frame whose payload starts with another tag: a double-tagged
    // frame from a trunk loses only its outer tag, as on any 802.1Q switch.)
    auto access_sink = [&](std::span<const uint8_t> frame) {
        if (frame.size() < kEthHeaderSize || frame.size() > sw.limits().max_frame_size)
            __builtin_trap();
    };
    auto trunk_sink = [&](std::span<const uint8_t> frame) {
        std::optional<FrameHeader> h = parse_frame_header(frame);
        if (!h || !h->tci || frame.size() > sw.limits().max_frame_size) __builtin_trap();
    };
    auto access1 = sw.add_port(MacAddress({0x52, 0x54, 0, 0, 0, 1}), VlanMode(), access_sink);
    auto access10 =
        sw.add_port(MacAddress({0x52, 0x54, 0, 0, 0, 2}), VlanMode::access(10), access_sink);
    auto trunk = sw.add_port(MacAddress({0x52, 0x54, 0, 0, 0, 3}), VlanMode::trunk_of({1, 10, 20}),
                             trunk_sink);
    if (!access1 || !access10 || !trunk) __builtin_trap();
    if (hello) {
        if (hello->vlan.trunk)
            (void)sw.add_port(hello->mac, hello->vlan, trunk_sink);
        else
            (void)sw.add_port(hello->mac, hello->vlan, access_sink);
    }
    sw.receive(*access1, input);
    sw.receive(*access10, input);
    sw.receive(*trunk, input);
    return 0;
}
