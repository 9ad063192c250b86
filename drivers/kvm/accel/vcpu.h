// Vcpu: one guest hart, driven by one host thread calling run() (KVM_RUN).
//
// run() executes guest code until something needs the VMM: an MMIO access, an SBI call the
// accelerator does not handle, a shutdown/reset, or a kick. The VMM completes the returned Exit in
// place (MMIO read data, SBI return values) and calls run() again. kick(), pause() and resume()
// may be called from any thread; the register accessors only while run() is not executing (or
// while paused).
#pragma once

#include <cstdint>

#include "drivers/kvm/accel/exit.h"
#include "drivers/kvm/accel/hart.h"

namespace virtd::accel {

class Vm;

// General registers and pc (KVM_GET/SET_ONE_REG core registers).
struct CoreRegs {
    uint64_t x[32] = {};
    uint64_t pc = 0;
    Priv priv = Priv::Supervisor;
};

// The S-mode CSR state (save, restore, migration).
struct CsrRegs {
    uint64_t sstatus = 0;
    uint64_t sie = 0;
    uint64_t sip = 0;
    uint64_t stvec = 0;
    uint64_t sscratch = 0;
    uint64_t sepc = 0;
    uint64_t scause = 0;
    uint64_t stval = 0;
    uint64_t satp = 0;
    uint64_t scounteren = 0;
    uint64_t senvcfg = 0;
    uint64_t stimecmp = ~0ULL;
};

// Everything of a hart that a save or a migration carries; caches (TLB, decoded blocks) and the
// LR/SC reservation are left behind (a lost reservation only makes an SC retry).
struct VcpuState {
    CoreRegs core;
    CsrRegs csrs;
    FpState fp;
    uint64_t instret = 0;
    int hsm_state = kHsmStarted;
    uint64_t start_pc = 0; // HSM hart_start arguments, for a start still pending
    uint64_t start_opaque = 0;
};

class Vcpu {
public:
    Vcpu(Vm& vm, uint32_t id);

    Exit& run();
    // Makes run() return Exit::Kind::Interrupted soon (any thread).
    void kick();
    // Parks the vCPU at its next instruction boundary and waits until it is parked (or not
    // inside run()); resume() lets it continue. A kick while parked returns Interrupted.
    void pause();
    void resume();

    CoreRegs get_regs() const;
    // Also drops the pending completion of the last exit (the registers are taken as given).
    void set_regs(const CoreRegs& r);
    CsrRegs get_csrs() const;
    void set_csrs(const CsrRegs& c);
    FpState get_fp() const { return hart_.fp; }
    void set_fp(const FpState& fp) { hart_.fp = fp; }
    // SBI HSM state (kHsmStarted, kHsmStopped, ...): KVM's MP state.
    int mp_state() const { return hart_.hsm_state.load(); }
    void set_mp_state(int state) { hart_.hsm_state.store(state); }

    // Completes the exit run() last returned (an MMIO load's value, an SBI call's result), as
    // the next run() would, so the registers are final. Only while run() is not executing.
    void settle() { complete_exit(); }
    // The whole state (settle() first), and setting it on a vCPU that is not running.
    VcpuState get_state();
    void set_state(const VcpuState& s);

    Hart& hart() { return hart_; }

private:
    void complete_exit();
    // Handles events at a block boundary; returns true when run() must return.
    bool service();
    // Sleeps after WFI; returns true when run() must return.
    bool wait_for_interrupt();
    // Waits while stopped by HSM or paused; returns true when run() must return.
    bool wait_while_parked();
    bool return_with(Exit::Kind kind);

    Hart hart_;
    bool paused_ = false; // guarded by hart_.lock
    bool parked_ = false; // guarded by hart_.lock
    unsigned timer_budget_ = 0;
};

} // namespace virtd::accel
