// Save and restore of the platform and virtio devices: a device restored from another's saved
// state carries on where the first stopped (the guest cannot tell), and malformed saved state
// is refused.
#include <gtest/gtest.h>

#include "drivers/pv/goldfish_rtc.h"
#include "drivers/pv/uart16550.h"
#include "drivers/pv/virtio/balloon.h"
#include "drivers/pv/virtio/mmio_transport.h"
#include "drivers/pv/virtio/rng.h"
#include "tests/unit/pv/virtio_signals.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::RecordingSignals;
using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;

TEST(VirtqueueState, PositionsAndHeldChainsComeBack) {
    TestRam ram(1 << 20);
    VirtqDriver drv(ram, 16, kBase, 0);
    Virtqueue q(ram, 0);
    ASSERT_TRUE(q.enable(drv.config));
    drv.add({{kBase + 0x10000, 32, false}, {kBase + 0x11000, 64, true}});
    drv.add({{kBase + 0x12000, 8, true}});
    Result<std::optional<VirtqChain>> first = q.pop();
    ASSERT_TRUE(first && first->has_value());
    ASSERT_TRUE(q.push((*first)->head, 0));
    Result<std::optional<VirtqChain>> held = q.pop(); // the device keeps this one
    ASSERT_TRUE(held && held->has_value());

    Virtqueue back(ram, 0);
    ASSERT_TRUE(back.enable(drv.config));
    back.set_state(q.state());
    EXPECT_EQ(back.next_avail(), 2);
    EXPECT_EQ(back.next_used(), 1);
    Result<VirtqChain> again = back.chain_at((*held)->head);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again->writable_len, 8u);
    EXPECT_EQ(again->writable[0].gpa, kBase + 0x12000);
    EXPECT_FALSE(back.chain_at(16)); // past the table
    ASSERT_TRUE(back.push(again->head, 8));
    EXPECT_EQ(drv.used_idx(), 2);
}

TEST(UartState, RegistersAndUnreadInputSurvive) {
    std::vector<bool> levels_a, levels_b;
    Uart16550 a(IrqLine([&](bool l) { levels_a.push_back(l); }), nullptr);
    a.write(3, 1, 0x03); // LCR: 8N1
    a.write(1, 1, 0x01); // IER: receive interrupt
    a.write(7, 1, 0x5a); // scratch
    std::string typed = "ls -l\n";
    a.push_input(std::span(reinterpret_cast<const uint8_t*>(typed.data()), typed.size()));
    EXPECT_EQ(a.read(0, 1), uint64_t{'l'});
    StateWriter w;
    a.save_state(w);

    Uart16550 b(IrqLine([&](bool l) { levels_b.push_back(l); }), nullptr);
    StateReader r(w.bytes());
    ASSERT_TRUE(b.restore_state(r));
    ASSERT_FALSE(levels_b.empty());
    EXPECT_TRUE(levels_b.back()); // data waits and the guest enabled its interrupt
    EXPECT_EQ(b.read(1, 1), 0x01u);
    EXPECT_EQ(b.read(3, 1), 0x03u);
    EXPECT_EQ(b.read(7, 1), 0x5au);
    std::string rest;
    while (b.read(5, 1) & 1)
        rest += static_cast<char>(b.read(0, 1));
    EXPECT_EQ(rest, "s -l\n");
}

TEST(UartState, MalformedStateIsRefused) {
    Uart16550 u(IrqLine(), nullptr);
    StateWriter w;
    w.u32(Uart16550::kInputLimit + 1); // input longer than the device ever holds
    StateReader r(w.bytes());
    Status s = u.restore_state(r);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message(), "a field of 65537 bytes is longer than the limit of 65536");
}

TEST(RtcState, OffsetAndAlarmSurvive) {
    uint64_t host = 1'000'000'000'000ULL;
    GoldfishRtc a(IrqLine(), [&] { return host; });
    a.write(0x04, 4, 0);     // TIME_HIGH
    a.write(0x00, 4, 5000);  // TIME_LOW: guest time 5000 ns
    a.write(0x0c, 4, 0);     // ALARM_HIGH
    a.write(0x08, 4, 90000); // ALARM_LOW arms
    StateWriter w;
    a.save_state(w);
    GoldfishRtc b(IrqLine(), [&] { return host; });
    StateReader r(w.bytes());
    ASSERT_TRUE(b.restore_state(r));
    EXPECT_EQ(b.read(0x00, 4), 5000u);
    EXPECT_EQ(b.read(0x18, 4), 1u); // ALARM_STATUS: armed
    EXPECT_EQ(b.read(0x08, 4), 90000u);
}

// Drives a transport's registers as Linux's virtio_mmio does, up to DRIVER_OK with one queue.
void bring_up(MmioTransport& t, const VirtqDriver& drv, uint64_t features) {
    t.write(mmio::kStatus, 4, 0);
    t.write(mmio::kStatus, 4, status::kAcknowledge | status::kDriver);
    t.write(mmio::kDriverFeaturesSel, 4, 0);
    t.write(mmio::kDriverFeatures, 4, static_cast<uint32_t>(features));
    t.write(mmio::kDriverFeaturesSel, 4, 1);
    t.write(mmio::kDriverFeatures, 4, static_cast<uint32_t>(features >> 32));
    t.write(mmio::kStatus, 4, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
    t.write(mmio::kQueueSel, 4, 0);
    t.write(mmio::kQueueNum, 4, drv.config.size);
    t.write(mmio::kQueueDescLow, 4, static_cast<uint32_t>(drv.config.desc));
    t.write(mmio::kQueueDescHigh, 4, static_cast<uint32_t>(drv.config.desc >> 32));
    t.write(mmio::kQueueDriverLow, 4, static_cast<uint32_t>(drv.config.avail));
    t.write(mmio::kQueueDriverHigh, 4, static_cast<uint32_t>(drv.config.avail >> 32));
    t.write(mmio::kQueueDeviceLow, 4, static_cast<uint32_t>(drv.config.used));
    t.write(mmio::kQueueDeviceHigh, 4, static_cast<uint32_t>(drv.config.used >> 32));
    t.write(mmio::kQueueReady, 4, 1);
    t.write(mmio::kStatus, 4,
            status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
}

bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 2000 && !done(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return done();
}

TEST(TransportState, RestoredRngContinuesTheQueue) {
    TestRam ram(1 << 20);
    uint64_t features = (1ULL << kFeatureVersion1) | (1ULL << kFeatureEventIdx);
    VirtqDriver drv(ram, 16, kBase, features);
    bool line_a = false, line_b = false;
    MmioTransport a("virtio-rng", std::make_unique<VirtioRng>(ram),
                    IrqLine([&](bool l) { line_a = l; }));
    bring_up(a, drv, features);
    drv.add({{kBase + 0x10000, 16, true}});
    a.write(mmio::kQueueNotify, 4, 0);
    ASSERT_TRUE(eventually([&] { return drv.used_idx() == 1; }));
    a.quiesce();
    StateWriter w;
    a.save_state(w);
    a.unquiesce();

    MmioTransport b("virtio-rng", std::make_unique<VirtioRng>(ram),
                    IrqLine([&](bool l) { line_b = l; }));
    StateReader r(w.bytes());
    ASSERT_TRUE(b.restore_state(r));
    EXPECT_EQ(b.read(mmio::kStatus, 4), a.read(mmio::kStatus, 4));
    EXPECT_EQ(b.read(mmio::kInterruptStatus, 4), a.read(mmio::kInterruptStatus, 4));
    EXPECT_EQ(line_b, line_a);
    b.write(mmio::kQueueSel, 4, 0);
    EXPECT_EQ(b.read(mmio::kQueueReady, 4), 1u);
    // A request made after the restore is answered in the next used slot.
    drv.add({{kBase + 0x11000, 16, true}});
    b.write(mmio::kQueueNotify, 4, 0);
    ASSERT_TRUE(eventually([&] { return drv.used_idx() == 2; }));
    EXPECT_EQ(drv.used(1).second, 16u);
}

TEST(TransportState, MalformedStateIsRefused) {
    TestRam ram(1 << 20);
    uint64_t features = (1ULL << kFeatureVersion1) | (1ULL << kFeatureEventIdx);
    VirtqDriver drv(ram, 16, kBase, features);
    MmioTransport a("virtio-rng", std::make_unique<VirtioRng>(ram), IrqLine());
    bring_up(a, drv, features);
    a.quiesce();
    StateWriter w;
    a.save_state(w);
    std::vector<uint8_t> bytes = w.take();

    auto restore = [&](std::vector<uint8_t> b) {
        MmioTransport t("virtio-rng", std::make_unique<VirtioRng>(ram), IrqLine());
        StateReader r(b);
        Status s = t.restore_state(r);
        return s ? std::string() : s.error().message();
    };
    EXPECT_EQ(restore(bytes), "");
    std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 3);
    // The last field is the queue's position: the queue helper names what it was reading.
    EXPECT_EQ(restore(cut), fmt::format("queue 0: truncated at byte {}", cut.size()));
    std::vector<uint8_t> extra = bytes;
    extra.push_back(0);
    EXPECT_EQ(restore(extra), "1 unexpected bytes after the last field");
    std::vector<uint8_t> big_queue = bytes;
    big_queue[36] = 0; // queue 0's size (after 7 register fields and the count): 16 -> 4096
    big_queue[37] = 0x10;
    EXPECT_EQ(restore(big_queue), "queue 0 is ready with size 4096");
    std::vector<uint8_t> unoffered = bytes;
    unoffered[27] |= 0x80; // a driver feature bit in the upper word the device never offered
    EXPECT_EQ(restore(unoffered), "driver features the device does not offer");
}

TEST(BalloonState, SizesAndHeldStatisticsBufferSurvive) {
    TestRam ram(4 << 20);
    uint64_t features = (1ULL << kBalloonFeatureStatsVq);
    VirtqDriver infl(ram, 16, kBase, features), defl(ram, 16, kBase + 0x1000, features),
        stats(ram, 16, kBase + 0x2000, features);
    RecordingSignals signals;
    VirtioBalloon a(ram, 4 << 20);
    std::vector<QueueConfig> qs;
    for (const VirtqDriver* d : {&infl, &defl, &stats})
        qs.push_back({static_cast<unsigned>(qs.size()), d->config.size, d->config.desc,
                      d->config.avail, d->config.used});
    ASSERT_TRUE(a.activate(features, qs, signals));
    ASSERT_TRUE(a.set_target(1 << 20));
    a.write_config(4, 4, 64);                  // the driver says 64 pages are in the balloon
    stats.add({{kBase + 0x10000, 60, false}}); // its first statistics buffer, which we keep
    a.notify(2);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    a.quiesce();
    StateWriter w;
    a.save_state(w, true);
    a.unquiesce();

    RecordingSignals signals_b;
    VirtioBalloon b(ram, 4 << 20);
    StateReader r(w.bytes());
    ASSERT_TRUE(b.restore_state(true, features, qs, signals_b, r));
    EXPECT_EQ(b.target(), uint64_t{1} << 20);
    EXPECT_EQ(b.actual(), 64u * 4096);
    // Asking for statistics returns the held buffer to the driver.
    b.request_stats();
    ASSERT_TRUE(eventually([&] { return stats.used_idx() == 1; }));
    EXPECT_EQ(stats.used(0).first, 0u);

    StateWriter bad;
    bad.u32(2000); // a target beyond 4 MiB of RAM
    bad.u32(0);
    VirtioBalloon c(ram, 4 << 20);
    StateReader rb(bad.bytes());
    Status s = c.restore_state(false, 0, {}, signals_b, rb);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message(), "virtio-balloon: balloon sizes larger than guest RAM");
}

} // namespace
} // namespace virtd::pv::virtio
