// Channel: how one connection's bytes cross its socket. PlainChannel moves them as they are
// (unix sockets, TCP); the TLS and SASL security layers (remote access) are channels too, so
// the server and client frame RPC messages on top without knowing which one carries them.
//
// Thread safety: one thread at a time (the server's loop thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"

namespace virtd::rpc {

class Channel {
public:
    virtual ~Channel() = default;
    virtual int fd() const = 0;
    // Appends what can be read now to `in`; 0 when nothing is ready. An error (the peer
    // closed, or the socket failed) ends the connection; its message says why.
    virtual Result<size_t> read(std::string& in) = 0;
    // Writes as much of `out` as the socket takes now; returns how much (0: try again later).
    virtual Result<size_t> write(std::string_view out) = 0;
};

// Bytes as they are.
class PlainChannel : public Channel {
public:
    explicit PlainChannel(UniqueFd fd)
        : fd_(std::move(fd)) {}
    int fd() const override { return fd_.get(); }
    Result<size_t> read(std::string& in) override;
    Result<size_t> write(std::string_view out) override;

private:
    UniqueFd fd_;
};

} // namespace virtd::rpc
