// The real virtd-switch program on a temporary socket, with ports made by connect_switch.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.h"
#include "network/switch/protocol.h"
#include "network/switch_port.h"
#include "tests/unit/network/frame_util.h"

namespace virtd::network {
namespace {

using testing::frame;
using testing::kBroadcast;
using testing::mac;

// Starts virtd-switch (VIRTD_SWITCH_BIN) on a socket in a fresh temporary directory; stops it
// by pid with SIGTERM and checks it exited cleanly and removed its socket.
class SwitchProgramTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* bin = std::getenv("VIRTD_SWITCH_BIN");
        if (!bin) GTEST_SKIP() << "VIRTD_SWITCH_BIN is not set (run through meson test)";
        char tmpl[] = "/tmp/virtd-switch-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        socket_ = dir_ + "/switch.sock";
        pid_file_ = dir_ + "/switch.pid";
        pid_ = fork();
        ASSERT_GE(pid_, 0);
        if (pid_ == 0) {
            execl(bin, bin, "--socket", socket_.c_str(), "--pid-file", pid_file_.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        // Ready once the pid file is written (after the socket listens).
        for (int i = 0; i < 500 && access(pid_file_.c_str(), F_OK) != 0; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_EQ(access(pid_file_.c_str(), F_OK), 0) << "virtd-switch did not start";
    }

    void TearDown() override {
        if (pid_ > 0) {
            ports_.clear();
            kill(pid_, SIGTERM);
            int status = 0;
            EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
            EXPECT_NE(access(socket_.c_str(), F_OK), 0) << "socket left behind";
            EXPECT_NE(access(pid_file_.c_str(), F_OK), 0) << "pid file left behind";
        }
        if (!dir_.empty()) rmdir(dir_.c_str());
    }

    NetBackend& port(uint8_t last, const VlanMode& vlan) {
        Result<std::unique_ptr<NetBackend>> b = connect_switch(socket_, mac(last), vlan);
        EXPECT_TRUE(b) << b.error().message();
        ports_.push_back(std::move(*b));
        return *ports_.back();
    }

    static void send(NetBackend& b, const std::vector<uint8_t>& f) {
        // Gathered from two pieces, as the virtio device hands them over.
        iovec iov[2] = {{const_cast<uint8_t*>(f.data()), 6},
                        {const_cast<uint8_t*>(f.data()) + 6, f.size() - 6}};
        Status s = b.send(iov);
        EXPECT_TRUE(s) << s.error().message();
    }

    // The next frame on `b`, waiting up to `ms`; empty when none came.
    static std::vector<uint8_t> next(NetBackend& b, int ms = 2000) {
        pollfd pfd{b.rx_fd(), POLLIN, 0};
        if (poll(&pfd, 1, ms) != 1) return {};
        std::vector<uint8_t> buf(kMaxFrameSize);
        Result<size_t> n = b.receive(buf);
        EXPECT_TRUE(n) << n.error().message();
        buf.resize(n ? *n : 0);
        return buf;
    }

    std::string dir_, socket_, pid_file_;
    pid_t pid_ = -1;
    std::vector<std::unique_ptr<NetBackend>> ports_;
};

TEST_F(SwitchProgramTest, PortsExchangeFrames) {
    NetBackend& a = port(1, VlanMode::access(10));
    NetBackend& b = port(2, VlanMode::access(10));
    NetBackend& c = port(3, VlanMode::access(20));
    NetBackend& t = port(4, VlanMode::trunk_of({10, 20}));
    EXPECT_EQ(a.describe(), "switch " + socket_ + " port 52:54:00:00:00:01 vlan 10");
    EXPECT_EQ(t.describe(), "switch " + socket_ + " port 52:54:00:00:00:04 trunk 10,20");

    auto bcast = frame(kBroadcast, mac(1), "hello ten");
    send(a, bcast);
    EXPECT_EQ(next(b), bcast);
    EXPECT_EQ(next(t), frame(kBroadcast, mac(1), "hello ten", 10));
    send(b, frame(mac(1), mac(2), "unicast"));
    EXPECT_EQ(next(a), frame(mac(1), mac(2), "unicast"));
    send(t, frame(mac(3), mac(4), "to twenty", 20));
    EXPECT_EQ(next(c), frame(mac(3), mac(4), "to twenty"));
    // Nothing leaked across VLANs or back to a sender.
    EXPECT_EQ(next(c, 100), std::vector<uint8_t>{});
    EXPECT_EQ(next(a, 100), std::vector<uint8_t>{});
    EXPECT_EQ(next(b, 100), std::vector<uint8_t>{});
    EXPECT_EQ(next(t, 100), std::vector<uint8_t>{});
}

TEST_F(SwitchProgramTest, ManyFramesInBothDirections) {
    NetBackend& a = port(1, VlanMode());
    NetBackend& b = port(2, VlanMode());
    for (int i = 0; i < 50; i++) {
        auto f = frame(mac(2), mac(1), std::string(1000, char('a' + i % 26)));
        send(a, f);
        ASSERT_EQ(next(b), f) << i;
        auto g = frame(mac(1), mac(2), std::to_string(i));
        send(b, g);
        ASSERT_EQ(next(a), g) << i;
    }
}

TEST_F(SwitchProgramTest, RefusesDuplicateMacAndBadVlan) {
    port(1, VlanMode());
    Result<std::unique_ptr<NetBackend>> dup = connect_switch(socket_, mac(1), VlanMode());
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message().find("refused"), std::string::npos) << dup.error().message();
    EXPECT_NE(dup.error().message().find("already"), std::string::npos) << dup.error().message();
    EXPECT_FALSE(connect_switch(socket_, mac(2), VlanMode::access(5000)));
    EXPECT_FALSE(connect_switch(socket_, kBroadcast, VlanMode()));
    EXPECT_FALSE(connect_switch(dir_ + "/nothing.sock", mac(2), VlanMode()));
}

// A raw client that sends garbage as its hello is refused; the switch keeps serving.
TEST_F(SwitchProgramTest, MalformedHelloRefusedAndSwitchSurvives) {
    UniqueFd raw(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socket_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    ASSERT_EQ(connect(raw.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
    ASSERT_GT(::send(raw.get(), garbage, sizeof garbage, 0), 0);
    uint8_t answer[switchproto::kMaxAnswerSize];
    pollfd pfd{raw.get(), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 2000), 1);
    ssize_t n = recv(raw.get(), answer, sizeof answer, 0);
    ASSERT_GT(n, 0);
    Status s = switchproto::decode_answer({answer, static_cast<size_t>(n)});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("malformed port hello"), std::string::npos);
    EXPECT_EQ(recv(raw.get(), answer, sizeof answer, 0), 0); // closed

    NetBackend& a = port(1, VlanMode());
    NetBackend& b = port(2, VlanMode());
    // Runts and a frame from a multicast source are dropped; a good one still goes through.
    std::vector<uint8_t> runt(5, 0);
    iovec iov{runt.data(), runt.size()};
    EXPECT_TRUE(a.send({&iov, 1}));
    send(a, frame(kBroadcast, kBroadcast, "bad source"));
    auto good = frame(mac(2), mac(1), "good");
    send(a, good);
    EXPECT_EQ(next(b), good);
}

TEST_F(SwitchProgramTest, ReceiveReportsSwitchGoingAway) {
    NetBackend& a = port(1, VlanMode());
    kill(pid_, SIGTERM);
    int status = 0;
    ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_NE(access(socket_.c_str(), F_OK), 0);
    pollfd pfd{a.rx_fd(), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 2000), 1);
    std::vector<uint8_t> buf(kMaxFrameSize);
    EXPECT_FALSE(a.receive(buf));
}

TEST_F(SwitchProgramTest, SecondSwitchOnLiveSocketFails) {
    const char* bin = std::getenv("VIRTD_SWITCH_BIN");
    std::string cmd = std::string(bin) + " --socket " + socket_ + " 2>/dev/null";
    int rc = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1) << rc;
    EXPECT_EQ(access(socket_.c_str(), F_OK), 0); // the first one's socket is untouched
}

} // namespace
} // namespace virtd::network
