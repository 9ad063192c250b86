// The host end of the guest agent: JSON lines on the guest's org.qemu.guest_agent.0 channel, in
// the QEMU guest agent's protocol. The driver uses it to ask a guest to power off or reboot
// itself (virsh shutdown / reboot), which is the clean way: the guest syncs and unmounts first.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::kvm {

// The channel name libvirt and the QEMU guest agent agree on.
inline constexpr std::string_view kGuestAgentChannel = "org.qemu.guest_agent.0";

// Connects to the channel's host socket, synchronises (guest-sync with a fresh id, so a stale
// reply is never taken for ours) and sends guest-shutdown with `mode` ("powerdown", "reboot",
// "halt"). The agent does not answer a shutdown that works, so this returns once the request is
// sent. VIR_ERR_AGENT_UNRESPONSIVE when the agent does not answer within `timeout`.
Status agent_shutdown(const std::string& socket, std::string_view mode,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

} // namespace virtd::kvm
