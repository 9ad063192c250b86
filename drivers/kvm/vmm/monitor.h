// Monitor: the VMM's control socket. One unix stream socket per guest (`virtd-vmm --monitor
// PATH`) over which the daemon's kvm driver, tests and curious humans run commands and receive
// events. This class is the generic server; the VMM registers its commands (cont, stop, quit, ...)
// with add_command() and reports state changes with emit().
//
// Protocol (MONITOR.md next to this file has examples). QMP-like JSON lines: every message is one
// JSON object on one line, UTF-8, terminated by '\n'.
//   - On connect the server sends a greeting:
//       {"virtd-vmm":{"version":"0.1.0","pid":1234},"capabilities":[]}
//   - A request:  {"execute":"NAME","arguments":{...},"id":ANY}   ("arguments" and "id" optional)
//     A reply:    {"return":{...},"id":ANY}
//             or  {"error":{"class":"CLASS","desc":"TEXT"},"id":ANY}
//     "id" is echoed only when the request had one. Replies come in request order.
//     Classes: GenericError, CommandNotFound, DeviceNotFound, InvalidArgument. A line that is not
//     JSON, or not a valid request, answers a GenericError naming the problem; the connection
//     stays open (so does a request nested deeper than 64 levels). Blank lines are ignored.
//   - An event, sent to every connected client:
//       {"event":"NAME","data":{...},"timestamp":{"seconds":S,"microseconds":U}}
//   - Built in: "query-commands" returns [{"name":"cont"}, ...], sorted, itself included.
//   - Limits: a line longer than kMaxLineBytes is answered with an error and the connection
//     closed; at most kMaxClients clients (the next one gets an error line and is closed); a
//     client whose unread output exceeds kMaxOutputBytes is disconnected (and logged), so a client
//     that never reads cannot stall the VMM or the other clients.
//
// Thread safety: listen(), add_command() and start() from one thread, before clients matter;
// emit() from any thread, at any time while the Monitor exists. Handlers run on the monitor's own
// thread, one at a time; a handler that touches the machine brings its own synchronisation.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "common/error.h"
#include "common/event_loop.h"
#include "common/fd.h"

namespace virtd::vmm {

class Monitor {
public:
    using Json = nlohmann::json;
    // Gets the request's "arguments" (an empty object when absent) and returns the reply's
    // "return" value (a null Json is sent as {}). An Error becomes an error reply whose class
    // comes from monitor_error_class() and whose desc is the error's message. Handlers may throw
    // nlohmann::json exceptions while reading their arguments; those answer InvalidArgument.
    using Handler = std::function<Result<Json>(const Json& arguments)>;

    static constexpr size_t kMaxLineBytes = size_t{1} << 20; // without the '\n'
    static constexpr size_t kMaxClients = 16;
    static constexpr size_t kMaxOutputBytes = size_t{4} << 20; // per client, unread

    // Creates the socket file (mode 0600). A stale socket file at `path` is replaced; a live
    // one (something accepts connections there) or a file that is not a socket is an error.
    static Result<std::unique_ptr<Monitor>> listen(const std::string& path);
    // Stops the thread, closes every client and removes the socket file (if it is still ours).
    ~Monitor();
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;

    // Registers (or replaces) a command. Only before start(): later calls are logged and ignored.
    void add_command(std::string name, Handler handler);
    // Starts serving on the monitor's own thread. Connections made before are queued, not lost.
    Status start();
    // Sends an event to every connected client. Never blocks on a client. Events from one thread
    // arrive in the order emitted.
    void emit(const std::string& event, const Json& data = Json::object());
    // Sends what was emitted so far, then stops serving (the VMM's last words at exit).
    void close();

    const std::string& path() const { return path_; }

private:
    struct Client;

    explicit Monitor(std::string path);
    void on_accept();
    void on_client(int fd, uint64_t id, uint32_t events);
    void handle_input(Client& c);
    std::string dispatch(std::string_view line);
    void send(Client& c, const std::string& line);
    void flush(Client& c);
    void set_writable_interest(Client& c, bool want);
    void broadcast(const std::string& line);
    void reap();

    std::string path_;
    dev_t dev_ = 0; // identify our socket file, so the destructor never removes a successor's
    ino_t ino_ = 0;
    UniqueFd listen_fd_;
    EventLoop loop_;
    std::map<std::string, Handler> commands_; // sorted for query-commands
    // Below: the monitor thread only (or before start()).
    std::unordered_map<int, std::unique_ptr<Client>> clients_; // by fd
    uint64_t next_client_id_ = 1;
    bool started_ = false;
    std::thread thread_;
};

// The error class an error reply carries for an Error of this code: InvalidArg and
// ArgumentUnsupported are "InvalidArgument", the device-not-found codes (NoDevice, DeviceMissing,
// NoNodeDevice, NoInterface) are "DeviceNotFound", anything else is "GenericError".
std::string_view monitor_error_class(ErrorCode code);

} // namespace virtd::vmm
