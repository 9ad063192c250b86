// KvmDomainDriver: construction, start-up, definitions and lookups.
#include "drivers/kvm/kvm_domain_driver.h"

#include <dirent.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "common/mac.h"
#include "drivers/domain_errors.h"

namespace virtd::kvm {
using domain_errors::invalid;
using domain_errors::no_domain;
using domain_errors::not_running;

KvmDomainDriver::KvmDomainDriver(KvmDriverConfig config)
    : config_(std::move(config))
    , store_(path_join(config_.state_dir, "domains"), "domain")
    , switches_(path_join(config_.run_dir, "switch"), config_.switch_binary) {
    std::lock_guard lock(mu_);
    for (DefinitionStore::Entry& e : store_.load()) {
        Result<conf::DomainDef> def = conf::DomainDef::parse(e.text);
        if (!def) {
            // Kept on disk untouched: a definition is never lost to a bad read.
            log::error("kvm", "skipping '{}': {}", e.path, def.error().message());
            continue;
        }
        auto d = std::make_shared<Domain>();
        d->def = std::move(*def);
        d->autostart = e.autostart;
        domains_[d->def.name] = d;
    }
    io_thread_ = std::thread([this] { io_.run(); });
}

KvmDomainDriver::~KvmDomainDriver() {
    io_.stop();
    io_thread_.join();
}

void KvmDomainDriver::start_up(bool resume_saved) {
    if (Status s = make_dirs(config_.run_dir, 0700); !s)
        log::error("kvm", "{}", s.error().message());
    std::vector<std::string> names;
    if (DIR* dir = opendir(config_.run_dir.c_str())) {
        while (dirent* e = readdir(dir)) {
            std::string n = e->d_name;
            if (n != "." && n != ".." && n != "switch" && e->d_type == DT_DIR) names.push_back(n);
        }
        closedir(dir);
    }
    for (const std::string& n : names)
        reattach(n);

    std::vector<DomainPtr> autostart;
    {
        std::lock_guard lock(mu_);
        for (auto& [name, d] : domains_)
            if (!d->active() &&
                (d->autostart ||
                 (resume_saved && ::access(managed_save_path(name).c_str(), F_OK) == 0)))
                autostart.push_back(d);
    }
    for (const DomainPtr& d : autostart)
        if (Result<DomainRef> r = start(d->ref(), 0); !r)
            log::error("kvm", "autostart of '{}' failed: {}", d->def.name, r.error().message());
}

int KvmDomainDriver::save_all() {
    std::vector<DomainRef> running;
    {
        std::lock_guard lock(mu_);
        for (const auto& [name, d] : domains_)
            if (d->active() && d->persistent) running.push_back(d->ref());
    }
    int failed = 0;
    for (const DomainRef& r : running)
        if (Status s = managed_save(r, 0); !s) {
            log::error("kvm", "managed save of '{}' failed: {}", r.name, s.error().message());
            ++failed;
        }
    return failed;
}

KvmDomainDriver::DomainPtr KvmDomainDriver::find_locked(const DomainRef& dom) const {
    auto it = domains_.find(dom.name);
    if (it != domains_.end() && (dom.uuid.is_null() || it->second->def.uuid == dom.uuid))
        return it->second;
    if (!dom.uuid.is_null())
        for (const auto& [name, d] : domains_)
            if (d->def.uuid == dom.uuid) return d;
    return nullptr;
}

Result<KvmDomainDriver::DomainPtr> KvmDomainDriver::get(const DomainRef& dom) const {
    std::lock_guard lock(mu_);
    if (DomainPtr d = find_locked(dom)) return d;
    return no_domain("uuid", dom.uuid.format());
}

Result<KvmDomainDriver::DomainPtr> KvmDomainDriver::get_active(const DomainRef& dom) const {
    Result<DomainPtr> d = get(dom);
    if (!d) return d;
    std::lock_guard lock(mu_);
    if (!(*d)->active()) return not_running();
    return d;
}

// Fills in what libvirt fills in at define time (uuid, a MAC per NIC) and checks the name and
// uuid against the other domains.
Status KvmDomainDriver::check_new(conf::DomainDef& def) const {
    if (def.uuid.is_null()) def.uuid = Uuid::generate();
    def.id.reset();
    for (conf::InterfaceDef& n : def.devices.interfaces)
        if (!n.mac) n.mac = MacAddress::generate();
    for (const auto& [name, d] : domains_) {
        if (name == def.name && d->def.uuid != def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Qemu,
                              "domain '{}' already exists with uuid {}", name,
                              d->def.uuid.format());
        if (name != def.name && d->def.uuid == def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Qemu,
                              "domain '{}' is already defined with uuid {}", name,
                              def.uuid.format());
    }
    return {};
}

Result<DomainRef> KvmDomainDriver::define_xml(std::string_view xml) {
    Result<conf::DomainDef> def = conf::DomainDef::parse(xml);
    if (!def) return def.error();
    std::lock_guard write_lock(write_mu_);
    bool autostart = false;
    {
        std::lock_guard lock(mu_);
        if (Status s = check_new(*def); !s) return s.error();
        if (auto it = domains_.find(def->name); it != domains_.end())
            autostart = it->second->autostart;
    }
    // Written before memory changes: a failed write leaves nothing behind.
    if (Status s = store_.save(def->name, def->format(), autostart); !s) return s.error();
    std::lock_guard lock(mu_);
    auto [it, added] = domains_.try_emplace(def->name);
    if (added) it->second = std::make_shared<Domain>();
    Domain& d = *it->second;
    // A running domain keeps its live definition; the new one applies from the next start.
    d.def = std::move(*def);
    d.persistent = true;
    emit(d.ref(), domain_event::kDefined, added ? 0 : 1);
    return d.ref();
}

Result<DomainRef> KvmDomainDriver::create_xml(std::string_view xml, unsigned flags) {
    Result<conf::DomainDef> def = conf::DomainDef::parse(xml);
    if (!def) return def.error();
    DomainPtr d;
    {
        std::lock_guard lock(mu_);
        if (Status s = check_new(*def); !s) return s.error();
        if (auto it = domains_.find(def->name); it != domains_.end()) {
            if (it->second->active())
                return invalid(fmt::format("domain '{}' is already running", def->name));
            return invalid(
                fmt::format("domain '{}' is already defined; start it instead", def->name));
        }
        d = std::make_shared<Domain>();
        d->def = *def;
        d->persistent = false;
        domains_[def->name] = d;
    }
    std::lock_guard job(d->job);
    int32_t id;
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
    }
    if (Status s = launch(d, *def, id, LaunchMode{}); !s) {
        std::lock_guard lock(mu_);
        d->removed = true;
        domains_.erase(d->def.name);
        return s.error();
    }
    (void)flags;
    std::lock_guard lock(mu_);
    emit(d->ref(), domain_event::kStarted, 0);
    return d->ref();
}

Status KvmDomainDriver::undefine(const DomainRef& dom, unsigned flags) {
    constexpr unsigned kUndefineManagedSave = 1;
    Result<DomainPtr> d = get(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::lock_guard write_lock(write_mu_);
    std::lock_guard lock(mu_);
    Domain& x = **d;
    if (!x.persistent) return invalid("cannot undefine transient domain");
    const std::string save = managed_save_path(x.def.name);
    if (::access(save.c_str(), F_OK) == 0) {
        if (!(flags & kUndefineManagedSave))
            return invalid("Refusing to undefine while domain managed save image exists");
        ::unlink(save.c_str());
    }
    store_.forget(x.def.name);
    emit(x.ref(), domain_event::kUndefined, 0);
    x.autostart = false;
    if (x.active()) {
        x.persistent = false; // it lives on until it stops
    } else {
        x.removed = true;
        domains_.erase(x.def.name);
    }
    return {};
}

Result<std::vector<DomainRef>> KvmDomainDriver::list_all(unsigned flags) {
    std::lock_guard lock(mu_);
    std::vector<DomainRef> out;
    out.reserve(domains_.size());
    for (const auto& [name, d] : domains_) {
        if ((flags & (kListActive | kListInactive)) &&
            !((flags & kListActive && d->active()) || (flags & kListInactive && !d->active())))
            continue;
        if ((flags & (kListPersistent | kListTransient)) &&
            !((flags & kListPersistent && d->persistent) ||
              (flags & kListTransient && !d->persistent)))
            continue;
        out.push_back(d->ref());
    }
    return out;
}

Result<DomainRef> KvmDomainDriver::lookup_by_name(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = domains_.find(std::string(name));
    if (it == domains_.end()) return no_domain("name", name);
    return it->second->ref();
}

Result<DomainRef> KvmDomainDriver::lookup_by_uuid(const Uuid& uuid) {
    std::lock_guard lock(mu_);
    for (const auto& [name, d] : domains_)
        if (d->def.uuid == uuid) return d->ref();
    return no_domain("uuid", uuid.format());
}

Result<DomainRef> KvmDomainDriver::lookup_by_id(int32_t id) {
    std::lock_guard lock(mu_);
    for (const auto& [name, d] : domains_)
        if (d->active() && d->id == id) return d->ref();
    return no_domain("id", std::to_string(id));
}

Result<std::string> KvmDomainDriver::get_xml(const DomainRef& dom, unsigned flags) {
    constexpr unsigned kXmlInactive = 2;
    std::lock_guard lock(mu_);
    DomainPtr d = find_locked(dom);
    if (!d) return no_domain("uuid", dom.uuid.format());
    if (d->live && !(flags & kXmlInactive)) {
        conf::DomainDef live = *d->live;
        live.id = d->id;
        return live.format();
    }
    return d->def.format();
}

Result<DomainInfo> KvmDomainDriver::get_info(const DomainRef& dom) {
    std::shared_ptr<Guest> guest;
    DomainInfo info;
    {
        std::lock_guard lock(mu_);
        DomainPtr d = find_locked(dom);
        if (!d) return no_domain("uuid", dom.uuid.format());
        const conf::DomainDef& def = d->live ? *d->live : d->def;
        info.state = d->state;
        info.max_memory_kib = def.memory / 1024;
        info.memory_kib = def.current_memory.value_or(def.memory) / 1024;
        info.vcpus = static_cast<uint16_t>(def.vcpu.current.value_or(def.vcpu.max));
        guest = d->guest;
    }
    if (guest) {
        if (Result<uint64_t> t = guest->cpu_time_ns()) info.cpu_time_ns = *t;
        // Without a balloon the VMM answers DeviceNotFound and the definition's size stands.
        if (Result<nlohmann::json> b = guest->command("query-balloon"))
            info.memory_kib = b->value("actual", info.memory_kib * 1024) / 1024;
    }
    return info;
}

Result<DomainStateReason> KvmDomainDriver::get_state(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    DomainPtr d = find_locked(dom);
    if (!d) return no_domain("uuid", dom.uuid.format());
    return DomainStateReason{d->state, d->reason};
}

Result<bool> KvmDomainDriver::is_active(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    DomainPtr d = find_locked(dom);
    if (!d) return no_domain("uuid", dom.uuid.format());
    return d->active();
}

Result<bool> KvmDomainDriver::is_persistent(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    DomainPtr d = find_locked(dom);
    if (!d) return no_domain("uuid", dom.uuid.format());
    return d->persistent;
}

Result<bool> KvmDomainDriver::get_autostart(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    DomainPtr d = find_locked(dom);
    if (!d) return no_domain("uuid", dom.uuid.format());
    return d->autostart;
}

Status KvmDomainDriver::set_autostart(const DomainRef& dom, bool autostart) {
    std::lock_guard write_lock(write_mu_);
    DomainPtr d;
    {
        std::lock_guard lock(mu_);
        d = find_locked(dom);
        if (!d) return no_domain("uuid", dom.uuid.format());
        if (!d->persistent) return invalid("cannot set autostart for transient domain");
        if (d->autostart == autostart) return {};
    }
    std::string xml;
    {
        std::lock_guard lock(mu_);
        xml = d->def.format();
    }
    if (Status s = store_.save(d->def.name, xml, autostart); !s) return s;
    std::lock_guard lock(mu_);
    d->autostart = autostart;
    return {};
}

} // namespace virtd::kvm
