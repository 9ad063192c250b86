#include "drivers/pv/virtio/rng.h"

#include <algorithm>

#include <sys/random.h>

namespace virtd::pv::virtio {

VirtioRng::VirtioRng(GuestRam& ram)
    : queue_(ram, 0)
    , worker_("virtio-rng") {}

VirtioRng::~VirtioRng() {
    worker_.stop();
}

uint64_t VirtioRng::features() const {
    return (1ULL << kFeatureIndirectDesc) | (1ULL << kFeatureEventIdx);
}

Status VirtioRng::activate(uint64_t features, std::span<const QueueConfig> queues,
                           VirtioSignals& signals) {
    worker_.stop();
    queue_.disable();
    broken_ = false;
    signals_ = &signals;
    for (const QueueConfig& q : queues) {
        if (q.index != 0) continue;
        VirtqConfig c{q.size, q.desc, q.driver, q.device, features};
        if (Status s = queue_.enable(c); !s) return s;
    }
    if (!queue_.enabled()) return {}; // the driver uses no queue: nothing to serve
    return worker_.start([this] { serve(); });
}

void VirtioRng::notify(unsigned /*queue*/) {
    worker_.kick();
}

void VirtioRng::reset() {
    worker_.stop();
    queue_.disable();
    signals_ = nullptr;
    broken_ = false;
}

void VirtioRng::serve() {
    if (broken_) return;
    for (;;) {
        Result<std::optional<VirtqChain>> next = queue_.pop();
        if (!next) {
            broken_ = true;
            signals_->needs_reset();
            return;
        }
        if (!next->has_value()) {
            if (queue_.needs_interrupt()) signals_->used_buffers();
            // Buffers that arrived while notifications were off are served now, or they would
            // wait for a kick that never comes.
            if (queue_.enable_notifications()) continue;
            return;
        }
        VirtqChain& chain = **next;
        uint32_t budget = kMaxRequestBytes, written = 0;
        for (const VirtqBuffer& b : chain.writable) {
            uint32_t want = std::min(b.len, budget - written);
            uint32_t got = 0;
            while (got < want) {
                ssize_t n = getrandom(b.host + got, want - got, 0);
                if (n <= 0) break; // EINTR: give what we have
                got += static_cast<uint32_t>(n);
            }
            written += got;
            if (got < b.len || written == budget) break;
        }
        queue_.mark_written(chain, written);
        if (Status s = queue_.push(chain.head, written); !s) {
            broken_ = true;
            signals_->needs_reset();
            return;
        }
    }
}

} // namespace virtd::pv::virtio
