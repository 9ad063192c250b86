// Loads and stores: widths and sign extension, misaligned accesses handled without a trap,
// MMIO exits and their completion, read-only slots, dirty logging, FP loads/stores.
#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

constexpr uint64_t kData = Machine::kRam + 0x10000;

TEST(AccelMem, WidthsAndSignExtension) {
    Machine m;
    m.write64(kData, 0x8081828384858687ULL);
    Asm p;
    p.li(t0, static_cast<int64_t>(kData));
    p.load(0, a0, t0, 0).load(4, a1, t0, 0); // lb, lbu of 0x87
    p.load(1, a2, t0, 0).load(5, a3, t0, 0); // lh, lhu of 0x8687
    p.load(2, a4, t0, 4).load(6, a5, t0, 4); // lw, lwu of 0x80818283
    p.ld(a6, t0, 0);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 0xffffffffffffff87ULL);
    EXPECT_EQ(m.x(a1), 0x87u);
    EXPECT_EQ(m.x(a2), 0xffffffffffff8687ULL);
    EXPECT_EQ(m.x(a3), 0x8687u);
    EXPECT_EQ(m.x(a4), 0xffffffff80818283ULL);
    EXPECT_EQ(m.x(a5), 0x80818283u);
    EXPECT_EQ(m.x(a6), 0x8081828384858687ULL);
}

TEST(AccelMem, StoresOfEachWidth) {
    Machine m;
    Asm p;
    p.li(t0, static_cast<int64_t>(kData)).li(t1, 0x1122334455667788);
    p.sd(t1, t0, 0).store(0, zero, t0, 0).store(1, zero, t0, 2).store(2, t1, t0, 8);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.read64(kData), 0x1122334400007700ULL);
    EXPECT_EQ(m.read64(kData + 8), 0x55667788u);
}

TEST(AccelMem, MisalignedAccessesNeverTrap) {
    Machine m;
    // Across a page boundary, too.
    uint64_t at = kData + 0xffd;
    Asm p;
    p.li(t0, static_cast<int64_t>(at)).li(t1, 0x0102030405060708);
    p.sd(t1, t0, 0).ld(a0, t0, 0).load(2, a1, t0, 1).load(1, a2, t0, 3);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 0x0102030405060708u);
    EXPECT_EQ(m.x(a1), 0x04050607u);
    EXPECT_EQ(m.x(a2), 0x0405u);
    uint64_t raw = 0;
    std::memcpy(&raw, m.host(at), 8);
    EXPECT_EQ(raw, 0x0102030405060708u);
}

TEST(AccelMem, MmioExitsAndCompletes) {
    Machine m;
    Asm p;
    p.li(t0, 0x10000000);
    p.load(0, a0, t0, 5); // lb from the UART: VMM answers 0x80
    p.li(t1, 0x41).store(0, t1, t0, 0);
    p.load(3, a1, t0, 8); // ld
    m.start(p.halt());
    Exit& e = m.run();
    ASSERT_EQ(e.kind, Exit::Kind::Mmio);
    EXPECT_EQ(e.mmio.addr, 0x10000005u);
    EXPECT_EQ(e.mmio.len, 1u);
    EXPECT_FALSE(e.mmio.is_write);
    e.mmio.data = 0x80;
    Exit& w = m.run();
    ASSERT_EQ(w.kind, Exit::Kind::Mmio);
    EXPECT_TRUE(w.mmio.is_write);
    EXPECT_EQ(w.mmio.addr, 0x10000000u);
    EXPECT_EQ(w.mmio.data, 0x41u);
    Exit& r = m.run();
    ASSERT_EQ(r.kind, Exit::Kind::Mmio);
    EXPECT_EQ(r.mmio.len, 8u);
    r.mmio.data = 0x1234567890ULL;
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 0xffffffffffffff80ULL);
    EXPECT_EQ(m.x(a1), 0x1234567890ULL);
}

TEST(AccelMem, ReadOnlySlotWritesExit) {
    Machine m;
    auto rom = MemfdRegion::create("rom", 0x1000).value();
    rom.data()[0] = 0x5a;
    ASSERT_TRUE(m.vm->set_memory_region(1, 0x20000000, 0x1000, rom.data(), kMemReadonly).ok());
    Asm p;
    p.li(t0, 0x20000000).load(4, a0, t0, 0).li(t1, 7).store(0, t1, t0, 0);
    m.start(p.halt());
    Exit& e = m.run();
    ASSERT_EQ(e.kind, Exit::Kind::Mmio);
    EXPECT_TRUE(e.mmio.is_write);
    EXPECT_EQ(e.mmio.addr, 0x20000000u);
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 0x5au);
    EXPECT_EQ(rom.data()[0], 0x5a);
}

TEST(AccelMem, DirtyLogReturnsAndClears) {
    Machine m(1, kMemLogDirty);
    // Program at page 0 stores to page 5 twice with a harvest in between (two runs).
    Asm p;
    p.li(t0, static_cast<int64_t>(Machine::kRam + 5 * 4096)).sd(t0, t0, 0).halt();
    p.sd(t0, t0, 8).halt();
    m.start(p);
    ASSERT_TRUE(m.vm->get_dirty_log(0).ok()); // drop whatever loading did (nothing: host writes)
    m.run_to_halt();
    auto log = m.vm->get_dirty_log(0).value();
    EXPECT_EQ(log[0], 1ULL << 5);
    auto empty = m.vm->get_dirty_log(0).value();
    EXPECT_EQ(empty[0], 0u);
    m.run_to_halt(); // the write TLB entry was dropped by the harvest: logged again
    auto again = m.vm->get_dirty_log(0).value();
    EXPECT_EQ(again[0], 1ULL << 5);
    EXPECT_FALSE(m.vm->get_dirty_log(3).ok());
}

TEST(AccelMem, FloatLoadsNeedFsAndNanBox) {
    Machine m;
    m.write64(kData, 0x3ff0000040490fdbULL);
    Asm p;
    p.li(t0, static_cast<int64_t>(kData));
    p.w(enc::i(0x07, 2, 1, t0, 0));  // flw f1, 0(t0)
    p.w(enc::i(0x07, 3, 2, t0, 0));  // fld f2, 0(t0)
    p.w(enc::s(0x27, 2, t0, 2, 16)); // fsw f2, 16(t0)
    p.w(enc::s(0x27, 3, t0, 1, 24)); // fsd f1, 24(t0)
    p.halt();
    m.start(p);
    CsrRegs c = m.csrs();
    c.stvec = Machine::kRam + 0x800;
    m.cpus[0]->set_csrs(c);
    Asm handler;
    m.load(Machine::kRam + 0x800, handler.halt());
    m.run_to_halt(); // FS is Off: the first flw traps as illegal
    EXPECT_EQ(m.csrs().scause, 2u);
    EXPECT_EQ(m.csrs().stval, enc::i(0x07, 2, 1, t0, 0));

    c.sstatus = 1ULL << 13; // FS = Initial
    m.cpus[0]->set_csrs(c);
    CoreRegs r = m.cpus[0]->get_regs();
    r.pc = Machine::kRam;
    m.cpus[0]->set_regs(r);
    m.run_to_halt();
    FpState fp = m.cpus[0]->get_fp();
    EXPECT_EQ(fp.f[1], 0xffffffff40490fdbULL);
    EXPECT_EQ(fp.f[2], 0x3ff0000040490fdbULL);
    EXPECT_EQ(m.read64(kData + 16) & 0xffffffff, 0x40490fdbu);
    EXPECT_EQ(m.read64(kData + 24), 0xffffffff40490fdbULL);
    EXPECT_EQ(m.csrs().sstatus & (3ULL << 13), 3ULL << 13); // FS = Dirty
}

} // namespace
} // namespace virtd::accel::test
