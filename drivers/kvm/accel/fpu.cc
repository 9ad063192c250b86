// The F/D instruction decoder: picks the operation from the encoding, reads operands (unboxing
// single values), resolves the rounding mode and commits the result, but only once the whole
// encoding is known legal, so an illegal instruction leaves every register untouched.
#include "drivers/kvm/accel/fpu.h"

#include <optional>

#include "drivers/kvm/accel/fpu_soft.h"

namespace virtd::accel {

uint64_t nan_box_s(uint32_t bits) {
    return 0xffffffff00000000ull | bits;
}

uint32_t nan_unbox_s(uint64_t reg) {
    if ((reg >> 32) != 0xffffffffu) return kCanonicalNanS;
    return static_cast<uint32_t>(reg);
}

namespace {

using soft::Format;
using soft::IntKind;
using soft::Rounding;

constexpr uint32_t kOpFp = 0x53;
constexpr uint32_t kOpFmadd = 0x43;
constexpr uint32_t kOpFmsub = 0x47;
constexpr uint32_t kOpFnmsub = 0x4b;
constexpr uint32_t kOpFnmadd = 0x4f;

// funct5 values of OP-FP (bits 31:27; bits 26:25 are the format).
enum Funct5 : uint32_t {
    kFadd = 0x00,
    kFsub = 0x01,
    kFmul = 0x02,
    kFdiv = 0x03,
    kFsgnj = 0x04,
    kFminmax = 0x05,
    kFcvtFmtFmt = 0x08,
    kFsqrt = 0x0b,
    kFcmp = 0x14,
    kFcvtIntFmt = 0x18,
    kFcvtFmtInt = 0x1a,
    kFmvXClass = 0x1c,
    kFmvFmtX = 0x1e,
};

// The instruction's fields; rs3 and funct5 share bits 31:27.
struct Fields {
    uint32_t opcode;
    uint32_t rd;
    uint32_t rm;
    uint32_t rs1;
    uint32_t rs2;
    uint32_t fmt; // 0 = S, 1 = D (2 = H and 3 = Q are not implemented)
    uint32_t top5;

    explicit Fields(uint32_t insn)
        : opcode(insn & 0x7f)
        , rd((insn >> 7) & 31)
        , rm((insn >> 12) & 7)
        , rs1((insn >> 15) & 31)
        , rs2((insn >> 20) & 31)
        , fmt((insn >> 25) & 3)
        , top5(insn >> 27) {}
};

// What a legal instruction writes: one register, integer or floating-point, and flags.
struct Outcome {
    bool to_x;
    uint32_t reg;
    uint64_t value;
    uint32_t flags;
};

std::optional<Rounding> rounding_mode(uint32_t rm, uint32_t frm) {
    if (rm == kRmDyn) rm = frm;
    if (rm > kRmRmm) return std::nullopt; // 5 and 6 reserved; DYN reserved inside frm
    return static_cast<Rounding>(rm);
}

// Operand access for a format: single values are unboxed on the way in and boxed on the way out.
class Operands {
public:
    Operands(const FpState& fp, uint32_t fmt)
        : fp_(fp)
        , is_double_(fmt == 1) {}

    Format format() const { return is_double_ ? soft::kF64 : soft::kF32; }
    uint64_t read(uint32_t reg) const { return is_double_ ? fp_.f[reg] : nan_unbox_s(fp_.f[reg]); }
    uint64_t box(uint64_t value) const {
        return is_double_ ? value : nan_box_s(static_cast<uint32_t>(value));
    }

private:
    const FpState& fp_;
    bool is_double_;
};

Outcome to_f(const Operands& ops, uint32_t reg, uint64_t value, uint32_t flags) {
    return {false, reg, ops.box(value), flags};
}

Outcome to_x(uint32_t reg, uint64_t value, uint32_t flags) {
    return {true, reg, value, flags};
}

std::optional<Outcome> fused(const Fields& d, uint32_t rs3, const FpState& fp) {
    const std::optional<Rounding> rm = rounding_mode(d.rm, fp.frm);
    if (!rm) return std::nullopt;
    const Operands ops(fp, d.fmt);
    const Format f = ops.format();
    uint64_t a = ops.read(d.rs1);
    uint64_t c = ops.read(rs3);
    // FMSUB: a*b - c; FNMSUB: -(a*b) + c; FNMADD: -(a*b) - c. Negating a negates the product.
    if (d.opcode == kOpFmsub || d.opcode == kOpFnmadd) c ^= f.sign_bit();
    if (d.opcode == kOpFnmsub || d.opcode == kOpFnmadd) a ^= f.sign_bit();
    uint32_t flags = 0;
    const uint64_t r = soft::fma(f, a, ops.read(d.rs2), c, *rm, flags);
    return to_f(ops, d.rd, r, flags);
}

std::optional<Outcome> arithmetic(const Fields& d, const FpState& fp) {
    const std::optional<Rounding> rm = rounding_mode(d.rm, fp.frm);
    if (!rm) return std::nullopt;
    const Operands ops(fp, d.fmt);
    const Format f = ops.format();
    const uint64_t a = ops.read(d.rs1);
    const uint64_t b = ops.read(d.rs2);
    uint32_t flags = 0;
    uint64_t r = 0;
    switch (d.top5) {
    case kFadd:
        r = soft::add(f, a, b, *rm, flags);
        break;
    case kFsub:
        r = soft::sub(f, a, b, *rm, flags);
        break;
    case kFmul:
        r = soft::mul(f, a, b, *rm, flags);
        break;
    case kFdiv:
        r = soft::div(f, a, b, *rm, flags);
        break;
    default: // kFsqrt, whose rs2 field must be 0
        if (d.rs2 != 0) return std::nullopt;
        r = soft::sqrt(f, a, *rm, flags);
        break;
    }
    return to_f(ops, d.rd, r, flags);
}

// FSGNJ/FSGNJN/FSGNJX: bit operations only, so no flags and no NaN canonicalization.
std::optional<Outcome> sign_inject(const Fields& d, const FpState& fp) {
    const Operands ops(fp, d.fmt);
    const uint64_t sign = ops.format().sign_bit();
    const uint64_t a = ops.read(d.rs1) & ~sign;
    const uint64_t b = ops.read(d.rs2);
    switch (d.rm) {
    case 0:
        return to_f(ops, d.rd, a | (b & sign), 0);
    case 1:
        return to_f(ops, d.rd, a | (~b & sign), 0);
    case 2:
        return to_f(ops, d.rd, a | ((ops.read(d.rs1) ^ b) & sign), 0);
    default:
        return std::nullopt;
    }
}

std::optional<Outcome> min_max(const Fields& d, const FpState& fp) {
    if (d.rm > 1) return std::nullopt;
    const Operands ops(fp, d.fmt);
    uint32_t flags = 0;
    const uint64_t a = ops.read(d.rs1);
    const uint64_t b = ops.read(d.rs2);
    const uint64_t r =
        d.rm == 0 ? soft::fmin(ops.format(), a, b, flags) : soft::fmax(ops.format(), a, b, flags);
    return to_f(ops, d.rd, r, flags);
}

// FCVT.S.D (fmt S, rs2 = 1) and FCVT.D.S (fmt D, rs2 = 0).
std::optional<Outcome> convert_fmt(const Fields& d, const FpState& fp) {
    const uint32_t source_fmt = d.rs2;
    if (source_fmt > 1 || source_fmt == d.fmt) return std::nullopt;
    const std::optional<Rounding> rm = rounding_mode(d.rm, fp.frm);
    if (!rm) return std::nullopt;
    const Operands src(fp, source_fmt);
    const Operands dst(fp, d.fmt);
    uint32_t flags = 0;
    const uint64_t r = soft::convert(dst.format(), src.format(), src.read(d.rs1), *rm, flags);
    return to_f(dst, d.rd, r, flags);
}

std::optional<Outcome> compare(const Fields& d, const FpState& fp) {
    const Operands ops(fp, d.fmt);
    const Format f = ops.format();
    const uint64_t a = ops.read(d.rs1);
    const uint64_t b = ops.read(d.rs2);
    uint32_t flags = 0;
    bool r = false;
    switch (d.rm) {
    case 0:
        r = soft::fle(f, a, b, flags);
        break;
    case 1:
        r = soft::flt(f, a, b, flags);
        break;
    case 2:
        r = soft::feq(f, a, b, flags);
        break;
    default:
        return std::nullopt;
    }
    return to_x(d.rd, r ? 1 : 0, flags);
}

// FCVT.{W,WU,L,LU}.fmt and FCVT.fmt.{W,WU,L,LU}; rs2 selects the integer kind.
std::optional<Outcome> convert_int(const Fields& d, const FpState& fp, const uint64_t* x) {
    if (d.rs2 > 3) return std::nullopt;
    const std::optional<Rounding> rm = rounding_mode(d.rm, fp.frm);
    if (!rm) return std::nullopt;
    const Operands ops(fp, d.fmt);
    const auto kind = static_cast<IntKind>(d.rs2);
    uint32_t flags = 0;
    if (d.top5 == kFcvtIntFmt) {
        const uint64_t r = soft::to_int(ops.format(), ops.read(d.rs1), kind, *rm, flags);
        return to_x(d.rd, r, flags);
    }
    const uint64_t r = soft::from_int(ops.format(), x[d.rs1], kind, *rm, flags);
    return to_f(ops, d.rd, r, flags);
}

// FMV.X.W/D (rm 0) and FCLASS (rm 1). FMV.X.W moves the raw low 32 bits, boxed or not,
// sign-extended as RV64 requires; FCLASS.S sees an improperly boxed value as the canonical NaN.
std::optional<Outcome> move_to_x(const Fields& d, const FpState& fp) {
    if (d.rs2 != 0 || d.rm > 1) return std::nullopt;
    const Operands ops(fp, d.fmt);
    if (d.rm == 1) return to_x(d.rd, soft::fclass(ops.format(), ops.read(d.rs1)), 0);
    const uint64_t raw = fp.f[d.rs1];
    if (d.fmt == 1) return to_x(d.rd, raw, 0);
    return to_x(d.rd, static_cast<uint64_t>(static_cast<int32_t>(static_cast<uint32_t>(raw))), 0);
}

// FMV.W.X / FMV.D.X: raw bits from the integer register, the single value NaN-boxed.
std::optional<Outcome> move_from_x(const Fields& d, const FpState& fp, const uint64_t* x) {
    if (d.rs2 != 0 || d.rm != 0) return std::nullopt;
    const Operands ops(fp, d.fmt);
    return to_f(ops, d.rd, x[d.rs1], 0);
}

std::optional<Outcome> op_fp(const Fields& d, const FpState& fp, const uint64_t* x) {
    switch (d.top5) {
    case kFadd:
    case kFsub:
    case kFmul:
    case kFdiv:
    case kFsqrt:
        return arithmetic(d, fp);
    case kFsgnj:
        return sign_inject(d, fp);
    case kFminmax:
        return min_max(d, fp);
    case kFcvtFmtFmt:
        return convert_fmt(d, fp);
    case kFcmp:
        return compare(d, fp);
    case kFcvtIntFmt:
    case kFcvtFmtInt:
        return convert_int(d, fp, x);
    case kFmvXClass:
        return move_to_x(d, fp);
    case kFmvFmtX:
        return move_from_x(d, fp, x);
    default:
        return std::nullopt;
    }
}

} // namespace

bool fp_execute(uint32_t insn, FpState& fp, uint64_t x[32]) {
    const Fields d(insn);
    if (d.fmt > 1) return false;
    std::optional<Outcome> out;
    switch (d.opcode) {
    case kOpFp:
        out = op_fp(d, fp, x);
        break;
    case kOpFmadd:
    case kOpFmsub:
    case kOpFnmsub:
    case kOpFnmadd:
        out = fused(d, d.top5, fp);
        break;
    default:
        return false;
    }
    if (!out) return false;
    if (out->to_x) {
        if (out->reg != 0) x[out->reg] = out->value;
    } else {
        fp.f[out->reg] = out->value;
    }
    fp.fflags |= out->flags;
    return true;
}

} // namespace virtd::accel
