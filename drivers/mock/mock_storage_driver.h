// MockStorageDriver: the storage half of mock:///default: pools of every type with libvirt's
// state machine (defined, built, active, transient, autostart) and volumes whose bytes live in
// memory, so create, clone, resize, wipe, upload and download behave as they would on disk
// without touching it. A volume's data is kept sparse: only the bytes up to the last one written
// are stored, the rest of its capacity reads as zeros.
//
// With a state directory, persistent pool definitions and autostart marks are kept under
// STATE/mock/pools and reloaded (and autostarted) at construction; volumes are not kept.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "conf/storage_pool.h"
#include "conf/storage_vol.h"
#include "drivers/definition_store.h"
#include "drivers/storage_driver.h"

namespace virtd {

class MockStorageDriver : public StorageDriver {
public:
    // Every mock pool reports this capacity.
    static constexpr uint64_t kPoolCapacity = 100ull << 30;

    // `state_dir` empty: nothing is written anywhere.
    explicit MockStorageDriver(const std::string& state_dir = "");

    Result<PoolRef> pool_define_xml(std::string_view xml, unsigned flags) override;
    Result<PoolRef> pool_create_xml(std::string_view xml, unsigned flags) override;
    Status pool_build(const PoolRef& pool, unsigned flags) override;
    Status pool_start(const PoolRef& pool, unsigned flags) override;
    Status pool_destroy(const PoolRef& pool) override;
    Status pool_delete(const PoolRef& pool, unsigned flags) override;
    Status pool_undefine(const PoolRef& pool) override;
    Status pool_refresh(const PoolRef& pool, unsigned flags) override;
    Result<std::vector<PoolRef>> pool_list_all(unsigned flags) override;
    Result<PoolRef> pool_lookup_by_name(std::string_view name) override;
    Result<PoolRef> pool_lookup_by_uuid(const Uuid& uuid) override;
    Result<PoolRef> pool_lookup_by_volume(const VolRef& vol) override;
    Result<PoolInfo> pool_get_info(const PoolRef& pool) override;
    Result<std::string> pool_get_xml(const PoolRef& pool, unsigned flags) override;
    Result<bool> pool_is_active(const PoolRef& pool) override;
    Result<bool> pool_is_persistent(const PoolRef& pool) override;
    Result<bool> pool_get_autostart(const PoolRef& pool) override;
    Status pool_set_autostart(const PoolRef& pool, bool autostart) override;

    Result<std::vector<VolRef>> vol_list_all(const PoolRef& pool) override;
    Result<VolRef> vol_create_xml(const PoolRef& pool, std::string_view xml,
                                  unsigned flags) override;
    Result<VolRef> vol_create_xml_from(const PoolRef& pool, std::string_view xml,
                                       const VolRef& from, unsigned flags) override;
    Status vol_delete(const VolRef& vol, unsigned flags) override;
    Status vol_wipe(const VolRef& vol, unsigned flags) override;
    Status vol_resize(const VolRef& vol, uint64_t capacity, unsigned flags) override;
    Result<VolRef> vol_lookup_by_name(const PoolRef& pool, std::string_view name) override;
    Result<VolRef> vol_lookup_by_key(std::string_view key) override;
    Result<VolRef> vol_lookup_by_path(std::string_view path) override;
    Result<VolInfo> vol_get_info(const VolRef& vol) override;
    Result<std::string> vol_get_xml(const VolRef& vol, unsigned flags) override;
    Result<std::string> vol_get_path(const VolRef& vol) override;
    Result<std::unique_ptr<VolumeReader>> vol_download(const VolRef& vol, uint64_t offset,
                                                       uint64_t length, unsigned flags) override;
    Result<std::unique_ptr<VolumeWriter>> vol_upload(const VolRef& vol, uint64_t offset,
                                                     uint64_t length, unsigned flags) override;

private:
    class Writer; // an upload in progress; commits on finish
    struct Volume {
        conf::StorageVolDef def; // key and target path filled in
        std::string data;        // bytes [0, data.size()); the rest reads as zeros

        VolRef ref(const std::string& pool) const { return {pool, def.name, *def.key}; }
    };
    struct Pool {
        conf::StoragePoolDef def;
        bool persistent = true;
        bool active = false;
        bool autostart = false;
        std::map<std::string, Volume> volumes; // by name

        PoolRef ref() const { return {def.name, def.uuid}; }
        std::string target() const;
        uint64_t allocation() const;
    };

    // All below: mu_ held.
    Result<Pool*> find_pool(const PoolRef& pool);
    Result<Pool*> find_active_pool(const PoolRef& pool);
    Result<Volume*> find_vol(const VolRef& vol, Pool** pool = nullptr);
    Result<Pool*> add_pool(conf::StoragePoolDef def, bool persistent);
    Result<Volume*> add_vol(Pool& pool, std::string_view xml);
    DefinitionStore::Write write_of(const Pool& p) const;
    // Takes mu_: puts `data` at `offset` of the volume, if it still exists.
    Status commit_upload(const VolRef& vol, uint64_t offset, const std::string& data);

    DefinitionStore store_;
    std::mutex write_mu_; // taken before mu_ by calls that write definitions
    std::mutex mu_;
    std::map<std::string, Pool> pools_; // by name; guarded by mu_
};

} // namespace virtd
