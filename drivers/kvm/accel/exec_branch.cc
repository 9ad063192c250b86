// Control transfer: JAL, JALR and conditional branches. With the C extension every target is
// 2-byte aligned (JALR clears bit 0), so no instruction-address-misaligned trap exists.
#include <cstdint>
#include <utility>

#include "drivers/kvm/accel/exec.h"

namespace virtd::accel {
namespace {

using Cond = bool (*)(uint64_t, uint64_t);

bool eq(uint64_t a, uint64_t b) {
    return a == b;
}
bool ne(uint64_t a, uint64_t b) {
    return a != b;
}
bool lt(uint64_t a, uint64_t b) {
    return static_cast<int64_t>(a) < static_cast<int64_t>(b);
}
bool ge(uint64_t a, uint64_t b) {
    return static_cast<int64_t>(a) >= static_cast<int64_t>(b);
}
bool ltu(uint64_t a, uint64_t b) {
    return a < b;
}
bool geu(uint64_t a, uint64_t b) {
    return a >= b;
}

// A not-taken branch returns true: execution continues with the next instruction of the block.
template <Cond C>
bool branch(Hart& h, const Insn& i) {
    if (!C(h.x[i.rs1], h.x[i.rs2])) return continue_block(h, i);
    h.pc += static_cast<uint64_t>(i.imm);
    return false;
}

bool op_jal(Hart& h, const Insn& i) {
    h.x[i.rd] = h.pc + i.len;
    h.pc += static_cast<uint64_t>(i.imm);
    return false;
}

bool op_jalr(Hart& h, const Insn& i) {
    uint64_t target =
        (h.x[i.rs1] + static_cast<uint64_t>(i.imm)) & ~1ULL; // before rd (rd may be rs1)
    h.x[i.rd] = h.pc + i.len;
    h.pc = target;
    return false;
}

} // namespace

Handler decode_branch(uint32_t raw, Insn& d) {
    switch (raw & 0x7f) {
    case 0x6f:
        d.imm = imm_j(raw);
        return op_jal;
    case 0x67:
        d.imm = imm_i(raw);
        return bits(raw, 14, 12) == 0 ? op_jalr : nullptr;
    default:
        break;
    }
    static constexpr Handler kBranch[8] = {branch<eq>, branch<ne>, nullptr,     nullptr,
                                           branch<lt>, branch<ge>, branch<ltu>, branch<geu>};
    d.imm = imm_b(raw);
    return kBranch[bits(raw, 14, 12)];
}

InlineInfo describe_branch(Handler fn) {
    using enum InlineOp;
    static constexpr std::pair<Handler, InlineOp> kTable[] = {
        {branch<eq>, kBeq},   {branch<ne>, kBne},   {branch<lt>, kBlt}, {branch<ge>, kBge},
        {branch<ltu>, kBltu}, {branch<geu>, kBgeu}, {op_jal, kJal},     {op_jalr, kJalr},
    };
    for (const auto& [handler, op] : kTable) {
        if (handler == fn) return InlineInfo{op, false, 0, false};
    }
    return {};
}

} // namespace virtd::accel
