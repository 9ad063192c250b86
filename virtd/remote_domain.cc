// The domain procedures: each is one call on the DomainDriver.
#include "common/host.h"
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {

// ---- domains -----------------------------------------------------------------------------------

Result<rpc::DomainDefineXmlRet>
RemoteProcedures::domain_define_xml(const rpc::CallContext& ctx,
                                    const rpc::DomainDefineXmlArgs& a) {
    return wrap_ref<rpc::DomainDefineXmlRet>(domains(ctx).define_xml(a.xml));
}

Result<rpc::DomainDefineXmlFlagsRet>
RemoteProcedures::domain_define_xml_flags(const rpc::CallContext& ctx,
                                          const rpc::DomainDefineXmlFlagsArgs& a) {
    // Flag 1 (VALIDATE) asks for schema validation, which every definition gets anyway.
    return wrap_ref<rpc::DomainDefineXmlFlagsRet>(domains(ctx).define_xml(a.xml));
}

Result<rpc::DomainCreateXmlRet>
RemoteProcedures::domain_create_xml(const rpc::CallContext& ctx,
                                    const rpc::DomainCreateXmlArgs& a) {
    return wrap_ref<rpc::DomainCreateXmlRet>(domains(ctx).create_xml(a.xml_desc, a.flags));
}

Status RemoteProcedures::domain_create(const rpc::CallContext& ctx,
                                       const rpc::DomainCreateArgs& a) {
    Result<DomainRef> r = domains(ctx).start(to_ref(a.dom), 0);
    if (!r) return r.error();
    return {};
}

Result<rpc::DomainCreateWithFlagsRet>
RemoteProcedures::domain_create_with_flags(const rpc::CallContext& ctx,
                                           const rpc::DomainCreateWithFlagsArgs& a) {
    return wrap_ref<rpc::DomainCreateWithFlagsRet>(domains(ctx).start(to_ref(a.dom), a.flags));
}

Status RemoteProcedures::domain_destroy(const rpc::CallContext& ctx,
                                        const rpc::DomainDestroyArgs& a) {
    return domains(ctx).destroy(to_ref(a.dom), 0);
}

Status RemoteProcedures::domain_destroy_flags(const rpc::CallContext& ctx,
                                              const rpc::DomainDestroyFlagsArgs& a) {
    return domains(ctx).destroy(to_ref(a.dom), a.flags);
}

Status RemoteProcedures::domain_shutdown(const rpc::CallContext& ctx,
                                         const rpc::DomainShutdownArgs& a) {
    return domains(ctx).shutdown(to_ref(a.dom), 0);
}

Status RemoteProcedures::domain_shutdown_flags(const rpc::CallContext& ctx,
                                               const rpc::DomainShutdownFlagsArgs& a) {
    return domains(ctx).shutdown(to_ref(a.dom), a.flags);
}

Status RemoteProcedures::domain_suspend(const rpc::CallContext& ctx,
                                        const rpc::DomainSuspendArgs& a) {
    return domains(ctx).suspend(to_ref(a.dom));
}

Status RemoteProcedures::domain_resume(const rpc::CallContext& ctx,
                                       const rpc::DomainResumeArgs& a) {
    return domains(ctx).resume(to_ref(a.dom));
}

Status RemoteProcedures::domain_undefine(const rpc::CallContext& ctx,
                                         const rpc::DomainUndefineArgs& a) {
    return domains(ctx).undefine(to_ref(a.dom), 0);
}

Status RemoteProcedures::domain_undefine_flags(const rpc::CallContext& ctx,
                                               const rpc::DomainUndefineFlagsArgs& a) {
    return domains(ctx).undefine(to_ref(a.dom), a.flags);
}

Result<rpc::ConnectListAllDomainsRet>
RemoteProcedures::connect_list_all_domains(const rpc::CallContext& ctx,
                                           const rpc::ConnectListAllDomainsArgs& a) {
    Result<std::vector<DomainRef>> list = visible(ctx, domains(ctx).list_all(a.flags));
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
RemoteProcedures::domain_lookup_by_name(const rpc::CallContext& ctx,
                                        const rpc::DomainLookupByNameArgs& a) {
    return wrap_ref<rpc::DomainLookupByNameRet>(domains(ctx).lookup_by_name(a.name));
}

Result<rpc::DomainLookupByUuidRet>
RemoteProcedures::domain_lookup_by_uuid(const rpc::CallContext& ctx,
                                        const rpc::DomainLookupByUuidArgs& a) {
    return wrap_ref<rpc::DomainLookupByUuidRet>(domains(ctx).lookup_by_uuid(Uuid(a.uuid)));
}

Result<rpc::DomainLookupByIdRet>
RemoteProcedures::domain_lookup_by_id(const rpc::CallContext& ctx,
                                      const rpc::DomainLookupByIdArgs& a) {
    return wrap_ref<rpc::DomainLookupByIdRet>(domains(ctx).lookup_by_id(a.id));
}

Result<rpc::DomainGetXmlDescRet>
RemoteProcedures::domain_get_xml_desc(const rpc::CallContext& ctx,
                                      const rpc::DomainGetXmlDescArgs& a) {
    constexpr unsigned kXmlSecure = 1; // VIR_DOMAIN_XML_SECURE: passwords in the XML
    if (Status s = authorize_flag(ctx, a.dom.name, a.flags, kXmlSecure, "read_secure"); !s)
        return s.error();
    Result<std::string> xml = domains(ctx).get_xml(to_ref(a.dom), a.flags);
    if (!xml) return xml.error();
    return rpc::DomainGetXmlDescRet{std::move(*xml)};
}

Result<rpc::DomainGetInfoRet> RemoteProcedures::domain_get_info(const rpc::CallContext& ctx,
                                                                const rpc::DomainGetInfoArgs& a) {
    Result<DomainInfo> info = domains(ctx).get_info(to_ref(a.dom));
    if (!info) return info.error();
    return rpc::DomainGetInfoRet{static_cast<uint8_t>(info->state), info->max_memory_kib,
                                 info->memory_kib, info->vcpus, info->cpu_time_ns};
}

Result<rpc::DomainGetStateRet>
RemoteProcedures::domain_get_state(const rpc::CallContext& ctx, const rpc::DomainGetStateArgs& a) {
    Result<DomainStateReason> s = domains(ctx).get_state(to_ref(a.dom));
    if (!s) return s.error();
    return rpc::DomainGetStateRet{static_cast<int32_t>(s->state), s->reason};
}

Result<rpc::DomainIsActiveRet>
RemoteProcedures::domain_is_active(const rpc::CallContext& ctx, const rpc::DomainIsActiveArgs& a) {
    Result<bool> r = domains(ctx).is_active(to_ref(a.dom));
    if (!r) return r.error();
    return rpc::DomainIsActiveRet{*r ? 1 : 0};
}

Result<rpc::DomainIsPersistentRet>
RemoteProcedures::domain_is_persistent(const rpc::CallContext& ctx,
                                       const rpc::DomainIsPersistentArgs& a) {
    Result<bool> r = domains(ctx).is_persistent(to_ref(a.dom));
    if (!r) return r.error();
    return rpc::DomainIsPersistentRet{*r ? 1 : 0};
}

Result<rpc::DomainGetAutostartRet>
RemoteProcedures::domain_get_autostart(const rpc::CallContext& ctx,
                                       const rpc::DomainGetAutostartArgs& a) {
    Result<bool> r = domains(ctx).get_autostart(to_ref(a.dom));
    if (!r) return r.error();
    return rpc::DomainGetAutostartRet{*r ? 1 : 0};
}

Status RemoteProcedures::domain_set_autostart(const rpc::CallContext& ctx,
                                              const rpc::DomainSetAutostartArgs& a) {
    return domains(ctx).set_autostart(to_ref(a.dom), a.autostart != 0);
}

Result<rpc::DomainGetOsTypeRet>
RemoteProcedures::domain_get_os_type(const rpc::CallContext& ctx,
                                     const rpc::DomainGetOsTypeArgs& a) {
    Result<bool> exists = domains(ctx).is_active(to_ref(a.dom));
    if (!exists) return exists.error();
    return rpc::DomainGetOsTypeRet{"hvm"};
}

// ---- memory, vcpus, metadata, reboot, console
// ----------------------------------------------------

Result<rpc::DomainGetMaxMemoryRet>
RemoteProcedures::domain_get_max_memory(const rpc::CallContext& ctx,
                                        const rpc::DomainGetMaxMemoryArgs& a) {
    Result<DomainInfo> info = domains(ctx).get_info(to_ref(a.dom));
    if (!info) return info.error();
    return rpc::DomainGetMaxMemoryRet{info->max_memory_kib};
}

Result<rpc::DomainGetMaxVcpusRet>
RemoteProcedures::domain_get_max_vcpus(const rpc::CallContext& ctx,
                                       const rpc::DomainGetMaxVcpusArgs& a) {
    Result<int32_t> n = domains(ctx).get_vcpus_count(to_ref(a.dom), kAffectLive | kAffectMaximum);
    if (!n) return n.error();
    return rpc::DomainGetMaxVcpusRet{*n};
}

Result<rpc::DomainGetVcpusRet>
RemoteProcedures::domain_get_vcpus(const rpc::CallContext& ctx, const rpc::DomainGetVcpusArgs& a) {
    if (a.maxinfo < 1 || a.maplen < 0 ||
        static_cast<uint64_t>(a.maxinfo) * static_cast<uint64_t>(a.maplen) > rpc::kCpumapsMax)
        return make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                          "vcpu info request of {} vcpus with {}-byte maps is out of range",
                          a.maxinfo, a.maplen);
    Result<std::vector<VcpuInfo>> vcpus = domains(ctx).get_vcpu_info(to_ref(a.dom));
    if (!vcpus) return vcpus.error();
    rpc::DomainGetVcpusRet ret;
    const long cpus = host_cpus();
    for (const VcpuInfo& v : *vcpus) {
        if (ret.info.size() >= static_cast<size_t>(a.maxinfo)) break;
        ret.info.push_back({v.number, v.state, v.cpu_time_ns, v.cpu});
        // Each vCPU may run on every host CPU: one bit per host CPU that fits the map.
        std::string map(static_cast<size_t>(a.maplen), '\0');
        for (long cpu = 0; cpu < cpus && cpu < static_cast<long>(a.maplen) * 8; cpu++)
            map[static_cast<size_t>(cpu / 8)] |= static_cast<char>(1 << (cpu % 8));
        ret.cpumaps += map;
    }
    return ret;
}

Status RemoteProcedures::domain_reboot(const rpc::CallContext& ctx,
                                       const rpc::DomainRebootArgs& a) {
    return domains(ctx).reboot(to_ref(a.dom), a.flags);
}

Status RemoteProcedures::domain_reset(const rpc::CallContext& ctx, const rpc::DomainResetArgs& a) {
    return domains(ctx).reset(to_ref(a.dom), a.flags);
}

Status RemoteProcedures::domain_set_max_memory(const rpc::CallContext& ctx,
                                               const rpc::DomainSetMaxMemoryArgs& a) {
    return domains(ctx).set_memory(to_ref(a.dom), a.memory, kAffectMaximum);
}

Status RemoteProcedures::domain_set_memory(const rpc::CallContext& ctx,
                                           const rpc::DomainSetMemoryArgs& a) {
    return domains(ctx).set_memory(to_ref(a.dom), a.memory, kAffectLive);
}

Status RemoteProcedures::domain_set_memory_flags(const rpc::CallContext& ctx,
                                                 const rpc::DomainSetMemoryFlagsArgs& a) {
    if (Status s = authorize_flag(ctx, a.dom.name, a.flags, kAffectConfig, "save"); !s) return s;
    return domains(ctx).set_memory(to_ref(a.dom), a.memory, a.flags);
}

Status RemoteProcedures::domain_set_vcpus(const rpc::CallContext& ctx,
                                          const rpc::DomainSetVcpusArgs& a) {
    return domains(ctx).set_vcpus(to_ref(a.dom), a.nvcpus, kAffectLive);
}

Status RemoteProcedures::domain_set_vcpus_flags(const rpc::CallContext& ctx,
                                                const rpc::DomainSetVcpusFlagsArgs& a) {
    if (Status s = authorize_flag(ctx, a.dom.name, a.flags, kAffectConfig, "save"); !s) return s;
    return domains(ctx).set_vcpus(to_ref(a.dom), a.nvcpus, a.flags);
}

Result<rpc::DomainGetVcpusFlagsRet>
RemoteProcedures::domain_get_vcpus_flags(const rpc::CallContext& ctx,
                                         const rpc::DomainGetVcpusFlagsArgs& a) {
    Result<int32_t> n = domains(ctx).get_vcpus_count(to_ref(a.dom), a.flags);
    if (!n) return n.error();
    return rpc::DomainGetVcpusFlagsRet{*n};
}

Status RemoteProcedures::domain_set_metadata(const rpc::CallContext& ctx,
                                             const rpc::DomainSetMetadataArgs& a) {
    if (Status s = authorize_flag(ctx, a.dom.name, a.flags, kAffectConfig, "save"); !s) return s;
    return domains(ctx).set_metadata(to_ref(a.dom), static_cast<MetadataType>(a.type), a.metadata,
                                     a.key, a.uri, a.flags);
}

Result<rpc::DomainGetMetadataRet>
RemoteProcedures::domain_get_metadata(const rpc::CallContext& ctx,
                                      const rpc::DomainGetMetadataArgs& a) {
    return wrap_string<rpc::DomainGetMetadataRet>(domains(ctx).get_metadata(
        to_ref(a.dom), static_cast<MetadataType>(a.type), a.uri, a.flags));
}

Status RemoteProcedures::domain_open_console(const rpc::CallContext& ctx,
                                             const rpc::DomainOpenConsoleArgs& a) {
    Result<std::unique_ptr<ConsoleChannel>> console =
        domains(ctx).open_console(to_ref(a.dom), a.dev_name, a.flags, streams_.output_for(ctx));
    if (!console) return console.error();
    streams_.add_console(ctx, std::move(*console));
    return {};
}

} // namespace virtd
