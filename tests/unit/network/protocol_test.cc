#include <gtest/gtest.h>

#include "network/switch/protocol.h"
#include "tests/unit/network/frame_util.h"

namespace virtd::network::switchproto {
namespace {

using testing::mac;

TEST(ProtocolTest, AccessHelloLayout) {
    std::vector<uint8_t> m = encode_hello({mac(7), VlanMode::access(10)});
    EXPECT_EQ(
        m, (std::vector<uint8_t>{'V', 'S', 'W', 'H', 0, 1, 0, 0, 0x52, 0x54, 0, 0, 0, 7, 0, 10}));
    Result<Hello> h = decode_hello(m);
    ASSERT_TRUE(h) << h.error().message();
    EXPECT_EQ(h->mac, mac(7));
    EXPECT_EQ(h->vlan, VlanMode::access(10));
}

TEST(ProtocolTest, TrunkHelloRoundTrip) {
    Hello hello{mac(8), VlanMode::trunk_of({10, 20, 4094})};
    std::vector<uint8_t> m = encode_hello(hello);
    EXPECT_EQ(m.size(), kHelloHeaderSize + 6);
    Result<Hello> h = decode_hello(m);
    ASSERT_TRUE(h) << h.error().message();
    EXPECT_EQ(*h, hello);
}

// Each hello is a good one with one thing broken; each must be refused, never read past.
TEST(ProtocolTest, MalformedHellosRefused) {
    std::vector<uint8_t> good = encode_hello({mac(1), VlanMode::access(10)});
    std::vector<uint8_t> trunk = encode_hello({mac(1), VlanMode::trunk_of({10, 20})});
    auto with = [](std::vector<uint8_t> m, size_t at, uint8_t v) {
        m[at] = v;
        return m;
    };
    std::vector<std::pair<std::string, std::vector<uint8_t>>> bad = {
        {"empty", {}},
        {"short", std::vector<uint8_t>(good.begin(), good.end() - 1)},
        {"long",
         [&] {
             auto m = good;
             m.push_back(0);
             return m;
         }()},
        {"magic", with(good, 0, 'X')},
        {"version", with(good, 5, 2)},
        {"mode", with(good, 7, 2)},
        {"multicast mac", with(good, 8, 0x01)},
        {"zero mac",
         [&] {
             auto m = good;
             std::fill(m.begin() + 8, m.begin() + 14, 0);
             return m;
         }()},
        {"vlan 0", with(good, 15, 0)},
        {"vlan 4095", with(with(good, 14, 0x0f), 15, 0xff)},
        {"trunk count 0", with(trunk, 15, 0)},
        {"trunk count too big", with(trunk, 15, 3)},
        {"trunk truncated", std::vector<uint8_t>(trunk.begin(), trunk.end() - 1)},
        {"trunk repeated", with(trunk, 19, 10)},
        {"trunk unsorted", with(trunk, 17, 30)},
        {"trunk vlan 0", with(trunk, 17, 0)},
        {"trunk count huge", with(with(trunk, 14, 0xff), 15, 0xff)},
    };
    for (const auto& [name, m] : bad) {
        Result<Hello> h = decode_hello(m);
        EXPECT_FALSE(h) << name;
        if (!h) {
            EXPECT_NE(h.error().message().find("malformed port hello"), std::string::npos);
        }
    }
}

TEST(ProtocolTest, Answers) {
    EXPECT_TRUE(decode_answer(encode_accept()));
    Status refused = decode_answer(encode_refusal("MAC taken\n"));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message().find("MAC taken?"), std::string::npos);
    EXPECT_EQ(encode_refusal(std::string(5000, 'x')).size(), kMaxAnswerSize);
    auto accept = encode_accept();
    accept.push_back(0);
    EXPECT_FALSE(decode_answer(accept));
    EXPECT_FALSE(decode_answer(encode_hello({testing::mac(1), VlanMode()})));
    EXPECT_FALSE(decode_answer({}));
}

} // namespace
} // namespace virtd::network::switchproto
