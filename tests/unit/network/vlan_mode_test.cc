#include <gtest/gtest.h>

#include "network/vlan_mode.h"

namespace virtd::network {
namespace {

TEST(VlanModeTest, AccessDefaultsToVlanOne) {
    VlanMode m;
    EXPECT_FALSE(m.trunk);
    EXPECT_EQ(m.access_vlan, 1);
    EXPECT_TRUE(m.validate());
    EXPECT_TRUE(m.member(1));
    EXPECT_FALSE(m.member(2));
    EXPECT_EQ(m.describe(), "vlan 1");
}

TEST(VlanModeTest, AccessIdRange) {
    EXPECT_TRUE(VlanMode::access(4094).validate());
    EXPECT_FALSE(VlanMode::access(0).validate());
    Status s = VlanMode::access(4095).validate();
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("4095"), std::string::npos);
}

TEST(VlanModeTest, TrunkSortsAndChecks) {
    VlanMode t = VlanMode::trunk_of({30, 10, 20});
    EXPECT_TRUE(t.validate());
    EXPECT_EQ(t.allowed, (std::vector<uint16_t>{10, 20, 30}));
    EXPECT_TRUE(t.member(20));
    EXPECT_FALSE(t.member(25));
    EXPECT_EQ(t.describe(), "trunk 10,20,30");
    EXPECT_FALSE(VlanMode::trunk_of({}).validate());
    EXPECT_FALSE(VlanMode::trunk_of({10, 10}).validate());
    EXPECT_FALSE(VlanMode::trunk_of({0, 10}).validate());
    EXPECT_FALSE(VlanMode::trunk_of({10, 4095}).validate());
}

} // namespace
} // namespace virtd::network
