// Switch: the core of virtd's userspace 802.1Q switch, with no I/O of its own. Ports are added
// with a VLAN mode and a function that hands frames to the port's peer; frames that arrive on
// a port go in through receive(). SwitchServer (switch_server.h) serves it on a unix socket;
// the daemon can embed either.
//
// Forwarding: the switch learns (VLAN, source MAC) -> port from every accepted frame; entries
// age out after SwitchLimits::mac_aging. A unicast frame to a known MAC goes to that port only
// (and is dropped when that is the port it came from: no hairpin); broadcast, multicast and
// unknown unicast frames are flooded to every other port that is a member of the frame's VLAN.
//
// VLANs: an access port sends and receives untagged frames; a tagged frame from it is dropped
// (so a guest cannot hop VLANs). A trunk port sends and receives frames tagged with 802.1Q
// (TPID 0x8100) for its allowed VLANs; an untagged frame from a trunk, or one tagged with a VLAN
// the trunk does not allow, is dropped: there is no native VLAN. The tag's priority bits are
// kept from one trunk to another; frames from access ports get priority 0.
//
// Every dropped malformed frame is counted and logged (the first few per port, then at powers
// of two, so a misbehaving guest cannot flood the log). Thread safety: none; one thread (the
// switch's event loop) uses it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "common/error.h"
#include "common/mac.h"
#include "network/net_backend.h"
#include "network/vlan_mode.h"

namespace virtd::network {

struct SwitchLimits {
    size_t max_ports = 256;
    size_t max_mac_entries = 8192; // over all VLANs; when full, new MACs are flooded to
    std::chrono::seconds mac_aging{300};
    size_t max_frame_size = kMaxFrameSize; // as it arrives or leaves, tag included
};

struct SwitchStats {
    uint64_t received = 0;        // frames handed to receive()
    uint64_t unicast = 0;         // frames sent to one learned port
    uint64_t flooded = 0;         // frames sent to every member port
    uint64_t delivered = 0;       // port deliveries (a flooded frame counts once per port)
    uint64_t malformed = 0;       // runts, oversize frames, multicast sources
    uint64_t vlan_drops = 0;      // tagged on access, untagged or not allowed on a trunk
    uint64_t hairpin_drops = 0;   // unicast to the MAC's own port
    uint64_t oversize_egress = 0; // would exceed max_frame_size once tagged
};

class Switch {
public:
    using PortId = uint32_t;
    using Clock = std::chrono::steady_clock;
    // Hands one frame to a port's peer; a full peer drops it. Must not call back into the Switch.
    using Deliver = std::function<void(std::span<const uint8_t> frame)>;

    explicit Switch(SwitchLimits limits = {});
    Switch(const Switch&) = delete;
    Switch& operator=(const Switch&) = delete;

    // Adds a port whose guest announced `mac` (which is learned at once on an access port, so
    // frames to it are not flooded before the guest speaks). Refused (an error saying why)
    // when the VLAN mode is invalid, the switch has max_ports ports, or another port announced
    // the same MAC.
    Result<PortId> add_port(const MacAddress& mac, const VlanMode& vlan, Deliver deliver);
    // Removes the port and forgets the MACs learned on it. Unknown ids are ignored.
    void remove_port(PortId id);

    // Forwards one frame that arrived on port `from` (unknown ports are ignored).
    void receive(PortId from, std::span<const uint8_t> frame, Clock::time_point now = Clock::now());

    // Forgets MAC entries not refreshed for mac_aging. Call it now and then (the server does
    // every few seconds); lookups ignore stale entries anyway.
    void age(Clock::time_point now = Clock::now());

    // The port a unicast frame to `mac` on `vlan` would go to, if learned and fresh.
    std::optional<PortId> lookup(uint16_t vlan, const MacAddress& mac,
                                 Clock::time_point now = Clock::now()) const;
    // "port 3 52:54:00:00:00:01 vlan 10", or "" for an unknown id.
    std::string describe_port(PortId id) const;

    size_t port_count() const { return ports_.size(); }
    size_t mac_count() const { return macs_.size(); }
    const SwitchStats& stats() const { return stats_; }
    const SwitchLimits& limits() const { return limits_; }

private:
    struct Port {
        MacAddress mac;
        VlanMode vlan;
        Deliver deliver;
        uint64_t drops = 0; // paces the drop log lines
    };
    struct MacEntry {
        PortId port = 0;
        Clock::time_point seen;
    };

    static uint64_t mac_key(uint16_t vlan, const MacAddress& mac);
    void drop(PortId id, Port& port, uint64_t& counter, std::string_view why);
    void learn(uint16_t vlan, const MacAddress& mac, PortId port, Clock::time_point now);
    void deliver(Port& port, std::span<const uint8_t> untagged, std::span<const uint8_t> tagged);

    SwitchLimits limits_;
    std::map<PortId, Port> ports_; // ordered: flooding visits ports in a stable order
    std::unordered_map<uint64_t, MacEntry> macs_;
    PortId next_port_ = 1;
    Clock::time_point last_full_sweep_{};
    SwitchStats stats_;
};

} // namespace virtd::network
