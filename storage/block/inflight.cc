#include "storage/block/inflight.h"

namespace virtd::storage {

void Inflight::begin() {
    std::lock_guard lock(mu_);
    count_++;
}

void Inflight::end() {
    std::lock_guard lock(mu_);
    // Notified under the lock: a drainer may destroy the backend (and this object) as soon as
    // it sees zero, so nothing may touch members after the lock is released.
    if (--count_ == 0) idle_.notify_all();
}

void Inflight::wait_idle() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return count_ == 0; });
}

} // namespace virtd::storage
