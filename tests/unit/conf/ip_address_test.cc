#include <gtest/gtest.h>

#include "conf/ip_address.h"

namespace virtd::conf {
namespace {

TEST(IpAddress, ParsesBothFamilies) {
    auto v4 = IpAddress::parse("192.168.1.7");
    ASSERT_TRUE(v4);
    EXPECT_FALSE(v4->v6);
    EXPECT_EQ(v4->bytes[3], 7);
    auto v6 = IpAddress::parse("fd00::1");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_FALSE(IpAddress::parse("192.168.1"));
    EXPECT_FALSE(IpAddress::parse("fd00:::1"));
    EXPECT_FALSE(IpAddress::parse(""));
}

TEST(IpAddress, SubnetsAndNetmasks) {
    auto a = *IpAddress::parse("10.1.2.3");
    EXPECT_TRUE(a.same_subnet(*IpAddress::parse("10.1.255.0"), 16));
    EXPECT_FALSE(a.same_subnet(*IpAddress::parse("10.2.0.0"), 16));
    EXPECT_TRUE(a.same_subnet(*IpAddress::parse("99.0.0.0"), 0));
    EXPECT_FALSE(a.same_subnet(*IpAddress::parse("fd00::1"), 0));
    EXPECT_EQ(IpAddress::parse("255.255.240.0")->netmask_prefix(), 20u);
    EXPECT_EQ(IpAddress::parse("0.0.0.0")->netmask_prefix(), 0u);
    EXPECT_EQ(IpAddress::parse("255.255.255.255")->netmask_prefix(), 32u);
    EXPECT_EQ(IpAddress::parse("255.0.255.0")->netmask_prefix(), std::nullopt);
}

} // namespace
} // namespace virtd::conf
