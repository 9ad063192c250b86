// VirtioConsole's worker side: the queues, the control protocol and the host sockets.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "drivers/pv/virtio/console.h"
#include "drivers/pv/virtio/console_port.h"

namespace virtd::pv::virtio {
namespace {

constexpr std::string_view kLog = "pv.virtio.console";

constexpr unsigned kControlRx = 2; // device -> driver
constexpr unsigned kControlTx = 3; // driver -> device
// struct virtio_console_control {le32 id; le16 event; le16 value;}, then PORT_NAME's name.
constexpr uint32_t kControlSize = 8;

// Control events (virtio 1.2 §5.3.6.2).
enum ControlEvent : uint16_t {
    kDeviceReady = 0,
    kDeviceAdd = 1,
    kDeviceRemove = 2,
    kPortReady = 3,
    kConsolePort = 4,
    kResize = 5,
    kPortOpen = 6,
    kPortName = 7,
};

// iovecs over the chain's buffers from byte `skip` on, at most IOV_MAX of them.
size_t to_iovecs(const std::vector<VirtqBuffer>& bufs, uint64_t skip, std::vector<iovec>& out) {
    out.clear();
    for (const VirtqBuffer& b : bufs) {
        if (skip >= b.len) {
            skip -= b.len;
            continue;
        }
        out.push_back({b.host + skip, b.len - skip});
        skip = 0;
        if (out.size() == IOV_MAX) break;
    }
    return out.size();
}

// Copies up to `len` bytes of the chain's readable buffers to `dst`.
void gather(const VirtqChain& chain, uint8_t* dst, uint64_t len) {
    for (const VirtqBuffer& b : chain.readable) {
        uint64_t n = std::min<uint64_t>(b.len, len);
        std::memcpy(dst, b.host, n);
        dst += n;
        len -= n;
        if (len == 0) return;
    }
}

// Copies `src` into the chain's writable buffers; returns the bytes copied.
uint32_t scatter(const VirtqChain& chain, const std::vector<uint8_t>& src) {
    uint64_t done = 0;
    for (const VirtqBuffer& b : chain.writable) {
        uint64_t n = std::min<uint64_t>(b.len, src.size() - done);
        std::memcpy(b.host, src.data() + done, n);
        done += n;
        if (done == src.size()) break;
    }
    return static_cast<uint32_t>(done);
}

} // namespace

void VirtioConsole::serve() {
    if (broken_) return;
    // Order matters only for latency: control first so a PORT_OPEN from the driver lets
    // receive() read at once, and control_out() last so it sends what the others queued.
    for (size_t p = 0; p < ports_.size() && !broken_; ++p)
        accept_clients(p);
    if (!broken_) control_in();
    for (size_t p = 0; p < ports_.size() && !broken_; ++p)
        transmit(p);
    for (size_t p = 0; p < ports_.size() && !broken_; ++p)
        receive(p);
    if (!broken_) control_out();

    bool interrupt = false;
    for (size_t q = 0; q < queues_.size(); ++q) {
        if (!pushed_[q]) continue;
        pushed_[q] = false;
        if (queues_[q].needs_interrupt()) interrupt = true;
    }
    if (interrupt && !broken_) signals_->used_buffers();
    update_watches();
}

void VirtioConsole::fail(const Error& e) {
    log::warning(kLog, "{}; the device needs a reset", e.message());
    broken_ = true;
    signals_->needs_reset();
}

Result<std::optional<VirtqChain>> VirtioConsole::next(unsigned queue) {
    Virtqueue& q = queues_[queue];
    for (;;) {
        Result<std::optional<VirtqChain>> chain = q.pop();
        if (!chain || chain->has_value()) return chain;
        // Buffers that arrived while notifications were off are taken now, or they would
        // wait for a kick that never comes.
        if (!q.enable_notifications()) return chain;
    }
}

bool VirtioConsole::push(unsigned queue, uint16_t head, uint32_t written) {
    if (Status s = queues_[queue].push(head, written); !s) {
        fail(s.error());
        return false;
    }
    pushed_[queue] = true;
    return true;
}

void VirtioConsole::accept_clients(size_t p) {
    Port& port = *ports_[p];
    if (!port.listener) return;
    for (;;) {
        int fd = ::accept4(port.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log::warning(kLog, "port {}: accepting on '{}': {}", p, port.path,
                             std::strerror(errno));
            return;
        }
        if (port.client) {
            ::close(fd);
            log::info(kLog, "port {}: refused a second client on '{}'", p, port.path);
            continue;
        }
        {
            std::lock_guard lock(host_mu_);
            port.client.reset(fd);
        }
        port.connected = true;
        port.hup_pending = false;
        log::info(kLog, "port {}: client attached on '{}'", p, port.path);
        if (multiport_ && port.ready && p != 0) queue_control(p, kPortOpen, 1);
    }
}

void VirtioConsole::drop_client(size_t p, const std::string& why) {
    Port& port = *ports_[p];
    {
        std::lock_guard lock(host_mu_);
        port.client.reset();
    }
    port.connected = false;
    port.hup_pending = false;
    port.tx_blocked = false;
    port.want_read = false;
    log::info(kLog, "port {}: client on '{}' detached: {}", p, port.path, why);
    if (multiport_ && port.ready && p != 0) queue_control(p, kPortOpen, 0);
}

bool VirtioConsole::control_in() {
    if (!queues_[kControlTx].enabled()) return true;
    for (;;) {
        Result<std::optional<VirtqChain>> next_chain = next(kControlTx);
        if (!next_chain) {
            fail(next_chain.error());
            return false;
        }
        if (!next_chain->has_value()) return true;
        const VirtqChain& chain = **next_chain;
        if (!chain.writable.empty() || chain.readable_len < kControlSize) {
            fail(make_error(ErrorCode::InternalError, ErrorDomain::Device,
                            "virtio-console: control message {} is {} bytes with {} writable",
                            chain.head, chain.readable_len, chain.writable_len));
            return false;
        }
        uint8_t msg[kControlSize];
        gather(chain, msg, kControlSize);
        if (!push(kControlTx, chain.head, 0)) return false;
        uint32_t id = msg[0] | msg[1] << 8 | msg[2] << 16 | static_cast<uint32_t>(msg[3]) << 24;
        auto event = static_cast<uint16_t>(msg[4] | msg[5] << 8);
        auto value = static_cast<uint16_t>(msg[6] | msg[7] << 8);
        handle_control(id, event, value);
    }
}

void VirtioConsole::handle_control(uint32_t id, uint16_t event, uint16_t value) {
    if (event == kDeviceReady) {
        if (value != 1) {
            log::warning(kLog, "the driver could not set up the console (DEVICE_READY 0)");
            return;
        }
        for (size_t p = 0; p < ports_.size(); ++p)
            queue_control(static_cast<uint32_t>(p), kDeviceAdd, 0);
        return;
    }
    if (id >= ports_.size()) {
        // A driver bug, harmless to the device: the port does not exist.
        log::warning(kLog, "control event {} for port {}, which does not exist", event, id);
        return;
    }
    Port& port = *ports_[id];
    switch (event) {
    case kPortReady:
        if (value != 1) {
            log::warning(kLog, "the driver could not add port {}", id);
            return;
        }
        port.ready = true;
        if (id == 0) {
            queue_control(0, kConsolePort, 1);
            queue_control(0, kPortOpen, 1);
        } else {
            if (!port.name.empty()) queue_control(id, kPortName, 1, port.name);
            queue_control(id, kPortOpen, port.client ? 1 : 0);
        }
        return;
    case kPortOpen:
        port.guest_open = value != 0;
        return;
    default:
        log::debug(kLog, "ignoring control event {} for port {}", event, id);
        return;
    }
}

void VirtioConsole::queue_control(uint32_t id, uint16_t event, uint16_t value,
                                  const std::string& extra) {
    std::vector<uint8_t> msg(kControlSize + extra.size());
    for (unsigned i = 0; i < 4; ++i)
        msg[i] = static_cast<uint8_t>(id >> (8 * i));
    msg[4] = static_cast<uint8_t>(event);
    msg[5] = static_cast<uint8_t>(event >> 8);
    msg[6] = static_cast<uint8_t>(value);
    msg[7] = static_cast<uint8_t>(value >> 8);
    std::memcpy(msg.data() + kControlSize, extra.data(), extra.size());
    if (event == kPortOpen) {
        // Only the latest state matters: a client that reconnects in a loop while the driver
        // gives no buffers cannot fill the queue.
        for (std::vector<uint8_t>& m : control_pending_) {
            if (std::equal(m.begin(), m.begin() + 6, msg.begin())) {
                m = std::move(msg);
                return;
            }
        }
    }
    if (control_pending_.size() >= kMaxPendingControl) {
        if (!control_overflow_logged_)
            log::warning(kLog, "the driver takes no control messages; dropping them");
        control_overflow_logged_ = true;
        return;
    }
    control_pending_.push_back(std::move(msg));
}

bool VirtioConsole::control_out() {
    if (!queues_[kControlRx].enabled()) return true;
    while (!control_pending_.empty()) {
        Result<std::optional<VirtqChain>> next_chain = next(kControlRx);
        if (!next_chain) {
            fail(next_chain.error());
            return false;
        }
        if (!next_chain->has_value()) return true;
        const VirtqChain& chain = **next_chain;
        if (!chain.readable.empty() || chain.writable_len < kControlSize) {
            fail(make_error(ErrorCode::InternalError, ErrorDomain::Device,
                            "virtio-console: control receive buffer {} has {} writable bytes "
                            "and {} readable",
                            chain.head, chain.writable_len, chain.readable_len));
            return false;
        }
        // A name longer than the buffer is cut short (Linux gives a page).
        uint32_t n = scatter(chain, control_pending_.front());
        queues_[kControlRx].mark_written(chain, n);
        if (!push(kControlRx, chain.head, n)) return false;
        control_pending_.pop_front();
        control_overflow_logged_ = false;
    }
    return true;
}

bool VirtioConsole::transmit(size_t p) {
    Port& port = *ports_[p];
    const unsigned qi = rx_queue(p) + 1;
    Virtqueue& q = queues_[qi];
    port.tx_blocked = false;
    if (!q.enabled()) return true;
    std::vector<iovec> iov;
    for (;;) {
        if (!port.tx) {
            Result<std::optional<VirtqChain>> next_chain = next(qi);
            if (!next_chain) {
                fail(next_chain.error());
                return false;
            }
            if (!next_chain->has_value()) return true;
            if (!(*next_chain)->writable.empty()) {
                fail(make_error(ErrorCode::InternalError, ErrorDomain::Device,
                                "virtio-console: port {} transmit chain {} has device-writable "
                                "buffers",
                                p, (*next_chain)->head));
                return false;
            }
            port.tx = std::move(**next_chain);
            port.tx_done = 0;
        }
        const VirtqChain& chain = *port.tx;
        if (!port.client) {
            port.dropped += chain.readable_len - port.tx_done;
        } else if (port.tx_done < chain.readable_len) {
            msghdr msg{};
            msg.msg_iovlen = to_iovecs(chain.readable, port.tx_done, iov);
            msg.msg_iov = iov.data();
            ssize_t n = ::sendmsg(port.client.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    // Backpressure: the chain stays ours until the client reads.
                    port.tx_blocked = true;
                    q.disable_notifications();
                    return true;
                }
                drop_client(p, std::strerror(errno));
                continue; // the rest of the chain is dropped
            }
            port.tx_done += static_cast<uint64_t>(n);
            port.to_host += static_cast<uint64_t>(n);
            if (port.tx_done < chain.readable_len) continue;
        }
        uint16_t head = chain.head;
        port.tx.reset();
        if (!push(qi, head, 0)) return false;
    }
}

bool VirtioConsole::receive(size_t p) {
    Port& port = *ports_[p];
    const unsigned qi = rx_queue(p);
    Virtqueue& q = queues_[qi];
    port.want_read = false;
    if (!port.client) return true;
    std::vector<iovec> iov;
    // Closed guest ports get nothing: the bytes wait in the socket (Linux would discard them).
    while (q.enabled() && port.guest_open) {
        if (!port.rx) {
            Result<std::optional<VirtqChain>> next_chain = next(qi);
            if (!next_chain) {
                fail(next_chain.error());
                return false;
            }
            if (!next_chain->has_value()) break;
            if (!(*next_chain)->readable.empty()) {
                fail(make_error(ErrorCode::InternalError, ErrorDomain::Device,
                                "virtio-console: port {} receive chain {} has device-readable "
                                "buffers",
                                p, (*next_chain)->head));
                return false;
            }
            port.rx = std::move(**next_chain);
        }
        const VirtqChain& chain = *port.rx;
        if (chain.writable_len == 0) { // zero-length descriptors: nothing fits
            uint16_t head = chain.head;
            port.rx.reset();
            if (!push(qi, head, 0)) return false;
            continue;
        }
        msghdr msg{};
        msg.msg_iovlen = to_iovecs(chain.writable, 0, iov);
        msg.msg_iov = iov.data();
        ssize_t n = ::recvmsg(port.client.get(), &msg, MSG_DONTWAIT);
        if (n > 0) {
            auto written = static_cast<uint32_t>(n);
            q.mark_written(chain, written);
            port.to_guest += written;
            uint16_t head = chain.head;
            port.rx.reset();
            if (!push(qi, head, written)) return false;
            continue;
        }
        if (n == 0) {
            drop_client(p, "end of file");
            return true;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            port.want_read = true; // the held buffer waits for POLLIN
            return true;
        }
        drop_client(p, std::strerror(errno));
        return true;
    }
    // Not reading: still notice a client that hung up, since its POLLHUP wakes the worker.
    if (port.hup_pending) return true;
    pollfd pfd{port.client.get(), 0, 0};
    if (::poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR)) != 0) {
        int unread = 0;
        if (::ioctl(port.client.get(), FIONREAD, &unread) == 0 && unread > 0)
            port.hup_pending = true; // its last bytes still go to the guest, then EOF
        else
            drop_client(p, "hung up");
    }
    return true;
}

void VirtioConsole::update_watches() {
    for (size_t p = 0; p < ports_.size(); ++p) {
        const Port& port = *ports_[p];
        // A broken device watches nothing: new clients or bytes would wake it for nothing.
        if (broken_ || !port.listener) {
            worker_.watch(2 * p, -1, 0);
        } else {
            worker_.watch(2 * p, port.listener.get(), POLLIN);
        }
        auto events =
            static_cast<short>((port.want_read ? POLLIN : 0) | (port.tx_blocked ? POLLOUT : 0));
        if (broken_ || !port.client || (events == 0 && port.hup_pending))
            worker_.watch(2 * p + 1, -1, 0);
        else
            worker_.watch(2 * p + 1, port.client.get(), events); // POLLHUP always wakes
    }
}

} // namespace virtd::pv::virtio
