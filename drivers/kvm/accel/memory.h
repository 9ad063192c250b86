// Guest physical memory: the slots of a VM (KVM memslots) and their dirty bitmaps, plus a helper
// that creates memfd-backed regions for the VMM.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace virtd::accel {

// Slot flags (KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY).
enum MemoryFlags : uint32_t {
    kMemLogDirty = 1u << 0,
    kMemReadonly = 1u << 1,
};

// One guest-physical range backed by host memory the VMM owns.
struct MemorySlot {
    uint64_t gpa = 0;
    uint64_t size = 0; // 0: slot unused
    uint8_t* host = nullptr;
    uint32_t flags = 0;
    // One bit per 4 KiB page, set by the store slow path while kMemLogDirty is on.
    std::unique_ptr<std::atomic<uint64_t>[]> dirty;

    bool contains(uint64_t pa) const { return pa - gpa < size; }
};

// The slot table. Slots change only while no vCPU runs (the VMM pauses them), so lookups from
// vCPU threads take no lock.
class GuestMemory {
public:
    static constexpr unsigned kMaxSlots = 32;

    Status set_region(uint32_t slot, uint64_t gpa, uint64_t size, void* host, uint32_t flags);
    // The slot holding pa, or nullptr (MMIO).
    const MemorySlot* find(uint64_t pa) const {
        for (const auto& s : slots_) {
            if (s.size != 0 && s.contains(pa)) return &s;
        }
        return nullptr;
    }
    // The host address of [pa, pa+len) if it lies in one slot.
    uint8_t* host(uint64_t pa, uint64_t len) const {
        const MemorySlot* s = find(pa);
        if (s == nullptr || pa - s->gpa + len > s->size) return nullptr;
        return s->host + (pa - s->gpa);
    }
    void mark_dirty(const MemorySlot& s, uint64_t pa) const {
        if (!s.dirty) return;
        uint64_t page = (pa - s.gpa) >> 12;
        s.dirty[page / 64].fetch_or(1ULL << (page % 64), std::memory_order_relaxed);
    }
    // Marks pa dirty if it is RAM in a slot that logs (page-table A/D updates, device writes).
    void mark_dirty(uint64_t pa) const {
        if (const MemorySlot* s = find(pa)) mark_dirty(*s, pa);
    }
    // Returns the slot's dirty bitmap and clears it.
    Result<std::vector<uint64_t>> take_dirty(uint32_t slot);

private:
    MemorySlot slots_[kMaxSlots];
};

// Anonymous shared memory (memfd) mapped into the host, for guest RAM: it can be shared with
// device processes, marked mergeable for KSM, and backed by huge pages as the host provides.
class MemfdRegion {
public:
    static Result<MemfdRegion> create(const std::string& name, uint64_t size);
    MemfdRegion(MemfdRegion&& other) noexcept;
    MemfdRegion& operator=(MemfdRegion&& other) noexcept;
    MemfdRegion(const MemfdRegion&) = delete;
    MemfdRegion& operator=(const MemfdRegion&) = delete;
    ~MemfdRegion();

    uint8_t* data() const { return data_; }
    uint64_t size() const { return size_; }
    int fd() const { return fd_; }

private:
    MemfdRegion(int fd, uint8_t* data, uint64_t size)
        : fd_(fd)
        , data_(data)
        , size_(size) {}
    void release();

    int fd_ = -1;
    uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
};

} // namespace virtd::accel
