// VirtioBlk's save and restore. quiesce() waits for the backend and returns every completed
// request to the driver, so a saved disk holds no request: only the queue's position is kept.
#include "drivers/pv/virtio/blk.h"

namespace virtd::pv::virtio {

void VirtioBlk::quiesce() {
    worker_.stop();
    backend_->drain();
    if (queue_.enabled()) complete_done();
}

void VirtioBlk::unquiesce() {
    if (queue_.enabled() && signals_ != nullptr) (void)worker_.start([this] { serve(); });
}

void VirtioBlk::save_state(StateWriter& w, bool active) const {
    if (!active) return;
    w.boolean(broken_);
    save_queue_state(w, queue_);
}

Status VirtioBlk::restore_state(bool active, uint64_t features, std::span<const QueueConfig> queues,
                                VirtioSignals& signals, StateReader& r) {
    reset();
    if (!active) return {};
    broken_ = r.boolean();
    if (Status s = restore_queue_state(r, queue_, 0, features, queues); !s) return s;
    if (!r.ok()) return bad_device_state("virtio-blk", r.error());
    signals_ = &signals;
    if (!queue_.enabled()) return {};
    return worker_.start([this] { serve(); });
}

} // namespace virtd::pv::virtio
