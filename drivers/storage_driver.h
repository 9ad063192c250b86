// StorageDriver: what a storage driver offers the daemon: pools, the volumes in them, and volume
// data moved in and out (upload/download). The front doors call this one interface; the mock
// driver (drivers/mock) implements it in memory; storage/ will implement it over real backends.
//
// Thread safety: implementations are called from many worker threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/uuid.h"
#include "drivers/object_list.h"

namespace virtd {

struct PoolRef {
    std::string name;
    Uuid uuid;

    bool operator==(const PoolRef&) const = default;
};

// A volume by its pool, its name and its key (the volume's path).
struct VolRef {
    std::string pool;
    std::string name;
    std::string key;

    bool operator==(const VolRef&) const = default;
};

// libvirt's virStoragePoolState.
enum class PoolState : int32_t { Inactive = 0, Building = 1, Running = 2, Degraded = 3 };

struct PoolInfo {
    PoolState state = PoolState::Inactive;
    uint64_t capacity = 0; // bytes
    uint64_t allocation = 0;
    uint64_t available = 0;
};

// libvirt's virStorageVolType.
enum class VolType : int32_t { File = 0, Block = 1, Dir = 2, Network = 3 };

struct VolInfo {
    VolType type = VolType::File;
    uint64_t capacity = 0; // bytes
    uint64_t allocation = 0;
};

// virStorageVolResizeFlags.
inline constexpr unsigned kResizeAllocate = 1;
inline constexpr unsigned kResizeDelta = 2;
inline constexpr unsigned kResizeShrink = 4;

// Reads a volume's bytes for a download, in order.
class VolumeReader {
public:
    virtual ~VolumeReader() = default;
    // The next at most `max` bytes; empty at the end.
    virtual Result<std::string> read(size_t max) = 0;
};

// Writes a volume's bytes for an upload, in order. Destroyed without finish(): aborted, and the
// volume keeps what it had.
class VolumeWriter {
public:
    virtual ~VolumeWriter() = default;
    virtual Status write(std::string_view data) = 0;
    virtual Status finish() = 0;
};

class StorageDriver {
public:
    virtual ~StorageDriver() = default;

    // pools
    virtual Result<PoolRef> pool_define_xml(std::string_view xml, unsigned flags) = 0;
    virtual Result<PoolRef> pool_create_xml(std::string_view xml, unsigned flags) = 0;
    virtual Status pool_build(const PoolRef& pool, unsigned flags) = 0;
    virtual Status pool_start(const PoolRef& pool, unsigned flags) = 0;
    virtual Status pool_destroy(const PoolRef& pool) = 0;
    virtual Status pool_delete(const PoolRef& pool, unsigned flags) = 0;
    virtual Status pool_undefine(const PoolRef& pool) = 0;
    virtual Status pool_refresh(const PoolRef& pool, unsigned flags) = 0;
    virtual Result<std::vector<PoolRef>> pool_list_all(unsigned flags) = 0;
    virtual Result<PoolRef> pool_lookup_by_name(std::string_view name) = 0;
    virtual Result<PoolRef> pool_lookup_by_uuid(const Uuid& uuid) = 0;
    virtual Result<PoolRef> pool_lookup_by_volume(const VolRef& vol) = 0;
    virtual Result<PoolInfo> pool_get_info(const PoolRef& pool) = 0;
    virtual Result<std::string> pool_get_xml(const PoolRef& pool, unsigned flags) = 0;
    virtual Result<bool> pool_is_active(const PoolRef& pool) = 0;
    virtual Result<bool> pool_is_persistent(const PoolRef& pool) = 0;
    virtual Result<bool> pool_get_autostart(const PoolRef& pool) = 0;
    virtual Status pool_set_autostart(const PoolRef& pool, bool autostart) = 0;

    // volumes
    virtual Result<std::vector<VolRef>> vol_list_all(const PoolRef& pool) = 0;
    virtual Result<VolRef> vol_create_xml(const PoolRef& pool, std::string_view xml,
                                          unsigned flags) = 0;
    // A new volume from `xml` holding a copy of `from`'s data.
    virtual Result<VolRef> vol_create_xml_from(const PoolRef& pool, std::string_view xml,
                                               const VolRef& from, unsigned flags) = 0;
    virtual Status vol_delete(const VolRef& vol, unsigned flags) = 0;
    virtual Status vol_wipe(const VolRef& vol, unsigned flags) = 0;
    virtual Status vol_resize(const VolRef& vol, uint64_t capacity, unsigned flags) = 0;
    virtual Result<VolRef> vol_lookup_by_name(const PoolRef& pool, std::string_view name) = 0;
    virtual Result<VolRef> vol_lookup_by_key(std::string_view key) = 0;
    virtual Result<VolRef> vol_lookup_by_path(std::string_view path) = 0;
    virtual Result<VolInfo> vol_get_info(const VolRef& vol) = 0;
    virtual Result<std::string> vol_get_xml(const VolRef& vol, unsigned flags) = 0;
    virtual Result<std::string> vol_get_path(const VolRef& vol) = 0;
    // `length` 0: to the end of the volume.
    virtual Result<std::unique_ptr<VolumeReader>> vol_download(const VolRef& vol, uint64_t offset,
                                                               uint64_t length, unsigned flags) = 0;
    virtual Result<std::unique_ptr<VolumeWriter>> vol_upload(const VolRef& vol, uint64_t offset,
                                                             uint64_t length, unsigned flags) = 0;
};

} // namespace virtd
