// Uart16550's save and restore: the registers and the host input not yet read by the guest.
#include "drivers/pv/uart16550.h"

namespace virtd::pv {

void Uart16550::save_state(StateWriter& w) const {
    std::lock_guard lock(mu_);
    std::vector<uint8_t> input(input_.begin(), input_.end());
    w.blob(input);
    w.u8(ier_);
    w.u8(lcr_);
    w.u8(mcr_);
    w.u8(fcr_);
    w.u8(scr_);
    w.u8(msr_delta_);
    w.u8(last_rbr_);
    w.u16(divisor_);
    w.boolean(thre_pending_);
}

Status Uart16550::restore_state(StateReader& r) {
    std::span<const uint8_t> input = r.blob(kInputLimit);
    uint8_t ier = r.u8(), lcr = r.u8(), mcr = r.u8(), fcr = r.u8(), scr = r.u8();
    uint8_t msr_delta = r.u8(), last_rbr = r.u8();
    uint16_t divisor = r.u16();
    bool thre_pending = r.boolean();
    r.expect_end();
    if (!r.ok()) return make_error(ErrorCode::OperationInvalid, ErrorDomain::None, "{}", r.error());
    std::lock_guard lock(mu_);
    input_.assign(input.begin(), input.end());
    ier_ = ier & 0x0f;
    lcr_ = lcr;
    mcr_ = mcr & 0x1f;
    fcr_ = fcr;
    scr_ = scr;
    msr_delta_ = msr_delta & 0x0f;
    last_rbr_ = last_rbr;
    divisor_ = divisor;
    thre_pending_ = thre_pending;
    irq_level_ = false;
    irq_.set(false);
    update_irq();
    return {};
}

} // namespace virtd::pv
