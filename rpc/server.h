// RpcServer: the transport half of the daemon's front door. It accepts connections on unix
// sockets and TCP, cuts the byte stream into frames, answers keepalive pings itself, runs calls
// the handler calls fast (answered from memory) on the loop thread and hands every other call to
// a worker thread; replies go back in completion order, so a slow call never holds up the others
// or the event loop. STREAM packets go to the handler in arrival order.
//
// Thread safety: construct, listen_*() and run the loop on one thread (the loop thread).
// send_message(), send_packet() and close_client() may be called from any thread. The
// CallHandler is called on worker threads and the loop thread, concurrently, and must be
// thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/types.h>

#include "common/error.h"
#include "common/event_loop.h"
#include "common/fd.h"
#include "common/thread_pool.h"
#include "rpc/client_info.h"
#include "rpc/message.h"

namespace virtd::rpc {

struct ServerLimits {
    size_t max_clients = 5000;         // more are told so on their first call, then closed
    size_t max_anonymous_clients = 20; // not yet authenticated (libvirt's default); more are closed
    std::chrono::milliseconds auth_timeout{30000}; // from connect to authenticated, or dropped
    unsigned auth_max_steps = 16;                  // SASL START/STEP calls per connection
    size_t max_calls_per_client = 20;              // reading pauses while this many are in flight
    size_t workers = 4;
    std::chrono::milliseconds keepalive_interval{5000}; // ping a client idle this long (once asked)
    unsigned keepalive_count = 5;                       // drop it after this many unanswered pings
};

// What the daemon plugs into the server.
class CallHandler {
public:
    virtual ~CallHandler() = default;
    // Runs one call on a worker thread; returns the reply payload, or the error to send.
    virtual Result<std::string> handle_call(const ClientInfo& client, const MessageHeader& header,
                                            std::string_view payload) = 0;
    // Whether this call is answered from memory without blocking: such calls run on the loop
    // thread, sparing two thread handoffs; everything else goes to a worker.
    virtual bool is_fast(const MessageHeader& header) const {
        (void)header;
        return false;
    }
    // The connection is gone (closed by the peer, dropped, or close_client()). Loop thread.
    virtual void client_closed(uint64_t client_id) { (void)client_id; }
    // A call's OK reply has been queued; a call that opens a stream starts sending from here.
    // Worker thread.
    virtual void after_reply(const ClientInfo& client, const MessageHeader& call) {
        (void)client, (void)call;
    }
    // A STREAM packet from the client (data, finish or abort of a stream a call opened). Loop
    // thread, in arrival order.
    virtual void handle_stream(const ClientInfo& client, const MessageHeader& header,
                               std::string_view payload) {
        (void)client, (void)header, (void)payload;
    }
};

// How a listener's clients prove who they are (libvirt's auth_unix_rw, auth_tcp, auth_tls).
enum class AuthMethod { None, Sasl };

// What SASL authentication accepts (sasl_server_setup() must have run before a SASL listener
// gets its first client).
struct AuthOptions {
    std::vector<std::string> sasl_allowed_users; // globs; empty: any user SASL accepts
};

class TlsCredentials;

class RpcServer {
public:
    RpcServer(EventLoop& loop, CallHandler& handler, ServerLimits limits = {});
    ~RpcServer();
    RpcServer(const RpcServer&) = delete;
    RpcServer& operator=(const RpcServer&) = delete;

    // Listens on a unix socket at `path` (replacing a stale socket file) with file mode `mode`.
    Status listen_unix(const std::string& path, mode_t mode, bool readonly,
                       AuthMethod auth = AuthMethod::None);
    // Listens on TCP `address`:`port` (numeric host or name; port "0" picks a free one).
    // Returns the port actually bound.
    Result<uint16_t> listen_tcp(const std::string& address, const std::string& port,
                                AuthMethod auth = AuthMethod::None);
    // Like listen_tcp, but every connection starts with a TLS handshake using the credentials
    // of set_tls_credentials() (which must come first).
    Result<uint16_t> listen_tls(const std::string& address, const std::string& port,
                                AuthMethod auth = AuthMethod::None);
    // The certificates new TLS connections use; connections already up keep theirs. Loop thread.
    void set_tls_credentials(std::shared_ptr<const TlsCredentials> credentials);
    // Takes effect for authentications that complete from now on. Loop thread.
    void set_auth_options(AuthOptions options) { auth_options_ = std::move(options); }

    // Sends a MESSAGE (an event) to a client, if it is still connected. Thread-safe.
    void send_message(uint64_t client_id, uint32_t program, int32_t proc, std::string payload);
    // Queues any packet, e.g. stream data; packets from one thread go out in order.
    void send_packet(uint64_t client_id, const MessageHeader& header, std::string payload);
    // Starts pinging this client when idle (it asked for keepalive). Thread-safe.
    void enable_keepalive(uint64_t client_id);
    // New limits from a reloaded configuration: max_clients at once, keepalive for clients that
    // ask for it from now on; workers and max_calls_per_client keep their start-up values.
    // Loop thread.
    void set_limits(const ServerLimits& limits);
    // Closes a connection after what is queued for it has been written. Thread-safe.
    void close_client(uint64_t client_id);

    size_t client_count() const { return client_count_.load(); }

private:
    struct Client;
    struct Listener {
        UniqueFd fd;
        std::string path; // the unix socket file, or "address:port" for TCP
        bool readonly = false;
        bool unix_socket = false; // its file is removed when the server goes
        Transport transport = Transport::Unix;
        AuthMethod auth = AuthMethod::None;
    };

    Result<uint16_t> listen_inet(const std::string& address, const std::string& port,
                                 Transport transport, AuthMethod auth);
    void on_accept(Listener& l);
    void continue_handshake(Client& c);
    bool decode_layers(Client& c);
    bool handle_auth_call(Client& c, const MessageHeader& h, std::string_view payload);
    void reply(Client& c, const MessageHeader& call, std::string_view payload);
    void authenticated(Client& c);
    void auth_failed(Client& c, const MessageHeader& call, std::string_view why);
    bool sasl_call(Client& c, const MessageHeader& h, std::string_view payload);
    void on_client_event(uint64_t id, uint32_t events);
    void read_from(Client& c);
    void process_input(Client& c);
    bool handle_frame(Client& c, std::string_view frame);
    void start_call(Client& c, const MessageHeader& h, std::string payload);
    void queue_write(Client& c, const std::string& bytes);
    void flush(Client& c);
    void update_interest(Client& c);
    void drop(uint64_t id, std::string_view why);
    void keepalive_tick(uint64_t id);
    Client* find(uint64_t id);

    EventLoop& loop_;
    CallHandler& handler_;
    ServerLimits limits_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::unordered_map<uint64_t, std::unique_ptr<Client>> clients_; // loop thread only
    uint64_t next_client_id_ = 1;
    size_t anonymous_clients_ = 0; // accepted, not yet authenticated
    std::shared_ptr<const TlsCredentials> tls_;
    AuthOptions auth_options_;
    std::atomic<size_t> client_count_{0};
    // Last: destroyed first, so no worker runs while the rest is torn down.
    std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
    ThreadPool workers_;
};

} // namespace virtd::rpc
