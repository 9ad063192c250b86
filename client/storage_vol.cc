#include "client/storage_vol.h"

#include "client/connection.h"

namespace virtd::client {

Status StorageVol::remove(unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolDelete"); !s) return s;
    return conn_->remote().storage_vol_delete({ref_, flags});
}

Status StorageVol::wipe(unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolWipe"); !s) return s;
    return conn_->remote().storage_vol_wipe({ref_, flags});
}

Status StorageVol::resize(uint64_t capacity, unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolResize"); !s) return s;
    return conn_->remote().storage_vol_resize({ref_, capacity, flags});
}

Result<VolInfo> StorageVol::info() {
    auto r = conn_->remote().storage_vol_get_info({ref_});
    if (!r) return r.error();
    return VolInfo{static_cast<VolType>(r->type), r->capacity, r->allocation};
}

Result<std::string> StorageVol::xml_desc(unsigned flags) {
    auto r = conn_->remote().storage_vol_get_xml_desc({ref_, flags});
    if (!r) return r.error();
    return r->xml;
}

Result<std::string> StorageVol::path() {
    auto r = conn_->remote().storage_vol_get_path({ref_});
    if (!r) return r.error();
    return r->name;
}

Result<std::unique_ptr<rpc::RpcStream>> StorageVol::upload(uint64_t offset, uint64_t length,
                                                           unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolUpload"); !s) return s.error();
    return conn_->open_stream(208, rpc::StorageVolUploadArgs{ref_, offset, length, flags});
}

Result<std::unique_ptr<rpc::RpcStream>> StorageVol::download(uint64_t offset, uint64_t length,
                                                             unsigned flags) {
    if (Status s = conn_->require_writable("virStorageVolDownload"); !s) return s.error();
    return conn_->open_stream(209, rpc::StorageVolDownloadArgs{ref_, offset, length, flags});
}

} // namespace virtd::client
