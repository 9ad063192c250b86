// GoldfishRtc's save and restore. The offset to host wall time is kept, so the guest's clock
// keeps following real time across a restore, as the hardware clock of a powered-off machine.
#include "drivers/pv/goldfish_rtc.h"

namespace virtd::pv {

void GoldfishRtc::save_state(StateWriter& w) const {
    std::lock_guard lock(mu_);
    w.u64(static_cast<uint64_t>(offset_ns_));
    w.u32(read_high_);
    w.u32(write_high_);
    w.u64(alarm_ns_);
    w.boolean(alarm_armed_);
    w.boolean(irq_enabled_);
    w.boolean(irq_pending_);
}

Status GoldfishRtc::restore_state(StateReader& r) {
    uint64_t offset = r.u64();
    uint32_t read_high = r.u32(), write_high = r.u32();
    uint64_t alarm = r.u64();
    bool armed = r.boolean(), enabled = r.boolean(), pending = r.boolean();
    r.expect_end();
    if (!r.ok()) return make_error(ErrorCode::OperationInvalid, ErrorDomain::None, "{}", r.error());
    std::lock_guard lock(mu_);
    offset_ns_ = static_cast<int64_t>(offset);
    read_high_ = read_high;
    write_high_ = write_high;
    alarm_ns_ = alarm;
    alarm_armed_ = armed;
    irq_enabled_ = enabled;
    irq_pending_ = pending;
    irq_level_ = false;
    irq_.set(false);
    update_irq();
    return {};
}

} // namespace virtd::pv
