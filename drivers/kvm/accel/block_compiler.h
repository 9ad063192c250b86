// The block compiler: turns a hot predecoded block into x86-64 host code.
//
// Compiled code does exactly what execute() does for the block, with the same results in h.pc,
// h.instret and the registers, but without a dispatch per instruction: common integer
// instructions (ALU, loads and stores through the soft TLB, branches, JAL/JALR) are emitted
// inline, everything else calls its interpreter handler. pc is kept lazily: h.pc holds the
// block's start (plus the instructions already handed to a handler) and compiled code adds the
// distance it knows at compile time only where a handler or an exit needs it.
//
// Compiled blocks chain: where a block ends with a jump or branch it computed itself, it looks
// the new pc up in a small per-hart jump cache (virtual pc and privilege, valid for one TLB and
// one block-cache generation) and jumps straight into that block's code, so most block
// transitions never return to the run loop. The run loop fills the cache as it enters blocks.
//
// Code lives in one arena per hart, emptied when the block cache has been flushed; the arena is
// only written by compile(), which runs between blocks, so a block whose cache is flushed under
// it (FENCE.I, a store into a code page) finishes intact. On hosts other than x86-64, compile()
// declines and the interpreter runs everything.
#pragma once

#include <cstddef>
#include <memory>

#include "drivers/kvm/accel/block.h"

namespace virtd::accel {

struct Hart;

class BlockCompiler {
public:
    // The arena's size: room for several full instruction arenas' worth of typical blocks.
    static constexpr size_t kCodeBytes = size_t{32} << 20;

    explicit BlockCompiler(const Hart& h);
    ~BlockCompiler();
    BlockCompiler(const BlockCompiler&) = delete;
    BlockCompiler& operator=(const BlockCompiler&) = delete;

    // Whether this host can run compiled blocks at all.
    static bool supported();

    // Compiles b and sets b.code; returns false (b stays interpreted) when the arena is full or
    // the host is not supported. `cache_gen` is the block cache's generation: when it moved, the
    // cache was flushed and no block refers to the arena's code any more, so it is reused.
    bool compile(Block& b, uint64_t cache_gen);
    // Notes that the block at the hart's current pc and privilege is `code`, for chaining.
    void remember(const Hart& h, BlockCode code, uint64_t cache_gen);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace virtd::accel
