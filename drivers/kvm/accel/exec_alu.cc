// Integer computation: RV64I register/immediate ALU ops, LUI/AUIPC, the M extension and
// Zba/Zbb/Zbs. All W ops compute on the low 32 bits and sign-extend the result.
#include <bit>
#include <climits>
#include <cstdint>

#include "drivers/kvm/accel/exec.h"

namespace virtd::accel {
namespace {

using Op = uint64_t (*)(uint64_t, uint64_t);

uint64_t w(uint64_t v) {
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)));
}
int64_t s64(uint64_t v) {
    return static_cast<int64_t>(v);
}
int32_t s32(uint64_t v) {
    return static_cast<int32_t>(v);
}
uint32_t u32(uint64_t v) {
    return static_cast<uint32_t>(v);
}

// RV64I
uint64_t add(uint64_t a, uint64_t b) {
    return a + b;
}
uint64_t sub(uint64_t a, uint64_t b) {
    return a - b;
}
uint64_t sll(uint64_t a, uint64_t b) {
    return a << (b & 63);
}
uint64_t slt(uint64_t a, uint64_t b) {
    return s64(a) < s64(b) ? 1 : 0;
}
uint64_t sltu(uint64_t a, uint64_t b) {
    return a < b ? 1 : 0;
}
uint64_t bit_xor(uint64_t a, uint64_t b) {
    return a ^ b;
}
uint64_t srl(uint64_t a, uint64_t b) {
    return a >> (b & 63);
}
uint64_t sra(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>(s64(a) >> (b & 63));
}
uint64_t bit_or(uint64_t a, uint64_t b) {
    return a | b;
}
uint64_t bit_and(uint64_t a, uint64_t b) {
    return a & b;
}
uint64_t addw(uint64_t a, uint64_t b) {
    return w(a + b);
}
uint64_t subw(uint64_t a, uint64_t b) {
    return w(a - b);
}
uint64_t sllw(uint64_t a, uint64_t b) {
    return w(u32(a) << (b & 31));
}
uint64_t srlw(uint64_t a, uint64_t b) {
    return w(u32(a) >> (b & 31));
}
uint64_t sraw(uint64_t a, uint64_t b) {
    return w(static_cast<uint32_t>(s32(a) >> (b & 31)));
}

// M: division by zero and signed overflow give the spec's fixed results, never a trap.
uint64_t mul(uint64_t a, uint64_t b) {
    return a * b;
}
uint64_t mulh(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>((static_cast<__int128>(s64(a)) * s64(b)) >> 64);
}
uint64_t mulhsu(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>((static_cast<__int128>(s64(a)) * static_cast<__int128>(b)) >> 64);
}
uint64_t mulhu(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
}
uint64_t div(uint64_t a, uint64_t b) {
    if (b == 0) return ~0ULL;
    if (s64(a) == INT64_MIN && s64(b) == -1) return a;
    return static_cast<uint64_t>(s64(a) / s64(b));
}
uint64_t divu(uint64_t a, uint64_t b) {
    return b == 0 ? ~0ULL : a / b;
}
uint64_t rem(uint64_t a, uint64_t b) {
    if (b == 0) return a;
    if (s64(a) == INT64_MIN && s64(b) == -1) return 0;
    return static_cast<uint64_t>(s64(a) % s64(b));
}
uint64_t remu(uint64_t a, uint64_t b) {
    return b == 0 ? a : a % b;
}
uint64_t mulw(uint64_t a, uint64_t b) {
    return w(a * b);
}
uint64_t divw(uint64_t a, uint64_t b) {
    if (u32(b) == 0) return ~0ULL;
    if (s32(a) == INT32_MIN && s32(b) == -1) return w(a);
    return w(static_cast<uint32_t>(s32(a) / s32(b)));
}
uint64_t divuw(uint64_t a, uint64_t b) {
    return u32(b) == 0 ? ~0ULL : w(u32(a) / u32(b));
}
uint64_t remw(uint64_t a, uint64_t b) {
    if (u32(b) == 0) return w(a);
    if (s32(a) == INT32_MIN && s32(b) == -1) return 0;
    return w(static_cast<uint32_t>(s32(a) % s32(b)));
}
uint64_t remuw(uint64_t a, uint64_t b) {
    return u32(b) == 0 ? w(a) : w(u32(a) % u32(b));
}

// Zba
uint64_t sh1add(uint64_t a, uint64_t b) {
    return (a << 1) + b;
}
uint64_t sh2add(uint64_t a, uint64_t b) {
    return (a << 2) + b;
}
uint64_t sh3add(uint64_t a, uint64_t b) {
    return (a << 3) + b;
}
uint64_t add_uw(uint64_t a, uint64_t b) {
    return u32(a) + b;
}
uint64_t sh1add_uw(uint64_t a, uint64_t b) {
    return (static_cast<uint64_t>(u32(a)) << 1) + b;
}
uint64_t sh2add_uw(uint64_t a, uint64_t b) {
    return (static_cast<uint64_t>(u32(a)) << 2) + b;
}
uint64_t sh3add_uw(uint64_t a, uint64_t b) {
    return (static_cast<uint64_t>(u32(a)) << 3) + b;
}
uint64_t slli_uw(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>(u32(a)) << (b & 63);
}

// Zbb
uint64_t andn(uint64_t a, uint64_t b) {
    return a & ~b;
}
uint64_t orn(uint64_t a, uint64_t b) {
    return a | ~b;
}
uint64_t xnor(uint64_t a, uint64_t b) {
    return ~(a ^ b);
}
uint64_t max(uint64_t a, uint64_t b) {
    return s64(a) > s64(b) ? a : b;
}
uint64_t maxu(uint64_t a, uint64_t b) {
    return a > b ? a : b;
}
uint64_t min(uint64_t a, uint64_t b) {
    return s64(a) < s64(b) ? a : b;
}
uint64_t minu(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}
uint64_t rol(uint64_t a, uint64_t b) {
    return std::rotl(a, static_cast<int>(b & 63));
}
uint64_t ror(uint64_t a, uint64_t b) {
    return std::rotr(a, static_cast<int>(b & 63));
}
uint64_t rolw(uint64_t a, uint64_t b) {
    return w(std::rotl(u32(a), static_cast<int>(b & 31)));
}
uint64_t rorw(uint64_t a, uint64_t b) {
    return w(std::rotr(u32(a), static_cast<int>(b & 31)));
}
uint64_t clz(uint64_t a, uint64_t /*b*/) {
    return std::countl_zero(a);
}
uint64_t ctz(uint64_t a, uint64_t /*b*/) {
    return std::countr_zero(a);
}
uint64_t cpop(uint64_t a, uint64_t /*b*/) {
    return std::popcount(a);
}
uint64_t clzw(uint64_t a, uint64_t /*b*/) {
    return std::countl_zero(u32(a));
}
uint64_t ctzw(uint64_t a, uint64_t /*b*/) {
    return std::countr_zero(u32(a));
}
uint64_t cpopw(uint64_t a, uint64_t /*b*/) {
    return std::popcount(u32(a));
}
uint64_t sext_b(uint64_t a, uint64_t /*b*/) {
    return static_cast<uint64_t>(static_cast<int8_t>(a));
}
uint64_t sext_h(uint64_t a, uint64_t /*b*/) {
    return static_cast<uint64_t>(static_cast<int16_t>(a));
}
uint64_t zext_h(uint64_t a, uint64_t /*b*/) {
    return a & 0xffff;
}
uint64_t orc_b(uint64_t a, uint64_t /*b*/) {
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += 8) {
        if ((a >> i) & 0xff) r |= 0xffULL << i;
    }
    return r;
}
uint64_t rev8(uint64_t a, uint64_t /*b*/) {
    return __builtin_bswap64(a);
}

// Zbs
uint64_t bclr(uint64_t a, uint64_t b) {
    return a & ~(1ULL << (b & 63));
}
uint64_t bset(uint64_t a, uint64_t b) {
    return a | (1ULL << (b & 63));
}
uint64_t binv(uint64_t a, uint64_t b) {
    return a ^ (1ULL << (b & 63));
}
uint64_t bext(uint64_t a, uint64_t b) {
    return (a >> (b & 63)) & 1;
}

template <Op F>
bool reg_reg(Hart& h, const Insn& i) {
    h.x[i.rd] = F(h.x[i.rs1], h.x[i.rs2]);
    return continue_block(h, i);
}

template <Op F>
bool reg_imm(Hart& h, const Insn& i) {
    h.x[i.rd] = F(h.x[i.rs1], static_cast<uint64_t>(i.imm));
    return continue_block(h, i);
}

bool op_lui(Hart& h, const Insn& i) {
    h.x[i.rd] = static_cast<uint64_t>(i.imm);
    return continue_block(h, i);
}

bool op_auipc(Hart& h, const Insn& i) {
    h.x[i.rd] = h.pc + static_cast<uint64_t>(i.imm);
    return continue_block(h, i);
}

// OP and OP-32, keyed by funct7 and funct3.
Handler decode_op(uint32_t f7, uint32_t f3, bool word) {
    static constexpr Handler kBase[8] = {reg_reg<add>,    reg_reg<sll>,     reg_reg<slt>,
                                         reg_reg<sltu>,   reg_reg<bit_xor>, reg_reg<srl>,
                                         reg_reg<bit_or>, reg_reg<bit_and>};
    static constexpr Handler kMul[8] = {reg_reg<mul>,   reg_reg<mulh>, reg_reg<mulhsu>,
                                        reg_reg<mulhu>, reg_reg<div>,  reg_reg<divu>,
                                        reg_reg<rem>,   reg_reg<remu>};
    static constexpr Handler kMulW[8] = {reg_reg<mulw>, nullptr,       nullptr,
                                         nullptr,       reg_reg<divw>, reg_reg<divuw>,
                                         reg_reg<remw>, reg_reg<remuw>};
    if (!word) {
        switch (f7) {
        case 0x00:
            return kBase[f3];
        case 0x01:
            return kMul[f3];
        case 0x20:
            if (f3 == 0) return reg_reg<sub>;
            if (f3 == 5) return reg_reg<sra>;
            if (f3 == 4) return reg_reg<xnor>;
            if (f3 == 6) return reg_reg<orn>;
            if (f3 == 7) return reg_reg<andn>;
            return nullptr;
        case 0x10:
            if (f3 == 2) return reg_reg<sh1add>;
            if (f3 == 4) return reg_reg<sh2add>;
            if (f3 == 6) return reg_reg<sh3add>;
            return nullptr;
        case 0x05: {
            static constexpr Handler kMinMax[4] = {reg_reg<min>, reg_reg<minu>, reg_reg<max>,
                                                   reg_reg<maxu>};
            return f3 >= 4 ? kMinMax[f3 - 4] : nullptr;
        }
        case 0x30:
            if (f3 == 1) return reg_reg<rol>;
            if (f3 == 5) return reg_reg<ror>;
            return nullptr;
        case 0x24:
            if (f3 == 1) return reg_reg<bclr>;
            if (f3 == 5) return reg_reg<bext>;
            return nullptr;
        case 0x34:
            return f3 == 1 ? reg_reg<binv> : nullptr;
        case 0x14:
            return f3 == 1 ? reg_reg<bset> : nullptr;
        default:
            return nullptr;
        }
    }
    switch (f7) {
    case 0x00:
        if (f3 == 0) return reg_reg<addw>;
        if (f3 == 1) return reg_reg<sllw>;
        if (f3 == 5) return reg_reg<srlw>;
        return nullptr;
    case 0x20:
        if (f3 == 0) return reg_reg<subw>;
        if (f3 == 5) return reg_reg<sraw>;
        return nullptr;
    case 0x01:
        return kMulW[f3];
    case 0x04:
        return f3 == 0 ? reg_reg<add_uw> : nullptr;
    case 0x10:
        if (f3 == 2) return reg_reg<sh1add_uw>;
        if (f3 == 4) return reg_reg<sh2add_uw>;
        if (f3 == 6) return reg_reg<sh3add_uw>;
        return nullptr;
    case 0x30:
        if (f3 == 1) return reg_reg<rolw>;
        if (f3 == 5) return reg_reg<rorw>;
        return nullptr;
    default:
        return nullptr;
    }
}

// OP-IMM shifts and the Zbb/Zbs unary and immediate forms (funct3 1 and 5).
Handler decode_op_imm_shift(uint32_t raw, Insn& d) {
    uint32_t f3 = bits(raw, 14, 12), f6 = bits(raw, 31, 26), imm12 = bits(raw, 31, 20);
    d.imm = bits(raw, 25, 20);
    if (f3 == 1) {
        switch (f6) {
        case 0x00:
            return reg_imm<sll>;
        case 0x12:
            return reg_imm<bclr>;
        case 0x1a:
            return reg_imm<binv>;
        case 0x0a:
            return reg_imm<bset>;
        default:
            break;
        }
        switch (imm12) {
        case 0x600:
            return reg_imm<clz>;
        case 0x601:
            return reg_imm<ctz>;
        case 0x602:
            return reg_imm<cpop>;
        case 0x604:
            return reg_imm<sext_b>;
        case 0x605:
            return reg_imm<sext_h>;
        default:
            return nullptr;
        }
    }
    switch (f6) {
    case 0x00:
        return reg_imm<srl>;
    case 0x10:
        return reg_imm<sra>;
    case 0x18:
        return reg_imm<ror>;
    case 0x12:
        return reg_imm<bext>;
    default:
        break;
    }
    if (imm12 == 0x287) return reg_imm<orc_b>;
    if (imm12 == 0x6b8) return reg_imm<rev8>;
    return nullptr;
}

Handler decode_op_imm32(uint32_t raw, Insn& d) {
    uint32_t f3 = bits(raw, 14, 12), f7 = bits(raw, 31, 25);
    if (f3 == 0) {
        d.imm = imm_i(raw);
        return reg_imm<addw>;
    }
    d.imm = bits(raw, 24, 20);
    if (f3 == 1) {
        if (f7 == 0x00) return reg_imm<sllw>;
        if (bits(raw, 31, 26) == 0x02) {
            d.imm = bits(raw, 25, 20);
            return reg_imm<slli_uw>;
        }
        if (f7 == 0x30) {
            switch (bits(raw, 24, 20)) {
            case 0:
                return reg_imm<clzw>;
            case 1:
                return reg_imm<ctzw>;
            case 2:
                return reg_imm<cpopw>;
            default:
                return nullptr;
            }
        }
        return nullptr;
    }
    if (f3 == 5) {
        if (f7 == 0x00) return reg_imm<srlw>;
        if (f7 == 0x20) return reg_imm<sraw>;
        if (f7 == 0x30) return reg_imm<rorw>;
    }
    return nullptr;
}

} // namespace

Handler decode_alu(uint32_t raw, Insn& d) {
    uint32_t f3 = bits(raw, 14, 12);
    switch (raw & 0x7f) {
    case 0x37:
        d.imm = imm_u(raw);
        return op_lui;
    case 0x17:
        d.imm = imm_u(raw);
        return op_auipc;
    case 0x13: {
        static constexpr Handler kImm[8] = {reg_imm<add>,    nullptr,          reg_imm<slt>,
                                            reg_imm<sltu>,   reg_imm<bit_xor>, nullptr,
                                            reg_imm<bit_or>, reg_imm<bit_and>};
        if (f3 == 1 || f3 == 5) return decode_op_imm_shift(raw, d);
        d.imm = imm_i(raw);
        return kImm[f3];
    }
    case 0x1b:
        return decode_op_imm32(raw, d);
    case 0x33:
        return decode_op(bits(raw, 31, 25), f3, false);
    case 0x3b:
        if (bits(raw, 31, 25) == 0x04 && f3 == 4 && bits(raw, 24, 20) == 0) return reg_reg<zext_h>;
        return decode_op(bits(raw, 31, 25), f3, true);
    default:
        return nullptr;
    }
}

InlineInfo describe_alu(Handler fn) {
    struct Entry {
        Handler fn;
        InlineOp op;
        bool imm;
    };
    using enum InlineOp;
    static constexpr Entry kTable[] = {
        {reg_reg<add>, kAdd, false},       {reg_imm<add>, kAdd, true},
        {reg_reg<sub>, kSub, false},       {reg_reg<bit_and>, kAnd, false},
        {reg_imm<bit_and>, kAnd, true},    {reg_reg<bit_or>, kOr, false},
        {reg_imm<bit_or>, kOr, true},      {reg_reg<bit_xor>, kXor, false},
        {reg_imm<bit_xor>, kXor, true},    {reg_reg<sll>, kSll, false},
        {reg_imm<sll>, kSll, true},        {reg_reg<srl>, kSrl, false},
        {reg_imm<srl>, kSrl, true},        {reg_reg<sra>, kSra, false},
        {reg_imm<sra>, kSra, true},        {reg_reg<slt>, kSlt, false},
        {reg_imm<slt>, kSlt, true},        {reg_reg<sltu>, kSltu, false},
        {reg_imm<sltu>, kSltu, true},      {reg_reg<addw>, kAddw, false},
        {reg_imm<addw>, kAddw, true},      {reg_reg<subw>, kSubw, false},
        {reg_reg<sllw>, kSllw, false},     {reg_imm<sllw>, kSllw, true},
        {reg_reg<srlw>, kSrlw, false},     {reg_imm<srlw>, kSrlw, true},
        {reg_reg<sraw>, kSraw, false},     {reg_imm<sraw>, kSraw, true},
        {reg_reg<mul>, kMul, false},       {reg_reg<mulw>, kMulw, false},
        {reg_reg<sh1add>, kSh1add, false}, {reg_reg<sh2add>, kSh2add, false},
        {reg_reg<sh3add>, kSh3add, false}, {op_lui, kLui, true},
        {op_auipc, kAuipc, true},
    };
    for (const Entry& e : kTable) {
        if (e.fn == fn) return InlineInfo{e.op, e.imm, 0, false};
    }
    return {};
}

} // namespace virtd::accel
