// VirtioNet's save and restore: link status, the queues' positions, the receive chains the
// device has taken (by head) and a received frame still waiting for more of them. The backend
// (tap, switch port) is the new process's own.
#include "drivers/pv/virtio/net.h"

namespace virtd::pv::virtio {
namespace {

// Chains held at most: one queue's worth, as on the ring.
constexpr uint32_t kMaxHeld = Virtqueue::kMaxSize;

} // namespace

void VirtioNet::quiesce() {
    worker_.stop();
}

void VirtioNet::unquiesce() {
    bool active = false;
    {
        std::lock_guard lock(mu_);
        active = signals_ != nullptr;
    }
    watching_ = false; // a new worker thread watches nothing at first
    if (active && (rxq_.enabled() || txq_.enabled())) (void)worker_.start([this] { serve(); }, 1);
}

void VirtioNet::save_state(StateWriter& w, bool active) const {
    w.u16(status_.load());
    if (!active) return;
    w.boolean(mergeable_);
    w.boolean(broken_);
    save_queue_state(w, rxq_);
    save_queue_state(w, txq_);
    w.u32(static_cast<uint32_t>(spare_.size()));
    for (const VirtqChain& c : spare_)
        w.u16(c.head);
    w.u32(static_cast<uint32_t>(filled_.size()));
    for (const Filled& f : filled_) {
        w.u16(f.chain.head);
        w.u32(f.written);
    }
    w.u32(delivered_);
    w.blob(std::span(rx_buf_.data(), pending_));
}

Status VirtioNet::restore_state(bool active, uint64_t features, std::span<const QueueConfig> queues,
                                VirtioSignals& signals, StateReader& r) {
    reset();
    uint16_t status = r.u16();
    if (!r.ok()) return bad_device_state("virtio-net", r.error());
    status_.store(status & kNetStatusLinkUp);
    if (!active) return {};
    mergeable_ = r.boolean();
    broken_ = r.boolean();
    if (Status s = restore_queue_state(r, rxq_, kReceiveQueue, features, queues); !s) return s;
    if (Status s = restore_queue_state(r, txq_, kTransmitQueue, features, queues); !s) return s;
    auto held_chain = [&](uint16_t head) -> Result<VirtqChain> {
        if (!rxq_.enabled())
            return bad_device_state("virtio-net", "held chains without a receiveq");
        return rxq_.chain_at(head);
    };
    uint32_t spares = r.count(kMaxHeld, 2);
    for (uint32_t i = 0; i < spares && r.ok(); ++i) {
        Result<VirtqChain> c = held_chain(r.u16());
        if (!c) return c.error();
        spare_.push_back(std::move(*c));
    }
    uint32_t filled = r.count(kMaxHeld, 6);
    for (uint32_t i = 0; i < filled && r.ok(); ++i) {
        Result<VirtqChain> c = held_chain(r.u16());
        if (!c) return c.error();
        uint32_t written = r.u32();
        if (written > c->writable_len) r.fail("a held chain filled beyond its length");
        filled_buffers_ += c->writable.size();
        filled_.push_back({std::move(*c), written});
    }
    delivered_ = r.u32();
    std::span<const uint8_t> frame = r.blob(rx_buf_.size());
    if (r.ok() && !frame.empty() && frame.size() < kNetHeaderSize)
        r.fail("a pending frame shorter than its header");
    if (r.ok() && delivered_ > frame.size())
        r.fail("more of a pending frame delivered than it has");
    r.expect_end();
    if (!r.ok()) {
        clear_rx_state();
        return bad_device_state("virtio-net", r.error());
    }
    std::copy(frame.begin(), frame.end(), rx_buf_.begin());
    pending_ = static_cast<uint32_t>(frame.size());
    {
        std::lock_guard lock(mu_);
        signals_ = &signals;
    }
    if (!rxq_.enabled() && !txq_.enabled()) return {};
    return worker_.start([this] { serve(); }, 1);
}

} // namespace virtd::pv::virtio
