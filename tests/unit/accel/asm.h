// A tiny RV64 assembler for the accelerator tests: encoders for the instructions the tests use,
// and a program builder with byte offsets for branches.
#pragma once

#include <cstdint>
#include <vector>

namespace virtd::accel::test {

enum Reg : uint32_t {
    zero = 0,
    ra = 1,
    sp = 2,
    gp = 3,
    tp = 4,
    t0 = 5,
    t1 = 6,
    t2 = 7,
    s0 = 8,
    s1 = 9,
    a0 = 10,
    a1 = 11,
    a2 = 12,
    a3 = 13,
    a4 = 14,
    a5 = 15,
    a6 = 16,
    a7 = 17,
    s2 = 18,
    s3 = 19,
    s4 = 20,
    s5 = 21,
    t3 = 28,
};

namespace enc {
inline uint32_t r(uint32_t op, uint32_t f3, uint32_t f7, uint32_t rd, uint32_t rs1, uint32_t rs2) {
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
inline uint32_t i(uint32_t op, uint32_t f3, uint32_t rd, uint32_t rs1, int64_t imm) {
    return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
inline uint32_t s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int64_t imm) {
    auto u = static_cast<uint32_t>(imm & 0xfff);
    return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 31) << 7) | op;
}
inline uint32_t b(uint32_t f3, uint32_t rs1, uint32_t rs2, int64_t imm) {
    auto u = static_cast<uint32_t>(imm & 0x1fff);
    return (((u >> 12) & 1) << 31) | (((u >> 5) & 63) << 25) | (rs2 << 20) | (rs1 << 15) |
           (f3 << 12) | (((u >> 1) & 15) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
inline uint32_t j(uint32_t rd, int64_t imm) {
    auto u = static_cast<uint32_t>(imm & 0x1fffff);
    return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
           (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}
inline uint32_t amo(uint32_t f5, uint32_t f3, uint32_t rd, uint32_t rs1, uint32_t rs2) {
    return r(0x2f, f3, f5 << 2, rd, rs1, rs2);
}
} // namespace enc

// Builds a program as bytes; pc() is the byte offset of the next instruction.
class Asm {
public:
    std::vector<uint8_t> bytes;

    int64_t pc() const { return static_cast<int64_t>(bytes.size()); }
    Asm& w(uint32_t insn) {
        for (int k = 0; k < 4; ++k)
            bytes.push_back(static_cast<uint8_t>(insn >> (8 * k)));
        return *this;
    }
    Asm& h(uint16_t insn) {
        bytes.push_back(static_cast<uint8_t>(insn));
        bytes.push_back(static_cast<uint8_t>(insn >> 8));
        return *this;
    }

    // OP / OP-32 (funct7, funct3)
    Asm& op(uint32_t f7, uint32_t f3, Reg rd, Reg rs1, Reg rs2) {
        return w(enc::r(0x33, f3, f7, rd, rs1, rs2));
    }
    Asm& op32(uint32_t f7, uint32_t f3, Reg rd, Reg rs1, Reg rs2) {
        return w(enc::r(0x3b, f3, f7, rd, rs1, rs2));
    }
    Asm& add(Reg rd, Reg a, Reg b) { return op(0, 0, rd, a, b); }
    Asm& addi(Reg rd, Reg rs1, int64_t imm) { return w(enc::i(0x13, 0, rd, rs1, imm)); }
    Asm& addiw(Reg rd, Reg rs1, int64_t imm) { return w(enc::i(0x1b, 0, rd, rs1, imm)); }
    Asm& slli(Reg rd, Reg rs1, int64_t sh) { return w(enc::i(0x13, 1, rd, rs1, sh)); }
    Asm& lui(Reg rd, int64_t hi20) {
        return w((static_cast<uint32_t>(hi20 & 0xfffff) << 12) | (rd << 7) | 0x37);
    }
    Asm& li(Reg rd, int64_t v) {
        if (v >= INT32_MIN && v <= INT32_MAX) {
            int64_t hi = (v + 0x800) >> 12, lo = v - (hi << 12);
            if (hi == 0) return addi(rd, zero, lo);
            lui(rd, hi);
            return addiw(rd, rd, lo);
        }
        int64_t lo = static_cast<int64_t>(static_cast<uint64_t>(v) << 52) >> 52;
        li(rd, static_cast<int64_t>(static_cast<uint64_t>(v) - static_cast<uint64_t>(lo)) >> 12);
        slli(rd, rd, 12);
        return lo != 0 ? addi(rd, rd, lo) : *this;
    }
    Asm& load(uint32_t f3, Reg rd, Reg rs1, int64_t off) {
        return w(enc::i(0x03, f3, rd, rs1, off));
    }
    Asm& store(uint32_t f3, Reg rs2, Reg rs1, int64_t off) {
        return w(enc::s(0x23, f3, rs1, rs2, off));
    }
    Asm& ld(Reg rd, Reg rs1, int64_t off) { return load(3, rd, rs1, off); }
    Asm& sd(Reg rs2, Reg rs1, int64_t off) { return store(3, rs2, rs1, off); }
    Asm& branch(uint32_t f3, Reg a, Reg b, int64_t target) {
        return w(enc::b(f3, a, b, target - pc()));
    }
    Asm& beq(Reg a, Reg b, int64_t target) { return branch(0, a, b, target); }
    Asm& bne(Reg a, Reg b, int64_t target) { return branch(1, a, b, target); }
    Asm& jal(Reg rd, int64_t target) { return w(enc::j(rd, target - pc())); }
    Asm& csrrw(Reg rd, uint32_t csr, Reg rs1) { return w(enc::i(0x73, 1, rd, rs1, csr)); }
    Asm& csrrs(Reg rd, uint32_t csr, Reg rs1) { return w(enc::i(0x73, 2, rd, rs1, csr)); }
    Asm& csrr(Reg rd, uint32_t csr) { return csrrs(rd, csr, zero); }
    Asm& csrw(uint32_t csr, Reg rs1) { return csrrw(zero, csr, rs1); }
    Asm& ecall() { return w(0x00000073); }
    Asm& sret() { return w(0x10200073); }
    Asm& wfi() { return w(0x10500073); }
    Asm& fence_i() { return w(0x0000100f); }
    Asm& sbi(uint64_t ext, uint64_t fid) {
        li(a7, static_cast<int64_t>(ext));
        li(a6, static_cast<int64_t>(fid));
        return ecall();
    }
    // Ends a test program: an SBI legacy putchar, which run() forwards as an Sbi exit.
    Asm& halt() {
        addi(a7, zero, 1);
        return ecall();
    }
};

} // namespace virtd::accel::test
