// The MMU slow paths: Sv39/Sv48 page walks with atomic A/D updates, TLB refill, dirty logging,
// code-page protection, MMIO exits and misaligned-access splitting.
#include "drivers/kvm/accel/mmu.h"

#include "drivers/kvm/accel/block.h"
#include "drivers/kvm/accel/vm.h"

namespace virtd::accel {
namespace {

enum Pte : uint64_t {
    kV = 1 << 0,
    kR = 1 << 1,
    kW = 1 << 2,
    kX = 1 << 3,
    kU = 1 << 4,
    kA = 1 << 6,
    kD = 1 << 7,
};
constexpr uint64_t kPpnMask = (1ULL << 44) - 1;
constexpr unsigned kReservedShift = 54; // bits 63:54: reserved (no Svpbmt/Svnapot)

uint64_t page_fault(AccessType t) {
    switch (t) {
    case AccessType::Load:
        return kCauseLoadPage;
    case AccessType::Store:
        return kCauseStorePage;
    default:
        return kCauseFetchPage;
    }
}

uint64_t access_fault(AccessType t) {
    switch (t) {
    case AccessType::Load:
        return kCauseLoadAccess;
    case AccessType::Store:
        return kCauseStoreAccess;
    default:
        return kCauseFetchAccess;
    }
}

bool leaf_allows(const Hart& h, uint64_t pte, AccessType t) {
    bool user_page = (pte & kU) != 0;
    if (h.priv == Priv::User && !user_page) return false;
    if (h.priv == Priv::Supervisor && user_page) {
        // S-mode never executes user pages, and touches their data only with SUM.
        if (t == AccessType::Fetch || (h.sstatus & sstatus::kSum) == 0) return false;
    }
    switch (t) {
    case AccessType::Fetch:
        return (pte & kX) != 0;
    case AccessType::Store:
        return (pte & kW) != 0;
    default:
        return (pte & kR) != 0 || ((h.sstatus & sstatus::kMxr) && (pte & kX));
    }
}

// Resolves va to a host pointer for a RAM access that stays inside one page, or returns
// nullptr with `pa` set (MMIO). Returns false after raising a translation fault.
// The leaf size of the last successful translation on this thread, for the entry it fills.
thread_local uint64_t last_span = kPageSize;

bool resolve(Hart& h, uint64_t va, AccessType t, uint64_t& pa, const MemorySlot*& slot) {
    uint64_t cause = 0;
    if (!translate(h, va, t, pa, cause, last_span)) return trap(h, cause, va);
    slot = h.vm.memory().find(pa);
    return true;
}

void fill(Hart& h, AccessType t, uint64_t va, uint64_t pa, const MemorySlot& s) {
    TlbEntry& e = h.tlb_cur->entry(t, va);
    e.tag = va & kPageMask;
    e.paddr = pa & kPageMask;
    e.addend = reinterpret_cast<uintptr_t>(s.host + (pa - s.gpa)) - va;
    e.span = last_span;
    if (last_span > kPageSize) h.tlb.has_superpages = true;
}

// Before a store reaches RAM through the slow path: log the page, and drop decoded code that
// came from it (decoding a block later drops the write entries of its page again).
void prepare_store(Hart& h, uint64_t pa, const MemorySlot& s) {
    h.vm.memory().mark_dirty(s, pa);
    if (h.blocks->is_code_page(pa >> kPageShift)) h.blocks->flush();
}

void mmio_exit(Hart& h, uint64_t pa, unsigned size, bool is_write, uint64_t data) {
    h.exit = Exit{};
    h.exit.kind = Exit::Kind::Mmio;
    h.exit.mmio = Exit::Mmio{pa, size, is_write, data};
    h.exit_pending = true;
}

uint64_t read_host(const uint8_t* p, unsigned size) {
    switch (size) {
    case 1:
        return __atomic_load_n(p, __ATOMIC_RELAXED);
    case 2:
        return __atomic_load_n(reinterpret_cast<const uint16_t*>(p), __ATOMIC_RELAXED);
    case 4:
        return __atomic_load_n(reinterpret_cast<const uint32_t*>(p), __ATOMIC_RELAXED);
    default:
        return __atomic_load_n(reinterpret_cast<const uint64_t*>(p), __ATOMIC_RELAXED);
    }
}

void write_host(uint8_t* p, unsigned size, uint64_t v) {
    switch (size) {
    case 1:
        __atomic_store_n(p, static_cast<uint8_t>(v), __ATOMIC_RELAXED);
        break;
    case 2:
        __atomic_store_n(reinterpret_cast<uint16_t*>(p), static_cast<uint16_t>(v),
                         __ATOMIC_RELAXED);
        break;
    case 4:
        __atomic_store_n(reinterpret_cast<uint32_t*>(p), static_cast<uint32_t>(v),
                         __ATOMIC_RELAXED);
        break;
    default:
        __atomic_store_n(reinterpret_cast<uint64_t*>(p), v, __ATOMIC_RELAXED);
        break;
    }
}

// A misaligned access, done in the hypervisor byte by byte (the guest never sees a misaligned
// trap, as under KVM with OpenSBI). Both ends are translated first, so a fault on the second
// page leaves memory untouched.
bool misaligned(Hart& h, uint64_t va, unsigned size, AccessType t, uint64_t& value) {
    uint64_t pa_lo = 0, pa_hi = 0;
    const MemorySlot* lo = nullptr;
    const MemorySlot* hi = nullptr;
    if (!resolve(h, va, t, pa_lo, lo) || !resolve(h, va + size - 1, t, pa_hi, hi)) return false;
    bool is_store = t == AccessType::Store;
    if (lo == nullptr || hi == nullptr || (is_store && ((lo->flags | hi->flags) & kMemReadonly))) {
        // Device registers are naturally aligned; hand the VMM the access as the guest made it.
        if (lo == nullptr && hi == nullptr && (pa_lo & kPageMask) == (pa_hi & kPageMask)) {
            mmio_exit(h, pa_lo, size, is_store, value);
            return false;
        }
        return trap(h, access_fault(t), va);
    }
    uint64_t v = 0;
    for (unsigned b = 0; b < size; ++b) {
        uint64_t bva = va + b;
        uint64_t pa = (bva & kPageMask) == (va & kPageMask) ? pa_lo + b : pa_hi - (size - 1 - b);
        const MemorySlot* s = (bva & kPageMask) == (va & kPageMask) ? lo : hi;
        uint8_t* p = s->host + (pa - s->gpa);
        if (is_store) {
            prepare_store(h, pa, *s);
            __atomic_store_n(p, static_cast<uint8_t>(value >> (8 * b)), __ATOMIC_RELAXED);
        } else {
            v |= static_cast<uint64_t>(__atomic_load_n(p, __ATOMIC_RELAXED)) << (8 * b);
        }
    }
    if (!is_store) value = v;
    return true;
}

} // namespace

bool translate(Hart& h, uint64_t va, AccessType t, uint64_t& pa, uint64_t& cause,
               uint64_t& leaf_span) {
    uint64_t mode = h.satp >> 60;
    leaf_span = kPageSize;
    if (mode == 0) {
        pa = va;
        return true;
    }
    int levels = mode == 9 ? 4 : 3;
    unsigned va_bits = 12 + 9 * levels;
    cause = page_fault(t);
    // Bits above the virtual address width must copy its top bit.
    if (static_cast<uint64_t>(static_cast<int64_t>(va << (64 - va_bits)) >> (64 - va_bits)) != va) {
        return false;
    }
    uint64_t table = (h.satp & kPpnMask) << kPageShift;
    for (int level = levels - 1; level >= 0; --level) {
        uint64_t shift = kPageShift + 9ULL * static_cast<uint64_t>(level);
        uint64_t pte_pa = table + ((va >> shift) & 511) * 8ULL;
        auto* p = reinterpret_cast<uint64_t*>(h.vm.memory().host(pte_pa, 8));
        if (p == nullptr) {
            cause = access_fault(t);
            return false;
        }
        uint64_t pte = __atomic_load_n(p, __ATOMIC_ACQUIRE);
        for (;;) {
            if (!(pte & kV) || (!(pte & kR) && (pte & kW)) || (pte >> kReservedShift) != 0) {
                return false;
            }
            if (!(pte & (kR | kX))) break; // pointer to the next level
            if (!leaf_allows(h, pte, t)) return false;
            uint64_t ppn = (pte >> 10) & kPpnMask;
            uint64_t span = 1ULL << (9 * level); // pages covered by this leaf
            if (ppn & (span - 1)) return false;  // misaligned superpage
            uint64_t want = t == AccessType::Store ? (kA | kD) : uint64_t{kA};
            if ((pte & want) != want) {
                // Hardware A/D update, atomic against other harts and the guest's own writes:
                // if the PTE changed under us, check it again.
                if (!__atomic_compare_exchange_n(p, &pte, pte | want, false, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_ACQUIRE)) {
                    continue;
                }
                h.vm.memory().mark_dirty(pte_pa);
            }
            uint64_t offset_mask = (span << kPageShift) - 1;
            leaf_span = span << kPageShift;
            pa = ((ppn << kPageShift) & ~offset_mask) | (va & offset_mask);
            return true;
        }
        table = ((pte >> 10) & kPpnMask) << kPageShift;
    }
    return false;
}

bool load_slow(Hart& h, uint64_t va, unsigned size, uint64_t& value) {
    if (va & (size - 1)) return misaligned(h, va, size, AccessType::Load, value);
    uint64_t pa = 0;
    const MemorySlot* s = nullptr;
    if (!resolve(h, va, AccessType::Load, pa, s)) return false;
    if (s != nullptr) {
        fill(h, AccessType::Load, va, pa, *s);
        value = read_host(s->host + (pa - s->gpa), size);
        return true;
    }
    if (h.vm.device_read(pa, size, value)) return true;
    mmio_exit(h, pa, size, false, 0);
    return false;
}

bool store_slow(Hart& h, uint64_t va, unsigned size, uint64_t value) {
    if (va & (size - 1)) return misaligned(h, va, size, AccessType::Store, value);
    uint64_t pa = 0;
    const MemorySlot* s = nullptr;
    if (!resolve(h, va, AccessType::Store, pa, s)) return false;
    if (s != nullptr && !(s->flags & kMemReadonly)) {
        prepare_store(h, pa, *s);
        fill(h, AccessType::Store, va, pa, *s);
        write_host(s->host + (pa - s->gpa), size, value);
        return true;
    }
    if (h.vm.device_write(pa, size, value)) return true;
    mmio_exit(h, pa, size, true, value); // includes writes to read-only slots, as KVM does
    return false;
}

void* atomic_host(Hart& h, uint64_t va, unsigned size, AccessType t) {
    if (va & (size - 1)) {
        trap(h, t == AccessType::Load ? kCauseLoadMisaligned : kCauseStoreMisaligned, va);
        return nullptr;
    }
    const TlbEntry& e = h.tlb_cur->entry(t, va);
    // The host addend turns a guest address into a host one: the soft TLB's whole point.
    if (e.tag == (va & kPageMask))
        return reinterpret_cast<void*>(va + e.addend); // NOLINT(performance-no-int-to-ptr)
    uint64_t pa = 0;
    const MemorySlot* s = nullptr;
    if (!resolve(h, va, t, pa, s)) return nullptr;
    if (s == nullptr || (t == AccessType::Store && (s->flags & kMemReadonly))) {
        trap(h, access_fault(t), va); // no atomics on devices
        return nullptr;
    }
    if (t == AccessType::Store) prepare_store(h, pa, *s);
    fill(h, t, va, pa, *s);
    return s->host + (pa - s->gpa);
}

const uint8_t* fetch_host(Hart& h, uint64_t pc, uint64_t& pa) {
    const TlbEntry& e = h.tlb_cur->entry(AccessType::Fetch, pc);
    if (e.tag == (pc & kPageMask)) [[likely]] {
        pa = e.paddr | (pc & ~kPageMask);
        return reinterpret_cast<const uint8_t*>(pc + e.addend); // NOLINT(performance-no-int-to-ptr)
    }
    const MemorySlot* s = nullptr;
    if (!resolve(h, pc, AccessType::Fetch, pa, s)) return nullptr;
    if (s == nullptr) {
        trap(h, kCauseFetchAccess, pc);
        return nullptr;
    }
    fill(h, AccessType::Fetch, pc, pa, *s);
    return s->host + (pa - s->gpa);
}

} // namespace virtd::accel
