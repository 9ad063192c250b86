// The save/restore and snapshot procedures: each is one call on the DomainDriver.
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {

using rpc::CallContext;

namespace {

rpc::NonnullDomainSnapshot snapshot_wire(const rpc::NonnullDomain& dom, std::string name) {
    return {std::move(name), dom};
}

} // namespace

Status RemoteProcedures::domain_save(const CallContext& ctx, const rpc::DomainSaveArgs& a) {
    return domains(ctx).save(to_ref(a.dom), a.to, 0);
}

Status RemoteProcedures::domain_restore(const CallContext& ctx, const rpc::DomainRestoreArgs& a) {
    return domains(ctx).restore(a.from, 0);
}

Status RemoteProcedures::domain_managed_save(const CallContext& ctx,
                                             const rpc::DomainManagedSaveArgs& a) {
    return domains(ctx).managed_save(to_ref(a.dom), a.flags);
}

Result<rpc::DomainHasManagedSaveImageRet>
RemoteProcedures::domain_has_managed_save_image(const CallContext& ctx,
                                                const rpc::DomainHasManagedSaveImageArgs& a) {
    return wrap_bool<rpc::DomainHasManagedSaveImageRet>(
        domains(ctx).has_managed_save(to_ref(a.dom)));
}

Status RemoteProcedures::domain_managed_save_remove(const CallContext& ctx,
                                                    const rpc::DomainManagedSaveRemoveArgs& a) {
    return domains(ctx).managed_save_remove(to_ref(a.dom));
}

Result<rpc::DomainSnapshotCreateXmlRet>
RemoteProcedures::domain_snapshot_create_xml(const CallContext& ctx,
                                             const rpc::DomainSnapshotCreateXmlArgs& a) {
    Result<std::string> name = domains(ctx).snapshot_create(to_ref(a.dom), a.xml_desc, a.flags);
    if (!name) return name.error();
    return rpc::DomainSnapshotCreateXmlRet{snapshot_wire(a.dom, std::move(*name))};
}

Result<rpc::DomainSnapshotGetXmlDescRet>
RemoteProcedures::domain_snapshot_get_xml_desc(const CallContext& ctx,
                                               const rpc::DomainSnapshotGetXmlDescArgs& a) {
    return wrap_string<rpc::DomainSnapshotGetXmlDescRet>(
        domains(ctx).snapshot_xml(to_ref(a.snap.dom), a.snap.name, a.flags));
}

Result<rpc::DomainSnapshotNumRet>
RemoteProcedures::domain_snapshot_num(const CallContext& ctx, const rpc::DomainSnapshotNumArgs& a) {
    Result<std::vector<std::string>> list = domains(ctx).snapshot_list(to_ref(a.dom), a.flags);
    if (!list) return list.error();
    return rpc::DomainSnapshotNumRet{static_cast<int32_t>(list->size())};
}

Result<rpc::DomainListAllSnapshotsRet>
RemoteProcedures::domain_list_all_snapshots(const CallContext& ctx,
                                            const rpc::DomainListAllSnapshotsArgs& a) {
    Result<std::vector<std::string>> list = domains(ctx).snapshot_list(to_ref(a.dom), a.flags);
    if (!list) return list.error();
    rpc::DomainListAllSnapshotsRet ret;
    ret.ret = static_cast<int32_t>(list->size());
    if (a.need_results)
        for (std::string& name : *list)
            ret.snapshots.push_back(snapshot_wire(a.dom, std::move(name)));
    return ret;
}

Result<rpc::DomainSnapshotLookupByNameRet>
RemoteProcedures::domain_snapshot_lookup_by_name(const CallContext& ctx,
                                                 const rpc::DomainSnapshotLookupByNameArgs& a) {
    // The snapshot's document exists exactly when the snapshot does.
    Result<std::string> xml = domains(ctx).snapshot_xml(to_ref(a.dom), a.name, 0);
    if (!xml) return xml.error();
    return rpc::DomainSnapshotLookupByNameRet{snapshot_wire(a.dom, a.name)};
}

Result<rpc::DomainHasCurrentSnapshotRet>
RemoteProcedures::domain_has_current_snapshot(const CallContext& ctx,
                                              const rpc::DomainHasCurrentSnapshotArgs& a) {
    Result<std::optional<std::string>> cur = domains(ctx).snapshot_current(to_ref(a.dom));
    if (!cur) return cur.error();
    return rpc::DomainHasCurrentSnapshotRet{cur->has_value() ? 1 : 0};
}

Result<rpc::DomainSnapshotCurrentRet>
RemoteProcedures::domain_snapshot_current(const CallContext& ctx,
                                          const rpc::DomainSnapshotCurrentArgs& a) {
    Result<std::optional<std::string>> cur = domains(ctx).snapshot_current(to_ref(a.dom));
    if (!cur) return cur.error();
    if (!*cur)
        return make_error(ErrorCode::NoDomainSnapshot, ErrorDomain::DomainSnapshot,
                          "the domain does not have a current snapshot");
    return rpc::DomainSnapshotCurrentRet{snapshot_wire(a.dom, **cur)};
}

Status RemoteProcedures::domain_revert_to_snapshot(const CallContext& ctx,
                                                   const rpc::DomainRevertToSnapshotArgs& a) {
    return domains(ctx).snapshot_revert(to_ref(a.snap.dom), a.snap.name, a.flags);
}

Status RemoteProcedures::domain_snapshot_delete(const CallContext& ctx,
                                                const rpc::DomainSnapshotDeleteArgs& a) {
    return domains(ctx).snapshot_delete(to_ref(a.snap.dom), a.snap.name, a.flags);
}

} // namespace virtd
