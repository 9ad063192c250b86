// Fuzz target for the split virtqueue parser: the guest controls the rings, the descriptors and
// the indirect tables, so any bytes must give chains inside RAM or an error, never a crash.
//
// Input: a 16-byte header (queue size u16, features u16: bit 0 INDIRECT_DESC, bit 1
// EVENT_IDX; then the desc, avail and used offsets in RAM as u32) followed by the first bytes
// of a 64 KiB guest RAM.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "drivers/pv/virtio/device.h"
#include "drivers/pv/virtio/virtqueue.h"

namespace {

using namespace virtd::pv;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kRamSize = 64 << 10;

class FuzzRam : public GuestRam {
public:
    std::vector<uint8_t> mem = std::vector<uint8_t>(kRamSize);
    uint8_t* host(uint64_t gpa, uint64_t len) override {
        if (gpa < kBase || len > mem.size() || gpa - kBase > mem.size() - len) return nullptr;
        return mem.data() + (gpa - kBase);
    }
    void mark_dirty(uint64_t gpa, uint64_t len) override {
        if (host(gpa, len) == nullptr) __builtin_trap(); // a device write outside RAM
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 16) return 0;
    uint16_t qsize, feat;
    uint32_t desc, avail, used;
    std::memcpy(&qsize, data, 2);
    std::memcpy(&feat, data + 2, 2);
    std::memcpy(&desc, data + 4, 4);
    std::memcpy(&avail, data + 8, 4);
    std::memcpy(&used, data + 12, 4);
    FuzzRam ram;
    std::memcpy(ram.mem.data(), data + 16, std::min<size_t>(size - 16, kRamSize));

    virtio::VirtqConfig config{qsize, kBase + desc, kBase + avail, kBase + used, 0};
    if (feat & 1) config.features |= 1ULL << virtio::kFeatureIndirectDesc;
    if (feat & 2) config.features |= 1ULL << virtio::kFeatureEventIdx;
    virtio::Virtqueue q(ram, 0);
    if (!q.enable(config)) return 0;
    for (int i = 0; i < 256; ++i) {
        auto chain = q.pop();
        if (!chain || !chain->has_value()) break;
        // Touch every byte the device was given, as a device would.
        uint8_t sum = 0;
        for (const virtio::VirtqBuffer& b : (*chain)->readable)
            for (uint32_t k = 0; k < b.len; ++k)
                sum = static_cast<uint8_t>(sum + b.host[k]);
        for (const virtio::VirtqBuffer& b : (*chain)->writable)
            std::memset(b.host, sum, b.len);
        q.mark_written(**chain, (*chain)->writable_len);
        if (!q.push((*chain)->head, static_cast<uint32_t>((*chain)->writable_len)))
            __builtin_trap();
        q.needs_interrupt();
        if (i % 3 == 0) q.disable_notifications();
        if (i % 5 == 0) q.enable_notifications();
    }
    return 0;
}
