// The S-mode CSR file, the counters, Sstc and the FP status CSRs (gated by sstatus.FS).
#include <atomic>
#include <cstdint>
#include <ctime>

#include "drivers/kvm/accel/hart.h"
#include "drivers/kvm/accel/vm.h"

namespace virtd::accel {
namespace {

enum Csr : uint32_t {
    kFflags = 0x001,
    kFrm = 0x002,
    kFcsr = 0x003,
    kSstatus = 0x100,
    kSie = 0x104,
    kStvec = 0x105,
    kScounteren = 0x106,
    kSenvcfg = 0x10a,
    kSscratch = 0x140,
    kSepc = 0x141,
    kScause = 0x142,
    kStval = 0x143,
    kSip = 0x144,
    kStimecmp = 0x14d,
    kSatp = 0x180,
    kCycle = 0xc00,
    kTime = 0xc01,
    kInstret = 0xc02,
    kHpmLast = 0xc1f,
};

constexpr uint64_t kSatpModeBare = 0, kSatpModeSv39 = 8, kSatpModeSv48 = 9;
constexpr uint64_t kSatpPpnMask = (1ULL << 44) - 1;

// Lowest privilege allowed by the CSR number (bits 9:8): only U (0) and S (1) CSRs exist here.
bool accessible(const Hart& h, uint32_t csr) {
    uint32_t level = (csr >> 8) & 3;
    if (level > 1) return false;
    return level == 0 || h.priv == Priv::Supervisor;
}

bool fp_on(const Hart& h) {
    return (h.sstatus & sstatus::kFs) != 0;
}

} // namespace

uint64_t read_time(const Hart& h) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns =
        static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
    return (ns - h.vm.epoch_ns()) / 100 + h.vm.time_offset();
}

void update_timer(Hart& h) {
    h.set_pending(kStip, read_time(h) >= h.stimecmp);
}

bool csr_read(Hart& h, uint32_t csr, uint64_t& v) {
    if (!accessible(h, csr)) return false;
    if (csr >= kCycle && csr <= kHpmLast) {
        // S-mode may read every counter (mcounteren is all ones); U-mode as scounteren allows.
        if (h.priv == Priv::User && ((h.scounteren >> (csr - kCycle)) & 1) == 0) return false;
        if (csr == kTime) {
            v = read_time(h);
        } else if (csr == kCycle || csr == kInstret) {
            v = h.instret;
        } else {
            v = 0;
        }
        return true;
    }
    switch (csr) {
    case kFflags:
    case kFrm:
    case kFcsr:
        if (!fp_on(h)) return false;
        v = csr == kFflags ? h.fp.fflags : (csr == kFrm ? h.fp.frm : (h.fp.frm << 5) | h.fp.fflags);
        return true;
    case kSstatus:
        v = h.sstatus;
        if ((v & sstatus::kFs) == sstatus::kFsDirty) v |= sstatus::kSd;
        return true;
    case kSie:
        v = h.sie;
        return true;
    case kStvec:
        v = h.stvec;
        return true;
    case kScounteren:
        v = h.scounteren;
        return true;
    case kSenvcfg:
        v = h.senvcfg;
        return true;
    case kSscratch:
        v = h.sscratch;
        return true;
    case kSepc:
        v = h.sepc;
        return true;
    case kScause:
        v = h.scause;
        return true;
    case kStval:
        v = h.stval;
        return true;
    case kSip:
        v = h.mip.load(std::memory_order_acquire) & kSupervisorIrqs;
        return true;
    case kStimecmp:
        v = h.stimecmp;
        return true;
    case kSatp:
        v = h.satp;
        return true;
    default:
        return false;
    }
}

bool csr_write(Hart& h, uint32_t csr, uint64_t v) {
    if (!accessible(h, csr) || (csr >> 10) == 3) return false; // bits 11:10 = 3: read-only
    switch (csr) {
    case kFflags:
    case kFrm:
    case kFcsr:
        if (!fp_on(h)) return false;
        if (csr == kFflags) h.fp.fflags = v & 0x1f;
        if (csr == kFrm) h.fp.frm = v & 7;
        if (csr == kFcsr) {
            h.fp.fflags = v & 0x1f;
            h.fp.frm = (v >> 5) & 7;
        }
        h.sstatus |= sstatus::kFsDirty;
        return true;
    case kSstatus: {
        uint64_t old = h.sstatus;
        h.sstatus = (old & ~sstatus::kWritable) | (v & sstatus::kWritable);
        if ((old ^ h.sstatus) & sstatus::kMxr) h.tlb.flush(); // MXR is not part of the TLB context
        h.update_tlb_context();
        return true;
    }
    case kSie:
        h.sie = v & kSupervisorIrqs;
        return true;
    case kStvec:
        h.stvec = v & ~2ULL;
        return true; // modes 0 and 1 only
    case kScounteren:
        h.scounteren = v & 0xffffffffULL;
        return true;
    case kSenvcfg:
        h.senvcfg = v & 1;
        return true; // FIOM only
    case kSscratch:
        h.sscratch = v;
        return true;
    case kSepc:
        h.sepc = v & ~1ULL;
        return true;
    case kScause:
        h.scause = v;
        return true;
    case kStval:
        h.stval = v;
        return true;
    case kSip:
        h.set_pending(kSsip, (v & kSsip) != 0);
        return true; // STIP/SEIP are read-only
    case kStimecmp:
        h.stimecmp = v;
        update_timer(h);
        return true;
    case kSatp: {
        uint64_t mode = v >> 60;
        // An unsupported mode makes the whole write a no-op (Linux probes Sv57 this way).
        if (mode != kSatpModeBare && mode != kSatpModeSv39 && mode != kSatpModeSv48) return true;
        h.satp = (mode << 60) | (v & kSatpPpnMask); // no ASIDs: ASIDLEN = 0
        h.tlb.flush();
        return true;
    }
    default:
        return false;
    }
}

} // namespace virtd::accel
