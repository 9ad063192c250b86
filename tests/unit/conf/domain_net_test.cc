#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_net.h"
#include "conf/schema.h"
#include "conf/xml_writer.h"
#include "tests/unit/conf/device_helpers.h"

namespace virtd::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct ReadResult {
    InterfaceDef nic;
    std::vector<std::string> errors;
};

ReadResult read_nic(std::string_view xml) {
    testing::DeviceRead<InterfaceDef> r = testing::read_device<InterfaceDef>(xml, "interface");
    return {r.device, r.errors};
}

std::string format_nic(const InterfaceDef& d) {
    return testing::format_device(d);
}

void expect_round_trip(const InterfaceDef& d) {
    testing::expect_device_round_trip(d, "interface");
}

TEST(Interface, ReadsNetworkInterfaceWithEverything) {
    ReadResult r = read_nic(R"(<interface type='network'>
  <mac address='52:54:00:AB:CD:EF'/>
  <source network='default' portgroup='web'/>
  <vlan trunk='yes'>
    <tag id='42'/>
    <tag id='47' nativeMode='untagged'/>
  </vlan>
  <target dev='vnet7'/>
  <model type='virtio'/>
  <link state='down'/>
  <mtu size='9000'/>
  <boot order='2'/>
  <address type='virtio-mmio'/>
</interface>)");
    ASSERT_THAT(r.errors, IsEmpty());
    const InterfaceDef& d = r.nic;
    EXPECT_EQ(d.type, InterfaceType::Network);
    ASSERT_TRUE(d.mac);
    EXPECT_EQ(d.mac->format(), "52:54:00:ab:cd:ef");
    EXPECT_EQ(d.network, "default");
    EXPECT_EQ(d.portgroup, "web");
    ASSERT_TRUE(d.vlan);
    EXPECT_EQ(d.vlan->trunk, true);
    EXPECT_EQ(d.vlan->tags.size(), 2u);
    EXPECT_EQ(d.target_dev, "vnet7");
    EXPECT_EQ(d.model, InterfaceModel::Virtio);
    EXPECT_EQ(d.link, LinkState::Down);
    EXPECT_EQ(d.mtu, 9000u);
    EXPECT_EQ(d.boot_order, 2u);
    ASSERT_TRUE(d.address);
    expect_round_trip(d);
}

TEST(Interface, FormatsAsLibvirtDoes) {
    ReadResult r = read_nic("<interface type='bridge'><model type='virtio'/>"
                            "<source bridge='br0'/><mac address='52:54:00:00:00:01'/></interface>");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.nic.bridge, "br0");
    EXPECT_EQ(format_nic(r.nic), "<interface type='bridge'>\n"
                                 "  <mac address='52:54:00:00:00:01' />\n"
                                 "  <source bridge='br0' />\n"
                                 "  <model type='virtio' />\n"
                                 "</interface>\n");
    expect_round_trip(r.nic);
}

TEST(Interface, EthernetHasNoSource) {
    ReadResult r = read_nic("<interface type='ethernet'><target dev='tap-web1'/></interface>");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.nic.type, InterfaceType::Ethernet);
    EXPECT_FALSE(r.nic.mac);
    expect_round_trip(r.nic);

    ReadResult bad = read_nic("<interface type='ethernet'>\n<source bridge='br0'/></interface>");
    EXPECT_THAT(bad.errors,
                ElementsAre("line 2: source: an interface of type 'ethernet' takes no <source>"));
}

TEST(Interface, SourceMustMatchType) {
    ReadResult r = read_nic("<interface type='bridge'>\n<source network='default'/></interface>");
    EXPECT_THAT(r.errors,
                ElementsAre("line 2: source: attribute 'network' does not match an interface of "
                            "type 'bridge'",
                            "line 2: source: missing attribute 'bridge'"));
    ReadResult none = read_nic("<interface type='network'><model type='virtio'/></interface>");
    EXPECT_THAT(none.errors, ElementsAre("line 1: interface: missing element 'source'"));
    ReadResult slash = read_nic("<interface type='network'>\n<source network='a/b'/></interface>");
    EXPECT_THAT(slash.errors,
                ElementsAre("line 2: source: attribute 'network': invalid name 'a/b'"));
}

TEST(Interface, MacRules) {
    ReadResult multi = read_nic("<interface type='network'><source network='default'/>\n"
                                "<mac address='01:00:5e:00:00:01'/></interface>");
    EXPECT_THAT(multi.errors, ElementsAre("line 2: mac: expected unicast mac address, found "
                                          "multicast '01:00:5e:00:00:01'"));
    ReadResult bad = read_nic("<interface type='network'><source network='default'/>\n"
                              "<mac address='52:54:00:12:34'/></interface>");
    EXPECT_THAT(bad.errors, ElementsAre("line 2: mac: malformed MAC address '52:54:00:12:34'"));
}

TEST(Interface, OtherRules) {
    ReadResult r = read_nic("<interface type='network'><source network='default'/>\n"
                            "<model type='e1000'/>\n"
                            "<target dev='a-very-long-name0'/>\n"
                            "<link state='sideways'/>\n"
                            "<mtu size='67'/>\n"
                            "<boot/>\n"
                            "<vlan><tag id='5000'/></vlan>\n"
                            "</interface>");
    EXPECT_THAT(r.errors,
                ElementsAre("line 2: model: attribute 'type': unknown value 'e1000' (expected one "
                            "of: virtio)",
                            "line 3: target: attribute 'dev': invalid interface name "
                            "'a-very-long-name0' (1 to 15 letters, digits and _ . -, not starting "
                            "with '.')",
                            "line 4: link: attribute 'state': unknown value 'sideways' (expected "
                            "one of: up, down)",
                            "line 5: mtu: attribute 'size': 67 is out of range 68..65535",
                            "line 6: boot: missing attribute 'order'",
                            "line 7: tag: attribute 'id': 5000 is out of range 0..4095"));
    ReadResult type = read_nic("<interface type='direct'><source dev='eth0'/></interface>");
    EXPECT_THAT(type.errors, ElementsAre("line 1: interface: attribute 'type': unknown value "
                                         "'direct' (expected one of: network, bridge, ethernet)"));
}

TEST(Interface, SchemaRejectsWhatConfRejects) {
    for (const char* bad : {
             "<interface type='bridge'><source network='default'/></interface>",
             "<interface type='network'/>",
             "<interface type='ethernet'><source bridge='br0'/></interface>",
             "<interface type='network'><source network='default'/>"
             "<mac address='01:00:5e:00:00:01'/></interface>",
             "<interface type='network'><source network='default'/><model type='e1000'/>"
             "</interface>",
             "<interface type='network'><source network='default'/>"
             "<target dev='a-very-long-name0'/></interface>",
             "<interface type='network'><source network='default'/><mtu size='67'/></interface>",
             "<interface type='direct'><source dev='eth0'/></interface>",
         }) {
        EXPECT_FALSE(read_nic(bad).errors.empty()) << bad;
        EXPECT_THAT(validate_with_schema("domain.rng", testing::domain_with(bad)),
                    ::testing::Not(IsEmpty()))
            << bad;
    }
}

} // namespace
} // namespace virtd::conf
