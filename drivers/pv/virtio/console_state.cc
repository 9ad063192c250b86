// VirtioConsole's save and restore: what the guest did with each port (ready, open), the chains
// the device holds (by head), control messages waiting for the driver, and the queues'
// positions. Host clients belong to the old process: a port that had one is reported closed.
#include "drivers/pv/virtio/console.h"
#include "drivers/pv/virtio/console_port.h"

namespace virtd::pv::virtio {
namespace {

// VIRTIO_CONSOLE_PORT_OPEN (virtio 1.2 §5.3.6.2).
constexpr uint16_t kPortOpenEvent = 6;
// A control message is an 8-byte header and at most a port name.
constexpr size_t kMaxControlBytes = 4096;

void save_chain(StateWriter& w, const std::optional<VirtqChain>& c) {
    w.boolean(c.has_value());
    w.u16(c ? c->head : 0);
}

Status load_chain(StateReader& r, Virtqueue& q, std::optional<VirtqChain>& out) {
    bool held = r.boolean();
    uint16_t head = r.u16();
    if (!r.ok() || !held) return {};
    Result<VirtqChain> c = q.chain_at(head);
    if (!c) return c.error();
    out = std::move(*c);
    return {};
}

} // namespace

void VirtioConsole::quiesce() {
    worker_.stop();
}

void VirtioConsole::unquiesce() {
    if (signals_ != nullptr) (void)worker_.start([this] { serve(); }, 2 * ports_.size());
}

void VirtioConsole::save_state(StateWriter& w, bool active) const {
    w.u32(static_cast<uint32_t>(ports_.size()));
    if (!active) return;
    w.boolean(multiport_);
    w.boolean(broken_);
    for (const Virtqueue& q : queues_)
        save_queue_state(w, q);
    for (size_t i = 0; i < pushed_.size(); ++i)
        w.boolean(pushed_[i]);
    for (const auto& port : ports_) {
        w.boolean(port->ready);
        w.boolean(port->guest_open.load());
        w.boolean(port->connected.load());
        save_chain(w, port->tx);
        w.u64(port->tx_done);
        save_chain(w, port->rx);
    }
    w.u32(static_cast<uint32_t>(control_pending_.size()));
    for (const std::vector<uint8_t>& m : control_pending_)
        w.blob(m);
}

Status VirtioConsole::restore_state(bool active, uint64_t features,
                                    std::span<const QueueConfig> queues, VirtioSignals& signals,
                                    StateReader& r) {
    reset();
    uint32_t ports = r.u32();
    if (r.ok() && ports != ports_.size())
        r.fail(fmt::format("{} ports saved, {} configured", ports, ports_.size()));
    if (!r.ok()) return bad_device_state("virtio-console", r.error());
    if (!active) return {};
    multiport_ = r.boolean();
    broken_ = r.boolean();
    for (unsigned i = 0; i < queues_.size(); ++i)
        if (Status s = restore_queue_state(r, queues_[i], i, features, queues); !s) return s;
    for (size_t i = 0; i < pushed_.size(); ++i)
        pushed_[i] = r.boolean();
    std::vector<size_t> hung_up;
    for (size_t p = 0; p < ports_.size() && r.ok(); ++p) {
        Port& port = *ports_[p];
        port.ready = r.boolean();
        port.guest_open = r.boolean();
        if (r.boolean()) hung_up.push_back(p);
        if (Status s = load_chain(r, queues_[rx_queue(p) + 1], port.tx); !s) return s;
        port.tx_done = r.u64();
        if (port.tx && port.tx_done > port.tx->readable_len)
            r.fail("transmit progress past its chain");
        if (Status s = load_chain(r, queues_[rx_queue(p)], port.rx); !s) return s;
    }
    uint32_t messages = r.count(kMaxPendingControl, 4);
    for (uint32_t i = 0; i < messages && r.ok(); ++i) {
        std::span<const uint8_t> m = r.blob(kMaxControlBytes);
        control_pending_.emplace_back(m.begin(), m.end());
    }
    r.expect_end();
    if (!r.ok()) {
        clear_guest_state();
        return bad_device_state("virtio-console", r.error());
    }
    signals_ = &signals;
    // The clients of the saved process are gone; the guest learns it as from a hang-up.
    for (size_t p : hung_up)
        if (multiport_ && ports_[p]->ready && p != 0) queue_control(p, kPortOpenEvent, 0);
    return worker_.start([this] { serve(); }, 2 * ports_.size());
}

} // namespace virtd::pv::virtio
