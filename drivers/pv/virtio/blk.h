// VirtioBlk: the block device (virtio 1.2 §5.2), Linux's virtio_blk /dev/vdX. Requests are read
// from one queue on the device's worker thread and handed to a storage::BlockBackend with the
// guest's buffers as they are (no copy); completions come back on the backend's threads and
// are returned to the driver by the worker, so the ring is only ever touched by one thread.
//
// Supported: read, write, flush, get-id (serial), discard and write-zeroes, read-only disks.
//
// Thread safety: the VirtioDevice methods run under the transport's device lock; counters()
// and describe() from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"
#include "drivers/pv/virtio/worker.h"
#include "storage/block/block_backend.h"

namespace virtd::pv::virtio {

// What query-block reports for a disk.
struct BlockCounters {
    uint64_t rd_req = 0, rd_bytes = 0, wr_req = 0, wr_bytes = 0, flush_req = 0, discard_req = 0;
    uint64_t errors = 0;
};

class VirtioBlk : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 256;
    // The serial a driver reads with GET_ID: at most 20 bytes, not NUL-terminated when full.
    static constexpr size_t kSerialBytes = 20;

    VirtioBlk(GuestRam& ram, std::unique_ptr<storage::BlockBackend> backend, std::string serial);
    ~VirtioBlk() override;

    int notify_fd() const { return worker_.notify_fd(); }
    BlockCounters counters() const;
    const storage::BlockInfo& info() const { return backend_->info(); }
    const std::string& serial() const { return serial_; }

    DeviceId device_id() const override { return DeviceId::Block; }
    uint64_t features() const override;
    unsigned queue_count() const override { return 1; }
    uint16_t queue_max_size(unsigned /*queue*/) const override { return kQueueSize; }
    uint64_t read_config(uint64_t offset, unsigned size) override;
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
    struct Request;

    void serve();
    // Parses a chain and submits it (or answers it at once); false when the chain is malformed.
    bool start(VirtqChain&& chain);
    void finish(Request& r, uint8_t status);
    void complete_done();
    void broken(const Error& e);
    void stop();

    std::unique_ptr<storage::BlockBackend> backend_;
    const std::string serial_;
    std::vector<uint8_t> config_;
    Virtqueue queue_;
    VirtioSignals* signals_ = nullptr;
    bool broken_ = false; // worker thread only

    std::mutex done_mu_;
    std::vector<Request*> done_; // completed by the backend, waiting for the worker; done_mu_

    struct AtomicCounters {
        std::atomic<uint64_t> rd_req{0}, rd_bytes{0}, wr_req{0}, wr_bytes{0}, flush_req{0},
            discard_req{0}, errors{0};
    } counters_;
    VirtioWorker worker_;
};

} // namespace virtd::pv::virtio
