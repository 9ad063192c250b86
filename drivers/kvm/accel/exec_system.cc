// SYSTEM and MISC-MEM: CSR instructions, ECALL (SBI from S-mode), EBREAK, SRET, WFI, SFENCE.VMA,
// FENCE, FENCE.I, and the one place the FP compute unit plugs in.
#include <atomic>
#include <cstdint>

#include "drivers/kvm/accel/block.h"
#include "drivers/kvm/accel/exec.h"
#include "drivers/kvm/accel/fpu.h"

namespace virtd::accel {
namespace {

// funct3: 1 CSRRW, 2 CSRRS, 3 CSRRC; +4 for the immediate forms (rs1 field is a 5-bit uimm).
template <unsigned F3>
bool op_csr(Hart& h, const Insn& i) {
    auto csr = static_cast<uint32_t>(i.imm);
    constexpr unsigned kind = F3 & 3;
    uint64_t src = (F3 & 4) ? i.rs1 : h.x[i.rs1];
    bool writes = kind == 1 || i.rs1 != 0;
    bool reads = kind != 1 || i.rd != 32; // CSRRW with rd=x0 has no read side effects
    uint64_t old = 0;
    if (reads && !csr_read(h, csr, old)) return trap(h, kCauseIllegal, i.raw);
    if (writes) {
        uint64_t v = kind == 1 ? src : (kind == 2 ? (old | src) : (old & ~src));
        if (!csr_write(h, csr, v)) return trap(h, kCauseIllegal, i.raw);
        // sstatus.SIE, sie or sip may now let a pending interrupt through.
        h.events.fetch_or(kEvIrq, std::memory_order_relaxed);
    }
    h.x[i.rd] = old;
    return true;
}

bool op_ecall(Hart& h, const Insn& i) {
    if (h.priv == Priv::User) return trap(h, kCauseEcallU, 0);
    if (sbi_call(h)) return true;
    h.pending_len = i.len;
    return false;
}

bool op_ebreak(Hart& h, const Insn& /*i*/) {
    return trap(h, kCauseBreakpoint, h.pc);
}

bool op_sret(Hart& h, const Insn& i) {
    if (h.priv == Priv::User) return trap(h, kCauseIllegal, i.raw);
    sret(h);
    return false;
}

// WFI completes at once; the run loop then sleeps until an interrupt is pending (even if
// disabled), a kick, or the timer deadline.
bool op_wfi(Hart& h, const Insn& i) {
    if (h.priv == Priv::User) return trap(h, kCauseIllegal, i.raw);
    h.pc += i.len;
    h.wfi = true;
    return false;
}

bool op_sfence_vma(Hart& h, const Insn& i) {
    if (h.priv == Priv::User) return trap(h, kCauseIllegal, i.raw);
    if (i.rs1 == 0) {
        h.tlb.flush();
    } else {
        h.tlb.flush_page(h.x[i.rs1]);
    }
    return true;
}

bool op_fence(Hart& /*h*/, const Insn& /*i*/) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return true;
}

bool op_fence_i(Hart& h, const Insn& /*i*/) {
    h.blocks->flush();
    return true;
}

// OP-FP and the fused multiply-adds: illegal while FS is off, otherwise the FPU (fpu.h) computes
// and the FP state becomes dirty, as after an FP load.
bool op_fp_compute(Hart& h, const Insn& i) {
    if ((h.sstatus & sstatus::kFs) == 0) return trap(h, kCauseIllegal, i.raw);
    if (!fp_execute(i.raw, h.fp, h.x)) return trap(h, kCauseIllegal, i.raw);
    h.sstatus |= sstatus::kFsDirty;
    return true;
}

Handler decode_priv(uint32_t raw) {
    switch (raw) {
    case 0x00000073:
        return op_ecall;
    case 0x00100073:
        return op_ebreak;
    case 0x10200073:
        return op_sret;
    case 0x10500073:
        return op_wfi;
    default:
        break;
    }
    if (bits(raw, 31, 25) == 0x09 && bits(raw, 11, 7) == 0) return op_sfence_vma;
    return nullptr; // MRET, URET, hypervisor fences: illegal for an S-mode guest
}

} // namespace

Handler decode_system(uint32_t raw, Insn& d) {
    uint32_t f3 = bits(raw, 14, 12);
    switch (raw & 0x7f) {
    case 0x73: {
        static constexpr Handler kCsr[8] = {nullptr, op_csr<1>, op_csr<2>, op_csr<3>,
                                            nullptr, op_csr<5>, op_csr<6>, op_csr<7>};
        d.imm = bits(raw, 31, 20);
        if (f3 == 0) return decode_priv(raw);
        return kCsr[f3];
    }
    case 0x0f:
        if (f3 == 0) return op_fence;
        if (f3 == 1) return op_fence_i;
        return nullptr;
    case 0x43: // FMADD
    case 0x47: // FMSUB
    case 0x4b: // FNMSUB
    case 0x4f: // FNMADD
    case 0x53: // OP-FP
        return op_fp_compute;
    default:
        return nullptr;
    }
}

} // namespace virtd::accel
