// The floating-point unit of the software RISC-V CPU: the RV64 F and D extensions' compute
// instructions (OP-FP and the fused multiply-adds), IEEE 754 correct in every rounding mode.
// The arithmetic is done in integers (fpu_soft.h), so results and flags do not depend on the
// host's FPU or its rounding-mode state, and RISC-V's RMM mode (which x86 lacks) is exact too.
#pragma once

#include <cstdint>

namespace virtd::accel {

// The F/D architectural state: 32 registers of 64 bits (single values NaN-boxed), the accrued
// exception flags (fflags, 5 bits) and the dynamic rounding mode (frm, 3 bits).
struct FpState {
    uint64_t f[32] = {};
    uint32_t fflags = 0;
    uint32_t frm = 0;
};

// fflags bits.
inline constexpr uint32_t kFlagNx = 1u << 0; // inexact
inline constexpr uint32_t kFlagUf = 1u << 1; // underflow
inline constexpr uint32_t kFlagOf = 1u << 2; // overflow
inline constexpr uint32_t kFlagDz = 1u << 3; // divide by zero
inline constexpr uint32_t kFlagNv = 1u << 4; // invalid operation

// Rounding-mode encodings of the rm field and of frm; 5 and 6 are reserved, 7 (DYN) in an
// instruction selects frm and is reserved in frm itself.
inline constexpr uint32_t kRmRne = 0;
inline constexpr uint32_t kRmRtz = 1;
inline constexpr uint32_t kRmRdn = 2;
inline constexpr uint32_t kRmRup = 3;
inline constexpr uint32_t kRmRmm = 4;
inline constexpr uint32_t kRmDyn = 7;

// The only NaNs RISC-V arithmetic produces: payloads are never propagated.
inline constexpr uint32_t kCanonicalNanS = 0x7fc00000u;
inline constexpr uint64_t kCanonicalNanD = 0x7ff8000000000000ull;

// Executes one floating-point compute instruction: OP-FP (opcode 0x53) and the fused
// multiply-adds (0x43, 0x47, 0x4b, 0x4f), for S and D. Not loads/stores (the CPU does those and
// NaN boxing via nan_box_s()). Reads/writes integer registers through x for FCVT.*.[W|WU|L|LU],
// FCVT.[W|WU|L|LU].*, FMV.X.W/D, FMV.W/D.X, FEQ/FLT/FLE, FCLASS; never writes x[0].
// Returns false for an illegal encoding (reserved rounding mode, including DYN when frm holds a
// reserved value; unknown funct), in which case nothing is changed. On success the
// instruction's exception flags are ORed into fp.fflags.
bool fp_execute(uint32_t insn, FpState& fp, uint64_t x[32]);

// A single-precision value as it sits in a 64-bit register: the upper 32 bits all ones.
uint64_t nan_box_s(uint32_t bits);
// The single-precision value in a register; one not properly NaN-boxed reads as the canonical
// NaN, as every S instruction that takes a float operand must treat it.
uint32_t nan_unbox_s(uint64_t reg);

} // namespace virtd::accel
