// NetBackend: where a guest NIC's Ethernet frames go and come from (a tap, a switch port).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <sys/uio.h>

#include "common/error.h"

namespace virtd::network {

// The largest frame a backend passes: a 64 KiB payload plus an Ethernet header and one 802.1Q
// tag, rounded up. Without GSO no frame is larger, so a receive buffer of this size never
// truncates.
inline constexpr size_t kMaxFrameSize = 65550;

// A frame source and sink for one guest NIC. The device thread polls rx_fd() and moves frames
// with send() and receive(). Thread safety: one thread uses a backend at a time.
class NetBackend {
public:
    virtual ~NetBackend() = default;

    // Readable when receive() may return a frame. Owned by the backend.
    virtual int rx_fd() const = 0;

    // Sends one Ethernet frame (no virtio header), gathered from `frame`. When the peer is full
    // the frame is dropped and this returns success: Ethernet is lossy and the device thread must
    // never block. An error means the backend is broken (the switch went away).
    virtual Status send(std::span<const iovec> frame) = 0;

    // Receives one frame into `buf` and returns its length, or 0 when none is waiting (never
    // blocks). A frame longer than `buf` is dropped and 0 returned; call again for the next one.
    // An error means the backend is broken (e.g. the switch closed the connection); rx_fd() may
    // then stay readable, so the caller stops polling it.
    virtual Result<size_t> receive(std::span<uint8_t> buf) = 0;

    // What this backend is, for query-net and logs: "tap vnet3",
    // "switch /run/x.sock port 52:54:00:00:00:01 vlan 10".
    virtual std::string describe() const = 0;
};

// Total length of a gathered frame.
inline size_t iov_length(std::span<const iovec> iov) {
    size_t n = 0;
    for (const iovec& v : iov)
        n += v.iov_len;
    return n;
}

} // namespace virtd::network
