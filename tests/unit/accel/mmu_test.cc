// Sv39/Sv48 page walks: leaves at every level, A/D updates, permission and canonical-address
// faults with their causes, SUM, unsupported satp modes, and fetch faults after SRET to U-mode.
#include <cstdint>

#include <gtest/gtest.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

enum : uint64_t { kV = 1, kR = 2, kW = 4, kX = 8, kU = 16, kA = 64, kD = 128 };

constexpr uint64_t kRoot = Machine::kRam + 0x100000;
constexpr uint64_t kL1 = kRoot + 0x1000;
constexpr uint64_t kL0 = kRoot + 0x2000;
constexpr uint64_t kRoot48 = kRoot + 0x3000;
constexpr uint64_t kData = Machine::kRam + 0x10000;
constexpr uint64_t kHandler = Machine::kRam + 0x800;
constexpr uint64_t kVa = 0x40000000;

uint64_t pte(uint64_t pa, uint64_t flags) {
    return ((pa >> 12) << 10) | flags | kV;
}

// Maps: RAM identity as a 1 GiB page (kernel code), kVa+0 -> kData (RW, no A/D),
// kVa+0x1000 -> read-only, kVa+0x2000 -> user RW, kVa+0x200000 -> a 2 MiB page at RAM+2M,
// kVa+0x400000 -> a misaligned 2 MiB leaf. The Sv48 root points both halves at the Sv39 root.
class MmuTest : public ::testing::Test {
protected:
    void SetUp() override {
        m.write64(kRoot + 2 * 8, pte(Machine::kRam, kR | kW | kX | kA | kD));
        m.write64(kRoot + 1 * 8, pte(kL1, 0));
        m.write64(kL1 + 0 * 8, pte(kL0, 0));
        m.write64(kL1 + 1 * 8, pte(Machine::kRam + 0x200000, kR | kW | kA | kD));
        m.write64(kL1 + 2 * 8, pte(Machine::kRam + 0x1000, kR | kA));
        m.write64(kL0 + 0 * 8, pte(kData, kR | kW));
        m.write64(kL0 + 1 * 8, pte(kData + 0x1000, kR | kA));
        m.write64(kL0 + 2 * 8, pte(kData + 0x2000, kR | kW | kU | kA | kD));
        m.write64(kRoot48 + 0 * 8, pte(kRoot, 0));
        m.write64(kRoot48 + 1 * 8, pte(kRoot, 0));
        m.write64(kData + 8, 0xabcdef);
        Asm handler;
        m.load(kHandler, handler.halt());
        CsrRegs c = m.csrs();
        c.stvec = kHandler;
        m.cpus[0]->set_csrs(c);
    }

    // Enables translation (mode 8 = Sv39, 9 = Sv48) and then runs `body`.
    void run(uint64_t mode, const Asm& body) {
        Asm p;
        p.li(t0, static_cast<int64_t>((mode << 60) | (mode == 9 ? kRoot48 : kRoot) >> 12));
        p.csrw(0x180, t0);
        prefix = p.pc();
        p.bytes.insert(p.bytes.end(), body.bytes.begin(), body.bytes.end());
        m.start(p.halt());
        m.run_to_halt();
    }

    Machine m;
    int64_t prefix = 0; // bytes before the body
};

TEST_F(MmuTest, WalkSetsAccessedAndDirty) {
    Asm b;
    b.li(t1, kVa).ld(a0, t1, 8);
    run(8, b);
    EXPECT_EQ(m.x(a0), 0xabcdefu);
    EXPECT_EQ(m.read64(kL0) & (kA | kD), kA);
    Asm s;
    s.li(t1, kVa).sd(t1, t1, 16);
    run(8, s);
    EXPECT_EQ(m.read64(kL0) & (kA | kD), kA | kD);
    EXPECT_EQ(m.read64(kData + 16), kVa);
}

TEST_F(MmuTest, StoreToReadOnlyPageFaults) {
    Asm b;
    b.li(t1, kVa + 0x1000).ld(a0, t1, 0);
    int64_t store_at = b.pc();
    b.sd(t1, t1, 0);
    run(8, b);
    CsrRegs c = m.csrs();
    EXPECT_EQ(c.scause, 15u);
    EXPECT_EQ(c.stval, kVa + 0x1000);
    EXPECT_EQ(c.sepc, Machine::kRam + static_cast<uint64_t>(prefix + store_at));
    EXPECT_EQ(m.read64(kData + 0x1000), 0u);
}

TEST_F(MmuTest, UserPagesNeedSum) {
    Asm b;
    b.li(t1, kVa + 0x2000).ld(a0, t1, 0);
    run(8, b);
    EXPECT_EQ(m.csrs().scause, 13u);
    EXPECT_EQ(m.csrs().stval, kVa + 0x2000);
    Asm sum;
    sum.li(t2, 1 << 18).csrrs(zero, 0x100, t2).li(t1, kVa + 0x2000).li(a1, 7).sd(a1, t1, 0);
    m.cpus[0]->set_csrs(CsrRegs{.stvec = kHandler});
    run(8, sum);
    EXPECT_EQ(m.read64(kData + 0x2000), 7u);
}

TEST_F(MmuTest, SuperpagesTranslateLowBits) {
    m.write64(Machine::kRam + 0x201008, 0x5151);
    Asm b;
    b.li(t1, kVa + 0x201000).ld(a0, t1, 8);
    run(8, b);
    EXPECT_EQ(m.x(a0), 0x5151u);
}

TEST_F(MmuTest, SfenceOnAnyAddressOfASuperpageDropsIt) {
    m.write64(Machine::kRam + 0x201008, 1);
    m.write64(Machine::kRam + 0x401008, 2);
    Asm b;
    b.li(t1, kVa + 0x201000).ld(a0, t1, 8);
    // Remap the 2 MiB page to RAM+4M, then fence a different 4 KiB page inside it.
    b.li(t2, static_cast<int64_t>(kL1 + 8))
        .li(s1, static_cast<int64_t>(pte(Machine::kRam + 0x400000, kR | kW | kA | kD)));
    b.sd(s1, t2, 0).li(s2, kVa + 0x3ff000).w(enc::r(0x73, 0, 0x09, 0, s2, 0));
    b.ld(a1, t1, 8);
    run(8, b);
    EXPECT_EQ(m.x(a0), 1u);
    EXPECT_EQ(m.x(a1), 2u);
}

TEST_F(MmuTest, MisalignedSuperpageFaults) {
    Asm b;
    b.li(t1, kVa + 0x400000).ld(a0, t1, 0);
    run(8, b);
    EXPECT_EQ(m.csrs().scause, 13u);
}

TEST_F(MmuTest, NonCanonicalAddressFaults) {
    Asm b;
    b.li(t1, 0x8000000000).ld(a0, t1, 0); // bit 39 set, bits above clear: invalid in Sv39
    run(8, b);
    EXPECT_EQ(m.csrs().scause, 13u);
    EXPECT_EQ(m.csrs().stval, 0x8000000000u);
}

TEST_F(MmuTest, Sv48FourLevelWalk) {
    Asm b;
    b.li(t1, 0x8000000000 + kVa).ld(a0, t1, 8); // VPN[3] = 1 -> the Sv39 root as level 2
    run(9, b);
    EXPECT_EQ(m.x(a0), 0xabcdefu);
}

TEST_F(MmuTest, UnsupportedSatpModeIsIgnored) {
    Asm p;
    p.li(t0, static_cast<int64_t>((10ULL << 60) | (kRoot >> 12))).csrw(0x180, t0).csrr(a0, 0x180);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 0u);
}

TEST_F(MmuTest, UserModeRunsOnUserPagesAndMxrReadsExecuteOnly) {
    // kVa+0x2000 is a user RW page: make it user RWX and put user code there.
    m.write64(kL0 + 2 * 8, pte(kData + 0x2000, kR | kW | kX | kU | kA | kD));
    // kVa+0x3000: execute-only supervisor page over kData+0x3000.
    m.write64(kL0 + 3 * 8, pte(kData + 0x3000, kX | kA));
    m.write64(kData + 0x3000, 0x77);
    Asm user;
    user.addi(a4, zero, 42).ecall();
    m.load(kData + 0x2000, user);
    Asm b;
    b.li(t1, kVa + 0x3000).li(t2, 1 << 19).csrrs(zero, 0x100, t2).ld(a3, t1, 0); // MXR
    b.li(t1, kVa + 0x2000).csrw(0x141, t1);
    b.li(t2, 1 << 8).w(enc::i(0x73, 3, zero, t2, 0x100)).sret();
    run(8, b);
    EXPECT_EQ(m.x(a3), 0x77u);
    EXPECT_EQ(m.x(a4), 42u);
    EXPECT_EQ(m.csrs().scause, 8u); // the user ECALL
}

TEST_F(MmuTest, RemappedCodeIsFetchedAfterSfence) {
    // kVa+0x5000 maps code page C1, later C2; both return a different value.
    constexpr uint64_t kC1 = kData + 0x5000, kC2 = kData + 0x6000;
    m.write64(kL0 + 5 * 8, pte(kC1, kR | kX | kA));
    Asm c1;
    c1.addi(a0, zero, 1).w(enc::i(0x67, 0, zero, ra, 0));
    m.load(kC1, c1);
    Asm c2;
    c2.addi(a0, zero, 2).w(enc::i(0x67, 0, zero, ra, 0));
    m.load(kC2, c2);
    // Three calls through one call site; the mapping changes (with SFENCE.VMA) after the
    // second, when the call site's block is already linked to C1's block.
    Asm b;
    b.li(t1, kVa + 0x5000).li(t2, static_cast<int64_t>(kL0 + 5 * 8));
    b.li(s2, static_cast<int64_t>(pte(kC1, kR | kX | kA)));
    b.li(s5, static_cast<int64_t>(pte(kC2, kR | kX | kA))).li(s1, 0).li(s4, 0).li(t3, 3);
    int64_t loop = b.pc();
    b.w(enc::i(0x67, 0, ra, t1, 0));
    b.add(s1, s1, a0).sd(s2, t2, 0).w(enc::r(0x73, 0, 0x09, 0, t1, 0)); // remap, sfence.vma
    b.add(s2, s5, zero).addi(s4, s4, 1).bne(s4, t3, loop);
    run(8, b);
    EXPECT_EQ(m.x(s1), 4u); // 1 and 1 from C1, then 2 from C2
}

TEST_F(MmuTest, UserFetchFromSupervisorPageFaults) {
    Asm b;
    int64_t target = 0x400;
    b.li(t1, static_cast<int64_t>(Machine::kRam + target)).csrw(0x141, t1); // sepc
    b.li(t2, 1 << 8).w(enc::i(0x73, 3, zero, t2, 0x100)); // csrc sstatus.SPP: return to U
    b.sret();
    run(8, b);
    CsrRegs c = m.csrs();
    EXPECT_EQ(c.scause, 12u);
    EXPECT_EQ(c.stval, Machine::kRam + target);
    EXPECT_EQ(c.sepc, Machine::kRam + target);
    EXPECT_EQ(c.sstatus & (1 << 8), 0u); // came from U
}

} // namespace
} // namespace virtd::accel::test
