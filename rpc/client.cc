#include "rpc/client.h"

#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rpc/remote_protocol.h"
#include "rpc/tls.h"
#include "rpc/wire_error.h"

namespace virtd::rpc {
namespace {

constexpr size_t kReadChunk = 65536;

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

uint32_t read_u32(std::string_view s) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

Error link_error(std::string message) {
    return Error(ErrorCode::Rpc, ErrorDomain::Rpc, std::move(message));
}

// The error a REPLY or STREAM packet with status ERROR carries.
Error decode_wire_error(std::string_view payload, std::string_view what) {
    XdrReader r(payload);
    RemoteError wire;
    if (!decode(r, wire) || !r.finish()) return malformed_reply(what, r.error());
    Error e = from_remote_error(wire);
    // libvirt's client turns exactly this into "not supported" so callers can fall back.
    if (e.code() == ErrorCode::Rpc &&
        (e.domain() == ErrorDomain::Rpc || e.domain() == ErrorDomain::Remote) &&
        e.message().starts_with("unknown procedure"))
        return Error(ErrorCode::NoSupport, e.domain(), e.message(), e.level());
    return e;
}

} // namespace

// ---- RpcStream ------------------------------------------------------------------------------

RpcStream::~RpcStream() {
    abort();
}

Status RpcStream::send_packet(MessageStatus status, std::string_view data) {
    return client_.write_frame({program_, version_, proc_, MessageType::Stream, serial_, status},
                               data);
}

Status RpcStream::send(std::string_view data) {
    if (done_) return link_error("the stream is already closed");
    {
        std::lock_guard lock(state_->mu);
        if (state_->error) return *state_->error;
    }
    do {
        std::string_view chunk = data.substr(0, kStreamChunkMax);
        data.remove_prefix(chunk.size());
        if (Status s = send_packet(MessageStatus::Continue, chunk); !s) return s;
    } while (!data.empty());
    return {};
}

// Waits for the server's STREAM/OK or error; closes the stream either way.
Status RpcStream::wait_finished(std::unique_lock<std::mutex>& lock) {
    state_->cv.wait(lock, [&] { return state_->finished || state_->error; });
    std::optional<Error> err = state_->finished ? std::nullopt : state_->error;
    lock.unlock();
    close();
    if (err) return *err;
    return {};
}

Status RpcStream::finish() {
    if (done_) return link_error("the stream is already closed");
    if (Status s = send_packet(MessageStatus::Ok, {}); !s) {
        close();
        return s;
    }
    std::unique_lock lock(state_->mu);
    return wait_finished(lock);
}

Result<std::string> RpcStream::recv() {
    for (;;) {
        Result<std::optional<std::string>> got = recv_for(std::chrono::hours(24));
        if (!got) return got.error();
        if (*got) return std::move(**got);
    }
}

Result<std::optional<std::string>> RpcStream::recv_for(std::chrono::milliseconds timeout) {
    if (done_) return link_error("the stream is already closed");
    std::unique_lock lock(state_->mu);
    bool ready = state_->cv.wait_for(lock, timeout, [&] {
        return !state_->chunks.empty() || state_->eof || state_->finished || state_->error;
    });
    if (!ready) return std::optional<std::string>();
    if (!state_->chunks.empty()) {
        std::string chunk = std::move(state_->chunks.front());
        state_->chunks.pop_front();
        return std::optional<std::string>(std::move(chunk));
    }
    if (state_->error) {
        Error e = *state_->error;
        lock.unlock();
        close();
        return e;
    }
    if (!state_->finished) {
        // The sender's end marker: confirm, then wait for the server to acknowledge.
        lock.unlock();
        if (Status s = send_packet(MessageStatus::Ok, {}); !s) {
            close();
            return s.error();
        }
        lock.lock();
    }
    if (Status s = wait_finished(lock); !s) return s.error();
    return std::optional<std::string>(std::string());
}

void RpcStream::abort() {
    if (done_) return;
    (void)send_packet(MessageStatus::Error, {});
    close();
}

void RpcStream::close() {
    if (done_) return;
    done_ = true;
    client_.forget_stream(serial_);
}

// ---- RpcClient ------------------------------------------------------------------------------

RpcClient::RpcClient(UniqueFd fd)
    : fd_(std::move(fd)) {
    last_heard_ns_.store(now_ns());
}

RpcClient::~RpcClient() {
    close();
}

Result<std::unique_ptr<RpcClient>> RpcClient::connect_unix(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Rpc,
                          "socket path '{}' is longer than {} bytes", path,
                          sizeof addr.sun_path - 1);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return system_error(ErrorDomain::Rpc, errno, "creating a unix socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return system_error(ErrorDomain::Rpc, errno,
                            fmt::format("Failed to connect socket to '{}'", path));
    std::unique_ptr<RpcClient> c(new RpcClient(std::move(fd)));
    c->start_threads();
    return c;
}

Result<UniqueFd> RpcClient::connect_socket(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
        return make_error(ErrorCode::UnknownHost, ErrorDomain::Rpc, "unable to resolve '{}:{}': {}",
                          host, port, gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    int last_errno = 0;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd) {
            last_errno = errno;
            continue;
        }
        if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
    }
    return system_error(ErrorDomain::Rpc, last_errno,
                        fmt::format("unable to connect to server at '{}:{}'", host, port));
}

Result<std::unique_ptr<RpcClient>> RpcClient::connect_tcp(const std::string& host,
                                                          const std::string& port) {
    Result<UniqueFd> fd = connect_socket(host, port);
    if (!fd) return fd.error();
    std::unique_ptr<RpcClient> c(new RpcClient(std::move(*fd)));
    c->start_threads();
    return c;
}

namespace {

Status send_bytes(int fd, std::string_view rest) {
    while (!rest.empty()) {
        ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return system_error(ErrorDomain::Rpc, errno, "cannot send data to the server");
        }
        rest.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// Blocking read of what is there; 0 at the end of the stream.
Result<size_t> recv_some(int fd, std::string& into) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return system_error(ErrorDomain::Rpc, errno, "cannot read from the server");
        into.append(buf, static_cast<size_t>(n));
        return static_cast<size_t>(n);
    }
}

} // namespace

Result<std::unique_ptr<RpcClient>> RpcClient::connect_tls(const std::string& host,
                                                          const std::string& port,
                                                          const TlsCredentials& credentials) {
    Result<UniqueFd> fd = connect_socket(host, port);
    if (!fd) return fd.error();
    Result<std::unique_ptr<TlsSession>> session = credentials.new_session();
    if (!session) return session.error();
    TlsSession& tls = **session;
    std::string in, out;
    for (;;) {
        Result<bool> done = tls.handshake(in);
        tls.take_pending(out);
        if (Status s = send_bytes(fd->get(), out); !s) return s.error();
        out.clear();
        if (!done) return done.error();
        if (*done) break;
        Result<size_t> n = recv_some(fd->get(), in);
        if (!n) return n.error();
        if (*n == 0)
            return make_error(ErrorCode::AuthFailed, ErrorDomain::Rpc,
                              "the server at '{}:{}' closed the connection during the TLS "
                              "handshake",
                              host, port);
    }
    if (Status s = tls.verify_peer(); !s) return s.error();
    // The server's verdict on our certificate: one byte 0x01 inside TLS, or a closed socket.
    std::string plain;
    while (plain.empty()) {
        if (Status s = tls.decode(in, plain); !s || !plain.empty()) {
            if (!s) return s.error();
            break;
        }
        Result<size_t> n = recv_some(fd->get(), in);
        if (!n) return n.error();
        if (*n == 0)
            return make_error(ErrorCode::AuthFailed, ErrorDomain::Rpc,
                              "Unable to read TLS confirmation: the server at '{}:{}' refused "
                              "our client certificate (its log says why: not signed by its CA, "
                              "expired, revoked, or a DN outside tls_allowed_dn_list)",
                              host, port);
    }
    if (plain[0] != '\x01')
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Rpc,
                          "server verification (of our certificate or IP address) failed");
    std::unique_ptr<RpcClient> c(new RpcClient(std::move(*fd)));
    c->tls_key_bits_ = std::max(1u, tls.key_bits());
    c->layers_.push_back(std::move(*session));
    c->layer_in_.push_back(std::move(in));
    c->early_plain_ = plain.substr(1);
    c->start_threads();
    return c;
}

void RpcClient::push_layer(std::unique_ptr<SecurityLayer> layer) {
    std::scoped_lock lock(write_mu_, layer_mu_);
    layers_.push_back(std::move(layer));
}

Status RpcClient::send_all(std::string_view bytes) {
    return send_bytes(fd_.get(), bytes);
}

Status RpcClient::decode_layers(std::string& wire, std::string& plain) {
    std::string own;
    {
        std::lock_guard lock(layer_mu_);
        if (layers_.empty()) {
            plain.append(wire);
            wire.clear();
            return {};
        }
        if (layer_in_.size() < layers_.size()) layer_in_.resize(layers_.size());
        layer_in_[0].append(wire);
        wire.clear();
        for (size_t i = 0; i < layers_.size(); ++i) {
            std::string& target = i + 1 < layers_.size() ? layer_in_[i + 1] : plain;
            if (Status s = layers_[i]->decode(layer_in_[i], target); !s) return s;
        }
        layers_[0]->take_pending(own);
    }
    if (own.empty()) return {};
    std::lock_guard lock(write_mu_);
    return send_all(own);
}

void RpcClient::start_threads() {
    reader_ = std::thread([this] { read_loop(); });
    event_thread_ = std::thread([this] { event_loop(); });
}

uint32_t RpcClient::next_serial() {
    return serial_++;
}

Status RpcClient::write_frame(const MessageHeader& header, std::string_view payload) {
    std::string frame = encode_message(header, payload);
    std::lock_guard lock(write_mu_);
    if (!open_.load()) return link_error("the connection to the server is closed");
    {
        std::lock_guard layer_lock(layer_mu_);
        for (size_t i = layers_.size(); i-- > 0;) {
            std::string wire;
            if (Status s = layers_[i]->encode(frame, wire); !s) return s;
            frame = std::move(wire);
        }
    }
    return send_all(frame);
}

Result<std::string> RpcClient::call(uint32_t program, uint32_t version, int32_t proc,
                                    std::string args) {
    uint32_t serial = 0;
    {
        std::lock_guard lock(mu_);
        if (closed_error_) return *closed_error_;
        serial = next_serial();
        calls_[serial] = std::make_shared<PendingCall>();
    }
    return send_and_wait(program, version, proc, args, serial);
}

Result<std::string> RpcClient::send_and_wait(uint32_t program, uint32_t version, int32_t proc,
                                             const std::string& args, uint32_t serial) {
    std::shared_ptr<PendingCall> pending;
    {
        std::lock_guard lock(mu_);
        pending = calls_[serial];
    }
    Status sent =
        write_frame({program, version, proc, MessageType::Call, serial, MessageStatus::Ok}, args);
    std::unique_lock lock(mu_);
    if (!sent) {
        calls_.erase(serial);
        return sent.error();
    }
    calls_cv_.wait(lock, [&] { return pending->done; });
    calls_.erase(serial);
    return std::move(*pending->reply);
}

Result<std::pair<std::string, std::unique_ptr<RpcStream>>>
RpcClient::call_with_stream(uint32_t program, uint32_t version, int32_t proc,
                            const std::string& args) {
    uint32_t serial = 0;
    auto state = std::make_shared<StreamState>();
    {
        std::lock_guard lock(mu_);
        if (closed_error_) return *closed_error_;
        serial = next_serial();
        calls_[serial] = std::make_shared<PendingCall>();
        streams_[serial] = state;
    }
    Result<std::string> reply = send_and_wait(program, version, proc, args, serial);
    if (!reply) {
        forget_stream(serial);
        return reply.error();
    }
    std::unique_ptr<RpcStream> stream(new RpcStream(*this, program, version, proc, serial, state));
    return std::make_pair(std::move(*reply), std::move(stream));
}

void RpcClient::set_message_handler(MessageHandler handler) {
    std::lock_guard lock(mu_);
    message_handler_ = std::move(handler);
}

void RpcClient::set_close_handler(CloseHandler handler) {
    std::lock_guard lock(mu_);
    close_handler_ = std::move(handler);
}

Status RpcClient::ping() {
    return write_frame({kKeepaliveProgram, kKeepaliveVersion,
                        static_cast<int32_t>(KeepaliveProc::Ping), MessageType::Message, 0,
                        MessageStatus::Ok},
                       {});
}

void RpcClient::start_keepalive(std::chrono::milliseconds interval, unsigned count) {
    std::lock_guard lock(mu_);
    if (keepalive_started_ || !open_.load()) return;
    keepalive_started_ = true;
    keepalive_thread_ = std::thread([this, interval, count] { keepalive_loop(interval, count); });
}

void RpcClient::keepalive_loop(std::chrono::milliseconds interval, unsigned count) {
    unsigned unanswered = 0;
    std::unique_lock lock(mu_);
    while (open_.load()) {
        if (keepalive_cv_.wait_for(lock, interval, [&] { return !open_.load(); })) break;
        auto silent = std::chrono::nanoseconds(now_ns() - last_heard_ns_.load());
        if (silent < interval) {
            unanswered = 0;
            continue;
        }
        if (unanswered >= count) {
            if (!closed_error_)
                closed_error_ = link_error(fmt::format(
                    "connection to the server timed out: {} keepalive pings unanswered", count));
            ::shutdown(fd_.get(), SHUT_RDWR);
            break;
        }
        unanswered++;
        lock.unlock();
        (void)ping();
        lock.lock();
    }
}

void RpcClient::read_loop() {
    std::string buf = std::move(early_plain_);
    std::string wire;
    Error why = link_error("the server closed the connection");
    // Bytes that came with the TLS confirmation byte are decoded before the first read.
    bool pending = !layer_in_.empty() && !layer_in_[0].empty();
    for (;;) {
        if (!pending) {
            wire.resize(kReadChunk);
            ssize_t n = ::read(fd_.get(), wire.data(), kReadChunk);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                if (n < 0)
                    why = system_error(ErrorDomain::Rpc, errno, "cannot read from the server");
                break;
            }
            wire.resize(static_cast<size_t>(n));
        }
        pending = false;
        // The layers are looked at after the read: SASL's starts between two reads.
        if (Status s = decode_layers(wire, buf); !s) {
            why = s.error();
            break;
        }
        last_heard_ns_.store(now_ns());
        size_t used = 0;
        bool bad = false;
        while (buf.size() - used >= kLengthSize) {
            uint32_t len = read_u32(std::string_view(buf).substr(used));
            if (Result<uint32_t> ok = check_frame_length(len); !ok) {
                why = ok.error();
                bad = true;
                break;
            }
            if (buf.size() - used < len) break;
            XdrReader r(std::string_view(buf).substr(used + kLengthSize, kHeaderSize));
            Result<MessageHeader> h = decode_header(r);
            if (!h) {
                why = h.error();
                bad = true;
                break;
            }
            handle_frame(
                *h, buf.substr(used + kLengthSize + kHeaderSize, len - kLengthSize - kHeaderSize));
            used += len;
        }
        if (bad) break;
        buf.erase(0, used);
    }
    fail_everything(why);
    CloseHandler on_close;
    std::optional<Error> reason;
    {
        std::lock_guard lock(mu_);
        if (!closing_) on_close = close_handler_;
        reason = closed_error_;
    }
    if (on_close) on_close(*reason);
}

void RpcClient::handle_frame(const MessageHeader& h, std::string payload) {
    if (h.program == kKeepaliveProgram) {
        if (h.proc == static_cast<int32_t>(KeepaliveProc::Ping))
            (void)write_frame({kKeepaliveProgram, kKeepaliveVersion,
                               static_cast<int32_t>(KeepaliveProc::Pong), MessageType::Message, 0,
                               MessageStatus::Ok},
                              {});
        else if (h.proc == static_cast<int32_t>(KeepaliveProc::Pong))
            pongs_++;
        return;
    }
    switch (h.type) {
    case MessageType::Reply: {
        std::lock_guard lock(mu_);
        auto it = calls_.find(h.serial);
        if (it == calls_.end() || it->second->done) return; // nobody asked: ignore it
        if (h.status == MessageStatus::Ok)
            it->second->reply = std::move(payload);
        else
            it->second->reply = decode_wire_error(payload, "a call");
        it->second->done = true;
        calls_cv_.notify_all();
        return;
    }
    case MessageType::Message: {
        std::lock_guard lock(mu_);
        events_.emplace_back(h, std::move(payload));
        events_cv_.notify_all();
        return;
    }
    case MessageType::Stream:
        handle_stream_packet(h, std::move(payload));
        return;
    default:
        return; // nothing a client is sent otherwise
    }
}

void RpcClient::handle_stream_packet(const MessageHeader& h, std::string payload) {
    std::shared_ptr<StreamState> state;
    {
        std::lock_guard lock(mu_);
        auto it = streams_.find(h.serial);
        if (it == streams_.end()) return; // a late packet for a stream already closed
        state = it->second;
    }
    std::lock_guard lock(state->mu);
    switch (h.status) {
    case MessageStatus::Continue:
        if (payload.empty())
            state->eof = true;
        else
            state->chunks.push_back(std::move(payload));
        break;
    case MessageStatus::Ok:
        state->finished = true;
        break;
    case MessageStatus::Error:
        if (!state->error)
            state->error = payload.empty() ? link_error("the server aborted the stream")
                                           : decode_wire_error(payload, "a stream");
        break;
    }
    state->cv.notify_all();
}

void RpcClient::event_loop() {
    std::unique_lock lock(mu_);
    for (;;) {
        events_cv_.wait(lock, [&] { return !events_.empty() || !open_.load(); });
        if (events_.empty()) return;
        auto [header, payload] = std::move(events_.front());
        events_.pop_front();
        MessageHandler handler = message_handler_;
        lock.unlock();
        if (handler) handler(header, payload);
        lock.lock();
    }
}

void RpcClient::fail_everything(const Error& why) {
    std::vector<std::shared_ptr<StreamState>> streams;
    {
        std::lock_guard lock(mu_);
        if (!closed_error_) closed_error_ = why;
        open_.store(false);
        for (auto& [serial, call] : calls_) {
            if (call->done) continue;
            call->reply = *closed_error_;
            call->done = true;
        }
        for (auto& [serial, s] : streams_)
            streams.push_back(s);
        calls_cv_.notify_all();
        events_cv_.notify_all();
        keepalive_cv_.notify_all();
    }
    for (auto& s : streams) {
        std::lock_guard lock(s->mu);
        if (!s->error && !s->finished) s->error = why;
        s->cv.notify_all();
    }
}

void RpcClient::forget_stream(uint32_t serial) {
    std::lock_guard lock(mu_);
    streams_.erase(serial);
}

void RpcClient::close() {
    {
        std::lock_guard lock(mu_);
        closing_ = true;
        if (!closed_error_) closed_error_ = link_error("the connection to the server is closed");
        keepalive_cv_.notify_all();
    }
    ::shutdown(fd_.get(), SHUT_RDWR);
    std::lock_guard join_lock(join_mu_);
    for (std::thread* t : {&reader_, &event_thread_, &keepalive_thread_}) {
        if (!t->joinable()) continue;
        if (t->get_id() == std::this_thread::get_id())
            t->detach(); // closed from its own callback: it ends by itself
        else
            t->join();
    }
}

} // namespace virtd::rpc
