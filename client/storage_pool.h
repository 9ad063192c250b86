// StoragePool: a handle on one storage pool of a Connection (name and UUID); each method is one
// RPC call. Cheap to copy; the Connection must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/storage_vol.h"
#include "common/error.h"
#include "common/uuid.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

class Connection;

// libvirt's virStoragePoolState.
enum class PoolState : int {
    Inactive = 0,
    Building = 1,
    Running = 2,
    Degraded = 3,
    Inaccessible = 4
};

// STORAGE_POOL_GET_INFO, sizes in bytes.
struct PoolInfo {
    PoolState state = PoolState::Inactive;
    uint64_t capacity = 0;
    uint64_t allocation = 0;
    uint64_t available = 0;
};

class StoragePool {
public:
    StoragePool(Connection& conn, rpc::NonnullStoragePool ref)
        : conn_(&conn)
        , ref_(std::move(ref)) {}

    const std::string& name() const { return ref_.name; }
    Uuid uuid() const { return Uuid(ref_.uuid); }
    const rpc::NonnullStoragePool& ref() const { return ref_; }

    Status build(unsigned flags = 0);
    Status create(unsigned flags = 0); // start
    Status destroy();                  // stop
    Status remove(unsigned flags = 0); // pool-delete: removes the pool's storage
    Status undefine();
    Status refresh();
    Result<PoolInfo> info();
    Result<std::string> xml_desc(unsigned flags = 0);
    Result<bool> autostart();
    Status set_autostart(bool on);
    Result<bool> is_active();
    Result<bool> is_persistent();

    Result<std::vector<StorageVol>> list_volumes();
    Result<StorageVol> volume_by_name(const std::string& name);
    Result<StorageVol> create_volume(const std::string& xml, unsigned flags = 0);
    // A new volume described by `xml` whose contents are copied from `source`.
    Result<StorageVol> clone_volume(const std::string& xml, const StorageVol& source,
                                    unsigned flags = 0);

private:
    Connection* conn_;
    rpc::NonnullStoragePool ref_;
};

} // namespace virtd::client
