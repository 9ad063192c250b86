#include "client/domain.h"

#include "client/connection.h"

namespace virtd::client {
namespace {

// The procedure that opens a console stream.
constexpr int32_t kProcOpenConsole = 201;

bool no_support(const Error& e) {
    return e.code() == ErrorCode::NoSupport;
}

} // namespace

Status Domain::create(unsigned flags) {
    if (Status s = conn_->require_writable(flags ? "virDomainCreateWithFlags" : "virDomainCreate");
        !s)
        return s;
    if (flags != 0) {
        auto r = conn_->remote().domain_create_with_flags({ref_, flags});
        if (!r) return r.error();
        ref_ = r->dom;
        return {};
    }
    if (Status s = conn_->remote().domain_create({ref_}); !s) return s;
    return refresh(); // the daemon's reply carries no id; libvirt's client looks it up too
}

Status Domain::destroy(unsigned flags) {
    if (Status s = conn_->require_writable(flags ? "virDomainDestroyFlags" : "virDomainDestroy");
        !s)
        return s;
    Status s = flags ? conn_->remote().domain_destroy_flags({ref_, flags})
                     : conn_->remote().domain_destroy({ref_});
    if (s) ref_.id = -1;
    return s;
}

Status Domain::shutdown(unsigned flags) {
    if (Status s = conn_->require_writable(flags ? "virDomainShutdownFlags" : "virDomainShutdown");
        !s)
        return s;
    return flags ? conn_->remote().domain_shutdown_flags({ref_, flags})
                 : conn_->remote().domain_shutdown({ref_});
}

Status Domain::reboot(unsigned flags) {
    if (Status s = conn_->require_writable("virDomainReboot"); !s) return s;
    return conn_->remote().domain_reboot({ref_, flags});
}

Status Domain::reset() {
    if (Status s = conn_->require_writable("virDomainReset"); !s) return s;
    return conn_->remote().domain_reset({ref_, 0});
}

Status Domain::suspend() {
    if (Status s = conn_->require_writable("virDomainSuspend"); !s) return s;
    return conn_->remote().domain_suspend({ref_});
}

Status Domain::resume() {
    if (Status s = conn_->require_writable("virDomainResume"); !s) return s;
    return conn_->remote().domain_resume({ref_});
}

Status Domain::undefine(unsigned flags) {
    if (Status s = conn_->require_writable("virDomainUndefineFlags"); !s) return s;
    Status s = conn_->remote().domain_undefine_flags({ref_, flags});
    if (!s && flags == 0 && (no_support(s.error()) || s.error().code() == ErrorCode::InvalidArg))
        return conn_->remote().domain_undefine({ref_});
    return s;
}

Result<std::string> Domain::xml_desc(unsigned flags) {
    auto r = conn_->remote().domain_get_xml_desc({ref_, flags});
    if (!r) return r.error();
    return r->xml;
}

Result<DomainInfo> Domain::info() {
    auto r = conn_->remote().domain_get_info({ref_});
    if (!r) return r.error();
    return DomainInfo{static_cast<DomainState>(r->state), r->max_mem, r->memory, r->nr_virt_cpu,
                      r->cpu_time};
}

Result<std::pair<DomainState, int>> Domain::state() {
    auto r = conn_->remote().domain_get_state({ref_, 0});
    if (r) return std::make_pair(static_cast<DomainState>(r->state), r->reason);
    if (!no_support(r.error())) return r.error();
    Result<DomainInfo> i = info();
    if (!i) return i.error();
    return std::make_pair(i->state, 0);
}

Result<std::string> Domain::os_type() {
    auto r = conn_->remote().domain_get_os_type({ref_});
    if (!r) return r.error();
    return r->type;
}

Result<bool> Domain::is_active() {
    auto r = conn_->remote().domain_is_active({ref_});
    if (!r) return r.error();
    return r->active != 0;
}

Result<bool> Domain::is_persistent() {
    auto r = conn_->remote().domain_is_persistent({ref_});
    if (!r) return r.error();
    return r->persistent != 0;
}

Result<bool> Domain::autostart() {
    auto r = conn_->remote().domain_get_autostart({ref_});
    if (!r) return r.error();
    return r->autostart != 0;
}

Status Domain::set_autostart(bool on) {
    if (Status s = conn_->require_writable("virDomainSetAutostart"); !s) return s;
    return conn_->remote().domain_set_autostart({ref_, on ? 1 : 0});
}

Result<bool> Domain::has_managed_save() {
    auto r = conn_->remote().domain_has_managed_save_image({ref_, 0});
    if (!r) return r.error();
    return r->result != 0;
}

Status Domain::set_memory(uint64_t kib) {
    if (Status s = conn_->require_writable("virDomainSetMemory"); !s) return s;
    return conn_->remote().domain_set_memory({ref_, kib});
}

Status Domain::set_max_memory(uint64_t kib) {
    if (Status s = conn_->require_writable("virDomainSetMaxMemory"); !s) return s;
    return conn_->remote().domain_set_max_memory({ref_, kib});
}

Status Domain::set_vcpus(unsigned count) {
    if (Status s = conn_->require_writable("virDomainSetVcpus"); !s) return s;
    return conn_->remote().domain_set_vcpus({ref_, count});
}

Status Domain::set_memory_flags(uint64_t kib, unsigned flags) {
    if (Status s = conn_->require_writable("virDomainSetMemoryFlags"); !s) return s;
    return conn_->remote().domain_set_memory_flags({ref_, kib, flags});
}

Status Domain::set_vcpus_flags(unsigned count, unsigned flags) {
    if (Status s = conn_->require_writable("virDomainSetVcpusFlags"); !s) return s;
    return conn_->remote().domain_set_vcpus_flags({ref_, count, flags});
}

Result<int> Domain::vcpus_flags(unsigned flags) {
    auto r = conn_->remote().domain_get_vcpus_flags({ref_, flags});
    if (!r) return r.error();
    return r->num;
}

Status Domain::save(const std::string& to) {
    if (Status s = conn_->require_writable("virDomainSave"); !s) return s;
    Status s = conn_->remote().domain_save({ref_, to});
    if (s) ref_.id = -1;
    return s;
}

Result<std::unique_ptr<rpc::RpcStream>> Domain::open_console(const std::string& dev_name,
                                                             unsigned flags) {
    if (Status s = conn_->require_writable("virDomainOpenConsole"); !s) return s.error();
    std::optional<std::string> dev;
    if (!dev_name.empty()) dev = dev_name;
    return conn_->open_stream(kProcOpenConsole, rpc::DomainOpenConsoleArgs{ref_, dev, flags});
}

Result<DomainSnapshot> Domain::create_snapshot(const std::string& xml, unsigned flags) {
    if (Status s = conn_->require_writable("virDomainSnapshotCreateXML"); !s) return s.error();
    auto r = conn_->remote().domain_snapshot_create_xml({ref_, xml, flags});
    if (!r) return r.error();
    return DomainSnapshot(*conn_, r->snap);
}

Result<std::vector<DomainSnapshot>> Domain::list_snapshots(unsigned flags) {
    auto r = conn_->remote().domain_list_all_snapshots({ref_, 1, flags});
    if (!r) return r.error();
    std::vector<DomainSnapshot> out;
    for (auto& s : r->snapshots)
        out.emplace_back(*conn_, s);
    return out;
}

Result<DomainSnapshot> Domain::snapshot_by_name(const std::string& name) {
    auto r = conn_->remote().domain_snapshot_lookup_by_name({ref_, name, 0});
    if (!r) return r.error();
    return DomainSnapshot(*conn_, r->snap);
}

Result<DomainSnapshot> Domain::current_snapshot() {
    auto r = conn_->remote().domain_snapshot_current({ref_, 0});
    if (!r) return r.error();
    return DomainSnapshot(*conn_, r->snap);
}

Status Domain::refresh() {
    auto r = conn_->remote().domain_lookup_by_uuid({ref_.uuid});
    if (!r) return r.error();
    ref_ = r->dom;
    return {};
}

} // namespace virtd::client
