// PlainChannel over a real socket pair: bytes both ways, nothing-ready, and the peer closing.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/channel.h"

namespace virtd::rpc {
namespace {

TEST(PlainChannel, MovesBytesAndReportsAClosedPeer) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    PlainChannel a{UniqueFd(sv[0])};
    PlainChannel b{UniqueFd(sv[1])};
    EXPECT_EQ(a.fd(), sv[0]);

    std::string in;
    Result<size_t> none = b.read(in);
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, 0u); // nothing ready is not an error

    Result<size_t> w = a.write("hello");
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, 5u);
    Result<size_t> r = b.read(in);
    ASSERT_TRUE(r);
    EXPECT_EQ(in, "hello");

    // A full socket takes less than offered, then nothing, without blocking.
    std::string big(1 << 22, 'x');
    Result<size_t> part = a.write(big);
    ASSERT_TRUE(part);
    EXPECT_LT(*part, big.size());

    ::shutdown(sv[0], SHUT_WR);
    std::string rest;
    Result<size_t> got = b.read(rest);
    while (got && *got > 0)
        got = b.read(rest);
    ASSERT_FALSE(got);
    EXPECT_NE(got.error().message().find("closed by the peer"), std::string::npos);
}

} // namespace
} // namespace virtd::rpc
