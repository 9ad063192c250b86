// SwitchServer: serves a Switch to ports connecting over a unix SOCK_SEQPACKET socket, on one
// EventLoop. A connection first sends its hello (protocol.h) and gets an answer; then each
// message it sends is a frame into the switch, and each frame the switch sends it is one
// message. A connection that sends no hello within 5 s, or a malformed one, is answered with a
// refusal (when it sent anything) and closed; the switch never blocks on a slow port: a full
// socket drops the frame.
//
// Thread safety: everything runs on the loop's thread; construct, listen() and destroy there
// (or before the loop runs).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/types.h>

#include "common/error.h"
#include "common/event_loop.h"
#include "common/fd.h"
#include "network/switch/switch.h"

namespace virtd::network {

class SwitchServer {
public:
    // `loop` must outlive the server.
    explicit SwitchServer(EventLoop& loop, SwitchLimits limits = {});
    // Closes every connection and removes the socket.
    ~SwitchServer();
    SwitchServer(const SwitchServer&) = delete;
    SwitchServer& operator=(const SwitchServer&) = delete;

    // Listens on `path` with permissions `mode`. A stale socket file (nobody answering) is
    // replaced; a live one is an error, as is a path too long for a unix socket.
    Status listen(const std::string& path, mode_t mode = 0660);
    // Stops listening, disconnects every port and removes the socket file. Idempotent.
    void shutdown();

    Switch& core() { return switch_; }
    const Switch& core() const { return switch_; }
    // Connections, with or without a hello yet.
    size_t connection_count() const { return conns_.size(); }

private:
    struct Conn {
        UniqueFd fd;
        std::optional<Switch::PortId> port; // set once the hello is accepted
        uint64_t hello_timer = 0;
        uint64_t send_drops = 0; // frames dropped because the peer's socket was full
    };

    void on_accept();
    void on_readable(int fd, uint32_t events);
    void read_hello(Conn& conn, uint32_t events);
    void read_frames(Conn& conn, uint32_t events);
    void refuse(Conn& conn, std::string_view why);
    void close_conn(int fd);

    EventLoop& loop_;
    Switch switch_;
    UniqueFd listen_fd_;
    std::string path_;
    std::unordered_map<int, std::unique_ptr<Conn>> conns_;
    std::vector<uint8_t> buf_; // one receive buffer: the loop handles one message at a time
    uint64_t aging_timer_ = 0;
};

} // namespace virtd::network
