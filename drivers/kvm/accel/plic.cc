#include "drivers/kvm/accel/plic.h"

#include <algorithm>
#include <utility>

namespace virtd::accel {
namespace {

// Register layout (PLIC spec / QEMU virt).
constexpr uint64_t kPendingBase = 0x1000;
constexpr uint64_t kEnableBase = 0x2000;
constexpr uint64_t kEnableStride = 0x80;
constexpr uint64_t kContextBase = 0x200000;
constexpr uint64_t kContextStride = 0x1000;

bool test(const uint32_t* bitmap, unsigned i) {
    return (bitmap[i / 32] >> (i % 32)) & 1;
}
void assign(uint32_t* bitmap, unsigned i, bool v) {
    if (v) {
        bitmap[i / 32] |= 1u << (i % 32);
    } else {
        bitmap[i / 32] &= ~(1u << (i % 32));
    }
}

} // namespace

Plic::Plic(unsigned harts, std::function<void(unsigned, bool)> notify)
    : notify_(std::move(notify))
    , contexts_(2 * static_cast<size_t>(harts)) {}

void Plic::set_hart_count(unsigned n) {
    std::lock_guard<std::mutex> lock(mutex_);
    active_contexts_ = std::min(contexts_.size(), 2 * static_cast<size_t>(n));
    update();
}

void Plic::set_line(unsigned irq, bool level) {
    if (irq == 0 || irq >= kSources) return;
    std::lock_guard<std::mutex> lock(mutex_);
    assign(line_, irq, level);
    if (level && !test(claimed_, irq)) assign(pending_, irq, true);
    if (!level) assign(pending_, irq, false);
    update();
}

uint32_t Plic::best(unsigned ctx) const {
    const Context& c = contexts_[ctx];
    uint32_t best_irq = 0, best_prio = c.threshold;
    for (unsigned w = 0; w < kWords; ++w) {
        uint32_t candidates = pending_[w] & c.enable[w] & ~claimed_[w];
        while (candidates != 0) {
            unsigned bit = __builtin_ctz(candidates);
            candidates &= candidates - 1;
            unsigned irq = w * 32 + bit;
            if (priority_[irq] > best_prio) { // ties go to the lowest id
                best_prio = priority_[irq];
                best_irq = irq;
            }
        }
    }
    return best_irq;
}

void Plic::update() {
    for (unsigned ctx = 1; ctx < active_contexts_; ctx += 2) {
        bool level = best(ctx) != 0;
        if (level != contexts_[ctx].level) {
            contexts_[ctx].level = level;
            notify_(ctx / 2, level);
        }
    }
}

uint32_t Plic::claim(unsigned ctx) {
    uint32_t irq = best(ctx);
    if (irq != 0) {
        assign(pending_, irq, false);
        assign(claimed_, irq, true);
    }
    update();
    return irq;
}

void Plic::complete(unsigned ctx, uint32_t irq) {
    if (irq == 0 || irq >= kSources || !test(contexts_[ctx].enable, irq)) return;
    assign(claimed_, irq, false);
    if (test(line_, irq)) assign(pending_, irq, true);
    update();
}

bool Plic::read(uint64_t off, unsigned size, uint64_t& value) {
    if (size != 4 || (off & 3)) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    value = 0;
    if (off < kPendingBase) {
        value = priority_[off / 4];
    } else if (off < kPendingBase + kWords * 4ULL) {
        value = pending_[(off - kPendingBase) / 4];
    } else if (off >= kEnableBase && off < kContextBase) {
        uint64_t ctx = (off - kEnableBase) / kEnableStride,
                 word = (off - kEnableBase) % kEnableStride / 4;
        if (ctx < contexts_.size() && word < kWords) value = contexts_[ctx].enable[word];
    } else if (off >= kContextBase) {
        uint64_t ctx = (off - kContextBase) / kContextStride,
                 reg = (off - kContextBase) % kContextStride;
        if (ctx < contexts_.size()) {
            if (reg == 0) value = contexts_[ctx].threshold;
            if (reg == 4) value = claim(static_cast<unsigned>(ctx));
        }
    }
    return true;
}

bool Plic::write(uint64_t off, unsigned size, uint64_t value) {
    if (size != 4 || (off & 3)) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    auto v = static_cast<uint32_t>(value);
    if (off < kPendingBase) {
        if (off != 0) priority_[off / 4] = v & 7;
    } else if (off >= kEnableBase && off < kContextBase) {
        uint64_t ctx = (off - kEnableBase) / kEnableStride,
                 word = (off - kEnableBase) % kEnableStride / 4;
        if (ctx < contexts_.size() && word < kWords) {
            contexts_[ctx].enable[word] = word == 0 ? (v & ~1u) : v; // source 0 does not exist
        }
    } else if (off >= kContextBase) {
        uint64_t ctx = (off - kContextBase) / kContextStride,
                 reg = (off - kContextBase) % kContextStride;
        if (ctx < contexts_.size()) {
            if (reg == 0) contexts_[ctx].threshold = v & 7;
            if (reg == 4) complete(static_cast<unsigned>(ctx), v);
        }
    }
    update();
    return true;
}

Plic::State Plic::save() {
    std::lock_guard<std::mutex> lock(mutex_);
    State s;
    std::copy(std::begin(priority_), std::end(priority_), s.priority);
    std::copy(std::begin(pending_), std::end(pending_), s.pending);
    std::copy(std::begin(claimed_), std::end(claimed_), s.claimed);
    std::copy(std::begin(line_), std::end(line_), s.line);
    for (const Context& c : contexts_) {
        s.enable.insert(s.enable.end(), std::begin(c.enable), std::end(c.enable));
        s.threshold.push_back(c.threshold);
    }
    return s;
}

void Plic::restore(const State& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::copy(std::begin(s.priority), std::end(s.priority), priority_);
    std::copy(std::begin(s.pending), std::end(s.pending), pending_);
    std::copy(std::begin(s.claimed), std::end(s.claimed), claimed_);
    std::copy(std::begin(s.line), std::end(s.line), line_);
    for (size_t i = 0; i < contexts_.size(); ++i) {
        Context& c = contexts_[i];
        if (s.enable.size() >= (i + 1) * kWords)
            std::copy_n(s.enable.begin() + static_cast<ptrdiff_t>(i * kWords), kWords, c.enable);
        c.threshold = i < s.threshold.size() ? s.threshold[i] & 7 : 0;
        // Tell every hart its level afresh: the harts' SEIP was restored cleared.
        c.level = false;
        if (i % 2 == 1 && i < active_contexts_) notify_(static_cast<unsigned>(i / 2), false);
    }
    priority_[0] = 0;
    for (uint32_t& p : priority_)
        p &= 7;
    update();
}

} // namespace virtd::accel
