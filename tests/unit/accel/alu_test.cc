// RV64I/M ALU ops, W-op sign extension, shifts, division edge cases, Zb*, compressed forms.
#include <climits>
#include <cstdint>
#include <initializer_list>

#include <gtest/gtest.h>

#include "tests/unit/accel/machine.h"

namespace virtd::accel::test {
namespace {

// Runs `a op b` (OP or OP-32 with funct7/funct3) on fresh registers and returns the result.
uint64_t binop(bool word, uint32_t f7, uint32_t f3, uint64_t a, uint64_t b) {
    Machine m;
    Asm p;
    p.li(t0, static_cast<int64_t>(a)).li(t1, static_cast<int64_t>(b));
    if (word) {
        p.op32(f7, f3, a0, t0, t1);
    } else {
        p.op(f7, f3, a0, t0, t1);
    }
    m.start(p.halt());
    m.run_to_halt();
    return m.x(a0);
}

constexpr uint64_t kMin64 = 0x8000000000000000ULL;

TEST(AccelAlu, LiBuildsAnyConstant) {
    for (uint64_t v : std::initializer_list<uint64_t>{0ULL, 1ULL, 0x7ffULL, 0x800ULL, 0x7fffffffULL,
                                                      0x80000000ULL, ~0ULL, 0x123456789abcdef0ULL,
                                                      kMin64, 0xfffffffffffff800ULL}) {
        Machine m;
        Asm p;
        m.start(p.li(a0, static_cast<int64_t>(v)).halt());
        m.run_to_halt();
        EXPECT_EQ(m.x(a0), v);
    }
}

TEST(AccelAlu, AddSubCompare) {
    EXPECT_EQ(binop(false, 0, 0, ~0ULL, 1), 0u);
    EXPECT_EQ(binop(false, 0x20, 0, 0, 1), ~0ULL);
    EXPECT_EQ(binop(false, 0, 2, ~0ULL, 0), 1u); // slt: -1 < 0
    EXPECT_EQ(binop(false, 0, 3, ~0ULL, 0), 0u); // sltu: max > 0
    EXPECT_EQ(binop(false, 0, 4, 0xf0, 0xff), 0x0fu);
    EXPECT_EQ(binop(false, 0, 6, 0xf0, 0x0f), 0xffu);
    EXPECT_EQ(binop(false, 0, 7, 0xf0, 0x3c), 0x30u);
}

TEST(AccelAlu, ShiftsUseLowSixBits) {
    EXPECT_EQ(binop(false, 0, 1, 1, 63), kMin64);
    EXPECT_EQ(binop(false, 0, 1, 1, 64), 1u); // shift by 64 is shift by 0
    EXPECT_EQ(binop(false, 0, 5, kMin64, 63), 1u);
    EXPECT_EQ(binop(false, 0x20, 5, kMin64, 63), ~0ULL);
    EXPECT_EQ(binop(false, 0x20, 5, kMin64, 64), kMin64);
}

TEST(AccelAlu, WordOpsSignExtend) {
    EXPECT_EQ(binop(true, 0, 0, 0x7fffffff, 1), 0xffffffff80000000ULL);    // addw overflow
    EXPECT_EQ(binop(true, 0x20, 0, 0, 1), ~0ULL);                          // subw
    EXPECT_EQ(binop(true, 0, 1, 1, 31), 0xffffffff80000000ULL);            // sllw
    EXPECT_EQ(binop(true, 0, 1, 1, 32), 1u);                               // sllw uses 5 bits
    EXPECT_EQ(binop(true, 0, 5, 0x80000000, 0), 0xffffffff80000000ULL);    // srlw by 0
    EXPECT_EQ(binop(true, 0, 5, 0xffffffff80000000ULL, 31), 1u);           // srlw
    EXPECT_EQ(binop(true, 0x20, 5, 0x80000000, 31), ~0ULL);                // sraw
    EXPECT_EQ(binop(true, 0x01, 0, 0x10000, 0x10000), 0u);                 // mulw
    EXPECT_EQ(binop(true, 0x01, 0, 0x40000000, 2), 0xffffffff80000000ULL); // mulw
}

TEST(AccelAlu, MultiplyHigh) {
    EXPECT_EQ(binop(false, 1, 1, ~0ULL, ~0ULL), 0u);        // mulh(-1,-1) = 0
    EXPECT_EQ(binop(false, 1, 2, ~0ULL, ~0ULL), ~0ULL);     // mulhsu(-1, 2^64-1)
    EXPECT_EQ(binop(false, 1, 3, ~0ULL, ~0ULL), ~0ULL - 1); // mulhu
    EXPECT_EQ(binop(false, 1, 1, kMin64, kMin64), 1ULL << 62);
}

TEST(AccelAlu, DivisionEdgeCases) {
    EXPECT_EQ(binop(false, 1, 4, 7, 0), ~0ULL);           // div by zero
    EXPECT_EQ(binop(false, 1, 5, 7, 0), ~0ULL);           // divu by zero
    EXPECT_EQ(binop(false, 1, 6, 7, 0), 7u);              // rem by zero
    EXPECT_EQ(binop(false, 1, 7, 7, 0), 7u);              // remu by zero
    EXPECT_EQ(binop(false, 1, 4, kMin64, ~0ULL), kMin64); // overflow
    EXPECT_EQ(binop(false, 1, 6, kMin64, ~0ULL), 0u);
    EXPECT_EQ(binop(false, 1, 4, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-3));
    EXPECT_EQ(binop(false, 1, 6, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-1));
    EXPECT_EQ(binop(true, 1, 4, 0x80000000, ~0ULL), 0xffffffff80000000ULL); // divw overflow
    EXPECT_EQ(binop(true, 1, 6, 0x80000000, ~0ULL), 0u);                    // remw overflow
    EXPECT_EQ(binop(true, 1, 4, 5, 0), ~0ULL);                              // divw by zero
    EXPECT_EQ(binop(true, 1, 5, 5, 0x100000000ULL), ~0ULL);                 // divuw: low word 0
    EXPECT_EQ(binop(true, 1, 7, 0x80000005, 0), 0xffffffff80000005ULL);     // remuw by zero
    EXPECT_EQ(binop(true, 1, 5, 0xfffffffe, 2), 0x7fffffffu);               // divuw
}

TEST(AccelAlu, BitManipulation) {
    EXPECT_EQ(binop(false, 0x10, 2, 3, 100), 106u);            // sh1add
    EXPECT_EQ(binop(true, 0x04, 0, ~0ULL, 1), 0x100000000ULL); // add.uw
    EXPECT_EQ(binop(false, 0x20, 7, 0xff, 0x0f), 0xf0u);       // andn
    EXPECT_EQ(binop(false, 0x05, 4, ~0ULL, 1), ~0ULL);         // min
    EXPECT_EQ(binop(false, 0x05, 7, ~0ULL, 1), ~0ULL);         // maxu
    EXPECT_EQ(binop(false, 0x30, 1, kMin64, 1), 1u);           // rol
    EXPECT_EQ(binop(false, 0x24, 5, 0x10, 4), 1u);             // bext
    EXPECT_EQ(binop(false, 0x14, 1, 0, 63), kMin64);           // bset
    Machine m;
    Asm p;
    p.li(t0, 0x00f0).w(enc::i(0x13, 1, a0, t0, 0x600));             // clz
    p.w(enc::i(0x13, 1, a1, t0, 0x601));                            // ctz
    p.w(enc::i(0x13, 1, a2, t0, 0x602));                            // cpop
    p.li(t1, 0x80).w(enc::i(0x13, 1, a3, t1, 0x604));               // sext.b
    p.li(t2, 0x0102030405060708).w(enc::i(0x13, 5, a4, t2, 0x6b8)); // rev8
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 56u);
    EXPECT_EQ(m.x(a1), 4u);
    EXPECT_EQ(m.x(a2), 4u);
    EXPECT_EQ(m.x(a3), ~0ULL << 7);
    EXPECT_EQ(m.x(a4), 0x0807060504030201u);
}

TEST(AccelAlu, ImmediatesAndUpper) {
    Machine m;
    Asm p;
    p.li(t0, 5).addi(a0, t0, -6);             // -1
    p.w(enc::i(0x13, 3, a1, t0, -1));         // sltiu t0 < 2^64-1
    p.w(enc::i(0x13, 5, a2, a0, 0x400 | 60)); // srai -1 >> 60
    p.w(enc::i(0x1b, 1, a3, t0, 31));         // slliw 5 << 31 -> sign extended
    p.w((1u << 12) | (a4 << 7) | 0x17);       // auipc a4, 1
    p.lui(a5, 0x80000);                       // lui sign-extends
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a1), 1u);
    EXPECT_EQ(m.x(a2), ~0ULL);
    EXPECT_EQ(m.x(a3), 0xffffffff80000000ULL);
    EXPECT_EQ(m.x(a4), Machine::kRam + 4 * 5 + 0x1000);
    EXPECT_EQ(m.x(a5), 0xffffffff80000000ULL);
}

TEST(AccelAlu, WritesToX0AreDiscarded) {
    Machine m;
    Asm p;
    p.addi(zero, zero, 5).add(a0, zero, zero);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 0u);
    EXPECT_EQ(m.x(zero), 0u);
}

TEST(AccelAlu, CompressedForms) {
    Machine m;
    Asm p;
    p.h(0x4515); // c.li a0, 5
    p.h(0x157d); // c.addi a0, -1      -> 4
    p.h(0x85aa); // c.mv a1, a0        -> 4
    p.h(0x95aa); // c.add a1, a0       -> 8
    p.h(0x058e); // c.slli a1, 3       -> 64
    p.h(0x2505); // c.addiw a0, 1      -> 5
    p.h(0xc119); // c.beqz a0, +6      (not taken)
    p.h(0xa019); // c.j +6             (skips the next two)
    p.h(0x4501); // c.li a0, 0         (skipped)
    p.h(0x4501); // c.li a0, 0         (skipped)
    p.h(0x0001); // c.nop
    p.halt();
    m.start(p);
    m.run_to_halt();
    EXPECT_EQ(m.x(a0), 5u);
    EXPECT_EQ(m.x(a1), 64u);
}

TEST(AccelAlu, CompressedLoadsAndStores) {
    Machine m;
    Asm p;
    p.li(sp, static_cast<int64_t>(Machine::kRam + 0x1000));
    p.li(a0, -2);
    p.h(0xe02a); // c.sdsp a0, 0(sp)
    p.h(0x6582); // c.ldsp a1, 0(sp)
    p.h(0x840a); // c.mv s0, sp
    p.h(0x4050); // c.lw a2, 4(s0)
    p.add(a5, a2, zero);
    p.h(0x461d); // c.li a2, 7
    p.h(0xc010); // c.sw a2, 0(s0)
    p.ld(a3, s0, 0);
    m.start(p.halt());
    m.run_to_halt();
    EXPECT_EQ(m.x(a1), static_cast<uint64_t>(-2));
    EXPECT_EQ(m.x(a5), ~0ULL);
    EXPECT_EQ(m.x(a3), 0xffffffff00000007ULL);
}

} // namespace
} // namespace virtd::accel::test
