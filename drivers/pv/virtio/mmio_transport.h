// MmioTransport: the virtio-mmio register window (version 2, modern only; virtio 1.2 §4.2)
// in front of one VirtioDevice, in one of the virt machine's virtio-mmio slots.
//
// It owns what the spec puts in the transport: feature negotiation (the driver must accept
// VERSION_1 and nothing the device did not offer, or FEATURES_OK does not stick), the device
// status byte, per-queue registers, interrupt status and acknowledgement (a level-triggered line
// that stays high while any status bit is set), the configuration generation, and reset.
//
// Thread safety: vCPU threads call read()/write(); device threads call the VirtioSignals
// methods. `dev_mu_` serialises calls into the device and is taken first; `mu_` guards the
// registers and is never held across a device call, so a device may raise signals from inside
// notify() or activate(). The IrqLine is set with `mu_` held (mmio_device.h).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/pv/mmio_device.h"
#include "drivers/pv/virtio/device.h"

namespace virtd::pv::virtio {

// Register offsets (virtio 1.2 §4.2.2).
namespace mmio {
constexpr uint64_t kMagic = 0x000;
constexpr uint64_t kVersion = 0x004;
constexpr uint64_t kDeviceId = 0x008;
constexpr uint64_t kVendorId = 0x00c;
constexpr uint64_t kDeviceFeatures = 0x010;
constexpr uint64_t kDeviceFeaturesSel = 0x014;
constexpr uint64_t kDriverFeatures = 0x020;
constexpr uint64_t kDriverFeaturesSel = 0x024;
constexpr uint64_t kQueueSel = 0x030;
constexpr uint64_t kQueueNumMax = 0x034;
constexpr uint64_t kQueueNum = 0x038;
constexpr uint64_t kQueueReady = 0x044;
constexpr uint64_t kQueueNotify = 0x050;
constexpr uint64_t kInterruptStatus = 0x060;
constexpr uint64_t kInterruptAck = 0x064;
constexpr uint64_t kStatus = 0x070;
constexpr uint64_t kQueueDescLow = 0x080;
constexpr uint64_t kQueueDescHigh = 0x084;
constexpr uint64_t kQueueDriverLow = 0x090;
constexpr uint64_t kQueueDriverHigh = 0x094;
constexpr uint64_t kQueueDeviceLow = 0x0a0;
constexpr uint64_t kQueueDeviceHigh = 0x0a4;
constexpr uint64_t kShmSel = 0x0ac;
constexpr uint64_t kShmLenLow = 0x0b0;
constexpr uint64_t kShmLenHigh = 0x0b4;
constexpr uint64_t kShmBaseLow = 0x0b8;
constexpr uint64_t kShmBaseHigh = 0x0bc;
constexpr uint64_t kQueueReset = 0x0c0;
constexpr uint64_t kConfigGeneration = 0x0fc;
constexpr uint64_t kConfig = 0x100;

constexpr uint32_t kMagicValue = 0x74726976; // "virt"
constexpr uint32_t kVendor = 0x56495254;     // "VIRT": this project's vendor id
} // namespace mmio

// Device status bits (virtio 1.2 §2.1).
namespace status {
constexpr uint32_t kAcknowledge = 1;
constexpr uint32_t kDriver = 2;
constexpr uint32_t kDriverOk = 4;
constexpr uint32_t kFeaturesOk = 8;
constexpr uint32_t kNeedsReset = 64;
constexpr uint32_t kFailed = 128;
} // namespace status

// Interrupt status bits.
constexpr uint32_t kIntUsedBuffer = 1;
constexpr uint32_t kIntConfigChange = 2;

class MmioTransport : public MmioDevice, private VirtioSignals {
public:
    MmioTransport(std::string name, std::unique_ptr<VirtioDevice> device, IrqLine irq);
    // Stops the device's threads first: they raise signals into the registers below, which
    // are destroyed before the device would be.
    ~MmioTransport() override;
    MmioTransport(const MmioTransport&) = delete;
    MmioTransport& operator=(const MmioTransport&) = delete;

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // For the device's threads and the VMM.
    VirtioSignals& signals() { return *this; }
    VirtioDevice& device() { return *device_; }
    const std::string& name() const { return name_; }
    uint32_t device_status() const;
    // Why the device last asked for a reset or failed to activate ("" if it never did).
    std::string last_error() const;

    // Save and restore (drivers/kvm/vmm/STATE.md), only while the vCPUs are paused.
    // quiesce() makes the device finish and stop its work (VirtioDevice::quiesce) until
    // unquiesce(); save_state() writes the registers and then the device's state.
    void quiesce();
    void unquiesce();
    void save_state(StateWriter& w);
    // Sets the registers from `r` and restores the device in place of activating it (guest
    // RAM must already hold the saved contents). Errors name the problem, not the slot.
    Status restore_state(StateReader& r);

private:
    struct Queue {
        uint16_t num = 0;
        bool ready = false;
        uint64_t desc = 0, driver = 0, device = 0;
    };

    void used_buffers() override;
    void config_changed() override;
    void needs_reset() override;

    void write_status(uint32_t value);
    void reset_device();
    void raise(uint32_t bits);
    Queue* selected();
    static void set_half(uint64_t& field, bool high, uint32_t value);

    const std::string name_;
    const std::unique_ptr<VirtioDevice> device_;
    const IrqLine irq_;

    std::mutex dev_mu_;
    mutable std::mutex mu_;
    uint32_t status_ = 0;
    uint32_t interrupt_ = 0;
    uint32_t config_generation_ = 0;
    uint32_t device_features_sel_ = 0;
    uint32_t driver_features_sel_ = 0;
    uint64_t driver_features_ = 0;
    uint32_t queue_sel_ = 0;
    std::vector<Queue> queues_;
    std::string last_error_;
    bool activated_ = false; // the device's activate() succeeded since the last reset
};

} // namespace virtd::pv::virtio
