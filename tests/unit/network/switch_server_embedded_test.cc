// SwitchServer embedded in a process's own EventLoop, as the daemon will run it.
#include <cstdlib>
#include <string>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/fd.h"
#include "network/switch/switch_server.h"
#include "network/switch_port.h"
#include "tests/unit/network/frame_util.h"

namespace virtd::network {
namespace {

using testing::frame;
using testing::kBroadcast;
using testing::mac;

class EmbeddedSwitchTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/virtd-switch-embedded-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        socket_ = dir_ + "/sw.sock";
    }
    void TearDown() override { rmdir(dir_.c_str()); }

    std::string dir_, socket_;
};

TEST_F(EmbeddedSwitchTest, ReplacesStaleSocketServesAndCleansUp) {
    // A socket file nobody listens on any more, as a crashed switch leaves behind.
    {
        UniqueFd stale(socket(AF_UNIX, SOCK_SEQPACKET, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        socket_.copy(addr.sun_path, sizeof addr.sun_path - 1);
        ASSERT_EQ(bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    EventLoop loop;
    auto server = std::make_unique<SwitchServer>(loop);
    Status s = server->listen(socket_, 0600);
    ASSERT_TRUE(s) << s.error().message();
    struct stat st {};
    ASSERT_EQ(stat(socket_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(server->listen(socket_)); // once only

    std::thread loop_thread([&] { loop.run(); });
    auto a = connect_switch(socket_, mac(1), VlanMode::access(7));
    auto b = connect_switch(socket_, mac(2), VlanMode::trunk_of({7}));
    ASSERT_TRUE(a && b);
    auto f = frame(kBroadcast, mac(1), "embedded");
    iovec iov{f.data(), f.size()};
    ASSERT_TRUE((*a)->send({&iov, 1}));
    pollfd pfd{(*b)->rx_fd(), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 2000), 1);
    std::vector<uint8_t> buf(kMaxFrameSize);
    Result<size_t> n = (*b)->receive(buf);
    ASSERT_TRUE(n);
    buf.resize(*n);
    EXPECT_EQ(buf, frame(kBroadcast, mac(1), "embedded", 7));

    // Stopped and destroyed on the loop's thread, as the header asks.
    loop.post([&] {
        EXPECT_EQ(server->connection_count(), 2u);
        EXPECT_EQ(server->core().port_count(), 2u);
        server.reset();
        loop.stop();
    });
    loop_thread.join();
    EXPECT_NE(access(socket_.c_str(), F_OK), 0);
    // The ports see the switch go away.
    pfd = {(*a)->rx_fd(), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 2000), 1);
    EXPECT_FALSE((*a)->receive(buf));
}

TEST_F(EmbeddedSwitchTest, RefusesNonSocketPath) {
    std::string file = dir_ + "/plain";
    UniqueFd fd(open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    EventLoop loop;
    SwitchServer server(loop);
    Status s = server.listen(file);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("not a socket"), std::string::npos);
    unlink(file.c_str());
    EXPECT_FALSE(server.listen(std::string(200, 'x')));
}

} // namespace
} // namespace virtd::network
