// MmioDevice: what the VMM hands a guest's MMIO accesses to; IrqLine: how a device signals the
// interrupt controller.
//
// Thread safety: read() and write() may be called from several vCPU threads at once, so every
// implementation serialises its own state. An IrqLine is immutable after construction; set() is
// as thread-safe as the sink it wraps (the accelerator's set_irq_line is).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

namespace virtd::pv {

// One wired interrupt line from a device to the PLIC. Level-triggered: the device holds it high
// while it has an interrupt pending. Devices call set() with their own lock held, so that level
// changes reach the interrupt controller in the order the device made them; the sink must
// therefore never call back into the device.
class IrqLine {
public:
    using Sink = std::function<void(bool level)>;

    // An unconnected line: set() does nothing (a device whose interrupt the guest does not use).
    IrqLine() = default;
    explicit IrqLine(Sink sink)
        : sink_(std::move(sink)) {}

    void set(bool level) const {
        if (sink_) sink_(level);
    }

private:
    Sink sink_;
};

// A device's register window. Offsets are relative to the window's base; size is 1, 2, 4 or 8
// and the bus has already checked that the access lies inside the window. Reads of registers a
// device does not have return 0 and writes to them are ignored, as on most real buses: a guest
// probing an address must not take the VMM down.
class MmioDevice {
public:
    virtual ~MmioDevice() = default;

    virtual uint64_t read(uint64_t offset, unsigned size) = 0;
    virtual void write(uint64_t offset, unsigned size, uint64_t value) = 0;
};

} // namespace virtd::pv
