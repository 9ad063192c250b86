#include "virtd/remote_procedures.h"

#include <algorithm>

#include <pugixml.hpp>
#include <sys/utsname.h>

#include "common/host.h"
#include "conf/domain.h"
#include "virtd/wire_refs.h"

namespace virtd {
namespace {

// Feature numbers clients ask about (libvirt's VIR_DRV_FEATURE_*).
constexpr int32_t kFeatureKeepalive = 10;
constexpr int32_t kFeatureEventCallback = 14;
constexpr int32_t kFeatureCloseCallback = 15;

// The name of the object an XML document describes: its root's <name> child; empty when the
// document cannot be read (the driver then rejects it; only rules without name= can apply).
std::string xml_object_name(std::string_view xml) {
    pugi::xml_document doc;
    if (!doc.load_buffer(xml.data(), xml.size())) return {};
    return doc.document_element().child("name").text().as_string();
}

const rpc::ClientInfo& caller(const rpc::CallContext& ctx) {
    static const rpc::ClientInfo kNobody;
    return ctx.client ? *ctx.client : kNobody;
}

} // namespace

// ---- access control ----------------------------------------------------------------------------

void RemoteProcedures::set_access_policy(std::shared_ptr<const acl::AccessPolicy> policy) {
    std::lock_guard lock(policy_mu_);
    policy_ = std::move(policy);
}

std::shared_ptr<const acl::AccessPolicy> RemoteProcedures::access_policy() const {
    std::lock_guard lock(policy_mu_);
    return policy_;
}

Status RemoteProcedures::authorize(const rpc::CallContext& ctx, const rpc::AclCheck& check) {
    std::shared_ptr<const acl::AccessPolicy> policy = access_policy();
    acl::Decider d{policy.get(), daemon_uid_};
    const rpc::ClientInfo& who = caller(ctx);
    std::string name(check.name);
    if (!check.xml.empty() && acl::name_matters(d, who)) name = xml_object_name(check.xml);
    if (!check.parent.empty() && !name.empty()) name = std::string(check.parent) + "/" + name;
    if (acl::decide(d, who, ctx.readonly, check.object, check.perm, name)) return {};
    return acl::denied(who, check.object, check.perm, name);
}

bool RemoteProcedures::may_see(const rpc::CallContext& ctx, std::string_view name) const {
    const rpc::ProcedureInfo* info = rpc::remote_procedure(ctx.proc);
    if (!info || info->filter.empty()) return true;
    std::shared_ptr<const acl::AccessPolicy> policy = access_policy();
    acl::Decider d{policy.get(), daemon_uid_};
    for (const rpc::AclPermission& p : info->filter)
        if (!acl::decide(d, caller(ctx), ctx.readonly, p.object, p.perm, name)) return false;
    return true;
}

bool RemoteProcedures::event_visible(uint64_t client, const DomainEvent& e) const {
    Connection c;
    {
        std::lock_guard lock(mu_);
        auto it = connections_.find(client);
        if (it == connections_.end()) return false;
        c = it->second;
    }
    if (e.source && (!c.drivers || c.drivers->domains != e.source)) return false;
    std::shared_ptr<const acl::AccessPolicy> policy = access_policy();
    acl::Decider d{policy.get(), daemon_uid_};
    return acl::decide(d, c.who, c.readonly, rpc::AclObject::Domain, "getattr", e.dom.name);
}

RemoteProcedures::Connection RemoteProcedures::connection(uint64_t id) {
    std::lock_guard lock(mu_);
    return connections_[id];
}

bool RemoteProcedures::is_fast(const rpc::MessageHeader& h) const {
    const rpc::ProcedureInfo* info = rpc::remote_procedure(h.proc);
    return h.program == rpc::kRemoteProgram && info && (info->flags & rpc::kProcFast);
}

void RemoteProcedures::after_reply(const rpc::ClientInfo& client, const rpc::MessageHeader& call) {
    streams_.after_reply(client, call);
}

void RemoteProcedures::handle_stream(const rpc::ClientInfo& client, const rpc::MessageHeader& h,
                                     std::string_view payload) {
    streams_.handle_packet(client, h, payload);
}

void RemoteProcedures::client_closed(uint64_t client_id) {
    events_.client_closed(client_id);
    streams_.client_closed(client_id);
    std::lock_guard lock(mu_);
    connections_.erase(client_id);
}

Result<std::string> RemoteProcedures::handle_call(const rpc::ClientInfo& client,
                                                  const rpc::MessageHeader& h,
                                                  std::string_view payload) {
    const rpc::ProcedureInfo* info = rpc::remote_procedure(h.proc);
    if (!info) return rpc::unknown_procedure(h.proc);
    Connection conn = connection(client.id);
    if (!conn.open && !(info->flags & rpc::kProcPreOpen))
        return Error(ErrorCode::InternalError, ErrorDomain::Rpc,
                     "internal error: hypervisor connection not open");
    if ((conn.readonly || client.readonly_socket) && !(info->flags & rpc::kProcReadOnly))
        return make_error(ErrorCode::OperationDenied, ErrorDomain::Rpc,
                          "operation forbidden: read only access prevents {}", info->api);
    rpc::XdrReader args(payload);
    rpc::XdrWriter reply;
    rpc::CallContext ctx{client.id, conn.readonly || client.readonly_socket,
                         // unix, TLS, or a SASL layer strong enough to be libvirt's "secure"
                         client.transport != rpc::Transport::Tcp || client.sasl_ssf >= 56, h.serial,
                         h.proc, &client, conn.drivers};
    if (Status s = rpc::dispatch_remote(*this, ctx, h.proc, args, reply); !s) return s.error();
    return reply.take();
}

// ---- connection --------------------------------------------------------------------------------

Status RemoteProcedures::connect_open(const rpc::CallContext& ctx, const rpc::ConnectOpenArgs& a) {
    std::string uri = a.name.value_or("");
    const ConnectionDrivers* drivers = uri.empty() ? &drivers_.front() : nullptr;
    for (const ConnectionDrivers& d : drivers_)
        if (std::find(d.uris.begin(), d.uris.end(), uri) != d.uris.end()) drivers = &d;
    if (!drivers)
        return make_error(ErrorCode::NoConnect, ErrorDomain::None,
                          "no connection driver available for {}", uri);
    bool readonly = ctx.readonly || (a.flags & 1) != 0; // VIR_CONNECT_RO
    // A read-write connection also needs connect:write (connect:getattr is the .def's acl=).
    if (!readonly)
        if (Status s = authorize(ctx, {rpc::AclObject::Connect, "write", {}, {}, {}}); !s) return s;
    std::lock_guard lock(mu_);
    Connection& c = connections_[ctx.client_id];
    c.open = true;
    c.uri = drivers->uris.front();
    c.drivers = drivers;
    c.readonly = readonly;
    c.who = caller(ctx);
    return {};
}

Status RemoteProcedures::connect_close(const rpc::CallContext& ctx) {
    std::lock_guard lock(mu_);
    connections_[ctx.client_id].open = false;
    return {};
}

Result<rpc::ConnectSupportsFeatureRet>
RemoteProcedures::connect_supports_feature(const rpc::CallContext& ctx,
                                           const rpc::ConnectSupportsFeatureArgs& a) {
    if (a.feature == kFeatureKeepalive) {
        if (server_) server_->enable_keepalive(ctx.client_id);
        return rpc::ConnectSupportsFeatureRet{1};
    }
    bool yes = a.feature == kFeatureCloseCallback || a.feature == kFeatureEventCallback;
    return rpc::ConnectSupportsFeatureRet{yes ? 1 : 0};
}

Status RemoteProcedures::connect_register_close_callback(const rpc::CallContext&) {
    return {};
}
Status RemoteProcedures::connect_unregister_close_callback(const rpc::CallContext&) {
    return {};
}

Result<rpc::ConnectGetTypeRet> RemoteProcedures::connect_get_type(const rpc::CallContext& ctx) {
    return rpc::ConnectGetTypeRet{drivers_of(ctx).type};
}

Result<rpc::ConnectGetVersionRet> RemoteProcedures::connect_get_version(const rpc::CallContext&) {
    return rpc::ConnectGetVersionRet{1000}; // 0.1.0 as major * 1e6 + minor * 1e3 + micro
}

Result<rpc::ConnectGetLibVersionRet>
RemoteProcedures::connect_get_lib_version(const rpc::CallContext&) {
    return rpc::ConnectGetLibVersionRet{9000000}; // the libvirt API level virtd speaks (9.0.0)
}

Result<rpc::ConnectGetHostnameRet> RemoteProcedures::connect_get_hostname(const rpc::CallContext&) {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) < 0)
        return system_error(ErrorDomain::None, errno, "reading the host name");
    return rpc::ConnectGetHostnameRet{name};
}

Result<rpc::ConnectGetUriRet> RemoteProcedures::connect_get_uri(const rpc::CallContext& ctx) {
    return rpc::ConnectGetUriRet{connection(ctx.client_id).uri};
}

Result<rpc::ConnectIsSecureRet> RemoteProcedures::connect_is_secure(const rpc::CallContext& ctx) {
    return rpc::ConnectIsSecureRet{ctx.secure ? 1 : 0};
}

Result<rpc::ConnectGetMaxVcpusRet>
RemoteProcedures::connect_get_max_vcpus(const rpc::CallContext&,
                                        const rpc::ConnectGetMaxVcpusArgs&) {
    return rpc::ConnectGetMaxVcpusRet{static_cast<int32_t>(conf::kMaxVcpus)};
}

Result<rpc::NodeGetInfoRet> RemoteProcedures::node_get_info(const rpc::CallContext&) {
    utsname u{};
    uname(&u);
    Result<HostMemory> memory = host_memory();
    if (!memory) return memory.error();
    rpc::NodeGetInfoRet info;
    info.model = std::string(u.machine).substr(0, 31);
    info.memory = memory->total_kib;
    info.cpus = static_cast<int32_t>(host_cpus());
    info.mhz = 0; // not known without reading the CPU's own tables
    info.nodes = 1;
    info.sockets = 1;
    info.cores = info.cpus;
    info.threads = 1;
    return info;
}

Result<rpc::NodeGetMemoryStatsRet>
RemoteProcedures::node_get_memory_stats(const rpc::CallContext&,
                                        const rpc::NodeGetMemoryStatsArgs& a) {
    // libvirt's four fields, in KiB, from the kernel's own accounting.
    static constexpr std::pair<const char*, uint64_t HostMemory::*> kFields[] = {
        {"total", &HostMemory::total_kib},
        {"free", &HostMemory::free_kib},
        {"buffers", &HostMemory::buffers_kib},
        {"cached", &HostMemory::cached_kib}};
    constexpr int32_t kAllCells = -1;
    if (a.cell_num != kAllCells && a.cell_num != 0)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                          "Invalid cell number {}: the host has one NUMA cell", a.cell_num);
    rpc::NodeGetMemoryStatsRet ret;
    ret.nparams = static_cast<int32_t>(std::size(kFields));
    if (a.nparams == 0) return ret; // the caller asks how many there are
    Result<HostMemory> memory = host_memory();
    if (!memory) return memory.error();
    for (const auto& [field, member] : kFields) {
        if (ret.params.size() >= static_cast<size_t>(std::max(a.nparams, 0))) break;
        ret.params.push_back({field, (*memory).*member});
    }
    ret.nparams = static_cast<int32_t>(ret.params.size());
    return ret;
}

Result<rpc::NodeGetSecurityModelRet>
RemoteProcedures::node_get_security_model(const rpc::CallContext&) {
    // No security driver yet: an empty model tells clients not to ask for labels.
    return rpc::NodeGetSecurityModelRet{"", ""};
}

// ---- events ------------------------------------------------------------------------------------

Result<rpc::ConnectDomainEventCallbackRegisterAnyRet>
RemoteProcedures::connect_domain_event_callback_register_any(
    const rpc::CallContext& ctx, const rpc::ConnectDomainEventCallbackRegisterAnyArgs& a) {
    std::optional<Uuid> only;
    if (a.dom) only = Uuid(a.dom->uuid);
    return rpc::ConnectDomainEventCallbackRegisterAnyRet{
        events_.add_callback(ctx.client_id, a.event_id, only)};
}

Status RemoteProcedures::connect_domain_event_callback_deregister_any(
    const rpc::CallContext& ctx, const rpc::ConnectDomainEventCallbackDeregisterAnyArgs& a) {
    return events_.remove_callback(ctx.client_id, a.callback_id);
}

Status RemoteProcedures::connect_domain_event_register_any(
    const rpc::CallContext& ctx, const rpc::ConnectDomainEventRegisterAnyArgs& a) {
    return events_.add_legacy(ctx.client_id, a.event_id);
}

Status RemoteProcedures::connect_domain_event_deregister_any(
    const rpc::CallContext& ctx, const rpc::ConnectDomainEventDeregisterAnyArgs& a) {
    return events_.remove_legacy(ctx.client_id, a.event_id);
}

} // namespace virtd
