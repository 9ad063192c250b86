// VirtioDevice: what a virtio device (blk, net, console, rng, balloon) implements, independent
// of the transport that presents it to the guest (virtio-mmio here; the device never sees
// transport registers).
//
// The transport owns feature negotiation, device status and the queue registers; it calls
// activate() once the driver has set DRIVER_OK with the negotiated features and the queues the
// driver made ready, and reset() when the driver writes 0 to the status register. A device
// reports completions and configuration changes through the VirtioSignals it was activated
// with.
//
// Thread safety: the transport calls every method with its own lock held (vCPU threads);
// signals may be raised from any thread, including the device's own worker threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/state_codec.h"

namespace virtd::pv::virtio {

// Feature bits the transport itself deals with (virtio 1.2 §6).
constexpr unsigned kFeatureIndirectDesc = 28;
constexpr unsigned kFeatureEventIdx = 29;
constexpr unsigned kFeatureVersion1 = 32;

// Device ids (virtio 1.2 §5).
enum class DeviceId : uint32_t {
    Net = 1,
    Block = 2,
    Console = 3,
    Entropy = 4,
    Balloon = 5,
};

// One queue as the driver configured it: guest-physical addresses of its three parts.
struct QueueConfig {
    unsigned index = 0;
    uint16_t size = 0;
    uint64_t desc = 0;
    uint64_t driver = 0; // the available ring
    uint64_t device = 0; // the used ring
};

// How a device reaches the driver.
class VirtioSignals {
public:
    virtual ~VirtioSignals() = default;
    // Used buffers were added to a queue (interrupt status bit 0).
    virtual void used_buffers() = 0;
    // The configuration space changed (bit 1; the generation counter moves).
    virtual void config_changed() = 0;
    // The device hit an error it cannot recover from (a malformed queue): DEVICE_NEEDS_RESET.
    virtual void needs_reset() = 0;
};

class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;

    virtual DeviceId device_id() const = 0;
    // Device-specific and ring feature bits offered; the transport adds VERSION_1.
    virtual uint64_t features() const = 0;
    virtual unsigned queue_count() const = 0;
    virtual uint16_t queue_max_size(unsigned /*queue*/) const { return 256; }

    // Device configuration space: `size` bytes at `offset`, little-endian.
    virtual uint64_t read_config(uint64_t offset, unsigned size) = 0;
    virtual void write_config(uint64_t /*offset*/, unsigned /*size*/, uint64_t /*value*/) {}

    // DRIVER_OK: starts work on the ready queues. An error sets DEVICE_NEEDS_RESET and is
    // logged by the transport with the device's name.
    virtual Status activate(uint64_t features, std::span<const QueueConfig> queues,
                            VirtioSignals& signals) = 0;
    // The driver notified a queue (a write to QueueNotify that no ioeventfd took).
    virtual void notify(unsigned queue) = 0;
    // Back to the initial state: stop using every queue and forget the negotiated features.
    virtual void reset() = 0;

    // Save and restore (drivers/kvm/vmm/STATE.md); `active` says whether the transport has
    // activated the device (DRIVER_OK). quiesce() returns once every request the device started
    // has completed and gone back to the driver and its threads are stopped: until unquiesce(),
    // nothing touches guest RAM or the device's state. Only while the vCPUs are paused.
    virtual void quiesce() = 0;
    virtual void unquiesce() = 0;
    // The device's state while quiesced: its own registers, then (when active) each queue's
    // position and the heads of the chains it holds, for restore_state() of the same device.
    virtual void save_state(StateWriter& w, bool active) const = 0;
    // In a new process, in place of activate() when `active`: the transport's negotiated
    // features and ready queues, then what save_state() wrote (untrusted: every field checked).
    // The device then works as after activate(). Guest RAM must already hold the saved contents.
    virtual Status restore_state(bool active, uint64_t features,
                                 std::span<const QueueConfig> queues, VirtioSignals& signals,
                                 StateReader& r) = 0;
};

// Helpers for devices' save_state()/restore_state().
class Virtqueue;
void save_queue_state(StateWriter& w, const Virtqueue& q);
// Enables `q` from the transport's configuration of queue `index` (if the driver made it ready)
// and sets its saved position; an error names the queue.
Status restore_queue_state(StateReader& r, Virtqueue& q, unsigned index, uint64_t features,
                           std::span<const QueueConfig> queues);
// The error a device reports for a malformed saved state.
Error bad_device_state(std::string_view device, std::string_view why);

} // namespace virtd::pv::virtio
