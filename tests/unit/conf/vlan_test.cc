#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/vlan.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

using ::testing::ElementsAre;

TEST(Vlan, ReadsTrunkWithNativeTag) {
    XmlReader r("<vlan trunk='yes'><tag id='42'/><tag id='47' nativeMode='untagged'/></vlan>");
    VlanDef v = VlanDef::read(r.root("vlan"));
    EXPECT_TRUE(r.finish().empty());
    EXPECT_EQ(v.trunk, true);
    ASSERT_EQ(v.tags.size(), 2u);
    EXPECT_EQ(v.tags[0].id, 42u);
    EXPECT_EQ(v.tags[1].native_mode, VlanNativeMode::Untagged);

    pugi::xml_document doc;
    v.write(doc);
    XmlReader again(format_xml(doc));
    EXPECT_EQ(VlanDef::read(again.root("vlan")), v);
    EXPECT_TRUE(again.finish().empty());
}

TEST(Vlan, RulesAreEnforced) {
    XmlReader r("<vlan>\n<tag id='4096'/>\n<tag id='1' nativeMode='untagged'/>\n</vlan>");
    VlanDef::read(r.root("vlan"));
    EXPECT_THAT(r.finish(),
                ElementsAre("line 1: vlan: more than one tag requires trunk='yes'",
                            "line 2: tag: attribute 'id': 4096 is out of range 0..4095"));
    XmlReader empty("<vlan trunk='no'/>");
    VlanDef::read(empty.root("vlan"));
    EXPECT_THAT(empty.finish(), ElementsAre("line 1: vlan: needs at least one <tag>"));
}

} // namespace
} // namespace virtd::conf
