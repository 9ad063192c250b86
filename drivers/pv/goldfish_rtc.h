// GoldfishRtc: the goldfish real-time clock at kRtcBase, Linux's rtc0 (wall time at boot and
// for hwclock).
//
// Time is nanoseconds since the Unix epoch, read from the host's realtime clock plus an offset
// the guest sets by writing TIME_HIGH then TIME_LOW. Reading TIME_LOW samples the clock and
// latches the high half for the TIME_HIGH read that follows, so the two halves are one sample.
// The alarm is minimal: the registers hold their values and an armed alarm fires when any
// register access, or a poll_alarm() call from the VMM's timer, finds it due. A VMM that never
// calls poll_alarm() delivers alarms late (at the guest's next RTC access); Linux only uses the
// alarm for wake-ups this platform does not have.
//
// Thread safety: read(), write() and poll_alarm() may run on any thread; one mutex guards the
// registers. The clock is called with it held.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "common/error.h"
#include "common/state_codec.h"
#include "drivers/pv/mmio_device.h"

namespace virtd::pv {

class GoldfishRtc : public MmioDevice {
public:
    // Nanoseconds since the Unix epoch; injectable so tests control time.
    using Clock = std::function<uint64_t()>;
    static uint64_t host_realtime_ns();

    explicit GoldfishRtc(IrqLine irq, Clock clock = host_realtime_ns);
    GoldfishRtc(const GoldfishRtc&) = delete;
    GoldfishRtc& operator=(const GoldfishRtc&) = delete;

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // Fires the alarm if it is armed and due. Returns when the armed alarm is due, in the
    // Clock's time base (for the VMM to schedule its next poll), or nothing if none is armed.
    std::optional<uint64_t> poll_alarm();

    // Save and restore (drivers/kvm/vmm/STATE.md): every register and, for restore, the
    // interrupt line driven afresh. restore_state() checks what it reads (untrusted bytes).
    void save_state(StateWriter& w) const;
    Status restore_state(StateReader& r);

private:
    uint64_t guest_now() const;
    void check_alarm();
    void update_irq();

    const IrqLine irq_; // immutable after construction
    const Clock clock_; // immutable after construction

    mutable std::mutex mu_;
    // Everything below is guarded by mu_.
    int64_t offset_ns_ = 0;   // guest time minus host time (set by the guest's writes)
    uint32_t read_high_ = 0;  // TIME_HIGH as latched by the last TIME_LOW read
    uint32_t write_high_ = 0; // TIME_HIGH as written, applied by the next TIME_LOW write
    uint64_t alarm_ns_ = 0;   // guest time of the alarm
    bool alarm_armed_ = false;
    bool irq_enabled_ = false;
    bool irq_pending_ = false; // the alarm fired and the guest has not cleared it
    bool irq_level_ = false;   // level last driven onto irq_
};

} // namespace virtd::pv
