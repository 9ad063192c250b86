// Tests of the RISC-V F/D unit through fp_execute: encoded instructions, results and fflags,
// hand-picked corner cases first, then a differential run against the host's SSE unit for the
// four rounding modes x86 has.
#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "drivers/kvm/accel/fpu.h"

namespace {

using namespace virtd::accel;

constexpr uint32_t kS = 0;
constexpr uint32_t kD = 1;

// OP-FP funct5 values.
constexpr uint32_t kAdd = 0x00;
constexpr uint32_t kSub = 0x01;
constexpr uint32_t kMul = 0x02;
constexpr uint32_t kDiv = 0x03;
constexpr uint32_t kSgnj = 0x04;
constexpr uint32_t kMinMax = 0x05;
constexpr uint32_t kCvtFF = 0x08;
constexpr uint32_t kSqrt = 0x0b;
constexpr uint32_t kCmp = 0x14;
constexpr uint32_t kCvtToInt = 0x18;
constexpr uint32_t kCvtFromInt = 0x1a;
constexpr uint32_t kMvXClass = 0x1c;
constexpr uint32_t kMvFromX = 0x1e;

// Integer kinds in rs2 of FCVT.
constexpr uint32_t kW = 0;
constexpr uint32_t kWU = 1;
constexpr uint32_t kL = 2;
constexpr uint32_t kLU = 3;

// Fused opcodes.
constexpr uint32_t kFmadd = 0x43;
constexpr uint32_t kFmsub = 0x47;
constexpr uint32_t kFnmsub = 0x4b;
constexpr uint32_t kFnmadd = 0x4f;

constexpr uint32_t kNv = kFlagNv;
constexpr uint32_t kDz = kFlagDz;
constexpr uint32_t kOf = kFlagOf;
constexpr uint32_t kUf = kFlagUf;
constexpr uint32_t kNx = kFlagNx;

uint32_t op_fp(uint32_t funct5, uint32_t fmt, uint32_t rd, uint32_t rs1, uint32_t rs2,
               uint32_t rm) {
    return funct5 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | 0x53;
}

uint32_t r4(uint32_t opcode, uint32_t fmt, uint32_t rd, uint32_t rs1, uint32_t rs2, uint32_t rs3,
            uint32_t rm) {
    return rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | opcode;
}

uint32_t bits(float v) {
    return std::bit_cast<uint32_t>(v);
}
uint64_t bits(double v) {
    return std::bit_cast<uint64_t>(v);
}
double as_double(uint64_t b) {
    return std::bit_cast<double>(b);
}

constexpr uint32_t kQnanPayloadS = 0x7fc12345;
constexpr uint32_t kSnanS = 0x7f800001;
constexpr uint64_t kSnanD = 0x7ff0000000000001ull;
constexpr uint64_t kQnanPayloadD = 0x7ff8000000001234ull;

// Operands go to f1, f2, f3 (x1, x2 for integers); results to f4 or x4.
class FpuTest : public ::testing::Test {
protected:
    FpState fp{};
    uint64_t x[32]{};

    void exec(uint32_t insn) {
        fp.fflags = 0;
        ASSERT_TRUE(fp_execute(insn, fp, x)) << std::hex << insn;
    }

    // A single-precision operation; checks the result is NaN-boxed and returns its bits.
    uint32_t run_s(uint32_t funct5, uint32_t a, uint32_t b, uint32_t rm = kRmRne) {
        fp.f[1] = nan_box_s(a);
        fp.f[2] = nan_box_s(b);
        exec(op_fp(funct5, kS, 4, 1, 2, rm));
        EXPECT_EQ(fp.f[4] >> 32, 0xffffffffu) << "result not NaN-boxed";
        return static_cast<uint32_t>(fp.f[4]);
    }
    uint64_t run_d(uint32_t funct5, uint64_t a, uint64_t b, uint32_t rm = kRmRne) {
        fp.f[1] = a;
        fp.f[2] = b;
        exec(op_fp(funct5, kD, 4, 1, 2, rm));
        return fp.f[4];
    }
    uint32_t fused_s(uint32_t opcode, uint32_t a, uint32_t b, uint32_t c, uint32_t rm = kRmRne) {
        fp.f[1] = nan_box_s(a);
        fp.f[2] = nan_box_s(b);
        fp.f[3] = nan_box_s(c);
        exec(r4(opcode, kS, 4, 1, 2, 3, rm));
        return static_cast<uint32_t>(fp.f[4]);
    }
    uint64_t fused_d(uint32_t opcode, uint64_t a, uint64_t b, uint64_t c, uint32_t rm = kRmRne) {
        fp.f[1] = a;
        fp.f[2] = b;
        fp.f[3] = c;
        exec(r4(opcode, kD, 4, 1, 2, 3, rm));
        return fp.f[4];
    }
    // FCVT.int.fmt: the integer register's value.
    uint64_t to_int(uint32_t fmt, uint32_t kind, uint64_t reg, uint32_t rm = kRmRne) {
        fp.f[1] = reg;
        exec(op_fp(kCvtToInt, fmt, 4, 1, kind, rm));
        return x[4];
    }
    // FCVT.fmt.int: the floating-point register's value (boxed for S).
    uint64_t from_int(uint32_t fmt, uint32_t kind, uint64_t value, uint32_t rm = kRmRne) {
        x[1] = value;
        exec(op_fp(kCvtFromInt, fmt, 4, 1, kind, rm));
        return fp.f[4];
    }
    uint64_t cmp(uint32_t fmt, uint32_t rm, uint64_t a, uint64_t b) {
        fp.f[1] = a;
        fp.f[2] = b;
        exec(op_fp(kCmp, fmt, 4, 1, 2, rm));
        return x[4];
    }
    uint64_t fclass_s(uint32_t v) {
        fp.f[1] = nan_box_s(v);
        exec(op_fp(kMvXClass, kS, 4, 1, 0, 1));
        return x[4];
    }
    uint64_t fclass_d(uint64_t v) {
        fp.f[1] = v;
        exec(op_fp(kMvXClass, kD, 4, 1, 0, 1));
        return x[4];
    }
};

// ---- Rounding modes ----

TEST_F(FpuTest, AddTieInEveryMode) {
    // 1 + 2^-24 lies halfway between 1 and the next float 1 + 2^-23.
    const uint32_t one = bits(1.0f);
    const uint32_t half_ulp = bits(std::ldexp(1.0f, -24));
    const uint32_t next = one + 1;
    EXPECT_EQ(run_s(kAdd, one, half_ulp, kRmRne), one); // tie to even
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(run_s(kAdd, one, half_ulp, kRmRmm), next); // tie away from zero
    EXPECT_EQ(run_s(kAdd, one, half_ulp, kRmRup), next);
    EXPECT_EQ(run_s(kAdd, one, half_ulp, kRmRdn), one);
    EXPECT_EQ(run_s(kAdd, one, half_ulp, kRmRtz), one);
    // From an odd significand the even neighbour is above.
    EXPECT_EQ(run_s(kAdd, next, half_ulp, kRmRne), next + 1);
    // Negative: directed modes swap, RMM still goes away from zero.
    const uint32_t neg_one = bits(-1.0f);
    const uint32_t neg_half_ulp = bits(-std::ldexp(1.0f, -24));
    EXPECT_EQ(run_s(kAdd, neg_one, neg_half_ulp, kRmRne), neg_one);
    EXPECT_EQ(run_s(kAdd, neg_one, neg_half_ulp, kRmRmm), neg_one + 1);
    EXPECT_EQ(run_s(kAdd, neg_one, neg_half_ulp, kRmRdn), neg_one + 1);
    EXPECT_EQ(run_s(kAdd, neg_one, neg_half_ulp, kRmRup), neg_one);
    EXPECT_EQ(run_s(kAdd, neg_one, neg_half_ulp, kRmRtz), neg_one);
    EXPECT_EQ(fp.fflags, kNx);
}

TEST_F(FpuTest, DivideOneThirdInEveryMode) {
    const uint64_t third_down = 0x3fd5555555555555ull;
    const uint64_t one = bits(1.0), three = bits(3.0), minus_one = bits(-1.0);
    EXPECT_EQ(run_d(kDiv, one, three, kRmRne), third_down);
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(run_d(kDiv, one, three, kRmRtz), third_down);
    EXPECT_EQ(run_d(kDiv, one, three, kRmRdn), third_down);
    EXPECT_EQ(run_d(kDiv, one, three, kRmRup), third_down + 1);
    EXPECT_EQ(run_d(kDiv, one, three, kRmRmm), third_down);
    EXPECT_EQ(run_d(kDiv, minus_one, three, kRmRdn), (third_down + 1) | (1ull << 63));
    EXPECT_EQ(run_d(kDiv, minus_one, three, kRmRup), third_down | (1ull << 63));
    // Single precision too: 1/3 = 0x3eaaaaab in RNE (rounds up), 0x3eaaaaaa toward zero.
    EXPECT_EQ(run_s(kDiv, bits(1.0f), bits(3.0f), kRmRne), 0x3eaaaaabu);
    EXPECT_EQ(run_s(kDiv, bits(1.0f), bits(3.0f), kRmRtz), 0x3eaaaaaau);
    EXPECT_EQ(run_s(kDiv, bits(6.0f), bits(3.0f), kRmRup), bits(2.0f));
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, DynamicRoundingModeUsesFrm) {
    fp.frm = kRmRup;
    EXPECT_EQ(run_d(kDiv, bits(1.0), bits(3.0), kRmDyn), 0x3fd5555555555556ull);
    fp.frm = kRmRtz;
    EXPECT_EQ(run_d(kDiv, bits(1.0), bits(3.0), kRmDyn), 0x3fd5555555555555ull);
}

TEST_F(FpuTest, ConvertToIntegerRoundsByMode) {
    const uint64_t two_half = bits(2.5), minus_two_half = bits(-2.5);
    const struct {
        uint32_t rm;
        int64_t pos;
        int64_t neg;
    } cases[] = {
        {kRmRne, 2, -2}, {kRmRtz, 2, -2}, {kRmRdn, 2, -3}, {kRmRup, 3, -2}, {kRmRmm, 3, -3}};
    for (const auto& c : cases) {
        EXPECT_EQ(to_int(kD, kW, two_half, c.rm), static_cast<uint64_t>(c.pos)) << c.rm;
        EXPECT_EQ(fp.fflags, kNx);
        EXPECT_EQ(to_int(kD, kL, minus_two_half, c.rm), static_cast<uint64_t>(c.neg)) << c.rm;
        EXPECT_EQ(to_int(kS, kW, nan_box_s(bits(-2.5f)), c.rm), static_cast<uint64_t>(c.neg));
    }
    EXPECT_EQ(to_int(kD, kL, bits(3.5), kRmRne), 4u);
    EXPECT_EQ(to_int(kD, kL, bits(-7.0), kRmRne), static_cast<uint64_t>(-7));
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, ConvertFromIntegerRoundsByMode) {
    // 2^24 + 1 needs 25 bits: a tie between 2^24 and 2^24 + 2 in single precision.
    const uint64_t v = (1u << 24) + 1;
    EXPECT_EQ(from_int(kS, kW, v, kRmRne), nan_box_s(bits(16777216.0f)));
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(from_int(kS, kW, v, kRmRmm), nan_box_s(bits(16777218.0f)));
    EXPECT_EQ(from_int(kS, kWU, v, kRmRup), nan_box_s(bits(16777218.0f)));
    EXPECT_EQ(from_int(kS, kL, v, kRmRdn), nan_box_s(bits(16777216.0f)));
    EXPECT_EQ(from_int(kS, kL, static_cast<uint64_t>(-static_cast<int64_t>(v)), kRmRdn),
              nan_box_s(bits(-16777218.0f)));
    // W reads only the low 32 bits, signed; WU unsigned.
    EXPECT_EQ(from_int(kD, kW, 0x12345678ffffffffull), bits(-1.0));
    EXPECT_EQ(from_int(kD, kWU, 0x12345678ffffffffull), bits(4294967295.0));
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(from_int(kD, kLU, ~0ull, kRmRtz), bits(18446744073709549568.0));
    EXPECT_EQ(from_int(kD, kLU, ~0ull, kRmRne), bits(18446744073709551616.0));
    EXPECT_EQ(from_int(kD, kL, 1ull << 63), bits(-9223372036854775808.0));
    EXPECT_EQ(fp.fflags, 0u);
    // fcvt.s.w f, x0 gives +0 without flags.
    EXPECT_EQ(from_int(kS, kW, 0), nan_box_s(0));
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, ConvertDoubleToSingleRoundsByMode) {
    // 1 + 2^-24 + 2^-30 is just above the tie: up in the nearest modes, down toward zero.
    const double v = 1.0 + std::ldexp(1.0, -24) + std::ldexp(1.0, -30);
    fp.f[1] = bits(v);
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRne));
    EXPECT_EQ(fp.f[4], nan_box_s(bits(1.0f) + 1));
    EXPECT_EQ(fp.fflags, kNx);
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRtz));
    EXPECT_EQ(fp.f[4], nan_box_s(bits(1.0f)));
    // An exact tie: RMM goes away from zero, RNE to even.
    fp.f[1] = bits(1.0 + std::ldexp(1.0, -24));
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRmm));
    EXPECT_EQ(fp.f[4], nan_box_s(bits(1.0f) + 1));
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRne));
    EXPECT_EQ(fp.f[4], nan_box_s(bits(1.0f)));
    // Too large for single: infinity, or the largest float toward zero.
    fp.f[1] = bits(1e300);
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRne));
    EXPECT_EQ(fp.f[4], nan_box_s(0x7f800000));
    EXPECT_EQ(fp.fflags, kOf | kNx);
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRtz));
    EXPECT_EQ(fp.f[4], nan_box_s(0x7f7fffff));
    // Widening is exact, subnormals included.
    fp.f[1] = nan_box_s(1); // smallest subnormal float
    exec(op_fp(kCvtFF, kD, 4, 1, 0, kRmRne));
    EXPECT_EQ(fp.f[4], bits(std::ldexp(1.0, -149)));
    EXPECT_EQ(fp.fflags, 0u);
}

// ---- Overflow and underflow ----

TEST_F(FpuTest, OverflowDependsOnMode) {
    const uint32_t max = 0x7f7fffff, two = bits(2.0f), minus_two = bits(-2.0f);
    const uint32_t inf = 0x7f800000, neg = 0x80000000;
    EXPECT_EQ(run_s(kMul, max, two, kRmRne), inf);
    EXPECT_EQ(fp.fflags, kOf | kNx);
    EXPECT_EQ(run_s(kMul, max, two, kRmRmm), inf);
    EXPECT_EQ(run_s(kMul, max, two, kRmRtz), max);
    EXPECT_EQ(fp.fflags, kOf | kNx);
    EXPECT_EQ(run_s(kMul, max, two, kRmRdn), max);
    EXPECT_EQ(run_s(kMul, max, two, kRmRup), inf);
    EXPECT_EQ(run_s(kMul, max, minus_two, kRmRdn), inf | neg);
    EXPECT_EQ(run_s(kMul, max, minus_two, kRmRup), max | neg);
    EXPECT_EQ(run_s(kMul, max, minus_two, kRmRtz), max | neg);
    const uint64_t dmax = 0x7fefffffffffffffull;
    EXPECT_EQ(run_d(kAdd, dmax, dmax, kRmRne), 0x7ff0000000000000ull);
    EXPECT_EQ(fp.fflags, kOf | kNx);
    EXPECT_EQ(run_d(kAdd, dmax, dmax, kRmRtz), dmax);
    // Half an ulp above the largest value rounds to it toward zero, to infinity when nearest.
    EXPECT_EQ(run_d(kAdd, dmax, 0x7c90000000000000ull /* 2^970 */, kRmRne), 0x7ff0000000000000ull);
    EXPECT_EQ(run_d(kAdd, dmax, 0x7c80000000000000ull /* 2^969 */, kRmRne), dmax);
    EXPECT_EQ(fp.fflags, kNx);
}

TEST_F(FpuTest, UnderflowAndSubnormals) {
    const uint32_t min_normal = 0x00800000, half = bits(0.5f);
    // An exact subnormal result raises nothing.
    EXPECT_EQ(run_s(kMul, min_normal, half), 0x00400000u);
    EXPECT_EQ(fp.fflags, 0u);
    // Half the smallest subnormal: a tie, to zero (even) or up.
    EXPECT_EQ(run_s(kMul, 1, half, kRmRne), 0u);
    EXPECT_EQ(fp.fflags, kUf | kNx);
    EXPECT_EQ(run_s(kMul, 1, half, kRmRup), 1u);
    EXPECT_EQ(fp.fflags, kUf | kNx);
    EXPECT_EQ(run_s(kMul, 1, half, kRmRmm), 1u);
    EXPECT_EQ(run_s(kMul, 0x80000001, half, kRmRne), 0x80000000u); // -0
    // Subnormal arithmetic is exact where it fits.
    EXPECT_EQ(run_s(kAdd, 1, 2), 3u);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(run_s(kSub, min_normal, 1), 0x007fffffu);
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, TininessIsDetectedAfterRounding) {
    // (1 - 2^-24) * 2^-126 is tiny with an unbounded exponent too (it has 24 bits), but in the
    // subnormal range it rounds up to 2^-126: the result is the smallest normal, with UF.
    EXPECT_EQ(run_s(kMul, 0x3f7fffff, 0x00800000), 0x00800000u);
    EXPECT_EQ(fp.fflags, kUf | kNx);
    // 2^-1022 * (1 - 2^-54) rounds at 53 bits (unbounded exponent) to 2^-1022 exactly: not
    // tiny after rounding, so only NX, though it is below 2^-1022 before rounding.
    const uint64_t min_normal = 0x0010000000000000ull;
    const uint64_t a = bits(-std::ldexp(1.0, -538)), b = bits(std::ldexp(1.0, -538));
    EXPECT_EQ(fused_d(kFmadd, a, b, min_normal), min_normal);
    EXPECT_EQ(fp.fflags, kNx);
    // Toward zero it stays below: the largest subnormal, tiny and inexact.
    EXPECT_EQ(fused_d(kFmadd, a, b, min_normal, kRmRtz), min_normal - 1);
    EXPECT_EQ(fp.fflags, kUf | kNx);
}

// ---- Invalid operations, division by zero, exact zeros ----

TEST_F(FpuTest, SquareRoot) {
    const auto sqrt_d = [&](uint64_t v, uint32_t rm) {
        fp.f[1] = v;
        exec(op_fp(kSqrt, kD, 4, 1, 0, rm));
        return fp.f[4];
    };
    EXPECT_EQ(sqrt_d(bits(-1.0), kRmRne), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(sqrt_d(bits(-0.0), kRmRne), bits(-0.0));
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(sqrt_d(bits(16.0), kRmRne), bits(4.0));
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(sqrt_d(bits(2.0), kRmRne), 0x3ff6a09e667f3bcdull);
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(sqrt_d(bits(2.0), kRmRdn), 0x3ff6a09e667f3bccull);
    EXPECT_EQ(sqrt_d(bits(2.0), kRmRup), 0x3ff6a09e667f3bcdull);
    EXPECT_EQ(sqrt_d(0x7ff0000000000000ull, kRmRne), 0x7ff0000000000000ull);
    EXPECT_EQ(sqrt_d(0xfff0000000000000ull, kRmRne), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(sqrt_d(1, kRmRne), bits(std::ldexp(1.0, -537))); // sqrt(2^-1074)
    fp.f[1] = nan_box_s(bits(-4.0f));
    exec(op_fp(kSqrt, kS, 4, 1, 0, kRmRne));
    EXPECT_EQ(fp.f[4], nan_box_s(kCanonicalNanS));
    EXPECT_EQ(fp.fflags, kNv);
}

TEST_F(FpuTest, DivisionByZero) {
    EXPECT_EQ(run_d(kDiv, bits(1.0), bits(0.0)), 0x7ff0000000000000ull);
    EXPECT_EQ(fp.fflags, kDz);
    EXPECT_EQ(run_d(kDiv, bits(-1.0), bits(0.0)), 0xfff0000000000000ull);
    EXPECT_EQ(run_d(kDiv, bits(1.0), bits(-0.0)), 0xfff0000000000000ull);
    EXPECT_EQ(run_s(kDiv, bits(5.0f), 0), 0x7f800000u);
    EXPECT_EQ(fp.fflags, kDz);
    EXPECT_EQ(run_d(kDiv, bits(0.0), bits(0.0)), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(run_d(kDiv, 0x7ff0000000000000ull, 0xfff0000000000000ull), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(run_d(kDiv, 0x7ff0000000000000ull, bits(0.0)), 0x7ff0000000000000ull);
    EXPECT_EQ(fp.fflags, 0u); // inf / 0 is an exact infinity, not a division by zero
}

TEST_F(FpuTest, InvalidAndExactZeroSigns) {
    const uint64_t inf = 0x7ff0000000000000ull, neg_inf = 0xfff0000000000000ull;
    EXPECT_EQ(run_d(kAdd, inf, neg_inf), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(run_d(kSub, inf, inf), kCanonicalNanD);
    EXPECT_EQ(run_d(kMul, inf, bits(0.0)), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(run_d(kAdd, inf, inf), inf);
    EXPECT_EQ(fp.fflags, 0u);
    // x - x is +0, but -0 when rounding down; -0 + -0 stays -0.
    EXPECT_EQ(run_d(kSub, bits(1.5), bits(1.5), kRmRne), bits(0.0));
    EXPECT_EQ(run_d(kSub, bits(1.5), bits(1.5), kRmRdn), bits(-0.0));
    EXPECT_EQ(run_d(kAdd, bits(-0.0), bits(-0.0), kRmRne), bits(-0.0));
    EXPECT_EQ(run_d(kAdd, bits(-0.0), bits(0.0), kRmRne), bits(0.0));
    EXPECT_EQ(run_d(kAdd, bits(-0.0), bits(0.0), kRmRdn), bits(-0.0));
    EXPECT_EQ(run_d(kMul, bits(-0.0), bits(3.0)), bits(-0.0));
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, NanResultsAreCanonical) {
    EXPECT_EQ(run_s(kAdd, kQnanPayloadS, bits(1.0f)), kCanonicalNanS);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(run_s(kMul, bits(1.0f), kSnanS), kCanonicalNanS);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(run_d(kDiv, kQnanPayloadD | (1ull << 63), bits(2.0)), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(run_d(kSub, kSnanD, kQnanPayloadD), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    // Conversions between formats: NaN becomes the other format's canonical NaN.
    fp.f[1] = kSnanD;
    exec(op_fp(kCvtFF, kS, 4, 1, 1, kRmRne));
    EXPECT_EQ(fp.f[4], nan_box_s(kCanonicalNanS));
    EXPECT_EQ(fp.fflags, kNv);
    fp.f[1] = nan_box_s(kQnanPayloadS | 0x80000000u);
    exec(op_fp(kCvtFF, kD, 4, 1, 0, kRmRne));
    EXPECT_EQ(fp.f[4], kCanonicalNanD);
    EXPECT_EQ(fp.fflags, 0u);
    fp.f[1] = nan_box_s(kSnanS);
    exec(op_fp(kCvtFF, kD, 4, 1, 0, kRmRne));
    EXPECT_EQ(fp.f[4], kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
}

// ---- Fused multiply-add ----

TEST_F(FpuTest, FusedMultiplyAddRoundsOnce) {
    // a = 1 + 2^-52: a*a = 1 + 2^-51 + 2^-104. Rounded separately the product is 1 + 2^-51 and
    // the difference 0; fused, the 2^-104 survives.
    const uint64_t a = bits(1.0 + std::ldexp(1.0, -52));
    const uint64_t c = bits(1.0 + std::ldexp(1.0, -51));
    const uint64_t tiny = bits(std::ldexp(1.0, -104));
    const uint64_t neg = 1ull << 63;
    EXPECT_EQ(run_d(kSub, run_d(kMul, a, a), c), bits(0.0));
    EXPECT_EQ(fused_d(kFmadd, a, a, c ^ neg), tiny);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(fused_d(kFmsub, a, a, c), tiny);              // a*b - c
    EXPECT_EQ(fused_d(kFnmsub, a, a, c), tiny | neg);       // -(a*b) + c
    EXPECT_EQ(fused_d(kFnmadd, a, a, c ^ neg), tiny | neg); // -(a*b) - c
    // Single precision: (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46.
    const uint32_t as = bits(1.0f) + 1, cs = bits(1.0f) + 2;
    EXPECT_EQ(fused_s(kFmsub, as, as, cs), bits(std::ldexp(1.0f, -46)));
    EXPECT_EQ(fp.fflags, 0u);
    // Rounded once in the requested mode: 1*1 + 2^-60 is inexact.
    EXPECT_EQ(fused_d(kFmadd, bits(1.0), bits(1.0), bits(std::ldexp(1.0, -60)), kRmRup),
              bits(1.0) + 1);
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(fused_d(kFmadd, bits(1.0), bits(1.0), bits(std::ldexp(1.0, -60)), kRmRne), bits(1.0));
}

TEST_F(FpuTest, FusedMultiplyAddSpecialCases) {
    const uint64_t inf = 0x7ff0000000000000ull, zero = bits(0.0);
    // inf * 0 is invalid even with a quiet NaN addend.
    EXPECT_EQ(fused_d(kFmadd, inf, zero, kQnanPayloadD), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(fused_d(kFmadd, bits(1.0), bits(2.0), kQnanPayloadD), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(fused_d(kFmadd, bits(1.0), bits(2.0), kSnanD), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    // inf - inf inside the fused operation.
    EXPECT_EQ(fused_d(kFmsub, inf, bits(1.0), inf), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(fused_d(kFmadd, inf, bits(-1.0), bits(5.0)), inf | (1ull << 63));
    EXPECT_EQ(fused_d(kFmadd, bits(5.0), bits(1.0), inf), inf);
    EXPECT_EQ(fp.fflags, 0u);
    // Exact zero sums: +0 normally, -0 rounding down; -0 * x + -0 keeps -0.
    EXPECT_EQ(fused_d(kFmadd, bits(2.0), bits(3.0), bits(-6.0)), zero);
    EXPECT_EQ(fused_d(kFmadd, bits(2.0), bits(3.0), bits(-6.0), kRmRdn), bits(-0.0));
    EXPECT_EQ(fused_d(kFmadd, bits(-0.0), bits(3.0), bits(-0.0)), bits(-0.0));
    EXPECT_EQ(fused_d(kFnmadd, bits(0.0), bits(3.0), bits(0.0)), bits(-0.0));
    // A zero product leaves the addend unrounded.
    EXPECT_EQ(fused_d(kFmadd, zero, bits(3.0), 1), 1u);
    EXPECT_EQ(fp.fflags, 0u);
    // Overflow in the product is fine if the addend brings it back... it cannot; but an
    // intermediate beyond the range that cancels must not overflow: max * 2 - max = max.
    const uint64_t dmax = 0x7fefffffffffffffull;
    EXPECT_EQ(fused_d(kFmsub, dmax, bits(2.0), dmax), dmax);
    EXPECT_EQ(fp.fflags, 0u);
}

// ---- Conversions to integers ----

TEST_F(FpuTest, ConvertToIntegerSaturates) {
    const uint64_t nan = kCanonicalNanD, inf = 0x7ff0000000000000ull, neg_inf = inf | 1ull << 63;
    const uint64_t int_min = 0xffffffff80000000ull, int_max = 0x7fffffff;
    const struct {
        uint32_t kind;
        uint64_t in;
        uint64_t out;
    } cases[] = {
        {kW, nan, int_max},
        {kW, kSnanD, int_max},
        {kW, inf, int_max},
        {kW, neg_inf, int_min},
        {kW, bits(3e9), int_max},
        {kW, bits(-3e9), int_min},
        {kW, bits(2147483647.5), int_max}, // rounds to 2^31 in RNE: out of range
        {kWU, nan, ~0ull},                 // 2^32 - 1, sign-extended
        {kWU, inf, ~0ull},
        {kWU, neg_inf, 0},
        {kWU, bits(-1.0), 0},
        {kWU, bits(5e9), ~0ull},
        {kL, nan, 0x7fffffffffffffffull},
        {kL, inf, 0x7fffffffffffffffull},
        {kL, neg_inf, 0x8000000000000000ull},
        {kL, bits(9223372036854775808.0), 0x7fffffffffffffffull},
        {kL, bits(-1e19), 0x8000000000000000ull},
        {kLU, nan, ~0ull},
        {kLU, bits(-1.0), 0},
        {kLU, neg_inf, 0},
        {kLU, bits(18446744073709551616.0), ~0ull},
        {kLU, bits(1e300), ~0ull},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(to_int(kD, c.kind, c.in), c.out) << c.kind << " " << as_double(c.in);
        EXPECT_EQ(fp.fflags, kNv) << "NV and not NX: " << c.kind << " " << as_double(c.in);
    }
    // Single precision sources saturate the same way.
    EXPECT_EQ(to_int(kS, kW, nan_box_s(kCanonicalNanS)), int_max);
    EXPECT_EQ(to_int(kS, kLU, nan_box_s(bits(-3.0f))), 0u);
    EXPECT_EQ(fp.fflags, kNv);
    // In range after rounding: the edges themselves, and small negatives to unsigned.
    EXPECT_EQ(to_int(kD, kW, bits(-2147483648.0)), int_min);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(to_int(kD, kW, bits(2147483647.4)), int_max);
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(to_int(kD, kWU, bits(-0.4)), 0u);
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(to_int(kD, kWU, bits(-0.6), kRmRtz), 0u);
    EXPECT_EQ(fp.fflags, kNx);
    EXPECT_EQ(to_int(kD, kWU, bits(-0.6), kRmRne), 0u); // rounds to -1: invalid
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(to_int(kD, kL, bits(-9223372036854775808.0)), 0x8000000000000000ull);
    EXPECT_EQ(to_int(kD, kLU, bits(18446744073709549568.0)), 0xfffffffffffff800ull);
    EXPECT_EQ(to_int(kD, kL, bits(-0.0)), 0u);
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, ThirtyTwoBitResultsAreSignExtended) {
    EXPECT_EQ(to_int(kD, kW, bits(-5.0)), 0xfffffffffffffffbull);
    EXPECT_EQ(to_int(kD, kWU, bits(3e9)), 0xffffffffb2d05e00ull); // 3e9 = 0xb2d05e00
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(to_int(kD, kWU, bits(5.0)), 5u);
    // FMV.X.W moves the raw low bits, sign-extended, whether boxed or not.
    fp.f[1] = nan_box_s(0x80000000);
    exec(op_fp(kMvXClass, kS, 4, 1, 0, 0));
    EXPECT_EQ(x[4], 0xffffffff80000000ull);
    fp.f[1] = 0x123456787f800000ull;
    exec(op_fp(kMvXClass, kS, 4, 1, 0, 0));
    EXPECT_EQ(x[4], 0x7f800000u);
    fp.f[1] = 0xfedcba9876543210ull;
    exec(op_fp(kMvXClass, kD, 4, 1, 0, 0));
    EXPECT_EQ(x[4], 0xfedcba9876543210ull);
    EXPECT_EQ(fp.fflags, 0u);
}

// ---- NaN boxing and bit moves ----

TEST_F(FpuTest, NanBoxing) {
    EXPECT_EQ(nan_box_s(0x3f800000), 0xffffffff3f800000ull);
    EXPECT_EQ(nan_unbox_s(0xffffffff3f800000ull), 0x3f800000u);
    EXPECT_EQ(nan_unbox_s(0x000000003f800000ull), kCanonicalNanS);
    EXPECT_EQ(nan_unbox_s(0xfffffffe3f800000ull), kCanonicalNanS);
    // An improperly boxed operand is the canonical (quiet) NaN: no NV.
    fp.f[1] = 0x3f800000;
    fp.f[2] = nan_box_s(bits(1.0f));
    exec(op_fp(kAdd, kS, 4, 1, 2, kRmRne));
    EXPECT_EQ(fp.f[4], nan_box_s(kCanonicalNanS));
    EXPECT_EQ(fp.fflags, 0u);
    // FSGNJ.S sees the canonical NaN too and only changes its sign.
    fp.f[2] = nan_box_s(bits(-1.0f));
    exec(op_fp(kSgnj, kS, 4, 1, 2, 0));
    EXPECT_EQ(fp.f[4], nan_box_s(kCanonicalNanS | 0x80000000u));
    EXPECT_EQ(fclass_s(0), 1u << 4);
    fp.f[1] = 0x3f800000;
    exec(op_fp(kMvXClass, kS, 4, 1, 0, 1));
    EXPECT_EQ(x[4], 1u << 9);
    fp.f[1] = 0x3f800000;
    exec(op_fp(kCvtFF, kD, 4, 1, 0, kRmRne));
    EXPECT_EQ(fp.f[4], kCanonicalNanD);
    // FMV.W.X boxes the low 32 bits; FMV.D.X moves all 64.
    x[1] = 0x12345678deadbeefull;
    exec(op_fp(kMvFromX, kS, 4, 1, 0, 0));
    EXPECT_EQ(fp.f[4], 0xffffffffdeadbeefull);
    exec(op_fp(kMvFromX, kD, 4, 1, 0, 0));
    EXPECT_EQ(fp.f[4], 0x12345678deadbeefull);
    // D operations see the whole register, boxed single or not.
    fp.f[1] = nan_box_s(bits(1.0f));
    EXPECT_EQ(fclass_d(fp.f[1]), 1u << 9); // 0xffff... is a quiet NaN as a double
}

TEST_F(FpuTest, SignInjectionRaisesNothingAndKeepsPayloads) {
    EXPECT_EQ(run_s(kSgnj, kSnanS, bits(-1.0f), 0), kSnanS | 0x80000000u);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(run_s(kSgnj, bits(-2.0f), bits(-1.0f), 1), bits(2.0f)); // FSGNJN
    EXPECT_EQ(run_s(kSgnj, bits(-2.0f), bits(-1.0f), 2), bits(2.0f)); // FSGNJX
    EXPECT_EQ(run_s(kSgnj, bits(-2.0f), bits(1.0f), 2), bits(-2.0f));
    EXPECT_EQ(run_d(kSgnj, kQnanPayloadD, bits(-0.0), 0), kQnanPayloadD | 1ull << 63);
    EXPECT_EQ(run_d(kSgnj, bits(3.0), bits(3.0), 1), bits(-3.0));  // fneg
    EXPECT_EQ(run_d(kSgnj, bits(-3.0), bits(-3.0), 2), bits(3.0)); // fabs
    EXPECT_EQ(fp.fflags, 0u);
}

// ---- Classification, comparisons, min/max ----

TEST_F(FpuTest, ClassifiesAllTenClasses) {
    EXPECT_EQ(fclass_s(0xff800000), 1u << 0);
    EXPECT_EQ(fclass_s(bits(-1.0f)), 1u << 1);
    EXPECT_EQ(fclass_s(0x80000001), 1u << 2);
    EXPECT_EQ(fclass_s(0x80000000), 1u << 3);
    EXPECT_EQ(fclass_s(0x00000000), 1u << 4);
    EXPECT_EQ(fclass_s(0x007fffff), 1u << 5);
    EXPECT_EQ(fclass_s(0x00800000), 1u << 6);
    EXPECT_EQ(fclass_s(0x7f800000), 1u << 7);
    EXPECT_EQ(fclass_s(kSnanS), 1u << 8);
    EXPECT_EQ(fclass_s(kQnanPayloadS | 0x80000000u), 1u << 9);
    EXPECT_EQ(fclass_d(0xfff0000000000000ull), 1u << 0);
    EXPECT_EQ(fclass_d(bits(-1e300)), 1u << 1);
    EXPECT_EQ(fclass_d(0x800fffffffffffffull), 1u << 2);
    EXPECT_EQ(fclass_d(bits(-0.0)), 1u << 3);
    EXPECT_EQ(fclass_d(bits(0.0)), 1u << 4);
    EXPECT_EQ(fclass_d(1), 1u << 5);
    EXPECT_EQ(fclass_d(bits(1e-300)), 1u << 6);
    EXPECT_EQ(fclass_d(0x7ff0000000000000ull), 1u << 7);
    EXPECT_EQ(fclass_d(kSnanD), 1u << 8);
    EXPECT_EQ(fclass_d(kCanonicalNanD), 1u << 9);
    EXPECT_EQ(fp.fflags, 0u);
}

TEST_F(FpuTest, Comparisons) {
    constexpr uint32_t kLe = 0, kLt = 1, kEq = 2;
    EXPECT_EQ(cmp(kD, kEq, bits(1.0), bits(1.0)), 1u);
    EXPECT_EQ(cmp(kD, kLt, bits(-2.0), bits(1.0)), 1u);
    EXPECT_EQ(cmp(kD, kLt, bits(-2.0), bits(-3.0)), 0u);
    EXPECT_EQ(cmp(kD, kLe, bits(-3.0), bits(-3.0)), 1u);
    EXPECT_EQ(cmp(kD, kLe, bits(4.0), bits(3.0)), 0u);
    // -0 and +0 compare equal.
    EXPECT_EQ(cmp(kD, kEq, bits(-0.0), bits(0.0)), 1u);
    EXPECT_EQ(cmp(kD, kLt, bits(-0.0), bits(0.0)), 0u);
    EXPECT_EQ(cmp(kD, kLe, bits(0.0), bits(-0.0)), 1u);
    EXPECT_EQ(fp.fflags, 0u);
    // FEQ is quiet: NV only for signalling NaNs. FLT/FLE signal on any NaN.
    EXPECT_EQ(cmp(kD, kEq, kCanonicalNanD, kCanonicalNanD), 0u);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(cmp(kD, kEq, kSnanD, bits(1.0)), 0u);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(cmp(kD, kLt, kCanonicalNanD, bits(1.0)), 0u);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(cmp(kD, kLe, bits(1.0), kCanonicalNanD), 0u);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(cmp(kS, kLt, nan_box_s(bits(1.0f)), nan_box_s(bits(2.0f))), 1u);
    EXPECT_EQ(cmp(kS, kEq, nan_box_s(kQnanPayloadS), nan_box_s(bits(2.0f))), 0u);
    EXPECT_EQ(fp.fflags, 0u);
    // An improperly boxed single is a quiet NaN: FEQ false without NV, FLT with NV.
    EXPECT_EQ(cmp(kS, kEq, 0x3f800000, 0x3f800000), 0u);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(cmp(kS, kLt, 0x3f800000, nan_box_s(bits(2.0f))), 0u);
    EXPECT_EQ(fp.fflags, kNv);
    // rd = x0 is never written.
    fp.f[1] = bits(1.0);
    exec(op_fp(kCmp, kD, 0, 1, 1, kEq));
    EXPECT_EQ(x[0], 0u);
}

TEST_F(FpuTest, MinMax) {
    const auto fmin = [&](uint64_t a, uint64_t b) { return run_d(kMinMax, a, b, 0); };
    const auto fmax = [&](uint64_t a, uint64_t b) { return run_d(kMinMax, a, b, 1); };
    EXPECT_EQ(fmin(bits(1.0), bits(-2.0)), bits(-2.0));
    EXPECT_EQ(fmax(bits(1.0), bits(-2.0)), bits(1.0));
    // -0 < +0, in either order.
    EXPECT_EQ(fmin(bits(0.0), bits(-0.0)), bits(-0.0));
    EXPECT_EQ(fmin(bits(-0.0), bits(0.0)), bits(-0.0));
    EXPECT_EQ(fmax(bits(-0.0), bits(0.0)), bits(0.0));
    EXPECT_EQ(fmax(bits(0.0), bits(-0.0)), bits(0.0));
    EXPECT_EQ(fp.fflags, 0u);
    // One quiet NaN: the other operand, quietly.
    EXPECT_EQ(fmin(kQnanPayloadD, bits(3.0)), bits(3.0));
    EXPECT_EQ(fmax(bits(3.0), kQnanPayloadD), bits(3.0));
    EXPECT_EQ(fp.fflags, 0u);
    // A signalling NaN: still the other operand, but NV.
    EXPECT_EQ(fmin(kSnanD, bits(3.0)), bits(3.0));
    EXPECT_EQ(fp.fflags, kNv);
    // Both NaN: the canonical NaN.
    EXPECT_EQ(fmax(kQnanPayloadD, kQnanPayloadD), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, 0u);
    EXPECT_EQ(fmin(kSnanD, kQnanPayloadD), kCanonicalNanD);
    EXPECT_EQ(fp.fflags, kNv);
    EXPECT_EQ(fmin(0xfff0000000000000ull, bits(-1e300)), 0xfff0000000000000ull);
    EXPECT_EQ(run_s(kMinMax, bits(-1.0f), 1, 1), 1u); // a subnormal beats -1 for max
    EXPECT_EQ(run_s(kMinMax, kSnanS, kSnanS, 0), kCanonicalNanS);
    EXPECT_EQ(fp.fflags, kNv);
}

// ---- Illegal encodings ----

TEST_F(FpuTest, IllegalEncodingsChangeNothing) {
    for (int i = 0; i < 32; ++i)
        fp.f[i] = 0x4000000000000000ull + i;
    fp.f[1] = bits(1.0);
    fp.f[2] = bits(3.0);
    fp.fflags = 0x1f & ~kNx;
    fp.frm = kRmRne;
    const FpState before = fp;
    uint64_t x_before[32];
    std::memcpy(x_before, x, sizeof x);
    const auto rejected = [&](uint32_t insn) {
        EXPECT_FALSE(fp_execute(insn, fp, x)) << std::hex << insn;
        EXPECT_EQ(std::memcmp(&fp, &before, sizeof fp), 0) << std::hex << insn;
        EXPECT_EQ(std::memcmp(x, x_before, sizeof x), 0) << std::hex << insn;
    };
    rejected(op_fp(kDiv, kD, 4, 1, 2, 5));
    rejected(op_fp(kDiv, kD, 4, 1, 2, 6));
    rejected(r4(kFmadd, kD, 4, 1, 2, 2, 5));
    rejected(op_fp(kCvtToInt, kD, 4, 1, kW, 6));
    rejected(op_fp(kCvtFromInt, kS, 4, 1, kL, 5));
    rejected(op_fp(kCvtFF, kD, 4, 1, 0, 5));     // widening, exact, but rm is still decoded
    rejected(op_fp(kAdd, 2, 4, 1, 2, kRmRne));   // H format not implemented
    rejected(op_fp(kAdd, 3, 4, 1, 2, kRmRne));   // Q format not implemented
    rejected(op_fp(kSqrt, kD, 4, 1, 2, kRmRne)); // rs2 must be 0
    rejected(op_fp(kSgnj, kD, 4, 1, 2, 3));
    rejected(op_fp(kMinMax, kD, 4, 1, 2, 2));
    rejected(op_fp(kCmp, kD, 4, 1, 2, 3));
    rejected(op_fp(kCvtToInt, kD, 4, 1, 4, kRmRne));
    rejected(op_fp(kCvtFF, kD, 4, 1, 1, kRmRne)); // D from D
    rejected(op_fp(kCvtFF, kS, 4, 1, 2, kRmRne));
    rejected(op_fp(kMvXClass, kD, 4, 1, 0, 2));
    rejected(op_fp(kMvXClass, kD, 4, 1, 1, 0));
    rejected(op_fp(kMvFromX, kD, 4, 1, 0, 1));
    rejected(op_fp(0x06, kD, 4, 1, 2, kRmRne)); // unknown funct5
    rejected(0x00000013);                       // addi: not a floating-point opcode
    // DYN with a reserved value in frm.
    for (uint32_t frm : {5u, 6u, 7u}) {
        fp.frm = frm;
        const FpState with_frm = fp;
        EXPECT_FALSE(fp_execute(op_fp(kAdd, kD, 4, 1, 2, kRmDyn), fp, x));
        EXPECT_EQ(std::memcmp(&fp, &with_frm, sizeof fp), 0);
        EXPECT_FALSE(fp_execute(r4(kFnmadd, kS, 4, 1, 2, 2, kRmDyn), fp, x));
        // Instructions without a rounding mode do not care about frm.
        EXPECT_TRUE(fp_execute(op_fp(kSgnj, kD, 5, 1, 2, 0), fp, x));
    }
}

// ---- Differential test against the host (x86-64 SSE) ----

#if defined(__x86_64__)

// Keeps the compiler from moving a host operation out from between fesetround and
// fetestexcept: the value passes through an opaque asm that also clobbers memory.
template <typename T>
T opaque(T v) {
    asm volatile("" : "+x"(v) : : "memory");
    return v;
}

std::string hex(uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(v));
    return text;
}

uint32_t host_flags() {
    const int e = std::fetestexcept(FE_ALL_EXCEPT);
    return ((e & FE_INVALID) ? kNv : 0) | ((e & FE_DIVBYZERO) ? kDz : 0) |
           ((e & FE_OVERFLOW) ? kOf : 0) | ((e & FE_UNDERFLOW) ? kUf : 0) |
           ((e & FE_INEXACT) ? kNx : 0);
}

constexpr int kHostModes[][2] = {
    {kRmRne, FE_TONEAREST}, {kRmRtz, FE_TOWARDZERO}, {kRmRdn, FE_DOWNWARD}, {kRmRup, FE_UPWARD}};

// Random operands weighted toward the interesting places: subnormals, the edges of the
// exponent range, values near 1, special values and significands full of ones or zeros.
template <typename U>
class OperandSource {
public:
    static constexpr int kExpBits = sizeof(U) == 4 ? 8 : 11;
    static constexpr int kFracBits = sizeof(U) == 4 ? 23 : 52;
    static constexpr U kMaxExp = (U{1} << kExpBits) - 1;
    static constexpr U kBias = kMaxExp / 2;

    explicit OperandSource(uint32_t seed)
        : rng_(seed) {}

    U next() {
        const U sign = static_cast<U>(rng_() & 1) << (kExpBits + kFracBits);
        U exp = 0;
        switch (pick(10)) {
        case 0:
            exp = 0;
            break;
        case 1:
            exp = kMaxExp;
            break;
        case 2:
        case 3:
            exp = 1 + pick(kFracBits + 4);
            break;
        case 4:
            exp = kMaxExp - 1 - pick(kFracBits + 4);
            break;
        case 5:
        case 6:
        case 7:
            exp = kBias - (kFracBits + 2) + pick(2 * kFracBits + 4);
            break;
        default:
            exp = 1 + pick(kMaxExp - 1);
            break;
        }
        U frac = static_cast<U>(rng_());
        switch (pick(4)) {
        case 0: // a run of ones from the top
            frac = ~U{0} << pick(kFracBits);
            break;
        case 1: // a few low bits only
            frac = frac & ((U{1} << pick(kFracBits)) - 1);
            break;
        default:
            break;
        }
        frac &= (U{1} << kFracBits) - 1;
        if (exp == kMaxExp && pick(2) == 0) frac = 0; // more infinities than NaNs
        return sign | (exp << kFracBits) | frac;
    }
    U pick(uint64_t n) { return static_cast<U>(rng_() % n); }
    uint64_t raw() { return rng_(); }

private:
    std::mt19937_64 rng_;
};

// Compares one result: NaNs only need to be canonical (the host propagates payloads).
template <typename F, typename U>
::testing::AssertionResult same(const char* what, U operand_a, U operand_b, U ours, F host,
                                uint32_t our_flags, uint32_t their_flags, int rm) {
    const U host_bits = std::bit_cast<U>(host);
    const bool ok_value = std::isnan(host)
                              ? ours == (sizeof(U) == 4 ? U(kCanonicalNanS) : U(kCanonicalNanD))
                              : ours == host_bits;
    if (ok_value && our_flags == their_flags) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << what << " rm=" << rm << " a=" << hex(operand_a) << " b=" << hex(operand_b)
           << " ours=" << hex(ours) << "/" << our_flags << " host=" << hex(host_bits) << "/"
           << their_flags;
}

template <typename F, typename U>
void differential(uint32_t fmt, uint32_t seed, int iterations) {
    FpState fp{};
    uint64_t x[32]{};
    OperandSource<U> source(seed);
    const auto load = [&](int reg, U v) {
        fp.f[reg] = sizeof(U) == 4 ? nan_box_s(static_cast<uint32_t>(v)) : uint64_t(v);
    };
    const auto result = [&]() { return static_cast<U>(fp.f[4]); };
    int failures = 0;
    const auto check = [&](::testing::AssertionResult r) {
        if (!r && ++failures <= 10) ADD_FAILURE() << r.message();
    };
    for (int i = 0; i < iterations; ++i) {
        const U a = source.next();
        U b = source.next();
        if (source.pick(4) == 0) { // nearly cancelling operands
            b = static_cast<U>(a ^ (U{1} << (sizeof(U) * 8 - 1))) ^
                static_cast<U>(source.pick(1u << 8));
        }
        U c = source.next();
        for (const auto& mode : kHostModes) {
            const auto rm = static_cast<uint32_t>(mode[0]);
            const F fa = std::bit_cast<F>(a), fb = std::bit_cast<F>(b);
            const auto host = [&](auto op) {
                std::fesetround(mode[1]);
                std::feclearexcept(FE_ALL_EXCEPT);
                const F r = opaque(op());
                const uint32_t flags = host_flags();
                std::fesetround(FE_TONEAREST);
                return std::pair<F, uint32_t>(r, flags);
            };
            const auto binary = [&](uint32_t funct5, const char* name, auto op) {
                load(1, a);
                load(2, b);
                fp.fflags = 0;
                ASSERT_TRUE(
                    fp_execute(op_fp(funct5, fmt, 4, 1, funct5 == kSqrt ? 0 : 2, rm), fp, x));
                const auto [h, hf] = host(op);
                check(same(name, a, b, result(), h, fp.fflags, hf, mode[0]));
            };
            binary(kAdd, "add", [&] { return opaque(fa) + opaque(fb); });
            binary(kSub, "sub", [&] { return opaque(fa) - opaque(fb); });
            binary(kMul, "mul", [&] { return opaque(fa) * opaque(fb); });
            binary(kDiv, "div", [&] { return opaque(fa) / opaque(fb); });
            binary(kSqrt, "sqrt", [&] {
                if constexpr (sizeof(U) == 4) {
                    return __builtin_sqrtf(opaque(fa));
                } else {
                    return __builtin_sqrt(opaque(fa));
                }
            });

            // Fused: sometimes with an addend that cancels most of the product.
            U addend = c;
            if (source.pick(3) == 0) {
                addend =
                    std::bit_cast<U>(static_cast<F>(-(fa * fb))) ^ static_cast<U>(source.pick(16));
            }
            load(1, a);
            load(2, b);
            load(3, addend);
            fp.fflags = 0;
            ASSERT_TRUE(fp_execute(r4(kFmadd, fmt, 4, 1, 2, 3, rm), fp, x));
            const F fc = std::bit_cast<F>(addend);
            const auto [h, hf] = host([&] { return std::fma(opaque(fa), opaque(fb), opaque(fc)); });
            // x86 leaves NV clear for inf * 0 + qNaN, which RISC-V requires (see the directed
            // FusedMultiplyAddSpecialCases); the result is the canonical NaN either way.
            const bool inf_times_zero = (std::isinf(fa) && fb == 0) || (fa == 0 && std::isinf(fb));
            const uint32_t expected_flags = hf | (inf_times_zero ? kNv : 0);
            check(same("fma", a, b, result(), h, fp.fflags, expected_flags, mode[0]));

            // To a 64-bit signed integer, where the host does not saturate.
            if (!std::isnan(fa) && std::fabs(fa) < F(9.2e18)) {
                load(1, a);
                fp.fflags = 0;
                ASSERT_TRUE(fp_execute(op_fp(kCvtToInt, fmt, 4, 1, kL, rm), fp, x));
                std::fesetround(mode[1]);
                std::feclearexcept(FE_ALL_EXCEPT);
                const long long want = std::llrint(opaque(fa));
                const uint32_t want_flags = host_flags();
                std::fesetround(FE_TONEAREST);
                if (x[4] != static_cast<uint64_t>(want) || fp.fflags != want_flags) {
                    check(::testing::AssertionFailure()
                          << "to_l rm=" << mode[0] << " a=" << hex(a) << " ours=" << hex(x[4])
                          << "/" << fp.fflags << " host=" << want << "/" << want_flags);
                }
            }

            // From a 64-bit signed integer.
            const uint64_t integer = source.raw() >> source.pick(64);
            x[1] = source.pick(2) ? integer : 0 - integer;
            fp.fflags = 0;
            ASSERT_TRUE(fp_execute(op_fp(kCvtFromInt, fmt, 4, 1, kL, rm), fp, x));
            const auto [hl, hlf] =
                host([&] { return static_cast<F>(opaque(static_cast<int64_t>(x[1]))); });
            check(same("from_l", U(x[1]), U(0), result(), hl, fp.fflags, hlf, mode[0]));

            // Between the formats.
            if constexpr (sizeof(U) == 8) {
                load(1, a);
                fp.fflags = 0;
                ASSERT_TRUE(fp_execute(op_fp(kCvtFF, kS, 4, 1, 1, rm), fp, x));
                const auto [hs, hsf] = host(
                    [&] { return static_cast<double>(opaque(static_cast<float>(opaque(fa)))); });
                // The host result went back to double exactly; compare as float.
                const auto ours = static_cast<uint32_t>(fp.f[4]);
                const float host_float = static_cast<float>(hs);
                const bool ok = std::isnan(hs) ? ours == kCanonicalNanS
                                               : ours == std::bit_cast<uint32_t>(host_float);
                if (!ok || fp.fflags != hsf) {
                    check(::testing::AssertionFailure()
                          << "d_to_s rm=" << mode[0] << " a=" << hex(a) << " ours=" << hex(ours)
                          << "/" << fp.fflags
                          << " host=" << hex(std::bit_cast<uint32_t>(host_float)) << "/" << hsf);
                }
            }
        }
    }
    EXPECT_EQ(failures, 0);
}

// Products within a few ulps of the smallest normal and of the largest finite value, where
// tininess-after-rounding and overflow-by-mode are decided; random operands rarely land there.
template <typename F, typename U>
void boundary_products(uint32_t fmt, uint32_t seed, int iterations) {
    FpState fp{};
    uint64_t x[32]{};
    OperandSource<U> source(seed);
    int failures = 0;
    const auto load = [&](int reg, U v) {
        fp.f[reg] = sizeof(U) == 4 ? nan_box_s(static_cast<uint32_t>(v)) : uint64_t(v);
    };
    for (int i = 0; i < iterations; ++i) {
        // a in [1, 2) with a significand often full of ones; b = target / a, nudged by a few ulps.
        const U frac_ones = source.pick(2) ? (U{1} << OperandSource<U>::kFracBits) - 1 : 0;
        const U a_bits = (OperandSource<U>::kBias << OperandSource<U>::kFracBits) |
                         ((static_cast<U>(source.raw()) | frac_ones) &
                          ((U{1} << OperandSource<U>::kFracBits) - 1));
        const F a = std::bit_cast<F>(a_bits);
        const F target =
            source.pick(2) ? std::numeric_limits<F>::min() : std::numeric_limits<F>::max() / F(2);
        const U b_bits = std::bit_cast<U>(target / a) + static_cast<U>(source.pick(5)) - U{2};
        const F b = std::bit_cast<F>(b_bits);
        // The second factor of 2 takes the large target over the top.
        const F c = target == std::numeric_limits<F>::min() ? F(0) : std::numeric_limits<F>::max();
        for (const auto& mode : kHostModes) {
            const auto rm = static_cast<uint32_t>(mode[0]);
            load(1, a_bits);
            load(2, b_bits);
            load(3, std::bit_cast<U>(c));
            fp.fflags = 0;
            ASSERT_TRUE(fp_execute(op_fp(kMul, fmt, 4, 1, 2, rm), fp, x));
            const U ours_mul = static_cast<U>(fp.f[4]);
            const uint32_t ours_mul_flags = fp.fflags;
            fp.fflags = 0;
            ASSERT_TRUE(fp_execute(r4(kFmadd, fmt, 4, 1, 2, 3, rm), fp, x));
            const U ours_fma = static_cast<U>(fp.f[4]);
            std::fesetround(mode[1]);
            std::feclearexcept(FE_ALL_EXCEPT);
            const F host_mul = opaque(opaque(a) * opaque(b));
            const uint32_t host_mul_flags = host_flags();
            std::feclearexcept(FE_ALL_EXCEPT);
            const F host_fma = opaque(std::fma(opaque(a), opaque(b), opaque(c)));
            const uint32_t host_fma_flags = host_flags();
            std::fesetround(FE_TONEAREST);
            for (const auto& r : {same("mul", a_bits, b_bits, ours_mul, host_mul, ours_mul_flags,
                                       host_mul_flags, mode[0]),
                                  same("fma", a_bits, b_bits, ours_fma, host_fma, fp.fflags,
                                       host_fma_flags, mode[0])}) {
                if (!r && ++failures <= 10) ADD_FAILURE() << r.message();
            }
        }
    }
    EXPECT_EQ(failures, 0);
}

TEST(FpuDifferentialTest, SingleBoundariesAgainstHost) {
    boundary_products<float, uint32_t>(kS, 3, 5000);
}
TEST(FpuDifferentialTest, DoubleBoundariesAgainstHost) {
    boundary_products<double, uint64_t>(kD, 4, 5000);
}

// x86 has no RMM, so check it against our own RNE: the two differ only on exact ties, where RNE
// chose the even neighbour and RMM the one away from zero (one ulp further out).
template <typename U>
void rmm_against_rne(uint32_t fmt, uint32_t seed, int iterations) {
    FpState fp{};
    uint64_t x[32]{};
    OperandSource<U> source(seed);
    int differing = 0;
    int failures = 0;
    const auto load = [&](int reg, U v) {
        fp.f[reg] = sizeof(U) == 4 ? nan_box_s(static_cast<uint32_t>(v)) : uint64_t(v);
    };
    const uint32_t insns[] = {op_fp(kAdd, fmt, 4, 1, 2, 0),   op_fp(kMul, fmt, 4, 1, 2, 0),
                              op_fp(kDiv, fmt, 4, 1, 2, 0),   op_fp(kSqrt, fmt, 4, 1, 0, 0),
                              r4(kFmadd, fmt, 4, 1, 2, 3, 0), op_fp(kCvtFromInt, fmt, 4, 5, kL, 0)};
    for (int i = 0; i < iterations; ++i) {
        const U a = source.next();
        // Operands one binade apart often make the sum an exact tie.
        const U b =
            source.pick(2)
                ? source.next()
                : static_cast<U>(a - (U{1} << OperandSource<U>::kFracBits) + source.pick(8));
        load(1, a);
        load(2, b);
        load(3, source.next());
        x[5] = source.raw() >> source.pick(64);
        for (const uint32_t insn : insns) {
            fp.fflags = 0;
            ASSERT_TRUE(fp_execute(insn | (kRmRne << 12), fp, x));
            const U rne = static_cast<U>(fp.f[4]);
            const uint32_t rne_flags = fp.fflags;
            fp.fflags = 0;
            ASSERT_TRUE(fp_execute(insn | (kRmRmm << 12), fp, x));
            const U rmm = static_cast<U>(fp.f[4]);
            if (rmm == rne) continue;
            ++differing;
            // One ulp further from zero, from an even significand of an inexact result.
            const bool ok = rmm == rne + 1 && (rne & 1) == 0 && (rne_flags & kNx) != 0;
            if (!ok && ++failures <= 10) {
                ADD_FAILURE() << "insn=" << hex(insn) << " a=" << hex(a) << " b=" << hex(b)
                              << " rne=" << hex(rne) << " rmm=" << hex(rmm);
            }
        }
    }
    EXPECT_EQ(failures, 0);
    EXPECT_GT(differing, iterations / 100) << "too few ties to tell anything";
}

TEST(FpuDifferentialTest, SingleRmmAgainstRne) {
    rmm_against_rne<uint32_t>(kS, 5, 20000);
}
TEST(FpuDifferentialTest, DoubleRmmAgainstRne) {
    rmm_against_rne<uint64_t>(kD, 6, 20000);
}

TEST(FpuDifferentialTest, SingleAgainstHost) {
    differential<float, uint32_t>(kS, 1, 20000);
}
TEST(FpuDifferentialTest, DoubleAgainstHost) {
    differential<double, uint64_t>(kD, 2, 20000);
}

#endif

} // namespace
