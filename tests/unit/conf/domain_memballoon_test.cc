#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_memballoon.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

TEST(Memballoon, VirtioWithStatsRoundTrips) {
    XmlReader r("<memballoon model='virtio' autodeflate='on'><stats period='10'/></memballoon>");
    MemballoonDef d = MemballoonDef::read(r.root("memballoon"));
    EXPECT_TRUE(r.finish().empty());
    EXPECT_EQ(d.model, BalloonModel::Virtio);
    EXPECT_EQ(d.autodeflate, true);
    EXPECT_EQ(d.free_page_reporting, std::nullopt);
    EXPECT_EQ(d.stats_period, 10u);
    pugi::xml_document doc;
    d.write(doc);
    EXPECT_EQ(format_xml(doc), "<memballoon model='virtio' autodeflate='on'>\n"
                               "  <stats period='10' />\n</memballoon>\n");
}

TEST(Memballoon, NoneCannotBeConfigured) {
    XmlReader r("<memballoon model='none' autodeflate='off'/>");
    MemballoonDef::read(r.root("memballoon"));
    EXPECT_THAT(r.finish(), ::testing::ElementsAre(
                                "line 1: memballoon: model 'none' has no balloon to configure"));
}

} // namespace
} // namespace virtd::conf
