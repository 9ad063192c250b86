// The instruction groups' decoders. Each exec_*.cc keeps the encodings and the semantics of one
// group together; decode.cc only routes by major opcode. A decoder fills the operand fields of
// `d` it needs (imm) and returns the handler, or nullptr for an illegal encoding.
#pragma once

#include <cstdint>

#include "drivers/kvm/accel/hart.h"

namespace virtd::accel {

// Field extraction shared by the decoders.
inline uint32_t bits(uint32_t v, unsigned hi, unsigned lo) {
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}
inline int64_t sext(uint64_t v, unsigned width) {
    return static_cast<int64_t>(v << (64 - width)) >> (64 - width);
}
inline int64_t imm_i(uint32_t r) {
    return sext(r >> 20, 12);
}
inline int64_t imm_s(uint32_t r) {
    return sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12);
}
inline int64_t imm_b(uint32_t r) {
    return sext((bits(r, 31, 31) << 12) | (bits(r, 7, 7) << 11) | (bits(r, 30, 25) << 5) |
                    (bits(r, 11, 8) << 1),
                13);
}
inline int64_t imm_u(uint32_t r) {
    return sext(r & 0xfffff000u, 32);
}
inline int64_t imm_j(uint32_t r) {
    return sext((bits(r, 31, 31) << 20) | (bits(r, 19, 12) << 12) | (bits(r, 20, 20) << 11) |
                    (bits(r, 30, 21) << 1),
                21);
}

Handler decode_alu(uint32_t raw, Insn& d);    // LUI AUIPC OP OP-IMM OP-32 OP-IMM-32 (I, M, Zb*)
Handler decode_branch(uint32_t raw, Insn& d); // JAL JALR BRANCH
Handler decode_mem(uint32_t raw, Insn& d);    // LOAD STORE LOAD-FP STORE-FP
Handler decode_atomic(uint32_t raw, Insn& d); // AMO (LR, SC, AMO*)
Handler decode_system(uint32_t raw, Insn& d); // SYSTEM MISC-MEM and the FP compute hook

bool op_illegal(Hart& h, const Insn& i);

// What the block compiler (block_compiler.h) needs to know to emit a handler's work inline
// instead of calling it. Each group names its own handlers; kCall means "call the handler".
enum class InlineOp : uint8_t {
    kCall,
    kAdd,
    kSub,
    kAnd,
    kOr,
    kXor,
    kSll,
    kSrl,
    kSra,
    kSlt,
    kSltu, // reg_reg or reg_imm
    kAddw,
    kSubw,
    kSllw,
    kSrlw,
    kSraw,
    kMul,
    kMulw,
    kSh1add,
    kSh2add,
    kSh3add,
    kLui,
    kAuipc,
    kLoad,
    kStore,
    kBeq,
    kBne,
    kBlt,
    kBge,
    kBltu,
    kBgeu,
    kJal,
    kJalr,
    kEnd, // the block's sentinel
};
struct InlineInfo {
    InlineOp op = InlineOp::kCall;
    bool imm = false;  // reg_imm: the second operand is i.imm
    uint8_t size = 0;  // loads and stores: access bytes
    bool sign = false; // loads: sign-extend
};
InlineInfo describe_alu(Handler fn);
InlineInfo describe_branch(Handler fn);
InlineInfo describe_mem(Handler fn);

// Threaded dispatch. A hot handler that continues its block calls the next instruction's handler
// itself instead of returning to execute(): each such handler then has its own indirect branch,
// which the host predicts far better than execute()'s single call site. The chain is bounded by
// the block length (every block ends with a sentinel whose handler returns true), and the
// compiler turns the calls into jumps when it optimises. h.cur tells execute() where the chain
// stopped. Handlers may still simply return true; execute() then continues after h.cur.
inline bool continue_block(Hart& h, const Insn& i) {
    h.pc += i.len;
    const Insn* n = &i + 1;
    h.cur = n;
    return n->fn(h, *n);
}

} // namespace virtd::accel
