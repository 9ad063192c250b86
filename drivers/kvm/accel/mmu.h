// Guest virtual memory access for the interpreter: the inline TLB fast paths and the slow paths
// (page walk, MMIO, dirty logging, misaligned splitting) behind them.
#pragma once

#include <cstdint>

#include "drivers/kvm/accel/hart.h"

namespace virtd::accel {

// Sv39/Sv48 translation at the hart's current privilege, with A/D updates. On failure returns
// false and sets `cause` (page fault or access fault of the access type). `span` receives the
// size of the leaf mapping (4 KiB, 2 MiB, 1 GiB, 512 GiB; 4 KiB when translation is off).
bool translate(Hart& h, uint64_t va, AccessType type, uint64_t& pa, uint64_t& cause,
               uint64_t& span);

// Slow paths. They return false after raising a trap or preparing an MMIO exit
// (h.exit_pending); the caller then ends its block.
bool load_slow(Hart& h, uint64_t va, unsigned size, uint64_t& value);
bool store_slow(Hart& h, uint64_t va, unsigned size, uint64_t value);

// The host address of an aligned atomic access (LR with Load, SC/AMO with Store), or nullptr after
// raising the fault (misaligned, page fault, or access fault for MMIO).
void* atomic_host(Hart& h, uint64_t va, unsigned size, AccessType type);

// The host address and guest physical address of the instruction at pc, through the fetch TLB.
// Returns nullptr after raising a fetch fault.
const uint8_t* fetch_host(Hart& h, uint64_t pc, uint64_t& pa);

template <typename T>
inline bool load(Hart& h, uint64_t va, T& out) {
    const TlbEntry& e = h.tlb_cur->entry(AccessType::Load, va);
    if (e.tag == (va & (kPageMask | (sizeof(T) - 1)))) [[likely]] {
        out = __atomic_load_n(reinterpret_cast<T*>(va + e.addend), __ATOMIC_RELAXED);
        return true;
    }
    uint64_t v = 0;
    if (!load_slow(h, va, sizeof(T), v)) return false;
    out = static_cast<T>(v);
    return true;
}

template <typename T>
inline bool store(Hart& h, uint64_t va, T value) {
    const TlbEntry& e = h.tlb_cur->entry(AccessType::Store, va);
    if (e.tag == (va & (kPageMask | (sizeof(T) - 1)))) [[likely]] {
        __atomic_store_n(reinterpret_cast<T*>(va + e.addend), value, __ATOMIC_RELAXED);
        return true;
    }
    return store_slow(h, va, sizeof(T), value);
}

} // namespace virtd::accel
