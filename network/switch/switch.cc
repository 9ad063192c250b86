#include "network/switch/switch.h"

#include <bit>
#include <utility>
#include <vector>

#include "common/log.h"
#include "network/switch/frame.h"

namespace virtd::network {

namespace {

constexpr std::string_view kLog = "network.switch";

// A frame in the two forms egress ports may need, each made at most once per frame.
class EgressForms {
public:
    EgressForms(std::span<const uint8_t> frame, bool tagged, uint16_t tci)
        : frame_(frame)
        , tagged_(tagged)
        , tci_(tci) {}

    std::span<const uint8_t> untagged() {
        if (!tagged_) return frame_;
        if (other_.empty()) other_ = strip_vlan_tag(frame_);
        return other_;
    }
    std::span<const uint8_t> tagged() {
        if (tagged_) return frame_;
        if (other_.empty()) other_ = add_vlan_tag(frame_, tci_);
        return other_;
    }

private:
    std::span<const uint8_t> frame_;
    bool tagged_;
    uint16_t tci_;
    std::vector<uint8_t> other_;
};

} // namespace

Switch::Switch(SwitchLimits limits)
    : limits_(limits) {}

uint64_t Switch::mac_key(uint16_t vlan, const MacAddress& mac) {
    uint64_t key = vlan;
    for (uint8_t b : mac.bytes())
        key = key << 8 | b;
    return key;
}

Result<Switch::PortId> Switch::add_port(const MacAddress& mac, const VlanMode& vlan,
                                        Deliver deliver) {
    if (Status s = vlan.validate(); !s) return s.error();
    if (ports_.size() >= limits_.max_ports)
        return make_error(ErrorCode::OperationFailed, ErrorDomain::Network,
                          "the switch is full ({} ports)", limits_.max_ports);
    for (const auto& [id, port] : ports_)
        if (port.mac == mac)
            return make_error(ErrorCode::OperationInvalid, ErrorDomain::Network,
                              "MAC {} is already on {}", mac.format(), describe_port(id));
    PortId id = next_port_++;
    ports_.emplace(id, Port{mac, vlan, std::move(deliver)});
    if (!vlan.trunk) learn(vlan.access_vlan, mac, id, Clock::now());
    log::info(kLog, "added {}", describe_port(id));
    return id;
}

void Switch::remove_port(PortId id) {
    auto it = ports_.find(id);
    if (it == ports_.end()) return;
    log::info(kLog, "removed {}", describe_port(id));
    ports_.erase(it);
    std::erase_if(macs_, [id](const auto& kv) { return kv.second.port == id; });
}

std::string Switch::describe_port(PortId id) const {
    auto it = ports_.find(id);
    if (it == ports_.end()) return {};
    return fmt::format("port {} {} {}", id, it->second.mac.format(), it->second.vlan.describe());
}

void Switch::drop(PortId id, Port& port, uint64_t& counter, std::string_view why) {
    counter++;
    port.drops++;
    // The first drop and then every power of two: enough to see a problem, not a log flood.
    if (std::has_single_bit(port.drops))
        log::warning(kLog, "{}: dropped a frame: {} ({} dropped so far)", describe_port(id), why,
                     port.drops);
}

void Switch::learn(uint16_t vlan, const MacAddress& mac, PortId port, Clock::time_point now) {
    uint64_t key = mac_key(vlan, mac);
    auto it = macs_.find(key);
    if (it != macs_.end()) {
        if (it->second.port != port)
            log::debug(kLog, "{} on vlan {} moved from port {} to port {}", mac.format(), vlan,
                       it->second.port, port);
        it->second = MacEntry{port, now};
        return;
    }
    if (macs_.size() >= limits_.max_mac_entries) {
        // Sweep at most once a second: a guest spraying source MACs must not make every frame
        // walk the whole table. Until room frees up, new MACs are simply flooded to.
        if (now - last_full_sweep_ < std::chrono::seconds(1)) return;
        last_full_sweep_ = now;
        age(now);
        if (macs_.size() >= limits_.max_mac_entries) return;
    }
    macs_.emplace(key, MacEntry{port, now});
}

void Switch::age(Clock::time_point now) {
    std::erase_if(macs_, [&](const auto& kv) { return now - kv.second.seen >= limits_.mac_aging; });
}

std::optional<Switch::PortId> Switch::lookup(uint16_t vlan, const MacAddress& mac,
                                             Clock::time_point now) const {
    auto it = macs_.find(mac_key(vlan, mac));
    if (it == macs_.end() || now - it->second.seen >= limits_.mac_aging) return std::nullopt;
    return it->second.port;
}

void Switch::receive(PortId from, std::span<const uint8_t> frame, Clock::time_point now) {
    auto in = ports_.find(from);
    if (in == ports_.end()) return;
    Port& port = in->second;
    stats_.received++;
    if (frame.size() > limits_.max_frame_size)
        return drop(from, port, stats_.malformed,
                    fmt::format("{} bytes, longer than {}", frame.size(), limits_.max_frame_size));
    std::optional<FrameHeader> h = parse_frame_header(frame);
    if (!h)
        return drop(from, port, stats_.malformed, fmt::format("runt of {} bytes", frame.size()));
    if (h->src.is_multicast())
        return drop(from, port, stats_.malformed,
                    fmt::format("multicast source {}", h->src.format()));

    uint16_t vlan = 0;
    uint16_t tci = 0;
    if (port.vlan.trunk) {
        if (!h->tci) return drop(from, port, stats_.vlan_drops, "untagged frame on a trunk port");
        vlan = h->vlan_id();
        tci = *h->tci;
        if (!port.vlan.member(vlan))
            return drop(from, port, stats_.vlan_drops,
                        fmt::format("VLAN {} is not allowed on this trunk", vlan));
    } else {
        if (h->tci) return drop(from, port, stats_.vlan_drops, "tagged frame on an access port");
        vlan = port.vlan.access_vlan;
        tci = vlan;
    }
    learn(vlan, h->src, from, now);

    EgressForms forms(frame, h->tci.has_value(), tci);
    auto send_to = [&](Port& out) {
        std::span<const uint8_t> f = out.vlan.trunk ? forms.tagged() : forms.untagged();
        if (f.size() > limits_.max_frame_size) {
            stats_.oversize_egress++;
            return;
        }
        stats_.delivered++;
        out.deliver(f);
    };

    if (!h->dst.is_multicast()) {
        if (std::optional<PortId> to = lookup(vlan, h->dst, now)) {
            if (*to == from) {
                // The destination sits behind the port the frame came from: nothing to do.
                stats_.hairpin_drops++;
                return;
            }
            auto out = ports_.find(*to);
            if (out != ports_.end() && out->second.vlan.member(vlan)) {
                stats_.unicast++;
                send_to(out->second);
                return;
            }
        }
    }
    stats_.flooded++;
    for (auto& [id, out] : ports_)
        if (id != from && out.vlan.member(vlan)) send_to(out);
}

} // namespace virtd::network
