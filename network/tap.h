// The tap backend: a guest NIC's frames go through a Linux tap interface, which the daemon or the
// user attaches to a bridge.
#pragma once

#include <memory>
#include <string>

#include "common/error.h"
#include "network/net_backend.h"

namespace virtd::network {

// Opens the tap interface `ifname` (IFF_TAP | IFF_NO_PI, no vnet header, non-blocking),
// creating it if it does not exist; an empty name lets the kernel pick one ("tap0"), which
// describe() then reports. The interface lives as long as the backend unless it was made
// persistent. It is not brought up: that belongs to whoever attaches it to a bridge. Needs
// CAP_NET_ADMIN to create an interface. Errors name the interface and the errno text.
Result<std::unique_ptr<NetBackend>> open_tap(const std::string& ifname);

} // namespace virtd::network
