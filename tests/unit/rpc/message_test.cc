#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rpc/message.h"
#include "rpc/remote_protocol.h"
#include "tests/unit/rpc/hex.h"

namespace virtd::rpc {
namespace {

using testing::from_hex;
using testing::to_hex;

// CONNECT_OPEN as virsh sent it, captured on the wire (research/libvirt-rpc.md §1.1).
constexpr const char* kConnectOpenFrame = "00000038 20008086 00000001 00000001 00000000 00000002 "
                                          "00000000 00000001 0000000f 74657374 3a2f2f2f "
                                          "64656661 756c7400 00000000";

TEST(Message, EncodesTheCapturedConnectOpenExactly) {
    XdrWriter args;
    encode(args, ConnectOpenArgs{"test:///default", 0});
    MessageHeader h{kRemoteProgram, 1, 1, MessageType::Call, 2, MessageStatus::Ok};
    EXPECT_EQ(to_hex(encode_message(h, args.data())), to_hex(from_hex(kConnectOpenFrame)));
}

TEST(Message, DecodesTheCapturedConnectOpen) {
    std::string frame = from_hex(kConnectOpenFrame);
    XdrReader r(frame);
    uint32_t len = 0;
    ASSERT_TRUE(r.u32(len));
    ASSERT_TRUE(check_frame_length(len).ok());
    EXPECT_EQ(len, frame.size());
    Result<MessageHeader> h = decode_header(r);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->program, 0x20008086u);
    EXPECT_EQ(h->proc, 1);
    EXPECT_EQ(h->serial, 2u);
    EXPECT_EQ(h->type, MessageType::Call);
    ConnectOpenArgs args;
    ASSERT_TRUE(decode(r, args) && r.finish());
    EXPECT_EQ(args.name, "test:///default");
    EXPECT_EQ(args.flags, 0u);
}

TEST(Message, FrameLengthLimits) {
    EXPECT_FALSE(check_frame_length(0).ok());
    EXPECT_FALSE(check_frame_length(27).ok());
    EXPECT_TRUE(check_frame_length(28).ok());
    EXPECT_TRUE(check_frame_length(32 * 1024 * 1024 + 4).ok());
    Result<uint32_t> big = check_frame_length(32 * 1024 * 1024 + 5);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code(), ErrorCode::Rpc);
    EXPECT_THAT(big.error().message(), ::testing::HasSubstr("exceeds the limit"));
}

TEST(Message, BadHeaderValuesAreNamed) {
    std::string type_bytes = from_hex("20008086 00000001 00000001 00000009 00000000 00000000");
    XdrReader type(type_bytes);
    EXPECT_EQ(decode_header(type).error().message(), "unknown message type 9");
    std::string status_bytes = from_hex("20008086 00000001 00000001 00000000 00000000 00000007");
    XdrReader status(status_bytes);
    EXPECT_EQ(decode_header(status).error().message(), "unknown message status 7");
    std::string short_header_bytes = from_hex("20008086 00000001");
    XdrReader short_header(short_header_bytes);
    EXPECT_FALSE(decode_header(short_header).ok());
}

} // namespace
} // namespace virtd::rpc
