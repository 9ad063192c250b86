#include "drivers/kvm/accel/decode.h"

#include <cstring>

#include "drivers/kvm/accel/exec.h"

namespace virtd::accel {

bool op_illegal(Hart& h, const Insn& i) {
    return trap(h, kCauseIllegal, i.raw);
}

namespace {
// Ends a threaded chain (exec.h: continue_block): pc already points past the block.
bool op_block_end(Hart& /*h*/, const Insn& /*i*/) {
    return true;
}
} // namespace

Insn block_end() {
    Insn d;
    d.fn = op_block_end;
    d.len = 0; // execute() steps over it without moving pc
    return d;
}

bool ends_block(uint32_t raw32) {
    switch (raw32 & 0x7f) {
    case 0x63: // BRANCH: no, a not-taken branch falls through to the rest of the block
        return false;
    case 0x67: // JALR
    case 0x6f: // JAL
    case 0x73: // SYSTEM: CSRs, traps, SRET, WFI, SFENCE.VMA
        return true;
    case 0x0f:
        return bits(raw32, 14, 12) == 1; // FENCE.I
    default:
        return false;
    }
}

Insn decode(uint32_t raw) {
    Insn d;
    d.raw = raw;
    d.len = 4;
    d.rs1 = static_cast<uint8_t>(bits(raw, 19, 15));
    d.rs2 = static_cast<uint8_t>(bits(raw, 24, 20));
    uint32_t rd = bits(raw, 11, 7);
    d.rd = static_cast<uint8_t>(rd == 0 ? 32 : rd);
    Handler fn = nullptr;
    if ((raw & 3) == 3) {
        switch (raw & 0x7f) {
        case 0x37: // LUI
        case 0x17: // AUIPC
        case 0x13: // OP-IMM
        case 0x1b: // OP-IMM-32
        case 0x33: // OP
        case 0x3b: // OP-32
            fn = decode_alu(raw, d);
            break;
        case 0x63:
        case 0x67:
        case 0x6f:
            fn = decode_branch(raw, d);
            break;
        case 0x03: // LOAD
        case 0x07: // LOAD-FP
        case 0x23: // STORE
        case 0x27: // STORE-FP
            fn = decode_mem(raw, d);
            break;
        case 0x2f:
            fn = decode_atomic(raw, d);
            break;
        default:
            fn = decode_system(raw, d);
            break;
        }
    }
    d.fn = fn != nullptr ? fn : op_illegal;
    return d;
}

Insn decode_parcels(uint16_t lo, uint16_t hi) {
    if ((lo & 3) == 3) return decode(lo | (static_cast<uint32_t>(hi) << 16));
    uint32_t full = expand_compressed(lo);
    Insn d = full != 0 ? decode(full) : Insn{};
    if (full == 0) d.fn = op_illegal;
    d.raw = lo; // stval of an illegal compressed instruction is its 16 bits
    d.len = 2;
    return d;
}

bool decode_block(Block& b, uint64_t paddr, const uint8_t* host, const uint8_t* page_end) {
    b.count = 0;
    const uint8_t* p = host;
    while (b.count < kMaxBlockInsns && p + 2 <= page_end) {
        uint16_t lo = 0, hi = 0;
        std::memcpy(&lo, p, 2);
        bool wide = (lo & 3) == 3;
        if (wide && p + 4 > page_end) break; // crosses into the next page
        if (wide) std::memcpy(&hi, p + 2, 2);
        Insn d = decode_parcels(lo, hi);
        b.insns[b.count++] = d;
        p += d.len;
        uint32_t raw32 = wide ? d.raw : expand_compressed(lo);
        if (d.fn == op_illegal || ends_block(raw32)) break;
    }
    if (b.count == 0) return false;
    b.insns[b.count] = block_end();
    b.paddr = paddr;
    return true;
}

} // namespace virtd::accel
