// RemoteProcedures: the daemon's RPC front door. It keeps each connection's state (opened, which
// URI, read-only), enforces what may be called when, and turns each procedure into one call on
// the core driver interfaces. It holds no object state of its own.
//
// Thread safety: handle_call() runs on many worker threads at once.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "drivers/domain_driver.h"
#include "rpc/remote_protocol.h"
#include "rpc/server.h"
#include "virtd/events.h"

namespace virtd {

class RemoteProcedures : public rpc::RemoteHandlers, public rpc::CallHandler {
public:
    // `domains` serves mock:///default; both must outlive this object.
    RemoteProcedures(DomainDriver& domains, EventDispatcher& events)
        : domains_(domains)
        , events_(events) {}
    // Keepalive needs the server; set before serving.
    void set_server(rpc::RpcServer* server) { server_ = server; }

    // rpc::CallHandler
    Result<std::string> handle_call(const rpc::ClientInfo& client, const rpc::MessageHeader& h,
                                    std::string_view payload) override;
    void client_closed(uint64_t client_id) override;

    // connection
    Result<rpc::AuthListRet> auth_list(const rpc::CallContext& ctx) override;
    Status connect_open(const rpc::CallContext& ctx, const rpc::ConnectOpenArgs& a) override;
    Status connect_close(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectSupportsFeatureRet>
    connect_supports_feature(const rpc::CallContext& ctx,
                             const rpc::ConnectSupportsFeatureArgs& a) override;
    Status connect_register_close_callback(const rpc::CallContext& ctx) override;
    Status connect_unregister_close_callback(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetTypeRet> connect_get_type(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetVersionRet> connect_get_version(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetLibVersionRet>
    connect_get_lib_version(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetHostnameRet> connect_get_hostname(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetUriRet> connect_get_uri(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectIsSecureRet> connect_is_secure(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetCapabilitiesRet>
    connect_get_capabilities(const rpc::CallContext& ctx) override;
    Result<rpc::ConnectGetMaxVcpusRet>
    connect_get_max_vcpus(const rpc::CallContext& ctx,
                          const rpc::ConnectGetMaxVcpusArgs& a) override;
    Result<rpc::NodeGetInfoRet> node_get_info(const rpc::CallContext& ctx) override;
    Result<rpc::NodeGetSecurityModelRet>
    node_get_security_model(const rpc::CallContext& ctx) override;

    // events
    Result<rpc::ConnectDomainEventCallbackRegisterAnyRet>
    connect_domain_event_callback_register_any(
        const rpc::CallContext& ctx,
        const rpc::ConnectDomainEventCallbackRegisterAnyArgs& a) override;
    Status connect_domain_event_callback_deregister_any(
        const rpc::CallContext& ctx,
        const rpc::ConnectDomainEventCallbackDeregisterAnyArgs& a) override;
    Status
    connect_domain_event_register_any(const rpc::CallContext& ctx,
                                      const rpc::ConnectDomainEventRegisterAnyArgs& a) override;
    Status
    connect_domain_event_deregister_any(const rpc::CallContext& ctx,
                                        const rpc::ConnectDomainEventDeregisterAnyArgs& a) override;

    // domains
    Result<rpc::DomainDefineXmlRet> domain_define_xml(const rpc::CallContext& ctx,
                                                      const rpc::DomainDefineXmlArgs& a) override;
    Result<rpc::DomainDefineXmlFlagsRet>
    domain_define_xml_flags(const rpc::CallContext& ctx,
                            const rpc::DomainDefineXmlFlagsArgs& a) override;
    Result<rpc::DomainCreateXmlRet> domain_create_xml(const rpc::CallContext& ctx,
                                                      const rpc::DomainCreateXmlArgs& a) override;
    Status domain_create(const rpc::CallContext& ctx, const rpc::DomainCreateArgs& a) override;
    Result<rpc::DomainCreateWithFlagsRet>
    domain_create_with_flags(const rpc::CallContext& ctx,
                             const rpc::DomainCreateWithFlagsArgs& a) override;
    Status domain_destroy(const rpc::CallContext& ctx, const rpc::DomainDestroyArgs& a) override;
    Status domain_destroy_flags(const rpc::CallContext& ctx,
                                const rpc::DomainDestroyFlagsArgs& a) override;
    Status domain_shutdown(const rpc::CallContext& ctx, const rpc::DomainShutdownArgs& a) override;
    Status domain_shutdown_flags(const rpc::CallContext& ctx,
                                 const rpc::DomainShutdownFlagsArgs& a) override;
    Status domain_suspend(const rpc::CallContext& ctx, const rpc::DomainSuspendArgs& a) override;
    Status domain_resume(const rpc::CallContext& ctx, const rpc::DomainResumeArgs& a) override;
    Status domain_undefine(const rpc::CallContext& ctx, const rpc::DomainUndefineArgs& a) override;
    Status domain_undefine_flags(const rpc::CallContext& ctx,
                                 const rpc::DomainUndefineFlagsArgs& a) override;
    Result<rpc::ConnectListAllDomainsRet>
    connect_list_all_domains(const rpc::CallContext& ctx,
                             const rpc::ConnectListAllDomainsArgs& a) override;
    Result<rpc::DomainLookupByNameRet>
    domain_lookup_by_name(const rpc::CallContext& ctx,
                          const rpc::DomainLookupByNameArgs& a) override;
    Result<rpc::DomainLookupByUuidRet>
    domain_lookup_by_uuid(const rpc::CallContext& ctx,
                          const rpc::DomainLookupByUuidArgs& a) override;
    Result<rpc::DomainLookupByIdRet>
    domain_lookup_by_id(const rpc::CallContext& ctx, const rpc::DomainLookupByIdArgs& a) override;
    Result<rpc::DomainGetXmlDescRet>
    domain_get_xml_desc(const rpc::CallContext& ctx, const rpc::DomainGetXmlDescArgs& a) override;
    Result<rpc::DomainGetInfoRet> domain_get_info(const rpc::CallContext& ctx,
                                                  const rpc::DomainGetInfoArgs& a) override;
    Result<rpc::DomainGetStateRet> domain_get_state(const rpc::CallContext& ctx,
                                                    const rpc::DomainGetStateArgs& a) override;
    Result<rpc::DomainIsActiveRet> domain_is_active(const rpc::CallContext& ctx,
                                                    const rpc::DomainIsActiveArgs& a) override;
    Result<rpc::DomainIsPersistentRet>
    domain_is_persistent(const rpc::CallContext& ctx,
                         const rpc::DomainIsPersistentArgs& a) override;
    Result<rpc::DomainGetAutostartRet>
    domain_get_autostart(const rpc::CallContext& ctx,
                         const rpc::DomainGetAutostartArgs& a) override;
    Status domain_set_autostart(const rpc::CallContext& ctx,
                                const rpc::DomainSetAutostartArgs& a) override;
    Result<rpc::DomainGetOsTypeRet> domain_get_os_type(const rpc::CallContext& ctx,
                                                       const rpc::DomainGetOsTypeArgs& a) override;

private:
    struct Connection {
        bool open = false;
        bool readonly = false;
        bool readonly_socket = false;
        std::string uri;
    };

    Connection connection(uint64_t id);

    DomainDriver& domains_;
    EventDispatcher& events_;
    rpc::RpcServer* server_ = nullptr;
    std::mutex mu_;
    std::unordered_map<uint64_t, Connection> connections_; // guarded by mu_
};

} // namespace virtd
