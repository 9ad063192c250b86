// StorageVol: a handle on one storage volume (its pool's name, its name, its key). Uploads and
// downloads return the RPC stream that carries the data. Cheap to copy; the Connection must
// outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"
#include "rpc/client.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

class Connection;

// libvirt's virStorageVolType.
enum class VolType : int { File = 0, Block = 1, Dir = 2, Network = 3, NetDir = 4, Ploop = 5 };

// STORAGE_VOL_GET_INFO, sizes in bytes.
struct VolInfo {
    VolType type = VolType::File;
    uint64_t capacity = 0;
    uint64_t allocation = 0;
};

class StorageVol {
public:
    StorageVol(Connection& conn, rpc::NonnullStorageVol ref)
        : conn_(&conn)
        , ref_(std::move(ref)) {}

    const std::string& name() const { return ref_.name; }
    const std::string& key() const { return ref_.key; }
    const std::string& pool_name() const { return ref_.pool; }
    const rpc::NonnullStorageVol& ref() const { return ref_; }

    Status remove(unsigned flags = 0);
    Status wipe(unsigned flags = 0);
    // flags: libvirt's virStorageVolResizeFlags (ALLOCATE 1, DELTA 2, SHRINK 4).
    Status resize(uint64_t capacity, unsigned flags = 0);
    Result<VolInfo> info();
    Result<std::string> xml_desc(unsigned flags = 0);
    Result<std::string> path();
    // Streams for the volume's contents from `offset`, `length` bytes (0: to the end).
    Result<std::unique_ptr<rpc::RpcStream>> upload(uint64_t offset, uint64_t length,
                                                   unsigned flags = 0);
    Result<std::unique_ptr<rpc::RpcStream>> download(uint64_t offset, uint64_t length,
                                                     unsigned flags = 0);

private:
    Connection* conn_;
    rpc::NonnullStorageVol ref_;
};

} // namespace virtd::client
