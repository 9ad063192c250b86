// Predecoded instruction blocks, keyed by guest physical address.
//
// A block is a straight run of instructions inside one guest page that ends at the first
// jump or instruction that may change translation (JAL, JALR, SYSTEM, FENCE.I), at the page end,
// or at kMaxBlockInsns. Conditional branches leave the block early when taken and fall through
// to its next instruction otherwise, so a block may have several exits. Blocks hold no virtual
// addresses (pc-relative instructions use the hart's pc), so one block serves every mapping of its
// page. A block compiler can later replace the Insn array of a block without touching the run loop.
#pragma once

#include <cstdint>
#include <unordered_set>

#include "drivers/kvm/accel/hart.h"
#include "drivers/kvm/accel/zeroed_array.h"

namespace virtd::accel {

constexpr unsigned kMaxBlockInsns = 32;

// A compiled block (block_compiler.h): runs the block as execute() would.
using BlockCode = void (*)(Hart&);

struct Block {
    uint64_t paddr = ~0ULL; // physical address of the first instruction; ~0: empty
    uint64_t gen = 0;       // the cache generation it was decoded in; older ones are gone
    uint32_t count = 0;
    Insn* insns = nullptr;    // `count` instructions in the cache's arena, then a sentinel
    BlockCode code = nullptr; // host code once the block is hot
    uint32_t runs = 0;        // interpreted runs, towards the compile threshold
    // Links to the blocks that followed this one (taken and fall-through, or two targets), valid
    // while the TLB and cache generations and the privilege are the ones recorded and the linked
    // slot still holds the block at next_pa (a slot is reused when another block evicts it).
    uint64_t next_pc[2] = {~0ULL, ~0ULL};
    uint64_t next_pa[2] = {~0ULL, ~0ULL};
    Block* next[2] = {nullptr, nullptr};
    uint64_t tlb_gen = 0;
    uint64_t cache_gen = 0;
    Priv link_priv = Priv::Supervisor; // fetch permissions differ between U and S
};

// A hart's cache of decoded blocks: a direct-mapped table of block headers whose instructions
// live in one arena, and the set of physical pages they came from (stores to those pages take
// the slow path, which drops the cache). A full arena empties the whole cache, which keeps
// allocation trivial and bounds memory.
class BlockCache {
public:
    static constexpr unsigned kSlots = 1u << 16;
    static constexpr size_t kArenaInsns = size_t{1} << 18;

    BlockCache()
        : slots_(kSlots)
        , arena_(kArenaInsns) {}

    Block* find(uint64_t paddr) {
        Block& b = slots_[index(paddr)];
        return b.paddr == paddr && b.gen == gen_ ? &b : nullptr;
    }
    // The slot for paddr, emptied, with room for kMaxBlockInsns instructions; commit() keeps
    // what the decoder used.
    Block& claim(uint64_t paddr) {
        if (used_ + kMaxBlockInsns + 1 > arena_.size()) flush();
        // Evicting a block needs no new generation: links check that their slot still holds the
        // block they were made to (bumping the generation here invalidated every link in the
        // cache at each conflict, which sent most block transitions through the hash lookup).
        Block& b = slots_[index(paddr)];
        b = Block{};
        b.gen = gen_;
        b.insns = &arena_[used_];
        return b;
    }
    void commit(const Block& b) { used_ += b.count + 1; } // and the sentinel
    // Forgets every block: a new generation (clearing the 5 MiB of slots took most of the
    // time of a FENCE.I, which Linux issues at every exec). Instructions stay in place until
    // the next decode, so a block that is executing (FENCE.I in its middle) finishes intact.
    void flush() {
        code_pages_.clear();
        used_ = 0;
        ++gen_;
    }
    uint64_t gen() const { return gen_; }
    const uint64_t* gen_address() const { return &gen_; } // read by compiled code
    // Records that page holds decoded code; returns true the first time.
    bool add_code_page(uint64_t page) { return code_pages_.insert(page).second; }
    bool is_code_page(uint64_t page) const { return code_pages_.count(page) != 0; }

private:
    static unsigned index(uint64_t paddr) { return ((paddr >> 1) ^ (paddr >> 17)) % kSlots; }

    ZeroedArray<Block> slots_; // all-zero: generation 0, never current (gen_ starts at 1)
    ZeroedArray<Insn> arena_;  // written by the decoder before it is read
    size_t used_ = 0;
    uint64_t gen_ = 1;
    std::unordered_set<uint64_t> code_pages_;
};

} // namespace virtd::accel
