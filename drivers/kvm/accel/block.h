// Predecoded instruction blocks, keyed by guest physical address.
//
// A block is a straight run of instructions inside one guest page that ends at the first
// instruction that may change control flow or translation (branches, jumps, SYSTEM), at the page
// end, or at kMaxBlockInsns. Blocks hold no virtual addresses (pc-relative instructions use the
// hart's pc), so one block serves every mapping of its page. A block compiler can later replace
// the Insn array of a block without touching the run loop.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "drivers/kvm/accel/hart.h"

namespace virtd::accel {

constexpr unsigned kMaxBlockInsns = 32;

struct Block {
    uint64_t paddr = ~0ULL; // physical address of the first instruction; ~0: empty
    uint32_t count = 0;
    Insn insns[kMaxBlockInsns];
};

// A hart's direct-mapped cache of decoded blocks, and the set of physical pages they came from
// (stores to those pages take the slow path, which drops the cache).
class BlockCache {
public:
    static constexpr unsigned kSlots = 4096;

    BlockCache()
        : slots_(kSlots) {}

    Block* find(uint64_t paddr) {
        Block& b = slots_[index(paddr)];
        return b.paddr == paddr ? &b : nullptr;
    }
    // The slot for paddr, emptied for refilling.
    Block& claim(uint64_t paddr) {
        Block& b = slots_[index(paddr)];
        b.paddr = ~0ULL;
        b.count = 0;
        return b;
    }
    // Forgets every block. Only tags are reset, so a block that is executing stays intact until
    // it finishes.
    void flush() {
        for (auto& b : slots_)
            b.paddr = ~0ULL;
        code_pages_.clear();
    }
    // A store reached `page`: its blocks are dropped and it counts as data again, so the next
    // stores to it stay on the fast path. (Freed code pages are reused as data all the time:
    // dropping every block on each such store would re-decode everything.)
    void invalidate_page(uint64_t page) {
        if (code_pages_.erase(page) == 0) return;
        for (auto& b : slots_)
            if (b.paddr >> 12 == page) b.paddr = ~0ULL;
    }
    // Records that page holds decoded code; returns true the first time.
    bool add_code_page(uint64_t page) { return code_pages_.insert(page).second; }
    bool is_code_page(uint64_t page) const { return code_pages_.count(page) != 0; }

private:
    static unsigned index(uint64_t paddr) { return (paddr >> 1) % kSlots; }

    std::vector<Block> slots_;
    std::unordered_set<uint64_t> code_pages_;
};

} // namespace virtd::accel
