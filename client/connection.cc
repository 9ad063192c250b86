#include "client/connection.h"

#include <charconv>

#include "client/uri.h"
#include "rpc/tls.h"

namespace virtd::client {
namespace {

// Features asked for during open (libvirt's VIR_DRV_FEATURE_* numbers).
constexpr int kFeatureKeepalive = 10;
constexpr int kFeatureEventCallback = 14;
constexpr int kFeatureCloseCallback = 15;
// Domain event ids and the message that carries callback-style lifecycle events.
constexpr int kEventLifecycle = 0;
constexpr int32_t kProcLifecycleCallbackMsg = 318;

// TCP, or TCP + TLS with the client certificates the URI points to (pkipath=) or libvirt's
// default places.
Result<std::unique_ptr<rpc::RpcClient>> connect(const ConnectUri& uri) {
    if (uri.transport == Transport::Unix) return rpc::RpcClient::connect_unix(uri.socket_path);
    if (uri.transport == Transport::Tcp) return rpc::RpcClient::connect_tcp(uri.host, uri.port);
    rpc::TlsClientOptions tls;
    if (!uri.pkipath.empty()) tls.files = rpc::client_tls_files_in(uri.pkipath);
    if (!uri.tls_priority.empty()) tls.priority = uri.tls_priority;
    tls.verify_server = !uri.no_verify;
    tls.host = uri.host;
    Result<std::shared_ptr<rpc::TlsCredentials>> creds = rpc::TlsCredentials::load_client(tls);
    if (!creds) return creds.error();
    return rpc::RpcClient::connect_tls(uri.host, uri.port, **creds);
}

} // namespace

Connection::Connection(std::unique_ptr<rpc::RpcClient> rpc, std::string uri, bool readonly)
    : rpc_(std::move(rpc))
    , remote_(*rpc_)
    , uri_(std::move(uri))
    , readonly_(readonly) {}

Connection::~Connection() {
    (void)close();
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& uri, unsigned flags,
                                                     const CredentialPrompt& prompt) {
    bool readonly = (flags & kConnectReadOnly) != 0;
    Result<ConnectUri> parsed = ConnectUri::parse(uri, default_socket_path(readonly));
    if (!parsed) return parsed.error();
    Result<std::unique_ptr<rpc::RpcClient>> rpc = connect(*parsed);
    if (!rpc) return rpc.error();
    std::unique_ptr<Connection> conn(new Connection(std::move(*rpc), uri, readonly));
    if (Status s = conn->handshake(*parsed, flags, prompt); !s) {
        conn->closed_ = true; // nothing to close politely
        return s.error();
    }
    return conn;
}

// The sequence stock virsh sends (research §2.4): auth list, keepalive feature, open, event and
// close-callback features, close-callback registration.
Status Connection::handshake(const ConnectUri& uri, unsigned flags,
                             const CredentialPrompt& prompt) {
    const std::string& name = uri.name;
    rpc_->set_message_handler([this](const rpc::MessageHeader& h, const std::string& payload) {
        on_message(h, payload);
    });
    Result<rpc::AuthListRet> auth = remote_.auth_list();
    if (!auth && auth.error().code() != ErrorCode::NoSupport) return auth.error();
    constexpr int32_t kAuthSasl = 1;
    if (auth && !auth->types.empty() && auth->types[0] == kAuthSasl) {
        SaslAuthOptions o;
        o.host = uri.transport == Transport::Unix ? "localhost" : uri.host;
        o.user = uri.user;
        o.authfile = uri.authfile;
        if (uri.auth.starts_with("sasl.")) o.mechanism = uri.auth.substr(5);
        o.unix_socket = uri.transport == Transport::Unix;
        o.prompt = prompt;
        if (Status s = authenticate_sasl(remote_, *rpc_, o); !s) return s;
    } else if (auth && !auth->types.empty() && auth->types[0] != 0) {
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: the server wants authentication type {}, "
                          "which this client does not speak",
                          auth->types[0]);
    }
    Result<bool> keepalive = supports_feature(kFeatureKeepalive);
    if (!keepalive) return keepalive.error();
    if (Status s = remote_.connect_open({name, flags}); !s) return s;
    if (*keepalive) rpc_->start_keepalive(std::chrono::seconds(5), 6);
    if (Result<bool> ev = supports_feature(kFeatureEventCallback); !ev) return ev.error();
    Result<bool> close_cb = supports_feature(kFeatureCloseCallback);
    if (!close_cb) return close_cb.error();
    if (*close_cb) {
        if (Status s = remote_.connect_register_close_callback(); !s) return s;
        close_callback_ = true;
    }
    return {};
}

Status Connection::close() {
    if (closed_) return {};
    closed_ = true;
    Status result;
    if (rpc_->is_open()) {
        if (close_callback_) (void)remote_.connect_unregister_close_callback();
        result = remote_.connect_close();
    }
    rpc_->close();
    return result;
}

void Connection::set_close_handler(std::function<void(const Error&)> handler) {
    rpc_->set_close_handler(std::move(handler));
}

Status Connection::require_writable(std::string_view api) const {
    if (!readonly_) return {};
    return make_error(ErrorCode::OperationDenied, ErrorDomain::None,
                      "operation forbidden: read only access prevents {}", api);
}

Result<bool> Connection::supports_feature(int feature) {
    auto r = remote_.connect_supports_feature({feature});
    if (!r) return r.error();
    return r->supported != 0;
}

Result<std::string> Connection::hostname() {
    auto r = remote_.connect_get_hostname();
    if (!r) return r.error();
    return r->hostname;
}

Result<std::string> Connection::canonical_uri() {
    auto r = remote_.connect_get_uri();
    if (!r) return r.error();
    return r->uri;
}

Result<std::string> Connection::hypervisor_type() {
    auto r = remote_.connect_get_type();
    if (!r) return r.error();
    return r->type;
}

Result<uint64_t> Connection::hypervisor_version() {
    auto r = remote_.connect_get_version();
    if (!r) return r.error();
    return r->hv_ver;
}

Result<uint64_t> Connection::library_version() {
    auto r = remote_.connect_get_lib_version();
    if (!r) return r.error();
    return r->lib_ver;
}

Result<NodeInfo> Connection::node_info() {
    auto r = remote_.node_get_info();
    if (!r) return r.error();
    return *r;
}

Result<std::string> Connection::capabilities() {
    auto r = remote_.connect_get_capabilities();
    if (!r) return r.error();
    return r->capabilities;
}

Result<std::vector<Domain>> Connection::list_all_domains(unsigned flags) {
    auto r = remote_.connect_list_all_domains({1, flags});
    if (!r) return r.error();
    std::vector<Domain> out;
    out.reserve(r->domains.size());
    for (auto& d : r->domains)
        out.emplace_back(*this, d);
    return out;
}

Result<Domain> Connection::domain_by_name(const std::string& name) {
    auto r = remote_.domain_lookup_by_name({name});
    if (!r) return r.error();
    return Domain(*this, r->dom);
}

Result<Domain> Connection::domain_by_id(int id) {
    auto r = remote_.domain_lookup_by_id({id});
    if (!r) return r.error();
    return Domain(*this, r->dom);
}

Result<Domain> Connection::domain_by_uuid(const Uuid& uuid) {
    auto r = remote_.domain_lookup_by_uuid({uuid.bytes()});
    if (!r) return r.error();
    return Domain(*this, r->dom);
}

Result<Domain> Connection::find_domain(std::string_view text, bool allow_id) {
    int id = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (allow_id && ec == std::errc() && end == text.data() + text.size() && id >= 0) {
        Result<Domain> d = domain_by_id(id);
        if (d || d.error().code() != ErrorCode::NoDomain) return d;
    }
    if (text.size() == 36) {
        if (Result<Uuid> u = Uuid::parse(text); u) {
            Result<Domain> d = domain_by_uuid(*u);
            if (d || d.error().code() != ErrorCode::NoDomain) return d;
        }
    }
    return domain_by_name(std::string(text));
}

Result<Domain> Connection::define_domain(const std::string& xml, unsigned flags) {
    if (Status s = require_writable(flags ? "virDomainDefineXMLFlags" : "virDomainDefineXML"); !s)
        return s.error();
    if (flags == 0) {
        auto r = remote_.domain_define_xml({xml});
        if (!r) return r.error();
        return Domain(*this, r->dom);
    }
    auto r = remote_.domain_define_xml_flags({xml, flags});
    if (!r) return r.error();
    return Domain(*this, r->dom);
}

Result<Domain> Connection::create_domain(const std::string& xml, unsigned flags) {
    if (Status s = require_writable("virDomainCreateXML"); !s) return s.error();
    auto r = remote_.domain_create_xml({xml, flags});
    if (!r) return r.error();
    return Domain(*this, r->dom);
}

Status Connection::restore_domain(const std::string& from) {
    if (Status s = require_writable("virDomainRestore"); !s) return s;
    return remote_.domain_restore({from});
}

Result<std::vector<StoragePool>> Connection::list_all_storage_pools(unsigned flags) {
    auto r = remote_.connect_list_all_storage_pools({1, flags});
    if (!r) return r.error();
    std::vector<StoragePool> out;
    for (auto& p : r->pools)
        out.emplace_back(*this, p);
    return out;
}

Result<StoragePool> Connection::pool_by_name(const std::string& name) {
    auto r = remote_.storage_pool_lookup_by_name({name});
    if (!r) return r.error();
    return StoragePool(*this, r->pool);
}

Result<StoragePool> Connection::find_pool(std::string_view text) {
    if (text.size() == 36) {
        if (Result<Uuid> u = Uuid::parse(text); u) {
            auto r = remote_.storage_pool_lookup_by_uuid({u->bytes()});
            if (r) return StoragePool(*this, r->pool);
        }
    }
    return pool_by_name(std::string(text));
}

Result<StoragePool> Connection::pool_of_volume(const StorageVol& vol) {
    auto r = remote_.storage_pool_lookup_by_volume({vol.ref()});
    if (!r) return r.error();
    return StoragePool(*this, r->pool);
}

Result<StoragePool> Connection::define_pool(const std::string& xml, unsigned flags) {
    if (Status s = require_writable("virStoragePoolDefineXML"); !s) return s.error();
    auto r = remote_.storage_pool_define_xml({xml, flags});
    if (!r) return r.error();
    return StoragePool(*this, r->pool);
}

Result<StoragePool> Connection::create_pool(const std::string& xml, unsigned flags) {
    if (Status s = require_writable("virStoragePoolCreateXML"); !s) return s.error();
    auto r = remote_.storage_pool_create_xml({xml, flags});
    if (!r) return r.error();
    return StoragePool(*this, r->pool);
}

Result<StorageVol> Connection::volume_by_key(const std::string& key) {
    auto r = remote_.storage_vol_lookup_by_key({key});
    if (!r) return r.error();
    return StorageVol(*this, r->vol);
}

Result<StorageVol> Connection::volume_by_path(const std::string& path) {
    auto r = remote_.storage_vol_lookup_by_path({path});
    if (!r) return r.error();
    return StorageVol(*this, r->vol);
}

Result<std::vector<Network>> Connection::list_all_networks(unsigned flags) {
    auto r = remote_.connect_list_all_networks({1, flags});
    if (!r) return r.error();
    std::vector<Network> out;
    for (auto& n : r->nets)
        out.emplace_back(*this, n);
    return out;
}

Result<Network> Connection::network_by_name(const std::string& name) {
    auto r = remote_.network_lookup_by_name({name});
    if (!r) return r.error();
    return Network(*this, r->net);
}

Result<Network> Connection::find_network(std::string_view text) {
    if (text.size() == 36) {
        if (Result<Uuid> u = Uuid::parse(text); u) {
            auto r = remote_.network_lookup_by_uuid({u->bytes()});
            if (r) return Network(*this, r->net);
        }
    }
    return network_by_name(std::string(text));
}

Result<Network> Connection::define_network(const std::string& xml) {
    if (Status s = require_writable("virNetworkDefineXML"); !s) return s.error();
    auto r = remote_.network_define_xml({xml});
    if (!r) return r.error();
    return Network(*this, r->net);
}

Result<Network> Connection::create_network(const std::string& xml) {
    if (Status s = require_writable("virNetworkCreateXML"); !s) return s.error();
    auto r = remote_.network_create_xml({xml});
    if (!r) return r.error();
    return Network(*this, r->net);
}

Result<int> Connection::add_lifecycle_handler(LifecycleHandler handler,
                                              const std::optional<Domain>& only) {
    std::lock_guard lock(events_mu_);
    std::optional<rpc::NonnullDomain> filter;
    if (only) filter = only->ref();
    auto r = remote_.connect_domain_event_callback_register_any({kEventLifecycle, filter});
    if (!r) return r.error();
    lifecycle_[r->callback_id] = std::move(handler);
    return r->callback_id;
}

Status Connection::remove_event_handler(int callback_id) {
    std::lock_guard lock(events_mu_);
    if (lifecycle_.erase(callback_id) == 0)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Event, "no event handler with id {}",
                          callback_id);
    return remote_.connect_domain_event_callback_deregister_any({callback_id});
}

void Connection::on_message(const rpc::MessageHeader& h, const std::string& payload) {
    if (h.program != rpc::kRemoteProgram || h.proc != kProcLifecycleCallbackMsg) return;
    rpc::XdrReader r(payload);
    rpc::DomainEventCallbackLifecycleMsg msg;
    if (!decode(r, msg)) return; // a malformed event is dropped, as libvirt's client does
    LifecycleHandler handler;
    {
        std::lock_guard lock(events_mu_);
        auto it = lifecycle_.find(msg.callback_id);
        if (it == lifecycle_.end()) return;
        handler = it->second;
    }
    handler(Domain(*this, msg.dom), msg.event, msg.detail);
}

} // namespace virtd::client
