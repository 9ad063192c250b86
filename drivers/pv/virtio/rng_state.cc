// VirtioRng's save and restore: the queue's position is all there is (requests are answered
// on the spot, nothing is held).
#include "drivers/pv/virtio/rng.h"

namespace virtd::pv::virtio {

void VirtioRng::quiesce() {
    worker_.stop();
}

void VirtioRng::unquiesce() {
    if (queue_.enabled() && signals_ != nullptr) (void)worker_.start([this] { serve(); });
}

void VirtioRng::save_state(StateWriter& w, bool active) const {
    if (!active) return;
    w.boolean(broken_);
    save_queue_state(w, queue_);
}

Status VirtioRng::restore_state(bool active, uint64_t features, std::span<const QueueConfig> queues,
                                VirtioSignals& signals, StateReader& r) {
    reset();
    if (!active) return {};
    broken_ = r.boolean();
    if (Status s = restore_queue_state(r, queue_, 0, features, queues); !s) return s;
    if (!r.ok()) return bad_device_state("virtio-rng", r.error());
    signals_ = &signals;
    if (!queue_.enabled()) return {};
    return worker_.start([this] { serve(); });
}

} // namespace virtd::pv::virtio
