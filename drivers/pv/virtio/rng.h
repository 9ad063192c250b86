// VirtioRng: the entropy device (virtio 1.2 §5.4), Linux's virtio_rng hw_random source. One
// request queue; every writable buffer the driver offers is filled from the host's getrandom.
//
// Thread safety: the VirtioDevice methods run under the transport's device lock; the queue is
// served on the device's worker thread, which activate() starts and reset() stops.
#pragma once

#include <memory>

#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"
#include "drivers/pv/virtio/worker.h"

namespace virtd::pv::virtio {

class VirtioRng : public VirtioDevice {
public:
    // Bytes given for one request at most: a driver asking for more gets a short answer, which
    // the protocol allows, and one request cannot hold the thread for long.
    static constexpr uint32_t kMaxRequestBytes = 64 << 10;

    explicit VirtioRng(GuestRam& ram);
    ~VirtioRng() override;

    int notify_fd() const { return worker_.notify_fd(); }

    DeviceId device_id() const override { return DeviceId::Entropy; }
    uint64_t features() const override;
    unsigned queue_count() const override { return 1; }
    uint64_t read_config(uint64_t /*offset*/, unsigned /*size*/) override { return 0; }
    Status activate(uint64_t features, std::span<const QueueConfig> queues,
                    VirtioSignals& signals) override;
    void notify(unsigned queue) override;
    void reset() override;
    void quiesce() override;
    void unquiesce() override;
    void save_state(StateWriter& w, bool active) const override;
    Status restore_state(bool active, uint64_t features, std::span<const QueueConfig> queues,
                         VirtioSignals& signals, StateReader& r) override;

private:
    void serve();

    Virtqueue queue_;
    VirtioSignals* signals_ = nullptr; // set by activate(), used by the worker
    bool broken_ = false;              // the queue failed: nothing more until a reset
    VirtioWorker worker_;
};

} // namespace virtd::pv::virtio
