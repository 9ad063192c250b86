// virtio-net driven through its queues as Linux's virtio_net drives them, with a socketpair as
// the backend's peer, and two devices talking through the real virtd-switch program.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.h"
#include "drivers/pv/virtio/net.h"
#include "network/switch_port.h"
#include "tests/unit/pv/virtio_signals.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::RecordingSignals;
using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kRxRing = kBase;
constexpr uint64_t kTxRing = kBase + 0x1000;
constexpr uint64_t kData = kBase + 0x10000; // buffers from here on
constexpr uint64_t kVersion1 = 1ULL << kFeatureVersion1;

// A NetBackend over one end of a SOCK_SEQPACKET socketpair, one frame per message, as the
// switch port is; counts receive() calls so a test sees whether the device polls it.
class PairBackend : public network::NetBackend {
public:
    explicit PairBackend(int fd)
        : fd_(fd) {}
    int rx_fd() const override { return fd_.get(); }
    Status send(std::span<const iovec> frame) override {
        msghdr msg{};
        msg.msg_iov = const_cast<iovec*>(frame.data());
        msg.msg_iovlen = frame.size();
        if (sendmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return {};
        if (errno == EAGAIN || errno == ENOBUFS) return {};
        return system_error(ErrorDomain::None, errno, "pair send");
    }
    Result<size_t> receive(std::span<uint8_t> buf) override {
        receives.fetch_add(1);
        ssize_t n = recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN) return size_t{0};
            return system_error(ErrorDomain::None, errno, "pair receive");
        }
        if (n == 0) return make_error(ErrorCode::InternalError, ErrorDomain::None, "peer closed");
        if (static_cast<size_t>(n) > buf.size()) return size_t{0};
        return static_cast<size_t>(n);
    }
    std::string describe() const override { return "pair"; }

    std::atomic<unsigned> receives{0};

private:
    UniqueFd fd_;
};

MacAddress mac(uint8_t last) {
    return MacAddress({0x52, 0x54, 0x00, 0x00, 0x00, last});
}

std::vector<uint8_t> make_frame(size_t len, uint8_t seed) {
    std::vector<uint8_t> f(len);
    for (size_t i = 0; i < len; ++i)
        f[i] = static_cast<uint8_t>(seed + i * 7);
    return f;
}

// The CPU time this process has used.
std::chrono::microseconds cpu_time() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return std::chrono::seconds(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           std::chrono::microseconds(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// One guest: RAM, both rings and the device, with the driver-side helpers tests need.
struct Guest {
    Guest(std::unique_ptr<network::NetBackend> backend, const MacAddress& m)
        : ram(1 << 22)
        , dev(ram, std::move(backend), m) {
        fresh_rings();
    }

    // A new driver's rings, as after a reset: zeroed, indices from 0.
    void fresh_rings() {
        std::memset(ram.host(kBase, 0x2000), 0, 0x2000);
        rx = std::make_unique<VirtqDriver>(ram, 16, kRxRing);
        tx = std::make_unique<VirtqDriver>(ram, 16, kTxRing);
    }

    void activate(uint64_t features) {
        rx->config.features = features;
        tx->config.features = features;
        QueueConfig q[2] = {
            {0, rx->config.size, rx->config.desc, rx->config.avail, rx->config.used},
            {1, tx->config.size, tx->config.desc, tx->config.avail, tx->config.used},
        };
        Status s = dev.activate(features, q, signals);
        ASSERT_TRUE(s) << s.error().message();
    }

    // Puts a frame (with a zero header) in the transmitq as one readable buffer and kicks.
    void transmit(const std::vector<uint8_t>& frame, uint64_t at) {
        std::vector<uint8_t> hdr(kNetHeaderSize, 0);
        std::memcpy(ram.host(at, hdr.size()), hdr.data(), hdr.size());
        std::memcpy(ram.host(at + hdr.size(), frame.size()), frame.data(), frame.size());
        tx->add({{at, static_cast<uint32_t>(hdr.size() + frame.size()), false}});
        dev.notify(VirtioNet::kTransmitQueue);
    }

    std::vector<uint8_t> bytes(uint64_t gpa, size_t len) {
        const uint8_t* p = ram.host(gpa, len);
        return {p, p + len};
    }

    bool wait_rx_used(uint16_t n) {
        return signals.wait([&] { return rx->used_idx() >= n; });
    }

    TestRam ram;
    std::unique_ptr<VirtqDriver> rx, tx;
    RecordingSignals signals;
    VirtioNet dev;
};

class VirtioNetTest : public ::testing::Test {
protected:
    void SetUp() override {
        int sv[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        peer_.reset(sv[1]);
        auto b = std::make_unique<PairBackend>(sv[0]);
        backend_ = b.get();
        guest_ = std::make_unique<Guest>(std::move(b), mac(1));
    }

    uint64_t all_features() const { return guest_->dev.features() | kVersion1; }

    void peer_send(const std::vector<uint8_t>& f) {
        ASSERT_EQ(send(peer_.get(), f.data(), f.size(), 0), static_cast<ssize_t>(f.size()));
    }
    // The next frame the device sent, waiting up to `ms`; empty when none came.
    std::vector<uint8_t> peer_recv(int ms = 2000) {
        pollfd pfd{peer_.get(), POLLIN, 0};
        if (poll(&pfd, 1, ms) != 1) return {};
        std::vector<uint8_t> buf(network::kMaxFrameSize);
        ssize_t n = recv(peer_.get(), buf.data(), buf.size(), 0);
        buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
        return buf;
    }

    UniqueFd peer_;
    PairBackend* backend_ = nullptr;
    std::unique_ptr<Guest> guest_;
};

TEST_F(VirtioNetTest, ConfigHasMacAndLinkAndSetLinkRaisesConfigChanged) {
    VirtioNet& dev = guest_->dev;
    EXPECT_EQ(dev.device_id(), DeviceId::Net);
    EXPECT_EQ(dev.queue_count(), 2u);
    uint64_t f = dev.features();
    EXPECT_TRUE(f & (1ULL << kNetFeatureMac));
    EXPECT_TRUE(f & (1ULL << kNetFeatureStatus));
    EXPECT_TRUE(f & (1ULL << kNetFeatureMrgRxbuf));
    EXPECT_TRUE(f & (1ULL << kFeatureIndirectDesc));
    EXPECT_TRUE(f & (1ULL << kFeatureEventIdx));
    EXPECT_FALSE(f & 1ULL); // no VIRTIO_NET_F_CSUM
    EXPECT_EQ(dev.describe(), "pair");
    for (unsigned i = 0; i < 6; ++i)
        EXPECT_EQ(dev.read_config(i, 1), mac(1).bytes()[i]) << i;
    EXPECT_EQ(dev.read_config(0, 4), 0x00005452u);
    EXPECT_EQ(dev.read_config(4, 4), 0x00010100u); // mac[4], mac[5], status
    EXPECT_EQ(dev.read_config(6, 2), kNetStatusLinkUp);
    EXPECT_EQ(dev.read_config(8, 4), 0u);
    EXPECT_EQ(dev.read_config(~0ULL, 4), 0u);

    guest_->activate(all_features());
    dev.set_link(false);
    EXPECT_FALSE(dev.link_up());
    EXPECT_EQ(dev.read_config(6, 2), 0u);
    {
        std::lock_guard lock(guest_->signals.mu);
        EXPECT_EQ(guest_->signals.config, 1u);
    }
    dev.set_link(false); // no change, no interrupt
    dev.set_link(true);
    EXPECT_EQ(dev.read_config(6, 2), kNetStatusLinkUp);
    std::lock_guard lock(guest_->signals.mu);
    EXPECT_EQ(guest_->signals.config, 2u);
}

TEST_F(VirtioNetTest, TransmitsFrameWithHeaderSplitAcrossBuffers) {
    guest_->activate(all_features());
    auto frame = make_frame(100, 3);
    TestRam& ram = guest_->ram;
    // Header in 8 + 4 bytes, the second buffer also holding the first 20 bytes of the frame.
    std::memset(ram.host(kData, 8), 0, 8);
    std::memset(ram.host(kData + 0x100, 4), 0, 4);
    std::memcpy(ram.host(kData + 0x104, 20), frame.data(), 20);
    std::memcpy(ram.host(kData + 0x200, 80), frame.data() + 20, 80);
    guest_->tx->add({{kData, 8, false}, {kData + 0x100, 24, false}, {kData + 0x200, 80, false}});
    guest_->dev.notify(VirtioNet::kTransmitQueue);
    EXPECT_EQ(peer_recv(), frame);
    ASSERT_TRUE(guest_->signals.wait([&] { return guest_->tx->used_idx() == 1; }));
    EXPECT_EQ(guest_->tx->used(0).second, 0u);
    NetCounters c = guest_->dev.counters();
    EXPECT_EQ(c.tx_packets, 1u);
    EXPECT_EQ(c.tx_bytes, 100u);
}

TEST_F(VirtioNetTest, ReceivesIntoOneChain) {
    guest_->activate(all_features());
    // Linux's layout without big buffers: header and data in separate descriptors works too.
    guest_->rx->add({{kData, 12, true}, {kData + 0x1000, 1514, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    auto frame = make_frame(600, 9);
    peer_send(frame);
    ASSERT_TRUE(guest_->wait_rx_used(1));
    EXPECT_EQ(guest_->rx->used(0), std::make_pair(0u, 612u));
    auto hdr = guest_->bytes(kData, 12);
    EXPECT_EQ(hdr, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}));
    EXPECT_EQ(guest_->bytes(kData + 0x1000, 600), frame);
    EXPECT_TRUE(guest_->ram.dirty_pages.count((kData + 0x1000) >> 12));
    EXPECT_TRUE(guest_->ram.dirty_pages.count(kData >> 12));
    EXPECT_GE(guest_->signals.used, 1u);
}

TEST_F(VirtioNetTest, MergeableFrameSpansThreeChains) {
    guest_->activate(all_features());
    for (uint64_t i = 0; i < 3; ++i)
        guest_->rx->add({{kData + i * 0x1000, 1000, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    auto frame = make_frame(2500, 1);
    peer_send(frame);
    ASSERT_TRUE(guest_->wait_rx_used(3));
    EXPECT_EQ(guest_->rx->used(0), std::make_pair(0u, 1000u));
    EXPECT_EQ(guest_->rx->used(1), std::make_pair(1u, 1000u));
    EXPECT_EQ(guest_->rx->used(2), std::make_pair(2u, 512u));
    EXPECT_EQ(guest_->ram.get<uint16_t>(kData + kNetNumBuffersOffset), 3u);
    std::vector<uint8_t> got = guest_->bytes(kData + 12, 988);
    auto second = guest_->bytes(kData + 0x1000, 1000);
    auto third = guest_->bytes(kData + 0x2000, 512);
    got.insert(got.end(), second.begin(), second.end());
    got.insert(got.end(), third.begin(), third.end());
    EXPECT_EQ(got, frame);
    EXPECT_EQ(guest_->dev.counters().rx_packets, 1u);
    EXPECT_EQ(guest_->dev.counters().rx_bytes, 2500u);
}

TEST_F(VirtioNetTest, MergeableFrameWaitsForMoreChains) {
    guest_->activate(all_features());
    guest_->rx->add({{kData, 1000, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    peer_send(make_frame(1500, 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(guest_->rx->used_idx(), 0); // half a frame is not given to the driver
    guest_->rx->add({{kData + 0x1000, 1000, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    ASSERT_TRUE(guest_->wait_rx_used(2));
    EXPECT_EQ(guest_->ram.get<uint16_t>(kData + kNetNumBuffersOffset), 2u);
    EXPECT_EQ(guest_->rx->used(1).second, 512u);
}

TEST_F(VirtioNetTest, MergeableFrameLargerThanTheWholeRingIsDropped) {
    guest_->activate(all_features());
    // 16 chains of 100 bytes: the ring is full and a 2000-byte frame can never fit.
    for (uint64_t i = 0; i < 16; ++i)
        guest_->rx->add({{kData + i * 0x100, 100, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    peer_send(make_frame(2000, 1));
    auto small = make_frame(50, 2);
    peer_send(small);
    // The held chains are reused, first one first, for the next frame.
    ASSERT_TRUE(guest_->wait_rx_used(1));
    EXPECT_EQ(guest_->rx->used(0), std::make_pair(0u, 62u));
    EXPECT_EQ(guest_->bytes(kData + 12, 50), small);
    EXPECT_EQ(guest_->dev.counters().rx_dropped, 1u);
    EXPECT_EQ(guest_->dev.counters().rx_packets, 1u);
}

TEST_F(VirtioNetTest, WithoutReceiveBuffersDoesNotSpinAndResumesOnKick) {
    guest_->activate(all_features());
    auto frame = make_frame(64, 5);
    peer_send(frame);
    // The backend is readable but the guest has no buffers: the thread must sleep.
    auto before = cpu_time();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LT(cpu_time() - before, std::chrono::milliseconds(50));
    EXPECT_EQ(backend_->receives.load(), 0u);
    EXPECT_EQ(guest_->rx->used_idx(), 0);
    // The driver adds buffers and kicks: the waiting frame comes in.
    guest_->rx->add({{kData, 2048, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    ASSERT_TRUE(guest_->wait_rx_used(1));
    EXPECT_EQ(guest_->bytes(kData + 12, 64), frame);
    // The ring ran empty again: still no spinning on a readable backend.
    peer_send(frame);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    before = cpu_time();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LT(cpu_time() - before, std::chrono::milliseconds(50));
}

TEST_F(VirtioNetTest, OversizedFrameWithoutMergeableIsDroppedAndCounted) {
    uint64_t features = all_features() & ~(1ULL << kNetFeatureMrgRxbuf);
    guest_->activate(features);
    guest_->rx->add({{kData, 1526, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    peer_send(make_frame(2000, 1));
    auto small = make_frame(100, 4);
    peer_send(small);
    // The chain the big frame did not fit takes the next one.
    ASSERT_TRUE(guest_->wait_rx_used(1));
    EXPECT_EQ(guest_->rx->used(0).second, 112u);
    EXPECT_EQ(guest_->ram.get<uint16_t>(kData + kNetNumBuffersOffset), 1u);
    EXPECT_EQ(guest_->bytes(kData + 12, 100), small);
    NetCounters c = guest_->dev.counters();
    EXPECT_EQ(c.rx_dropped, 1u);
    EXPECT_EQ(c.rx_packets, 1u);
    EXPECT_EQ(c.rx_bytes, 100u);
}

TEST_F(VirtioNetTest, TransmitChainShorterThanHeaderNeedsReset) {
    guest_->activate(all_features());
    guest_->tx->add({{kData, 8, false}});
    guest_->dev.notify(VirtioNet::kTransmitQueue);
    ASSERT_TRUE(guest_->signals.wait([&] { return guest_->signals.resets > 0; }));
    EXPECT_EQ(guest_->tx->used_idx(), 0);
    // Nothing more is served until a reset.
    guest_->transmit(make_frame(60, 1), kData + 0x1000);
    EXPECT_EQ(peer_recv(100), std::vector<uint8_t>{});
}

TEST_F(VirtioNetTest, TransmitChainWithWritableBufferNeedsReset) {
    guest_->activate(all_features());
    guest_->tx->add({{kData, 80, false}, {kData + 0x1000, 16, true}});
    guest_->dev.notify(VirtioNet::kTransmitQueue);
    ASSERT_TRUE(guest_->signals.wait([&] { return guest_->signals.resets > 0; }));
    EXPECT_EQ(guest_->tx->used_idx(), 0);
    EXPECT_EQ(peer_recv(100), std::vector<uint8_t>{});
}

TEST_F(VirtioNetTest, ReceiveChainWithReadableBufferNeedsReset) {
    guest_->activate(all_features());
    guest_->rx->add({{kData, 12, false}, {kData + 0x1000, 1514, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    ASSERT_TRUE(guest_->signals.wait([&] { return guest_->signals.resets > 0; }));
    peer_send(make_frame(60, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(guest_->rx->used_idx(), 0);
    EXPECT_EQ(backend_->receives.load(), 0u);
}

TEST_F(VirtioNetTest, WorksAfterResetAndReactivation) {
    for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE(round);
        guest_->fresh_rings();
        guest_->activate(all_features());
        if (round == 1) {
            // Break it first: a reset must clear that too.
            guest_->tx->add({{kData, 4, false}});
            guest_->dev.notify(VirtioNet::kTransmitQueue);
            ASSERT_TRUE(guest_->signals.wait([&] { return guest_->signals.resets > 0; }));
            guest_->dev.reset();
            continue;
        }
        auto out = make_frame(70, static_cast<uint8_t>(round));
        guest_->transmit(out, kData + 0x4000);
        EXPECT_EQ(peer_recv(), out);
        guest_->rx->add({{kData, 2048, true}});
        guest_->dev.notify(VirtioNet::kReceiveQueue);
        auto in = make_frame(80, static_cast<uint8_t>(round + 10));
        peer_send(in);
        ASSERT_TRUE(guest_->wait_rx_used(1));
        EXPECT_EQ(guest_->bytes(kData + 12, 80), in);
        guest_->dev.reset();
    }
}

TEST_F(VirtioNetTest, CountsFramesBytesAndDrops) {
    guest_->activate(all_features());
    guest_->transmit(make_frame(60, 1), kData + 0x4000);
    guest_->transmit(make_frame(90, 2), kData + 0x5000);
    // A header with no frame behind it is dropped, not sent.
    guest_->tx->add({{kData + 0x6000, 12, false}});
    guest_->dev.notify(VirtioNet::kTransmitQueue);
    EXPECT_EQ(peer_recv().size(), 60u);
    EXPECT_EQ(peer_recv().size(), 90u);
    ASSERT_TRUE(guest_->signals.wait([&] { return guest_->tx->used_idx() == 3; }));
    guest_->rx->add({{kData, 2048, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    peer_send(make_frame(200, 3));
    ASSERT_TRUE(guest_->wait_rx_used(1));
    NetCounters c = guest_->dev.counters();
    EXPECT_EQ(c.tx_packets, 2u);
    EXPECT_EQ(c.tx_bytes, 150u);
    EXPECT_EQ(c.tx_dropped, 1u);
    EXPECT_EQ(c.rx_packets, 1u);
    EXPECT_EQ(c.rx_bytes, 200u);
    EXPECT_EQ(c.rx_dropped, 0u);
}

TEST_F(VirtioNetTest, DeadBackendDropsTransmitsAndDoesNotSpin) {
    guest_->activate(all_features());
    guest_->rx->add({{kData, 2048, true}});
    guest_->dev.notify(VirtioNet::kReceiveQueue);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    peer_.reset(); // the backend's peer goes away: receive fails, then send
    ASSERT_TRUE(guest_->signals.wait([&] { return backend_->receives.load() >= 2; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto before = cpu_time();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LT(cpu_time() - before, std::chrono::milliseconds(50));
    guest_->transmit(make_frame(60, 1), kData + 0x4000);
    ASSERT_TRUE(guest_->signals.wait([&] { return guest_->tx->used_idx() == 1; }));
    EXPECT_EQ(guest_->dev.counters().tx_dropped, 1u);
    EXPECT_EQ(guest_->signals.resets, 0u); // the guest's queues are fine
}

// Two guests on access ports of the real virtd-switch (VIRTD_SWITCH_BIN).
class VirtioNetSwitchTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* bin = std::getenv("VIRTD_SWITCH_BIN");
        if (!bin) GTEST_SKIP() << "VIRTD_SWITCH_BIN is not set (run through meson test)";
        char tmpl[] = "/tmp/virtd-vnet-test-XXXXXX";
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
        for (int i = 0; i < 500 && access(pid_file_.c_str(), F_OK) != 0; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_EQ(access(pid_file_.c_str(), F_OK), 0) << "virtd-switch did not start";
    }

    void TearDown() override {
        a_.reset();
        b_.reset();
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
        }
        if (!dir_.empty()) rmdir(dir_.c_str());
    }

    std::unique_ptr<Guest> guest(uint8_t last) {
        Result<std::unique_ptr<network::NetBackend>> b =
            network::connect_switch(socket_, mac(last), network::VlanMode::access(10));
        EXPECT_TRUE(b) << b.error().message();
        if (!b) return nullptr;
        return std::make_unique<Guest>(std::move(*b), mac(last));
    }

    std::string dir_, socket_, pid_file_;
    pid_t pid_ = -1;
    std::unique_ptr<Guest> a_, b_;
};

TEST_F(VirtioNetSwitchTest, GuestsExchangeFramesThroughTheSwitch) {
    a_ = guest(1);
    b_ = guest(2);
    ASSERT_TRUE(a_ && b_);
    EXPECT_NE(b_->dev.describe().find("switch"), std::string::npos);
    a_->activate(a_->dev.features() | kVersion1);
    b_->activate(b_->dev.features() | kVersion1);
    b_->rx->add({{kData, 2048, true}});
    b_->dev.notify(VirtioNet::kReceiveQueue);
    a_->rx->add({{kData, 2048, true}});
    a_->dev.notify(VirtioNet::kReceiveQueue);

    // Ethernet: to B, from A, EtherType 0x88b5, payload.
    std::vector<uint8_t> frame(mac(2).bytes().begin(), mac(2).bytes().end());
    frame.insert(frame.end(), mac(1).bytes().begin(), mac(1).bytes().end());
    frame.insert(frame.end(), {0x88, 0xb5});
    std::string payload = "hello from guest a";
    frame.insert(frame.end(), payload.begin(), payload.end());
    a_->transmit(frame, kData + 0x4000);
    ASSERT_TRUE(b_->wait_rx_used(1));
    EXPECT_EQ(b_->rx->used(0).second, 12u + frame.size());
    EXPECT_EQ(b_->bytes(kData + 12, frame.size()), frame);
    // A counts the frame before it returns the chain, which may be after B got it.
    ASSERT_TRUE(a_->signals.wait([&] { return a_->tx->used_idx() == 1; }));
    EXPECT_EQ(a_->dev.counters().tx_packets, 1u);
    EXPECT_EQ(b_->dev.counters().rx_packets, 1u);
    // B never got its own frame back, and A got nothing.
    EXPECT_EQ(a_->rx->used_idx(), 0);
}

} // namespace
} // namespace virtd::pv::virtio
