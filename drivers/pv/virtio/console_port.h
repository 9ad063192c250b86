// VirtioConsole::Port: one port's state, shared by the device's two source files (the
// VirtioDevice side in console.cc, the worker side in console_serve.cc).
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "common/fd.h"
#include "drivers/pv/virtio/console.h"
#include "drivers/pv/virtio/virtqueue.h"

namespace virtd::pv::virtio {

// One port: its host socket, and what the guest has done with it since activation.
struct VirtioConsole::Port {
    std::string name;
    std::string path;
    UniqueFd listener;
    bool own_socket = false; // path is ours to remove
    UniqueFd client;         // changed only with host_mu_ held
    // The client hung up with bytes still unread, which wait for guest buffers; its fd is not
    // watched meanwhile (POLLHUP would wake the worker forever).
    bool hup_pending = false;

    bool ready = false;           // the driver sent PORT_READY(1)
    bool want_read = false;       // a receive buffer waits for client bytes: watch POLLIN
    bool tx_blocked = false;      // the client's socket is full: watch POLLOUT
    std::optional<VirtqChain> tx; // guest output being written to the client
    uint64_t tx_done = 0;
    std::optional<VirtqChain> rx; // a receive buffer taken before the client had bytes

    std::atomic<bool> guest_open{false};
    std::atomic<bool> connected{false};
    std::atomic<uint64_t> to_host{0}, to_guest{0}, dropped{0};
};

} // namespace virtd::pv::virtio
