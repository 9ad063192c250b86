// The virtual network procedures: each is one call on the NetworkDriver.
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {

using rpc::CallContext;

Status RemoteProcedures::network_create(const CallContext& ctx, const rpc::NetworkCreateArgs& a) {
    return networks(ctx).start(to_ref(a.net));
}

Result<rpc::NetworkCreateXmlRet>
RemoteProcedures::network_create_xml(const CallContext& ctx, const rpc::NetworkCreateXmlArgs& a) {
    return wrap_ref<rpc::NetworkCreateXmlRet>(networks(ctx).create_xml(a.xml));
}

Result<rpc::NetworkDefineXmlRet>
RemoteProcedures::network_define_xml(const CallContext& ctx, const rpc::NetworkDefineXmlArgs& a) {
    return wrap_ref<rpc::NetworkDefineXmlRet>(networks(ctx).define_xml(a.xml));
}

Status RemoteProcedures::network_destroy(const CallContext& ctx, const rpc::NetworkDestroyArgs& a) {
    return networks(ctx).destroy(to_ref(a.net));
}

Status RemoteProcedures::network_undefine(const CallContext& ctx,
                                          const rpc::NetworkUndefineArgs& a) {
    return networks(ctx).undefine(to_ref(a.net));
}

Result<rpc::NetworkGetXmlDescRet>
RemoteProcedures::network_get_xml_desc(const CallContext& ctx,
                                       const rpc::NetworkGetXmlDescArgs& a) {
    return wrap_string<rpc::NetworkGetXmlDescRet>(networks(ctx).get_xml(to_ref(a.net), a.flags));
}

Result<rpc::NetworkGetAutostartRet>
RemoteProcedures::network_get_autostart(const CallContext& ctx,
                                        const rpc::NetworkGetAutostartArgs& a) {
    return wrap_bool<rpc::NetworkGetAutostartRet>(networks(ctx).get_autostart(to_ref(a.net)));
}

Status RemoteProcedures::network_set_autostart(const CallContext& ctx,
                                               const rpc::NetworkSetAutostartArgs& a) {
    return networks(ctx).set_autostart(to_ref(a.net), a.autostart != 0);
}

Result<rpc::NetworkGetBridgeNameRet>
RemoteProcedures::network_get_bridge_name(const CallContext& ctx,
                                          const rpc::NetworkGetBridgeNameArgs& a) {
    return wrap_string<rpc::NetworkGetBridgeNameRet>(networks(ctx).get_bridge_name(to_ref(a.net)));
}

Result<rpc::NetworkLookupByNameRet>
RemoteProcedures::network_lookup_by_name(const CallContext& ctx,
                                         const rpc::NetworkLookupByNameArgs& a) {
    return wrap_ref<rpc::NetworkLookupByNameRet>(networks(ctx).lookup_by_name(a.name));
}

Result<rpc::NetworkLookupByUuidRet>
RemoteProcedures::network_lookup_by_uuid(const CallContext& ctx,
                                         const rpc::NetworkLookupByUuidArgs& a) {
    return wrap_ref<rpc::NetworkLookupByUuidRet>(networks(ctx).lookup_by_uuid(Uuid(a.uuid)));
}

Result<rpc::NetworkIsActiveRet>
RemoteProcedures::network_is_active(const CallContext& ctx, const rpc::NetworkIsActiveArgs& a) {
    return wrap_bool<rpc::NetworkIsActiveRet>(networks(ctx).is_active(to_ref(a.net)));
}

Result<rpc::NetworkIsPersistentRet>
RemoteProcedures::network_is_persistent(const CallContext& ctx,
                                        const rpc::NetworkIsPersistentArgs& a) {
    return wrap_bool<rpc::NetworkIsPersistentRet>(networks(ctx).is_persistent(to_ref(a.net)));
}

Result<rpc::ConnectListAllNetworksRet>
RemoteProcedures::connect_list_all_networks(const CallContext& ctx,
                                            const rpc::ConnectListAllNetworksArgs& a) {
    return wrap_list(visible(ctx, networks(ctx).list_all(a.flags)), a.need_results,
                     &rpc::ConnectListAllNetworksRet::nets);
}

Result<rpc::NetworkGetDhcpLeasesRet>
RemoteProcedures::network_get_dhcp_leases(const CallContext& ctx,
                                          const rpc::NetworkGetDhcpLeasesArgs& a) {
    Result<std::vector<DhcpLease>> leases = networks(ctx).dhcp_leases(to_ref(a.net), a.mac);
    if (!leases) return leases.error();
    rpc::NetworkGetDhcpLeasesRet ret;
    ret.ret = static_cast<uint32_t>(leases->size());
    if (a.need_results)
        for (const DhcpLease& l : *leases)
            ret.leases.push_back({l.iface, l.expiry_time, l.type, l.mac, l.iaid, l.ip, l.prefix,
                                  l.hostname, l.client_id});
    return ret;
}

} // namespace virtd
