// The virtio-mmio transport driven the way Linux's virtio_mmio driver drives it: probe, feature
// negotiation, queue setup, DRIVER_OK, notifications, interrupts, reset.
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/pv/virtio/mmio_transport.h"

namespace virtd::pv::virtio {
namespace {

// A device that records what the transport asks of it.
struct FakeState {
    uint64_t features = 0;
    std::vector<QueueConfig> queues;
    std::vector<unsigned> notified;
    unsigned activations = 0, resets = 0;
    VirtioSignals* signals = nullptr;
    bool fail_activate = false;
    uint32_t config_word = 0x11223344;
};

class FakeDevice : public VirtioDevice {
public:
    explicit FakeDevice(FakeState& s)
        : s_(s) {}
    DeviceId device_id() const override { return DeviceId::Entropy; }
    uint64_t features() const override { return (1ULL << kFeatureEventIdx) | 1; }
    unsigned queue_count() const override { return 2; }
    uint16_t queue_max_size(unsigned q) const override { return q == 0 ? 256 : 64; }
    uint64_t read_config(uint64_t offset, unsigned size) override {
        uint64_t v = offset < 4 ? s_.config_word >> (8 * offset) : 0;
        return size >= 8 ? v : v & ((1ULL << (8 * size)) - 1);
    }
    void write_config(uint64_t offset, unsigned /*size*/, uint64_t value) override {
        if (offset == 0) s_.config_word = static_cast<uint32_t>(value);
    }
    Status activate(uint64_t features, std::span<const QueueConfig> queues,
                    VirtioSignals& signals) override {
        ++s_.activations;
        s_.features = features;
        s_.queues.assign(queues.begin(), queues.end());
        s_.signals = &signals;
        if (s_.fail_activate) {
            return make_error(ErrorCode::InternalError, ErrorDomain::Qemu, "queue 0 outside RAM");
        }
        return {};
    }
    void notify(unsigned queue) override {
        s_.notified.push_back(queue);
        s_.signals->used_buffers(); // devices may complete synchronously
    }
    void reset() override { ++s_.resets; }
    void quiesce() override {}
    void unquiesce() override {}
    void save_state(StateWriter& w, bool active) const override { w.boolean(active); }
    Status restore_state(bool active, uint64_t, std::span<const QueueConfig>, VirtioSignals&,
                         StateReader& r) override {
        if (r.boolean() != active) r.fail("active flag differs");
        return {};
    }

private:
    FakeState& s_;
};

class VirtioMmio : public ::testing::Test {
protected:
    VirtioMmio()
        : t("virtio-rng", std::make_unique<FakeDevice>(s), IrqLine([this](bool l) {
                levels.push_back(l);
                line = l;
            })) {}

    uint32_t rd(uint64_t off) { return static_cast<uint32_t>(t.read(off, 4)); }
    void wr(uint64_t off, uint32_t v) { t.write(off, 4, v); }

    // Linux's sequence up to FEATURES_OK with the driver accepting `features`.
    void negotiate(uint64_t features) {
        wr(mmio::kStatus, 0);
        wr(mmio::kStatus, status::kAcknowledge);
        wr(mmio::kStatus, status::kAcknowledge | status::kDriver);
        wr(mmio::kDriverFeaturesSel, 0);
        wr(mmio::kDriverFeatures, static_cast<uint32_t>(features));
        wr(mmio::kDriverFeaturesSel, 1);
        wr(mmio::kDriverFeatures, static_cast<uint32_t>(features >> 32));
        wr(mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
    }
    void setup_queue(unsigned q, uint32_t num, uint64_t desc, uint64_t drv, uint64_t dev) {
        wr(mmio::kQueueSel, q);
        wr(mmio::kQueueNum, num);
        wr(mmio::kQueueDescLow, static_cast<uint32_t>(desc));
        wr(mmio::kQueueDescHigh, static_cast<uint32_t>(desc >> 32));
        wr(mmio::kQueueDriverLow, static_cast<uint32_t>(drv));
        wr(mmio::kQueueDriverHigh, static_cast<uint32_t>(drv >> 32));
        wr(mmio::kQueueDeviceLow, static_cast<uint32_t>(dev));
        wr(mmio::kQueueDeviceHigh, static_cast<uint32_t>(dev >> 32));
        wr(mmio::kQueueReady, 1);
    }
    static constexpr uint32_t kUpToFeatures =
        status::kAcknowledge | status::kDriver | status::kFeaturesOk;

    FakeState s;
    std::vector<bool> levels;
    bool line = false;
    MmioTransport t;
};

TEST_F(VirtioMmio, IdentifiesAsAModernDevice) {
    EXPECT_EQ(rd(mmio::kMagic), 0x74726976u);
    EXPECT_EQ(rd(mmio::kVersion), 2u);
    EXPECT_EQ(rd(mmio::kDeviceId), 4u);
    EXPECT_EQ(rd(mmio::kVendorId), mmio::kVendor);
    wr(mmio::kDeviceFeaturesSel, 0);
    EXPECT_EQ(rd(mmio::kDeviceFeatures), (1u << kFeatureEventIdx) | 1u);
    wr(mmio::kDeviceFeaturesSel, 1);
    EXPECT_EQ(rd(mmio::kDeviceFeatures), 1u); // VERSION_1 (bit 32)
    wr(mmio::kDeviceFeaturesSel, 2);
    EXPECT_EQ(rd(mmio::kDeviceFeatures), 0u);
    EXPECT_EQ(rd(mmio::kShmLenLow), 0xffffffffu); // no shared memory region
    EXPECT_EQ(t.read(mmio::kMagic, 2), 0u);       // registers are 32-bit only
}

TEST_F(VirtioMmio, FeaturesOkOnlyForOfferedFeaturesWithVersion1) {
    negotiate(1ULL << kFeatureEventIdx); // no VERSION_1: a legacy driver
    EXPECT_EQ(rd(mmio::kStatus) & status::kFeaturesOk, 0u);
    negotiate((1ULL << kFeatureVersion1) | (1ULL << 5)); // bit 5 was not offered
    EXPECT_EQ(rd(mmio::kStatus) & status::kFeaturesOk, 0u);
    negotiate((1ULL << kFeatureVersion1) | (1ULL << kFeatureEventIdx));
    EXPECT_EQ(rd(mmio::kStatus), kUpToFeatures);
    // Features are frozen after FEATURES_OK.
    wr(mmio::kDriverFeaturesSel, 0);
    wr(mmio::kDriverFeatures, 1);
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    EXPECT_EQ(s.features, (1ULL << kFeatureVersion1) | (1ULL << kFeatureEventIdx));
}

TEST_F(VirtioMmio, DriverOkActivatesTheReadyQueues) {
    negotiate(1ULL << kFeatureVersion1);
    wr(mmio::kQueueSel, 1);
    EXPECT_EQ(rd(mmio::kQueueNumMax), 64u);
    wr(mmio::kQueueSel, 2);
    EXPECT_EQ(rd(mmio::kQueueNumMax), 0u); // no such queue
    setup_queue(0, 128, 0x80001000, 0x80002000, 0x180003000ULL);
    EXPECT_EQ(rd(mmio::kQueueReady), 1u);
    // Addresses are fixed while the queue is ready.
    wr(mmio::kQueueDescLow, 0x1234);
    EXPECT_EQ(s.activations, 0u);
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    ASSERT_EQ(s.activations, 1u);
    ASSERT_EQ(s.queues.size(), 1u); // queue 1 was never made ready
    EXPECT_EQ(s.queues[0].index, 0u);
    EXPECT_EQ(s.queues[0].size, 128);
    EXPECT_EQ(s.queues[0].desc, 0x80001000u);
    EXPECT_EQ(s.queues[0].driver, 0x80002000u);
    EXPECT_EQ(s.queues[0].device, 0x180003000ULL);
    // Writing the same status again does not activate twice.
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    EXPECT_EQ(s.activations, 1u);
}

TEST_F(VirtioMmio, BadQueueSizesLeaveTheQueueNotReady) {
    negotiate(1ULL << kFeatureVersion1);
    for (uint32_t num : {0u, 100u, 512u}) { // zero, not a power of two, above the maximum
        setup_queue(0, num, 0x80001000, 0x80002000, 0x80003000);
        EXPECT_EQ(rd(mmio::kQueueReady), 0u) << num;
    }
    setup_queue(0, 256, 0x80001000, 0x80002000, 0x80003000);
    EXPECT_EQ(rd(mmio::kQueueReady), 1u);
}

TEST_F(VirtioMmio, NotifyReachesTheDeviceAndInterruptsAreAcknowledged) {
    negotiate(1ULL << kFeatureVersion1);
    setup_queue(0, 16, 0x80001000, 0x80002000, 0x80003000);
    wr(mmio::kQueueNotify, 0); // before DRIVER_OK: ignored
    EXPECT_TRUE(s.notified.empty());
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    wr(mmio::kQueueNotify, 1); // not ready: ignored
    wr(mmio::kQueueNotify, 7); // no such queue
    EXPECT_TRUE(s.notified.empty());
    wr(mmio::kQueueNotify, 0);
    ASSERT_EQ(s.notified, std::vector<unsigned>{0});
    EXPECT_TRUE(line);
    EXPECT_EQ(rd(mmio::kInterruptStatus), kIntUsedBuffer);
    s.signals->config_changed();
    EXPECT_EQ(rd(mmio::kInterruptStatus), kIntUsedBuffer | kIntConfigChange);
    EXPECT_EQ(rd(mmio::kConfigGeneration), 1u);
    wr(mmio::kInterruptAck, kIntUsedBuffer);
    EXPECT_TRUE(line); // config change still pending
    wr(mmio::kInterruptAck, kIntConfigChange);
    EXPECT_FALSE(line);
    EXPECT_EQ(rd(mmio::kInterruptStatus), 0u);
}

TEST_F(VirtioMmio, ConfigSpaceGoesToTheDevice) {
    EXPECT_EQ(t.read(mmio::kConfig, 4), 0x11223344u);
    EXPECT_EQ(t.read(mmio::kConfig + 1, 1), 0x33u);
    EXPECT_EQ(t.read(mmio::kConfig, 2), 0x3344u);
    t.write(mmio::kConfig, 4, 0xcafef00d);
    EXPECT_EQ(t.read(mmio::kConfig, 4), 0xcafef00du);
}

TEST_F(VirtioMmio, FailedActivationSetsNeedsResetWithTheReason) {
    s.fail_activate = true;
    negotiate(1ULL << kFeatureVersion1);
    setup_queue(0, 16, 0x80001000, 0x80002000, 0x80003000);
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    EXPECT_EQ(rd(mmio::kStatus) & status::kNeedsReset, status::kNeedsReset);
    EXPECT_EQ(rd(mmio::kInterruptStatus), kIntConfigChange);
    EXPECT_EQ(t.last_error(), "virtio-rng: queue 0 outside RAM");
    wr(mmio::kQueueNotify, 0); // a device that needs a reset gets no more work
    EXPECT_TRUE(s.notified.empty());
}

TEST_F(VirtioMmio, StatusZeroResetsEverything) {
    negotiate(1ULL << kFeatureVersion1);
    setup_queue(0, 16, 0x80001000, 0x80002000, 0x80003000);
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    wr(mmio::kQueueNotify, 0);
    ASSERT_TRUE(line);
    s.signals->needs_reset();
    EXPECT_NE(rd(mmio::kStatus) & status::kNeedsReset, 0u);
    unsigned resets = s.resets;
    wr(mmio::kStatus, 0);
    EXPECT_EQ(s.resets, resets + 1);
    EXPECT_EQ(rd(mmio::kStatus), 0u);
    EXPECT_EQ(rd(mmio::kInterruptStatus), 0u);
    EXPECT_FALSE(line);
    wr(mmio::kQueueSel, 0);
    EXPECT_EQ(rd(mmio::kQueueReady), 0u);
    // The queue can be set up afresh after a reset.
    negotiate(1ULL << kFeatureVersion1);
    setup_queue(0, 32, 0x80005000, 0x80006000, 0x80007000);
    wr(mmio::kStatus, kUpToFeatures | status::kDriverOk);
    ASSERT_EQ(s.queues.size(), 1u);
    EXPECT_EQ(s.queues[0].desc, 0x80005000u);
}

} // namespace
} // namespace virtd::pv::virtio
