// virtio-balloon driven through its queues and config space as Linux's virtio_balloon drives
// it: target and actual, inflate and deflate page lists, the statistics buffer, malformed
// chains, and a real memfd-backed RAM whose resident size drops when the balloon inflates.
#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drivers/pv/virtio/balloon.h"
#include "tests/unit/pv/virtio_signals.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::RecordingSignals;
using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kRamBytes = 2 << 20; // 512 pages: room for a run past one 256-page batch
constexpr uint64_t kFeatures = (1ULL << kBalloonFeatureStatsVq) | (1ULL << kFeatureEventIdx);

// Polls `done` for up to 5 s: for effects the device reports through no signal (stats).
bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

// A statistics entry as the driver lays it out: u16 tag, u64 value, packed.
void put_stat(TestRam& ram, uint64_t gpa, uint16_t tag, uint64_t value) {
    ram.put<uint16_t>(gpa, tag);
    ram.put<uint64_t>(gpa + 2, value);
}

class VirtioBalloonTest : public ::testing::Test {
protected:
    static constexpr uint64_t kPfns = kBase + 0x10000;  // page lists
    static constexpr uint64_t kStats = kBase + 0x11000; // the statistics buffer
    static constexpr uint64_t kPages = 0x80020;         // first page the tests balloon

    VirtioBalloonTest()
        : ram(kRamBytes)
        , balloon(ram, kRamBytes) {
        make_drivers();
    }

    void make_drivers() {
        std::memset(ram.host(kBase, 0x3000), 0, 0x3000);
        inflate = std::make_unique<VirtqDriver>(ram, 16, kBase, kFeatures);
        deflate = std::make_unique<VirtqDriver>(ram, 16, kBase + 0x1000, kFeatures);
        stats = std::make_unique<VirtqDriver>(ram, 4, kBase + 0x2000, kFeatures);
    }

    void activate(uint64_t features = kFeatures) {
        std::vector<QueueConfig> qs;
        unsigned i = 0;
        for (VirtqDriver* d : {inflate.get(), deflate.get(), stats.get()}) {
            const VirtqConfig& c = d->config;
            qs.push_back(QueueConfig{i++, c.size, c.desc, c.avail, c.used});
        }
        ASSERT_TRUE(balloon.activate(features, qs, signals));
    }

    // Puts `pfns` at kPfns (+ offset) and adds them to `q` as one readable buffer.
    void send(VirtqDriver& q, const std::vector<uint32_t>& pfns, uint64_t offset = 0) {
        for (size_t i = 0; i < pfns.size(); ++i)
            ram.put<uint32_t>(kPfns + offset + 4 * i, pfns[i]);
        q.add({{kPfns + offset, static_cast<uint32_t>(4 * pfns.size()), false}});
    }

    unsigned used() {
        std::lock_guard lock(signals.mu);
        return signals.used;
    }

    TestRam ram;
    VirtioBalloon balloon;
    RecordingSignals signals;
    std::unique_ptr<VirtqDriver> inflate, deflate, stats;
};

TEST_F(VirtioBalloonTest, TargetIsReadAsNumPagesAndRaisesConfigChanged) {
    EXPECT_EQ(balloon.device_id(), DeviceId::Balloon);
    EXPECT_EQ(balloon.features() & 0xff, 1ULL << kBalloonFeatureStatsVq);
    VirtioBalloon oom(ram, 1 << 20, true);
    EXPECT_TRUE(oom.features() & (1ULL << kBalloonFeatureDeflateOnOom));
    // Before the driver is up the target is only stored.
    ASSERT_TRUE(balloon.set_target(8192));
    EXPECT_EQ(balloon.read_config(0, 4), 2u);
    activate();
    ASSERT_TRUE(balloon.set_target(512 * 1024 + 100)); // rounded down to 128 pages
    EXPECT_EQ(balloon.target(), 512u * 1024);
    EXPECT_EQ(balloon.read_config(0, 4), 128u);
    EXPECT_EQ(balloon.read_config(0, 1), 128u);
    EXPECT_EQ(balloon.read_config(1, 1), 0u);
    EXPECT_EQ(balloon.read_config(8, 4), 0u); // past the config space
    {
        std::lock_guard lock(signals.mu);
        EXPECT_EQ(signals.config, 1u);
    }
    EXPECT_FALSE(balloon.set_target(kRamBytes + 4096));
    EXPECT_EQ(balloon.target(), 512u * 1024);
    EXPECT_TRUE(balloon.set_target(kRamBytes));
}

TEST_F(VirtioBalloonTest, DriverWriteOfActualIsSeen) {
    activate();
    EXPECT_EQ(balloon.actual(), 0u);
    balloon.write_config(4, 4, 77);
    EXPECT_EQ(balloon.actual(), 77u * 4096);
    EXPECT_EQ(balloon.read_config(4, 4), 77u);
    // A byte write changes only its byte; num_pages is the device's.
    balloon.write_config(5, 1, 1);
    EXPECT_EQ(balloon.read_config(4, 4), 77u + 256);
    balloon.write_config(0, 4, 5);
    EXPECT_EQ(balloon.read_config(0, 4), 0u);
    // A new driver starts from an empty balloon.
    balloon.reset();
    EXPECT_EQ(balloon.actual(), 0u);
}

TEST_F(VirtioBalloonTest, InflateCoalescesContiguousPagesAndIgnoresPagesOutsideRam) {
    activate();
    ram.put<uint32_t>((kPages + 1) << 12, 0xdeadbeef);
    // Unsorted, with runs, a duplicate and two pages outside RAM.
    send(*inflate, {kPages + 2, kPages, kPages + 1, kPages + 0x10, 0x10, kPages + 5, kPages + 0x11,
                    0x90000, kPages + 1});
    balloon.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    ASSERT_EQ(inflate->used_idx(), 1);
    EXPECT_EQ(inflate->used(0).second, 0u);
    std::vector<std::pair<uint64_t, uint64_t>> want = {
        {kPages << 12, 3 * 4096}, {(kPages + 5) << 12, 4096}, {(kPages + 0x10) << 12, 2 * 4096}};
    EXPECT_EQ(ram.discards, want);
    EXPECT_EQ(ram.get<uint32_t>((kPages + 1) << 12), 0u);
    BalloonCounters c = balloon.counters();
    EXPECT_EQ(c.inflated_pages, 7u); // the duplicate counted, not discarded twice
    EXPECT_EQ(c.ignored_pages, 2u);
    EXPECT_EQ(c.deflated_pages, 0u);
}

TEST_F(VirtioBalloonTest, RunSpanningBuffersIsOneDiscard) {
    activate();
    for (uint32_t i = 0; i < 300; ++i)
        ram.put<uint32_t>(kPfns + 4ULL * i, kPages + i);
    inflate->add({{kPfns, 4 * 100, false}, {kPfns + 400, 4 * 200, false}});
    balloon.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    std::vector<std::pair<uint64_t, uint64_t>> want = {{kPages << 12, 300 * 4096}};
    EXPECT_EQ(ram.discards, want);
}

TEST_F(VirtioBalloonTest, DeflateIsCountedAndReturned) {
    activate();
    send(*deflate, {kPages, kPages + 1, kPages + 7});
    balloon.notify(1);
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    ASSERT_EQ(deflate->used_idx(), 1);
    EXPECT_EQ(deflate->used(0).second, 0u);
    EXPECT_EQ(balloon.counters().deflated_pages, 3u);
    EXPECT_TRUE(ram.discards.empty());
}

TEST_F(VirtioBalloonTest, StatsBufferIsHeldPushedBackOnRequestAndParsed) {
    activate();
    EXPECT_FALSE(balloon.stats().updated.has_value());
    put_stat(ram, kStats, 4, 1000);      // free memory
    put_stat(ram, kStats + 10, 5, 2000); // total memory
    put_stat(ram, kStats + 20, 99, 7);   // a tag from the future
    stats->add({{kStats, 30, false}});
    balloon.notify(2);
    ASSERT_TRUE(eventually([&] { return balloon.stats().updated.has_value(); }));
    BalloonStats s = balloon.stats();
    EXPECT_EQ(s.free_memory, 1000u);
    EXPECT_EQ(s.total_memory, 2000u);
    EXPECT_FALSE(s.swap_in.has_value());
    // The device keeps the buffer until it wants fresh figures.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(stats->used_idx(), 0);

    balloon.request_stats();
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    ASSERT_EQ(stats->used_idx(), 1);
    EXPECT_EQ(stats->used(0).second, 0u);

    // The driver refills the buffer and adds it again.
    put_stat(ram, kStats, 4, 3000);
    put_stat(ram, kStats + 10, 0, 11); // swap in
    put_stat(ram, kStats + 20, 6, 5000);
    stats->add({{kStats, 30, false}});
    balloon.notify(2);
    ASSERT_TRUE(eventually([&] { return balloon.stats().free_memory == 3000u; }));
    s = balloon.stats();
    EXPECT_EQ(s.swap_in, 11u);
    EXPECT_EQ(s.available_memory, 5000u);
    EXPECT_FALSE(s.total_memory.has_value()); // not in this report
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(stats->used_idx(), 1);
}

TEST_F(VirtioBalloonTest, StatsPeriodAsksByItself) {
    activate();
    put_stat(ram, kStats, 4, 1000);
    stats->add({{kStats, 10, false}});
    balloon.notify(2);
    ASSERT_TRUE(eventually([&] { return balloon.stats().updated.has_value(); }));
    ASSERT_TRUE(balloon.set_stats_period(1));
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    EXPECT_EQ(stats->used_idx(), 1);
    ASSERT_TRUE(balloon.set_stats_period(0));
}

TEST_F(VirtioBalloonTest, StatsQueueUnusedWithoutTheFeature) {
    activate(1ULL << kFeatureEventIdx);
    put_stat(ram, kStats, 4, 1000);
    stats->add({{kStats, 10, false}});
    balloon.notify(2);
    balloon.request_stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_FALSE(balloon.stats().updated.has_value());
    EXPECT_EQ(stats->used_idx(), 0);
}

TEST_F(VirtioBalloonTest, WritableInflateBufferNeedsResetUntilReset) {
    activate();
    inflate->add({{kPfns, 4, false}, {kPfns + 4, 4, true}});
    ram.put<uint32_t>(kPfns, kPages);
    balloon.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.resets > 0; }));
    EXPECT_EQ(inflate->used_idx(), 0);
    // Nothing more is served until the driver resets the device.
    send(*inflate, {kPages + 1}, 64);
    balloon.notify(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(inflate->used_idx(), 0);
    EXPECT_TRUE(ram.discards.empty());

    // After a reset and a new activation it works again.
    balloon.reset();
    make_drivers();
    send(*inflate, {kPages + 2});
    activate();
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    EXPECT_EQ(inflate->used_idx(), 1);
    std::vector<std::pair<uint64_t, uint64_t>> want = {{(kPages + 2) << 12, 4096}};
    EXPECT_EQ(ram.discards, want);
}

TEST_F(VirtioBalloonTest, PageListOfSixBytesNeedsReset) {
    activate();
    ram.put<uint32_t>(kPfns, kPages);
    inflate->add({{kPfns, 6, false}});
    balloon.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.resets > 0; }));
    EXPECT_EQ(inflate->used_idx(), 0);
    EXPECT_TRUE(ram.discards.empty());
    // The deflate queue stops too.
    send(*deflate, {kPages}, 64);
    balloon.notify(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(deflate->used_idx(), 0);
    EXPECT_EQ(balloon.counters().inflated_pages, 0u);
}

TEST_F(VirtioBalloonTest, ResetAndReactivateManyTimes) {
    for (int round = 0; round < 5; ++round) {
        make_drivers();
        activate();
        unsigned before = used();
        send(*inflate, {static_cast<uint32_t>(kPages + round)});
        balloon.notify(0);
        ASSERT_TRUE(signals.wait([&] { return signals.used > before; }));
        EXPECT_EQ(inflate->used_idx(), 1);
        balloon.reset();
    }
    EXPECT_EQ(ram.discards.size(), 5u);
    EXPECT_EQ(balloon.counters().inflated_pages, 5u);
}

// Guest RAM as the VMM has it: a shared memfd mapping whose discard frees the pages.
class MemfdRam : public TestRam {
public:
    explicit MemfdRam(uint64_t size)
        : TestRam(0, kBase)
        , size_(size) {
        fd_ = memfd_create("balloon-test", MFD_CLOEXEC);
        if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(size)) != 0) return;
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (p != MAP_FAILED) mem_ = static_cast<uint8_t*>(p);
    }
    ~MemfdRam() override {
        if (mem_ != nullptr) munmap(mem_, size_);
        if (fd_ >= 0) close(fd_);
    }
    MemfdRam(const MemfdRam&) = delete;
    MemfdRam& operator=(const MemfdRam&) = delete;

    bool ok() const { return mem_ != nullptr; }
    uint8_t* host(uint64_t gpa, uint64_t len) override {
        if (gpa < kBase || len > size_ || gpa - kBase > size_ - len) return nullptr;
        return mem_ + (gpa - kBase);
    }
    bool discard(uint64_t gpa, uint64_t len) override {
        uint8_t* p = host(gpa, len);
        if (p == nullptr || madvise(p, len, MADV_REMOVE) != 0) return false;
        discard_calls.fetch_add(1);
        return true;
    }

    std::atomic<unsigned> discard_calls{0};

private:
    const uint64_t size_;
    int fd_ = -1;
    uint8_t* mem_ = nullptr;
};

// RssShmem from /proc/self/status in KiB, or -1.
long rss_shmem_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("RssShmem:", 0) == 0) return std::stol(line.substr(9));
    }
    return -1;
}

TEST(VirtioBalloonMemfdTest, InflatingGivesTheMemoryBackToTheHost) {
    constexpr uint64_t kBalloonBytes = 64ULL << 20;
    constexpr uint64_t kMeta = 1ULL << 20; // rings and page lists, below the ballooned part
    constexpr uint32_t kPerChain = 256;
    constexpr uint32_t kChains = kBalloonBytes / 4096 / kPerChain;
    MemfdRam ram(kMeta + kBalloonBytes);
    if (!ram.ok()) GTEST_SKIP() << "no memfd mapping";
    if (rss_shmem_kib() < 0) GTEST_SKIP() << "no RssShmem in /proc/self/status";

    uint8_t* balloon_area = ram.host(kBase + kMeta, kBalloonBytes);
    for (uint64_t off = 0; off < kBalloonBytes; off += 4096)
        balloon_area[off] = 1;
    long before = rss_shmem_kib();

    VirtioBalloon balloon(ram, kMeta + kBalloonBytes);
    RecordingSignals signals;
    VirtqDriver inflate(ram, 128, kBase, kFeatures);
    VirtqDriver deflate(ram, 16, kBase + 0x2000, kFeatures);
    std::vector<QueueConfig> qs = {
        {0, inflate.config.size, inflate.config.desc, inflate.config.avail, inflate.config.used},
        {1, deflate.config.size, deflate.config.desc, deflate.config.avail, deflate.config.used}};
    ASSERT_TRUE(balloon.set_target(kBalloonBytes));
    ASSERT_TRUE(balloon.activate(1ULL << kFeatureEventIdx, qs, signals));

    // Linux-sized batches of 256 page numbers, each in descending order.
    const uint64_t first_pfn = (kBase + kMeta) >> 12;
    const uint64_t lists = kBase + 0x10000;
    for (uint32_t c = 0; c < kChains; ++c) {
        for (uint32_t i = 0; i < kPerChain; ++i) {
            uint64_t pfn = first_pfn + uint64_t{c} * kPerChain + (kPerChain - 1 - i);
            ram.put<uint32_t>(lists + 4ULL * (c * kPerChain + i), static_cast<uint32_t>(pfn));
        }
        inflate.add({{lists + 4ULL * c * kPerChain, 4 * kPerChain, false}});
    }
    balloon.notify(0);
    ASSERT_TRUE(eventually([&] { return inflate.used_idx() == kChains; }));
    long after = rss_shmem_kib();

    EXPECT_EQ(balloon.counters().inflated_pages, kBalloonBytes / 4096);
    EXPECT_EQ(ram.discard_calls.load(), kChains); // one run per chain
    // 64 MiB = 65536 KiB left; allow slack for the rest of the process moving.
    EXPECT_GT(before - after, 60000) << "RssShmem before " << before << " kB, after " << after;
    EXPECT_EQ(balloon_area[4096], 0); // discarded memory reads as zeros
}

} // namespace
} // namespace virtd::pv::virtio
