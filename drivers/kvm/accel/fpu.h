// The floating-point unit's contract with the CPU core.
//
// The F/D compute unit (fp_execute) is written separately and replaces this header when it lands;
// until then this file holds only the agreed interface. The CPU owns the FP register file (one
// FpState per hart), the FLW/FLD/FSW/FSD loads and stores with NaN boxing, and sstatus.FS.
#pragma once

#include <cstdint>

namespace virtd::accel {

// The F/D register file and fcsr fields of one hart.
struct FpState {
    uint64_t f[32] = {};
    uint32_t fflags = 0;
    uint32_t frm = 0;
};

// Executes one OP-FP / FMADD / FMSUB / FNMSUB / FNMADD instruction (compute only). Never writes
// x[0]. Returns false for an illegal encoding (including a reserved rounding mode).
bool fp_execute(uint32_t insn, FpState& fp, uint64_t x[32]);

} // namespace virtd::accel
