// VirtioBalloon: the traditional memory balloon (virtio 1.2 §5.5), so the host can take memory
// back from a running guest and see how the guest uses its memory. The VMM sets a target;
// the guest driver gives pages to the balloon (inflateq), which the device hands back to the
// host with GuestRam::discard, and takes pages back (deflateq), which refill on first touch.
// With STATS_VQ the driver also reports memory statistics on request (statsq).
//
// Thread safety: the VirtioDevice methods run under the transport's device lock; the queues
// are served on the device's worker thread, which activate() starts and reset() stops. The
// VMM-facing methods (set_target, target, actual, stats, counters, request_stats,
// set_stats_period) may be called from any thread at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "common/fd.h"
#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"
#include "drivers/pv/virtio/worker.h"

namespace virtd::pv::virtio {

// Device feature bits (virtio 1.2 §5.5.3).
constexpr unsigned kBalloonFeatureStatsVq = 1;
constexpr unsigned kBalloonFeatureDeflateOnOom = 2;

// The guest's last memory statistics (§5.5.6.3): a field is set when the driver reported it.
// Memory sizes are in bytes, the others are counts.
struct BalloonStats {
    std::optional<uint64_t> swap_in;
    std::optional<uint64_t> swap_out;
    std::optional<uint64_t> major_faults;
    std::optional<uint64_t> minor_faults;
    std::optional<uint64_t> free_memory;
    std::optional<uint64_t> total_memory;
    std::optional<uint64_t> available_memory;
    std::optional<uint64_t> disk_caches;
    std::optional<uint64_t> hugetlb_allocations;
    std::optional<uint64_t> hugetlb_failures;
    // When the device received them; unset until the driver first reported.
    std::optional<std::chrono::system_clock::time_point> updated;
};

// What the balloon has done since it was created (monitoring; never reset).
struct BalloonCounters {
    uint64_t inflated_pages = 0; // 4 KiB pages the driver gave and the host discarded
    uint64_t deflated_pages = 0; // 4 KiB pages the driver took back
    uint64_t ignored_pages = 0;  // inflated page numbers outside guest RAM
};

class VirtioBalloon : public VirtioDevice {
public:
    static constexpr uint64_t kPageSize = 4096; // the balloon's unit, whatever the guest's
    static constexpr unsigned kInflateQueue = 0, kDeflateQueue = 1, kStatsQueue = 2;

    // `ram_bytes`: the guest's RAM size, the largest target. With `deflate_on_oom` the guest
    // may take pages back from the balloon when it runs out of memory (and then does not count
    // the balloon out of MemTotal); off by default, as in libvirt.
    VirtioBalloon(GuestRam& ram, uint64_t ram_bytes, bool deflate_on_oom = false);
    ~VirtioBalloon() override;

    int notify_fd() const { return worker_.notify_fd(); }

    // The balloon size the host wants, rounded down to 4 KiB pages; tells the driver through a
    // configuration change. Fails when larger than guest RAM.
    Status set_target(uint64_t bytes);
    uint64_t target() const;
    // Bytes the driver says are in the balloon (its last write of `actual`).
    uint64_t actual() const;
    BalloonStats stats() const;
    BalloonCounters counters() const;
    // Asks the driver for fresh statistics (they arrive later, see stats().updated). Nothing
    // happens unless the driver negotiated STATS_VQ.
    void request_stats();
    // Asks every `seconds` (0 stops); kept across resets.
    Status set_stats_period(unsigned seconds);

    DeviceId device_id() const override { return DeviceId::Balloon; }
    uint64_t features() const override;
    unsigned queue_count() const override { return 3; }
    uint64_t read_config(uint64_t offset, unsigned size) override;
    void write_config(uint64_t offset, unsigned size, uint64_t value) override;
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
    // Worker thread only.
    void serve();
    bool serve_pages(Virtqueue& queue, bool inflate);
    bool serve_stats();
    Status take_pfns(const VirtqChain& chain, bool inflate);
    void discard_run(uint64_t first_pfn, uint64_t pages);
    void parse_stats(const VirtqChain& chain);
    void fail();

    GuestRam& ram_;
    const uint64_t ram_pages_;
    const bool deflate_on_oom_;
    Virtqueue inflate_;
    Virtqueue deflate_;
    Virtqueue stats_queue_;
    UniqueFd stats_timer_;

    mutable std::mutex mu_;
    uint32_t target_pages_ = 0;        // guarded by mu_
    uint32_t actual_pages_ = 0;        // guarded by mu_
    BalloonStats stats_;               // guarded by mu_
    VirtioSignals* signals_ = nullptr; // guarded by mu_ for writers and set_target; the worker
                                       // reads it lock-free (only written while it is stopped)

    std::atomic<uint64_t> inflated_{0}, deflated_{0}, ignored_{0};
    std::atomic<bool> stats_wanted_{false};

    // Worker state, touched only by the worker or while it is stopped.
    bool broken_ = false;                // a queue failed: nothing more until a reset
    std::optional<uint16_t> held_stats_; // the stats buffer the device keeps
    bool warned_outside_ = false;        // logged an out-of-RAM page number
    bool warned_discard_ = false;        // logged a failed discard
    VirtioWorker worker_;
};

} // namespace virtd::pv::virtio
