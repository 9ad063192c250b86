// RV64C: each 16-bit instruction is expanded to the 32-bit instruction it stands for, so the
// compressed forms share the handlers of the base ISA.
#include <cstdint>

#include "drivers/kvm/accel/decode.h"
#include "drivers/kvm/accel/exec.h"

namespace virtd::accel {
namespace {

// 32-bit encoders for the formats the expansion produces.
uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2, uint32_t f7) {
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int64_t imm) {
    return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int64_t imm) {
    auto u = static_cast<uint32_t>(imm & 0xfff);
    return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 31) << 7) | op;
}
uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int64_t imm) {
    auto u = static_cast<uint32_t>(imm & 0x1fff);
    return (((u >> 12) & 1) << 31) | (((u >> 5) & 63) << 25) | (rs2 << 20) | (rs1 << 15) |
           (f3 << 12) | (((u >> 1) & 15) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
uint32_t enc_j(uint32_t rd, int64_t imm) {
    auto u = static_cast<uint32_t>(imm & 0x1fffff);
    return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
           (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

constexpr uint32_t kLoad = 0x03, kLoadFp = 0x07, kOpImm = 0x13, kOpImm32 = 0x1b, kStore = 0x23,
                   kStoreFp = 0x27, kOp = 0x33, kLui = 0x37, kOp32 = 0x3b, kJalr = 0x67;

uint32_t quadrant0(uint32_t c) {
    uint32_t rd = 8 + bits(c, 4, 2), rs1 = 8 + bits(c, 9, 7);
    uint32_t ud = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6); // C.LD/C.SD/C.FLD/C.FSD offset
    uint32_t uw = (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6);
    switch (bits(c, 15, 13)) {
    case 0: {
        uint32_t imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bits(c, 6, 6) << 2) |
                       (bits(c, 5, 5) << 3);
        return imm == 0 ? 0 : enc_i(kOpImm, rd, 0, 2, imm);
    }
    case 1:
        return enc_i(kLoadFp, rd, 3, rs1, ud);
    case 2:
        return enc_i(kLoad, rd, 2, rs1, uw);
    case 3:
        return enc_i(kLoad, rd, 3, rs1, ud);
    case 5:
        return enc_s(kStoreFp, 3, rs1, rd, ud);
    case 6:
        return enc_s(kStore, 2, rs1, rd, uw);
    case 7:
        return enc_s(kStore, 3, rs1, rd, ud);
    default:
        return 0;
    }
}

uint32_t quadrant1_alu(uint32_t c) {
    uint32_t r = 8 + bits(c, 9, 7), rs2 = 8 + bits(c, 4, 2);
    uint32_t shamt = (bits(c, 12, 12) << 5) | bits(c, 6, 2);
    switch (bits(c, 11, 10)) {
    case 0:
        return enc_i(kOpImm, r, 5, r, shamt);
    case 1:
        return enc_i(kOpImm, r, 5, r, 0x400 | shamt);
    case 2:
        return enc_i(kOpImm, r, 7, r, sext(shamt, 6));
    default:
        break;
    }
    static constexpr uint32_t kF3[4] = {0, 4, 6, 7}; // SUB XOR OR AND
    uint32_t sel = bits(c, 6, 5);
    if (bits(c, 12, 12) == 0) return enc_r(kOp, r, kF3[sel], r, rs2, sel == 0 ? 0x20 : 0);
    if (sel == 0) return enc_r(kOp32, r, 0, r, rs2, 0x20); // SUBW
    if (sel == 1) return enc_r(kOp32, r, 0, r, rs2, 0);    // ADDW
    return 0;
}

uint32_t quadrant1(uint32_t c) {
    uint32_t rd = bits(c, 11, 7);
    int64_t imm6 = sext((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6);
    switch (bits(c, 15, 13)) {
    case 0:
        return enc_i(kOpImm, rd, 0, rd, imm6);
    case 1:
        return rd == 0 ? 0 : enc_i(kOpImm32, rd, 0, rd, imm6);
    case 2:
        return enc_i(kOpImm, rd, 0, 0, imm6);
    case 3: {
        if (rd == 2) {
            int64_t imm =
                sext((bits(c, 12, 12) << 9) | (bits(c, 6, 6) << 4) | (bits(c, 5, 5) << 6) |
                         (bits(c, 4, 3) << 7) | (bits(c, 2, 2) << 5),
                     10);
            return imm == 0 ? 0 : enc_i(kOpImm, 2, 0, 2, imm);
        }
        if (imm6 == 0) return 0;
        return (static_cast<uint32_t>(imm6 << 12) & 0xfffff000u) | (rd << 7) | kLui;
    }
    case 4:
        return quadrant1_alu(c);
    case 5: {
        int64_t imm =
            sext((bits(c, 12, 12) << 11) | (bits(c, 11, 11) << 4) | (bits(c, 10, 9) << 8) |
                     (bits(c, 8, 8) << 10) | (bits(c, 7, 7) << 6) | (bits(c, 6, 6) << 7) |
                     (bits(c, 5, 3) << 1) | (bits(c, 2, 2) << 5),
                 12);
        return enc_j(0, imm);
    }
    default: {
        int64_t imm = sext((bits(c, 12, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) |
                               (bits(c, 4, 3) << 1) | (bits(c, 2, 2) << 5),
                           9);
        return enc_b(bits(c, 15, 13) == 6 ? 0 : 1, 8 + bits(c, 9, 7), 0, imm);
    }
    }
}

uint32_t quadrant2(uint32_t c) {
    uint32_t rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
    uint32_t ud = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
    uint32_t sd = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
    switch (bits(c, 15, 13)) {
    case 0:
        return enc_i(kOpImm, rd, 1, rd, (bits(c, 12, 12) << 5) | rs2);
    case 1:
        return enc_i(kLoadFp, rd, 3, 2, ud);
    case 2: {
        uint32_t imm = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
        return rd == 0 ? 0 : enc_i(kLoad, rd, 2, 2, imm);
    }
    case 3:
        return rd == 0 ? 0 : enc_i(kLoad, rd, 3, 2, ud);
    case 4:
        if (bits(c, 12, 12) == 0) {
            if (rs2 == 0) return rd == 0 ? 0 : enc_i(kJalr, 0, 0, rd, 0);
            return enc_r(kOp, rd, 0, 0, rs2, 0);
        }
        if (rd == 0 && rs2 == 0) return 0x00100073; // EBREAK
        if (rs2 == 0) return enc_i(kJalr, 1, 0, rd, 0);
        return enc_r(kOp, rd, 0, rd, rs2, 0);
    case 5:
        return enc_s(kStoreFp, 3, 2, rs2, sd);
    case 6:
        return enc_s(kStore, 2, 2, rs2, (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6));
    default:
        return enc_s(kStore, 3, 2, rs2, sd);
    }
}

} // namespace

uint32_t expand_compressed(uint16_t c) {
    switch (c & 3) {
    case 0:
        return quadrant0(c);
    case 1:
        return quadrant1(c);
    case 2:
        return quadrant2(c);
    default:
        return 0;
    }
}

} // namespace virtd::accel
