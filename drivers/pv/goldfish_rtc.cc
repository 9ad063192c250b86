#include "drivers/pv/goldfish_rtc.h"

#include <utility>

#include <time.h>

namespace virtd::pv {

namespace {

// Register offsets (all 32 bits wide).
constexpr uint64_t kTimeLow = 0x00;
constexpr uint64_t kTimeHigh = 0x04;
constexpr uint64_t kAlarmLow = 0x08;
constexpr uint64_t kAlarmHigh = 0x0C;
constexpr uint64_t kIrqEnabled = 0x10;
constexpr uint64_t kClearAlarm = 0x14;
constexpr uint64_t kAlarmStatus = 0x18;
constexpr uint64_t kClearInterrupt = 0x1C;

} // namespace

uint64_t GoldfishRtc::host_realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

GoldfishRtc::GoldfishRtc(IrqLine irq, Clock clock)
    : irq_(std::move(irq))
    , clock_(std::move(clock)) {}

uint64_t GoldfishRtc::guest_now() const {
    return clock_() + static_cast<uint64_t>(offset_ns_); // wraps like the guest's u64 would
}

uint64_t GoldfishRtc::read(uint64_t offset, unsigned /*size*/) {
    std::lock_guard lock(mu_);
    check_alarm();
    uint64_t value = 0;
    switch (offset) {
    case kTimeLow: {
        uint64_t now = guest_now();
        read_high_ = static_cast<uint32_t>(now >> 32);
        value = static_cast<uint32_t>(now);
        break;
    }
    case kTimeHigh:
        value = read_high_;
        break;
    case kAlarmLow:
        value = static_cast<uint32_t>(alarm_ns_);
        break;
    case kAlarmHigh:
        value = static_cast<uint32_t>(alarm_ns_ >> 32);
        break;
    case kIrqEnabled:
        value = irq_enabled_ ? 1 : 0;
        break;
    case kAlarmStatus:
        value = alarm_armed_ ? 1 : 0;
        break;
    default:
        break;
    }
    update_irq();
    return value;
}

void GoldfishRtc::write(uint64_t offset, unsigned /*size*/, uint64_t value) {
    std::lock_guard lock(mu_);
    auto v32 = static_cast<uint32_t>(value);
    switch (offset) {
    case kTimeLow: {
        // Linux writes the high half first; the low half completes the new time.
        uint64_t wanted = (uint64_t{write_high_} << 32) | v32;
        offset_ns_ = static_cast<int64_t>(wanted - clock_());
        break;
    }
    case kTimeHigh:
        write_high_ = v32;
        break;
    case kAlarmLow:
        // Writing the low half arms the alarm, with the high half written before it.
        alarm_ns_ = (alarm_ns_ & 0xFFFF'FFFF'0000'0000ULL) | v32;
        alarm_armed_ = true;
        break;
    case kAlarmHigh:
        alarm_ns_ = (uint64_t{v32} << 32) | (alarm_ns_ & 0xFFFF'FFFFULL);
        break;
    case kIrqEnabled:
        irq_enabled_ = (v32 & 1) != 0;
        break;
    case kClearAlarm:
        alarm_armed_ = false;
        break;
    case kClearInterrupt:
        irq_pending_ = false;
        break;
    default:
        break;
    }
    check_alarm();
    update_irq();
}

std::optional<uint64_t> GoldfishRtc::poll_alarm() {
    std::lock_guard lock(mu_);
    check_alarm();
    update_irq();
    if (!alarm_armed_) return std::nullopt;
    return alarm_ns_ - static_cast<uint64_t>(offset_ns_);
}

void GoldfishRtc::check_alarm() {
    if (alarm_armed_ && guest_now() >= alarm_ns_) {
        alarm_armed_ = false;
        irq_pending_ = true;
    }
}

void GoldfishRtc::update_irq() {
    bool level = irq_pending_ && irq_enabled_;
    if (level == irq_level_) return;
    irq_level_ = level;
    irq_.set(level);
}

} // namespace virtd::pv
