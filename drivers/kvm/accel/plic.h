// Plic: the platform-level interrupt controller of the QEMU virt machine, inside the accelerator
// so that a device's interrupt reaches a hart without a VMM round trip.
//
// 1024 sources (source 0 does not exist), two contexts per hart as on QEMU virt: context 2n is
// hart n's M-mode (present for the register layout, wired to nothing) and 2n+1 its S-mode,
// which drives sip.SEIP. Sources are level-triggered: a source whose line is still high when
// its claim completes becomes pending again.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace virtd::accel {

class Plic {
public:
    static constexpr uint64_t kBase = 0x0c000000;
    static constexpr uint64_t kSize = 0x4000000;
    static constexpr unsigned kSources = 1024;

    // `notify(hart, level)` raises or lowers hart's SEIP.
    Plic(unsigned harts, std::function<void(unsigned, bool)> notify);

    // The registers a save or migration carries. `level` (what each hart was last told) is not
    // state: restore() recomputes it and tells the harts.
    struct State {
        uint32_t priority[kSources] = {};
        uint32_t pending[kSources / 32] = {};
        uint32_t claimed[kSources / 32] = {};
        uint32_t line[kSources / 32] = {};
        std::vector<uint32_t> enable; // contexts × 32 words
        std::vector<uint32_t> threshold;
    };
    State save();
    // `s` must have as many contexts as this PLIC (2 per hart of kMaxVcpus).
    void restore(const State& s);
    size_t context_count() const { return contexts_.size(); }

    // Contexts of harts [0, n) are evaluated; the rest stay idle (vCPUs not created yet).
    void set_hart_count(unsigned n);
    void set_line(unsigned irq, bool level);
    // MMIO at offset from kBase (32-bit registers). Return false for unaligned or odd sizes.
    bool read(uint64_t offset, unsigned size, uint64_t& value);
    bool write(uint64_t offset, unsigned size, uint64_t value);

private:
    static constexpr unsigned kWords = kSources / 32;
    struct Context {
        uint32_t enable[kWords] = {};
        uint32_t threshold = 0;
        bool level = false; // the last level sent to the hart
    };

    uint32_t claim(unsigned ctx);
    void complete(unsigned ctx, uint32_t irq);
    // The best source context ctx could claim, or 0.
    uint32_t best(unsigned ctx) const;
    void update();

    std::mutex mutex_;
    std::function<void(unsigned, bool)> notify_;
    uint32_t priority_[kSources] = {};
    uint32_t pending_[kWords] = {};
    uint32_t claimed_[kWords] = {};
    uint32_t line_[kWords] = {};
    std::vector<Context> contexts_;
    size_t active_contexts_ = 0;
};

} // namespace virtd::accel
