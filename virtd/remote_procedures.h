// RemoteProcedures: the daemon's RPC front door. It keeps each connection's state (opened, which
// URI, read-only), enforces what may be called when, and turns each procedure into one call on
// the core driver interfaces. It holds no object state of its own.
//
// Thread safety: handle_call() runs on many worker threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/types.h>
#include <unistd.h>

#include "drivers/domain_driver.h"
#include "drivers/network_driver.h"
#include "drivers/storage_driver.h"
#include "rpc/remote_protocol.h"
#include "rpc/server.h"
#include "virtd/access/policy.h"
#include "virtd/events.h"
#include "virtd/streams.h"

namespace virtd {

// One hypervisor connection the daemon serves: the URIs that open it and the drivers behind it.
struct ConnectionDrivers {
    std::vector<std::string> uris; // the first is what virConnectGetURI answers
    std::string type;              // virConnectGetType: "Mock", "KVM"
    DomainDriver* domains = nullptr;
    StorageDriver* storage = nullptr;
    NetworkDriver* networks = nullptr;
};

class RemoteProcedures : public rpc::RemoteHandlers, public rpc::CallHandler {
public:
    // `drivers[0]` also serves clients that open no URI in particular. Every driver must outlive
    // this object.
    RemoteProcedures(std::vector<ConnectionDrivers> drivers, EventDispatcher& events)
        : drivers_(std::move(drivers))
        , events_(events) {}
    // Keepalive and streams need the server; set before serving.
    void set_server(rpc::RpcServer* server) {
        server_ = server;
        streams_.set_server(server);
        events_.set_filter(
            [this](uint64_t client, const DomainEvent& e) { return event_visible(client, e); });
    }

    // Access control: the rules file's policy, or nullptr when none is configured (then the
    // default policy alone decides: see acl::decide). May be called at any time (SIGHUP
    // reload); calls already past their checks finish under the policy they started with.
    void set_access_policy(std::shared_ptr<const acl::AccessPolicy> policy);
    // The uid whose local clients are trusted like root's; getuid() unless set (tests).
    void set_daemon_uid(uid_t uid) { daemon_uid_ = uid; }

    // rpc::CallHandler
    Result<std::string> handle_call(const rpc::ClientInfo& client, const rpc::MessageHeader& h,
                                    std::string_view payload) override;
    void client_closed(uint64_t client_id) override;
    bool is_fast(const rpc::MessageHeader& h) const override;
    void after_reply(const rpc::ClientInfo& client, const rpc::MessageHeader& call) override;
    void handle_stream(const rpc::ClientInfo& client, const rpc::MessageHeader& header,
                       std::string_view payload) override;

    // rpc::RemoteHandlers: every permission check the .def's acl= asks for.
    Status authorize(const rpc::CallContext& ctx, const rpc::AclCheck& check) override;

    // connection
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

    // domains (more)
    Result<rpc::DomainGetMaxMemoryRet>
    domain_get_max_memory(const rpc::CallContext& ctx,
                          const rpc::DomainGetMaxMemoryArgs& args) override;
    Result<rpc::DomainGetMaxVcpusRet>
    domain_get_max_vcpus(const rpc::CallContext& ctx,
                         const rpc::DomainGetMaxVcpusArgs& args) override;
    Result<rpc::DomainGetVcpusRet> domain_get_vcpus(const rpc::CallContext& ctx,
                                                    const rpc::DomainGetVcpusArgs& args) override;
    Status domain_reboot(const rpc::CallContext& ctx, const rpc::DomainRebootArgs& args) override;
    Status domain_set_max_memory(const rpc::CallContext& ctx,
                                 const rpc::DomainSetMaxMemoryArgs& args) override;
    Status domain_set_memory(const rpc::CallContext& ctx,
                             const rpc::DomainSetMemoryArgs& args) override;
    Status domain_set_vcpus(const rpc::CallContext& ctx,
                            const rpc::DomainSetVcpusArgs& args) override;
    Status domain_restore(const rpc::CallContext& ctx, const rpc::DomainRestoreArgs& args) override;
    Status domain_save(const rpc::CallContext& ctx, const rpc::DomainSaveArgs& args) override;
    Result<rpc::DomainHasManagedSaveImageRet>
    domain_has_managed_save_image(const rpc::CallContext& ctx,
                                  const rpc::DomainHasManagedSaveImageArgs& args) override;
    Status domain_managed_save(const rpc::CallContext& ctx,
                               const rpc::DomainManagedSaveArgs& args) override;
    Status domain_managed_save_remove(const rpc::CallContext& ctx,
                                      const rpc::DomainManagedSaveRemoveArgs& args) override;
    Status domain_set_vcpus_flags(const rpc::CallContext& ctx,
                                  const rpc::DomainSetVcpusFlagsArgs& args) override;
    Result<rpc::DomainGetVcpusFlagsRet>
    domain_get_vcpus_flags(const rpc::CallContext& ctx,
                           const rpc::DomainGetVcpusFlagsArgs& args) override;
    Status domain_open_console(const rpc::CallContext& ctx,
                               const rpc::DomainOpenConsoleArgs& args) override;
    Status domain_set_memory_flags(const rpc::CallContext& ctx,
                                   const rpc::DomainSetMemoryFlagsArgs& args) override;
    Status domain_reset(const rpc::CallContext& ctx, const rpc::DomainResetArgs& args) override;
    Status domain_set_metadata(const rpc::CallContext& ctx,
                               const rpc::DomainSetMetadataArgs& args) override;
    Result<rpc::DomainGetMetadataRet>
    domain_get_metadata(const rpc::CallContext& ctx,
                        const rpc::DomainGetMetadataArgs& args) override;

    // snapshots
    Result<rpc::DomainSnapshotCreateXmlRet>
    domain_snapshot_create_xml(const rpc::CallContext& ctx,
                               const rpc::DomainSnapshotCreateXmlArgs& args) override;
    Result<rpc::DomainSnapshotGetXmlDescRet>
    domain_snapshot_get_xml_desc(const rpc::CallContext& ctx,
                                 const rpc::DomainSnapshotGetXmlDescArgs& args) override;
    Result<rpc::DomainSnapshotNumRet>
    domain_snapshot_num(const rpc::CallContext& ctx,
                        const rpc::DomainSnapshotNumArgs& args) override;
    Result<rpc::DomainSnapshotLookupByNameRet>
    domain_snapshot_lookup_by_name(const rpc::CallContext& ctx,
                                   const rpc::DomainSnapshotLookupByNameArgs& args) override;
    Result<rpc::DomainHasCurrentSnapshotRet>
    domain_has_current_snapshot(const rpc::CallContext& ctx,
                                const rpc::DomainHasCurrentSnapshotArgs& args) override;
    Result<rpc::DomainSnapshotCurrentRet>
    domain_snapshot_current(const rpc::CallContext& ctx,
                            const rpc::DomainSnapshotCurrentArgs& args) override;
    Status domain_revert_to_snapshot(const rpc::CallContext& ctx,
                                     const rpc::DomainRevertToSnapshotArgs& args) override;
    Status domain_snapshot_delete(const rpc::CallContext& ctx,
                                  const rpc::DomainSnapshotDeleteArgs& args) override;
    Result<rpc::DomainListAllSnapshotsRet>
    domain_list_all_snapshots(const rpc::CallContext& ctx,
                              const rpc::DomainListAllSnapshotsArgs& args) override;

    // storage
    Result<rpc::StoragePoolCreateXmlRet>
    storage_pool_create_xml(const rpc::CallContext& ctx,
                            const rpc::StoragePoolCreateXmlArgs& args) override;
    Result<rpc::StoragePoolDefineXmlRet>
    storage_pool_define_xml(const rpc::CallContext& ctx,
                            const rpc::StoragePoolDefineXmlArgs& args) override;
    Status storage_pool_create(const rpc::CallContext& ctx,
                               const rpc::StoragePoolCreateArgs& args) override;
    Status storage_pool_build(const rpc::CallContext& ctx,
                              const rpc::StoragePoolBuildArgs& args) override;
    Status storage_pool_destroy(const rpc::CallContext& ctx,
                                const rpc::StoragePoolDestroyArgs& args) override;
    Status storage_pool_delete(const rpc::CallContext& ctx,
                               const rpc::StoragePoolDeleteArgs& args) override;
    Status storage_pool_undefine(const rpc::CallContext& ctx,
                                 const rpc::StoragePoolUndefineArgs& args) override;
    Status storage_pool_refresh(const rpc::CallContext& ctx,
                                const rpc::StoragePoolRefreshArgs& args) override;
    Result<rpc::StoragePoolLookupByNameRet>
    storage_pool_lookup_by_name(const rpc::CallContext& ctx,
                                const rpc::StoragePoolLookupByNameArgs& args) override;
    Result<rpc::StoragePoolLookupByUuidRet>
    storage_pool_lookup_by_uuid(const rpc::CallContext& ctx,
                                const rpc::StoragePoolLookupByUuidArgs& args) override;
    Result<rpc::StoragePoolLookupByVolumeRet>
    storage_pool_lookup_by_volume(const rpc::CallContext& ctx,
                                  const rpc::StoragePoolLookupByVolumeArgs& args) override;
    Result<rpc::StoragePoolGetInfoRet>
    storage_pool_get_info(const rpc::CallContext& ctx,
                          const rpc::StoragePoolGetInfoArgs& args) override;
    Result<rpc::StoragePoolGetXmlDescRet>
    storage_pool_get_xml_desc(const rpc::CallContext& ctx,
                              const rpc::StoragePoolGetXmlDescArgs& args) override;
    Result<rpc::StoragePoolGetAutostartRet>
    storage_pool_get_autostart(const rpc::CallContext& ctx,
                               const rpc::StoragePoolGetAutostartArgs& args) override;
    Status storage_pool_set_autostart(const rpc::CallContext& ctx,
                                      const rpc::StoragePoolSetAutostartArgs& args) override;
    Result<rpc::StoragePoolNumOfVolumesRet>
    storage_pool_num_of_volumes(const rpc::CallContext& ctx,
                                const rpc::StoragePoolNumOfVolumesArgs& args) override;
    Result<rpc::StoragePoolListVolumesRet>
    storage_pool_list_volumes(const rpc::CallContext& ctx,
                              const rpc::StoragePoolListVolumesArgs& args) override;
    Result<rpc::StoragePoolIsActiveRet>
    storage_pool_is_active(const rpc::CallContext& ctx,
                           const rpc::StoragePoolIsActiveArgs& args) override;
    Result<rpc::StoragePoolIsPersistentRet>
    storage_pool_is_persistent(const rpc::CallContext& ctx,
                               const rpc::StoragePoolIsPersistentArgs& args) override;
    Result<rpc::ConnectListAllStoragePoolsRet>
    connect_list_all_storage_pools(const rpc::CallContext& ctx,
                                   const rpc::ConnectListAllStoragePoolsArgs& args) override;
    Result<rpc::StoragePoolListAllVolumesRet>
    storage_pool_list_all_volumes(const rpc::CallContext& ctx,
                                  const rpc::StoragePoolListAllVolumesArgs& args) override;
    Result<rpc::StorageVolCreateXmlRet>
    storage_vol_create_xml(const rpc::CallContext& ctx,
                           const rpc::StorageVolCreateXmlArgs& args) override;
    Status storage_vol_delete(const rpc::CallContext& ctx,
                              const rpc::StorageVolDeleteArgs& args) override;
    Result<rpc::StorageVolLookupByNameRet>
    storage_vol_lookup_by_name(const rpc::CallContext& ctx,
                               const rpc::StorageVolLookupByNameArgs& args) override;
    Result<rpc::StorageVolLookupByKeyRet>
    storage_vol_lookup_by_key(const rpc::CallContext& ctx,
                              const rpc::StorageVolLookupByKeyArgs& args) override;
    Result<rpc::StorageVolLookupByPathRet>
    storage_vol_lookup_by_path(const rpc::CallContext& ctx,
                               const rpc::StorageVolLookupByPathArgs& args) override;
    Result<rpc::StorageVolGetInfoRet>
    storage_vol_get_info(const rpc::CallContext& ctx,
                         const rpc::StorageVolGetInfoArgs& args) override;
    Result<rpc::StorageVolGetXmlDescRet>
    storage_vol_get_xml_desc(const rpc::CallContext& ctx,
                             const rpc::StorageVolGetXmlDescArgs& args) override;
    Result<rpc::StorageVolGetPathRet>
    storage_vol_get_path(const rpc::CallContext& ctx,
                         const rpc::StorageVolGetPathArgs& args) override;
    Result<rpc::StorageVolCreateXmlFromRet>
    storage_vol_create_xml_from(const rpc::CallContext& ctx,
                                const rpc::StorageVolCreateXmlFromArgs& args) override;
    Status storage_vol_wipe(const rpc::CallContext& ctx,
                            const rpc::StorageVolWipeArgs& args) override;
    Status storage_vol_upload(const rpc::CallContext& ctx,
                              const rpc::StorageVolUploadArgs& args) override;
    Status storage_vol_download(const rpc::CallContext& ctx,
                                const rpc::StorageVolDownloadArgs& args) override;
    Status storage_vol_resize(const rpc::CallContext& ctx,
                              const rpc::StorageVolResizeArgs& args) override;

    // networks
    Status network_create(const rpc::CallContext& ctx, const rpc::NetworkCreateArgs& args) override;
    Result<rpc::NetworkCreateXmlRet>
    network_create_xml(const rpc::CallContext& ctx, const rpc::NetworkCreateXmlArgs& args) override;
    Result<rpc::NetworkDefineXmlRet>
    network_define_xml(const rpc::CallContext& ctx, const rpc::NetworkDefineXmlArgs& args) override;
    Status network_destroy(const rpc::CallContext& ctx,
                           const rpc::NetworkDestroyArgs& args) override;
    Result<rpc::NetworkGetXmlDescRet>
    network_get_xml_desc(const rpc::CallContext& ctx,
                         const rpc::NetworkGetXmlDescArgs& args) override;
    Result<rpc::NetworkGetAutostartRet>
    network_get_autostart(const rpc::CallContext& ctx,
                          const rpc::NetworkGetAutostartArgs& args) override;
    Result<rpc::NetworkGetBridgeNameRet>
    network_get_bridge_name(const rpc::CallContext& ctx,
                            const rpc::NetworkGetBridgeNameArgs& args) override;
    Result<rpc::NetworkLookupByNameRet>
    network_lookup_by_name(const rpc::CallContext& ctx,
                           const rpc::NetworkLookupByNameArgs& args) override;
    Result<rpc::NetworkLookupByUuidRet>
    network_lookup_by_uuid(const rpc::CallContext& ctx,
                           const rpc::NetworkLookupByUuidArgs& args) override;
    Status network_set_autostart(const rpc::CallContext& ctx,
                                 const rpc::NetworkSetAutostartArgs& args) override;
    Status network_undefine(const rpc::CallContext& ctx,
                            const rpc::NetworkUndefineArgs& args) override;
    Result<rpc::NetworkIsActiveRet>
    network_is_active(const rpc::CallContext& ctx, const rpc::NetworkIsActiveArgs& args) override;
    Result<rpc::NetworkIsPersistentRet>
    network_is_persistent(const rpc::CallContext& ctx,
                          const rpc::NetworkIsPersistentArgs& args) override;
    Result<rpc::ConnectListAllNetworksRet>
    connect_list_all_networks(const rpc::CallContext& ctx,
                              const rpc::ConnectListAllNetworksArgs& args) override;
    Result<rpc::NetworkGetDhcpLeasesRet>
    network_get_dhcp_leases(const rpc::CallContext& ctx,
                            const rpc::NetworkGetDhcpLeasesArgs& args) override;

    // statistics and capabilities (remote_stats.cc)
    Result<rpc::ConnectGetDomainCapabilitiesRet>
    connect_get_domain_capabilities(const rpc::CallContext& ctx,
                                    const rpc::ConnectGetDomainCapabilitiesArgs& a) override;
    Result<rpc::DomainMemoryStatsRet>
    domain_memory_stats(const rpc::CallContext& ctx, const rpc::DomainMemoryStatsArgs& a) override;
    Result<rpc::DomainBlockStatsRet>
    domain_block_stats(const rpc::CallContext& ctx, const rpc::DomainBlockStatsArgs& a) override;
    Result<rpc::DomainBlockStatsFlagsRet>
    domain_block_stats_flags(const rpc::CallContext& ctx,
                             const rpc::DomainBlockStatsFlagsArgs& a) override;
    Result<rpc::DomainInterfaceStatsRet>
    domain_interface_stats(const rpc::CallContext& ctx,
                           const rpc::DomainInterfaceStatsArgs& a) override;
    Result<rpc::DomainGetCpuStatsRet>
    domain_get_cpu_stats(const rpc::CallContext& ctx, const rpc::DomainGetCpuStatsArgs& a) override;
    Result<rpc::ConnectGetAllDomainStatsRet>
    connect_get_all_domain_stats(const rpc::CallContext& ctx,
                                 const rpc::ConnectGetAllDomainStatsArgs& a) override;

    // node
    Result<rpc::NodeGetMemoryStatsRet>
    node_get_memory_stats(const rpc::CallContext& ctx,
                          const rpc::NodeGetMemoryStatsArgs& args) override;

private:
    struct Connection {
        bool open = false;
        bool readonly = false;
        bool readonly_socket = false;
        std::string uri;
        const ConnectionDrivers* drivers = nullptr;
        rpc::ClientInfo who; // as it opened: what events it may hear of depends on it
    };

    // The drivers of the caller's connection (calls after CONNECT_OPEN only).
    const ConnectionDrivers& drivers_of(const rpc::CallContext& ctx) const {
        auto* d = static_cast<const ConnectionDrivers*>(ctx.session);
        return d ? *d : drivers_.front();
    }
    DomainDriver& domains(const rpc::CallContext& ctx) const { return *drivers_of(ctx).domains; }
    StorageDriver& storage(const rpc::CallContext& ctx) const { return *drivers_of(ctx).storage; }
    NetworkDriver& networks(const rpc::CallContext& ctx) const { return *drivers_of(ctx).networks; }

    Connection connection(uint64_t id);
    // A permission a call needs only with some flag (VIR_DOMAIN_XML_SECURE: domain:read_secure;
    // VIR_DOMAIN_AFFECT_CONFIG: domain:save), beyond the .def's acl=.
    Status authorize_flag(const rpc::CallContext& ctx, std::string_view domain, unsigned flags,
                          unsigned flag, const char* perm) {
        if (!(flags & flag)) return {};
        return authorize(ctx, {rpc::AclObject::Domain, perm, domain, {}, {}});
    }
    // Events: whether the event comes from the client's driver and the client may see the domain
    // (domain:getattr), as lists do.
    bool event_visible(uint64_t client, const DomainEvent& e) const;

    std::shared_ptr<const acl::AccessPolicy> access_policy() const;
    // List calls: whether the caller holds the procedure's filter= permissions on the object.
    bool may_see(const rpc::CallContext& ctx, std::string_view name) const;
    // List calls: `list` without the objects the caller may not see.
    template <typename Ref>
    Result<std::vector<Ref>> visible(const rpc::CallContext& ctx,
                                     Result<std::vector<Ref>> list) const {
        if (!list) return list;
        std::erase_if(*list, [&](const Ref& r) { return !may_see(ctx, acl_name(r)); });
        return list;
    }
    static std::string acl_name(const DomainRef& r) { return r.name; }
    static std::string acl_name(const PoolRef& r) { return r.name; }
    static std::string acl_name(const NetworkRef& r) { return r.name; }
    static std::string acl_name(const VolRef& r) { return r.pool + "/" + r.name; }

    const std::vector<ConnectionDrivers> drivers_;
    EventDispatcher& events_;
    StreamRegistry streams_;
    rpc::RpcServer* server_ = nullptr;
    mutable std::mutex mu_;
    std::unordered_map<uint64_t, Connection> connections_; // guarded by mu_
    mutable std::mutex policy_mu_;
    std::shared_ptr<const acl::AccessPolicy> policy_; // guarded by policy_mu_
    uid_t daemon_uid_ = getuid();
};

} // namespace virtd
