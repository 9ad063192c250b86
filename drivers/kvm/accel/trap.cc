// Trap entry and return as seen from S-mode. The hypervisor plays M-mode, and everything a real
// M-mode would delegate to S (all exceptions except S-mode ECALL, and the S-level interrupts) is
// delegated, so every trap lands at stvec.
#include <atomic>

#include "drivers/kvm/accel/hart.h"

namespace virtd::accel {

bool trap(Hart& h, uint64_t cause, uint64_t tval) {
    h.scause = cause;
    h.sepc = h.pc;
    h.stval = tval;
    uint64_t s = h.sstatus & ~(sstatus::kSpp | sstatus::kSpie | sstatus::kSie);
    if (h.priv == Priv::Supervisor) s |= sstatus::kSpp;
    if (h.sstatus & sstatus::kSie) s |= sstatus::kSpie;
    h.sstatus = s;
    h.priv = Priv::Supervisor;
    h.update_tlb_context();
    uint64_t base = h.stvec & ~3ULL;
    bool vectored = (h.stvec & 1) != 0 && (cause & kInterruptBit) != 0;
    h.pc = vectored ? base + 4 * (cause & 63) : base;
    return false;
}

// Priority among S-level interrupts: external, software, timer (privileged spec 3.1.9).
int pending_interrupt(const Hart& h) {
    uint64_t p = h.mip.load(std::memory_order_acquire) & h.sie;
    if (p == 0) return -1;
    if (h.priv == Priv::Supervisor && (h.sstatus & sstatus::kSie) == 0) return -1;
    if (p & kSeip) return kIrqExternal;
    if (p & kSsip) return kIrqSoft;
    if (p & kStip) return kIrqTimer;
    return -1;
}

bool take_interrupt(Hart& h) {
    int irq = pending_interrupt(h);
    if (irq < 0) return false;
    trap(h, kInterruptBit | static_cast<uint64_t>(irq), 0);
    return true;
}

void sret(Hart& h) {
    uint64_t s = h.sstatus;
    h.priv = (s & sstatus::kSpp) ? Priv::Supervisor : Priv::User;
    s &= ~(sstatus::kSie | sstatus::kSpp);
    if (s & sstatus::kSpie) s |= sstatus::kSie;
    s |= sstatus::kSpie;
    h.sstatus = s;
    h.pc = h.sepc;
    h.resv_valid = false;
    h.update_tlb_context();
    h.events.fetch_or(kEvIrq, std::memory_order_relaxed);
}

} // namespace virtd::accel
