// The SBI implementation the hypervisor provides in place of M-mode firmware: BASE (spec 2.0),
// TIME, IPI, RFENCE, HSM, SRST and the legacy timer/IPI-clear/shutdown calls. Console calls
// (legacy putchar/getchar, DBCN) are forwarded to the VMM as Sbi exits, as KVM does.
#include <atomic>
#include <cstdint>

#include "drivers/kvm/accel/hart.h"
#include "drivers/kvm/accel/vm.h"

namespace virtd::accel {
namespace {

enum Extension : uint64_t {
    kLegacySetTimer = 0x00,
    kLegacyPutchar = 0x01,
    kLegacyGetchar = 0x02,
    kLegacyClearIpi = 0x03,
    kLegacyShutdown = 0x08,
    kExtBase = 0x10,
    kExtTime = 0x54494d45,   // "TIME"
    kExtIpi = 0x735049,      // "sPI"
    kExtRfence = 0x52464e43, // "RFNC"
    kExtHsm = 0x48534d,      // "HSM"
    kExtSrst = 0x53525354,   // "SRST"
    kExtDbcn = 0x4442434e,   // "DBCN"
};

constexpr int64_t kSpecVersion = 2LL << 24; // 2.0
constexpr int64_t kImplId = 0x76697274;     // "virt": this hypervisor
constexpr int64_t kImplVersion = 1;

struct SbiRet {
    int64_t error = kSbiErrNotSupported;
    int64_t value = 0;
};

bool forwarded(uint64_t ext) {
    return ext == kLegacyPutchar || ext == kLegacyGetchar || ext == kExtDbcn;
}

bool implemented(uint64_t ext) {
    switch (ext) {
    case kLegacySetTimer:
    case kLegacyClearIpi:
    case kLegacyShutdown:
    case kExtBase:
    case kExtTime:
    case kExtIpi:
    case kExtRfence:
    case kExtHsm:
    case kExtSrst:
        return true;
    default:
        return forwarded(ext);
    }
}

SbiRet base(uint64_t fid, uint64_t arg) {
    switch (fid) {
    case 0:
        return {kSbiSuccess, kSpecVersion};
    case 1:
        return {kSbiSuccess, kImplId};
    case 2:
        return {kSbiSuccess, kImplVersion};
    case 3:
        return {kSbiSuccess, implemented(arg) ? 1 : 0};
    case 4: // mvendorid, marchid, mimpid: not a real implementation
    case 5:
    case 6:
        return {kSbiSuccess, 0};
    default:
        return {};
    }
}

void set_timer(Hart& h, uint64_t when) {
    // The same comparator as Sstc's stimecmp; UINT64_MAX never fires. Clears a pending STIP.
    h.stimecmp = when;
    update_timer(h);
}

// Applies fn to every hart selected by (mask, base); base == ~0 selects all harts.
template <typename Fn>
SbiRet for_harts(Hart& self, uint64_t mask, uint64_t base_id, Fn fn) {
    Vm& vm = self.vm;
    if (base_id == ~0ULL) {
        for (uint32_t i = 0; i < Vm::kMaxVcpus; ++i) {
            if (Hart* t = vm.hart(i)) fn(*t);
        }
        return {kSbiSuccess, 0};
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        if (((mask >> bit) & 1) == 0) continue;
        uint64_t id = base_id + bit;
        Hart* t = id < Vm::kMaxVcpus ? vm.hart(static_cast<uint32_t>(id)) : nullptr;
        if (t == nullptr) return {kSbiErrInvalidParam, 0};
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        if ((mask >> bit) & 1) fn(*vm.hart(static_cast<uint32_t>(base_id + bit)));
    }
    return {kSbiSuccess, 0};
}

SbiRet rfence(Hart& h, uint64_t fid, const uint64_t* a) {
    uint32_t ev = 0;
    switch (fid) {
    case 0:
        ev = kEvFenceI;
        break;
    case 1: // SFENCE.VMA (range): we flush whole TLBs, which is always allowed
    case 2:
        ev = kEvTlbFlush;
        break; // SFENCE.VMA_ASID: no ASIDs, same thing
    default:
        return {}; // HFENCE: no hypervisor extension for the guest
    }
    return for_harts(h, a[0], a[1], [&](Hart& t) { t.request_sync(ev, &h); });
}

SbiRet hsm(Hart& h, uint64_t fid, const uint64_t* a) {
    switch (fid) {
    case 0: { // hart_start(hartid, start_addr, opaque)
        Hart* t = a[0] < Vm::kMaxVcpus ? h.vm.hart(static_cast<uint32_t>(a[0])) : nullptr;
        if (t == nullptr) return {kSbiErrInvalidParam, 0};
        {
            std::lock_guard<std::mutex> guard(t->lock);
            if (t->hsm_state.load() != kHsmStopped) return {kSbiErrAlreadyAvailable, 0};
            t->start_pc = a[1];
            t->start_opaque = a[2];
            t->hsm_state.store(kHsmStartPending);
        }
        t->post(kEvHsm);
        return {kSbiSuccess, 0};
    }
    case 1: // hart_stop: the run loop parks the hart at the next boundary
        h.hsm_state.store(kHsmStopped);
        h.events.fetch_or(kEvHsm);
        return {kSbiSuccess, 0};
    case 2: {
        Hart* t = a[0] < Vm::kMaxVcpus ? h.vm.hart(static_cast<uint32_t>(a[0])) : nullptr;
        if (t == nullptr) return {kSbiErrInvalidParam, 0};
        return {kSbiSuccess, t->hsm_state.load()};
    }
    default:
        return {};
    }
}

} // namespace

bool sbi_call(Hart& h) {
    uint64_t ext = h.x[17], fid = h.x[16];
    const uint64_t* a = &h.x[10];
    if (forwarded(ext)) {
        h.exit = Exit{};
        h.exit.kind = Exit::Kind::Sbi;
        h.exit.sbi.ext = ext;
        h.exit.sbi.fid = fid;
        for (int i = 0; i < 6; ++i)
            h.exit.sbi.args[i] = a[i];
        h.exit_pending = true;
        return false;
    }
    SbiRet r;
    switch (ext) {
    case kLegacySetTimer:
        set_timer(h, a[0]);
        h.x[10] = 0;
        return true;
    case kLegacyClearIpi:
        h.set_pending(kSsip, false);
        h.x[10] = 0;
        return true;
    case kLegacyShutdown:
        h.vm.request_system_event(Exit::Kind::Shutdown);
        return true;
    case kExtBase:
        r = base(fid, a[0]);
        break;
    case kExtTime:
        if (fid == 0) {
            set_timer(h, a[0]);
            r = {kSbiSuccess, 0};
        }
        break;
    case kExtIpi:
        if (fid == 0) r = for_harts(h, a[0], a[1], [](Hart& t) { t.set_pending(kSsip, true); });
        break;
    case kExtRfence:
        r = rfence(h, fid, a);
        break;
    case kExtHsm:
        r = hsm(h, fid, a);
        break;
    case kExtSrst:
        if (fid == 0 && a[0] <= 2) {
            h.vm.request_system_event(a[0] == 0 ? Exit::Kind::Shutdown : Exit::Kind::Reset);
            r = {kSbiSuccess, 0}; // run() returns the event at the next boundary
        } else if (fid == 0) {
            r = {kSbiErrInvalidParam, 0};
        }
        break;
    default:
        break;
    }
    h.x[10] = static_cast<uint64_t>(r.error);
    h.x[11] = static_cast<uint64_t>(r.value);
    return true;
}

} // namespace virtd::accel
