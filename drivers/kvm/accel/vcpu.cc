#include "drivers/kvm/accel/vcpu.h"

#include <chrono>
#include <cstring>

#include "drivers/kvm/accel/block.h"
#include "drivers/kvm/accel/block_compiler.h"
#include "drivers/kvm/accel/decode.h"
#include "drivers/kvm/accel/mmu.h"
#include "drivers/kvm/accel/vm.h"

namespace virtd::accel {
namespace {

// Blocks between looks at the host clock for the Sstc timer.
constexpr unsigned kTimerCheckBlocks = 256;
// Compiled blocks that may follow each other before control returns here (block_compiler.h);
// with kTimerCheckBlocks it bounds how late a timer interrupt can be noticed.
constexpr int32_t kChainBlocks = 32;

// Runs one predecoded block. This is the hot loop; a block compiler would replace it per block.
//
// Hot handlers run on through the block themselves (exec.h: continue_block); when a handler
// returns, h.cur is the instruction that returned: false means it stopped the block there (pc
// set by a jump, trap or exit), true that execution continues after it (the sentinel at the end
// has length 0 and leaves i past the end).
void execute(Hart& h, const Block& b) {
    const Insn* i = b.insns;
    const Insn* end = i + b.count;
    while (i < end) {
        h.cur = i;
        bool go_on = i->fn(h, *i);
        i = h.cur;
        if (!go_on) break;
        h.pc += i->len;
        ++i;
    }
    h.instret += static_cast<uint64_t>((i < end ? i : end) - b.insns);
}

// Finds or decodes the block at pc. Returns nullptr after a fetch fault, or after running an
// instruction that straddles two pages (it is decoded afresh each time, never cached).
Block* lookup(Hart& h) {
    uint64_t pa = 0;
    const uint8_t* host = fetch_host(h, h.pc, pa);
    if (host == nullptr) return nullptr; // fetch fault taken
    if (Block* b = h.blocks->find(pa)) return b;
    Block& fresh = h.blocks->claim(pa);
    const uint8_t* page_end = host + (kPageSize - (pa & ~kPageMask));
    if (decode_block(fresh, pa, host, page_end)) {
        h.blocks->commit(fresh);
        // Stores to this page must now take the slow path, which drops stale blocks.
        if (h.blocks->add_code_page(pa >> kPageShift)) h.tlb.flush_store_paddr(pa);
        return &fresh;
    }
    uint16_t lo = 0, hi = 0;
    std::memcpy(&lo, host, 2);
    uint64_t pa2 = 0;
    const uint8_t* next = fetch_host(h, h.pc + 2, pa2);
    if (next == nullptr) return nullptr; // fault on the second half, reported at its address
    std::memcpy(&hi, next, 2);
    Insn one[2] = {decode_parcels(lo, hi), block_end()};
    Block single;
    single.count = 1;
    single.insns = one;
    execute(h, single);
    return nullptr;
}

// The block linked from `prev` for the current pc, if the link is still valid.
Block* follow(const Hart& h, const Block& prev) {
    if (prev.tlb_gen != h.tlb.gen || prev.cache_gen != h.blocks->gen() ||
        prev.link_priv != h.priv) {
        return nullptr;
    }
    for (unsigned k = 0; k < 2; ++k) {
        if (prev.next_pc[k] == h.pc && prev.next[k]->paddr == prev.next_pa[k]) return prev.next[k];
    }
    return nullptr;
}

void link(const Hart& h, Block& prev, Block& next) {
    if (prev.tlb_gen != h.tlb.gen || prev.cache_gen != h.blocks->gen() ||
        prev.link_priv != h.priv) {
        prev.next_pc[0] = prev.next_pc[1] = ~0ULL;
        prev.tlb_gen = h.tlb.gen;
        prev.cache_gen = h.blocks->gen();
        prev.link_priv = h.priv;
    }
    unsigned k = prev.next_pc[0] == ~0ULL ? 0 : 1; // the second link is replaced as needed
    prev.next_pc[k] = h.pc;
    prev.next_pa[k] = next.paddr;
    prev.next[k] = &next;
}

} // namespace

Vcpu::Vcpu(Vm& vm, uint32_t id)
    : hart_(vm, id) {}

Exit& Vcpu::run() {
    Hart& h = hart_;
    complete_exit();
    h.running_code.store(true);
    timer_budget_ = kTimerCheckBlocks; // service first: the hart may be stopped or paused
    Block* prev = nullptr;
    for (;;) {
        if (h.events.load(std::memory_order_relaxed) != 0 || ++timer_budget_ >= kTimerCheckBlocks) {
            if (service()) break;
            prev = nullptr; // an interrupt taken here moves to another pc and privilege
        }
        // Follow the link from the previous block when the generations allow; otherwise look
        // the block up through the fetch TLB and link it for next time.
        Block* b = prev != nullptr ? follow(h, *prev) : nullptr;
        if (b == nullptr) {
            uint64_t prev_pa = prev != nullptr ? prev->paddr : ~0ULL;
            uint64_t pc = h.pc;
            b = lookup(h);
            // Link only if `prev` still holds the block it held (lookup may have evicted it)
            // and no fault redirected pc.
            if (b != nullptr && prev != nullptr && prev->paddr == prev_pa && h.pc == pc) {
                link(h, *prev, *b);
            }
        }
        prev = b;
        if (b != nullptr) {
            Priv priv = h.priv;
            if (b->code == nullptr && h.compile_threshold != 0 &&
                ++b->runs >= h.compile_threshold) {
                h.compiler->compile(*b, h.blocks->gen());
            }
            if (b->code != nullptr) {
                h.compiler->remember(h, b->code, h.blocks->gen());
                h.chain_budget = kChainBlocks;
                b->code(h);
            } else {
                execute(h, *b);
            }
            // No link across a trap or SRET: the successor runs at another privilege, so the
            // link would be dropped on the block's next ordinary run.
            if (h.priv != priv) prev = nullptr;
        }
        if (h.exit_pending) break;
        if (h.wfi) {
            h.wfi = false;
            prev = nullptr;
            if (wait_for_interrupt()) break;
        }
    }
    h.running_code.store(false);
    return h.exit;
}

void Vcpu::complete_exit() {
    Hart& h = hart_;
    Exit& e = h.exit;
    if (e.kind == Exit::Kind::Mmio && !e.mmio.is_write) {
        const PendingLoad& p = h.pending_load;
        uint64_t v = e.mmio.data;
        if (p.size < 8) {
            unsigned shift = 64 - 8 * p.size;
            v = p.sign ? static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift)
                       : (v << shift) >> shift;
        }
        if (p.fp) {
            h.fp.f[p.rd] = p.size == 4 ? (0xffffffff00000000ULL | v) : v;
        } else {
            h.x[p.rd] = v;
        }
    }
    if (e.kind == Exit::Kind::Sbi) {
        h.x[10] = static_cast<uint64_t>(e.sbi.ret[0]);
        h.x[11] = static_cast<uint64_t>(e.sbi.ret[1]);
    }
    if (e.kind == Exit::Kind::Mmio || e.kind == Exit::Kind::Sbi) h.pc += h.pending_len;
    e.kind = Exit::Kind::None;
    h.exit_pending = false;
}

bool Vcpu::return_with(Exit::Kind kind) {
    hart_.exit = Exit{};
    hart_.exit.kind = kind;
    hart_.exit_pending = true;
    return true;
}

bool Vcpu::service() {
    Hart& h = hart_;
    timer_budget_ = 0;
    update_timer(h);
    h.handle_sync();
    uint32_t ev = h.events.fetch_and(kSyncEvents) & ~static_cast<uint32_t>(kSyncEvents);
    Exit::Kind sys = h.vm.system_event();
    if (sys != Exit::Kind::None) return return_with(sys);
    if (ev & kEvKick) return return_with(Exit::Kind::Interrupted);
    // Parking takes the hart's lock: only when asked (pause, HSM) or not in the started state.
    if (((ev & (kEvPause | kEvHsm)) != 0 || h.hsm_state.load() != kHsmStarted) &&
        wait_while_parked()) {
        return true;
    }
    take_interrupt(h);
    return false;
}

bool Vcpu::wait_while_parked() {
    Hart& h = hart_;
    std::unique_lock<std::mutex> lk(h.lock);
    bool slept = false;
    for (;;) {
        int state = h.hsm_state.load();
        if (state == kHsmStartPending) {
            // HSM hart_start: enter S-mode at start_pc with a0 = hartid, a1 = opaque.
            h.priv = Priv::Supervisor;
            h.pc = h.start_pc;
            h.x[10] = h.id;
            h.x[11] = h.start_opaque;
            h.satp = 0;
            h.sstatus &= ~sstatus::kSie;
            h.update_tlb_context();
            h.tlb.flush();
            h.hsm_state.store(kHsmStarted);
            state = kHsmStarted;
        }
        if (state == kHsmStarted && !paused_) break;
        if (!slept) {
            h.running_code.store(false);
            parked_ = paused_;
            h.wakeup.notify_all(); // pause() waits for parked_
            slept = true;
        }
        uint32_t ev = h.events.load();
        if (ev & (kEvKick | kEvSystem)) {
            parked_ = false;
            lk.unlock();
            h.running_code.store(true);
            if (h.vm.system_event() != Exit::Kind::None) return return_with(h.vm.system_event());
            h.events.fetch_and(~static_cast<uint32_t>(kEvKick));
            return return_with(Exit::Kind::Interrupted);
        }
        h.wakeup.wait(lk);
        parked_ = paused_;
    }
    parked_ = false;
    if (slept) {
        lk.unlock();
        h.running_code.store(true);
        h.handle_sync(); // flushes requested while asleep
    }
    return false;
}

bool Vcpu::wait_for_interrupt() {
    Hart& h = hart_;
    std::unique_lock<std::mutex> lk(h.lock);
    h.running_code.store(false);
    for (;;) {
        if (read_time(h) >= h.stimecmp) h.mip.fetch_or(kStip); // no post(): we hold the lock
        if ((h.mip.load() & h.sie) != 0) break;
        if ((h.events.load() & ~static_cast<uint32_t>(kEvIrq)) != 0) break;
        if (h.stimecmp == ~0ULL) {
            h.wakeup.wait(lk);
            continue;
        }
        uint64_t now = read_time(h);
        uint64_t ticks = h.stimecmp - now;
        if (ticks > 10'000'000) ticks = 10'000'000; // re-check at least every second
        h.wakeup.wait_for(lk, std::chrono::nanoseconds(ticks * 100));
    }
    lk.unlock();
    h.running_code.store(true);
    h.events.fetch_or(kEvIrq); // take the interrupt at the next boundary
    return false;
}

void Vcpu::kick() {
    hart_.post(kEvKick);
}

void Vcpu::pause() {
    Hart& h = hart_;
    {
        std::lock_guard<std::mutex> guard(h.lock);
        paused_ = true;
    }
    h.post(kEvPause);
    std::unique_lock<std::mutex> lk(h.lock);
    h.wakeup.wait(lk, [&] { return parked_ || !h.running_code.load(); });
}

void Vcpu::resume() {
    Hart& h = hart_;
    std::lock_guard<std::mutex> guard(h.lock);
    paused_ = false;
    h.wakeup.notify_all();
}

CoreRegs Vcpu::get_regs() const {
    CoreRegs r;
    std::memcpy(r.x, hart_.x, sizeof(r.x));
    r.x[0] = 0;
    r.pc = hart_.pc;
    r.priv = hart_.priv;
    return r;
}

void Vcpu::set_regs(const CoreRegs& r) {
    std::memcpy(hart_.x, r.x, sizeof(r.x));
    hart_.x[0] = 0;
    hart_.pc = r.pc;
    hart_.priv = r.priv;
    hart_.update_tlb_context();
    hart_.exit.kind = Exit::Kind::None; // new registers replace the last exit's completion
}

CsrRegs Vcpu::get_csrs() const {
    const Hart& h = hart_;
    CsrRegs c;
    c.sstatus = h.sstatus;
    c.sie = h.sie;
    c.sip = h.mip.load();
    c.stvec = h.stvec;
    c.sscratch = h.sscratch;
    c.sepc = h.sepc;
    c.scause = h.scause;
    c.stval = h.stval;
    c.satp = h.satp;
    c.scounteren = h.scounteren;
    c.senvcfg = h.senvcfg;
    c.stimecmp = h.stimecmp;
    return c;
}

void Vcpu::set_csrs(const CsrRegs& c) {
    Hart& h = hart_;
    h.sstatus = (c.sstatus & sstatus::kWritable) | sstatus::kUxl64;
    h.sie = c.sie & kSupervisorIrqs;
    h.mip.store(c.sip & kSupervisorIrqs);
    h.stvec = c.stvec;
    h.sscratch = c.sscratch;
    h.sepc = c.sepc;
    h.scause = c.scause;
    h.stval = c.stval;
    h.satp = c.satp;
    h.scounteren = c.scounteren;
    h.senvcfg = c.senvcfg;
    h.stimecmp = c.stimecmp;
    h.tlb.flush();
    h.update_tlb_context();
    h.events.fetch_or(kEvIrq);
}

VcpuState Vcpu::get_state() {
    VcpuState s;
    s.core = get_regs();
    s.csrs = get_csrs();
    s.fp = hart_.fp;
    s.instret = hart_.instret;
    s.hsm_state = hart_.hsm_state.load();
    std::lock_guard<std::mutex> guard(hart_.lock);
    s.start_pc = hart_.start_pc;
    s.start_opaque = hart_.start_opaque;
    return s;
}

void Vcpu::set_state(const VcpuState& s) {
    set_regs(s.core);
    set_csrs(s.csrs);
    hart_.fp = s.fp;
    hart_.instret = s.instret;
    hart_.resv_valid = false;
    {
        std::lock_guard<std::mutex> guard(hart_.lock);
        hart_.start_pc = s.start_pc;
        hart_.start_opaque = s.start_opaque;
        hart_.hsm_state.store(s.hsm_state);
    }
    hart_.blocks->flush(); // decoded code of the old RAM contents
    hart_.post(kEvHsm);    // a stopped or start-pending hart parks or starts at once
}

} // namespace virtd::accel
