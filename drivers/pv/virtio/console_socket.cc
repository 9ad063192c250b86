#include "drivers/pv/virtio/console_socket.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace virtd::pv::virtio {
namespace {

// Someone else's connection waiting is unlikely; a few cover a client reconnecting quickly.
constexpr int kBacklog = 4;

// Is a process still accepting on `addr`? Decides whether an existing socket file is stale.
bool socket_alive(const sockaddr_un& addr) {
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return false;
    return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

} // namespace

Result<UniqueFd> listen_unix_stream(const std::string& path, const std::string& what) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Device,
                          "{}: socket path '{}' is longer than {} bytes", what, path,
                          sizeof addr.sun_path - 1);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return make_error(ErrorCode::OperationInvalid, ErrorDomain::Device,
                              "{}: '{}' exists and is not a socket", what, path);
        if (socket_alive(addr))
            return make_error(ErrorCode::OperationInvalid, ErrorDomain::Device,
                              "{}: another process listens on '{}'", what, path);
        ::unlink(path.c_str());
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        return system_error(ErrorDomain::Device, errno,
                            fmt::format("{}: creating a socket for '{}'", what, path));
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return system_error(ErrorDomain::Device, errno,
                            fmt::format("{}: binding '{}'", what, path));
    // Nobody can connect before listen(), so the mode is right before anyone can use it.
    if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), kBacklog) != 0) {
        int err = errno;
        ::unlink(path.c_str());
        return system_error(ErrorDomain::Device, err,
                            fmt::format("{}: listening on '{}'", what, path));
    }
    return fd;
}

} // namespace virtd::pv::virtio
