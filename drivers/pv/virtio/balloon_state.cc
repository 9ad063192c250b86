// VirtioBalloon's save and restore: the target and actual sizes, the queues' positions, and the
// statistics buffer the device keeps to answer the next request with (by its head).
#include "drivers/pv/virtio/balloon.h"

namespace virtd::pv::virtio {

void VirtioBalloon::quiesce() {
    worker_.stop();
}

void VirtioBalloon::unquiesce() {
    bool active = false;
    {
        std::lock_guard lock(mu_);
        active = signals_ != nullptr;
    }
    if (active) (void)worker_.start([this] { serve(); }, 1);
}

void VirtioBalloon::save_state(StateWriter& w, bool active) const {
    {
        std::lock_guard lock(mu_);
        w.u32(target_pages_);
        w.u32(actual_pages_);
    }
    if (!active) return;
    w.boolean(broken_);
    w.boolean(held_stats_.has_value());
    w.u16(held_stats_.value_or(0));
    save_queue_state(w, inflate_);
    save_queue_state(w, deflate_);
    save_queue_state(w, stats_queue_);
}

Status VirtioBalloon::restore_state(bool active, uint64_t features,
                                    std::span<const QueueConfig> queues, VirtioSignals& signals,
                                    StateReader& r) {
    reset();
    uint32_t target = r.u32();
    uint32_t actual = r.u32();
    if (r.ok() && (target > ram_pages_ || actual > ram_pages_))
        r.fail("balloon sizes larger than guest RAM");
    if (!r.ok()) return bad_device_state("virtio-balloon", r.error());
    {
        std::lock_guard lock(mu_);
        target_pages_ = target;
        actual_pages_ = actual;
    }
    if (!active) return {};
    broken_ = r.boolean();
    bool held = r.boolean();
    uint16_t head = r.u16();
    if (Status s = restore_queue_state(r, inflate_, kInflateQueue, features, queues); !s) return s;
    if (Status s = restore_queue_state(r, deflate_, kDeflateQueue, features, queues); !s) return s;
    if (Status s = restore_queue_state(r, stats_queue_, kStatsQueue, features, queues); !s)
        return s;
    if (r.ok() && held && (!stats_queue_.enabled() || head >= stats_queue_.size()))
        r.fail(fmt::format("held statistics buffer {} is not in the statistics queue", head));
    if (!r.ok()) return bad_device_state("virtio-balloon", r.error());
    if (held) held_stats_ = head;
    {
        std::lock_guard lock(mu_);
        signals_ = &signals;
    }
    return worker_.start([this] { serve(); }, 1);
}

} // namespace virtd::pv::virtio
