#include "rpc/server.h"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "rpc/channel.h"
#include "rpc/remote_protocol.h"
#include "rpc/sasl.h"
#include "rpc/tls.h"
#include "rpc/wire_error.h"

namespace virtd::rpc {

// One connection. Owned by the loop thread; workers only ever see its ClientInfo.
struct RpcServer::Client {
    ClientInfo info;
    std::unique_ptr<Channel> channel; // the socket, and any security layer on it
    std::string in;                   // bytes read, not yet a whole frame
    std::string out;                  // bytes queued for writing
    size_t in_flight = 0;
    bool closing = false; // close once `out` is written
    bool keepalive = false;
    unsigned unanswered_pings = 0;
    EventLoop::Clock::time_point last_heard = EventLoop::Clock::now();
    uint64_t keepalive_timer = 0;
    uint32_t interest = EPOLLIN; // what the loop watches for now; changed only when it must
    bool over_limit = false;     // accepted past max_clients: its first call is refused
    // Security layers, outermost (TLS) first, and per layer the bytes it has not decoded yet.
    std::vector<std::unique_ptr<SecurityLayer>> layers;
    std::vector<std::string> layer_in;
    std::unique_ptr<TlsSession> handshake; // a TLS session until its handshake is done
    std::string handshake_in;
    AuthMethod auth = AuthMethod::None;
    std::unique_ptr<SaslServerSession> sasl; // from AUTH_SASL_INIT until authenticated
    unsigned tls_bits = 0;                   // the TLS cipher's key bits: SASL's external SSF
    std::string local_addr;                  // "address;port" of our end, for SASL
    bool authenticated = false;              // may call more than the auth procedures
    uint64_t auth_timer = 0;
    unsigned auth_steps = 0;
};

namespace {

constexpr size_t kRefusedClientsMax = 64;
// Before authentication a frame carries at most SASL data (65536 chars at 4 bytes each).
constexpr uint32_t kAuthFrameMax = 300 * 1024;

bool is_auth_proc(const MessageHeader& h) {
    return h.program == kRemoteProgram && h.proc >= static_cast<int32_t>(RemoteProc::AuthList) &&
           h.proc <= static_cast<int32_t>(RemoteProc::AuthSaslStep);
}

uint32_t read_u32(std::string_view s) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

std::string error_frame(const MessageHeader& call, const Error& e) {
    XdrWriter w;
    encode(w, to_remote_error(e));
    MessageHeader h = call;
    h.type = MessageType::Reply;
    h.status = MessageStatus::Error;
    return encode_message(h, w.data());
}

// "address;port" of a TCP peer (or of our end), as libvirt and Cyrus SASL write them.
std::string peer_name(int fd, bool local = false) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    int rc = local ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len)
                   : ::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    if (rc < 0) return "?";
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<sockaddr*>(&sa), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return "?";
    return fmt::format("{};{}", host, serv);
}

} // namespace

RpcServer::RpcServer(EventLoop& loop, CallHandler& handler, ServerLimits limits)
    : loop_(loop)
    , handler_(handler)
    , limits_(limits)
    , workers_(limits.workers) {}

RpcServer::~RpcServer() {
    alive_->store(false);
    for (auto& [id, c] : clients_)
        loop_.remove_fd(c->channel->fd());
    for (auto& l : listeners_) {
        loop_.remove_fd(l->fd.get());
        if (l->unix_socket) ::unlink(l->path.c_str());
    }
}

Status RpcServer::listen_unix(const std::string& path, mode_t mode, bool readonly,
                              AuthMethod auth) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Rpc,
                          "socket path '{}' is longer than {} bytes", path,
                          sizeof addr.sun_path - 1);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    auto l = std::make_unique<Listener>();
    l->fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!l->fd) return system_error(ErrorDomain::Rpc, errno, "creating a unix socket");
    ::unlink(path.c_str()); // a socket file left by a daemon that died
    if (::bind(l->fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return system_error(ErrorDomain::Rpc, errno, fmt::format("binding to '{}'", path));
    if (::chmod(path.c_str(), mode) < 0)
        return system_error(ErrorDomain::Rpc, errno, fmt::format("setting mode of '{}'", path));
    if (::listen(l->fd.get(), 128) < 0)
        return system_error(ErrorDomain::Rpc, errno, fmt::format("listening on '{}'", path));
    l->path = path;
    l->readonly = readonly;
    l->unix_socket = true;
    l->auth = auth;
    Listener* raw = l.get();
    if (Status s = loop_.add_fd(raw->fd.get(), EPOLLIN, [this, raw](uint32_t) { on_accept(*raw); });
        !s)
        return s;
    listeners_.push_back(std::move(l));
    return {};
}

Result<uint16_t> RpcServer::listen_tcp(const std::string& address, const std::string& port,
                                       AuthMethod auth) {
    return listen_inet(address, port, Transport::Tcp, auth);
}

Result<uint16_t> RpcServer::listen_tls(const std::string& address, const std::string& port,
                                       AuthMethod auth) {
    if (!tls_)
        return make_error(ErrorCode::InternalError, ErrorDomain::Rpc,
                          "TLS listener {}:{} has no certificates", address, port);
    return listen_inet(address, port, Transport::Tls, auth);
}

void RpcServer::set_tls_credentials(std::shared_ptr<const TlsCredentials> credentials) {
    tls_ = std::move(credentials);
}

Result<uint16_t> RpcServer::listen_inet(const std::string& address, const std::string& port,
                                        Transport transport, AuthMethod auth) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(address.c_str(), port.c_str(), &hints, &res); rc != 0)
        return make_error(ErrorCode::SystemError, ErrorDomain::Rpc, "cannot resolve '{}:{}': {}",
                          address, port, gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    auto l = std::make_unique<Listener>();
    l->fd = UniqueFd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!l->fd) return system_error(ErrorDomain::Rpc, errno, "creating a TCP socket");
    int one = 1;
    ::setsockopt(l->fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    std::string where = fmt::format("{}:{}", address, port);
    if (::bind(l->fd.get(), res->ai_addr, res->ai_addrlen) < 0)
        return system_error(ErrorDomain::Rpc, errno, fmt::format("binding to {}", where));
    if (::listen(l->fd.get(), 128) < 0)
        return system_error(ErrorDomain::Rpc, errno, fmt::format("listening on {}", where));
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(l->fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    uint16_t bound_port =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    l->path = where;
    l->transport = transport;
    l->auth = auth;
    Listener* raw = l.get();
    if (Status s = loop_.add_fd(raw->fd.get(), EPOLLIN, [this, raw](uint32_t) { on_accept(*raw); });
        !s)
        return s.error();
    listeners_.push_back(std::move(l));
    return bound_port;
}

void RpcServer::on_accept(Listener& l) {
    for (;;) {
        UniqueFd fd(::accept4(l.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) return; // EAGAIN, or a transient error; the listener stays armed
        bool over_limit = clients_.size() >= limits_.max_clients;
        if (over_limit) {
            log::warning("rpc", "refusing a connection on {}: {} clients is the limit", l.path,
                         limits_.max_clients);
            // A few refused clients are kept long enough to be told why; a flood is just closed.
            if (clients_.size() >= limits_.max_clients + kRefusedClientsMax) continue;
        }
        // Not yet known: a TLS client before its handshake, a SASL client before its exchange.
        bool anonymous = l.auth != AuthMethod::None || l.transport == Transport::Tls;
        if (anonymous && anonymous_clients_ >= limits_.max_anonymous_clients) {
            log::warning("rpc",
                         "refusing a connection from {} on {}: {} clients are already "
                         "waiting to authenticate (max_anonymous_clients)",
                         l.unix_socket ? "a unix peer" : peer_name(fd.get()), l.path,
                         anonymous_clients_);
            continue;
        }
        auto c = std::make_unique<Client>();
        c->over_limit = over_limit;
        c->auth = l.auth;
        c->authenticated = !anonymous;
        c->info.id = next_client_id_++;
        c->info.readonly_socket = l.readonly;
        c->info.local = l.unix_socket;
        c->info.transport = l.transport;
        c->info.peer = l.unix_socket ? "unix" : peer_name(fd.get());
        if (!l.unix_socket) c->local_addr = peer_name(fd.get(), true);
        ucred cred{};
        socklen_t len = sizeof cred;
        // Peer credentials exist only on unix sockets; TCP clients are known by their auth.
        if (l.unix_socket && ::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            c->info.uid = cred.uid;
            c->info.gid = cred.gid;
            c->info.pid = cred.pid;
            c->info.peer = fmt::format("unix pid {} uid {}", cred.pid, cred.uid);
        }
        if (l.transport == Transport::Tls) {
            Result<std::unique_ptr<TlsSession>> session =
                tls_ ? tls_->new_session()
                     : Result<std::unique_ptr<TlsSession>>(
                           Error(ErrorCode::InternalError, ErrorDomain::Rpc, "no certificates"));
            if (!session) {
                log::error("rpc", "cannot start TLS with {}: {}", c->info.peer,
                           session.error().message());
                continue;
            }
            c->handshake = std::move(*session);
        }
        c->channel = std::make_unique<PlainChannel>(std::move(fd));
        uint64_t id = c->info.id;
        if (anonymous) {
            anonymous_clients_++;
            c->auth_timer = loop_.add_timer(
                limits_.auth_timeout,
                [this, id] {
                    Client* late = find(id);
                    if (!late) return;
                    late->auth_timer = 0;
                    log::warning("rpc", "client {} did not authenticate within {} ms; closed",
                                 late->info.peer, limits_.auth_timeout.count());
                    drop(id, "authentication timed out");
                },
                false);
        }
        if (!loop_.add_fd(c->channel->fd(), EPOLLIN,
                          [this, id](uint32_t ev) { on_client_event(id, ev); }))
            continue;
        clients_.emplace(id, std::move(c));
        client_count_.store(clients_.size());
    }
}

RpcServer::Client* RpcServer::find(uint64_t id) {
    auto it = clients_.find(id);
    return it == clients_.end() ? nullptr : it->second.get();
}

void RpcServer::on_client_event(uint64_t id, uint32_t events) {
    Client* c = find(id);
    if (!c) return;
    if (events & EPOLLOUT) flush(*c);
    if ((c = find(id)) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_from(*c);
}

void RpcServer::read_from(Client& c) {
    std::string& sink = c.handshake ? c.handshake_in : c.layers.empty() ? c.in : c.layer_in[0];
    Result<size_t> n = c.channel->read(sink);
    if (!n) return drop(c.info.id, n.error().message());
    if (*n == 0) return;
    c.last_heard = EventLoop::Clock::now();
    c.unanswered_pings = 0;
    if (c.handshake) return continue_handshake(c);
    if (!c.layers.empty() && !decode_layers(c)) return;
    process_input(c);
}

void RpcServer::continue_handshake(Client& c) {
    uint64_t id = c.info.id;
    Result<bool> done = c.handshake->handshake(c.handshake_in);
    c.handshake->take_pending(c.out);
    if (!done) {
        log::warning("rpc", "TLS handshake with {} failed: {}", c.info.peer,
                     done.error().message());
        c.closing = true;
        return flush(c);
    }
    if (!*done) return flush(c);
    if (Status v = c.handshake->verify_peer(); !v) {
        log::warning("rpc", "refusing TLS client {}: {}", c.info.peer, v.error().message());
        c.closing = true; // libvirt's clients read the missing confirmation byte as a refusal
        return flush(c);
    }
    c.info.x509_dn = c.handshake->peer_dn();
    c.tls_bits = c.handshake->key_bits();
    log::info("rpc", "TLS client {} is '{}'", c.info.peer, c.info.x509_dn);
    c.layers.push_back(std::move(c.handshake));
    c.layer_in.push_back(std::move(c.handshake_in));
    c.handshake_in.clear();
    if (c.auth == AuthMethod::None) authenticated(c);
    queue_write(c, std::string(1, '\x01')); // the confirmation libvirt's clients wait for
    if (!find(id)) return;
    if (decode_layers(c)) process_input(c);
}

// Runs buffered wire bytes through every layer into `in`. False when the client was dropped.
bool RpcServer::decode_layers(Client& c) {
    uint64_t id = c.info.id;
    for (size_t i = 0; i < c.layers.size(); ++i) {
        std::string& target = i + 1 < c.layers.size() ? c.layer_in[i + 1] : c.in;
        if (Status s = c.layers[i]->decode(c.layer_in[i], target); !s) {
            drop(id, s.error().message());
            return false;
        }
        std::string own; // a layer's own records (TLS key updates) go out under the outer ones
        c.layers[i]->take_pending(own);
        for (size_t j = i; !own.empty() && j-- > 0;) {
            std::string wire;
            if (Status s = c.layers[j]->encode(own, wire); !s) {
                drop(id, s.error().message());
                return false;
            }
            own = std::move(wire);
        }
        if (!own.empty()) {
            c.out.append(own);
            flush(c);
            if (!find(id)) return false;
        }
    }
    return true;
}

void RpcServer::authenticated(Client& c) {
    if (c.authenticated) return;
    c.authenticated = true;
    anonymous_clients_--;
    if (c.auth_timer) loop_.cancel_timer(c.auth_timer);
    c.auth_timer = 0;
}

// Handles every whole frame in the input buffer, as far as the in-flight limit allows.
void RpcServer::process_input(Client& c) {
    uint64_t id = c.info.id;
    size_t used = 0;
    while (c.in.size() - used >= kLengthSize && c.in_flight < limits_.max_calls_per_client) {
        uint32_t len = read_u32(std::string_view(c.in).substr(used));
        Result<uint32_t> ok = check_frame_length(len);
        if (!ok) return drop(id, ok.error().message());
        if (!c.authenticated && len > kAuthFrameMax)
            return drop(id, fmt::format("a {}-byte frame before authentication", len));
        if (c.in.size() - used < len) break;
        bool keep = handle_frame(c, std::string_view(c.in).substr(used, len));
        if (!find(id)) return; // a failed write dropped it
        if (!keep) return drop(id, "bad frame");
        used += len;
    }
    c.in.erase(0, used);
    update_interest(c);
}

// One whole frame. Returns false when the connection must be dropped.
bool RpcServer::handle_frame(Client& c, std::string_view frame) {
    XdrReader r(frame.substr(kLengthSize));
    Result<MessageHeader> h = decode_header(r);
    if (!h) {
        log::info("rpc", "client {}: {}", c.info.id, h.error().message());
        return false;
    }
    std::string_view payload = frame.substr(kLengthSize + kHeaderSize);
    if (h->program == kKeepaliveProgram) {
        if (h->type == MessageType::Message && h->proc == static_cast<int32_t>(KeepaliveProc::Ping))
            queue_write(c, encode_message({kKeepaliveProgram, kKeepaliveVersion,
                                           static_cast<int32_t>(KeepaliveProc::Pong),
                                           MessageType::Message, 0, MessageStatus::Ok},
                                          {}));
        return true; // a PONG needs nothing; it already counted as hearing from the client
    }
    if (h->type == MessageType::Call && is_auth_proc(*h)) return handle_auth_call(c, *h, payload);
    if (!c.authenticated) {
        if (h->type == MessageType::Call)
            queue_write(c, error_frame(*h, make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                                                      "authentication required")));
        return true;
    }
    if (h->type == MessageType::Stream) {
        handler_.handle_stream(c.info, *h, payload);
        return true;
    }
    if (h->type != MessageType::Call) return true; // nothing else is for the server to act on
    if (c.over_limit) {
        c.closing = true; // set first: the write below may finish, and drop it, at once
        queue_write(c, error_frame(*h, make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                                                  "too many active clients ({}), try again later",
                                                  limits_.max_clients)));
        return true;
    }
    if (h->program != kRemoteProgram || h->version != kRemoteVersion) {
        queue_write(c, error_frame(*h, make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                                                  "Cannot find program {} version {}", h->program,
                                                  h->version)));
        return true;
    }
    if (h->status != MessageStatus::Ok) {
        queue_write(c, error_frame(*h, make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                                                  "call with status {} instead of OK",
                                                  static_cast<int32_t>(h->status))));
        return true;
    }
    start_call(c, *h, std::string(payload));
    return true;
}

namespace {

std::string reply_frame(const MessageHeader& call, const Result<std::string>& reply) {
    if (!reply) return error_frame(call, reply.error());
    MessageHeader rh = call;
    rh.type = MessageType::Reply;
    rh.status = MessageStatus::Ok;
    return encode_message(rh, *reply);
}

} // namespace

void RpcServer::start_call(Client& c, const MessageHeader& h, std::string payload) {
    if (handler_.is_fast(h)) {
        queue_write(c, reply_frame(h, handler_.handle_call(c.info, h, payload)));
        return;
    }
    c.in_flight++;
    ClientInfo info = c.info;
    std::shared_ptr<std::atomic<bool>> alive = alive_;
    workers_.submit([this, alive, info, h, payload = std::move(payload)] {
        Result<std::string> reply = handler_.handle_call(info, h, payload);
        std::string frame = reply_frame(h, reply);
        loop_.post([this, alive, id = info.id, frame = std::move(frame)]() mutable {
            if (!alive->load()) return;
            Client* c = find(id);
            if (!c) return;
            c->in_flight--;
            queue_write(*c, frame);
            // Calls held back by the in-flight limit can go now.
            if ((c = find(id))) process_input(*c);
        });
        if (reply) handler_.after_reply(info, h);
    });
}

void RpcServer::queue_write(Client& c, const std::string& bytes) {
    if (c.layers.empty()) {
        c.out.append(bytes);
    } else {
        std::string wire = bytes;
        for (size_t i = c.layers.size(); i-- > 0;) {
            std::string outer;
            if (Status s = c.layers[i]->encode(wire, outer); !s)
                return drop(c.info.id, s.error().message());
            wire = std::move(outer);
        }
        c.out.append(wire);
    }
    flush(c);
}

void RpcServer::reply(Client& c, const MessageHeader& call, std::string_view payload) {
    MessageHeader rh = call;
    rh.type = MessageType::Reply;
    rh.status = MessageStatus::Ok;
    queue_write(c, encode_message(rh, payload));
}

// AUTH_LIST and the SASL exchange: the transport's own procedures, run on the loop thread so a
// security layer switches on exactly after the reply that completes authentication.
bool RpcServer::handle_auth_call(Client& c, const MessageHeader& h, std::string_view payload) {
    if (h.proc == static_cast<int32_t>(RemoteProc::AuthList)) {
        AuthListRet ret;
        ret.types.push_back(c.auth == AuthMethod::Sasl ? 1 : 0); // REMOTE_AUTH_NONE / SASL
        XdrWriter w;
        encode(w, ret);
        reply(c, h, w.data());
        return true;
    }
    if (c.auth != AuthMethod::Sasl || c.authenticated) {
        queue_write(c, error_frame(h, make_error(ErrorCode::AuthFailed, ErrorDomain::Rpc,
                                                 "authentication failed: SASL is not in use on "
                                                 "this connection")));
        return true;
    }
    return sasl_call(c, h, payload);
}

// Every failure reads the same to the client, whatever the cause (no such user, wrong
// password, a user outside the allowed list); the log says which, with the peer. The
// connection closes after the error is sent.
void RpcServer::auth_failed(Client& c, const MessageHeader& call, std::string_view why) {
    log::warning("rpc", "client {}: SASL authentication failed: {}", c.info.peer, why);
    c.sasl.reset();
    c.closing = true;
    queue_write(c, error_frame(call, make_error(ErrorCode::AuthFailed, ErrorDomain::Rpc,
                                                "authentication failed")));
}

bool RpcServer::sasl_call(Client& c, const MessageHeader& h, std::string_view payload) {
    XdrReader r(payload);
    XdrWriter w;
    auto proc = static_cast<RemoteProc>(h.proc);
    if (proc == RemoteProc::AuthSaslInit) {
        if (c.sasl) {
            auth_failed(c, h, "AUTH_SASL_INIT sent twice");
            return true;
        }
        SaslPeer peer;
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        peer.server_name = host;
        peer.local_addr = c.local_addr;
        peer.remote_addr = c.info.local ? "" : c.info.peer;
        peer.secure_channel = c.info.transport != Transport::Tcp;
        peer.external_ssf = c.tls_bits;
        Result<std::unique_ptr<SaslServerSession>> session = SaslServerSession::create(peer);
        if (!session) {
            auth_failed(c, h, session.error().message());
            return true;
        }
        Result<std::string> mechs = (*session)->mechlist();
        if (!mechs) {
            auth_failed(c, h, mechs.error().message());
            return true;
        }
        c.sasl = std::move(*session);
        encode(w, AuthSaslInitRet{*mechs});
        reply(c, h, w.data());
        return true;
    }
    if (!c.sasl) {
        auth_failed(c, h, "AUTH_SASL_START/STEP before AUTH_SASL_INIT");
        return true;
    }
    if (++c.auth_steps > limits_.auth_max_steps) {
        auth_failed(c, h, fmt::format("more than {} SASL steps", limits_.auth_max_steps));
        return true;
    }
    Result<SaslStep> step = Error(ErrorCode::InternalError, ErrorDomain::Rpc, "");
    if (proc == RemoteProc::AuthSaslStart) {
        AuthSaslStartArgs a;
        if (!decode(r, a) || r.remaining() != 0) return false;
        step = c.sasl->start(a.mech, a.nil ? std::nullopt : std::optional(std::move(a.data)));
    } else {
        AuthSaslStepArgs a;
        if (!decode(r, a) || r.remaining() != 0) return false;
        step = c.sasl->step(a.nil ? std::nullopt : std::optional(std::move(a.data)));
    }
    if (!step) {
        auth_failed(c, h, step.error().message());
        return true;
    }
    std::unique_ptr<SecurityLayer> layer;
    if (step->complete) {
        std::string user = c.sasl->username();
        if (!allowed_by(auth_options_.sasl_allowed_users, user)) {
            auth_failed(c, h, fmt::format("user '{}' is not in sasl_allowed_username_list", user));
            return true;
        }
        c.info.sasl_user = user;
        c.info.sasl_ssf = c.sasl->ssf();
        layer = c.sasl->make_layer();
        c.sasl.reset();
        authenticated(c);
        log::info("rpc", "client {} authenticated as '{}' (SSF {})", c.info.peer, user,
                  c.info.sasl_ssf);
    }
    AuthSaslStepRet ret{step->complete ? 1 : 0, step->data ? 0 : 1, step->data.value_or("")};
    encode(w, ret); // START and STEP replies have the same layout
    reply(c, h, w.data());
    // The reply above went out as it was; every byte after it is wrapped.
    if (layer && find(c.info.id)) {
        c.layers.push_back(std::move(layer));
        c.layer_in.emplace_back();
    }
    return true;
}

void RpcServer::flush(Client& c) {
    uint64_t id = c.info.id;
    while (!c.out.empty()) {
        Result<size_t> n = c.channel->write(c.out);
        if (!n) return drop(id, n.error().message());
        if (*n == 0) break;
        c.out.erase(0, *n);
    }
    if (c.out.empty() && c.closing && c.in_flight == 0) return drop(id, "closed by the server");
    update_interest(c);
}

void RpcServer::update_interest(Client& c) {
    uint32_t ev = 0;
    if (c.in_flight < limits_.max_calls_per_client && !c.closing) ev |= EPOLLIN;
    if (!c.out.empty()) ev |= EPOLLOUT;
    if (ev == c.interest) return;
    c.interest = ev;
    (void)loop_.modify_fd(c.channel->fd(), ev);
}

void RpcServer::drop(uint64_t id, std::string_view why) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    log::debug("rpc", "client {} gone: {}", id, why);
    if (it->second->keepalive_timer) loop_.cancel_timer(it->second->keepalive_timer);
    if (it->second->auth_timer) loop_.cancel_timer(it->second->auth_timer);
    if (!it->second->authenticated) anonymous_clients_--;
    loop_.remove_fd(it->second->channel->fd());
    clients_.erase(it);
    client_count_.store(clients_.size());
    handler_.client_closed(id);
}

void RpcServer::send_message(uint64_t client_id, uint32_t program, int32_t proc,
                             std::string payload) {
    std::shared_ptr<std::atomic<bool>> alive = alive_;
    loop_.post([this, alive, client_id, program, proc, payload = std::move(payload)] {
        if (!alive->load()) return;
        if (Client* c = find(client_id))
            queue_write(
                *c, encode_message({program, 1, proc, MessageType::Message, 1, MessageStatus::Ok},
                                   payload));
    });
}

void RpcServer::send_packet(uint64_t client_id, const MessageHeader& header, std::string payload) {
    std::shared_ptr<std::atomic<bool>> alive = alive_;
    loop_.post([this, alive, client_id, header, payload = std::move(payload)] {
        if (!alive->load()) return;
        if (Client* c = find(client_id)) queue_write(*c, encode_message(header, payload));
    });
}

void RpcServer::enable_keepalive(uint64_t client_id) {
    std::shared_ptr<std::atomic<bool>> alive = alive_;
    loop_.post([this, alive, client_id] {
        if (!alive->load()) return;
        Client* c = find(client_id);
        if (!c || c->keepalive) return;
        c->keepalive = true;
        c->keepalive_timer = loop_.add_timer(
            std::chrono::duration_cast<std::chrono::milliseconds>(limits_.keepalive_interval),
            [this, client_id] { keepalive_tick(client_id); }, true);
    });
}

void RpcServer::keepalive_tick(uint64_t id) {
    Client* c = find(id);
    if (!c) return;
    if (EventLoop::Clock::now() - c->last_heard < limits_.keepalive_interval) return;
    if (c->unanswered_pings >= limits_.keepalive_count)
        return drop(id, "no answer to keepalive pings");
    c->unanswered_pings++;
    queue_write(*c, encode_message({kKeepaliveProgram, kKeepaliveVersion,
                                    static_cast<int32_t>(KeepaliveProc::Ping), MessageType::Message,
                                    0, MessageStatus::Ok},
                                   {}));
}

void RpcServer::set_limits(const ServerLimits& limits) {
    limits_.max_clients = limits.max_clients;
    limits_.keepalive_interval = limits.keepalive_interval;
    limits_.keepalive_count = limits.keepalive_count;
}

void RpcServer::close_client(uint64_t client_id) {
    std::shared_ptr<std::atomic<bool>> alive = alive_;
    loop_.post([this, alive, client_id] {
        if (!alive->load()) return;
        if (Client* c = find(client_id)) {
            c->closing = true;
            flush(*c);
        }
    });
}

} // namespace virtd::rpc
