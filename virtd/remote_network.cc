// The virtual network procedures: each is one call on the NetworkDriver.
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {

using rpc::CallContext;

Status RemoteProcedures::network_create(const CallContext&, const rpc::NetworkCreateArgs& a) {
    return networks_.start(to_ref(a.net));
}

Result<rpc::NetworkCreateXmlRet>
RemoteProcedures::network_create_xml(const CallContext&, const rpc::NetworkCreateXmlArgs& a) {
    return wrap_ref<rpc::NetworkCreateXmlRet>(networks_.create_xml(a.xml));
}

Result<rpc::NetworkDefineXmlRet>
RemoteProcedures::network_define_xml(const CallContext&, const rpc::NetworkDefineXmlArgs& a) {
    return wrap_ref<rpc::NetworkDefineXmlRet>(networks_.define_xml(a.xml));
}

Status RemoteProcedures::network_destroy(const CallContext&, const rpc::NetworkDestroyArgs& a) {
    return networks_.destroy(to_ref(a.net));
}

Status RemoteProcedures::network_undefine(const CallContext&, const rpc::NetworkUndefineArgs& a) {
    return networks_.undefine(to_ref(a.net));
}

Result<rpc::NetworkGetXmlDescRet>
RemoteProcedures::network_get_xml_desc(const CallContext&, const rpc::NetworkGetXmlDescArgs& a) {
    return wrap_string<rpc::NetworkGetXmlDescRet>(networks_.get_xml(to_ref(a.net), a.flags));
}

Result<rpc::NetworkGetAutostartRet>
RemoteProcedures::network_get_autostart(const CallContext&, const rpc::NetworkGetAutostartArgs& a) {
    return wrap_bool<rpc::NetworkGetAutostartRet>(networks_.get_autostart(to_ref(a.net)));
}

Status RemoteProcedures::network_set_autostart(const CallContext&,
                                               const rpc::NetworkSetAutostartArgs& a) {
    return networks_.set_autostart(to_ref(a.net), a.autostart != 0);
}

Result<rpc::NetworkGetBridgeNameRet>
RemoteProcedures::network_get_bridge_name(const CallContext&,
                                          const rpc::NetworkGetBridgeNameArgs& a) {
    return wrap_string<rpc::NetworkGetBridgeNameRet>(networks_.get_bridge_name(to_ref(a.net)));
}

Result<rpc::NetworkLookupByNameRet>
RemoteProcedures::network_lookup_by_name(const CallContext&,
                                         const rpc::NetworkLookupByNameArgs& a) {
    return wrap_ref<rpc::NetworkLookupByNameRet>(networks_.lookup_by_name(a.name));
}

Result<rpc::NetworkLookupByUuidRet>
RemoteProcedures::network_lookup_by_uuid(const CallContext&,
                                         const rpc::NetworkLookupByUuidArgs& a) {
    return wrap_ref<rpc::NetworkLookupByUuidRet>(networks_.lookup_by_uuid(Uuid(a.uuid)));
}

Result<rpc::NetworkIsActiveRet>
RemoteProcedures::network_is_active(const CallContext&, const rpc::NetworkIsActiveArgs& a) {
    return wrap_bool<rpc::NetworkIsActiveRet>(networks_.is_active(to_ref(a.net)));
}

Result<rpc::NetworkIsPersistentRet>
RemoteProcedures::network_is_persistent(const CallContext&, const rpc::NetworkIsPersistentArgs& a) {
    return wrap_bool<rpc::NetworkIsPersistentRet>(networks_.is_persistent(to_ref(a.net)));
}

Result<rpc::ConnectListAllNetworksRet>
RemoteProcedures::connect_list_all_networks(const CallContext& ctx,
                                            const rpc::ConnectListAllNetworksArgs& a) {
    return wrap_list(visible(ctx, networks_.list_all(a.flags)), a.need_results,
                     &rpc::ConnectListAllNetworksRet::nets);
}

Result<rpc::NetworkGetDhcpLeasesRet>
RemoteProcedures::network_get_dhcp_leases(const CallContext&,
                                          const rpc::NetworkGetDhcpLeasesArgs& a) {
    Result<std::vector<DhcpLease>> leases = networks_.dhcp_leases(to_ref(a.net), a.mac);
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
