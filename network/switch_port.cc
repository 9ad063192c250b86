#include "network/switch_port.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/fd.h"
#include "network/switch/protocol.h"

namespace virtd::network {

namespace {

constexpr int kAnswerTimeoutMs = 5000;

// One port of the switch, already accepted: each SOCK_SEQPACKET message is one frame.
class SwitchPortBackend final : public NetBackend {
public:
    SwitchPortBackend(UniqueFd fd, std::string description)
        : fd_(std::move(fd))
        , description_(std::move(description)) {}

    int rx_fd() const override { return fd_.get(); }

    Status send(std::span<const iovec> frame) override {
        msghdr msg{};
        msg.msg_iov = const_cast<iovec*>(frame.data()); // sendmsg does not write through it
        msg.msg_iovlen = frame.size();
        if (sendmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return {};
        // A full socket loses the frame: the device thread must not wait for the switch.
        if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) return {};
        return system_error(ErrorDomain::Network, errno,
                            fmt::format("sending to {}", description_));
    }

    Result<size_t> receive(std::span<uint8_t> buf) override {
        // MSG_TRUNC returns the real length, so a frame that did not fit is seen and dropped.
        ssize_t n = recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return size_t{0};
            return system_error(ErrorDomain::Network, errno,
                                fmt::format("receiving from {}", description_));
        }
        // The switch never sends an empty message, so zero is its end of the connection.
        if (n == 0)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Network,
                              "{}: the switch closed the connection", description_);
        if (static_cast<size_t>(n) > buf.size()) return size_t{0};
        return static_cast<size_t>(n);
    }

    std::string describe() const override { return description_; }

private:
    UniqueFd fd_;
    std::string description_;
};

} // namespace

Result<std::unique_ptr<NetBackend>> connect_switch(const std::string& socket_path,
                                                   const MacAddress& mac, const VlanMode& vlan) {
    auto fail = [&](int err, std::string_view what) {
        return system_error(ErrorDomain::Network, err,
                            fmt::format("{} switch '{}'", what, socket_path));
    };
    if (Status s = vlan.validate(); !s)
        return s.error().with_context(fmt::format("switch '{}': ", socket_path));
    if (mac.is_multicast() || mac == MacAddress())
        return make_error(ErrorCode::InvalidMac, ErrorDomain::Network,
                          "switch '{}': port MAC {} is not a unicast address", socket_path,
                          mac.format());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                          "switch socket path '{}' is empty or longer than {} bytes", socket_path,
                          sizeof addr.sun_path - 1);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);

    UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return fail(errno, "creating a socket for");
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return fail(errno, "connecting to");
    std::vector<uint8_t> hello = switchproto::encode_hello({mac, vlan});
    if (send(fd.get(), hello.data(), hello.size(), MSG_NOSIGNAL) < 0)
        return fail(errno, "sending the hello to");

    pollfd pfd{fd.get(), POLLIN, 0};
    int ready = poll(&pfd, 1, kAnswerTimeoutMs);
    if (ready < 0) return fail(errno, "waiting for");
    if (ready == 0)
        return make_error(ErrorCode::OperationTimeout, ErrorDomain::Network,
                          "switch '{}' did not answer the hello within {} ms", socket_path,
                          kAnswerTimeoutMs);
    std::vector<uint8_t> answer(switchproto::kMaxAnswerSize + 1);
    ssize_t n = recv(fd.get(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) return fail(errno, "reading the answer of");
    if (n == 0)
        return make_error(ErrorCode::OperationFailed, ErrorDomain::Network,
                          "switch '{}' closed the connection without answering", socket_path);
    answer.resize(std::min(static_cast<size_t>(n), answer.size()));
    if (Status s = switchproto::decode_answer(answer); !s)
        return s.error().with_context(fmt::format("switch '{}': ", socket_path));

    int flags = fcntl(fd.get(), F_GETFL);
    if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return fail(errno, "setting up the socket for");
    std::string description =
        fmt::format("switch {} port {} {}", socket_path, mac.format(), vlan.describe());
    return std::unique_ptr<NetBackend>(
        std::make_unique<SwitchPortBackend>(std::move(fd), std::move(description)));
}

} // namespace virtd::network
