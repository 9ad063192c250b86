// The split virtqueue against rings laid out as Linux lays them out, and against every kind of
// malformed chain a guest can build.
#include <gtest/gtest.h>

#include "drivers/pv/virtio/device.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kIndirect = 1ULL << kFeatureIndirectDesc;
constexpr uint64_t kEventIdx = 1ULL << kFeatureEventIdx;

class VirtqueueTest : public ::testing::Test {
protected:
    explicit VirtqueueTest(uint64_t features = kIndirect)
        : ram(1 << 20)
        , drv(ram, 8, kBase, features)
        , q(ram, 3) {}
    void SetUp() override { ASSERT_TRUE(q.enable(drv.config)); }

    // Pops expecting an error; returns its message.
    std::string pop_error() {
        auto r = q.pop();
        EXPECT_FALSE(r);
        return r ? std::string() : r.error().message();
    }

    TestRam ram;
    VirtqDriver drv;
    Virtqueue q;
};

TEST_F(VirtqueueTest, EmptyQueueHasNothing) {
    auto r = q.pop();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());
}

TEST_F(VirtqueueTest, ChainIsTranslatedAndReturned) {
    uint16_t head = drv.add(
        {{kBase + 0x10000, 16, false}, {kBase + 0x11000, 512, true}, {kBase + 0x12000, 1, true}});
    ram.put<uint32_t>(kBase + 0x10000, 0xfeedbeef);
    auto r = q.pop();
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->has_value());
    VirtqChain& c = **r;
    EXPECT_EQ(c.head, head);
    ASSERT_EQ(c.readable.size(), 1u);
    ASSERT_EQ(c.writable.size(), 2u);
    EXPECT_EQ(c.readable_len, 16u);
    EXPECT_EQ(c.writable_len, 513u);
    uint32_t v;
    std::memcpy(&v, c.readable[0].host, 4);
    EXPECT_EQ(v, 0xfeedbeefu);
    EXPECT_EQ(c.writable[1].gpa, kBase + 0x12000);

    c.writable[0].host[0] = 0x5a;
    ram.dirty_pages.clear();
    q.mark_written(c, 513);
    ASSERT_TRUE(q.push(c.head, 513));
    EXPECT_EQ(ram.get<uint8_t>(kBase + 0x11000), 0x5a);
    EXPECT_EQ(drv.used_idx(), 1);
    EXPECT_EQ(drv.used(0), std::make_pair(uint32_t{head}, 513u));
    // The written buffers and the used ring are in the dirty log.
    EXPECT_TRUE(ram.dirty_pages.count((kBase + 0x11000) >> 12));
    EXPECT_TRUE(ram.dirty_pages.count((kBase + 0x12000) >> 12));
    EXPECT_TRUE(ram.dirty_pages.count(drv.config.used >> 12));
    EXPECT_TRUE(q.needs_interrupt());
    EXPECT_FALSE(q.needs_interrupt()); // nothing new since
    auto again = q.pop();
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->has_value());
}

TEST_F(VirtqueueTest, ManyChainsWrapAroundTheRing) {
    for (int round = 0; round < 40; ++round) {
        uint16_t head = drv.add({{kBase + 0x20000 + round, 4, true}});
        auto r = q.pop();
        ASSERT_TRUE(r);
        ASSERT_TRUE(r->has_value());
        EXPECT_EQ((*r)->head, head);
        EXPECT_EQ((*r)->writable[0].gpa, kBase + 0x20000 + round);
        ASSERT_TRUE(q.push(head, 4));
    }
    EXPECT_EQ(drv.used_idx(), 40);
    EXPECT_EQ(q.next_avail(), 40);
}

TEST_F(VirtqueueTest, LoopIsAnError) {
    drv.set_desc(0, kBase + 0x10000, 8, VirtqDriver::kNext, 1);
    drv.set_desc(1, kBase + 0x10000, 8, VirtqDriver::kNext, 0);
    drv.publish(0);
    EXPECT_NE(pop_error().find("loop"), std::string::npos);
}

TEST_F(VirtqueueTest, NextPastTheTableIsAnError) {
    drv.set_desc(0, kBase + 0x10000, 8, VirtqDriver::kNext, 8);
    drv.publish(0);
    EXPECT_NE(pop_error().find("past the table"), std::string::npos);
}

TEST_F(VirtqueueTest, HeadPastTheTableIsAnError) {
    drv.publish(9);
    EXPECT_NE(pop_error().find("virtqueue 3"), std::string::npos);
}

TEST_F(VirtqueueTest, BufferOutsideRamIsAnError) {
    drv.add({{kBase + (1 << 20) - 8, 16, true}});
    EXPECT_NE(pop_error().find("outside guest RAM"), std::string::npos);
    drv.add({{0x1000, 16, false}});
    EXPECT_NE(pop_error().find("outside guest RAM"), std::string::npos);
    // Wrapping around the address space is outside RAM too.
    drv.add({{~0ULL - 4, 16, false}});
    EXPECT_NE(pop_error().find("outside guest RAM"), std::string::npos);
}

TEST_F(VirtqueueTest, ReadableAfterWritableIsAnError) {
    drv.add({{kBase + 0x10000, 8, true}, {kBase + 0x11000, 8, false}});
    EXPECT_NE(pop_error().find("after a device-writable"), std::string::npos);
}

TEST_F(VirtqueueTest, AvailIndexTooFarAheadIsAnError) {
    ram.put<uint16_t>(drv.config.avail + 2, 9);
    EXPECT_NE(pop_error().find("ahead"), std::string::npos);
}

TEST_F(VirtqueueTest, IndirectTableIsWalked) {
    uint64_t table = kBase + 0x30000;
    for (uint16_t i = 0; i < 3; ++i) {
        uint64_t d = table + 16 * i;
        ram.put<uint64_t>(d, kBase + 0x40000 + 0x1000 * i);
        ram.put<uint32_t>(d + 8, 100);
        ram.put<uint16_t>(d + 12, static_cast<uint16_t>((i < 2 ? VirtqDriver::kNext : 0) |
                                                        (i > 0 ? VirtqDriver::kWrite : 0)));
        ram.put<uint16_t>(d + 14, static_cast<uint16_t>(i + 1));
    }
    drv.set_desc(5, table, 48, VirtqDriver::kIndirect, 0);
    drv.publish(5);
    auto r = q.pop();
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->head, 5);
    EXPECT_EQ((*r)->readable.size(), 1u);
    EXPECT_EQ((*r)->writable.size(), 2u);
    EXPECT_EQ((*r)->writable[1].gpa, kBase + 0x42000);
}

TEST_F(VirtqueueTest, BadIndirectTablesAreErrors) {
    uint64_t table = kBase + 0x30000;
    // Length not a multiple of 16.
    drv.set_desc(0, table, 40, VirtqDriver::kIndirect, 0);
    drv.publish(0);
    EXPECT_NE(pop_error().find("multiple of 16"), std::string::npos);
    // A loop inside the table.
    ram.put<uint64_t>(table, kBase + 0x40000);
    ram.put<uint32_t>(table + 8, 8);
    ram.put<uint16_t>(table + 12, VirtqDriver::kNext);
    ram.put<uint16_t>(table + 14, 0);
    drv.set_desc(1, table, 16, VirtqDriver::kIndirect, 0);
    drv.publish(1);
    EXPECT_NE(pop_error().find("loop"), std::string::npos);
    // Nested indirect.
    ram.put<uint16_t>(table + 12, VirtqDriver::kIndirect);
    drv.set_desc(2, table, 16, VirtqDriver::kIndirect, 0);
    drv.publish(2);
    EXPECT_NE(pop_error().find("inside an indirect"), std::string::npos);
    // INDIRECT together with NEXT.
    drv.set_desc(3, table, 16, VirtqDriver::kIndirect | VirtqDriver::kNext, 4);
    drv.publish(3);
    EXPECT_NE(pop_error().find("NEXT"), std::string::npos);
    // The table itself outside RAM.
    drv.set_desc(4, kBase + (1 << 20) - 16, 32, VirtqDriver::kIndirect, 0);
    drv.publish(4);
    EXPECT_NE(pop_error().find("outside guest RAM"), std::string::npos);
}

TEST(Virtqueue, IndirectWithoutTheFeatureIsAnError) {
    TestRam ram(1 << 20);
    VirtqDriver drv(ram, 8, kBase, 0);
    Virtqueue q(ram, 0);
    ASSERT_TRUE(q.enable(drv.config));
    drv.set_desc(0, kBase + 0x30000, 16, VirtqDriver::kIndirect, 0);
    drv.publish(0);
    auto r = q.pop();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("INDIRECT_DESC"), std::string::npos);
}

TEST(Virtqueue, BadLayoutsAreRefused) {
    TestRam ram(1 << 20);
    Virtqueue q(ram, 0);
    VirtqConfig c{8, kBase, kBase + 0x1000, kBase + 0x2000, 0};
    EXPECT_TRUE(q.enable(c));
    EXPECT_TRUE(q.enabled());
    c.size = 6;
    EXPECT_FALSE(q.enable(c));
    EXPECT_FALSE(q.enabled());
    c.size = 8;
    c.desc = kBase + 8; // misaligned
    EXPECT_FALSE(q.enable(c));
    c.desc = kBase;
    c.used = kBase + (1 << 20) - 8; // runs past RAM
    auto s = q.enable(c);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("used ring"), std::string::npos);
}

TEST(Virtqueue, ChainOfMoreThan1024BuffersIsAnError) {
    TestRam ram(1 << 20);
    VirtqDriver drv(ram, 8, kBase, kIndirect);
    Virtqueue q(ram, 0);
    ASSERT_TRUE(q.enable(drv.config));
    uint64_t table = kBase + 0x40000;
    constexpr unsigned n = 1025;
    for (unsigned i = 0; i < n; ++i) {
        ram.put<uint64_t>(table + 16 * i, kBase + 0x10000);
        ram.put<uint32_t>(table + 16 * i + 8, 4);
        ram.put<uint16_t>(table + 16 * i + 12, i + 1 < n ? VirtqDriver::kNext : 0);
        ram.put<uint16_t>(table + 16 * i + 14, static_cast<uint16_t>(i + 1));
    }
    drv.set_desc(0, table, 16 * n, VirtqDriver::kIndirect, 0);
    drv.publish(0);
    EXPECT_FALSE(q.pop());
}

TEST(Virtqueue, NoInterruptFlagSuppressesInterrupts) {
    TestRam ram(1 << 20);
    VirtqDriver drv(ram, 8, kBase, 0);
    Virtqueue q(ram, 0);
    ASSERT_TRUE(q.enable(drv.config));
    drv.set_avail_flags(1);
    drv.add({{kBase + 0x10000, 4, true}});
    auto r = q.pop();
    ASSERT_TRUE(r && r->has_value());
    ASSERT_TRUE(q.push((*r)->head, 0));
    EXPECT_FALSE(q.needs_interrupt());
    // Without EVENT_IDX, disabling notifications sets NO_NOTIFY in the used ring.
    q.disable_notifications();
    EXPECT_EQ(drv.used_flags() & 1, 1);
    EXPECT_FALSE(q.enable_notifications());
    EXPECT_EQ(drv.used_flags() & 1, 0);
    drv.add({{kBase + 0x10000, 4, true}});
    q.disable_notifications();
    EXPECT_TRUE(q.enable_notifications()); // a buffer came while they were off
}

TEST(Virtqueue, EventIdxInterruptsOnlyPastUsedEvent) {
    TestRam ram(1 << 20);
    VirtqDriver drv(ram, 8, kBase, kEventIdx);
    Virtqueue q(ram, 0);
    ASSERT_TRUE(q.enable(drv.config));
    // The driver wants an interrupt once used entry 2 (the third) is there.
    drv.set_used_event(2);
    for (int i = 0; i < 3; ++i) {
        drv.add({{kBase + 0x10000, 4, true}});
        auto r = q.pop();
        ASSERT_TRUE(r && r->has_value());
        ASSERT_TRUE(q.push((*r)->head, 4));
        EXPECT_EQ(q.needs_interrupt(), i == 2) << i;
    }
    // avail_event tells the driver where to notify next.
    EXPECT_FALSE(q.enable_notifications());
    EXPECT_EQ(drv.avail_event(), 3);
    drv.add({{kBase + 0x10000, 4, true}});
    EXPECT_TRUE(q.enable_notifications());
}

TEST(Virtqueue, PositionsSurviveSaveAndRestore) {
    TestRam ram(1 << 20);
    VirtqDriver drv(ram, 8, kBase, 0);
    Virtqueue q(ram, 0);
    ASSERT_TRUE(q.enable(drv.config));
    drv.add({{kBase + 0x10000, 4, true}});
    drv.add({{kBase + 0x11000, 4, true}});
    auto r = q.pop();
    ASSERT_TRUE(r && r->has_value());
    ASSERT_TRUE(q.push((*r)->head, 4));

    Virtqueue restored(ram, 0);
    ASSERT_TRUE(restored.enable(drv.config));
    restored.set_positions(q.next_avail(), q.next_used());
    auto next = restored.pop();
    ASSERT_TRUE(next && next->has_value());
    EXPECT_EQ((*next)->writable[0].gpa, kBase + 0x11000);
}

} // namespace
} // namespace virtd::pv::virtio
