// The soft TLB: direct-mapped, one array per access type, holding a host addend.
//
// A hit is one compare and one host access: the tag is the page-aligned guest virtual address,
// and the lookup compares it against the address with its low alignment bits kept, so a
// misaligned access never hits and falls to the slow path (which splits it). MMIO and read-only
// pages are never entered for stores, and write entries are only created by the slow path, which
// is where dirty logging happens.
#pragma once

#include <cstdint>
#include <cstring>

namespace virtd::accel {

constexpr uint64_t kPageShift = 12;
constexpr uint64_t kPageSize = 1ULL << kPageShift;
constexpr uint64_t kPageMask = ~(kPageSize - 1);
// 4 MiB of reach per access type: 256 entries (1 MiB) thrashed on gzip's window and hash tables
// (gzip bench 2.3 s -> 1.35 s); a full flush now clears 288 KiB, which costs boot about 3%.
constexpr unsigned kTlbEntries = 1024;

struct TlbEntry {
    uint64_t tag = ~0ULL;      // page-aligned guest virtual address, or ~0 when empty
    uintptr_t addend = 0;      // host address = guest virtual address + addend
    uint64_t paddr = 0;        // guest physical page, for invalidation by physical page
    uint64_t span = kPageSize; // bytes mapped by the page-table leaf (superpages are larger)
};

enum class AccessType : uint8_t { Load = 0, Store = 1, Fetch = 2 };

// One translation context (privilege and SUM setting) of a hart.
struct TlbSet {
    TlbEntry e[3][kTlbEntries];

    static unsigned index(uint64_t va) { return (va >> kPageShift) % kTlbEntries; }

    TlbEntry& entry(AccessType t, uint64_t va) { return e[static_cast<unsigned>(t)][index(va)]; }

    void flush() {
        for (auto& a : e) {
            for (auto& x : a)
                x = TlbEntry{};
        }
    }
};

// The TLB contexts of a hart: U-mode, S-mode with SUM=0, S-mode with SUM=1. Keeping them apart
// means toggling SUM (Linux does it around every user copy) or trapping needs no flush.
struct Tlb {
    TlbSet set[3];
    bool has_superpages = false; // some entry came from a superpage leaf
    // Bumped whenever a fetch translation may change (flushes, context switches): links between
    // decoded blocks, which skip the fetch lookup, are only followed within one generation.
    uint64_t gen = 0;

    void flush() {
        for (auto& s : set) {
            s.flush();
        }
        has_superpages = false;
        ++gen;
    }

    // Drops every write entry (dirty-log harvesting, code-page protection).
    void flush_stores() {
        for (auto& s : set) {
            for (auto& x : s.e[static_cast<unsigned>(AccessType::Store)]) {
                x = TlbEntry{};
            }
        }
    }

    // Drops entries translating va (SFENCE.VMA with an address). An entry from a superpage leaf
    // goes too when va falls anywhere in that superpage, which needs a scan of every entry.
    void flush_page(uint64_t va) {
        ++gen;
        for (auto& s : set) {
            for (auto& a : s.e) {
                if (!has_superpages) {
                    TlbEntry& x = a[TlbSet::index(va)];
                    if (x.tag == (va & kPageMask)) x = TlbEntry{};
                    continue;
                }
                for (auto& x : a) {
                    if (x.tag != ~0ULL && (x.tag & ~(x.span - 1)) == (va & ~(x.span - 1))) {
                        x = TlbEntry{};
                    }
                }
            }
        }
    }

    // Drops write entries onto guest physical page pa.
    void flush_store_paddr(uint64_t pa) {
        for (auto& s : set) {
            for (auto& x : s.e[static_cast<unsigned>(AccessType::Store)]) {
                if (x.tag != ~0ULL && x.paddr == (pa & kPageMask)) x = TlbEntry{};
            }
        }
    }
};

} // namespace virtd::accel
