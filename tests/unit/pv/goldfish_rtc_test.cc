#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/pv/goldfish_rtc.h"

namespace virtd::pv {
namespace {

constexpr uint64_t kTimeLow = 0x00, kTimeHigh = 0x04, kAlarmLow = 0x08, kAlarmHigh = 0x0C,
                   kIrqEnabled = 0x10, kClearAlarm = 0x14, kAlarmStatus = 0x18,
                   kClearInterrupt = 0x1C;

// An RTC on a clock the test moves by hand, with its interrupt line recorded.
struct Rig {
    std::shared_ptr<uint64_t> now = std::make_shared<uint64_t>(0);
    std::vector<bool> levels;
    GoldfishRtc rtc{IrqLine([this](bool l) { levels.push_back(l); }), [n = now] { return *n; }};

    uint64_t read_time() {
        uint64_t low = rtc.read(kTimeLow, 4);
        uint64_t high = rtc.read(kTimeHigh, 4);
        return (high << 32) | low;
    }
};

TEST(GoldfishRtc, LowReadLatchesTheHighHalf) {
    Rig r;
    *r.now = 0x0000'0001'ffff'fff0ULL;
    uint64_t low = r.rtc.read(kTimeLow, 4);
    // The clock crosses a 2^32 boundary between the two reads; the pair stays one sample.
    *r.now = 0x0000'0002'0000'0010ULL;
    uint64_t high = r.rtc.read(kTimeHigh, 4);
    EXPECT_EQ((high << 32) | low, 0x0000'0001'ffff'fff0ULL);
    EXPECT_EQ(r.read_time(), 0x0000'0002'0000'0010ULL);
}

TEST(GoldfishRtc, HostClockIsWallTime) {
    GoldfishRtc rtc{IrqLine()};
    uint64_t before = GoldfishRtc::host_realtime_ns();
    uint64_t low = rtc.read(kTimeLow, 4);
    uint64_t t = (rtc.read(kTimeHigh, 4) << 32) | low;
    uint64_t after = GoldfishRtc::host_realtime_ns();
    EXPECT_GE(t, before);
    EXPECT_LE(t, after);
    EXPECT_GT(t, 1'600'000'000ULL * 1'000'000'000ULL) << "after 2020: the Unix epoch in ns";
}

TEST(GoldfishRtc, GuestSetsTimeHighThenLow) {
    Rig r;
    *r.now = 1000;
    uint64_t wanted = 0x0000'0005'0000'0007ULL;
    r.rtc.write(kTimeHigh, 4, wanted >> 32);
    EXPECT_EQ(r.read_time(), 1000u) << "the high half alone changes nothing";
    r.rtc.write(kTimeLow, 4, wanted & 0xffffffff);
    EXPECT_EQ(r.read_time(), wanted);
    *r.now += 500;
    EXPECT_EQ(r.read_time(), wanted + 500) << "the clock keeps running from the new time";
}

TEST(GoldfishRtc, AlarmFiresWhenDueAndIsCleared) {
    Rig r;
    *r.now = 10'000;
    r.rtc.write(kIrqEnabled, 4, 1);
    r.rtc.write(kAlarmHigh, 4, 0);
    r.rtc.write(kAlarmLow, 4, 20'000);
    EXPECT_EQ(r.rtc.read(kAlarmStatus, 4), 1u);
    EXPECT_EQ(r.rtc.read(kAlarmLow, 4), 20'000u);
    auto due = r.rtc.poll_alarm();
    ASSERT_TRUE(due.has_value());
    EXPECT_EQ(*due, 20'000u);
    EXPECT_TRUE(r.levels.empty());

    *r.now = 20'000;
    EXPECT_FALSE(r.rtc.poll_alarm().has_value()) << "fired, so no longer armed";
    ASSERT_EQ(r.levels.size(), 1u);
    EXPECT_TRUE(r.levels[0]);
    EXPECT_EQ(r.rtc.read(kAlarmStatus, 4), 0u);

    r.rtc.write(kClearInterrupt, 4, 1);
    ASSERT_EQ(r.levels.size(), 2u);
    EXPECT_FALSE(r.levels[1]);
}

TEST(GoldfishRtc, DisabledOrClearedAlarmRaisesNothing) {
    Rig r;
    r.rtc.write(kAlarmLow, 4, 5);
    *r.now = 10;
    r.rtc.poll_alarm();
    EXPECT_TRUE(r.levels.empty()) << "IRQ_ENABLED is 0";
    r.rtc.write(kIrqEnabled, 4, 1);
    ASSERT_EQ(r.levels.size(), 1u) << "the pending alarm shows once enabled";
    r.rtc.write(kClearInterrupt, 4, 1);

    r.rtc.write(kAlarmLow, 4, 100);
    r.rtc.write(kClearAlarm, 4, 1);
    *r.now = 200;
    EXPECT_FALSE(r.rtc.poll_alarm().has_value());
    EXPECT_EQ(r.levels.size(), 2u);
}

} // namespace
} // namespace virtd::pv
