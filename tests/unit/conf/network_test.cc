#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/network.h"

namespace virtd::conf {
namespace {

using ::testing::HasSubstr;

TEST(Network, ParsesNatNetworkWithDhcp) {
    Result<NetworkDef> n = NetworkDef::parse(R"(<network>
  <name>default</name>
  <forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='52:54:00:00:00:07' name='web' ip='192.168.122.7'/>
    </dhcp>
  </ip>
</network>)");
    ASSERT_TRUE(n.ok()) << n.error().message();
    EXPECT_EQ(n->name, "default");
    ASSERT_TRUE(n->forward);
    EXPECT_EQ(n->forward->effective_mode(), ForwardMode::Nat);
    EXPECT_EQ(n->forward->nat_port_start, 1024u);
    EXPECT_EQ(n->bridge->name, "virbr0");
    EXPECT_EQ(n->bridge->stp, true);
    ASSERT_EQ(n->ips.size(), 1u);
    EXPECT_EQ(n->ips[0].netmask, "255.255.255.0");
    ASSERT_EQ(n->ips[0].ranges.size(), 1u);
    EXPECT_EQ(n->ips[0].ranges[0].end, "192.168.122.254");
    ASSERT_EQ(n->ips[0].hosts.size(), 1u);
    EXPECT_EQ(n->ips[0].hosts[0].mac->format(), "52:54:00:00:00:07");
    Result<NetworkDef> again = NetworkDef::parse(n->format());
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *n);
}

TEST(Network, AbsentForwardIsIsolated) {
    Result<NetworkDef> n =
        NetworkDef::parse("<network><name>iso</name><ip address='10.0.0.1' prefix='8'/></network>");
    ASSERT_TRUE(n.ok());
    EXPECT_FALSE(n->forward);
    EXPECT_EQ(n->format(), "<network>\n  <name>iso</name>\n"
                           "  <ip address='10.0.0.1' prefix='8' />\n</network>\n");
}

TEST(Network, Ipv6SubnetsAreChecked) {
    Result<NetworkDef> n =
        NetworkDef::parse("<network><name>v6</name><ip family='ipv6' address='fd00::1' prefix='64'>"
                          "<dhcp><range start='fd00::10' end='fd01::10'/></dhcp></ip></network>");
    ASSERT_FALSE(n.ok());
    EXPECT_THAT(n.error().message(),
                HasSubstr("attribute 'end': fd01::10 is outside the network fd00::1/64"));
    Result<NetworkDef> fam = NetworkDef::parse(
        "<network><name>v6</name><ip family='ipv6' address='10.0.0.1'/></network>");
    ASSERT_FALSE(fam.ok());
    EXPECT_THAT(fam.error().message(), HasSubstr("address 10.0.0.1 is not ipv6"));
}

TEST(Network, ErrorsCarryTheNetworkDomain) {
    Result<NetworkDef> n = NetworkDef::parse("<network><name>a/b</name></network>");
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().domain(), ErrorDomain::Network);
    EXPECT_EQ(n.error().code(), ErrorCode::XmlError);
}

} // namespace
} // namespace virtd::conf
