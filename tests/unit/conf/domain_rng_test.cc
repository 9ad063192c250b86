#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_rng.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

TEST(Rng, ReadsRateAndSourceAndRoundTrips) {
    XmlReader r("<rng model='virtio'><rate bytes='2048' period='500'/>"
                "<backend model='random'>/dev/random</backend></rng>");
    RngDef d = RngDef::read(r.root("rng"));
    EXPECT_TRUE(r.finish().empty());
    EXPECT_EQ(d.rate_bytes, 2048u);
    EXPECT_EQ(d.rate_period, 500u);
    EXPECT_EQ(d.source, RngSource::Random);
    pugi::xml_document doc;
    d.write(doc);
    EXPECT_EQ(format_xml(doc), "<rng model='virtio'>\n  <rate bytes='2048' period='500' />\n"
                               "  <backend model='random'>/dev/random</backend>\n</rng>\n");
    XmlReader again(format_xml(doc));
    EXPECT_EQ(RngDef::read(again.root("rng")), d);
}

TEST(Rng, BackendWithoutPathMeansDefault) {
    XmlReader r("<rng model='virtio'><backend model='random'/></rng>");
    RngDef d = RngDef::read(r.root("rng"));
    EXPECT_TRUE(r.finish().empty());
    EXPECT_EQ(d.source, std::nullopt);
}

TEST(Rng, RateNeedsBytes) {
    XmlReader r("<rng model='virtio'><rate period='5'/><backend model='random'/></rng>");
    RngDef::read(r.root("rng"));
    EXPECT_THAT(r.finish(), ::testing::ElementsAre("line 1: rate: missing attribute 'bytes'"));
}

} // namespace
} // namespace virtd::conf
