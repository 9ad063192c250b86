// virtio-console with MULTIPORT, driven through its queues as Linux's virtio_console drives
// them, with real unix sockets as the host side.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "drivers/pv/virtio/console.h"
#include "tests/unit/pv/virtio_signals.h"
#include "tests/unit/pv/virtq_driver.h"

namespace virtd::pv::virtio {
namespace {

using testing::RecordingSignals;
using testing::TestRam;
using testing::VirtqDriver;

constexpr uint64_t kBase = 0x80000000;
constexpr uint16_t kQueueSize = 64;
constexpr uint64_t kFeatures = (1ULL << VirtioConsole::kFeatureMultiport) |
                               (1ULL << kFeatureEventIdx) | (1ULL << kFeatureIndirectDesc);

enum : uint16_t {
    kDeviceReady = 0,
    kDeviceAdd = 1,
    kPortReady = 3,
    kConsolePort = 4,
    kPortOpen = 6,
    kPortName = 7,
};

struct Ctrl {
    uint32_t id;
    uint16_t event;
    uint16_t value;
    std::string extra;
    bool operator==(const Ctrl&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ctrl& c) {
    return os << "{" << c.id << ", event " << c.event << ", " << c.value << ", '" << c.extra
              << "'}";
}

template <typename F>
bool eventually(F done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

UniqueFd connect_to(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
    return fd;
}

// Reads exactly `n` bytes (or fewer on EOF or after 5 s).
std::string read_n(int fd, size_t n) {
    std::string out;
    while (out.size() < n) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) break;
        char buf[65536];
        ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) break;
        out.append(buf, static_cast<size_t>(got));
    }
    return out;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

class VirtioConsoleTest : public ::testing::Test {
protected:
    VirtioConsoleTest()
        : ram(16 << 20) {
        char tmpl[] = "/tmp/virtio-console-test.XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    ~VirtioConsoleTest() override {
        dev.reset();
        std::filesystem::remove_all(dir);
    }

    std::string path(const std::string& leaf) const { return dir + "/" + leaf; }

    // Console on "console.sock", channel "org.test.agent" on "agent.sock", and a channel
    // with no host side.
    void make_device() {
        auto made = VirtioConsole::create(ram, {{"", path("console.sock")},
                                                {"org.test.agent", path("agent.sock")},
                                                {"org.test.none", ""}});
        ASSERT_TRUE(made) << made.error().message();
        dev = std::move(*made);
    }

    void activate(uint64_t features = kFeatures) {
        queues.clear();
        heads.clear();
        ctrl_seen = 0;
        std::memset(ram.mem.data(), 0, 1 << 20); // the rings
        std::vector<QueueConfig> configs;
        for (unsigned q = 0; q < dev->queue_count(); ++q) {
            queues.push_back(
                std::make_unique<VirtqDriver>(ram, kQueueSize, kBase + q * 0x2000ull, features));
            const VirtqConfig& c = queues.back()->config;
            configs.push_back({q, c.size, c.desc, c.avail, c.used});
            heads.emplace_back();
        }
        ASSERT_TRUE(dev->activate(features, configs, signals));
    }

    uint64_t alloc(uint32_t len) {
        uint64_t at = next_buf;
        next_buf += (len + 63) & ~63u;
        if (next_buf > kBase + ram.mem.size()) next_buf = kBase + (1 << 20), at = next_buf;
        return at;
    }
    // A chain of one buffer on queue `q`, remembered so its used entry can be read back.
    uint16_t add(unsigned q, uint64_t gpa, uint32_t len, bool writable) {
        uint16_t head = queues[q]->add({{gpa, len, writable}});
        heads[q][head] = gpa;
        dev->notify(q);
        return head;
    }
    void give_rx(unsigned q, unsigned count = 4, uint32_t len = 256) {
        for (unsigned i = 0; i < count; ++i)
            add(q, alloc(len), len, true);
    }
    void send(unsigned q, const std::string& bytes) {
        uint64_t gpa = alloc(static_cast<uint32_t>(bytes.size()));
        std::memcpy(ram.host(gpa, bytes.size()), bytes.data(), bytes.size());
        add(q, gpa, static_cast<uint32_t>(bytes.size()), false);
    }
    void send_ctrl(uint32_t id, uint16_t event, uint16_t value) {
        uint64_t gpa = alloc(8);
        ram.put<uint32_t>(gpa, id);
        ram.put<uint16_t>(gpa + 4, event);
        ram.put<uint16_t>(gpa + 6, value);
        add(3, gpa, 8, false);
    }
    // The payload of used entry `n` of receive queue `q`.
    std::string used_bytes(unsigned q, uint16_t n) {
        auto [head, len] = queues[q]->used(n);
        return {reinterpret_cast<char*>(ram.host(heads[q][static_cast<uint16_t>(head)], len)), len};
    }
    // Everything received on queue `q` from used entry `from` on.
    std::string received(unsigned q, uint16_t from = 0) {
        std::string all;
        for (uint16_t i = from; i != queues[q]->used_idx(); ++i)
            all += used_bytes(q, i);
        return all;
    }
    // Waits for `count` more control messages from the device.
    std::vector<Ctrl> ctrl(size_t count) {
        EXPECT_TRUE(eventually([&] { return queues[2]->used_idx() >= ctrl_seen + count; }));
        std::vector<Ctrl> out;
        for (; ctrl_seen != queues[2]->used_idx(); ++ctrl_seen) {
            std::string m = used_bytes(2, ctrl_seen);
            if (m.size() < 8) {
                ADD_FAILURE() << "short control message";
                continue;
            }
            Ctrl c{};
            std::memcpy(&c.id, m.data(), 4);
            std::memcpy(&c.event, m.data() + 4, 2);
            std::memcpy(&c.value, m.data() + 6, 2);
            c.extra = m.substr(8);
            out.push_back(c);
        }
        return out;
    }
    // Linux's probe: DEVICE_READY, then PORT_READY for every port added, then PORT_OPEN
    // from the guest for the ports named in `open`.
    void handshake(const std::vector<uint32_t>& open = {0, 1}) {
        give_rx(2, 16, 4096);
        send_ctrl(~0u, kDeviceReady, 1);
        ASSERT_EQ(ctrl(3).size(), 3u);
        for (uint32_t p = 0; p < 3; ++p)
            send_ctrl(p, kPortReady, 1);
        ctrl(6);
        for (uint32_t p : open)
            send_ctrl(p, kPortOpen, 1);
        ASSERT_TRUE(eventually([&] {
            for (uint32_t p : open)
                if (!dev->guest_open(p)) return false;
            return true;
        }));
    }

    TestRam ram;
    std::string dir;
    std::unique_ptr<VirtioConsole> dev;
    std::vector<std::unique_ptr<VirtqDriver>> queues;
    std::vector<std::map<uint16_t, uint64_t>> heads;
    uint64_t next_buf = kBase + (1 << 20);
    uint16_t ctrl_seen = 0;
    RecordingSignals signals;
};

TEST_F(VirtioConsoleTest, ConfigFeaturesAndQueues) {
    make_device();
    EXPECT_EQ(dev->device_id(), DeviceId::Console);
    EXPECT_EQ(dev->port_count(), 3u);
    EXPECT_EQ(dev->queue_count(), 8u);
    uint64_t f = dev->features();
    EXPECT_TRUE(f & (1ULL << VirtioConsole::kFeatureMultiport));
    EXPECT_TRUE(f & (1ULL << kFeatureIndirectDesc));
    EXPECT_TRUE(f & (1ULL << kFeatureEventIdx));
    EXPECT_EQ(dev->read_config(0, 2), 0u); // cols
    EXPECT_EQ(dev->read_config(2, 2), 0u); // rows
    EXPECT_EQ(dev->read_config(4, 4), 3u); // max_nr_ports
    EXPECT_EQ(dev->read_config(12, 4), 0u);
    struct stat st {};
    ASSERT_EQ(::stat(path("console.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(VirtioConsoleTest, ControlHandshakeAsLinuxDoesIt) {
    make_device();
    activate();
    give_rx(2, 16, 4096);
    send_ctrl(~0u, kDeviceReady, 1);
    EXPECT_EQ(ctrl(3),
              (std::vector<Ctrl>{
                  {0, kDeviceAdd, 0, ""}, {1, kDeviceAdd, 0, ""}, {2, kDeviceAdd, 0, ""}}));
    send_ctrl(0, kPortReady, 1);
    EXPECT_EQ(ctrl(2), (std::vector<Ctrl>{{0, kConsolePort, 1, ""}, {0, kPortOpen, 1, ""}}));
    send_ctrl(1, kPortReady, 1);
    EXPECT_EQ(ctrl(2),
              (std::vector<Ctrl>{{1, kPortName, 1, "org.test.agent"}, {1, kPortOpen, 0, ""}}));
    send_ctrl(2, kPortReady, 1);
    EXPECT_EQ(ctrl(2),
              (std::vector<Ctrl>{{2, kPortName, 1, "org.test.none"}, {2, kPortOpen, 0, ""}}));
    EXPECT_FALSE(dev->guest_open(1));
    send_ctrl(1, kPortOpen, 1);
    ASSERT_TRUE(eventually([&] { return dev->guest_open(1); }));
    send_ctrl(1, kPortOpen, 0);
    ASSERT_TRUE(eventually([&] { return !dev->guest_open(1); }));
    EXPECT_EQ(signals.resets, 0u);
    EXPECT_GT(signals.used, 0u);
}

TEST_F(VirtioConsoleTest, ControlMessagesWaitForDriverBuffers) {
    make_device();
    activate();
    send_ctrl(~0u, kDeviceReady, 1);
    ASSERT_TRUE(eventually([&] { return queues[3]->used_idx() == 1; }));
    EXPECT_EQ(queues[2]->used_idx(), 0);
    give_rx(2, 1, 4096);
    EXPECT_EQ(ctrl(1), (std::vector<Ctrl>{{0, kDeviceAdd, 0, ""}}));
    give_rx(2, 2, 4096);
    EXPECT_EQ(ctrl(2).size(), 2u);
}

TEST_F(VirtioConsoleTest, HostClientConnectAndDisconnectSendPortOpen) {
    make_device();
    activate();
    handshake();
    UniqueFd client = connect_to(path("agent.sock"));
    ASSERT_TRUE(client);
    EXPECT_EQ(ctrl(1), (std::vector<Ctrl>{{1, kPortOpen, 1, ""}}));
    EXPECT_TRUE(dev->host_connected(1));
    client.reset();
    EXPECT_EQ(ctrl(1), (std::vector<Ctrl>{{1, kPortOpen, 0, ""}}));
    EXPECT_FALSE(dev->host_connected(1));
    // A new client after the first left is announced as well.
    client = connect_to(path("agent.sock"));
    ASSERT_TRUE(eventually([&] { return dev->host_connected(1); }));
    EXPECT_EQ(ctrl(1), (std::vector<Ctrl>{{1, kPortOpen, 1, ""}}));
}

TEST_F(VirtioConsoleTest, SecondClientIsRefused) {
    make_device();
    activate();
    UniqueFd first = connect_to(path("agent.sock"));
    ASSERT_TRUE(eventually([&] { return dev->host_connected(1); }));
    UniqueFd second = connect_to(path("agent.sock"));
    ASSERT_TRUE(second);
    EXPECT_EQ(read_n(second.get(), 1), ""); // closed by the device
    EXPECT_TRUE(dev->host_connected(1));
}

TEST_F(VirtioConsoleTest, GuestOutputReachesTheRightClient) {
    make_device();
    activate();
    handshake();
    UniqueFd console = connect_to(path("console.sock"));
    UniqueFd agent = connect_to(path("agent.sock"));
    ASSERT_TRUE(eventually([&] { return dev->host_connected(0) && dev->host_connected(1); }));
    send(1, "login: ");
    send(5, "{\"execute\":\"ping\"}");
    EXPECT_EQ(read_n(console.get(), 7), "login: ");
    EXPECT_EQ(read_n(agent.get(), 18), "{\"execute\":\"ping\"}");
    EXPECT_TRUE(
        eventually([&] { return queues[1]->used_idx() == 1 && queues[5]->used_idx() == 1; }));
    EXPECT_EQ(dev->counters(0).bytes_to_host, 7u);
    EXPECT_EQ(dev->counters(1).bytes_to_host, 18u);
    // No client on port 2: output is dropped, the buffers still come back.
    send(7, "nobody");
    EXPECT_TRUE(eventually([&] { return queues[7]->used_idx() == 1; }));
    EXPECT_EQ(dev->counters(2).bytes_dropped, 6u);
}

TEST_F(VirtioConsoleTest, HostInputReachesTheRightReceiveQueue) {
    make_device();
    activate();
    handshake();
    give_rx(0);
    give_rx(4);
    UniqueFd console = connect_to(path("console.sock"));
    UniqueFd agent = connect_to(path("agent.sock"));
    ASSERT_EQ(::send(agent.get(), "pong", 4, 0), 4);
    ASSERT_TRUE(eventually([&] { return received(4) == "pong"; }));
    ASSERT_EQ(::send(console.get(), "root\n", 5, 0), 5);
    ASSERT_TRUE(eventually([&] { return received(0) == "root\n"; }));
    EXPECT_EQ(received(4), "pong");
    EXPECT_EQ(dev->counters(1).bytes_to_guest, 4u);
    // What the device wrote is in the dirty log.
    auto [head, len] = queues[4]->used(0);
    EXPECT_TRUE(ram.dirty_pages.count(heads[4][static_cast<uint16_t>(head)] >> 12));
    (void)len;
}

TEST_F(VirtioConsoleTest, HostInputWaitsForBuffersWithoutSpinning) {
    make_device();
    activate();
    handshake();
    UniqueFd agent = connect_to(path("agent.sock"));
    ASSERT_TRUE(eventually([&] { return dev->host_connected(1); }));
    ASSERT_EQ(::send(agent.get(), "early", 5, 0), 5);
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // A worker polling in a loop would have used most of those 300 ms.
    EXPECT_LT(cpu_seconds() - before, 0.1);
    give_rx(4, 1);
    ASSERT_TRUE(eventually([&] { return received(4) == "early"; }));
}

TEST_F(VirtioConsoleTest, HostInputWaitsWhileTheGuestPortIsClosed) {
    make_device();
    activate();
    handshake({0}); // port 1 stays closed in the guest
    give_rx(4);
    UniqueFd agent = connect_to(path("agent.sock"));
    ASSERT_EQ(::send(agent.get(), "held", 4, 0), 4);
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LT(cpu_seconds() - before, 0.1);
    EXPECT_EQ(queues[4]->used_idx(), 0);
    send_ctrl(1, kPortOpen, 1);
    ASSERT_TRUE(eventually([&] { return received(4) == "held"; }));
}

TEST_F(VirtioConsoleTest, ClientThatHangsUpStillDeliversItsLastBytes) {
    make_device();
    activate();
    handshake();
    ctrl(0);
    UniqueFd agent = connect_to(path("agent.sock"));
    EXPECT_EQ(ctrl(1), (std::vector<Ctrl>{{1, kPortOpen, 1, ""}}));
    ASSERT_EQ(::send(agent.get(), "bye", 3, 0), 3);
    agent.reset();
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LT(cpu_seconds() - before, 0.1); // POLLHUP does not spin the worker
    give_rx(4, 2);
    ASSERT_TRUE(eventually([&] { return received(4) == "bye"; }));
    EXPECT_EQ(ctrl(1), (std::vector<Ctrl>{{1, kPortOpen, 0, ""}}));
}

TEST_F(VirtioConsoleTest, ClientThatDoesNotReadGetsBackpressureNotLoss) {
    make_device();
    activate();
    handshake();
    UniqueFd console = connect_to(path("console.sock"));
    ASSERT_TRUE(eventually([&] { return dev->host_connected(0); }));
    constexpr unsigned kChains = 40;
    constexpr uint32_t kChunk = 64 << 10;
    uint64_t gpa = alloc(kChunk);
    for (uint32_t i = 0; i < kChunk; ++i)
        ram.put<uint8_t>(gpa + i, static_cast<uint8_t>(i * 7));
    for (unsigned i = 0; i < kChains; ++i)
        add(1, gpa, kChunk, false);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // 2.5 MiB does not fit a unix socket's buffer: chains wait, unconsumed.
    uint16_t taken = queues[1]->used_idx();
    EXPECT_LT(taken, kChains);
    EXPECT_EQ(dev->counters(0).bytes_dropped, 0u);
    std::string all = read_n(console.get(), size_t{kChains} * kChunk);
    ASSERT_EQ(all.size(), size_t{kChains} * kChunk);
    for (size_t i = 0; i < all.size(); i += 4099)
        ASSERT_EQ(static_cast<uint8_t>(all[i]), static_cast<uint8_t>((i % kChunk) * 7)) << i;
    EXPECT_TRUE(eventually([&] { return queues[1]->used_idx() == kChains; }));
}

TEST_F(VirtioConsoleTest, MalformedTransmitChainNeedsReset) {
    make_device();
    activate();
    add(1, alloc(16), 16, true); // writable buffer on a transmit queue
    ASSERT_TRUE(signals.wait([&] { return signals.resets > 0; }));
    EXPECT_EQ(queues[1]->used_idx(), 0);
}

TEST_F(VirtioConsoleTest, MalformedReceiveChainNeedsReset) {
    make_device();
    activate();
    handshake();
    UniqueFd agent = connect_to(path("agent.sock"));
    ASSERT_EQ(::send(agent.get(), "x", 1, 0), 1);
    add(4, alloc(16), 16, false); // readable buffer on a receive queue
    ASSERT_TRUE(signals.wait([&] { return signals.resets > 0; }));
    EXPECT_EQ(queues[4]->used_idx(), 0);
    // A broken device ignores its sockets rather than waking for them in a loop.
    UniqueFd console = connect_to(path("console.sock"));
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_LT(cpu_seconds() - before, 0.1);
}

TEST_F(VirtioConsoleTest, ShortControlMessageNeedsResetAndNothingElseHappens) {
    make_device();
    activate();
    give_rx(2, 4, 4096);
    add(3, alloc(4), 4, false);
    ASSERT_TRUE(signals.wait([&] { return signals.resets > 0; }));
    // Until the driver resets the device, it serves nothing more.
    send_ctrl(~0u, kDeviceReady, 1);
    send(1, "lost");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(queues[2]->used_idx(), 0);
    EXPECT_EQ(queues[1]->used_idx(), 0);
    // Reset and a new activation: everything works again, the host client kept.
    UniqueFd console = connect_to(path("console.sock"));
    dev->reset();
    EXPECT_FALSE(dev->guest_open(0));
    activate();
    handshake();
    EXPECT_TRUE(eventually([&] { return dev->host_connected(0); }));
    send(1, "again");
    EXPECT_EQ(read_n(console.get(), 5), "again");
}

TEST_F(VirtioConsoleTest, UnknownPortInControlMessageIsOnlyLogged) {
    make_device();
    activate();
    give_rx(2, 4, 4096);
    send_ctrl(9, kPortReady, 1);
    send_ctrl(9, kPortOpen, 1);
    ASSERT_TRUE(eventually([&] { return queues[3]->used_idx() == 2; }));
    send_ctrl(~0u, kDeviceReady, 1);
    EXPECT_EQ(ctrl(3).size(), 3u);
    EXPECT_EQ(signals.resets, 0u);
}

TEST_F(VirtioConsoleTest, ResetAndReactivateManyTimes) {
    make_device();
    UniqueFd console = connect_to(path("console.sock"));
    for (int round = 0; round < 5; ++round) {
        activate();
        handshake();
        std::string text = "round " + std::to_string(round);
        send(1, text);
        EXPECT_EQ(read_n(console.get(), text.size()), text);
        dev->reset();
    }
}

TEST_F(VirtioConsoleTest, WithoutMultiportOnlyTheConsoleWorks) {
    make_device();
    activate((1ULL << kFeatureEventIdx));
    EXPECT_TRUE(dev->guest_open(0));
    UniqueFd console = connect_to(path("console.sock"));
    give_rx(0);
    send(1, "hvc0");
    EXPECT_EQ(read_n(console.get(), 4), "hvc0");
    ASSERT_EQ(::send(console.get(), "ls\n", 3, 0), 3);
    EXPECT_TRUE(eventually([&] { return received(0) == "ls\n"; }));
}

TEST_F(VirtioConsoleTest, EmergencyWriteGoesToTheConsoleClient) {
    make_device();
    UniqueFd console = connect_to(path("console.sock"));
    dev->write_config(8, 4, 'P'); // before DRIVER_OK, as an early console does
    EXPECT_EQ(read_n(console.get(), 1), "P");
    activate();
    dev->write_config(8, 4, 'Q');
    EXPECT_EQ(read_n(console.get(), 1), "Q");
    EXPECT_EQ(dev->counters(0).bytes_to_host, 2u);
}

TEST_F(VirtioConsoleTest, BadSocketPathIsAClearError) {
    auto missing = VirtioConsole::create(
        ram, {{"", path("console.sock")}, {"org.test.agent", path("no/such/dir/a.sock")}});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("port 1 ('org.test.agent')"), std::string::npos)
        << missing.error().message();
    EXPECT_NE(missing.error().message().find(path("no/such/dir/a.sock")), std::string::npos);
    // The port that did get its socket does not leave it behind.
    EXPECT_FALSE(std::filesystem::exists(path("console.sock")));

    std::ofstream(path("file")) << "not a socket";
    auto file = VirtioConsole::create(ram, {{"", path("file")}});
    ASSERT_FALSE(file);
    EXPECT_NE(file.error().message().find("not a socket"), std::string::npos);

    auto too_long = VirtioConsole::create(ram, {{"", path(std::string(200, 'x'))}});
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message().find("console port 0"), std::string::npos);

    auto none = VirtioConsole::create(ram, {});
    EXPECT_FALSE(none);
    auto twins = VirtioConsole::create(ram, {{"", ""}, {"org.a", ""}, {"org.a", ""}});
    ASSERT_FALSE(twins);
    EXPECT_NE(twins.error().message().find("'org.a'"), std::string::npos);
}

TEST_F(VirtioConsoleTest, StaleSocketReplacedLiveOneRefusedFilesRemoved) {
    {
        // A socket file nobody listens on, as a crashed VMM leaves it.
        UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path("console.sock").c_str(), sizeof addr.sun_path - 1);
        ASSERT_EQ(::bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    make_device();
    auto twice = VirtioConsole::create(ram, {{"", path("console.sock")}});
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message().find("another process listens"), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(path("console.sock")));
    activate();
    dev.reset();
    EXPECT_FALSE(std::filesystem::exists(path("console.sock")));
    EXPECT_FALSE(std::filesystem::exists(path("agent.sock")));
}

} // namespace
} // namespace virtd::pv::virtio
