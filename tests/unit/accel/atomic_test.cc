// The A extension: AMO results and sign extension, LR/SC, and atomicity across two vCPU threads.
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

constexpr uint64_t kData = Machine::kRam + 0x10000;

// AMO funct5 values.
enum : uint32_t {
    kAdd = 0x00,
    kSwap = 0x01,
    kLr = 0x02,
    kSc = 0x03,
    kXor = 0x04,
    kOr = 0x08,
    kAnd = 0x0c,
    kMin = 0x10,
    kMaxu = 0x1c
};

TEST(AccelAtomic, AmoResults) {
    Machine m;
    m.write64(kData, 10);
    m.write64(kData + 8, 0x00000000ffffffffULL);
    Asm p;
    p.li(t0, static_cast<int64_t>(kData)).li(t1, 5).li(t2, -1);
    p.w(enc::amo(kAdd, 3, a0, t0, t1));  // a0 = 10, mem = 15
    p.w(enc::amo(kMin, 3, a1, t0, t2));  // a1 = 15, mem = -1
    p.w(enc::amo(kMaxu, 3, a2, t0, t1)); // a2 = -1, mem stays -1
    p.w(enc::amo(kAnd, 3, a3, t0, t1));  // a3 = -1, mem = 5
    p.w(enc::amo(kOr, 3, a4, t0, t2));   // a4 = 5, mem = -1
    p.w(enc::amo(kXor, 3, a5, t0, t2));  // a5 = -1, mem = 0
    p.addi(t0, t0, 8);
    p.w(enc::amo(kSwap, 2, a6, t0, t1)); // .w: old 0xffffffff sign-extends
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 10u);
    EXPECT_EQ(m.x(a1), 15u);
    EXPECT_EQ(m.x(a2), ~0ULL);
    EXPECT_EQ(m.x(a3), ~0ULL);
    EXPECT_EQ(m.x(a4), 5u);
    EXPECT_EQ(m.x(a5), ~0ULL);
    EXPECT_EQ(m.read64(kData), 0u);
    EXPECT_EQ(m.x(a6), ~0ULL);
    EXPECT_EQ(m.read64(kData + 8), 5u);
}

TEST(AccelAtomic, LrScPairsAndFailsWithoutReservation) {
    Machine m;
    m.write64(kData, 41);
    Asm p;
    p.li(t0, static_cast<int64_t>(kData)).li(t2, 99);
    p.w(enc::amo(kLr, 3, a0, t0, zero));
    p.addi(a0, a0, 1);
    p.w(enc::amo(kSc, 3, a1, t0, a0)); // succeeds: a1 = 0
    p.w(enc::amo(kSc, 3, a2, t0, t2)); // no reservation: a2 = 1
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a1), 0u);
    EXPECT_EQ(m.x(a2), 1u);
    EXPECT_EQ(m.read64(kData), 42u);
}

TEST(AccelAtomic, MisalignedAmoTraps) {
    Machine m;
    Asm p;
    p.li(t0, static_cast<int64_t>(kData + 4)).w(enc::amo(kAdd, 3, a0, t0, t0));
    m.start(p.halt());
    CsrRegs c = m.csrs();
    c.stvec = Machine::kRam + 0x800;
    m.cpus[0]->set_csrs(c);
    Asm handler;
    m.load(Machine::kRam + 0x800, handler.halt());
    m.run_to_halt();
    EXPECT_EQ(m.csrs().scause, 6u);
    EXPECT_EQ(m.csrs().stval, kData + 4);
}

TEST(AccelAtomic, TwoHartsCountExactly) {
    constexpr int64_t kIterations = 200000;
    Machine m(2);
    // Both harts: an LR/SC increment of one counter and an AMO increment of another.
    Asm full;
    full.li(t0, static_cast<int64_t>(kData)).li(t2, kIterations).li(s1, 1).addi(s2, t0, 8);
    int64_t top = full.pc();
    full.w(enc::amo(kLr, 3, t1, t0, zero));
    full.addi(t1, t1, 1);
    full.w(enc::amo(kSc, 3, a2, t0, t1));
    full.bne(a2, zero, top);
    full.w(enc::amo(kAdd, 2, zero, s2, s1));
    full.addi(t2, t2, -1);
    full.bne(t2, zero, top);
    full.halt();
    m.start(full, 0);
    m.start(full, 1);
    m.cpus[1]->set_mp_state(kHsmStarted);
    std::thread other([&] { m.run_to_halt(1); });
    m.run_to_halt(0);
    other.join();
    EXPECT_EQ(m.read64(kData), static_cast<uint64_t>(2 * kIterations));
    EXPECT_EQ(m.read64(kData + 8), static_cast<uint64_t>(2 * kIterations));
}

} // namespace
} // namespace virtd::accel::test
