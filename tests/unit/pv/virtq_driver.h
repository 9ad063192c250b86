// TestRam and VirtqDriver: the driver side of split virtqueues for unit tests, so devices and
// the virtqueue are tested against rings laid out in memory exactly as Linux lays them out.
#pragma once

#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "drivers/pv/virtio/virtqueue.h"

namespace virtd::pv::virtio::testing {

// Guest RAM backed by a vector, at guest-physical `base`; records what devices dirty and what
// they give back (discard zeroes the range, as the host's MADV_REMOVE would).
class TestRam : public GuestRam {
public:
    explicit TestRam(uint64_t size, uint64_t base = 0x80000000)
        : mem(size)
        , base(base) {}
    uint8_t* host(uint64_t gpa, uint64_t len) override {
        if (gpa < base || len > mem.size() || gpa - base > mem.size() - len) return nullptr;
        return mem.data() + (gpa - base);
    }
    void mark_dirty(uint64_t gpa, uint64_t len) override {
        for (uint64_t p = gpa >> 12; p <= (gpa + len - 1) >> 12; ++p)
            dirty_pages.insert(p);
    }
    bool discard(uint64_t gpa, uint64_t len) override {
        uint8_t* p = host(gpa, len);
        if (p == nullptr) return false;
        std::memset(p, 0, len);
        discards.emplace_back(gpa, len);
        return true;
    }
    template <typename T>
    T get(uint64_t gpa) {
        T v;
        std::memcpy(&v, host(gpa, sizeof v), sizeof v);
        return v;
    }
    template <typename T>
    void put(uint64_t gpa, T v) {
        std::memcpy(host(gpa, sizeof v), &v, sizeof v);
    }

    std::vector<uint8_t> mem;
    const uint64_t base;
    std::set<uint64_t> dirty_pages;
    std::vector<std::pair<uint64_t, uint64_t>> discards; // {gpa, len}, in call order
};

// One queue's rings at fixed places in TestRam, filled the way a driver fills them.
class VirtqDriver {
public:
    static constexpr uint16_t kNext = 1, kWrite = 2, kIndirect = 4;
    struct Buf {
        uint64_t gpa;
        uint32_t len;
        bool writable;
    };

    VirtqDriver(TestRam& ram, uint16_t size, uint64_t at, uint64_t features = 0)
        : ram(ram)
        , size(size) {
        config.size = size;
        config.desc = at;
        config.avail = at + 16ull * size;
        config.used = (config.avail + 6 + 2ull * size + 3) & ~3ull;
        config.features = features;
    }

    void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
        uint64_t d = config.desc + 16ull * i;
        ram.put<uint64_t>(d, addr);
        ram.put<uint32_t>(d + 8, len);
        ram.put<uint16_t>(d + 12, flags);
        ram.put<uint16_t>(d + 14, next);
    }
    // Makes descriptor `head` available.
    void publish(uint16_t head) {
        uint16_t idx = ram.get<uint16_t>(config.avail + 2);
        ram.put<uint16_t>(config.avail + 4 + 2ull * (idx % size), head);
        ram.put<uint16_t>(config.avail + 2, static_cast<uint16_t>(idx + 1));
    }
    // Builds a chain from free descriptors (allocated in order) and publishes it.
    uint16_t add(const std::vector<Buf>& bufs) {
        uint16_t head = next_free_;
        for (size_t k = 0; k < bufs.size(); ++k) {
            uint16_t i = next_free_++ % size;
            bool more = k + 1 < bufs.size();
            set_desc(i, bufs[k].gpa, bufs[k].len,
                     static_cast<uint16_t>((more ? kNext : 0) | (bufs[k].writable ? kWrite : 0)),
                     static_cast<uint16_t>(next_free_ % size));
        }
        publish(head % size);
        return head % size;
    }
    uint16_t used_idx() { return ram.get<uint16_t>(config.used + 2); }
    std::pair<uint32_t, uint32_t> used(uint16_t n) {
        uint64_t e = config.used + 4 + 8ull * (n % size);
        return {ram.get<uint32_t>(e), ram.get<uint32_t>(e + 4)};
    }
    void set_used_event(uint16_t v) { ram.put<uint16_t>(config.avail + 4 + 2ull * size, v); }
    uint16_t avail_event() { return ram.get<uint16_t>(config.used + 4 + 8ull * size); }
    void set_avail_flags(uint16_t f) { ram.put<uint16_t>(config.avail, f); }
    uint16_t used_flags() { return ram.get<uint16_t>(config.used); }

    TestRam& ram;
    const uint16_t size;
    VirtqConfig config;

private:
    uint16_t next_free_ = 0;
};

} // namespace virtd::pv::virtio::testing
