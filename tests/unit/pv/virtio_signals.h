// RecordingSignals: VirtioSignals for device unit tests, which wait on what a device's worker
// thread reports.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "drivers/pv/virtio/device.h"

namespace virtd::pv::virtio::testing {

class RecordingSignals : public VirtioSignals {
public:
    void used_buffers() override { bump(used); }
    void config_changed() override { bump(config); }
    void needs_reset() override { bump(resets); }

    // Waits up to 5 s for `done` (checked under the lock) to hold.
    bool wait(const std::function<bool()>& done) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, std::chrono::seconds(5), done);
    }

    std::mutex mu;
    std::condition_variable cv;
    unsigned used = 0, config = 0, resets = 0; // guarded by mu

private:
    void bump(unsigned& counter) {
        std::lock_guard lock(mu);
        ++counter;
        cv.notify_all();
    }
};

} // namespace virtd::pv::virtio::testing
