#include <gtest/gtest.h>

#include "common/mac.h"

namespace virtd {
namespace {

TEST(Mac, ParsesAndFormats) {
    Result<MacAddress> m = MacAddress::parse("52:54:00:AB:cd:0F");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->format(), "52:54:00:ab:cd:0f");
    EXPECT_FALSE(m->is_multicast());
    EXPECT_TRUE(MacAddress::parse("01:00:5e:00:00:01")->is_multicast());
}

TEST(Mac, RejectsMalformed) {
    for (const char* bad : {"", "52:54:00:ab:cd", "52:54:00:ab:cd:0g", "52-54-00-ab-cd-0f",
                            "52:54:00:ab:cd:0f:", "525:4:00:ab:cd:0f"}) {
        Result<MacAddress> r = MacAddress::parse(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code(), ErrorCode::InvalidMac);
        EXPECT_EQ(r.error().message(), std::string("malformed MAC address '") + bad + "'");
    }
}

TEST(Mac, GeneratesUnicastInQemuPrefix) {
    MacAddress a = MacAddress::generate();
    EXPECT_EQ(a.format().substr(0, 9), "52:54:00:");
    EXPECT_FALSE(a.is_multicast());
    EXPECT_EQ(*MacAddress::parse(a.format()), a);
}

} // namespace
} // namespace virtd
