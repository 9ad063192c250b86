// The switch-port backend: a guest NIC plugged into a port of virtd's userspace VLAN switch
// (network/switch/) over a unix SOCK_SEQPACKET socket, one Ethernet frame per message.
#pragma once

#include <memory>
#include <string>

#include "common/error.h"
#include "common/mac.h"
#include "network/net_backend.h"
#include "network/vlan_mode.h"

namespace virtd::network {

// Connects to the switch listening on `socket_path`, sends the hello (network/switch/protocol.h)
// announcing `mac` and `vlan`, and waits (at most 5 s) for the switch to accept the port. Errors
// name the socket and carry the switch's refusal text or the errno text. The returned backend's
// frames are untagged on an access port and 802.1Q-tagged on a trunk port.
Result<std::unique_ptr<NetBackend>> connect_switch(const std::string& socket_path,
                                                   const MacAddress& mac, const VlanMode& vlan);

} // namespace virtd::network
