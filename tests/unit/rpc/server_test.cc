// RpcServer over a real unix socket: framing, replies in completion order, keepalive, bad
// peers dropped without disturbing others, and a stock virsh talking to it.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rpc/remote_protocol.h"
#include "rpc/server.h"
#include "rpc/wire_error.h"

namespace virtd::rpc {
namespace {

using namespace std::chrono_literals;

// Just enough of the remote program for a client to connect and ask something.
class TestHandlers : public RemoteHandlers {
public:
    Result<AuthListRet> auth_list(const CallContext&) override { return AuthListRet{{0}}; }
    Status connect_open(const CallContext&, const ConnectOpenArgs&) override { return {}; }
    Status connect_close(const CallContext&) override { return {}; }
    Result<ConnectSupportsFeatureRet>
    connect_supports_feature(const CallContext&, const ConnectSupportsFeatureArgs& a) override {
        return ConnectSupportsFeatureRet{a.feature == 15 ? 1 : 0};
    }
    Status connect_register_close_callback(const CallContext&) override { return {}; }
    Status connect_unregister_close_callback(const CallContext&) override { return {}; }
    Result<ConnectGetHostnameRet> connect_get_hostname(const CallContext&) override {
        return ConnectGetHostnameRet{"virtd-test-host"};
    }
    Result<DomainLookupByNameRet> domain_lookup_by_name(const CallContext&,
                                                        const DomainLookupByNameArgs& a) override {
        if (a.name == "slow") std::this_thread::sleep_for(300ms);
        return DomainLookupByNameRet{{a.name, {}, -1}};
    }
};

class TestCallHandler : public CallHandler {
public:
    Result<std::string> handle_call(const ClientInfo& client, const MessageHeader& h,
                                    std::string_view payload) override {
        XdrReader args(payload);
        XdrWriter out;
        Status s = dispatch_remote(handlers_, CallContext{client.id, client.readonly_socket},
                                   h.proc, args, out);
        if (!s) return s.error();
        return out.take();
    }

private:
    TestHandlers handlers_;
};

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char dir[] = "/tmp/virtd-rpc-XXXXXX";
        dir_ = mkdtemp(dir);
        path_ = dir_ + "/sock";
        server_ = std::make_unique<RpcServer>(loop_, handler_, limits());
        ASSERT_TRUE(server_->listen_unix(path_, 0600, false).ok());
        add_listeners();
        thread_ = std::thread([this] { loop_.run(); });
    }
    void TearDown() override {
        loop_.stop();
        thread_.join();
        server_.reset();
        rmdir(dir_.c_str());
    }
    virtual ServerLimits limits() { return {}; }
    virtual void add_listeners() {}

    int connect_client(const std::string& path = {}) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, (path.empty() ? path_ : path).c_str());
        EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        timeval tv{5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
    }
    static void send_all(int fd, const std::string& bytes) {
        ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    }
    template <typename Args>
    static std::string call(int32_t proc, uint32_t serial, const Args& args) {
        XdrWriter w;
        encode(w, args);
        return encode_message(
            {kRemoteProgram, 1, proc, MessageType::Call, serial, MessageStatus::Ok}, w.data());
    }
    // Reads one frame; returns its header and payload. An empty payload with program 0 means EOF.
    static std::pair<MessageHeader, std::string> read_frame(int fd) {
        std::string buf;
        auto read_n = [&](size_t n) {
            while (buf.size() < n) {
                char tmp[4096];
                ssize_t got = read(fd, tmp, std::min(sizeof tmp, n - buf.size()));
                if (got <= 0) return false;
                buf.append(tmp, static_cast<size_t>(got));
            }
            return true;
        };
        if (!read_n(4)) return {};
        XdrReader lr(buf);
        uint32_t len = 0;
        lr.u32(len);
        if (!read_n(len)) return {};
        XdrReader r(std::string_view(buf).substr(4));
        MessageHeader h = *decode_header(r);
        return {h, buf.substr(28)};
    }

    EventLoop loop_;
    TestCallHandler handler_;
    std::unique_ptr<RpcServer> server_;
    std::thread thread_;
    std::string dir_;
    std::string path_;
};

TEST_F(ServerTest, AnswersCallsCopyingTheSerial) {
    int fd = connect_client();
    send_all(fd, call(23, 77, DomainLookupByNameArgs{"web1"}));
    auto [h, payload] = read_frame(fd);
    EXPECT_EQ(h.type, MessageType::Reply);
    EXPECT_EQ(h.status, MessageStatus::Ok);
    EXPECT_EQ(h.serial, 77u);
    EXPECT_EQ(h.proc, 23);
    DomainLookupByNameRet ret;
    XdrReader r(payload);
    ASSERT_TRUE(decode(r, ret) && r.finish());
    EXPECT_EQ(ret.dom.name, "web1");
    close(fd);
}

TEST_F(ServerTest, UnknownProcedureAndProgramGetLibvirtsErrors) {
    int fd = connect_client();
    send_all(
        fd, encode_message({kRemoteProgram, 1, 9999, MessageType::Call, 3, MessageStatus::Ok}, {}));
    auto [h, payload] = read_frame(fd);
    EXPECT_EQ(h.status, MessageStatus::Error);
    RemoteError e;
    XdrReader r(payload);
    ASSERT_TRUE(decode(r, e));
    EXPECT_EQ(e.code, 39);
    EXPECT_EQ(e.domain, 7);
    EXPECT_EQ(e.message, "unknown procedure: 9999");

    send_all(fd, encode_message({0x12345678, 1, 1, MessageType::Call, 4, MessageStatus::Ok}, {}));
    auto [h2, payload2] = read_frame(fd);
    EXPECT_EQ(h2.status, MessageStatus::Error);
    EXPECT_EQ(h2.serial, 4u);
    XdrReader r2(payload2);
    ASSERT_TRUE(decode(r2, e));
    EXPECT_EQ(e.message, "Cannot find program 305419896 version 1");
    close(fd);
}

TEST_F(ServerTest, RepliesInCompletionOrder) {
    int fd = connect_client();
    send_all(fd, call(23, 1, DomainLookupByNameArgs{"slow"}) +
                     call(23, 2, DomainLookupByNameArgs{"fast"}));
    EXPECT_EQ(read_frame(fd).first.serial, 2u);
    EXPECT_EQ(read_frame(fd).first.serial, 1u);
    close(fd);
}

TEST_F(ServerTest, PingGetsPong) {
    int fd = connect_client();
    send_all(fd, encode_message(
                     {kKeepaliveProgram, 1, 1, MessageType::Message, 0, MessageStatus::Ok}, {}));
    auto [h, payload] = read_frame(fd);
    EXPECT_EQ(h.program, kKeepaliveProgram);
    EXPECT_EQ(h.proc, 2);
    EXPECT_EQ(h.type, MessageType::Message);
    EXPECT_TRUE(payload.empty());
    close(fd);
}

TEST_F(ServerTest, BadFramesDropOnlyTheirConnection) {
    int good = connect_client();
    int bad = connect_client();
    send_all(bad, std::string("\x00\x00\x00\x05xxxxxxxx", 12)); // length below a header
    char c;
    EXPECT_EQ(read(bad, &c, 1), 0); // dropped
    int huge = connect_client();
    send_all(huge, std::string("\x7f\x00\x00\x00", 4)); // 2 GiB frame
    EXPECT_EQ(read(huge, &c, 1), 0);
    int garbage = connect_client();
    send_all(garbage, std::string("\x00\x00\x00\x1c", 4) + std::string(24, '\xff'));
    EXPECT_EQ(read(garbage, &c, 1), 0); // unknown message type
    send_all(good, call(23, 9, DomainLookupByNameArgs{"still-here"}));
    EXPECT_EQ(read_frame(good).first.serial, 9u);
    for (int fd : {good, bad, huge, garbage})
        close(fd);
}

TEST_F(ServerTest, TruncatedArgumentsAreAnErrorReplyNotACrash) {
    int fd = connect_client();
    send_all(fd, encode_message({kRemoteProgram, 1, 23, MessageType::Call, 5, MessageStatus::Ok},
                                std::string("\x00\x00\x00\x10"
                                            "ab",
                                            6)));
    auto [h, payload] = read_frame(fd);
    EXPECT_EQ(h.status, MessageStatus::Error);
    RemoteError e;
    XdrReader r(payload);
    ASSERT_TRUE(decode(r, e));
    EXPECT_THAT(*e.message, ::testing::HasSubstr("malformed arguments to domain_lookup_by_name"));
    close(fd);
}

TEST_F(ServerTest, OversizeStringIsAnErrorReplyAndTheConnectionLives) {
    int fd = connect_client();
    // A name claiming 0x7fffffff bytes: refused by its declared length, not by reading that much.
    send_all(fd, encode_message({kRemoteProgram, 1, 23, MessageType::Call, 6, MessageStatus::Ok},
                                std::string("\x7f\xff\xff\xff"
                                            "abcd",
                                            8)));
    auto [h, payload] = read_frame(fd);
    EXPECT_EQ(h.status, MessageStatus::Error);
    RemoteError e;
    XdrReader r(payload);
    ASSERT_TRUE(decode(r, e));
    EXPECT_THAT(*e.message, ::testing::HasSubstr("exceeds the limit"));
    send_all(fd, call(23, 7, DomainLookupByNameArgs{"next"}));
    EXPECT_EQ(read_frame(fd).first.serial, 7u);
    close(fd);
}

TEST_F(ServerTest, ManyIdleClientsDoNotStopService) {
    // Both ends of every connection live in this process: make room for 2 x 1000 descriptors.
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    size_t n = std::min<size_t>(1000, (lim.rlim_cur - 100) / 2);
    if (n < 1000)
        std::printf("descriptor limit %zu: testing %zu idle clients\n",
                    static_cast<size_t>(lim.rlim_cur), n);
    std::vector<int> idle;
    for (size_t i = 0; i < n; i++)
        idle.push_back(connect_client());
    int fd = connect_client();
    send_all(fd, call(23, 11, DomainLookupByNameArgs{"x"}));
    EXPECT_EQ(read_frame(fd).first.serial, 11u);
    for (int i = 0; i < 200 && server_->client_count() < n + 1; i++)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(server_->client_count(), n + 1);
    for (int f : idle)
        close(f);
    close(fd);
}

// A server with two client slots and fast keepalive, for the limit tests below.
class LimitedServerTest : public ServerTest {
protected:
    ServerLimits limits() override {
        ServerLimits l;
        l.max_clients = 2;
        l.keepalive_interval = 50ms;
        l.keepalive_count = 2;
        return l;
    }
};

TEST_F(LimitedServerTest, AClientPastTheLimitIsToldWhyAndClosed) {
    int a = connect_client();
    int b = connect_client();
    send_all(a, call(23, 1, DomainLookupByNameArgs{"a"}));
    EXPECT_EQ(read_frame(a).first.status, MessageStatus::Ok);
    int c = connect_client();
    send_all(c, call(23, 2, DomainLookupByNameArgs{"c"}));
    auto [h, payload] = read_frame(c);
    EXPECT_EQ(h.status, MessageStatus::Error);
    RemoteError e;
    XdrReader r(payload);
    ASSERT_TRUE(decode(r, e));
    EXPECT_THAT(*e.message, ::testing::HasSubstr("too many active clients (2)"));
    char byte;
    EXPECT_EQ(read(c, &byte, 1), 0); // then closed
    send_all(b, call(23, 3, DomainLookupByNameArgs{"b"}));
    EXPECT_EQ(read_frame(b).first.serial, 3u); // the others go on
    for (int fd : {a, b, c})
        close(fd);
}

TEST_F(LimitedServerTest, KeepaliveDropsAClientThatStopsAnswering) {
    int quiet = connect_client();
    int plain = connect_client();
    send_all(quiet, call(23, 1, DomainLookupByNameArgs{"quiet"}));
    EXPECT_EQ(read_frame(quiet).first.serial, 1u);
    // The daemon does this when a client asks for feature 10; `quiet` was the first client.
    server_->enable_keepalive(1);
    // It gets pings and never answers; after keepalive_count of them it is dropped.
    int pings = 0;
    for (;;) {
        auto [h, payload] = read_frame(quiet);
        if (h.program == 0) break; // EOF
        if (h.program == kKeepaliveProgram && h.proc == 1) pings++;
    }
    EXPECT_EQ(pings, 2);
    // A client that never asked for keepalive is left alone however quiet it is.
    send_all(plain, call(23, 4, DomainLookupByNameArgs{"plain"}));
    EXPECT_EQ(read_frame(plain).first.serial, 4u);
    close(quiet);
    close(plain);
}

// The real thing: libvirt's own virsh, unchanged, through our server.
// A listener whose clients must authenticate with SASL: before they do, only the auth
// procedures answer, frames are small, few may wait at once, and not for long.
class AuthServerTest : public ServerTest {
protected:
    ServerLimits limits() override {
        ServerLimits l;
        l.max_anonymous_clients = 2;
        l.auth_timeout = 300ms;
        return l;
    }
    void add_listeners() override {
        sasl_path_ = dir_ + "/sasl-sock";
        ASSERT_TRUE(server_->listen_unix(sasl_path_, 0600, false, AuthMethod::Sasl).ok());
    }
    void TearDown() override {
        ServerTest::TearDown();
        unlink(sasl_path_.c_str());
    }
    static bool closed_by_server(int fd) {
        char c;
        return read(fd, &c, 1) == 0;
    }
    std::string sasl_path_;
};

TEST_F(AuthServerTest, AuthListNamesTheListenersMethod) {
    for (const auto& [path, type] : {std::pair{std::string(), 0}, std::pair{sasl_path_, 1}}) {
        int fd = connect_client(path);
        send_all(fd, encode_message(
                         {kRemoteProgram, 1, 66, MessageType::Call, 1, MessageStatus::Ok}, {}));
        auto [h, payload] = read_frame(fd);
        EXPECT_EQ(h.status, MessageStatus::Ok);
        AuthListRet ret;
        XdrReader r(payload);
        ASSERT_TRUE(decode(r, ret));
        EXPECT_EQ(ret.types, std::vector<int32_t>{type}) << path;
        close(fd);
    }
}

TEST_F(AuthServerTest, OnlyAuthProceduresBeforeAuthentication) {
    int fd = connect_client(sasl_path_);
    send_all(fd, call(23, 5, DomainLookupByNameArgs{"web1"}));
    auto [h, payload] = read_frame(fd);
    EXPECT_EQ(h.status, MessageStatus::Error);
    EXPECT_NE(payload.find("authentication required"), std::string::npos);
    // A frame bigger than any SASL step could be ends the connection.
    std::string big = call(23, 6, DomainLookupByNameArgs{std::string(400000, 'x')});
    (void)write(fd, big.data(), big.size());
    EXPECT_TRUE(closed_by_server(fd));
    close(fd);
}

TEST_F(AuthServerTest, FewMayWaitToAuthenticateAndNotForLong) {
    int a = connect_client(sasl_path_);
    int b = connect_client(sasl_path_);
    std::this_thread::sleep_for(50ms);
    int c = connect_client(sasl_path_);
    EXPECT_TRUE(closed_by_server(c)); // the third waiting client is turned away
    int plain = connect_client();     // a listener without auth is not limited
    send_all(plain, call(23, 1, DomainLookupByNameArgs{"web1"}));
    EXPECT_EQ(read_frame(plain).first.status, MessageStatus::Ok);
    // ...and the two waiting ones are dropped once auth_timeout passes.
    EXPECT_TRUE(closed_by_server(a));
    EXPECT_TRUE(closed_by_server(b));
    int d = connect_client(sasl_path_); // room again
    send_all(d,
             encode_message({kRemoteProgram, 1, 66, MessageType::Call, 1, MessageStatus::Ok}, {}));
    EXPECT_EQ(read_frame(d).first.status, MessageStatus::Ok);
    for (int fd : {a, b, c, d, plain})
        close(fd);
}

TEST_F(ServerTest, StockVirshTalksToIt) {
    if (access("/usr/bin/virsh", X_OK) != 0)
        GTEST_SKIP() << "virsh not installed (Debian package libvirt-clients)";
    std::string cmd = "virsh -q -c 'mock+unix:///default?socket=" + path_ + "' hostname 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[256] = {};
    std::string out;
    while (fgets(buf, sizeof buf, p))
        out += buf;
    int rc = pclose(p);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, "virtd-test-host\n");
}

} // namespace
} // namespace virtd::rpc
