#include "network/switch/switch_server.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "network/switch/protocol.h"

namespace virtd::network {

namespace {

constexpr std::string_view kLog = "network.switch";
constexpr auto kHelloTimeout = std::chrono::seconds(5);
constexpr auto kAgingInterval = std::chrono::seconds(10);
// Connections still owing a hello, beyond max_ports: bounds what an idle client can hold.
constexpr size_t kMaxPendingHellos = 16;
// Frames read from one port per wakeup, so a busy port cannot starve the others.
constexpr int kFramesPerWakeup = 64;

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                          "socket path '{}' is empty or longer than {} bytes", path,
                          sizeof addr.sun_path - 1);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

// Is something answering on `addr`? Decides whether an existing socket file is stale.
bool socket_alive(const sockaddr_un& addr) {
    UniqueFd probe(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!probe) return false;
    return connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

} // namespace

SwitchServer::SwitchServer(EventLoop& loop, SwitchLimits limits)
    : loop_(loop)
    , switch_(limits)
    // One byte over the largest message accepted, so recv's MSG_TRUNC shows what is too long.
    , buf_(std::max(limits.max_frame_size, switchproto::kMaxHelloSize) + 1) {}

SwitchServer::~SwitchServer() {
    shutdown();
}

Status SwitchServer::listen(const std::string& path, mode_t mode) {
    if (listen_fd_)
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::Network,
                          "the switch already listens on '{}'", path_);
    Result<sockaddr_un> addr = unix_address(path);
    if (!addr) return addr.error();
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return make_error(ErrorCode::OperationInvalid, ErrorDomain::Network,
                              "'{}' exists and is not a socket", path);
        if (socket_alive(*addr))
            return make_error(ErrorCode::OperationInvalid, ErrorDomain::Network,
                              "a switch already listens on '{}'", path);
        unlink(path.c_str());
    }
    UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return system_error(ErrorDomain::Network, errno, "creating the switch socket");
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
        return system_error(ErrorDomain::Network, errno, fmt::format("binding '{}'", path));
    if (chmod(path.c_str(), mode) != 0 || ::listen(fd.get(), 64) != 0) {
        int err = errno;
        unlink(path.c_str());
        return system_error(ErrorDomain::Network, err, fmt::format("listening on '{}'", path));
    }
    if (Status s = loop_.add_fd(fd.get(), EPOLLIN, [this](uint32_t) { on_accept(); }); !s) {
        unlink(path.c_str());
        return s;
    }
    listen_fd_ = std::move(fd);
    path_ = path;
    aging_timer_ = loop_.add_timer(
        std::chrono::duration_cast<std::chrono::milliseconds>(kAgingInterval),
        [this] { switch_.age(); }, true);
    log::info(kLog, "listening on {}", path_);
    return {};
}

void SwitchServer::shutdown() {
    if (!listen_fd_ && conns_.empty()) return;
    std::vector<int> fds;
    for (const auto& [fd, conn] : conns_)
        fds.push_back(fd);
    for (int fd : fds)
        close_conn(fd);
    if (listen_fd_) {
        loop_.remove_fd(listen_fd_.get());
        listen_fd_.reset();
        loop_.cancel_timer(aging_timer_);
        unlink(path_.c_str());
        log::info(kLog, "stopped listening on {}", path_);
    }
}

void SwitchServer::on_accept() {
    // Drain the backlog: epoll is level-triggered, but one pass per wakeup costs less.
    for (;;) {
        UniqueFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log::warning(kLog, "accept on {}: {}", path_, std::strerror(errno));
            return;
        }
        if (conns_.size() >= switch_.limits().max_ports + kMaxPendingHellos) {
            log::warning(kLog, "refusing a connection: {} already open", conns_.size());
            continue; // closing it is the refusal
        }
        int raw = fd.get();
        auto conn = std::make_unique<Conn>();
        conn->fd = std::move(fd);
        if (Status s = loop_.add_fd(raw, EPOLLIN | EPOLLRDHUP,
                                    [this, raw](uint32_t events) { on_readable(raw, events); });
            !s) {
            log::warning(kLog, "watching a new connection: {}", s.error().message());
            continue;
        }
        conn->hello_timer = loop_.add_timer(
            std::chrono::duration_cast<std::chrono::milliseconds>(kHelloTimeout), [this, raw] {
                auto it = conns_.find(raw);
                if (it == conns_.end() || it->second->port) return;
                it->second->hello_timer = 0;
                log::warning(kLog, "a connection sent no hello within {} s; closing it",
                             kHelloTimeout.count());
                close_conn(raw);
            });
        conns_.emplace(raw, std::move(conn));
    }
}

void SwitchServer::on_readable(int fd, uint32_t events) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    if (it->second->port)
        read_frames(*it->second, events);
    else
        read_hello(*it->second, events);
}

void SwitchServer::refuse(Conn& conn, std::string_view why) {
    std::vector<uint8_t> answer = switchproto::encode_refusal(why);
    (void)send(conn.fd.get(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    close_conn(conn.fd.get());
}

void SwitchServer::read_hello(Conn& conn, uint32_t events) {
    // MSG_TRUNC makes recv report the message's real length, so an oversized hello is caught.
    ssize_t n =
        recv(conn.fd.get(), buf_.data(), switchproto::kMaxHelloSize + 1, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        log::warning(kLog, "reading a hello: {}", std::strerror(errno));
        return close_conn(conn.fd.get());
    }
    if (n == 0 && (events & (EPOLLHUP | EPOLLRDHUP))) return close_conn(conn.fd.get());
    if (static_cast<size_t>(n) > switchproto::kMaxHelloSize) {
        log::warning(kLog, "refusing a port: a {}-byte hello is too long", n);
        return refuse(conn, "hello too long");
    }
    Result<switchproto::Hello> hello =
        switchproto::decode_hello({buf_.data(), static_cast<size_t>(n)});
    if (!hello) {
        log::warning(kLog, "refusing a port: {}", hello.error().message());
        return refuse(conn, hello.error().message());
    }
    Conn* c = &conn;
    Result<Switch::PortId> port =
        switch_.add_port(hello->mac, hello->vlan, [c](std::span<const uint8_t> frame) {
            ssize_t sent =
                send(c->fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            // A full peer loses the frame; a dead one is closed when its hangup is read.
            if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS)) c->send_drops++;
        });
    if (!port) {
        log::warning(kLog, "refusing a port: {}", port.error().message());
        return refuse(conn, port.error().message());
    }
    std::vector<uint8_t> accept = switchproto::encode_accept();
    if (send(conn.fd.get(), accept.data(), accept.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        log::warning(kLog, "answering {}: {}", switch_.describe_port(*port), std::strerror(errno));
        switch_.remove_port(*port);
        return close_conn(conn.fd.get());
    }
    conn.port = *port;
    loop_.cancel_timer(conn.hello_timer);
    conn.hello_timer = 0;
}

void SwitchServer::read_frames(Conn& conn, uint32_t events) {
    for (int i = 0; i < kFramesPerWakeup; i++) {
        ssize_t n = recv(conn.fd.get(), buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            log::warning(kLog, "{}: {}", switch_.describe_port(*conn.port), std::strerror(errno));
            return close_conn(conn.fd.get());
        }
        // A zero-length read is the end of the connection once the peer hung up; otherwise it
        // was an empty message, which the switch drops as a runt.
        if (n == 0 && (events & (EPOLLHUP | EPOLLRDHUP))) return close_conn(conn.fd.get());
        // An oversized frame arrives cut to buf_ (over the limit) and the switch drops it.
        size_t len = std::min(static_cast<size_t>(n), buf_.size());
        switch_.receive(*conn.port, {buf_.data(), len});
    }
}

void SwitchServer::close_conn(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& conn = *it->second;
    if (conn.port) {
        if (conn.send_drops)
            log::info(kLog, "{}: {} frames dropped on a full socket",
                      switch_.describe_port(*conn.port), conn.send_drops);
        switch_.remove_port(*conn.port);
    }
    if (conn.hello_timer) loop_.cancel_timer(conn.hello_timer);
    loop_.remove_fd(fd);
    conns_.erase(it); // closes the socket
}

} // namespace virtd::network
