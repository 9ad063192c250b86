// Decoding operands and rounding intermediate results into a format: the one place that knows
// about rounding modes, overflow, subnormals and the NX/UF/OF flags.
#include "drivers/kvm/accel/fpu.h"
#include "drivers/kvm/accel/fpu_soft.h"

namespace virtd::accel::soft {

int msb_index(u128 v) {
    const auto hi = static_cast<uint64_t>(v >> 64);
    if (hi != 0) return 127 - __builtin_clzll(hi);
    return 63 - __builtin_clzll(static_cast<uint64_t>(v));
}

Unpacked unpack(Format f, uint64_t bits) {
    Unpacked u{};
    u.sign = (bits & f.sign_bit()) != 0;
    const uint64_t exp_field = (bits >> f.frac_bits) & f.max_exp_field();
    const uint64_t frac = bits & f.frac_mask();
    if (exp_field == f.max_exp_field()) {
        if (frac == 0) {
            u.cls = Class::Inf;
        } else {
            // The quiet bit is the fraction's most significant bit (IEEE 754-2008 6.2.1).
            const bool quiet = (frac >> (f.frac_bits - 1)) & 1;
            u.cls = quiet ? Class::QuietNan : Class::SignalingNan;
        }
    } else if (exp_field == 0) {
        u.cls = frac == 0 ? Class::Zero : Class::Subnormal;
        u.sig = frac;
        u.exp = f.min_exp() - f.frac_bits;
    } else {
        u.cls = Class::Normal;
        u.sig = frac | (uint64_t{1} << f.frac_bits);
        u.exp = static_cast<int>(exp_field) - f.bias() - f.frac_bits;
    }
    return u;
}

uint64_t nan_result(Format f, uint32_t& flags, const Unpacked& a, const Unpacked& b) {
    if (a.is_snan() || b.is_snan()) flags |= kFlagNv;
    return f.canonical_nan();
}

Rounded round_shift(u128 sig, int shift, bool sticky, bool sign, Rounding rm) {
    u128 kept = 0;
    bool above_half = false;
    bool exactly_half = false;
    bool lost = sticky;
    if (shift >= 128) {
        // Everything is below the rounding point, and below half of it since sig < 2^127.
        lost = lost || sig != 0;
    } else {
        const u128 half = u128{1} << (shift - 1);
        const u128 rest = sig & ((half << 1) - 1);
        kept = sig >> shift;
        lost = lost || rest != 0;
        above_half = rest > half || (rest == half && sticky);
        exactly_half = rest == half && !sticky;
    }
    bool up = false;
    switch (rm) {
    case Rounding::Rne:
        up = above_half || (exactly_half && (kept & 1) != 0);
        break;
    case Rounding::Rmm:
        up = above_half || exactly_half;
        break;
    case Rounding::Rtz:
        break;
    case Rounding::Rdn:
        up = sign && lost;
        break;
    case Rounding::Rup:
        up = !sign && lost;
        break;
    }
    return {kept + (up ? 1 : 0), lost};
}

namespace {

uint64_t overflow(Format f, bool sign, Rounding rm, uint32_t& flags) {
    flags |= kFlagOf | kFlagNx;
    // Directed modes stop at the largest finite value when rounding away from their direction.
    bool to_inf = true;
    switch (rm) {
    case Rounding::Rne:
    case Rounding::Rmm:
        break;
    case Rounding::Rtz:
        to_inf = false;
        break;
    case Rounding::Rdn:
        to_inf = sign;
        break;
    case Rounding::Rup:
        to_inf = !sign;
        break;
    }
    return to_inf ? f.infinity(sign) : f.max_finite(sign);
}

} // namespace

uint64_t round_pack(Format f, const Exact& x, Rounding rm, uint32_t& flags) {
    // Normalize so the leading one sits at bit kTop: far more bits than either format's
    // precision, with headroom below 2^127 as round_shift requires.
    constexpr int kTop = 125;
    u128 sig = x.sig;
    int exp = x.exp;
    bool sticky = x.sticky;
    if (sig == 0) {
        // Only a sticky remainder: a positive amount below 2^exp; any sig below it will do.
        sig = 1;
        exp -= 1;
    }
    const int msb = msb_index(sig);
    if (msb > kTop) {
        const int drop = msb - kTop;
        sticky = sticky || (sig & ((u128{1} << drop) - 1)) != 0;
        sig >>= drop;
    } else {
        sig <<= kTop - msb;
    }
    exp += msb - kTop;
    const int top = exp + kTop; // the value lies in [2^top, 2^(top+1))
    const int p = f.frac_bits;

    // Tininess after rounding: the value rounded to full precision with an unbounded exponent
    // range is below 2^min_exp. Only a value just below it can round up out of tininess.
    bool tiny = top < f.min_exp();
    if (top == f.min_exp() - 1) {
        const Rounded unbounded = round_shift(sig, kTop - p, sticky, x.sign, rm);
        tiny = (unbounded.value >> (p + 1)) == 0;
    }

    // The unit in the last place: fixed at the subnormal quantum below the normal range.
    int ulp_exp = (top < f.min_exp() ? f.min_exp() : top) - p;
    const Rounded r = round_shift(sig, ulp_exp - exp, sticky, x.sign, rm);
    u128 m = r.value;
    if ((m >> (p + 1)) != 0) { // rounding carried into the next binade: m == 2^(p+1)
        m >>= 1;
        ulp_exp += 1;
    }
    if (r.inexact) {
        flags |= kFlagNx;
        if (tiny) flags |= kFlagUf;
    }
    const uint64_t sign_bits = f.zero(x.sign);
    if ((m >> p) == 0) {
        // Subnormal or zero: exponent field 0, the fraction is m itself.
        return sign_bits | static_cast<uint64_t>(m);
    }
    // Normal (a subnormal that rounded up to 2^min_exp lands here too).
    const int biased = ulp_exp + p + f.bias();
    if (static_cast<uint64_t>(biased) >= f.max_exp_field()) return overflow(f, x.sign, rm, flags);
    return sign_bits | (static_cast<uint64_t>(biased) << p) |
           (static_cast<uint64_t>(m) & f.frac_mask());
}

} // namespace virtd::accel::soft
