#include "virtd/remote_procedures.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "conf/capabilities.h"
#include "conf/domain.h"

namespace virtd {
namespace {

constexpr std::string_view kMockUri = "mock:///default";

// Feature numbers clients ask about (libvirt's VIR_DRV_FEATURE_*).
constexpr int32_t kFeatureKeepalive = 10;
constexpr int32_t kFeatureEventCallback = 14;
constexpr int32_t kFeatureCloseCallback = 15;

DomainRef to_ref(const rpc::NonnullDomain& d) {
    return {d.name, Uuid(d.uuid), d.id};
}
rpc::NonnullDomain to_wire(const DomainRef& r) {
    return {r.name, r.uuid.bytes(), r.id};
}

template <typename Ret>
Result<Ret> wrap_dom(Result<DomainRef> r) {
    if (!r) return r.error();
    return Ret{to_wire(*r)};
}

} // namespace

RemoteProcedures::Connection RemoteProcedures::connection(uint64_t id) {
    std::lock_guard lock(mu_);
    return connections_[id];
}

void RemoteProcedures::client_closed(uint64_t client_id) {
    events_.client_closed(client_id);
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
                          "operation forbidden: read only access prevents {}", info->name);
    rpc::XdrReader args(payload);
    rpc::XdrWriter reply;
    rpc::CallContext ctx{client.id, conn.readonly || client.readonly_socket, client.local};
    if (Status s = rpc::dispatch_remote(*this, ctx, h.proc, args, reply); !s) return s.error();
    return reply.take();
}

// ---- connection --------------------------------------------------------------------------------

Result<rpc::AuthListRet> RemoteProcedures::auth_list(const rpc::CallContext&) {
    return rpc::AuthListRet{{0}}; // AUTH_NONE: the unix socket's permissions are the check
}

Status RemoteProcedures::connect_open(const rpc::CallContext& ctx, const rpc::ConnectOpenArgs& a) {
    std::string uri = a.name.value_or("");
    if (uri.empty()) uri = kMockUri;
    if (uri != kMockUri)
        return make_error(ErrorCode::NoConnect, ErrorDomain::None,
                          "no connection driver available for {}", uri);
    std::lock_guard lock(mu_);
    Connection& c = connections_[ctx.client_id];
    c.open = true;
    c.uri = uri;
    c.readonly = ctx.readonly || (a.flags & 1) != 0; // VIR_CONNECT_RO
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

Result<rpc::ConnectGetTypeRet> RemoteProcedures::connect_get_type(const rpc::CallContext&) {
    return rpc::ConnectGetTypeRet{"Mock"};
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

Result<rpc::ConnectGetCapabilitiesRet>
RemoteProcedures::connect_get_capabilities(const rpc::CallContext&) {
    static const Uuid host_uuid = Uuid::generate(); // stable for the daemon's lifetime
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    conf::Capabilities caps =
        conf::Capabilities::for_host(host_uuid, "/usr/libexec/virtd-vmm", cpus > 0 ? cpus : 1);
    return rpc::ConnectGetCapabilitiesRet{caps.format()};
}

Result<rpc::ConnectGetMaxVcpusRet>
RemoteProcedures::connect_get_max_vcpus(const rpc::CallContext&,
                                        const rpc::ConnectGetMaxVcpusArgs&) {
    return rpc::ConnectGetMaxVcpusRet{static_cast<int32_t>(conf::kMaxVcpus)};
}

Result<rpc::NodeGetInfoRet> RemoteProcedures::node_get_info(const rpc::CallContext&) {
    utsname u{};
    uname(&u);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);
    rpc::NodeGetInfoRet info;
    info.model = std::string(u.machine).substr(0, 31);
    info.memory = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 1024;
    info.cpus = static_cast<int32_t>(cpus > 0 ? cpus : 1);
    info.mhz = 0; // not known without reading the CPU's own tables
    info.nodes = 1;
    info.sockets = 1;
    info.cores = info.cpus;
    info.threads = 1;
    return info;
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

// ---- domains -----------------------------------------------------------------------------------

Result<rpc::DomainDefineXmlRet>
RemoteProcedures::domain_define_xml(const rpc::CallContext&, const rpc::DomainDefineXmlArgs& a) {
    return wrap_dom<rpc::DomainDefineXmlRet>(domains_.define_xml(a.xml));
}

Result<rpc::DomainDefineXmlFlagsRet>
RemoteProcedures::domain_define_xml_flags(const rpc::CallContext&,
                                          const rpc::DomainDefineXmlFlagsArgs& a) {
    // Flag 1 (VALIDATE) asks for schema validation, which every definition gets anyway.
    return wrap_dom<rpc::DomainDefineXmlFlagsRet>(domains_.define_xml(a.xml));
}

Result<rpc::DomainCreateXmlRet>
RemoteProcedures::domain_create_xml(const rpc::CallContext&, const rpc::DomainCreateXmlArgs& a) {
    return wrap_dom<rpc::DomainCreateXmlRet>(domains_.create_xml(a.xml_desc, a.flags));
}

Status RemoteProcedures::domain_create(const rpc::CallContext&, const rpc::DomainCreateArgs& a) {
    Result<DomainRef> r = domains_.start(to_ref(a.dom), 0);
    if (!r) return r.error();
    return {};
}

Result<rpc::DomainCreateWithFlagsRet>
RemoteProcedures::domain_create_with_flags(const rpc::CallContext&,
                                           const rpc::DomainCreateWithFlagsArgs& a) {
    return wrap_dom<rpc::DomainCreateWithFlagsRet>(domains_.start(to_ref(a.dom), a.flags));
}

Status RemoteProcedures::domain_destroy(const rpc::CallContext&, const rpc::DomainDestroyArgs& a) {
    return domains_.destroy(to_ref(a.dom), 0);
}

Status RemoteProcedures::domain_destroy_flags(const rpc::CallContext&,
                                              const rpc::DomainDestroyFlagsArgs& a) {
    return domains_.destroy(to_ref(a.dom), a.flags);
}

Status RemoteProcedures::domain_shutdown(const rpc::CallContext&,
                                         const rpc::DomainShutdownArgs& a) {
    return domains_.shutdown(to_ref(a.dom), 0);
}

Status RemoteProcedures::domain_shutdown_flags(const rpc::CallContext&,
                                               const rpc::DomainShutdownFlagsArgs& a) {
    return domains_.shutdown(to_ref(a.dom), a.flags);
}

Status RemoteProcedures::domain_suspend(const rpc::CallContext&, const rpc::DomainSuspendArgs& a) {
    return domains_.suspend(to_ref(a.dom));
}

Status RemoteProcedures::domain_resume(const rpc::CallContext&, const rpc::DomainResumeArgs& a) {
    return domains_.resume(to_ref(a.dom));
}

Status RemoteProcedures::domain_undefine(const rpc::CallContext&,
                                         const rpc::DomainUndefineArgs& a) {
    return domains_.undefine(to_ref(a.dom), 0);
}

Status RemoteProcedures::domain_undefine_flags(const rpc::CallContext&,
                                               const rpc::DomainUndefineFlagsArgs& a) {
    return domains_.undefine(to_ref(a.dom), a.flags);
}

Result<rpc::ConnectListAllDomainsRet>
RemoteProcedures::connect_list_all_domains(const rpc::CallContext&,
                                           const rpc::ConnectListAllDomainsArgs& a) {
    Result<std::vector<DomainRef>> list = domains_.list_all(a.flags);
    if (!list) return list.error();
    rpc::ConnectListAllDomainsRet ret;
    ret.ret = static_cast<uint32_t>(list->size());
    if (a.need_results) {
        ret.domains.reserve(list->size());
        for (const DomainRef& d : *list)
            ret.domains.push_back(to_wire(d));
    }
    return ret;
}

Result<rpc::DomainLookupByNameRet>
RemoteProcedures::domain_lookup_by_name(const rpc::CallContext&,
                                        const rpc::DomainLookupByNameArgs& a) {
    return wrap_dom<rpc::DomainLookupByNameRet>(domains_.lookup_by_name(a.name));
}

Result<rpc::DomainLookupByUuidRet>
RemoteProcedures::domain_lookup_by_uuid(const rpc::CallContext&,
                                        const rpc::DomainLookupByUuidArgs& a) {
    return wrap_dom<rpc::DomainLookupByUuidRet>(domains_.lookup_by_uuid(Uuid(a.uuid)));
}

Result<rpc::DomainLookupByIdRet>
RemoteProcedures::domain_lookup_by_id(const rpc::CallContext&, const rpc::DomainLookupByIdArgs& a) {
    return wrap_dom<rpc::DomainLookupByIdRet>(domains_.lookup_by_id(a.id));
}

Result<rpc::DomainGetXmlDescRet>
RemoteProcedures::domain_get_xml_desc(const rpc::CallContext&, const rpc::DomainGetXmlDescArgs& a) {
    Result<std::string> xml = domains_.get_xml(to_ref(a.dom), a.flags);
    if (!xml) return xml.error();
    return rpc::DomainGetXmlDescRet{std::move(*xml)};
}

Result<rpc::DomainGetInfoRet> RemoteProcedures::domain_get_info(const rpc::CallContext&,
                                                                const rpc::DomainGetInfoArgs& a) {
    Result<DomainInfo> info = domains_.get_info(to_ref(a.dom));
    if (!info) return info.error();
    return rpc::DomainGetInfoRet{static_cast<uint8_t>(info->state), info->max_memory_kib,
                                 info->memory_kib, info->vcpus, info->cpu_time_ns};
}

Result<rpc::DomainGetStateRet>
RemoteProcedures::domain_get_state(const rpc::CallContext&, const rpc::DomainGetStateArgs& a) {
    Result<DomainInfo> info = domains_.get_info(to_ref(a.dom));
    if (!info) return info.error();
    // Reasons: running 1 (booted), paused 1 (user), shut off 0 (unknown).
    int32_t reason = info->state == DomainState::Shutoff ? 0 : 1;
    return rpc::DomainGetStateRet{static_cast<int32_t>(info->state), reason};
}

Result<rpc::DomainIsActiveRet>
RemoteProcedures::domain_is_active(const rpc::CallContext&, const rpc::DomainIsActiveArgs& a) {
    Result<bool> r = domains_.is_active(to_ref(a.dom));
    if (!r) return r.error();
    return rpc::DomainIsActiveRet{*r ? 1 : 0};
}

Result<rpc::DomainIsPersistentRet>
RemoteProcedures::domain_is_persistent(const rpc::CallContext&,
                                       const rpc::DomainIsPersistentArgs& a) {
    Result<bool> r = domains_.is_persistent(to_ref(a.dom));
    if (!r) return r.error();
    return rpc::DomainIsPersistentRet{*r ? 1 : 0};
}

Result<rpc::DomainGetAutostartRet>
RemoteProcedures::domain_get_autostart(const rpc::CallContext&,
                                       const rpc::DomainGetAutostartArgs& a) {
    Result<bool> r = domains_.get_autostart(to_ref(a.dom));
    if (!r) return r.error();
    return rpc::DomainGetAutostartRet{*r ? 1 : 0};
}

Status RemoteProcedures::domain_set_autostart(const rpc::CallContext&,
                                              const rpc::DomainSetAutostartArgs& a) {
    return domains_.set_autostart(to_ref(a.dom), a.autostart != 0);
}

Result<rpc::DomainGetOsTypeRet>
RemoteProcedures::domain_get_os_type(const rpc::CallContext&, const rpc::DomainGetOsTypeArgs& a) {
    Result<bool> exists = domains_.is_active(to_ref(a.dom));
    if (!exists) return exists.error();
    return rpc::DomainGetOsTypeRet{"hvm"};
}

} // namespace virtd
