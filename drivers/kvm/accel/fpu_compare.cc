// Comparisons (FEQ quiet, FLT/FLE signalling), FMIN/FMAX (IEEE 754-2019 minimumNumber and
// maximumNumber, as F 2.2 specifies) and FCLASS.
#include "drivers/kvm/accel/fpu.h"
#include "drivers/kvm/accel/fpu_soft.h"

namespace virtd::accel::soft {

namespace {

// Orders two non-NaN values by their bits, with -0 below +0 (what FMIN/FMAX need; the
// comparisons treat the zeros as equal before calling it).
bool less_ordered(Format f, uint64_t a, uint64_t b) {
    const bool a_neg = (a & f.sign_bit()) != 0;
    const bool b_neg = (b & f.sign_bit()) != 0;
    if (a_neg != b_neg) return a_neg;
    // Sign-magnitude: a larger magnitude is more negative.
    return a_neg ? a > b : a < b;
}

} // namespace

bool feq(Format f, uint64_t a, uint64_t b, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_nan() || y.is_nan()) {
        if (x.is_snan() || y.is_snan()) flags |= kFlagNv;
        return false;
    }
    return a == b || (x.is_zero() && y.is_zero());
}

bool flt(Format f, uint64_t a, uint64_t b, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_nan() || y.is_nan()) {
        flags |= kFlagNv;
        return false;
    }
    if (x.is_zero() && y.is_zero()) return false;
    return less_ordered(f, a, b);
}

bool fle(Format f, uint64_t a, uint64_t b, uint32_t& flags) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_nan() || y.is_nan()) {
        flags |= kFlagNv;
        return false;
    }
    if (a == b || (x.is_zero() && y.is_zero())) return true;
    return less_ordered(f, a, b);
}

namespace {

// Shared NaN handling of FMIN/FMAX; returns true with `result` set when a NaN decides it.
bool min_max_nan(Format f, uint64_t a, uint64_t b, uint32_t& flags, uint64_t& result) {
    const Unpacked x = unpack(f, a);
    const Unpacked y = unpack(f, b);
    if (x.is_snan() || y.is_snan()) flags |= kFlagNv; // even when the result is a number
    if (x.is_nan() && y.is_nan()) {
        result = f.canonical_nan();
        return true;
    }
    if (x.is_nan()) {
        result = b;
        return true;
    }
    if (y.is_nan()) {
        result = a;
        return true;
    }
    return false;
}

} // namespace

uint64_t fmin(Format f, uint64_t a, uint64_t b, uint32_t& flags) {
    uint64_t result = 0;
    if (min_max_nan(f, a, b, flags, result)) return result;
    return less_ordered(f, b, a) ? b : a;
}

uint64_t fmax(Format f, uint64_t a, uint64_t b, uint32_t& flags) {
    uint64_t result = 0;
    if (min_max_nan(f, a, b, flags, result)) return result;
    return less_ordered(f, a, b) ? b : a;
}

uint64_t fclass(Format f, uint64_t a) {
    // One bit set: 0 -inf, 1 -normal, 2 -subnormal, 3 -0, 4 +0, 5 +subnormal, 6 +normal,
    // 7 +inf, 8 signalling NaN, 9 quiet NaN.
    const Unpacked u = unpack(f, a);
    int bit = 0;
    switch (u.cls) {
    case Class::Inf:
        bit = u.sign ? 0 : 7;
        break;
    case Class::Normal:
        bit = u.sign ? 1 : 6;
        break;
    case Class::Subnormal:
        bit = u.sign ? 2 : 5;
        break;
    case Class::Zero:
        bit = u.sign ? 3 : 4;
        break;
    case Class::SignalingNan:
        bit = 8;
        break;
    case Class::QuietNan:
        bit = 9;
        break;
    }
    return uint64_t{1} << bit;
}

} // namespace virtd::accel::soft
