#include "rpc/channel.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace virtd::rpc {
namespace {

constexpr size_t kReadChunk = 65536;

Error closed(std::string why) {
    return make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "{}", why);
}

} // namespace

Result<size_t> PlainChannel::read(std::string& in) {
    char buf[kReadChunk];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n == 0) return closed("closed by the peer");
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
        return closed(std::strerror(errno));
    }
    in.append(buf, static_cast<size_t>(n));
    return static_cast<size_t>(n);
}

Result<size_t> PlainChannel::write(std::string_view out) {
    ssize_t n = ::send(fd_.get(), out.data(), out.size(), MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
        return closed(std::strerror(errno));
    }
    return static_cast<size_t>(n);
}

} // namespace virtd::rpc
