// RpcClient: the client half of libvirt's RPC transport. It connects over a unix socket or TCP,
// numbers calls, lets several threads have calls in flight at once (one reader thread hands each
// reply to its caller by serial), answers the server's keepalive pings, delivers events
// (MESSAGE packets) to a handler, and carries data streams (uploads, downloads, consoles).
//
// Thread safety: every public method may be called from any thread. The message handler runs on
// the client's own event thread, one event at a time and in arrival order, so it may make calls
// on the same client. RpcStream objects must not outlive the RpcClient that opened them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "rpc/errors.h"
#include "rpc/message.h"
#include "rpc/security_layer.h"

namespace virtd::rpc {

class TlsCredentials;

class RpcClient;

// What one stream has received so far; shared by the reader thread and the RpcStream.
struct StreamState {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> chunks; // guarded by mu: data not yet taken by recv()
    bool eof = false;               // guarded by mu: the sender's empty CONTINUE arrived
    bool finished = false;          // guarded by mu: the server's STREAM/OK arrived
    std::optional<Error> error;     // guarded by mu: the server's STREAM/ERROR, or the link died
};

// RpcStream: the data channel a call opened (libvirt's STREAM packets, carrying the serial and
// procedure of that call). Uploads send() then finish(); downloads recv() until an empty chunk;
// a console does both at once from two threads. Destroying an unfinished stream aborts it.
class RpcStream {
public:
    ~RpcStream();
    RpcStream(const RpcStream&) = delete;
    RpcStream& operator=(const RpcStream&) = delete;

    // Sends `data` as STREAM/CONTINUE packets of at most kStreamChunkMax bytes each. Fails with
    // the server's error if it has already reported one.
    Status send(std::string_view data);
    // Ends an upload: sends an empty STREAM/OK and waits for the server's STREAM/OK (or its
    // error, which is what a failed write on the server side looks like).
    Status finish();
    // The next chunk of a download. An empty string means the end: the server's empty CONTINUE
    // arrived, this side confirmed with STREAM/OK and the server acknowledged it.
    Result<std::string> recv();
    // Like recv(), but gives up after `timeout` with std::nullopt (the console polls this way).
    Result<std::optional<std::string>> recv_for(std::chrono::milliseconds timeout);
    // Tells the server to stop (an empty STREAM/ERROR); later packets for it are dropped.
    void abort();

    int32_t proc() const { return proc_; }
    uint32_t serial() const { return serial_; }

private:
    friend class RpcClient;
    RpcStream(RpcClient& client, uint32_t program, uint32_t version, int32_t proc, uint32_t serial,
              std::shared_ptr<StreamState> state)
        : client_(client)
        , program_(program)
        , version_(version)
        , proc_(proc)
        , serial_(serial)
        , state_(std::move(state)) {}
    Status send_packet(MessageStatus status, std::string_view data);
    Status wait_finished(std::unique_lock<std::mutex>& lock);
    void close();

    RpcClient& client_;
    uint32_t program_;
    uint32_t version_;
    int32_t proc_;
    uint32_t serial_;
    std::shared_ptr<StreamState> state_;
    bool done_ = false; // finished, aborted or failed: nothing more to send
};

class RpcClient final : public RpcCaller {
public:
    // Handles one MESSAGE packet (an event) from the server: its header and payload.
    using MessageHandler = std::function<void(const MessageHeader&, const std::string&)>;
    // Told once when the connection ends for a reason other than close().
    using CloseHandler = std::function<void(const Error&)>;

    static Result<std::unique_ptr<RpcClient>> connect_unix(const std::string& path);
    // `host` is a name or numeric address; `port` a number or service name.
    static Result<std::unique_ptr<RpcClient>> connect_tcp(const std::string& host,
                                                          const std::string& port);
    // TCP, then a TLS handshake checking the server as `credentials` say, then the server's
    // confirmation byte (its verdict on our certificate). The error says which step failed.
    static Result<std::unique_ptr<RpcClient>> connect_tls(const std::string& host,
                                                          const std::string& port,
                                                          const TlsCredentials& credentials);
    ~RpcClient() override;
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    // Sends one call and waits for its reply. A server error comes back as that error, except
    // that "unknown procedure" becomes NoSupport (as libvirt's client does), so callers can
    // fall back to older procedures; its message is kept.
    Result<std::string> call(uint32_t program, uint32_t version, int32_t proc,
                             std::string args) override;
    // A call that opens a stream: the reply payload and the stream. The stream is registered
    // before the call goes out, so data the server sends right after its reply is kept.
    Result<std::pair<std::string, std::unique_ptr<RpcStream>>>
    call_with_stream(uint32_t program, uint32_t version, int32_t proc, const std::string& args);

    void set_message_handler(MessageHandler handler);
    void set_close_handler(CloseHandler handler);

    // Sends a keepalive PING now.
    Status ping();
    // Pings the server whenever it has been silent for `interval`, and drops the connection when
    // `count` pings in a row go unanswered (libvirt's client defaults: 5 s and 6).
    void start_keepalive(std::chrono::milliseconds interval, unsigned count);
    // PONGs received so far (to see keepalive working).
    uint64_t pongs_received() const { return pongs_.load(); }

    // False once the connection has ended (closed here, by the server, or by keepalive).
    bool is_open() const { return open_.load(); }
    // Ends the connection: pending calls and streams fail, threads stop. Idempotent.
    void close();

    // Carries everything from now on inside `layer` (the SASL security layer, which starts
    // right after the reply that completed authentication), within any layer already there.
    void push_layer(std::unique_ptr<SecurityLayer> layer);
    // Whether the link is encrypted (TLS), and the TLS cipher's key bits (SASL's external SSF).
    bool is_tls() const { return tls_key_bits_ > 0; }
    unsigned tls_key_bits() const { return tls_key_bits_; }

private:
    friend class RpcStream;
    struct PendingCall {
        bool done = false;
        std::optional<Result<std::string>> reply;
    };

    explicit RpcClient(UniqueFd fd);
    static Result<UniqueFd> connect_socket(const std::string& host, const std::string& port);
    Status send_all(std::string_view bytes); // write_mu_ held
    // Runs wire bytes through the layers into `plain`; sends what the layers must send.
    Status decode_layers(std::string& wire, std::string& plain);
    void start_threads();
    Status write_frame(const MessageHeader& header, std::string_view payload);
    Result<std::string> send_and_wait(uint32_t program, uint32_t version, int32_t proc,
                                      const std::string& args, uint32_t serial);
    uint32_t next_serial();
    void read_loop();
    void handle_frame(const MessageHeader& h, std::string payload);
    void handle_stream_packet(const MessageHeader& h, std::string payload);
    void event_loop();
    void keepalive_loop(std::chrono::milliseconds interval, unsigned count);
    void fail_everything(const Error& why);
    void forget_stream(uint32_t serial);

    UniqueFd fd_; // immutable after construction (closed only in the destructor)
    std::atomic<bool> open_{true};
    std::atomic<uint64_t> pongs_{0};
    std::atomic<int64_t> last_heard_ns_{0}; // steady clock, when the server last sent anything

    std::mutex write_mu_; // one frame at a time on the socket
    std::mutex layer_mu_; // the layers: taken inside write_mu_, or alone by the reader
    std::vector<std::unique_ptr<SecurityLayer>> layers_; // guarded by layer_mu_; outermost first
    std::vector<std::string> layer_in_;                  // reader thread: per layer, undecoded
    std::string early_plain_; // plaintext that came with the TLS confirmation byte
    unsigned tls_key_bits_ = 0;

    std::mutex mu_;
    std::condition_variable calls_cv_;
    uint32_t serial_ = 0;                                      // guarded by mu_
    std::map<uint32_t, std::shared_ptr<PendingCall>> calls_;   // guarded by mu_
    std::map<uint32_t, std::shared_ptr<StreamState>> streams_; // guarded by mu_
    std::optional<Error> closed_error_;                        // guarded by mu_
    bool closing_ = false;                                     // guarded by mu_: close() ran
    MessageHandler message_handler_;                           // guarded by mu_
    CloseHandler close_handler_;                               // guarded by mu_
    std::deque<std::pair<MessageHeader, std::string>> events_; // guarded by mu_
    std::condition_variable events_cv_;
    std::condition_variable keepalive_cv_;
    bool keepalive_started_ = false; // guarded by mu_

    std::mutex join_mu_; // close() may run on two threads at once

    std::thread reader_;
    std::thread event_thread_;
    std::thread keepalive_thread_;
};

} // namespace virtd::rpc
