// RpcClient against the real RpcServer in-process (calls, errors, concurrency, keepalive, events,
// the server going away), and against a scripted peer for streams, which the server does not
// carry yet.
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/event_loop.h"
#include "rpc/client.h"
#include "rpc/remote_protocol.h"
#include "rpc/server.h"
#include "rpc/wire_error.h"

namespace virtd::rpc {
namespace {

using namespace std::chrono_literals;

class Handlers : public RemoteHandlers {
public:
    Result<AuthListRet> auth_list(const CallContext&) override { return AuthListRet{{0}}; }
    Status connect_open(const CallContext& ctx, const ConnectOpenArgs&) override {
        last_client = ctx.client_id;
        return {};
    }
    Result<ConnectGetHostnameRet> connect_get_hostname(const CallContext&) override {
        return ConnectGetHostnameRet{"client-test-host"};
    }
    Result<DomainLookupByNameRet> domain_lookup_by_name(const CallContext&,
                                                        const DomainLookupByNameArgs& a) override {
        if (a.name == "slow") std::this_thread::sleep_for(400ms);
        if (a.name == "missing")
            return make_error(ErrorCode::NoDomain, ErrorDomain::Dom,
                              "Domain not found: no domain with matching name '{}'", a.name);
        return DomainLookupByNameRet{{a.name, {}, -1}};
    }
    std::atomic<uint64_t> last_client{0};
};

class Dispatcher : public CallHandler {
public:
    Result<std::string> handle_call(const ClientInfo& client, const MessageHeader& h,
                                    std::string_view payload) override {
        XdrReader args(payload);
        XdrWriter out;
        Status s = dispatch_remote(handlers, CallContext{client.id, client.readonly_socket}, h.proc,
                                   args, out);
        if (!s) return s.error();
        return out.take();
    }
    Handlers handlers;
};

std::string temp_dir() {
    char dir[] = "/tmp/virtd-client-XXXXXX";
    return mkdtemp(dir);
}

class ClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_dir();
        path_ = dir_ + "/sock";
        ServerLimits limits;
        limits.keepalive_interval = 1s;
        limits.keepalive_count = 1;
        server_ = std::make_unique<RpcServer>(loop_, dispatcher_, limits);
        ASSERT_TRUE(server_->listen_unix(path_, 0600, false).ok());
        thread_ = std::thread([this] { loop_.run(); });
    }
    void TearDown() override {
        loop_.stop();
        thread_.join();
        server_.reset();
        rmdir(dir_.c_str());
    }
    std::unique_ptr<RpcClient> connect() {
        auto c = RpcClient::connect_unix(path_);
        EXPECT_TRUE(c.ok()) << c.error().message();
        return c ? std::move(*c) : nullptr;
    }

    EventLoop loop_;
    Dispatcher dispatcher_;
    std::unique_ptr<RpcServer> server_;
    std::thread thread_;
    std::string dir_;
    std::string path_;
};

TEST_F(ClientTest, GeneratedStubsRoundTrip) {
    auto c = connect();
    RemoteClient remote(*c);
    ASSERT_TRUE(remote.connect_open({std::string("mock:///default"), 0}).ok());
    auto host = remote.connect_get_hostname();
    ASSERT_TRUE(host.ok()) << host.error().message();
    EXPECT_EQ(host->hostname, "client-test-host");
    auto dom = remote.domain_lookup_by_name({"web1"});
    ASSERT_TRUE(dom.ok());
    EXPECT_EQ(dom->dom.name, "web1");
    EXPECT_EQ(dom->dom.id, -1);
}

TEST_F(ClientTest, ServerErrorsArriveWithTheirCodeAndMessage) {
    auto c = connect();
    RemoteClient remote(*c);
    auto dom = remote.domain_lookup_by_name({"missing"});
    ASSERT_FALSE(dom.ok());
    EXPECT_EQ(dom.error().code(), ErrorCode::NoDomain);
    EXPECT_EQ(dom.error().domain(), ErrorDomain::Dom);
    EXPECT_EQ(dom.error().message(), "Domain not found: no domain with matching name 'missing'");
}

TEST_F(ClientTest, UnknownProcedureBecomesNoSupport) {
    auto c = connect();
    auto r = c->call(kRemoteProgram, kRemoteVersion, 9999, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::NoSupport);
    EXPECT_EQ(r.error().message(), "unknown procedure: 9999");
}

TEST_F(ClientTest, ASlowCallDoesNotHoldUpOthers) {
    auto c = connect();
    RemoteClient remote(*c);
    std::atomic<bool> slow_done{false};
    std::thread slow([&] {
        EXPECT_TRUE(remote.domain_lookup_by_name({"slow"}).ok());
        slow_done = true;
    });
    std::this_thread::sleep_for(50ms);
    std::vector<std::thread> fast;
    std::atomic<int> fast_ok{0};
    for (int i = 0; i < 8; i++)
        fast.emplace_back([&, i] {
            auto d = remote.domain_lookup_by_name({"d" + std::to_string(i)});
            if (d.ok() && d->dom.name == "d" + std::to_string(i)) fast_ok++;
        });
    for (auto& t : fast)
        t.join();
    EXPECT_EQ(fast_ok.load(), 8);
    EXPECT_FALSE(slow_done.load()) << "fast calls waited for the slow one";
    slow.join();
    EXPECT_TRUE(slow_done.load());
}

TEST_F(ClientTest, AnswersServerPingsAndGetsPongs) {
    auto c = connect();
    RemoteClient remote(*c);
    ASSERT_TRUE(remote.connect_open({std::string("mock:///default"), 0}).ok());
    server_->enable_keepalive(dispatcher_.handlers.last_client.load());
    ASSERT_TRUE(c->ping().ok());
    // One unanswered ping after an idle second would drop us; three seconds of silence from
    // this side prove the client answers them.
    std::this_thread::sleep_for(3500ms);
    EXPECT_TRUE(c->is_open());
    EXPECT_GE(c->pongs_received(), 1u);
    EXPECT_TRUE(remote.connect_get_hostname().ok());
}

TEST_F(ClientTest, EventsReachTheHandlerInOrder) {
    auto c = connect();
    RemoteClient remote(*c);
    ASSERT_TRUE(remote.connect_open({std::string("mock:///default"), 0}).ok());
    std::mutex mu;
    std::condition_variable cv;
    std::vector<int32_t> seen;
    c->set_message_handler([&](const MessageHeader& h, const std::string& payload) {
        XdrReader r(payload);
        DomainEventCallbackLifecycleMsg msg;
        ASSERT_TRUE(decode(r, msg));
        EXPECT_EQ(h.proc, 318);
        // A handler may call back into the client.
        EXPECT_TRUE(remote.connect_get_hostname().ok());
        std::lock_guard lock(mu);
        seen.push_back(msg.event);
        cv.notify_all();
    });
    uint64_t id = dispatcher_.handlers.last_client.load();
    for (int32_t event : {0, 2, 3}) {
        XdrWriter w;
        encode(w, DomainEventCallbackLifecycleMsg{7, {"vm", {}, 1}, event, 0});
        server_->send_message(id, kRemoteProgram, 318, w.take());
    }
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return seen.size() == 3; }));
    EXPECT_EQ(seen, (std::vector<int32_t>{0, 2, 3}));
}

TEST_F(ClientTest, ServerGoingAwayFailsCallsAndTellsTheCloseHandler) {
    auto c = connect();
    RemoteClient remote(*c);
    std::atomic<bool> told{false};
    c->set_close_handler([&](const Error&) { told = true; });
    std::thread slow([&] {
        auto r = remote.domain_lookup_by_name({"slow"});
        // Either the reply made it out first or the call failed; it must not hang.
        (void)r;
    });
    std::this_thread::sleep_for(50ms);
    loop_.post([this] { server_.reset(); });
    slow.join();
    for (int i = 0; i < 100 && !told.load(); i++)
        std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(told.load());
    EXPECT_FALSE(c->is_open());
    auto r = remote.connect_get_hostname();
    EXPECT_FALSE(r.ok());
}

TEST_F(ClientTest, ConnectingToNothingIsAnError) {
    auto c = RpcClient::connect_unix(dir_ + "/nothing-here");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message().find("nothing-here"), std::string::npos);
}

// ---- a scripted peer for what RpcServer cannot do yet --------------------------------------

// Accepts one connection and runs `script` on it in a thread.
class ScriptedPeer {
public:
    explicit ScriptedPeer(std::function<void(ScriptedPeer&)> script)
        : dir_(temp_dir())
        , path_(dir_ + "/peer") {
        listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, path_.c_str());
        EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(listen(listen_fd_, 1), 0);
        thread_ = std::thread([this, script = std::move(script)] {
            fd_ = accept(listen_fd_, nullptr, nullptr);
            timeval tv{5, 0};
            setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            script(*this);
        });
    }
    ~ScriptedPeer() {
        join();
        if (fd_ >= 0) ::close(fd_);
        ::close(listen_fd_);
        unlink(path_.c_str());
        rmdir(dir_.c_str());
    }
    const std::string& path() const { return path_; }
    // Waits for the script to end: what it recorded may be read after this.
    void join() {
        if (thread_.joinable()) thread_.join();
    }

    std::pair<MessageHeader, std::string> read_frame() {
        std::string len_bytes = read_n(4);
        if (len_bytes.size() < 4) return {};
        XdrReader lr(len_bytes);
        uint32_t len = 0;
        lr.u32(len);
        std::string rest = read_n(len - 4);
        XdrReader r(rest);
        MessageHeader h = *decode_header(r);
        return {h, rest.substr(24)};
    }
    void write_frame(const MessageHeader& h, std::string_view payload) {
        std::string f = encode_message(h, payload);
        ASSERT_EQ(write(fd_, f.data(), f.size()), static_cast<ssize_t>(f.size()));
    }
    static MessageHeader stream(const MessageHeader& call, MessageStatus status) {
        MessageHeader h = call;
        h.type = MessageType::Stream;
        h.status = status;
        return h;
    }
    static MessageHeader reply(const MessageHeader& call) {
        MessageHeader h = call;
        h.type = MessageType::Reply;
        return h;
    }

private:
    std::string read_n(size_t n) {
        std::string out;
        while (out.size() < n) {
            char buf[65536];
            ssize_t got = read(fd_, buf, std::min(sizeof buf, n - out.size()));
            if (got <= 0) break;
            out.append(buf, static_cast<size_t>(got));
        }
        return out;
    }

    std::string dir_;
    std::string path_;
    int listen_fd_ = -1;
    int fd_ = -1;
    std::thread thread_;
};

TEST(ClientStreamTest, DownloadReceivesChunksThenConfirmsTheEnd) {
    std::vector<MessageHeader> from_client;
    ScriptedPeer peer([&](ScriptedPeer& p) {
        auto [call, args] = p.read_frame();
        p.write_frame(ScriptedPeer::reply(call), {});
        p.write_frame(ScriptedPeer::stream(call, MessageStatus::Continue), "hello ");
        p.write_frame(ScriptedPeer::stream(call, MessageStatus::Continue), "world");
        p.write_frame(ScriptedPeer::stream(call, MessageStatus::Continue), {});
        auto [confirm, empty] = p.read_frame();
        from_client.push_back(confirm);
        EXPECT_TRUE(empty.empty());
        p.write_frame(ScriptedPeer::stream(call, MessageStatus::Ok), {});
    });
    auto c = RpcClient::connect_unix(peer.path());
    ASSERT_TRUE(c.ok());
    auto opened = (*c)->call_with_stream(kRemoteProgram, 1, 209, {});
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    RpcStream& s = *opened->second;
    std::string got;
    for (;;) {
        auto chunk = s.recv();
        ASSERT_TRUE(chunk.ok()) << chunk.error().message();
        if (chunk->empty()) break;
        got += *chunk;
    }
    EXPECT_EQ(got, "hello world");
    peer.join();
    ASSERT_EQ(from_client.size(), 1u);
    EXPECT_EQ(from_client[0].type, MessageType::Stream);
    EXPECT_EQ(from_client[0].status, MessageStatus::Ok);
    EXPECT_EQ(from_client[0].serial, s.serial());
    EXPECT_EQ(from_client[0].proc, 209);
}

TEST(ClientStreamTest, UploadSendsBoundedChunksAndWaitsForTheServersOk) {
    std::string received;
    size_t biggest = 0;
    ScriptedPeer peer([&](ScriptedPeer& p) {
        auto [call, args] = p.read_frame();
        p.write_frame(ScriptedPeer::reply(call), {});
        for (;;) {
            auto [h, data] = p.read_frame();
            if (h.type != MessageType::Stream) break;
            if (h.status == MessageStatus::Ok) {
                p.write_frame(ScriptedPeer::stream(call, MessageStatus::Ok), {});
                break;
            }
            biggest = std::max(biggest, data.size());
            received += data;
        }
    });
    auto c = RpcClient::connect_unix(peer.path());
    ASSERT_TRUE(c.ok());
    auto opened = (*c)->call_with_stream(kRemoteProgram, 1, 208, {});
    ASSERT_TRUE(opened.ok());
    std::string data(600000, 'x');
    for (size_t i = 0; i < data.size(); i++)
        data[i] = static_cast<char>('a' + i % 26);
    ASSERT_TRUE(opened->second->send(data).ok());
    ASSERT_TRUE(opened->second->finish().ok());
    EXPECT_EQ(received, data);
    EXPECT_EQ(biggest, kStreamChunkMax);
}

TEST(ClientStreamTest, ServerStreamErrorReachesTheWriter) {
    ScriptedPeer peer([&](ScriptedPeer& p) {
        auto [call, args] = p.read_frame();
        p.write_frame(ScriptedPeer::reply(call), {});
        auto [h, data] = p.read_frame(); // the first chunk
        XdrWriter w;
        encode(w, to_remote_error(Error(ErrorCode::OperationFailed, ErrorDomain::Storage,
                                        "operation failed: volume is full")));
        p.write_frame(ScriptedPeer::stream(call, MessageStatus::Error), w.data());
        p.read_frame(); // the client's OK, then it closes
    });
    auto c = RpcClient::connect_unix(peer.path());
    ASSERT_TRUE(c.ok());
    auto opened = (*c)->call_with_stream(kRemoteProgram, 1, 208, {});
    ASSERT_TRUE(opened.ok());
    ASSERT_TRUE(opened->second->send("abc").ok());
    Status s = opened->second->finish();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), ErrorCode::OperationFailed);
    EXPECT_EQ(s.error().message(), "operation failed: volume is full");
}

TEST(ClientStreamTest, AbortSendsAnEmptyStreamError) {
    MessageHeader seen;
    std::string payload = "unset";
    ScriptedPeer peer([&](ScriptedPeer& p) {
        auto [call, args] = p.read_frame();
        p.write_frame(ScriptedPeer::reply(call), {});
        std::tie(seen, payload) = p.read_frame();
    });
    auto c = RpcClient::connect_unix(peer.path());
    ASSERT_TRUE(c.ok());
    auto opened = (*c)->call_with_stream(kRemoteProgram, 1, 201, {});
    ASSERT_TRUE(opened.ok());
    opened->second->abort();
    opened->second.reset();
    c->reset();
    peer.join();
    EXPECT_EQ(seen.type, MessageType::Stream);
    EXPECT_EQ(seen.status, MessageStatus::Error);
    EXPECT_TRUE(payload.empty());
}

TEST(ClientKeepaliveTest, ASilentServerIsDroppedAfterUnansweredPings) {
    int pings = 0;
    ScriptedPeer peer([&](ScriptedPeer& p) {
        for (;;) {
            auto [h, data] = p.read_frame();
            if (h.program != kKeepaliveProgram) break;
            pings++;
        }
    });
    auto c = RpcClient::connect_unix(peer.path());
    ASSERT_TRUE(c.ok());
    (*c)->start_keepalive(50ms, 2);
    for (int i = 0; i < 100 && (*c)->is_open(); i++)
        std::this_thread::sleep_for(20ms);
    EXPECT_FALSE((*c)->is_open());
    auto r = (*c)->call(kRemoteProgram, 1, 59, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("keepalive"), std::string::npos) << r.error().message();
    c->reset();
    peer.join();
    EXPECT_EQ(pings, 2);
}

} // namespace
} // namespace virtd::rpc
