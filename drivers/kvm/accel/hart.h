// Hart: the architectural state of one RV64 hart running in S and U mode, plus the per-hart
// caches (soft TLB, decoded blocks) and the cross-thread event word other threads use to reach it.
//
// Everything here is owned by the hart's own vCPU thread except the atomics (mip, events,
// hsm_state) and the fields guarded by `lock`, which other harts and device threads touch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "drivers/kvm/accel/exit.h"
#include "drivers/kvm/accel/fpu.h"
#include "drivers/kvm/accel/tlb.h"

namespace virtd::accel {

class Vm;
class BlockCache;
class BlockCompiler;
struct Hart;
struct Insn;

// Executes one predecoded instruction. Returns true to continue with the next instruction of the
// block (the caller advances pc by the instruction length), false when the handler has set pc
// itself or stopped the hart (trap, exit, WFI).
using Handler = bool (*)(Hart&, const Insn&);

// One predecoded instruction. rd is remapped to 32 (a write sink) when the instruction names x0,
// so handlers write unconditionally.
struct Insn {
    Handler fn = nullptr;
    int64_t imm = 0;
    uint32_t raw = 0; // the instruction bits (the 16-bit form for compressed instructions)
    uint8_t rd = 32;
    uint8_t rs1 = 0;
    uint8_t rs2 = 0;
    uint8_t len = 4;
};

enum class Priv : uint8_t { User = 0, Supervisor = 1 };

// Exception causes (privileged spec, scause values).
enum Cause : uint64_t {
    kCauseFetchMisaligned = 0,
    kCauseFetchAccess = 1,
    kCauseIllegal = 2,
    kCauseBreakpoint = 3,
    kCauseLoadMisaligned = 4,
    kCauseLoadAccess = 5,
    kCauseStoreMisaligned = 6,
    kCauseStoreAccess = 7,
    kCauseEcallU = 8,
    kCauseEcallS = 9,
    kCauseFetchPage = 12,
    kCauseLoadPage = 13,
    kCauseStorePage = 15,
};
constexpr uint64_t kInterruptBit = 1ULL << 63;

// Interrupt numbers and their bits in sip/sie.
constexpr unsigned kIrqSoft = 1, kIrqTimer = 5, kIrqExternal = 9;
constexpr uint64_t kSsip = 1ULL << kIrqSoft, kStip = 1ULL << kIrqTimer,
                   kSeip = 1ULL << kIrqExternal;
constexpr uint64_t kSupervisorIrqs = kSsip | kStip | kSeip;

// sstatus fields.
namespace sstatus {
constexpr uint64_t kSie = 1ULL << 1;
constexpr uint64_t kSpie = 1ULL << 5;
constexpr uint64_t kSpp = 1ULL << 8;
constexpr uint64_t kFs = 3ULL << 13;
constexpr uint64_t kFsDirty = 3ULL << 13;
constexpr uint64_t kSum = 1ULL << 18;
constexpr uint64_t kMxr = 1ULL << 19;
constexpr uint64_t kUxl64 = 2ULL << 32;
constexpr uint64_t kSd = 1ULL << 63;
constexpr uint64_t kWritable = kSie | kSpie | kSpp | kFs | kSum | kMxr;
} // namespace sstatus

// Bits of Hart::events: reasons to leave the dispatch loop at the next block boundary.
enum HartEvent : uint32_t {
    kEvIrq = 1u << 0,        // interrupt state may have changed: re-evaluate
    kEvKick = 1u << 1,       // return Interrupted to the VMM
    kEvTlbFlush = 1u << 2,   // remote SFENCE.VMA
    kEvFenceI = 1u << 3,     // remote FENCE.I: drop decoded blocks
    kEvHsm = 1u << 4,        // HSM state change requested by another hart
    kEvStoreFlush = 1u << 5, // dirty-log harvest: drop write TLB entries
    kEvPause = 1u << 6,      // Vcpu::pause(): park until resume()
    kEvSystem = 1u << 7,     // another hart requested shutdown or reset (SBI SRST)
    kSyncEvents = kEvTlbFlush | kEvFenceI | kEvStoreFlush,
};

// SBI HSM hart states.
enum HsmState : int {
    kHsmStarted = 0,
    kHsmStopped = 1,
    kHsmStartPending = 2,
    kHsmStopPending = 3,
};

// An MMIO load the VMM has yet to complete: where its value goes when run() resumes.
struct PendingLoad {
    uint8_t rd = 0;
    uint8_t size = 0;
    bool sign = false;
    bool fp = false;
};

struct Hart {
    Hart(Vm& vm, uint32_t id);
    ~Hart();
    Hart(const Hart&) = delete;
    Hart& operator=(const Hart&) = delete;

    // Integer registers; x[32] absorbs writes to x0.
    uint64_t x[33] = {};
    uint64_t pc = 0;
    Priv priv = Priv::Supervisor;
    FpState fp;

    // S-mode CSRs. sip lives in mip (set from other threads); sstatus.SD is computed on read.
    uint64_t sstatus = sstatus::kUxl64;
    uint64_t sie = 0;
    uint64_t stvec = 0;
    uint64_t sscratch = 0;
    uint64_t sepc = 0;
    uint64_t scause = 0;
    uint64_t stval = 0;
    uint64_t satp = 0;
    // CY, TM and IR readable from U-mode: what firmware (OpenSBI) hands S-mode at entry, and
    // what vDSO clock_gettime (rdtime) relies on.
    uint64_t scounteren = 7;
    uint64_t senvcfg = 0;
    uint64_t stimecmp = ~0ULL;
    uint64_t instret = 0;
    std::atomic<uint64_t> mip{0};

    // LR/SC reservation: SC is a compare-and-swap against the value LR saw.
    uintptr_t resv_host = 0;
    uint64_t resv_value = 0;
    bool resv_valid = false;

    // Caches. `tlb_cur` is the TLB context for the current privilege and SUM.
    Tlb tlb;
    TlbSet* tlb_cur = nullptr;
    std::unique_ptr<BlockCache> blocks;
    std::unique_ptr<BlockCompiler> compiler;
    unsigned compile_threshold = 0; // interpreted runs before a block is compiled; 0: never
    // Compiled blocks jump straight into the next compiled block while this is positive and no
    // event is posted (block_compiler.h); the run loop sets it before it enters compiled code.
    int32_t chain_budget = 0;

    // The instruction of the running block that is executing (threaded dispatch, exec.h).
    const Insn* cur = nullptr;

    // Execution control: `wfi` asks the run loop to sleep; `exit_pending` to return `exit`.
    bool wfi = false;
    bool exit_pending = false;
    Exit exit;
    PendingLoad pending_load;
    uint8_t pending_len = 0; // length of the instruction an MMIO or SBI exit stopped at

    // Cross-thread state.
    std::atomic<uint32_t> events{0};
    std::atomic<int> hsm_state{kHsmStarted};
    std::atomic<bool> running_code{false}; // in the dispatch loop (not asleep, not outside run())
    std::atomic<uint64_t> sync_req{0};
    std::atomic<uint64_t> sync_ack{0};
    std::mutex lock;                // guards the fields below and the sleep in WFI/stopped
    std::condition_variable wakeup; // signalled by post()
    uint64_t start_pc = 0;          // HSM hart_start arguments
    uint64_t start_opaque = 0;

    Vm& vm;
    const uint32_t id;

    // Selects the TLB context after a change of privilege or sstatus.SUM. Translations stay
    // valid, so block links survive (they record the privilege they were made at; SUM does not
    // affect fetches): a syscall or interrupt no longer unlinks every block.
    void update_tlb_context() {
        unsigned i = priv == Priv::User ? 0 : ((sstatus & sstatus::kSum) ? 2 : 1);
        tlb_cur = &tlb.set[i];
    }

    // Sets event bits and wakes the hart if it sleeps (any thread).
    void post(uint32_t ev);
    // Posts a flush event (kEvTlbFlush, kEvFenceI, kEvStoreFlush) and waits until this hart has
    // carried it out or is not executing guest code (it then does so before it executes again).
    // `self` is the calling hart, whose own flush requests are served while it waits.
    void request_sync(uint32_t ev, Hart* self);
    // Carries out pending flush events and acknowledges them (own thread only).
    void handle_sync();
    // Raises or lowers an interrupt-pending bit (any thread).
    void set_pending(uint64_t bit, bool level);
};

// trap.cc
// Takes an exception: sets scause/sepc/stval and enters S-mode at stvec. Returns false so
// handlers can `return trap(...)` to end their block.
bool trap(Hart& h, uint64_t cause, uint64_t tval);
// The highest-priority interrupt that is pending and enabled, or -1.
int pending_interrupt(const Hart& h);
// Takes the pending interrupt if there is one; returns whether it did.
bool take_interrupt(Hart& h);
// SRET.
void sret(Hart& h);

// csr.cc
// CSR access from the current privilege. Return false when the access is illegal.
bool csr_read(Hart& h, uint32_t csr, uint64_t& value);
bool csr_write(Hart& h, uint32_t csr, uint64_t value);
// The time CSR: host CLOCK_MONOTONIC at 10 MHz, relative to the VM's epoch.
uint64_t read_time(const Hart& h);
// Updates sip.STIP from stimecmp and the current time.
void update_timer(Hart& h);

// sbi.cc
// Handles an ECALL from S-mode. Returns false when the call became an exit for the VMM.
bool sbi_call(Hart& h);

} // namespace virtd::accel
