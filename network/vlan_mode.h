// VlanMode: which 802.1Q VLANs a switch port belongs to, and whether its frames carry tags.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace virtd::network {

inline constexpr uint16_t kMinVlanId = 1;
inline constexpr uint16_t kMaxVlanId = 4094; // 0 means "priority tag only", 4095 is reserved
inline constexpr uint16_t kDefaultVlanId = 1;

// An access port is a member of one VLAN and sends and receives untagged frames. A trunk port
// is a member of every VLAN in `allowed` and sends and receives frames tagged with 802.1Q.
struct VlanMode {
    bool trunk = false;
    uint16_t access_vlan = kDefaultVlanId; // access ports only
    std::vector<uint16_t> allowed;         // trunk ports only: sorted, no duplicates

    static VlanMode access(uint16_t vlan = kDefaultVlanId);
    // Sorts the ids; validate() still rejects bad or repeated ones.
    static VlanMode trunk_of(std::vector<uint16_t> vlans);

    // Every id in 1..4094; a trunk has 1..4094 distinct ids. Errors say which id is wrong.
    Status validate() const;
    // Is the port a member of `vlan`?
    bool member(uint16_t vlan) const;
    // "vlan 10" or "trunk 10,20".
    std::string describe() const;

    bool operator==(const VlanMode&) const = default;
};

} // namespace virtd::network
