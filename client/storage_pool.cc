#include "client/storage_pool.h"

#include "client/connection.h"

namespace virtd::client {

Status StoragePool::build(unsigned flags) {
    if (Status s = conn_->require_writable("virStoragePoolBuild"); !s) return s;
    return conn_->remote().storage_pool_build({ref_, flags});
}

Status StoragePool::create(unsigned flags) {
    if (Status s = conn_->require_writable("virStoragePoolCreate"); !s) return s;
    return conn_->remote().storage_pool_create({ref_, flags});
}

Status StoragePool::destroy() {
    if (Status s = conn_->require_writable("virStoragePoolDestroy"); !s) return s;
    return conn_->remote().storage_pool_destroy({ref_});
}

Status StoragePool::remove(unsigned flags) {
    if (Status s = conn_->require_writable("virStoragePoolDelete"); !s) return s;
    return conn_->remote().storage_pool_delete({ref_, flags});
}

Status StoragePool::undefine() {
    if (Status s = conn_->require_writable("virStoragePoolUndefine"); !s) return s;
    return conn_->remote().storage_pool_undefine({ref_});
}

Status StoragePool::refresh() {
    if (Status s = conn_->require_writable("virStoragePoolRefresh"); !s) return s;
    return conn_->remote().storage_pool_refresh({ref_, 0});
}

Result<PoolInfo> StoragePool::info() {
    auto r = conn_->remote().storage_pool_get_info({ref_});
    if (!r) return r.error();
    return PoolInfo{static_cast<PoolState>(r->state), r->capacity, r->allocation, r->available};
}

Result<std::string> StoragePool::xml_desc(unsigned flags) {
    auto r = conn_->remote().storage_pool_get_xml_desc({ref_, flags});
    if (!r) return r.error();
    return r->xml;
}

Result<bool> StoragePool::autostart() {
    auto r = conn_->remote().storage_pool_get_autostart({ref_});
    if (!r) return r.error();
    return r->autostart != 0;
}

Status StoragePool::set_autostart(bool on) {
    if (Status s = conn_->require_writable("virStoragePoolSetAutostart"); !s) return s;
    return conn_->remote().storage_pool_set_autostart({ref_, on ? 1 : 0});
}

Result<bool> StoragePool::is_active() {
    auto r = conn_->remote().storage_pool_is_active({ref_});
    if (!r) return r.error();
    return r->active != 0;
}

Result<bool> StoragePool::is_persistent() {
    auto r = conn_->remote().storage_pool_is_persistent({ref_});
    if (!r) return r.error();
    return r->persistent != 0;
}

Result<std::vector<StorageVol>> StoragePool::list_volumes() {
    auto r = conn_->remote().storage_pool_list_all_volumes({ref_, 1, 0});
    if (!r) return r.error();
    std::vector<StorageVol> out;
    for (auto& v : r->vols)
        out.emplace_back(*conn_, v);
    return out;
}

Result<StorageVol> StoragePool::volume_by_name(const std::string& name) {
    auto r = conn_->remote().storage_vol_lookup_by_name({ref_, name});
    if (!r) return r.error();
    return StorageVol(*conn_, r->vol);
}

Result<StorageVol> StoragePool::create_volume(const std::string& xml, unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolCreateXML"); !s) return s.error();
    auto r = conn_->remote().storage_vol_create_xml({ref_, xml, flags});
    if (!r) return r.error();
    return StorageVol(*conn_, r->vol);
}

Result<StorageVol> StoragePool::clone_volume(const std::string& xml, const StorageVol& source,
                                             unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolCreateXMLFrom"); !s) return s.error();
    auto r = conn_->remote().storage_vol_create_xml_from({ref_, xml, source.ref(), flags});
    if (!r) return r.error();
    return StorageVol(*conn_, r->vol);
}

} // namespace virtd::client
