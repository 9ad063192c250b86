// Conversions: float to integer (rounded, saturating), integer to float, and between S and D.
#include "drivers/kvm/accel/fpu.h"
#include "drivers/kvm/accel/fpu_soft.h"

namespace virtd::accel::soft {

namespace {

// The representable range of an integer kind, as magnitudes, and its saturation values.
struct IntRange {
    u128 max_positive;     // largest value
    u128 max_negative;     // largest magnitude of a negative value (0 for unsigned)
    uint64_t positive_sat; // result for +inf, NaN and too large
    uint64_t negative_sat; // result for -inf and too small
    bool is_32;
};

IntRange range_of(IntKind kind) {
    switch (kind) {
    case IntKind::W:
        return {0x7fffffffu, 0x80000000u, 0x7fffffffu, 0x80000000u, true};
    case IntKind::WU:
        return {0xffffffffu, 0, 0xffffffffu, 0, true};
    case IntKind::L:
        return {0x7fffffffffffffffull, u128{1} << 63, 0x7fffffffffffffffull, 0x8000000000000000ull,
                false};
    case IntKind::LU:
        break;
    }
    return {0xffffffffffffffffull, 0, 0xffffffffffffffffull, 0, false};
}

// RV64 keeps 32-bit results sign-extended in the 64-bit register, unsigned ones included.
uint64_t to_register(uint64_t value, bool is_32) {
    if (!is_32) return value;
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(value)));
}

} // namespace

uint64_t to_int(Format f, uint64_t a, IntKind kind, Rounding rm, uint32_t& flags) {
    const IntRange range = range_of(kind);
    const Unpacked u = unpack(f, a);
    if (u.is_nan()) {
        flags |= kFlagNv;
        return to_register(range.positive_sat, range.is_32);
    }
    const uint64_t saturated = u.sign ? range.negative_sat : range.positive_sat;
    if (u.is_inf()) {
        flags |= kFlagNv;
        return to_register(saturated, range.is_32);
    }
    u128 magnitude = 0;
    bool inexact = false;
    if (u.is_zero()) {
        magnitude = 0;
    } else if (u.exp >= 64) {
        magnitude = ~u128{0}; // certainly out of range
    } else if (u.exp >= 0) {
        magnitude = static_cast<u128>(u.sig) << u.exp;
    } else {
        const Rounded r = round_shift(u.sig, -u.exp, false, u.sign, rm);
        magnitude = r.value;
        inexact = r.inexact;
    }
    // The range is checked after rounding: -0.4 converts to an unsigned 0 (inexact, valid).
    const u128 limit = u.sign ? range.max_negative : range.max_positive;
    if (magnitude > limit) {
        flags |= kFlagNv; // NV alone: an invalid conversion is not also inexact
        return to_register(saturated, range.is_32);
    }
    if (inexact) flags |= kFlagNx;
    const auto low = static_cast<uint64_t>(magnitude);
    return to_register(u.sign ? 0 - low : low, range.is_32);
}

uint64_t from_int(Format f, uint64_t x, IntKind kind, Rounding rm, uint32_t& flags) {
    bool sign = false;
    uint64_t magnitude = 0;
    switch (kind) {
    case IntKind::W: {
        const auto v = static_cast<int32_t>(static_cast<uint32_t>(x));
        sign = v < 0;
        magnitude = sign ? 0 - static_cast<uint64_t>(static_cast<int64_t>(v)) : v;
        break;
    }
    case IntKind::WU:
        magnitude = static_cast<uint32_t>(x);
        break;
    case IntKind::L:
        sign = static_cast<int64_t>(x) < 0;
        magnitude = sign ? 0 - x : x;
        break;
    case IntKind::LU:
        magnitude = x;
        break;
    }
    if (magnitude == 0) return f.zero(false);
    return round_pack(f, Exact{sign, 0, magnitude, false}, rm, flags);
}

uint64_t convert(Format to, Format from, uint64_t a, Rounding rm, uint32_t& flags) {
    const Unpacked u = unpack(from, a);
    if (u.is_nan()) return nan_result(to, flags, u, u);
    if (u.is_inf()) return to.infinity(u.sign);
    if (u.is_zero()) return to.zero(u.sign);
    return round_pack(to, Exact{u.sign, u.exp, u.sig, false}, rm, flags);
}

} // namespace virtd::accel::soft
