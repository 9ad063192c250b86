#include <map>

#include <gtest/gtest.h>

#include "network/switch/switch.h"
#include "tests/unit/network/frame_util.h"

namespace virtd::network {
namespace {

using testing::frame;
using testing::kBroadcast;
using testing::mac;
using Frames = std::vector<std::vector<uint8_t>>;

// A switch whose ports record what they are given.
class SwitchTest : public ::testing::Test {
protected:
    Switch::PortId add(uint8_t last, const VlanMode& vlan) {
        Result<Switch::PortId> id = sw.add_port(
            mac(last), vlan, [this, last](auto f) { got[last].emplace_back(f.begin(), f.end()); });
        EXPECT_TRUE(id) << id.error().message();
        ids[last] = *id;
        return *id;
    }
    void send(uint8_t from, const std::vector<uint8_t>& f) { sw.receive(ids.at(from), f, now); }
    Frames take(uint8_t port) { return std::exchange(got[port], {}); }

    Switch sw;
    Switch::Clock::time_point now = Switch::Clock::now();
    std::map<uint8_t, Switch::PortId> ids;
    std::map<uint8_t, Frames> got;
};

TEST_F(SwitchTest, FloodsBroadcastButNotBack) {
    add(1, VlanMode());
    add(2, VlanMode());
    add(3, VlanMode());
    auto f = frame(kBroadcast, mac(1), "who-has");
    send(1, f);
    EXPECT_EQ(take(1), Frames{});
    EXPECT_EQ(take(2), Frames{f});
    EXPECT_EQ(take(3), Frames{f});
    EXPECT_EQ(sw.stats().flooded, 1u);
}

TEST_F(SwitchTest, LearnsSourcesAndForwardsUnicast) {
    add(1, VlanMode());
    add(2, VlanMode());
    add(3, VlanMode());
    // A MAC the switch has never seen (not a port's own) is flooded, then learned.
    MacAddress behind1 = mac(0x41);
    auto to_unknown = frame(behind1, mac(2), "x");
    send(2, to_unknown);
    EXPECT_EQ(take(1).size(), 1u);
    EXPECT_EQ(take(3).size(), 1u);
    send(1, frame(mac(2), behind1, "reply"));
    EXPECT_EQ(take(2).size(), 1u);
    EXPECT_EQ(take(3), Frames{});
    EXPECT_EQ(sw.lookup(1, behind1, now), ids[1]);
    send(3, frame(behind1, mac(3), "direct"));
    EXPECT_EQ(take(1).size(), 1u);
    EXPECT_EQ(take(2), Frames{});
}

TEST_F(SwitchTest, AccessPortMacIsKnownBeforeItSpeaks) {
    add(1, VlanMode());
    add(2, VlanMode());
    add(3, VlanMode());
    send(1, frame(mac(2), mac(1), "x"));
    EXPECT_EQ(take(2).size(), 1u);
    EXPECT_EQ(take(3), Frames{});
    EXPECT_EQ(sw.stats().unicast, 1u);
}

TEST_F(SwitchTest, NoHairpin) {
    add(1, VlanMode());
    add(2, VlanMode());
    MacAddress behind1 = mac(0x41);
    send(1, frame(kBroadcast, behind1, "hello"));
    take(2);
    // Both hosts behind port 1: the frame must not come back out of port 1.
    send(1, frame(behind1, mac(1), "x"));
    EXPECT_EQ(take(1), Frames{});
    EXPECT_EQ(take(2), Frames{});
    EXPECT_EQ(sw.stats().hairpin_drops, 1u);
}

TEST_F(SwitchTest, MacEntriesAgeOut) {
    add(1, VlanMode());
    add(2, VlanMode());
    add(3, VlanMode());
    MacAddress behind1 = mac(0x41);
    send(1, frame(kBroadcast, behind1, "hello"));
    EXPECT_EQ(sw.lookup(1, behind1, now), ids[1]);
    now += sw.limits().mac_aging;
    EXPECT_FALSE(sw.lookup(1, behind1, now));
    size_t before = sw.mac_count();
    sw.age(now);
    EXPECT_LT(sw.mac_count(), before);
    take(2);
    take(3);
    send(2, frame(behind1, mac(2), "flooded again"));
    EXPECT_EQ(take(1).size(), 1u);
    EXPECT_EQ(take(3).size(), 1u);
}

TEST_F(SwitchTest, MacMovesToNewPort) {
    add(1, VlanMode());
    add(2, VlanMode());
    add(3, VlanMode());
    MacAddress roaming = mac(0x41);
    send(1, frame(kBroadcast, roaming, "a"));
    send(2, frame(kBroadcast, roaming, "b"));
    EXPECT_EQ(sw.lookup(1, roaming, now), ids[2]);
}

TEST_F(SwitchTest, VlanIsolation) {
    add(1, VlanMode::access(10));
    add(2, VlanMode::access(10));
    add(3, VlanMode::access(20));
    auto b10 = frame(kBroadcast, mac(1), "ten");
    send(1, b10);
    EXPECT_EQ(take(2), Frames{b10});
    EXPECT_EQ(take(3), Frames{});
    send(3, frame(kBroadcast, mac(3), "twenty"));
    send(3, frame(mac(1), mac(3), "unicast across vlans"));
    EXPECT_EQ(take(1), Frames{});
    EXPECT_EQ(take(2), Frames{});
    // The same MAC is learned separately per VLAN.
    EXPECT_EQ(sw.lookup(10, mac(1), now), ids[1]);
    EXPECT_FALSE(sw.lookup(20, mac(1), now));
}

TEST_F(SwitchTest, TrunkTagsAndUntags) {
    add(1, VlanMode::access(10));
    add(2, VlanMode::access(20));
    add(3, VlanMode::trunk_of({10, 20}));
    add(4, VlanMode::trunk_of({20}));
    // Access on 10 -> the trunk carrying 10 gets it tagged; the trunk without 10 gets nothing.
    send(1, frame(kBroadcast, mac(1), "from ten"));
    EXPECT_EQ(take(3), Frames{frame(kBroadcast, mac(1), "from ten", 10)});
    EXPECT_EQ(take(4), Frames{});
    EXPECT_EQ(take(2), Frames{});
    // Trunk, tagged 20 with priority 3 -> the access port on 20 untagged, the other trunk
    // tagged with the priority kept.
    send(3, frame(kBroadcast, mac(3), "from trunk", 0x6000 | 20));
    EXPECT_EQ(take(2), Frames{frame(kBroadcast, mac(3), "from trunk")});
    EXPECT_EQ(take(4), Frames{frame(kBroadcast, mac(3), "from trunk", 0x6000 | 20)});
    EXPECT_EQ(take(1), Frames{});
}

TEST_F(SwitchTest, TrunkUnicastToAccessPortIsUntagged) {
    add(1, VlanMode::access(10));
    add(2, VlanMode::access(10));
    add(3, VlanMode::trunk_of({10, 20}));
    send(3, frame(mac(1), mac(0x43), "to one", 10));
    EXPECT_EQ(take(1), Frames{frame(mac(1), mac(0x43), "to one")});
    EXPECT_EQ(take(2), Frames{});
    // The reply goes back tagged to where the trunk's host was learned.
    send(1, frame(mac(0x43), mac(1), "reply"));
    EXPECT_EQ(take(3), Frames{frame(mac(0x43), mac(1), "reply", 10)});
    EXPECT_EQ(take(2), Frames{});
}

TEST_F(SwitchTest, VlanViolationsDropped) {
    add(1, VlanMode::access(10));
    add(2, VlanMode::access(10));
    add(3, VlanMode::trunk_of({10}));
    send(1, frame(kBroadcast, mac(1), "tagged on access", 10)); // VLAN hopping attempt
    send(3, frame(kBroadcast, mac(3), "untagged on trunk"));
    send(3, frame(kBroadcast, mac(3), "not allowed", 20));
    send(3, frame(kBroadcast, mac(3), "priority only", 0));
    EXPECT_EQ(take(1), Frames{});
    EXPECT_EQ(take(2), Frames{});
    EXPECT_EQ(take(3), Frames{});
    EXPECT_EQ(sw.stats().vlan_drops, 4u);
}

TEST_F(SwitchTest, MalformedFramesDropped) {
    add(1, VlanMode());
    add(2, VlanMode::trunk_of({1, 10}));
    send(1, {});
    send(1, std::vector<uint8_t>(13, 0xff));
    send(1, frame(kBroadcast, kBroadcast, "multicast source"));
    send(1, std::vector<uint8_t>(sw.limits().max_frame_size + 1, 0xff));
    send(2, std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0, 2, 0x81,
                                 0x00, 0x00}); // cut inside the tag
    EXPECT_EQ(sw.stats().malformed, 5u);
    EXPECT_EQ(take(1), Frames{});
    EXPECT_EQ(take(2), Frames{});
    EXPECT_EQ(sw.mac_count(), 1u); // port 1's own MAC only
    // Still forwarding.
    send(1, frame(kBroadcast, mac(1), "fine"));
    EXPECT_EQ(take(2).size(), 1u);
}

TEST_F(SwitchTest, FullSizeFrameThatGrowsWithTagIsNotSentToTrunk) {
    add(1, VlanMode());
    add(2, VlanMode());
    add(3, VlanMode::trunk_of({1}));
    auto big = frame(kBroadcast, mac(1), std::string(sw.limits().max_frame_size - 14, 'x'));
    send(1, big);
    EXPECT_EQ(take(2).size(), 1u);
    EXPECT_EQ(take(3), Frames{});
    EXPECT_EQ(sw.stats().oversize_egress, 1u);
}

TEST_F(SwitchTest, PortRemovalForgetsItsMacs) {
    add(1, VlanMode());
    add(2, VlanMode());
    send(1, frame(kBroadcast, mac(0x41), "x"));
    EXPECT_EQ(sw.mac_count(), 3u);
    sw.remove_port(ids[1]);
    EXPECT_EQ(sw.mac_count(), 1u);
    EXPECT_EQ(sw.port_count(), 1u);
    sw.receive(ids[1], frame(kBroadcast, mac(1), "gone"), now); // ignored
    sw.remove_port(ids[1]);                                     // ignored
}

TEST_F(SwitchTest, AddPortRefusals) {
    add(1, VlanMode());
    EXPECT_FALSE(sw.add_port(mac(1), VlanMode::access(5), [](auto) {}));
    EXPECT_FALSE(sw.add_port(mac(9), VlanMode::access(0), [](auto) {}));
    EXPECT_FALSE(sw.add_port(mac(9), VlanMode::trunk_of({}), [](auto) {}));
}

TEST(SwitchLimitsTest, MaxPortsAndMacs) {
    Switch sw(SwitchLimits{.max_ports = 2, .max_mac_entries = 4});
    auto a = sw.add_port(mac(1), VlanMode(), [](auto) {});
    auto b = sw.add_port(mac(2), VlanMode(), [](auto) {});
    ASSERT_TRUE(a && b);
    Result<Switch::PortId> c = sw.add_port(mac(3), VlanMode(), [](auto) {});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("full"), std::string::npos);
    auto now = Switch::Clock::now();
    for (uint8_t i = 0x40; i < 0x60; i++)
        sw.receive(*a, frame(kBroadcast, mac(i), "spray"), now);
    EXPECT_EQ(sw.mac_count(), 4u);
    // Once the sprayed entries age out, room is made for new ones.
    now += sw.limits().mac_aging + std::chrono::seconds(2);
    sw.receive(*a, frame(kBroadcast, mac(0x70), "late"), now);
    EXPECT_EQ(sw.lookup(1, mac(0x70), now), *a);
}

} // namespace
} // namespace virtd::network
