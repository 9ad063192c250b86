// The storage pool and volume procedures: each is one call on the StorageDriver.
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {

using rpc::CallContext;

// ---- pools -------------------------------------------------------------------------------------

Result<rpc::StoragePoolCreateXmlRet>
RemoteProcedures::storage_pool_create_xml(const CallContext& ctx,
                                          const rpc::StoragePoolCreateXmlArgs& a) {
    return wrap_ref<rpc::StoragePoolCreateXmlRet>(storage(ctx).pool_create_xml(a.xml, a.flags));
}

Result<rpc::StoragePoolDefineXmlRet>
RemoteProcedures::storage_pool_define_xml(const CallContext& ctx,
                                          const rpc::StoragePoolDefineXmlArgs& a) {
    return wrap_ref<rpc::StoragePoolDefineXmlRet>(storage(ctx).pool_define_xml(a.xml, a.flags));
}

Status RemoteProcedures::storage_pool_create(const CallContext& ctx,
                                             const rpc::StoragePoolCreateArgs& a) {
    return storage(ctx).pool_start(to_ref(a.pool), a.flags);
}

Status RemoteProcedures::storage_pool_build(const CallContext& ctx,
                                            const rpc::StoragePoolBuildArgs& a) {
    return storage(ctx).pool_build(to_ref(a.pool), a.flags);
}

Status RemoteProcedures::storage_pool_destroy(const CallContext& ctx,
                                              const rpc::StoragePoolDestroyArgs& a) {
    return storage(ctx).pool_destroy(to_ref(a.pool));
}

Status RemoteProcedures::storage_pool_delete(const CallContext& ctx,
                                             const rpc::StoragePoolDeleteArgs& a) {
    return storage(ctx).pool_delete(to_ref(a.pool), a.flags);
}

Status RemoteProcedures::storage_pool_undefine(const CallContext& ctx,
                                               const rpc::StoragePoolUndefineArgs& a) {
    return storage(ctx).pool_undefine(to_ref(a.pool));
}

Status RemoteProcedures::storage_pool_refresh(const CallContext& ctx,
                                              const rpc::StoragePoolRefreshArgs& a) {
    return storage(ctx).pool_refresh(to_ref(a.pool), a.flags);
}

Result<rpc::StoragePoolLookupByNameRet>
RemoteProcedures::storage_pool_lookup_by_name(const CallContext& ctx,
                                              const rpc::StoragePoolLookupByNameArgs& a) {
    return wrap_ref<rpc::StoragePoolLookupByNameRet>(storage(ctx).pool_lookup_by_name(a.name));
}

Result<rpc::StoragePoolLookupByUuidRet>
RemoteProcedures::storage_pool_lookup_by_uuid(const CallContext& ctx,
                                              const rpc::StoragePoolLookupByUuidArgs& a) {
    return wrap_ref<rpc::StoragePoolLookupByUuidRet>(
        storage(ctx).pool_lookup_by_uuid(Uuid(a.uuid)));
}

Result<rpc::StoragePoolLookupByVolumeRet>
RemoteProcedures::storage_pool_lookup_by_volume(const CallContext& ctx,
                                                const rpc::StoragePoolLookupByVolumeArgs& a) {
    return wrap_ref<rpc::StoragePoolLookupByVolumeRet>(
        storage(ctx).pool_lookup_by_volume(to_ref(a.vol)));
}

Result<rpc::StoragePoolGetInfoRet>
RemoteProcedures::storage_pool_get_info(const CallContext& ctx,
                                        const rpc::StoragePoolGetInfoArgs& a) {
    Result<PoolInfo> info = storage(ctx).pool_get_info(to_ref(a.pool));
    if (!info) return info.error();
    return rpc::StoragePoolGetInfoRet{static_cast<uint8_t>(info->state), info->capacity,
                                      info->allocation, info->available};
}

Result<rpc::StoragePoolGetXmlDescRet>
RemoteProcedures::storage_pool_get_xml_desc(const CallContext& ctx,
                                            const rpc::StoragePoolGetXmlDescArgs& a) {
    return wrap_string<rpc::StoragePoolGetXmlDescRet>(
        storage(ctx).pool_get_xml(to_ref(a.pool), a.flags));
}

Result<rpc::StoragePoolGetAutostartRet>
RemoteProcedures::storage_pool_get_autostart(const CallContext& ctx,
                                             const rpc::StoragePoolGetAutostartArgs& a) {
    return wrap_bool<rpc::StoragePoolGetAutostartRet>(
        storage(ctx).pool_get_autostart(to_ref(a.pool)));
}

Status RemoteProcedures::storage_pool_set_autostart(const CallContext& ctx,
                                                    const rpc::StoragePoolSetAutostartArgs& a) {
    return storage(ctx).pool_set_autostart(to_ref(a.pool), a.autostart != 0);
}

Result<rpc::StoragePoolNumOfVolumesRet>
RemoteProcedures::storage_pool_num_of_volumes(const CallContext& ctx,
                                              const rpc::StoragePoolNumOfVolumesArgs& a) {
    Result<std::vector<VolRef>> vols = visible(ctx, storage(ctx).vol_list_all(to_ref(a.pool)));
    if (!vols) return vols.error();
    return rpc::StoragePoolNumOfVolumesRet{static_cast<int32_t>(vols->size())};
}

Result<rpc::StoragePoolListVolumesRet>
RemoteProcedures::storage_pool_list_volumes(const CallContext& ctx,
                                            const rpc::StoragePoolListVolumesArgs& a) {
    Result<std::vector<VolRef>> vols = visible(ctx, storage(ctx).vol_list_all(to_ref(a.pool)));
    if (!vols) return vols.error();
    rpc::StoragePoolListVolumesRet ret;
    for (const VolRef& v : *vols) {
        if (ret.names.size() >= static_cast<size_t>(std::max(a.maxnames, 0))) break;
        ret.names.push_back(v.name);
    }
    return ret;
}

Result<rpc::StoragePoolIsActiveRet>
RemoteProcedures::storage_pool_is_active(const CallContext& ctx,
                                         const rpc::StoragePoolIsActiveArgs& a) {
    return wrap_bool<rpc::StoragePoolIsActiveRet>(storage(ctx).pool_is_active(to_ref(a.pool)));
}

Result<rpc::StoragePoolIsPersistentRet>
RemoteProcedures::storage_pool_is_persistent(const CallContext& ctx,
                                             const rpc::StoragePoolIsPersistentArgs& a) {
    return wrap_bool<rpc::StoragePoolIsPersistentRet>(
        storage(ctx).pool_is_persistent(to_ref(a.pool)));
}

Result<rpc::ConnectListAllStoragePoolsRet>
RemoteProcedures::connect_list_all_storage_pools(const CallContext& ctx,
                                                 const rpc::ConnectListAllStoragePoolsArgs& a) {
    return wrap_list(visible(ctx, storage(ctx).pool_list_all(a.flags)), a.need_results,
                     &rpc::ConnectListAllStoragePoolsRet::pools);
}

Result<rpc::StoragePoolListAllVolumesRet>
RemoteProcedures::storage_pool_list_all_volumes(const CallContext& ctx,
                                                const rpc::StoragePoolListAllVolumesArgs& a) {
    return wrap_list(visible(ctx, storage(ctx).vol_list_all(to_ref(a.pool))), a.need_results,
                     &rpc::StoragePoolListAllVolumesRet::vols);
}

// ---- volumes -----------------------------------------------------------------------------------

Result<rpc::StorageVolCreateXmlRet>
RemoteProcedures::storage_vol_create_xml(const CallContext& ctx,
                                         const rpc::StorageVolCreateXmlArgs& a) {
    return wrap_ref<rpc::StorageVolCreateXmlRet>(
        storage(ctx).vol_create_xml(to_ref(a.pool), a.xml, a.flags));
}

Result<rpc::StorageVolCreateXmlFromRet>
RemoteProcedures::storage_vol_create_xml_from(const CallContext& ctx,
                                              const rpc::StorageVolCreateXmlFromArgs& a) {
    return wrap_ref<rpc::StorageVolCreateXmlFromRet>(
        storage(ctx).vol_create_xml_from(to_ref(a.pool), a.xml, to_ref(a.clonevol), a.flags));
}

Status RemoteProcedures::storage_vol_delete(const CallContext& ctx,
                                            const rpc::StorageVolDeleteArgs& a) {
    return storage(ctx).vol_delete(to_ref(a.vol), a.flags);
}

Status RemoteProcedures::storage_vol_wipe(const CallContext& ctx,
                                          const rpc::StorageVolWipeArgs& a) {
    return storage(ctx).vol_wipe(to_ref(a.vol), a.flags);
}

Status RemoteProcedures::storage_vol_resize(const CallContext& ctx,
                                            const rpc::StorageVolResizeArgs& a) {
    return storage(ctx).vol_resize(to_ref(a.vol), a.capacity, a.flags);
}

Result<rpc::StorageVolLookupByNameRet>
RemoteProcedures::storage_vol_lookup_by_name(const CallContext& ctx,
                                             const rpc::StorageVolLookupByNameArgs& a) {
    return wrap_ref<rpc::StorageVolLookupByNameRet>(
        storage(ctx).vol_lookup_by_name(to_ref(a.pool), a.name));
}

Result<rpc::StorageVolLookupByKeyRet>
RemoteProcedures::storage_vol_lookup_by_key(const CallContext& ctx,
                                            const rpc::StorageVolLookupByKeyArgs& a) {
    return wrap_ref<rpc::StorageVolLookupByKeyRet>(storage(ctx).vol_lookup_by_key(a.key));
}

Result<rpc::StorageVolLookupByPathRet>
RemoteProcedures::storage_vol_lookup_by_path(const CallContext& ctx,
                                             const rpc::StorageVolLookupByPathArgs& a) {
    return wrap_ref<rpc::StorageVolLookupByPathRet>(storage(ctx).vol_lookup_by_path(a.path));
}

Result<rpc::StorageVolGetInfoRet>
RemoteProcedures::storage_vol_get_info(const CallContext& ctx,
                                       const rpc::StorageVolGetInfoArgs& a) {
    Result<VolInfo> info = storage(ctx).vol_get_info(to_ref(a.vol));
    if (!info) return info.error();
    return rpc::StorageVolGetInfoRet{static_cast<int32_t>(info->type), info->capacity,
                                     info->allocation};
}

Result<rpc::StorageVolGetXmlDescRet>
RemoteProcedures::storage_vol_get_xml_desc(const CallContext& ctx,
                                           const rpc::StorageVolGetXmlDescArgs& a) {
    return wrap_string<rpc::StorageVolGetXmlDescRet>(
        storage(ctx).vol_get_xml(to_ref(a.vol), a.flags));
}

Result<rpc::StorageVolGetPathRet>
RemoteProcedures::storage_vol_get_path(const CallContext& ctx,
                                       const rpc::StorageVolGetPathArgs& a) {
    return wrap_string<rpc::StorageVolGetPathRet>(storage(ctx).vol_get_path(to_ref(a.vol)));
}

Status RemoteProcedures::storage_vol_upload(const CallContext& ctx,
                                            const rpc::StorageVolUploadArgs& a) {
    Result<std::unique_ptr<VolumeWriter>> w =
        storage(ctx).vol_upload(to_ref(a.vol), a.offset, a.length, a.flags);
    if (!w) return w.error();
    streams_.add_upload(ctx, std::move(*w));
    return {};
}

Status RemoteProcedures::storage_vol_download(const CallContext& ctx,
                                              const rpc::StorageVolDownloadArgs& a) {
    Result<std::unique_ptr<VolumeReader>> r =
        storage(ctx).vol_download(to_ref(a.vol), a.offset, a.length, a.flags);
    if (!r) return r.error();
    streams_.add_download(ctx, std::move(*r));
    return {};
}

} // namespace virtd
