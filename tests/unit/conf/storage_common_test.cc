#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/storage_common.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

TEST(Permissions, ReadsAndWritesOctalModeAndIds) {
    XmlReader r("<permissions><mode>755</mode><owner>-1</owner><group>107</group>"
                "<label>l</label></permissions>");
    Permissions p = Permissions::read(r.root("permissions"));
    EXPECT_TRUE(r.finish().empty());
    EXPECT_EQ(p.mode, 0755u);
    EXPECT_EQ(p.owner, -1);
    EXPECT_EQ(p.group, 107);
    EXPECT_EQ(p.label, "l");
    pugi::xml_document doc;
    p.write(doc);
    EXPECT_EQ(format_xml(doc), "<permissions>\n  <mode>0755</mode>\n  <owner>-1</owner>\n"
                               "  <group>107</group>\n  <label>l</label>\n</permissions>\n");
}

TEST(Permissions, BadValuesAreNamed) {
    XmlReader r("<permissions>\n<mode>8</mode>\n<owner>-2</owner>\n<group>x</group>\n"
                "</permissions>");
    Permissions::read(r.root("permissions"));
    EXPECT_THAT(r.finish(),
                ::testing::ElementsAre("line 2: mode: expected an octal mode 0..07777, got '8'",
                                       "line 3: owner: expected a numeric id (or -1), got '-2'",
                                       "line 4: group: expected a numeric id (or -1), got 'x'"));
}

} // namespace
} // namespace virtd::conf
