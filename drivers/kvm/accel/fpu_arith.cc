// The rounded arithmetic: add, subtract, multiply, divide, square root and fused multiply-add.
// Each computes the exact result (or enough of it plus a sticky bit) in 128-bit integers and
// leaves the rounding to round_pack, so every rounding mode is exact and fma rounds once.
#include "drivers/kvm/accel/fpu.h"
#include "drivers/kvm/accel/fpu_soft.h"

namespace virtd::accel::soft {

namespace {

// A finite operand (zero included) as sign, exponent and a significand of up to 106 bits.
struct Term {
    bool sign;
    int exp;
    u128 sig;
};

// Sum of two finite terms. Both significands are first aligned to bit kLead, which leaves at
// least 18 zero bits below them (106-bit products included) and a carry bit above; the smaller
// is then shifted right with a sticky bit. When that shift is large, cancellation can remove at
// most one leading bit, so plenty of precision stays above the sticky bit.
uint64_t add_terms(Format f, Term a, Term b, Rounding rm, uint32_t& flags) {
    constexpr int kLead = 124;
    if (a.sig == 0 && b.sig == 0) {
        // IEEE 754 6.3: an exact zero sum of opposite signs is +0, except -0 when rounding down.
        const bool sign = a.sign == b.sign ? a.sign : rm == Rounding::Rdn;
        return f.zero(sign);
    }
    if (a.sig == 0) return round_pack(f, Exact{b.sign, b.exp, b.sig, false}, rm, flags);
    if (b.sig == 0) return round_pack(f, Exact{a.sign, a.exp, a.sig, false}, rm, flags);

    const auto align = [](Term& t) {
        const int shift = kLead - msb_index(t.sig);
        t.sig <<= shift;
        t.exp -= shift;
    };
    align(a);
    align(b);
    if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) {
        const Term t = a;
        a = b;
        b = t;
    }
    const int distance = a.exp - b.exp;
    bool sticky = false;
    if (distance >= 128) {
        sticky = true;
        b.sig = 0;
    } else if (distance > 0) {
        sticky = (b.sig & ((u128{1} << distance) - 1)) != 0;
        b.sig >>= distance;
    }
    u128 sig = 0;
    if (a.sign == b.sign) {
        sig = a.sig + b.sig;
    } else {
        // a - (b + fraction) = (a - b - 1) + (1 - fraction): borrow one and keep the sticky bit.
        sig = a.sig - b.sig - (sticky ? 1 : 0);
        if (sig == 0 && !sticky) return f.zero(rm == Rounding::Rdn);
    }
    return round_pack(f, Exact{a.sign, a.exp, sig, sticky}, rm, flags);
}

Term term(const Unpacked& u) {
    return Term{u.sign, u.exp, u.sig};
}

} // namespace

uint64_t add(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_nan() || y.is_nan()) return nan_result(f, flags, x, y);
    if (x.is_inf()) {
        if (y.is_inf() && x.sign != y.sign) {
            flags |= kFlagNv;
            return f.canonical_nan();
        }
        return a;
    }
    if (y.is_inf()) return b;
    return add_terms(f, term(x), term(y), rm, flags);
}

uint64_t sub(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags) {
    // Flipping a NaN's sign is harmless: NaN results are canonical whatever the operands.
    return add(f, a, b ^ f.sign_bit(), rm, flags);
}

uint64_t mul(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_nan() || y.is_nan()) return nan_result(f, flags, x, y);
    const bool sign = x.sign != y.sign;
    if (x.is_inf() || y.is_inf()) {
        if (x.is_zero() || y.is_zero()) {
            flags |= kFlagNv;
            return f.canonical_nan();
        }
        return f.infinity(sign);
    }
    if (x.is_zero() || y.is_zero()) return f.zero(sign);
    const u128 product = static_cast<u128>(x.sig) * y.sig;
    return round_pack(f, Exact{sign, x.exp + y.exp, product, false}, rm, flags);
}

uint64_t div(Format f, uint64_t a, uint64_t b, Rounding rm, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_nan() || y.is_nan()) return nan_result(f, flags, x, y);
    const bool sign = x.sign != y.sign;
    if (x.is_inf()) {
        if (y.is_inf()) {
            flags |= kFlagNv;
            return f.canonical_nan();
        }
        return f.infinity(sign);
    }
    if (y.is_inf()) return f.zero(sign);
    if (y.is_zero()) {
        if (x.is_zero()) {
            flags |= kFlagNv;
            return f.canonical_nan();
        }
        flags |= kFlagDz;
        return f.infinity(sign);
    }
    if (x.is_zero()) return f.zero(sign);
    // Widen the dividend so the quotient has over 70 bits; the remainder decides the sticky bit.
    const int shift = 125 - msb_index(x.sig);
    const u128 dividend = static_cast<u128>(x.sig) << shift;
    const u128 quotient = dividend / y.sig;
    const bool sticky = dividend % y.sig != 0;
    return round_pack(f, Exact{sign, x.exp - shift - y.exp, quotient, sticky}, rm, flags);
}

namespace {

// floor(sqrt(v)) and whether it is exact, one result bit per step.
Rounded isqrt(u128 v) {
    u128 root = 0;
    u128 bit = u128{1} << 126;
    while (bit > v)
        bit >>= 2;
    while (bit != 0) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return {root, v != 0};
}

} // namespace

uint64_t sqrt(Format f, uint64_t a, Rounding rm, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    if (x.is_nan()) return nan_result(f, flags, x, x);
    if (x.is_zero()) return a; // sqrt(-0) is -0
    if (x.sign) {
        flags |= kFlagNv;
        return f.canonical_nan();
    }
    if (x.is_inf()) return a;
    // Scale to about 124 bits with an even exponent, so the root has over 60 bits.
    int shift = 124 - msb_index(x.sig);
    if (((x.exp - shift) & 1) != 0) shift += 1;
    const Rounded root = isqrt(static_cast<u128>(x.sig) << shift);
    return round_pack(f, Exact{false, (x.exp - shift) / 2, root.value, root.inexact}, rm, flags);
}

uint64_t fma(Format f, uint64_t a, uint64_t b, uint64_t c, Rounding rm, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    const Unpacked z = unpack(f, c);
    if (x.is_snan() || y.is_snan() || z.is_snan()) flags |= kFlagNv;
    // RISC-V: inf * 0 is invalid even when the addend is a quiet NaN.
    if ((x.is_inf() && y.is_zero()) || (x.is_zero() && y.is_inf())) {
        flags |= kFlagNv;
        return f.canonical_nan();
    }
    if (x.is_nan() || y.is_nan() || z.is_nan()) return f.canonical_nan();
    const bool sign = x.sign != y.sign;
    if (x.is_inf() || y.is_inf()) {
        if (z.is_inf() && z.sign != sign) {
            flags |= kFlagNv;
            return f.canonical_nan();
        }
        return f.infinity(sign);
    }
    if (z.is_inf()) return c;
    // The product is exact in 106 bits; add_terms rounds the sum once.
    const Term product{sign, x.exp + y.exp, static_cast<u128>(x.sig) * y.sig};
    return add_terms(f, product, term(z), rm, flags);
}

} // namespace virtd::accel::soft
