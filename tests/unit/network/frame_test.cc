#include <gtest/gtest.h>

#include "network/switch/frame.h"
#include "tests/unit/network/frame_util.h"

namespace virtd::network {
namespace {

using testing::frame;
using testing::mac;

TEST(FrameTest, ParsesUntaggedHeader) {
    auto f = frame(mac(2), mac(1), "hi");
    std::optional<FrameHeader> h = parse_frame_header(f);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->dst, mac(2));
    EXPECT_EQ(h->src, mac(1));
    EXPECT_FALSE(h->tci);
    EXPECT_EQ(h->vlan_id(), 0);
}

TEST(FrameTest, ParsesTagWithPriority) {
    auto f = frame(mac(2), mac(1), "hi", 0xa00a); // priority 5, VLAN 10
    std::optional<FrameHeader> h = parse_frame_header(f);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->tci, 0xa00a);
    EXPECT_EQ(h->vlan_id(), 10);
}

TEST(FrameTest, RejectsRunts) {
    auto f = frame(mac(2), mac(1), "");
    EXPECT_FALSE(parse_frame_header(std::span(f).first(13)));
    EXPECT_TRUE(parse_frame_header(f));
    auto t = frame(mac(2), mac(1), "", 10);
    EXPECT_FALSE(parse_frame_header(std::span(t).first(17)));
    EXPECT_FALSE(parse_frame_header({}));
}

TEST(FrameTest, AddAndStripTagRoundTrip) {
    auto plain = frame(mac(2), mac(1), "payload");
    auto tagged = add_vlan_tag(plain, 20);
    EXPECT_EQ(tagged, frame(mac(2), mac(1), "payload", 20));
    EXPECT_EQ(strip_vlan_tag(tagged), plain);
}

} // namespace
} // namespace virtd::network
