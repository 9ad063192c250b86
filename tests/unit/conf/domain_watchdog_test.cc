#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_watchdog.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

TEST(Watchdog, KeptAsWritten) {
    XmlReader r("<watchdog model='ib700' action='inject-nmi'/>");
    WatchdogDef d = WatchdogDef::read(r.root("watchdog"));
    EXPECT_TRUE(r.finish().empty());
    EXPECT_EQ(d.model, WatchdogModel::Ib700);
    EXPECT_EQ(d.action, WatchdogAction::InjectNmi);
    pugi::xml_document doc;
    d.write(doc);
    EXPECT_EQ(format_xml(doc), "<watchdog model='ib700' action='inject-nmi' />\n");
}

TEST(Watchdog, UnknownModelIsNamed) {
    XmlReader r("<watchdog model='sp805'/>");
    WatchdogDef::read(r.root("watchdog"));
    EXPECT_THAT(r.finish(),
                ::testing::ElementsAre("line 1: watchdog: attribute 'model': unknown value 'sp805' "
                                       "(expected one of: i6300esb, ib700, diag288)"));
}

} // namespace
} // namespace virtd::conf
