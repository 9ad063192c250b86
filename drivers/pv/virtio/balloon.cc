#include "drivers/pv/virtio/balloon.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <sys/timerfd.h>

#include "common/log.h"

namespace virtd::pv::virtio {
namespace {

constexpr const char* kLogModule = "pv.virtio.balloon";
constexpr unsigned kPageShift = 12;
// Page numbers sorted and coalesced together: Linux sends up to 256 per chain, and a bound
// keeps a huge chain from making the host allocate in proportion to it.
constexpr size_t kPfnBatch = 256;
// Statistics read from one buffer at most: ten tags today, room for many more.
constexpr uint64_t kMaxStatsBytes = 4096;
constexpr uint64_t kStatEntryBytes = 10; // u16 tag, u64 value, packed

// Config space (§5.5.4): num_pages at 0, actual at 4.
constexpr uint64_t kConfigNumPages = 0;
constexpr uint64_t kConfigActual = 4;
constexpr uint64_t kConfigSize = 8;

// Stat tags (§5.5.6.3).
enum StatTag : uint16_t {
    kSwapIn = 0,
    kSwapOut = 1,
    kMajorFaults = 2,
    kMinorFaults = 3,
    kFreeMemory = 4,
    kTotalMemory = 5,
    kAvailableMemory = 6,
    kDiskCaches = 7,
    kHugetlbAllocations = 8,
    kHugetlbFailures = 9,
};

std::optional<uint64_t>* stat_field(BalloonStats& s, uint16_t tag) {
    switch (tag) {
    case kSwapIn:
        return &s.swap_in;
    case kSwapOut:
        return &s.swap_out;
    case kMajorFaults:
        return &s.major_faults;
    case kMinorFaults:
        return &s.minor_faults;
    case kFreeMemory:
        return &s.free_memory;
    case kTotalMemory:
        return &s.total_memory;
    case kAvailableMemory:
        return &s.available_memory;
    case kDiskCaches:
        return &s.disk_caches;
    case kHugetlbAllocations:
        return &s.hugetlb_allocations;
    case kHugetlbFailures:
        return &s.hugetlb_failures;
    default:
        return nullptr; // newer tags: ignored, as the spec requires
    }
}

Error driver_error(const char* what, uint64_t a = 0) {
    return make_error(ErrorCode::InternalError, ErrorDomain::Device, "virtio-balloon: {} (0x{:x})",
                      what, a);
}

} // namespace

VirtioBalloon::VirtioBalloon(GuestRam& ram, uint64_t ram_bytes, bool deflate_on_oom)
    : ram_(ram)
    , ram_pages_(ram_bytes / kPageSize)
    , deflate_on_oom_(deflate_on_oom)
    , inflate_(ram, kInflateQueue)
    , deflate_(ram, kDeflateQueue)
    , stats_queue_(ram, kStatsQueue)
    , stats_timer_(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK))
    , worker_("virtio-balloon") {}

VirtioBalloon::~VirtioBalloon() {
    worker_.stop();
}

uint64_t VirtioBalloon::features() const {
    uint64_t f = (1ULL << kBalloonFeatureStatsVq) | (1ULL << kFeatureIndirectDesc) |
                 (1ULL << kFeatureEventIdx);
    if (deflate_on_oom_) f |= 1ULL << kBalloonFeatureDeflateOnOom;
    return f;
}

Status VirtioBalloon::set_target(uint64_t bytes) {
    uint64_t pages = bytes / kPageSize;
    // num_pages is 32 bits: 16 TiB, far beyond any guest here, but checked all the same.
    if (pages > ram_pages_ || pages > UINT32_MAX) {
        return make_error(ErrorCode::InternalError, ErrorDomain::Device,
                          "balloon target of {} bytes is larger than guest RAM ({} bytes)", bytes,
                          ram_pages_ * kPageSize);
    }
    std::lock_guard lock(mu_);
    target_pages_ = static_cast<uint32_t>(pages);
    // Before the driver is up there is nobody to tell: it reads num_pages when it starts.
    if (signals_ != nullptr) signals_->config_changed();
    return {};
}

uint64_t VirtioBalloon::target() const {
    std::lock_guard lock(mu_);
    return uint64_t{target_pages_} * kPageSize;
}

uint64_t VirtioBalloon::actual() const {
    std::lock_guard lock(mu_);
    return uint64_t{actual_pages_} * kPageSize;
}

BalloonStats VirtioBalloon::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

BalloonCounters VirtioBalloon::counters() const {
    return {inflated_.load(std::memory_order_relaxed), deflated_.load(std::memory_order_relaxed),
            ignored_.load(std::memory_order_relaxed)};
}

void VirtioBalloon::request_stats() {
    stats_wanted_.store(true);
    worker_.kick();
}

Status VirtioBalloon::set_stats_period(unsigned seconds) {
    if (!stats_timer_) {
        return make_error(ErrorCode::InternalError, ErrorDomain::Device,
                          "virtio-balloon: no timer for periodic statistics");
    }
    itimerspec spec{};
    spec.it_value.tv_sec = seconds;
    spec.it_interval.tv_sec = seconds;
    if (timerfd_settime(stats_timer_.get(), 0, &spec, nullptr) != 0) {
        return make_error(ErrorCode::InternalError, ErrorDomain::Device,
                          "virtio-balloon: could not set the statistics timer");
    }
    return {};
}

uint64_t VirtioBalloon::read_config(uint64_t offset, unsigned size) {
    std::array<uint8_t, kConfigSize> bytes{};
    {
        std::lock_guard lock(mu_);
        std::memcpy(bytes.data() + kConfigNumPages, &target_pages_, 4);
        std::memcpy(bytes.data() + kConfigActual, &actual_pages_, 4);
    }
    uint64_t value = 0;
    for (unsigned i = 0; i < size && i < 8; ++i) {
        uint64_t at = offset + i;
        if (at < kConfigSize) value |= uint64_t{bytes[at]} << (8 * i);
    }
    return value;
}

void VirtioBalloon::write_config(uint64_t offset, unsigned size, uint64_t value) {
    // Only `actual` is the driver's; bytes written elsewhere are dropped.
    std::lock_guard lock(mu_);
    std::array<uint8_t, 4> actual{};
    std::memcpy(actual.data(), &actual_pages_, 4);
    for (unsigned i = 0; i < size && i < 8; ++i) {
        uint64_t at = offset + i;
        if (at >= kConfigActual && at < kConfigActual + 4)
            actual.at(at - kConfigActual) = static_cast<uint8_t>(value >> (8 * i));
    }
    std::memcpy(&actual_pages_, actual.data(), 4);
}

Status VirtioBalloon::activate(uint64_t features, std::span<const QueueConfig> queues,
                               VirtioSignals& signals) {
    reset();
    {
        std::lock_guard lock(mu_);
        signals_ = &signals;
    }
    bool stats = (features >> kBalloonFeatureStatsVq) & 1;
    for (const QueueConfig& q : queues) {
        VirtqConfig c{q.size, q.desc, q.driver, q.device, features};
        Virtqueue* queue = nullptr;
        if (q.index == kInflateQueue) queue = &inflate_;
        if (q.index == kDeflateQueue) queue = &deflate_;
        if (q.index == kStatsQueue && stats) queue = &stats_queue_;
        if (queue == nullptr) continue;
        if (Status s = queue->enable(c); !s) return s;
    }
    // Slot 0: the statistics timer.
    return worker_.start([this] { serve(); }, 1);
}

void VirtioBalloon::notify(unsigned /*queue*/) {
    worker_.kick();
}

void VirtioBalloon::reset() {
    worker_.stop();
    inflate_.disable();
    deflate_.disable();
    stats_queue_.disable();
    broken_ = false;
    held_stats_.reset();
    std::lock_guard lock(mu_);
    signals_ = nullptr;
    // A new driver starts with an empty balloon (§5.5.4: actual is initially 0).
    actual_pages_ = 0;
}

void VirtioBalloon::fail() {
    broken_ = true;
    signals_->needs_reset();
}

void VirtioBalloon::serve() {
    // Watched from here because watch() belongs to the worker thread; the timer keeps running
    // when no driver is active, and a tick missed meanwhile just asks once on the next start.
    if (stats_timer_) {
        worker_.watch(0, stats_timer_.get(), POLLIN);
        uint64_t ticks = 0;
        if (::read(stats_timer_.get(), &ticks, sizeof ticks) == sizeof ticks && ticks > 0)
            stats_wanted_.store(true);
    }
    if (broken_) return;
    if (!serve_pages(inflate_, true)) return;
    if (!serve_pages(deflate_, false)) return;
    serve_stats();
}

bool VirtioBalloon::serve_pages(Virtqueue& queue, bool inflate) {
    for (;;) {
        Result<std::optional<VirtqChain>> next = queue.pop();
        if (!next) {
            log::warning(kLogModule, "{}", next.error().message());
            fail();
            return false;
        }
        if (!next->has_value()) {
            if (queue.needs_interrupt()) signals_->used_buffers();
            if (queue.enable_notifications()) continue;
            return true;
        }
        const VirtqChain& chain = **next;
        if (Status s = take_pfns(chain, inflate); !s) {
            log::warning(kLogModule, "{}", s.error().message());
            fail();
            return false;
        }
        if (!queue.push(chain.head, 0)) {
            fail();
            return false;
        }
    }
}

Status VirtioBalloon::take_pfns(const VirtqChain& chain, bool inflate) {
    if (!chain.writable.empty())
        return driver_error("page list with a writable buffer", chain.head);
    for (const VirtqBuffer& b : chain.readable) {
        if (b.len % 4 != 0) return driver_error("page list length not a multiple of 4", b.len);
    }
    if (!inflate) {
        // The pages come back on their own when the guest touches them (discarded memory
        // reads as zeros), so deflating only counts.
        deflated_.fetch_add(chain.readable_len / 4, std::memory_order_relaxed);
        return {};
    }
    // Sorted batches turn Linux's page lists into few long runs; a run is carried across
    // batches and buffers, so it is discarded in one call however the driver split it.
    std::array<uint32_t, kPfnBatch> batch{};
    uint64_t run_first = 0, run_pages = 0;
    auto flush_batch = [&](size_t n) {
        std::sort(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
        for (size_t i = 0; i < n; ++i) {
            uint64_t pfn = batch.at(i);
            if (ram_.host(pfn << kPageShift, kPageSize) == nullptr) {
                ignored_.fetch_add(1, std::memory_order_relaxed);
                if (!warned_outside_) {
                    warned_outside_ = true;
                    log::warning(kLogModule,
                                 "driver inflated page 0x{:x}, outside guest RAM "
                                 "(ignored; reported once)",
                                 pfn);
                }
                continue;
            }
            inflated_.fetch_add(1, std::memory_order_relaxed);
            if (run_pages != 0 && pfn == run_first + run_pages) {
                ++run_pages;
            } else if (run_pages == 0 || pfn < run_first || pfn >= run_first + run_pages) {
                discard_run(run_first, run_pages);
                run_first = pfn;
                run_pages = 1;
            } // else: a page repeated inside the run, already covered
        }
    };
    size_t n = 0;
    for (const VirtqBuffer& b : chain.readable) {
        for (uint32_t off = 0; off < b.len; off += 4) {
            std::memcpy(&batch.at(n), b.host + off, 4);
            if (++n == kPfnBatch) {
                flush_batch(n);
                n = 0;
            }
        }
    }
    flush_batch(n);
    discard_run(run_first, run_pages);
    return {};
}

void VirtioBalloon::discard_run(uint64_t first_pfn, uint64_t pages) {
    if (pages == 0) return;
    // Not recorded in the dirty log: the guest gave these pages up and does not rely on their
    // contents, so a migration need not send them again.
    if (!ram_.discard(first_pfn << kPageShift, pages << kPageShift) && !warned_discard_) {
        warned_discard_ = true;
        log::warning(kLogModule,
                     "could not give {} pages at 0x{:x} back to the host (reported once)", pages,
                     first_pfn << kPageShift);
    }
}

bool VirtioBalloon::serve_stats() {
    for (;;) {
        Result<std::optional<VirtqChain>> next = stats_queue_.pop();
        if (!next) {
            log::warning(kLogModule, "{}", next.error().message());
            fail();
            return false;
        }
        if (!next->has_value()) break;
        const VirtqChain& chain = **next;
        if (!chain.writable.empty()) {
            log::warning(kLogModule, "statistics buffer is device-writable");
            fail();
            return false;
        }
        parse_stats(chain);
        // The driver keeps one buffer in the queue; a second one replaces the first, which
        // goes back so the driver does not lose track of it.
        if (held_stats_ && !stats_queue_.push(*held_stats_, 0)) {
            fail();
            return false;
        }
        held_stats_ = chain.head;
    }
    // A request while no buffer is held is already answered by the refill on its way.
    if (stats_wanted_.exchange(false) && held_stats_) {
        if (!stats_queue_.push(*held_stats_, 0)) {
            fail();
            return false;
        }
        held_stats_.reset();
    }
    if (stats_queue_.needs_interrupt()) signals_->used_buffers();
    // Buffers that arrived while notifications were off would wait for a kick that never comes.
    if (stats_queue_.enable_notifications()) worker_.kick();
    return true;
}

void VirtioBalloon::parse_stats(const VirtqChain& chain) {
    std::array<uint8_t, kMaxStatsBytes> bytes{};
    uint64_t len = 0;
    for (const VirtqBuffer& b : chain.readable) {
        uint64_t n = std::min<uint64_t>(b.len, kMaxStatsBytes - len);
        std::memcpy(bytes.data() + len, b.host, n);
        len += n;
        if (len == kMaxStatsBytes) break;
    }
    BalloonStats fresh;
    // A trailing partial entry carries nothing usable; it is dropped.
    for (uint64_t at = 0; at + kStatEntryBytes <= len; at += kStatEntryBytes) {
        uint16_t tag = 0;
        uint64_t value = 0;
        std::memcpy(&tag, bytes.data() + at, 2);
        std::memcpy(&value, bytes.data() + at + 2, 8);
        if (std::optional<uint64_t>* field = stat_field(fresh, tag)) *field = value;
    }
    fresh.updated = std::chrono::system_clock::now();
    std::lock_guard lock(mu_);
    stats_ = fresh;
}

} // namespace virtd::pv::virtio
