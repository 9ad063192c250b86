// virtio-rng driven through its queue as Linux's virtio_rng drives it, and fed a malformed
// chain.
#include <gtest/gtest.h>

#include "drivers/pv/virtio/rng.h"
#include "tests/unit/pv/virtio_signals.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::RecordingSignals;
using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;

class VirtioRngTest : public ::testing::Test {
protected:
    VirtioRngTest()
        : ram(1 << 20)
        , drv(ram, 16, kBase, rng.features())
        , rng_dev(ram) {}

    void activate() {
        QueueConfig q{0, drv.config.size, drv.config.desc, drv.config.avail, drv.config.used};
        ASSERT_TRUE(rng_dev.activate(rng_dev.features(), std::span(&q, 1), signals));
    }

    TestRam ram;
    struct Features {
        uint64_t features() const { return 1ULL << kFeatureEventIdx; }
    } rng;
    VirtqDriver drv;
    VirtioRng rng_dev;
    RecordingSignals signals;
};

TEST_F(VirtioRngTest, FillsWritableBuffersWithRandomBytes) {
    EXPECT_EQ(rng_dev.device_id(), DeviceId::Entropy);
    activate();
    drv.add({{kBase + 0x10000, 64, true}, {kBase + 0x11000, 64, true}});
    rng_dev.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    ASSERT_EQ(drv.used_idx(), 1);
    EXPECT_EQ(drv.used(0).second, 128u);
    // 128 random bytes are not all zero (probability 2^-1024).
    int nonzero = 0;
    for (int i = 0; i < 64; ++i)
        nonzero += ram.get<uint8_t>(kBase + 0x10000 + i) != 0 ||
                   ram.get<uint8_t>(kBase + 0x11000 + i) != 0;
    EXPECT_GT(nonzero, 0);
    EXPECT_TRUE(ram.dirty_pages.count((kBase + 0x11000) >> 12));
}

TEST_F(VirtioRngTest, LargeRequestGetsAShortAnswer) {
    activate();
    drv.add({{kBase + 0x20000, 128 << 10, true}});
    rng_dev.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    EXPECT_EQ(drv.used(0).second, VirtioRng::kMaxRequestBytes);
}

TEST_F(VirtioRngTest, MalformedChainNeedsResetAndNothingElseHappens) {
    activate();
    drv.set_desc(0, kBase + 0x10000, 8, VirtqDriver::kNext | VirtqDriver::kWrite, 0); // loop
    drv.publish(0);
    rng_dev.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.resets > 0; }));
    EXPECT_EQ(drv.used_idx(), 0);
    // Until the driver resets the device, it serves nothing more.
    drv.set_desc(1, kBase + 0x10000, 8, VirtqDriver::kWrite, 0);
    drv.publish(1);
    rng_dev.notify(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(drv.used_idx(), 0);
    // After a reset and a new activation the queue works again.
    rng_dev.reset();
    std::memset(ram.host(drv.config.desc, 4096), 0, 4096);
    VirtqDriver fresh(ram, 16, kBase, 1ULL << kFeatureEventIdx);
    fresh.add({{kBase + 0x10000, 8, true}});
    QueueConfig q{0, fresh.config.size, fresh.config.desc, fresh.config.avail, fresh.config.used};
    ASSERT_TRUE(rng_dev.activate(rng_dev.features(), std::span(&q, 1), signals));
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    EXPECT_EQ(fresh.used_idx(), 1);
}

TEST_F(VirtioRngTest, ReadableOnlyChainIsAnsweredWithNothing) {
    activate();
    drv.add({{kBase + 0x10000, 16, false}});
    rng_dev.notify(0);
    ASSERT_TRUE(signals.wait([&] { return signals.used > 0; }));
    EXPECT_EQ(drv.used(0).second, 0u);
}

} // namespace
} // namespace virtd::pv::virtio
