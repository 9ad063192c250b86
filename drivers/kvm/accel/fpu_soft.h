// Software IEEE 754 binary32/binary64 arithmetic on raw bit patterns, with RISC-V's choices
// where IEEE leaves one: NaN results are the canonical NaN, tininess is detected after rounding,
// and conversions to integers saturate. Used by the instruction decoder in fpu.cc; each operation
// returns the result's bits and ORs its exception flags (fpu.h kFlag*) into `flags`.
#pragma once

#include <cstdint>

namespace virtd::accel::soft {

using u128 = unsigned __int128;

// The five rounding modes, numbered as in the rm field.
enum class Rounding : uint8_t { Rne = 0, Rtz = 1, Rdn = 2, Rup = 3, Rmm = 4 };

// An IEEE binary interchange format; values of it live in the low bits of a uint64_t.
struct Format {
    int exp_bits;
    int frac_bits; // stored fraction bits, without the hidden bit

    constexpr int bias() const { return (1 << (exp_bits - 1)) - 1; }
    constexpr int min_exp() const { return 1 - bias(); } // exponent of the smallest normal
    constexpr uint64_t sign_bit() const { return uint64_t{1} << (exp_bits + frac_bits); }
    constexpr uint64_t frac_mask() const { return (uint64_t{1} << frac_bits) - 1; }
    constexpr uint64_t max_exp_field() const { return (uint64_t{1} << exp_bits) - 1; }
    constexpr uint64_t infinity(bool negative) const {
        return (negative ? sign_bit() : 0) | (max_exp_field() << frac_bits);
    }
    constexpr uint64_t max_finite(bool negative) const {
        return (negative ? sign_bit() : 0) | ((max_exp_field() - 1) << frac_bits) | frac_mask();
    }
    constexpr uint64_t zero(bool negative) const { return negative ? sign_bit() : 0; }
    constexpr uint64_t canonical_nan() const {
        return infinity(false) | (uint64_t{1} << (frac_bits - 1));
    }
};

inline constexpr Format kF32{8, 23};
inline constexpr Format kF64{11, 52};

enum class Class : uint8_t { Zero, Subnormal, Normal, Inf, QuietNan, SignalingNan };

// A decoded operand; for finite values the magnitude is sig * 2^exp exactly.
struct Unpacked {
    bool sign;
    Class cls;
    int exp;
    uint64_t sig; // integer significand including the hidden bit; 0 for zero

    bool is_nan() const { return cls == Class::QuietNan || cls == Class::SignalingNan; }
    bool is_snan() const { return cls == Class::SignalingNan; }
    bool is_inf() const { return cls == Class::Inf; }
    bool is_zero() const { return cls == Class::Zero; }
};

Unpacked unpack(Format f, uint64_t bits);

// An intermediate result before rounding: magnitude sig * 2^exp, plus, when `sticky`, some
// nonzero amount less than 2^exp that was shifted out (all rounding needs to know about it).
// sig must be nonzero or sticky set; callers handle exact zeros themselves (their sign rules
// differ by operation).
struct Exact {
    bool sign;
    int exp;
    u128 sig;
    bool sticky;
};

// Rounds x to format f in mode rm: overflow to infinity or the largest finite value by mode,
// gradual underflow, and the NX/UF/OF flags (UF when tiny after rounding and inexact).
uint64_t round_pack(Format f, const Exact& x, Rounding rm, uint32_t& flags);

// sig >> shift (shift >= 1) rounded in mode rm for a value of the given sign; `sticky` stands
// for nonzero bits below sig. Requires sig < 2^127. Also used for float-to-integer rounding.
struct Rounded {
    u128 value;
    bool inexact;
};
Rounded round_shift(u128 sig, int shift, bool sticky, bool sign, Rounding rm);

// Index of the most significant set bit; v must be nonzero.
int msb_index(u128 v);

// The canonical NaN, raising NV when any of the given operands is a signalling NaN.
uint64_t nan_result(Format f, uint32_t& flags, const Unpacked& a, const Unpacked& b);

// fpu_arith.cc: the rounded arithmetic.
uint64_t add(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags);
uint64_t sub(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags);
uint64_t mul(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags);
uint64_t div(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags);
uint64_t sqrt(Format f, uint64_t a, Rounding rm, uint32_t& flags);
// a * b + c with a single rounding; the FMSUB/FNMSUB/FNMADD forms negate a and/or c first.
uint64_t fma(Format f, uint64_t a, uint64_t b, uint64_t c, Rounding rm, uint32_t& flags);

// fpu_convert.cc: conversions. IntKind numbers match the rs2 field of FCVT.
enum class IntKind : uint8_t { W = 0, WU = 1, L = 2, LU = 3 };
// The value for the integer register: saturated on NaN/overflow (NV), 32-bit kinds
// sign-extended to 64 bits as RV64 requires.
uint64_t to_int(Format f, uint64_t a, IntKind kind, Rounding rm, uint32_t& flags);
// Reads the low 32 bits of x for W/WU, all 64 for L/LU.
uint64_t from_int(Format f, uint64_t x, IntKind kind, Rounding rm, uint32_t& flags);
uint64_t convert(Format to, Format from, uint64_t a, Rounding rm, uint32_t& flags);

// fpu_compare.cc: comparisons, min/max and classification.
bool feq(Format f, uint64_t a, uint64_t b, uint32_t& flags); // quiet: NV only for sNaN
bool flt(Format f, uint64_t a, uint64_t b, uint32_t& flags); // signalling: NV for any NaN
bool fle(Format f, uint64_t a, uint64_t b, uint32_t& flags);
uint64_t fmin(Format f, uint64_t a, uint64_t b, uint32_t& flags);
uint64_t fmax(Format f, uint64_t a, uint64_t b, uint32_t& flags);
uint64_t fclass(Format f, uint64_t a);

} // namespace virtd::accel::soft
