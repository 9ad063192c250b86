// Traps and interrupts as S-mode sees them, WFI wake-ups, SBI (BASE, TIME, IPI, HSM, SRST), the
// PLIC, kicks, and decoded-code invalidation.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

constexpr uint64_t kHandler = Machine::kRam + 0x800;
constexpr uint64_t kData = Machine::kRam + 0x10000;
constexpr uint64_t kIntr = 1ULL << 63;

enum : uint32_t {
    kSstatus = 0x100,
    kSie = 0x104,
    kStvec = 0x105,
    kSepc = 0x141,
    kSip = 0x144,
    kStimecmp = 0x14d,
    kTime = 0xc01
};

void with_handler(Machine& m, uint64_t stvec = kHandler) {
    Asm handler;
    m.load(kHandler, handler.halt());
    CsrRegs c = m.csrs();
    c.stvec = stvec;
    m.cpus[0]->set_csrs(c);
}

TEST(AccelTrap, IllegalInstructionReportsItsBits) {
    Machine m;
    with_handler(m);
    Asm p;
    p.addi(a0, zero, 1).w(0xffffffff);
    m.start(p);
    m.run_to_halt();
    EXPECT_EQ(m.csrs().scause, 2u);
    EXPECT_EQ(m.csrs().stval, 0xffffffffu);
    EXPECT_EQ(m.csrs().sepc, Machine::kRam + 4);
    EXPECT_NE(m.csrs().sstatus & (1 << 8), 0u); // SPP = S

    Machine c;
    with_handler(c);
    Asm q;
    q.h(0x0000); // the all-zero compressed word is illegal
    c.start(q);
    c.run_to_halt();
    EXPECT_EQ(c.csrs().scause, 2u);
    EXPECT_EQ(c.csrs().stval, 0u);
}

TEST(AccelTrap, EcallFromUserAndSretBack) {
    Machine m;
    with_handler(m);
    Asm p;
    p.li(t1, static_cast<int64_t>(Machine::kRam + 0x100)).csrw(kSepc, t1);
    p.li(t2, (1 << 8) | (1 << 5)).w(enc::i(0x73, 3, zero, t2, kSstatus)); // clear SPP, SPIE
    p.sret();
    m.start(p);
    Asm user;
    user.addi(a0, zero, 9).ecall();
    m.load(Machine::kRam + 0x100, user);
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 9u);
    CsrRegs c = m.csrs();
    EXPECT_EQ(c.scause, 8u);
    EXPECT_EQ(c.sepc, Machine::kRam + 0x104);
    EXPECT_EQ(c.sstatus & (1 << 8), 0u);
    EXPECT_EQ(m.cpus[0]->get_regs().priv, Priv::Supervisor);
}

TEST(AccelTrap, UserCannotTouchSupervisorCsrs) {
    Machine m;
    with_handler(m);
    Asm p;
    p.li(t1, static_cast<int64_t>(Machine::kRam + 0x100)).csrw(kSepc, t1).sret();
    m.start(p);
    Asm user;
    user.csrr(a0, kSstatus);
    m.load(Machine::kRam + 0x100, user);
    m.run_to_halt();
    EXPECT_EQ(m.csrs().scause, 2u);
    EXPECT_EQ(m.csrs().stval, enc::i(0x73, 2, a0, zero, kSstatus));
}

TEST(AccelTrap, CsrRulesAndReadOnlyCounters) {
    Machine m;
    with_handler(m);
    Asm p;
    p.csrr(a0, kTime).csrr(a1, 0x003); // fcsr with FS off traps
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.csrs().scause, 2u);
    Machine w;
    with_handler(w);
    Asm q;
    q.csrw(kTime, zero);
    w.start(q.halt());
    w.run_to_halt();
    EXPECT_EQ(w.csrs().scause, 2u);
}

TEST(AccelTrap, InterruptPriorityAndVectoring) {
    Machine m;
    // Vectored: interrupt n goes to base + 4n. Put halts at base+4 (SSI) and base+20 (STI).
    Asm vec;
    vec.w(0x0000006f).addi(a5, zero, 1).halt();
    m.load(kHandler, vec);
    Asm sti;
    sti.addi(a5, zero, 5).halt();
    m.load(kHandler + 20, sti);
    CsrRegs c = m.csrs();
    c.stvec = kHandler | 1;
    c.sie = (1 << 1) | (1 << 5) | (1 << 9);
    m.cpus[0]->set_csrs(c);
    Asm p;
    p.csrw(kStimecmp, zero);               // STIP now pending
    p.li(t0, 2).csrrs(zero, kSip, t0);     // SSIP pending
    p.li(t1, 2).csrrs(zero, kSstatus, t1); // SIE: both can be taken; software wins
    int64_t after = p.pc();
    p.addi(a0, zero, 1).halt();
    m.start(p);
    m.run_to_halt();
    EXPECT_EQ(m.x(a5), 1u);
    c = m.csrs();
    EXPECT_EQ(c.scause, kIntr | 1);
    EXPECT_EQ(c.sepc, Machine::kRam + static_cast<uint64_t>(after));
    EXPECT_EQ(c.sstatus & 2, 0u);        // SIE cleared on entry
    EXPECT_NE(c.sstatus & (1 << 5), 0u); // SPIE kept the old SIE
}

TEST(AccelTrap, WfiWakesOnTimerWithoutBurningCpu) {
    Machine m;
    Asm p;
    p.csrr(t0, kTime).li(t1, 300000).add(t0, t0, t1).csrw(kStimecmp, t0); // +30 ms
    p.li(t2, 1 << 5).csrw(kSie, t2).wfi().csrr(a0, kSip).halt();
    m.start(p);
    timespec cpu0{}, cpu1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    auto t0 = std::chrono::steady_clock::now();
    m.run_to_halt();
    auto wall = std::chrono::steady_clock::now() - t0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
    double cpu = static_cast<double>(cpu1.tv_sec - cpu0.tv_sec) +
                 static_cast<double>(cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
    EXPECT_GE(wall, std::chrono::milliseconds(25));
    // A busy wait would burn about the whole 30 ms; sleeping costs a small fraction of it even
    // on a loaded host (page faults of the first decode count as thread CPU too).
    EXPECT_LT(cpu, 0.020);
    EXPECT_NE(m.x(a0) & (1 << 5), 0u);
}

TEST(AccelTrap, SbiSetTimerClearsPendingAndMaxMeansOff) {
    Machine m;
    Asm p;
    p.li(a0, 0).sbi(0x54494d45, 0).csrr(s1, kSip);  // due now: STIP set
    p.li(a0, -1).sbi(0x54494d45, 0).csrr(s2, kSip); // off: STIP clear
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_NE(m.x(s1) & (1 << 5), 0u);
    EXPECT_EQ(m.x(s2) & (1 << 5), 0u);
}

TEST(AccelTrap, SbiBaseProbe) {
    Machine m;
    Asm p;
    p.sbi(0x10, 0).add(s1, a1, zero);
    p.li(a0, 0x48534d).sbi(0x10, 3).add(s2, a1, zero);
    p.li(a0, 0x12345).sbi(0x10, 3).add(s3, a1, zero);
    p.sbi(0x999, 0);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(s1), 0x02000000u);
    EXPECT_EQ(m.x(s2), 1u);
    EXPECT_EQ(m.x(s3), 0u);
    EXPECT_EQ(static_cast<int64_t>(m.x(a0)), -2); // unknown extension: not supported
}

TEST(AccelTrap, SbiShutdownAndConsoleExits) {
    Machine m;
    Asm p;
    p.li(a0, 'x').sbi(1, 0).li(a0, 0).sbi(0x53525354, 0);
    m.start(p);
    Exit& e = m.run();
    ASSERT_EQ(e.kind, Exit::Kind::Sbi);
    EXPECT_EQ(e.sbi.args[0], static_cast<uint64_t>('x'));
    e.sbi.ret[0] = 0;
    EXPECT_EQ(m.run().kind, Exit::Kind::Shutdown);
}

TEST(AccelTrap, HsmStartsSecondHartAndIpiWakesWfi) {
    Machine m(2);
    constexpr uint64_t kSecondary = Machine::kRam + 0x2000;
    Asm boot;
    boot.li(a0, 1).sbi(0x48534d, 2).add(s1, a1, zero); // status: stopped
    boot.li(a0, 1).li(a1, static_cast<int64_t>(kSecondary)).li(a2, 0x1234);
    boot.sbi(0x48534d, 0).add(s2, a0, zero);  // hart_start
    boot.li(t2, 1 << 1).csrw(kSie, t2).wfi(); // until the secondary's IPI
    boot.csrr(s3, kSip);
    boot.li(a0, 1).li(a1, static_cast<int64_t>(kSecondary)).sbi(0x48534d, 0).add(a3, a0, zero);
    m.start(boot.halt());
    Asm second;
    second.li(t0, static_cast<int64_t>(kData)).sd(a0, t0, 0).sd(a1, t0, 8);
    second.li(a0, 1).li(a1, 0).sbi(0x735049, 0); // IPI to hart 0
    m.load(kSecondary, second.halt());
    std::thread other([&] { m.run_to_halt(1); });
    m.run_to_halt(0);
    other.join();
    EXPECT_EQ(m.x(s1), 1u); // STOPPED
    EXPECT_EQ(m.x(s2), 0u);
    EXPECT_NE(m.x(s3) & 2, 0u);                   // SSIP
    EXPECT_EQ(static_cast<int64_t>(m.x(a3)), -6); // already available
    EXPECT_EQ(m.read64(kData), 1u);               // a0 = hart id
    EXPECT_EQ(m.read64(kData + 8), 0x1234u);      // a1 = opaque
}

TEST(AccelTrap, PlicDeliversClaimsAndCompletes) {
    Machine m;
    CsrRegs c = m.csrs();
    c.sie = 1 << 9;
    m.cpus[0]->set_csrs(c);
    Asm p;
    p.li(t0, 0x0c000000).li(t1, 1).store(2, t1, t0, 10 * 4);  // priority[10] = 1
    p.li(t2, 0x0c002080).li(t1, 1 << 10).store(2, t1, t2, 0); // hart 0 S enable
    p.wfi().csrr(s1, kSip);
    p.li(t2, 0x0c201004).load(6, a0, t2, 0); // claim
    p.load(6, a1, t2, 0);                    // nothing left
    p.store(2, a0, t2, 0);                   // complete
    m.start(p.halt());
    std::thread device([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        m.vm->set_irq_line(10, true);
    });
    m.run_to_halt();
    device.join();
    EXPECT_NE(m.x(s1) & (1 << 9), 0u);
    EXPECT_EQ(m.x(a0), 10u);
    EXPECT_EQ(m.x(a1), 0u);
    // Still high after completion: pending again.
    EXPECT_NE(m.csrs().sip & (1 << 9), 0u);
    m.vm->set_irq_line(10, false);
    EXPECT_EQ(m.csrs().sip & (1 << 9), 0u);
}

TEST(AccelTrap, KickInterruptsARunningLoop) {
    Machine m;
    Asm p;
    p.w(enc::j(zero, 0));
    m.start(p);
    std::thread kicker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        m.cpus[0]->kick();
    });
    EXPECT_EQ(m.run().kind, Exit::Kind::Interrupted);
    kicker.join();
}

TEST(AccelTrap, StoresToCodeInvalidateDecodedBlocks) {
    Machine m;
    constexpr uint64_t kFn = Machine::kRam + 0x3000;
    Asm fn;
    fn.addi(a0, zero, 1).w(enc::i(0x67, 0, zero, ra, 0)); // ret
    m.load(kFn, fn);
    Asm p;
    p.li(t0, static_cast<int64_t>(kFn)).w(enc::i(0x67, 0, ra, t0, 0)).add(s1, a0, zero);
    p.li(t1, enc::i(0x13, 0, a0, zero, 2)).store(2, t1, t0, 0); // patch: addi a0, zero, 2
    p.fence_i().w(enc::i(0x67, 0, ra, t0, 0)).add(s2, a0, zero);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(s1), 1u);
    EXPECT_EQ(m.x(s2), 2u);
}

} // namespace
} // namespace virtd::accel::test
