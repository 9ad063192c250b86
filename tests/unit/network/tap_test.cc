// The tap backend against a real tap interface, made inside a network namespace the test creates
// and removes, so the host's interfaces are never touched.
#include <cstdlib>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fd.h"
#include "network/tap.h"
#include "tests/unit/network/frame_util.h"

namespace virtd::network {
namespace {

using testing::frame;
using testing::kBroadcast;
using testing::mac;

bool run(const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// Whether `f` is one of the test's frames carrying `payload` (the namespace may see others).
bool carries(const std::vector<uint8_t>& f, const std::string& payload) {
    std::string s(f.begin(), f.end());
    return f.size() >= 14 && f[12] == 0x88 && f[13] == 0xb5 && s.find(payload) != std::string::npos;
}

class TapTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
        if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
        netns_ = fmt::format("virtd-tap-test-{}", getpid());
        if (!run("ip netns add " + netns_)) {
            netns_.clear();
            GTEST_SKIP() << "cannot create a network namespace (ip netns add)";
        }
        // No IPv6 in the namespace: its router solicitations would mix with the test's frames.
        run(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                        "net.ipv6.conf.default.disable_ipv6=1",
                        netns_));
    }
    void TearDown() override {
        if (!netns_.empty()) {
            EXPECT_TRUE(run("ip netns del " + netns_));
        }
    }

    // Runs `body` on a thread that has entered the namespace: setns changes only the calling
    // thread's namespace, so the test's own thread stays in the host's.
    template <typename F>
    void in_netns(F body) {
        std::thread t([&] {
            UniqueFd ns(open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC));
            ASSERT_TRUE(ns);
            ASSERT_EQ(setns(ns.get(), CLONE_NEWNET), 0);
            body();
        });
        t.join();
    }

    std::string netns_;
};

TEST_F(TapTest, FramesBothWays) {
    in_netns([&] {
        Result<std::unique_ptr<NetBackend>> opened = open_tap("vtap0");
        ASSERT_TRUE(opened) << opened.error().message();
        NetBackend& tap = **opened;
        EXPECT_EQ(tap.describe(), "tap vtap0");
        // Down, the interface loses frames without an error.
        auto early = frame(kBroadcast, mac(1), "while down");
        iovec iov0{early.data(), early.size()};
        EXPECT_TRUE(tap.send({&iov0, 1}));

        ASSERT_TRUE(run(fmt::format("ip -n {} link set vtap0 up", netns_)));
        unsigned ifindex = if_nametoindex("vtap0");
        ASSERT_NE(ifindex, 0u);
        UniqueFd pkt(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
        ASSERT_TRUE(pkt);
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = static_cast<int>(ifindex);
        ASSERT_EQ(bind(pkt.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);

        // Backend -> Linux: the frame arrives on vtap0.
        auto out = frame(kBroadcast, mac(1), "from the guest");
        iovec iov[2] = {{out.data(), 10}, {out.data() + 10, out.size() - 10}};
        ASSERT_TRUE(tap.send(iov));
        bool seen = false;
        for (int i = 0; i < 20 && !seen; i++) {
            pollfd pfd{pkt.get(), POLLIN, 0};
            if (poll(&pfd, 1, 200) != 1) continue;
            std::vector<uint8_t> buf(2048);
            ssize_t n = recv(pkt.get(), buf.data(), buf.size(), 0);
            ASSERT_GT(n, 0);
            buf.resize(static_cast<size_t>(n));
            if (carries(buf, "from the guest")) {
                EXPECT_EQ(buf, out);
                seen = true;
            }
        }
        EXPECT_TRUE(seen) << "the frame never reached vtap0";

        // Linux -> backend: a frame sent on vtap0 comes out of receive(). A first one too
        // large for the buffer is dropped, and the next still arrives.
        auto big = frame(kBroadcast, mac(2), "to the guest, too long for the buffer");
        auto in = frame(kBroadcast, mac(2), "to the guest");
        ASSERT_EQ(send(pkt.get(), big.data(), big.size(), 0), static_cast<ssize_t>(big.size()));
        ASSERT_EQ(send(pkt.get(), in.data(), in.size(), 0), static_cast<ssize_t>(in.size()));
        std::vector<std::vector<uint8_t>> got;
        for (int i = 0; i < 40 && got.size() < 2; i++) {
            pollfd pfd{tap.rx_fd(), POLLIN, 0};
            if (poll(&pfd, 1, 200) != 1) continue;
            std::vector<uint8_t> buf(in.size());
            Result<size_t> n = tap.receive(buf);
            ASSERT_TRUE(n) << n.error().message();
            if (*n == 0) {
                got.emplace_back(); // the long one, dropped
                continue;
            }
            buf.resize(*n);
            if (carries(buf, "to the guest")) got.push_back(buf);
        }
        ASSERT_EQ(got.size(), 2u);
        EXPECT_TRUE(got[0].empty());
        EXPECT_EQ(got[1], in);
        std::vector<uint8_t> buf(kMaxFrameSize);
        Result<size_t> none = tap.receive(buf);
        ASSERT_TRUE(none);
    });
}

TEST(TapErrorTest, BadNameIsNamed) {
    Result<std::unique_ptr<NetBackend>> r = open_tap("a-name-much-too-long-for-linux");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("a-name-much-too-long-for-linux"), std::string::npos);
}

} // namespace
} // namespace virtd::network
