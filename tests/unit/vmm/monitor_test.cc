#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/kvm/vmm/monitor.h"

namespace virtd::vmm {
namespace {

using namespace std::chrono_literals;
using Json = Monitor::Json;

// A client speaking the protocol over a real socket, as the daemon and the Python helper do.
class Peer {
public:
    explicit Peer(const std::string& path) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        fd_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fd_.reset();
    }
    bool connected() const { return static_cast<bool>(fd_); }
    int fd() const { return fd_.get(); }

    // Sends raw bytes; false once the server has closed the connection.
    bool send_raw(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }
    bool send_line(const std::string& line) { return send_raw(line + "\n"); }

    // The next line, or nothing at end of connection or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = 5s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            if (eof_) return std::nullopt;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_.get(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char chunk[65536];
            ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
            if (n <= 0)
                eof_ = true; // end of file, or ECONNRESET when the server closed on unread input
            else
                buf_.append(chunk, static_cast<size_t>(n));
        }
    }
    std::optional<Json> read_json(std::chrono::milliseconds timeout = 5s) {
        std::optional<std::string> line = read_line(timeout);
        if (!line) return std::nullopt;
        return Json::parse(*line);
    }
    // The reply to one request (events in between are skipped).
    Json call(const std::string& request) {
        EXPECT_TRUE(send_line(request));
        for (;;) {
            std::optional<Json> j = read_json();
            if (!j) return Json();
            if (!j->contains("event")) return *j;
        }
    }
    // Reads (and discards) until the server closes the connection.
    bool closed(std::chrono::milliseconds timeout = 5s) {
        while (read_line(timeout)) {
        }
        return eof_;
    }

private:
    UniqueFd fd_;
    std::string buf_;
    bool eof_ = false;
};

class MonitorTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/virtd-monitor-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/monitor.sock";
    }
    void TearDown() override {
        monitor_.reset();
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }

    // A monitor with a few test commands, serving.
    void serve() {
        Result<std::unique_ptr<Monitor>> m = Monitor::listen(path_);
        ASSERT_TRUE(m.ok()) << m.error().message();
        monitor_ = std::move(*m);
        monitor_->add_command("echo", [](const Json& args) -> Result<Json> { return args; });
        monitor_->add_command("nothing", [](const Json&) -> Result<Json> { return Json(); });
        monitor_->add_command("fail", [](const Json& args) -> Result<Json> {
            return Error(static_cast<ErrorCode>(args.at("code").get<int>()), ErrorDomain::None,
                         args.at("message").get<std::string>());
        });
        monitor_->add_command(
            "throw", [](const Json&) -> Result<Json> { throw std::runtime_error("surprise"); });
        ASSERT_TRUE(monitor_->start().ok());
    }

    // A connected client past its greeting.
    std::unique_ptr<Peer> connect() {
        auto p = std::make_unique<Peer>(path_);
        EXPECT_TRUE(p->connected());
        std::optional<Json> greeting = p->read_json();
        EXPECT_TRUE(greeting && greeting->contains("virtd-vmm"));
        return p;
    }

    std::string dir_;
    std::string path_;
    std::unique_ptr<Monitor> monitor_;
};

TEST_F(MonitorTest, GreetsEachClient) {
    serve();
    Peer p(path_);
    ASSERT_TRUE(p.connected());
    std::optional<std::string> line = p.read_line();
    ASSERT_TRUE(line);
    EXPECT_TRUE(line->starts_with(R"({"virtd-vmm":{"version":")")) << *line;
    Json g = Json::parse(*line);
    EXPECT_TRUE(g["virtd-vmm"]["version"].is_string());
    EXPECT_FALSE(g["virtd-vmm"]["version"].get<std::string>().empty());
    EXPECT_EQ(g["virtd-vmm"]["pid"], ::getpid());
    EXPECT_EQ(g["capabilities"], Json::array());
}

TEST_F(MonitorTest, CommandWithIdAndArguments) {
    serve();
    auto p = connect();
    ASSERT_TRUE(p->send_line(R"({"execute":"echo","arguments":{"a":1,"b":[true]},"id":"x1"})"));
    std::optional<std::string> line = p->read_line();
    ASSERT_TRUE(line);
    EXPECT_EQ(*line, R"({"return":{"a":1,"b":[true]},"id":"x1"})");
}

TEST_F(MonitorTest, CommandWithoutIdOrArguments) {
    serve();
    auto p = connect();
    Json r = p->call(R"({"execute":"echo"})");
    EXPECT_EQ(r, Json::parse(R"({"return":{}})"));
    // A handler returning nothing answers an empty object, as QMP does.
    EXPECT_EQ(p->call(R"({"execute":"nothing"})"), Json::parse(R"({"return":{}})"));
}

TEST_F(MonitorTest, EchoesAnyId) {
    serve();
    auto p = connect();
    EXPECT_EQ(p->call(R"({"execute":"echo","id":7})")["id"], 7);
    EXPECT_EQ(p->call(R"({"id":{"n":[1,2]},"execute":"echo"})")["id"],
              Json::parse(R"({"n":[1,2]})"));
    EXPECT_EQ(p->call(R"({"execute":"echo","id":null})")["id"], nullptr);
}

TEST_F(MonitorTest, RepliesInOrderAndIgnoresBlankLines) {
    serve();
    auto p = connect();
    ASSERT_TRUE(p->send_raw("\n  \r\n{\"execute\":\"echo\",\"id\":1}\n\n{\"execute\":\"echo\","
                            "\"id\":2}\r\n{\"execute\":\"echo\",\"id\":3}\n"));
    for (int id = 1; id <= 3; id++) {
        std::optional<Json> r = p->read_json();
        ASSERT_TRUE(r);
        EXPECT_EQ((*r)["id"], id);
    }
}

TEST_F(MonitorTest, UnknownCommand) {
    serve();
    auto p = connect();
    Json r = p->call(R"({"execute":"no-such-thing","id":"q"})");
    EXPECT_EQ(r["error"]["class"], "CommandNotFound");
    EXPECT_NE(r["error"]["desc"].get<std::string>().find("no-such-thing"), std::string::npos);
    EXPECT_EQ(r["id"], "q");
}

TEST_F(MonitorTest, MalformedJsonKeepsTheConnection) {
    serve();
    auto p = connect();
    Json r = p->call(R"({"execute":"echo",)");
    EXPECT_EQ(r["error"]["class"], "GenericError");
    EXPECT_NE(r["error"]["desc"].get<std::string>().find("malformed JSON"), std::string::npos) << r;
    EXPECT_FALSE(r.contains("id"));
    EXPECT_EQ(p->call(R"({"execute":"echo","id":1})")["return"], Json::object());
}

TEST_F(MonitorTest, InvalidRequests) {
    serve();
    auto p = connect();
    for (const char* request :
         {R"([1,2])", R"("execute")", R"({"id":4})", R"({"execute":3})",
          R"({"execute":"echo","arguments":[1]})", R"({"execute":"echo","argument":{}})"}) {
        Json r = p->call(request);
        EXPECT_EQ(r["error"]["class"], "GenericError") << request;
    }
    // Nesting deep enough to exhaust the stack when echoed is refused before parsing.
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    Json r = p->call(R"({"execute":"echo","id":)" + deep + "}");
    EXPECT_EQ(r["error"]["class"], "GenericError");
    EXPECT_NE(r["error"]["desc"].get<std::string>().find("nested"), std::string::npos);
    // Brackets inside strings do not count.
    r = p->call(R"({"execute":"echo","arguments":{"s":"[[[[\"{{{{"}})");
    EXPECT_EQ(r["return"]["s"], R"([[[["{{{{)") << r;
    // Once the request is an object, its id comes back even when it is refused.
    EXPECT_EQ(p->call(R"({"id":4})")["id"], 4);
    EXPECT_EQ(p->call(R"({"execute":"echo","id":5})")["return"], Json::object());
}

TEST_F(MonitorTest, MapsHandlerErrors) {
    serve();
    auto p = connect();
    auto fail = [&](ErrorCode code) {
        return p->call(
            fmt::format(R"({{"execute":"fail","arguments":{{"code":{},"message":"m{}"}},)"
                        R"("id":{}}})",
                        static_cast<int>(code), static_cast<int>(code), static_cast<int>(code)));
    };
    Json r = fail(ErrorCode::NoDevice);
    EXPECT_EQ(r["error"]["class"], "DeviceNotFound");
    EXPECT_EQ(r["error"]["desc"], "m23");
    EXPECT_EQ(r["id"], 23);
    EXPECT_EQ(fail(ErrorCode::DeviceMissing)["error"]["class"], "DeviceNotFound");
    EXPECT_EQ(fail(ErrorCode::InvalidArg)["error"]["class"], "InvalidArgument");
    EXPECT_EQ(fail(ErrorCode::OperationFailed)["error"]["class"], "GenericError");
    EXPECT_EQ(fail(ErrorCode::InternalError)["error"]["class"], "GenericError");
    // A handler reading arguments that are not there or of the wrong type.
    r = p->call(R"({"execute":"fail","arguments":{"code":"x"}})");
    EXPECT_EQ(r["error"]["class"], "InvalidArgument") << r;
    r = p->call(R"({"execute":"throw"})");
    EXPECT_EQ(r["error"]["class"], "GenericError");
    EXPECT_NE(r["error"]["desc"].get<std::string>().find("surprise"), std::string::npos);
}

TEST(MonitorErrorClass, Codes) {
    EXPECT_EQ(monitor_error_class(ErrorCode::NoDevice), "DeviceNotFound");
    EXPECT_EQ(monitor_error_class(ErrorCode::NoInterface), "DeviceNotFound");
    EXPECT_EQ(monitor_error_class(ErrorCode::InvalidArg), "InvalidArgument");
    EXPECT_EQ(monitor_error_class(ErrorCode::ArgumentUnsupported), "InvalidArgument");
    EXPECT_EQ(monitor_error_class(ErrorCode::OperationInvalid), "GenericError");
}

TEST_F(MonitorTest, QueryCommands) {
    serve();
    auto p = connect();
    Json r = p->call(R"({"execute":"query-commands"})");
    EXPECT_EQ(r["return"], Json::parse(R"([{"name":"echo"},{"name":"fail"},{"name":"nothing"},)"
                                       R"({"name":"query-commands"},{"name":"throw"}])"));
}

TEST_F(MonitorTest, EventsReachEveryClient) {
    serve();
    auto a = connect();
    auto b = connect();
    auto before = std::chrono::system_clock::now();
    monitor_->emit("STOP", {{"reason", "paused"}});
    std::thread([&] { monitor_->emit("RESUME"); }).join();
    for (Peer* p : {a.get(), b.get()}) {
        std::optional<std::string> line = p->read_line();
        ASSERT_TRUE(line);
        EXPECT_TRUE(line->starts_with(R"({"event":"STOP","data":{"reason":"paused"},)")) << *line;
        Json e = Json::parse(*line);
        int64_t seconds = e["timestamp"]["seconds"];
        int64_t micros = e["timestamp"]["microseconds"];
        EXPECT_GE(micros, 0);
        EXPECT_LT(micros, 1000000);
        EXPECT_NEAR(seconds, std::chrono::system_clock::to_time_t(before), 5);
        std::optional<Json> resume = p->read_json();
        ASSERT_TRUE(resume);
        EXPECT_EQ((*resume)["event"], "RESUME");
        EXPECT_EQ((*resume)["data"], Json::object());
    }
}

TEST_F(MonitorTest, AClientThatDoesNotReadIsDisconnected) {
    serve();
    auto reader = connect();
    auto stuck = connect(); // never reads from here on
    const std::string blob(size_t{64} * 1024, 'x');
    const int events = 2 * static_cast<int>(Monitor::kMaxOutputBytes / blob.size()); // 8 MiB
    for (int i = 0; i < events; i++) {
        monitor_->emit("BLOB", {{"n", i}, {"blob", blob}});
        std::optional<Json> e = reader->read_json();
        ASSERT_TRUE(e) << "event " << i;
        ASSERT_EQ((*e)["data"]["n"], i);
    }
    // The server stayed responsive throughout and still is.
    EXPECT_EQ(reader->call(R"({"execute":"echo","id":1})")["id"], 1);
    // The stuck client got a prefix of the events, then the connection closed.
    int got = 0;
    while (std::optional<std::string> line = stuck->read_line())
        if (line->starts_with(R"({"event":"BLOB")")) got++;
    EXPECT_TRUE(stuck->closed());
    EXPECT_LT(got, events);
    EXPECT_GT(got, 0);
}

TEST_F(MonitorTest, RefusesAnOverlongLine) {
    serve();
    auto p = connect();
    // A request just inside the limit is served.
    std::string big(Monitor::kMaxLineBytes - 100, 'y');
    Json r = p->call(fmt::format(R"({{"execute":"echo","arguments":{{"s":"{}"}}}})", big));
    ASSERT_TRUE(r.contains("return"));
    EXPECT_EQ(r["return"]["s"].get<std::string>().size(), big.size());

    // One byte over, without a newline yet: refused, then closed.
    std::thread writer([&] {
        std::string chunk(size_t{64} * 1024, 'z');
        for (size_t sent = 0; sent <= Monitor::kMaxLineBytes; sent += chunk.size())
            if (!p->send_raw(chunk)) break;
    });
    std::optional<Json> e = p->read_json();
    writer.join();
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["error"]["class"], "GenericError");
    EXPECT_NE((*e)["error"]["desc"].get<std::string>().find("longer than"), std::string::npos);
    EXPECT_TRUE(p->closed());

    // Others are unaffected.
    auto q = connect();
    EXPECT_EQ(q->call(R"({"execute":"echo","id":2})")["id"], 2);
}

TEST_F(MonitorTest, LimitsTheNumberOfClients) {
    serve();
    std::vector<std::unique_ptr<Peer>> peers;
    for (size_t i = 0; i < Monitor::kMaxClients; i++)
        peers.push_back(connect());
    Peer extra(path_);
    ASSERT_TRUE(extra.connected());
    std::optional<Json> refusal = extra.read_json();
    ASSERT_TRUE(refusal);
    EXPECT_EQ((*refusal)["error"]["class"], "GenericError");
    EXPECT_TRUE(extra.closed());
    // Everyone connected is still served.
    EXPECT_EQ(peers.back()->call(R"({"execute":"echo","id":9})")["id"], 9);

    // A place frees up when a client leaves (noticed asynchronously, hence the retries).
    peers.erase(peers.begin());
    bool greeted = false;
    for (int attempt = 0; attempt < 50 && !greeted; attempt++) {
        Peer again(path_);
        std::optional<Json> first = again.read_json();
        greeted = first && first->contains("virtd-vmm");
        if (!greeted) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(greeted);
}

TEST_F(MonitorTest, RepliesBeforeClosingAHalfClosedClient) {
    serve();
    auto p = connect();
    ASSERT_TRUE(p->send_line(R"({"execute":"echo","id":"last"})"));
    ASSERT_EQ(::shutdown(p->fd(), SHUT_WR), 0);
    std::optional<Json> r = p->read_json();
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["id"], "last");
    EXPECT_TRUE(p->closed());
}

TEST_F(MonitorTest, SocketFileLifecycle) {
    serve();
    struct stat st {};
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // A second monitor must not steal a live one's socket.
    Result<std::unique_ptr<Monitor>> second = Monitor::listen(path_);
    EXPECT_FALSE(second.ok());

    auto p = connect();
    monitor_.reset();
    EXPECT_NE(::stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(p->closed());
}

TEST_F(MonitorTest, ReplacesAStaleSocketButNotOtherFiles) {
    {
        // A socket file nobody listens on, as a killed VMM leaves behind.
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
        UniqueFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
        ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    serve();
    auto p = connect();
    EXPECT_EQ(p->call(R"({"execute":"echo","id":1})")["id"], 1);
    monitor_.reset();

    std::string plain = dir_ + "/plain";
    UniqueFd f(::open(plain.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    Result<std::unique_ptr<Monitor>> m = Monitor::listen(plain);
    EXPECT_FALSE(m.ok());
    struct stat st {};
    EXPECT_EQ(::stat(plain.c_str(), &st), 0);
    ::unlink(plain.c_str());
}

} // namespace
} // namespace virtd::vmm
