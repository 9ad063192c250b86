#include "network/tap.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/fd.h"

namespace virtd::network {

namespace {

// A tap interface without packet-information or vnet headers: each read or write is one bare
// Ethernet frame.
class TapBackend final : public NetBackend {
public:
    TapBackend(UniqueFd fd, std::string ifname)
        : fd_(std::move(fd))
        , ifname_(std::move(ifname)) {}

    int rx_fd() const override { return fd_.get(); }

    Status send(std::span<const iovec> frame) override {
        ssize_t n = writev(fd_.get(), frame.data(), static_cast<int>(frame.size()));
        if (n >= 0) return {};
        // A full queue or an interface that is down (EIO) loses the frame, as a cable would.
        if (errno == EAGAIN || errno == EIO || errno == ENOBUFS || errno == EINTR) return {};
        return system_error(ErrorDomain::Network, errno,
                            fmt::format("writing a frame to tap '{}'", ifname_));
    }

    Result<size_t> receive(std::span<uint8_t> buf) override {
        // The tap cuts a frame that does not fit; one spare byte tells such a frame apart from
        // one that fits exactly, so it is dropped instead of passed on cut short.
        uint8_t spare = 0;
        iovec iov[2] = {{buf.data(), buf.size()}, {&spare, 1}};
        ssize_t n = readv(fd_.get(), iov, 2);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return size_t{0};
            return system_error(ErrorDomain::Network, errno,
                                fmt::format("reading a frame from tap '{}'", ifname_));
        }
        if (static_cast<size_t>(n) > buf.size()) return size_t{0};
        return static_cast<size_t>(n);
    }

    std::string describe() const override { return "tap " + ifname_; }

private:
    UniqueFd fd_;
    std::string ifname_;
};

} // namespace

Result<std::unique_ptr<NetBackend>> open_tap(const std::string& ifname) {
    if (ifname.size() >= IFNAMSIZ || ifname.find('/') != std::string::npos)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Network,
                          "tap name '{}' is not a valid interface name (at most {} bytes)", ifname,
                          IFNAMSIZ - 1);
    UniqueFd fd(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd)
        return system_error(ErrorDomain::Network, errno,
                            fmt::format("opening /dev/net/tun for tap '{}'", ifname));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
    if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0)
        return system_error(ErrorDomain::Network, errno,
                            fmt::format("creating or attaching tap '{}'", ifname));
    // The kernel fills in the name it picked when none was given.
    std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
    return std::unique_ptr<NetBackend>(std::make_unique<TapBackend>(std::move(fd), name));
}

} // namespace virtd::network
