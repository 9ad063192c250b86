#include "drivers/mock/mock_storage_driver.h"

#include <algorithm>
#include <cstring>

#include "common/file.h"
#include "common/log.h"

namespace virtd {
namespace {

Error no_pool(std::string_view how, std::string_view what) {
    return make_error(ErrorCode::NoStoragePool, ErrorDomain::Storage,
                      "no storage pool with matching {} '{}'", how, what);
}

Error no_vol(std::string_view how, std::string_view what) {
    return make_error(ErrorCode::NoStorageVol, ErrorDomain::Storage,
                      "no storage vol with matching {} '{}'", how, what);
}

Error invalid(std::string_view what) {
    return make_error(ErrorCode::OperationInvalid, ErrorDomain::Storage, "{}", what);
}

// Reads a snapshot of a volume's bytes taken when the download started.
class SnapshotReader : public VolumeReader {
public:
    SnapshotReader(std::string data, uint64_t length)
        : data_(std::move(data))
        , left_(length) {}

    Result<std::string> read(size_t max) override {
        size_t n = static_cast<size_t>(std::min<uint64_t>(max, left_));
        std::string chunk(n, '\0');
        if (pos_ < data_.size()) {
            size_t have = std::min(n, data_.size() - pos_);
            std::memcpy(chunk.data(), data_.data() + pos_, have);
        }
        pos_ += n;
        left_ -= n;
        return chunk;
    }

private:
    std::string data_; // the stored bytes from the download's offset on; zeros past its end
    size_t pos_ = 0;
    uint64_t left_;
};

// How many bytes an upload or download from `offset` moves: `length`, or to the end of the volume
// when it is 0 or reaches past it.
Result<uint64_t> transfer_length(const std::string& name, uint64_t capacity, uint64_t offset,
                                 uint64_t length) {
    if (offset > capacity)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Storage,
                          "offset {} is past the end of volume '{}' ({} bytes)", offset, name,
                          capacity);
    return length == 0 || length > capacity - offset ? capacity - offset : length;
}

} // namespace

// Collects an upload and puts it into the volume only when the client finishes, so an aborted
// upload leaves the volume as it was.
class MockStorageDriver::Writer : public VolumeWriter {
public:
    Writer(MockStorageDriver& driver, VolRef vol, uint64_t offset, uint64_t limit)
        : driver_(driver)
        , vol_(std::move(vol))
        , offset_(offset)
        , limit_(limit) {}

    Status write(std::string_view data) override {
        if (data_.size() + data.size() > limit_)
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Storage,
                              "upload to volume '{}' goes past its {} bytes", vol_.name,
                              offset_ + limit_);
        data_.append(data);
        return {};
    }
    Status finish() override { return driver_.commit_upload(vol_, offset_, data_); }

private:
    MockStorageDriver& driver_;
    VolRef vol_;
    uint64_t offset_;
    uint64_t limit_; // bytes the upload may carry
    std::string data_;
};

std::string MockStorageDriver::Pool::target() const {
    return def.target_path.value_or("/mock/pools/" + def.name);
}

uint64_t MockStorageDriver::Pool::allocation() const {
    uint64_t sum = 0;
    for (const auto& [name, v] : volumes)
        sum += v.def.allocation.value_or(v.def.capacity);
    return sum;
}

MockStorageDriver::MockStorageDriver(const std::string& state_dir)
    : store_(state_dir.empty() ? "" : path_join(state_dir, "mock/pools"), "storage pool") {
    std::lock_guard lock(mu_);
    for (DefinitionStore::Entry& e : store_.load()) {
        Result<conf::StoragePoolDef> def = conf::StoragePoolDef::parse(e.text);
        Result<Pool*> p = def ? add_pool(std::move(*def), true) : Result<Pool*>(def.error());
        if (!p) {
            log::error("mock", "skipping '{}': {}", e.path, p.error().message());
            continue;
        }
        (*p)->autostart = e.autostart;
        (*p)->active = e.autostart;
    }
}

// ---- pools -------------------------------------------------------------------------------------

Result<MockStorageDriver::Pool*> MockStorageDriver::find_pool(const PoolRef& pool) {
    auto it = pools_.find(pool.name);
    if (it != pools_.end() && (pool.uuid.is_null() || it->second.def.uuid == pool.uuid))
        return &it->second;
    for (auto& [name, p] : pools_)
        if (!pool.uuid.is_null() && p.def.uuid == pool.uuid) return &p;
    return no_pool("name", pool.name);
}

Result<MockStorageDriver::Pool*> MockStorageDriver::find_active_pool(const PoolRef& pool) {
    Result<Pool*> p = find_pool(pool);
    if (p && !(*p)->active)
        return invalid(fmt::format("storage pool '{}' is not active", (*p)->def.name));
    return p;
}

Result<MockStorageDriver::Pool*> MockStorageDriver::add_pool(conf::StoragePoolDef def,
                                                             bool persistent) {
    if (def.uuid.is_null()) def.uuid = Uuid::generate();
    for (auto& [name, p] : pools_) {
        if (name == def.name && p.def.uuid != def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Storage,
                              "pool '{}' already exists with uuid {}", name, p.def.uuid.format());
        if (name != def.name && p.def.uuid == def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Storage,
                              "pool '{}' is already defined with uuid {}", name, def.uuid.format());
    }
    // What a running pool reports is the driver's to say, not the definition's.
    def.capacity.reset();
    def.allocation.reset();
    def.available.reset();
    auto [it, inserted] = pools_.try_emplace(def.name);
    Pool& p = it->second;
    if (!inserted && p.active && !persistent)
        return invalid(fmt::format("storage pool '{}' is already active", def.name));
    p.def = std::move(def);
    p.persistent = inserted ? persistent : (p.persistent || persistent);
    return &p;
}

DefinitionStore::Write MockStorageDriver::write_of(const Pool& p) const {
    return {p.def.name, p.def.format(), p.autostart};
}

Result<PoolRef> MockStorageDriver::pool_define_xml(std::string_view xml, unsigned) {
    Result<conf::StoragePoolDef> def = conf::StoragePoolDef::parse(xml);
    if (!def) return def.error();
    // Written after mu_ is released (lookups never wait for the fsync), in order (write_mu_);
    // a new definition whose file cannot be written is taken back.
    std::lock_guard write_lock(write_mu_);
    DefinitionStore::Write write;
    PoolRef ref;
    bool existed = false;
    {
        std::lock_guard lock(mu_);
        existed = pools_.count(def->name) != 0;
        Result<Pool*> p = add_pool(std::move(*def), true);
        if (!p) return p.error();
        (*p)->persistent = true;
        write = write_of(**p);
        ref = (*p)->ref();
    }
    if (Status s = store_.save(write); !s) {
        std::lock_guard lock(mu_);
        if (auto it = pools_.find(ref.name); !existed && it != pools_.end() && !it->second.active)
            pools_.erase(it);
        return s.error();
    }
    return ref;
}

Result<PoolRef> MockStorageDriver::pool_create_xml(std::string_view xml, unsigned) {
    Result<conf::StoragePoolDef> def = conf::StoragePoolDef::parse(xml);
    if (!def) return def.error();
    std::lock_guard lock(mu_);
    if (auto it = pools_.find(def->name); it != pools_.end())
        return invalid(fmt::format("storage pool '{}' already exists", def->name));
    Result<Pool*> p = add_pool(std::move(*def), false);
    if (!p) return p.error();
    (*p)->active = true;
    return (*p)->ref();
}

Status MockStorageDriver::pool_build(const PoolRef& pool, unsigned) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    if ((*p)->active)
        return invalid(fmt::format("storage pool '{}' is already active", (*p)->def.name));
    return {}; // nothing to make: the mock pool's "directory" is the map
}

Status MockStorageDriver::pool_start(const PoolRef& pool, unsigned) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    if ((*p)->active)
        return invalid(fmt::format("storage pool '{}' is already active", (*p)->def.name));
    (*p)->active = true;
    return {};
}

Status MockStorageDriver::pool_destroy(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_active_pool(pool);
    if (!p) return p.error();
    (*p)->active = false;
    if (!(*p)->persistent) pools_.erase((*p)->def.name);
    return {};
}

Status MockStorageDriver::pool_delete(const PoolRef& pool, unsigned) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    if ((*p)->active)
        return invalid(fmt::format("storage pool '{}' is still active", (*p)->def.name));
    (*p)->volumes.clear(); // what a real backend removes with the pool's directory
    return {};
}

Status MockStorageDriver::pool_undefine(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    if ((*p)->active)
        return invalid(fmt::format("storage pool '{}' is still active", (*p)->def.name));
    if (!(*p)->persistent)
        return invalid(fmt::format("storage pool '{}' is transient", (*p)->def.name));
    store_.forget((*p)->def.name);
    pools_.erase((*p)->def.name);
    return {};
}

Status MockStorageDriver::pool_refresh(const PoolRef& pool, unsigned) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_active_pool(pool);
    if (!p) return p.error();
    return {}; // the map is always current
}

Result<std::vector<PoolRef>> MockStorageDriver::pool_list_all(unsigned flags) {
    std::lock_guard lock(mu_);
    std::vector<PoolRef> out;
    for (const auto& [name, p] : pools_)
        if (object_list::matches(flags, p.active, p.persistent, p.autostart))
            out.push_back(p.ref());
    return out;
}

Result<PoolRef> MockStorageDriver::pool_lookup_by_name(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = pools_.find(std::string(name));
    if (it == pools_.end()) return no_pool("name", name);
    return it->second.ref();
}

Result<PoolRef> MockStorageDriver::pool_lookup_by_uuid(const Uuid& uuid) {
    std::lock_guard lock(mu_);
    for (const auto& [name, p] : pools_)
        if (p.def.uuid == uuid) return p.ref();
    return no_pool("uuid", uuid.format());
}

Result<PoolRef> MockStorageDriver::pool_lookup_by_volume(const VolRef& vol) {
    std::lock_guard lock(mu_);
    Pool* pool = nullptr;
    Result<Volume*> v = find_vol(vol, &pool);
    if (!v) return v.error();
    return pool->ref();
}

Result<PoolInfo> MockStorageDriver::pool_get_info(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    PoolInfo info;
    if (!(*p)->active) return info; // libvirt reports zeros for an inactive pool
    info.state = PoolState::Running;
    info.capacity = kPoolCapacity;
    info.allocation = std::min(kPoolCapacity, (*p)->allocation());
    info.available = info.capacity - info.allocation;
    return info;
}

Result<std::string> MockStorageDriver::pool_get_xml(const PoolRef& pool, unsigned) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    conf::StoragePoolDef def = (*p)->def;
    uint64_t used = (*p)->active ? std::min(kPoolCapacity, (*p)->allocation()) : 0;
    def.capacity = (*p)->active ? kPoolCapacity : 0;
    def.allocation = used;
    def.available = (*p)->active ? kPoolCapacity - used : 0;
    return def.format();
}

Result<bool> MockStorageDriver::pool_is_active(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    return (*p)->active;
}

Result<bool> MockStorageDriver::pool_is_persistent(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    return (*p)->persistent;
}

Result<bool> MockStorageDriver::pool_get_autostart(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_pool(pool);
    if (!p) return p.error();
    return (*p)->autostart;
}

Status MockStorageDriver::pool_set_autostart(const PoolRef& pool, bool autostart) {
    std::lock_guard write_lock(write_mu_);
    DefinitionStore::Write write;
    {
        std::lock_guard lock(mu_);
        Result<Pool*> p = find_pool(pool);
        if (!p) return p.error();
        if (!(*p)->persistent) return invalid("cannot set autostart for transient pool");
        (*p)->autostart = autostart;
        write = write_of(**p);
    }
    return store_.save(write);
}

// ---- volumes -----------------------------------------------------------------------------------

Result<MockStorageDriver::Volume*> MockStorageDriver::find_vol(const VolRef& vol, Pool** pool) {
    auto it = pools_.find(vol.pool);
    if (it == pools_.end() || !it->second.active) return no_vol("name", vol.name);
    auto v = it->second.volumes.find(vol.name);
    if (v == it->second.volumes.end()) return no_vol("name", vol.name);
    if (pool) *pool = &it->second;
    return &v->second;
}

Result<MockStorageDriver::Volume*> MockStorageDriver::add_vol(Pool& pool, std::string_view xml) {
    Result<conf::StorageVolDef> def = conf::StorageVolDef::parse(xml);
    if (!def) return def.error();
    if (pool.volumes.count(def->name))
        return make_error(ErrorCode::StorageVolExist, ErrorDomain::Storage,
                          "storage volume '{}' exists already", def->name);
    std::string path = pool.target() + "/" + def->name;
    def->key = path;
    def->target_path = path;
    if (!def->target_format) def->target_format = conf::VolumeFormat::Raw;
    if (!def->allocation) def->allocation = def->capacity;
    *def->allocation = std::min(*def->allocation, def->capacity);
    if (pool.allocation() + *def->allocation > kPoolCapacity)
        return make_error(ErrorCode::OperationFailed, ErrorDomain::Storage,
                          "not enough space in storage pool '{}' for volume '{}'", pool.def.name,
                          def->name);
    Volume& v = pool.volumes[def->name];
    v.def = std::move(*def);
    return &v;
}

Result<std::vector<VolRef>> MockStorageDriver::vol_list_all(const PoolRef& pool) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_active_pool(pool);
    if (!p) return p.error();
    std::vector<VolRef> out;
    for (const auto& [name, v] : (*p)->volumes)
        out.push_back(v.ref((*p)->def.name));
    return out;
}

Result<VolRef> MockStorageDriver::vol_create_xml(const PoolRef& pool, std::string_view xml,
                                                 unsigned) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_active_pool(pool);
    if (!p) return p.error();
    Result<Volume*> v = add_vol(**p, xml);
    if (!v) return v.error();
    return (*v)->ref((*p)->def.name);
}

Result<VolRef> MockStorageDriver::vol_create_xml_from(const PoolRef& pool, std::string_view xml,
                                                      const VolRef& from, unsigned) {
    std::lock_guard lock(mu_);
    Result<Volume*> src = find_vol(from);
    if (!src) return src.error();
    std::string data = (*src)->data;
    uint64_t src_capacity = (*src)->def.capacity;
    Result<Pool*> p = find_active_pool(pool);
    if (!p) return p.error();
    Result<Volume*> v = add_vol(**p, xml);
    if (!v) return v.error();
    (*v)->def.capacity = std::max((*v)->def.capacity, src_capacity);
    if (data.size() > (*v)->def.capacity) data.resize((*v)->def.capacity);
    (*v)->data = std::move(data);
    return (*v)->ref((*p)->def.name);
}

Status MockStorageDriver::vol_delete(const VolRef& vol, unsigned) {
    std::lock_guard lock(mu_);
    Pool* pool = nullptr;
    Result<Volume*> v = find_vol(vol, &pool);
    if (!v) return v.error();
    pool->volumes.erase(vol.name);
    return {};
}

Status MockStorageDriver::vol_wipe(const VolRef& vol, unsigned) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    (*v)->data.clear(); // every byte reads as zero again
    return {};
}

Status MockStorageDriver::vol_resize(const VolRef& vol, uint64_t capacity, unsigned flags) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    conf::StorageVolDef& def = (*v)->def;
    uint64_t target = capacity;
    if (flags & kResizeDelta) {
        if (flags & kResizeShrink) {
            if (capacity > def.capacity)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Storage,
                                  "can't shrink volume '{}' by more than its {} bytes", def.name,
                                  def.capacity);
            target = def.capacity - capacity;
        } else {
            target = def.capacity + capacity;
        }
    }
    if (target < def.capacity && !(flags & kResizeShrink))
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Storage,
                          "Can't shrink capacity below current capacity unless shrink flag "
                          "explicitly specified");
    def.capacity = target;
    if ((*v)->data.size() > target) (*v)->data.resize(target);
    if (flags & kResizeAllocate) def.allocation = target;
    if (def.allocation && *def.allocation > target) def.allocation = target;
    return {};
}

Result<VolRef> MockStorageDriver::vol_lookup_by_name(const PoolRef& pool, std::string_view name) {
    std::lock_guard lock(mu_);
    Result<Pool*> p = find_active_pool(pool);
    if (!p) return p.error();
    auto it = (*p)->volumes.find(std::string(name));
    if (it == (*p)->volumes.end()) return no_vol("name", name);
    return it->second.ref((*p)->def.name);
}

Result<VolRef> MockStorageDriver::vol_lookup_by_key(std::string_view key) {
    std::lock_guard lock(mu_);
    for (const auto& [pname, p] : pools_)
        for (const auto& [vname, v] : p.volumes)
            if (p.active && v.def.key == key) return v.ref(pname);
    return no_vol("key", key);
}

Result<VolRef> MockStorageDriver::vol_lookup_by_path(std::string_view path) {
    std::lock_guard lock(mu_);
    for (const auto& [pname, p] : pools_)
        for (const auto& [vname, v] : p.volumes)
            if (p.active && v.def.target_path == path) return v.ref(pname);
    return no_vol("path", path);
}

Result<VolInfo> MockStorageDriver::vol_get_info(const VolRef& vol) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    return VolInfo{VolType::File, (*v)->def.capacity, (*v)->def.allocation.value_or(0)};
}

Result<std::string> MockStorageDriver::vol_get_xml(const VolRef& vol, unsigned) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    return (*v)->def.format();
}

Result<std::string> MockStorageDriver::vol_get_path(const VolRef& vol) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    return *(*v)->def.target_path;
}

Result<std::unique_ptr<VolumeReader>>
MockStorageDriver::vol_download(const VolRef& vol, uint64_t offset, uint64_t length, unsigned) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    Result<uint64_t> span = transfer_length(vol.name, (*v)->def.capacity, offset, length);
    if (!span) return span.error();
    length = *span;
    const std::string& data = (*v)->data;
    std::string tail = offset < data.size() ? data.substr(offset, length) : std::string();
    return std::unique_ptr<VolumeReader>(new SnapshotReader(std::move(tail), length));
}

Result<std::unique_ptr<VolumeWriter>>
MockStorageDriver::vol_upload(const VolRef& vol, uint64_t offset, uint64_t length, unsigned) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    Result<uint64_t> span = transfer_length(vol.name, (*v)->def.capacity, offset, length);
    if (!span) return span.error();
    length = *span;
    return std::unique_ptr<VolumeWriter>(new Writer(*this, (*v)->ref(vol.pool), offset, length));
}

Status MockStorageDriver::commit_upload(const VolRef& vol, uint64_t offset,
                                        const std::string& data) {
    std::lock_guard lock(mu_);
    Result<Volume*> v = find_vol(vol);
    if (!v) return v.error();
    std::string& stored = (*v)->data;
    uint64_t end = std::min<uint64_t>(offset + data.size(), (*v)->def.capacity);
    if (end <= offset) return {};
    if (stored.size() < end) stored.resize(end);
    std::memcpy(stored.data() + offset, data.data(), end - offset);
    return {};
}

} // namespace virtd
