#include "network/vlan_mode.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace virtd::network {

VlanMode VlanMode::access(uint16_t vlan) {
    VlanMode m;
    m.access_vlan = vlan;
    return m;
}

VlanMode VlanMode::trunk_of(std::vector<uint16_t> vlans) {
    VlanMode m;
    m.trunk = true;
    std::sort(vlans.begin(), vlans.end());
    m.allowed = std::move(vlans);
    return m;
}

namespace {

bool valid_id(uint16_t id) {
    return id >= kMinVlanId && id <= kMaxVlanId;
}

} // namespace

Status VlanMode::validate() const {
    if (!trunk) {
        if (!valid_id(access_vlan))
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                              "VLAN id {} is out of range {}..{}", access_vlan, kMinVlanId,
                              kMaxVlanId);
        return {};
    }
    if (allowed.empty())
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                          "a trunk port needs at least one VLAN");
    for (size_t i = 0; i < allowed.size(); i++) {
        if (!valid_id(allowed[i]))
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                              "trunk VLAN id {} is out of range {}..{}", allowed[i], kMinVlanId,
                              kMaxVlanId);
        // Sorted order makes a repeat adjacent, and member() relies on the order.
        if (i > 0 && allowed[i] <= allowed[i - 1])
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                              "trunk VLAN ids must be distinct and sorted (at {})", allowed[i]);
    }
    return {};
}

bool VlanMode::member(uint16_t vlan) const {
    if (!trunk) return vlan == access_vlan;
    return std::binary_search(allowed.begin(), allowed.end(), vlan);
}

std::string VlanMode::describe() const {
    if (!trunk) return fmt::format("vlan {}", access_vlan);
    return fmt::format("trunk {}", fmt::join(allowed, ","));
}

} // namespace virtd::network
