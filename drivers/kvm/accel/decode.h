// Instruction decoding: raw bits to a predecoded Insn (handler plus operands).
#pragma once

#include <cstdint>

#include "drivers/kvm/accel/block.h"
#include "drivers/kvm/accel/hart.h"

namespace virtd::accel {

// Whether an instruction ends its block (it may change pc, privilege or translation).
// Conditional branches do not: a block runs on past a branch that is not taken (a superblock),
// which saves block transitions in branchy code.
bool ends_block(uint32_t raw32);

// Decodes one 32-bit instruction. Illegal encodings get a handler that raises the exception.
Insn decode(uint32_t raw);

// Expands a 16-bit compressed instruction to its 32-bit equivalent; 0 when illegal.
uint32_t expand_compressed(uint16_t c);

// Decodes the block starting at paddr from the host copy of its page. `page_end` bounds the
// bytes that may be read. Returns false if the first instruction crosses the page end (the
// caller fetches it byte-wise instead). b.insns must have room for kMaxBlockInsns + 1 (the
// sentinel).
bool decode_block(Block& b, uint64_t paddr, const uint8_t* host, const uint8_t* page_end);

// Decodes the instruction whose first bytes are `lo` (and, for a 32-bit instruction, `hi`).
Insn decode_parcels(uint16_t lo, uint16_t hi);

// The sentinel that follows the last instruction of every block (exec.h: continue_block).
Insn block_end();

} // namespace virtd::accel
