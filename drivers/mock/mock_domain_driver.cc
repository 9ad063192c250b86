#include "drivers/mock/mock_domain_driver.h"

#include "common/file.h"
#include "common/log.h"
#include "drivers/domain_errors.h"

namespace virtd {
using domain_errors::invalid;
using domain_errors::no_domain;

MockDomainDriver::MockDomainDriver(const std::string& state_dir)
    : store_(state_dir.empty() ? "" : path_join(state_dir, "mock/domains"), "domain") {
    std::lock_guard lock(mu_);
    load();
}

void MockDomainDriver::load() {
    for (DefinitionStore::Entry& e : store_.load()) {
        Result<conf::DomainDef> def = conf::DomainDef::parse(e.text);
        if (!def) {
            // Kept on disk untouched: a definition is never lost to a bad read.
            log::error("mock", "skipping '{}': {}", e.path, def.error().message());
            continue;
        }
        Domain& dom = domains_[def->name];
        dom.def = std::move(*def);
        dom.persistent = true;
        dom.autostart = e.autostart;
        if (dom.autostart) start_locked(dom);
    }
}

DefinitionStore::Write MockDomainDriver::write_of(const Domain& d) const {
    return {d.def.name, d.def.format(), d.autostart};
}

Status MockDomainDriver::change(const DomainRef& dom, const std::function<Status(Domain&)>& fn) {
    std::lock_guard write_lock(write_mu_);
    std::optional<DefinitionStore::Write> write;
    {
        std::lock_guard lock(mu_);
        Result<Domain*> d = find_or_error(dom);
        if (!d) return d.error();
        std::string name = (*d)->def.name;
        if (Status s = fn(**d); !s) return s;
        // Looked up again: `fn` may have stopped, and so removed, a transient domain.
        if (auto it = domains_.find(name); it != domains_.end() && it->second.persistent)
            write = write_of(it->second);
    }
    return write ? store_.save(*write) : Status{};
}

void MockDomainDriver::forget(const std::string& name) {
    store_.forget(name);
}

MockDomainDriver::Domain* MockDomainDriver::find(const DomainRef& dom) {
    auto it = domains_.find(dom.name);
    if (it != domains_.end() && (dom.uuid.is_null() || it->second.def.uuid == dom.uuid))
        return &it->second;
    for (auto& [name, d] : domains_)
        if (!dom.uuid.is_null() && d.def.uuid == dom.uuid) return &d;
    return nullptr;
}

Result<MockDomainDriver::Domain*> MockDomainDriver::find_or_error(const DomainRef& dom) {
    if (Domain* d = find(dom)) return d;
    return no_domain("uuid", dom.uuid.format());
}

Status MockDomainDriver::check_add(conf::DomainDef& def, bool persistent) {
    if (def.uuid.is_null()) def.uuid = Uuid::generate();
    def.id.reset();
    for (auto& [name, d] : domains_) {
        if (name == def.name && d.def.uuid != def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Dom,
                              "domain '{}' already exists with uuid {}", name, d.def.uuid.format());
        if (name != def.name && d.def.uuid == def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Dom,
                              "domain '{}' is already defined with uuid {}", name,
                              def.uuid.format());
    }
    if (auto it = domains_.find(def.name);
        it != domains_.end() && it->second.active() && !persistent)
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::Dom,
                          "domain '{}' is already active", def.name);
    return {};
}

Result<MockDomainDriver::Domain*> MockDomainDriver::add(conf::DomainDef def, bool persistent) {
    if (Status s = check_add(def, persistent); !s) return s.error();
    auto [it, inserted] = domains_.try_emplace(def.name);
    Domain& d = it->second;
    d.def = std::move(def);
    d.persistent = inserted ? persistent : (d.persistent || persistent);
    return &d;
}

Result<DomainRef> MockDomainDriver::define_xml(std::string_view xml) {
    Result<conf::DomainDef> def = conf::DomainDef::parse(xml);
    if (!def) return def.error();
    // The file is written before memory changes and outside mu_: a failed write leaves nothing
    // behind, and lookups never wait for the fsync. write_mu_ keeps writers in order.
    std::lock_guard write_lock(write_mu_);
    bool autostart = false;
    {
        std::lock_guard lock(mu_);
        if (Status s = check_add(*def, true); !s) return s.error();
        if (auto it = domains_.find(def->name); it != domains_.end())
            autostart = it->second.autostart;
    }
    if (Status s = store_.save(def->name, def->format(), autostart); !s) return s.error();
    std::lock_guard lock(mu_);
    bool existed = domains_.count(def->name) != 0;
    Result<Domain*> d = add(std::move(*def), true);
    if (!d) return d.error();
    (*d)->persistent = true;
    emit((*d)->ref(), domain_event::kDefined, existed ? 1 : 0);
    return (*d)->ref();
}

Result<DomainRef> MockDomainDriver::create_xml(std::string_view xml, unsigned) {
    Result<conf::DomainDef> def = conf::DomainDef::parse(xml);
    if (!def) return def.error();
    std::lock_guard write_lock(write_mu_);
    std::lock_guard lock(mu_);
    if (auto it = domains_.find(def->name); it != domains_.end() && it->second.active())
        return invalid(fmt::format("domain '{}' is already running", def->name));
    Result<Domain*> d = add(std::move(*def), false);
    if (!d) return d.error();
    start_locked(**d);
    emit((*d)->ref(), domain_event::kStarted, 0);
    return (*d)->ref();
}

Status MockDomainDriver::undefine(const DomainRef& dom, unsigned flags) {
    constexpr unsigned kUndefineManagedSave = 1, kUndefineSnapshotsMetadata = 2;
    std::lock_guard write_lock(write_mu_);
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->persistent) return invalid("cannot undefine transient domain");
    if ((*d)->managed_save && !(flags & kUndefineManagedSave))
        return invalid("Refusing to undefine while domain managed save image exists");
    if (!(*d)->snapshots.empty() && !(flags & kUndefineSnapshotsMetadata))
        return invalid(
            fmt::format("cannot delete inactive domain with {} snapshots", (*d)->snapshots.size()));
    emit((*d)->ref(), domain_event::kUndefined, 0);
    forget((*d)->def.name);
    (*d)->autostart = false;
    if ((*d)->active())
        (*d)->persistent = false; // it lives on until it stops
    else
        domains_.erase((*d)->def.name);
    return {};
}

Result<std::vector<DomainRef>> MockDomainDriver::list_all(unsigned flags) {
    std::lock_guard lock(mu_);
    std::vector<DomainRef> out;
    out.reserve(domains_.size());
    for (const auto& [name, d] : domains_) {
        if ((flags & (kListActive | kListInactive)) &&
            !((flags & kListActive && d.active()) || (flags & kListInactive && !d.active())))
            continue;
        if ((flags & (kListPersistent | kListTransient)) &&
            !((flags & kListPersistent && d.persistent) ||
              (flags & kListTransient && !d.persistent)))
            continue;
        out.push_back(d.ref());
    }
    return out;
}

Result<DomainRef> MockDomainDriver::lookup_by_name(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = domains_.find(std::string(name));
    if (it == domains_.end()) return no_domain("name", name);
    return it->second.ref();
}

Result<DomainRef> MockDomainDriver::lookup_by_uuid(const Uuid& uuid) {
    std::lock_guard lock(mu_);
    for (const auto& [name, d] : domains_)
        if (d.def.uuid == uuid) return d.ref();
    return no_domain("uuid", uuid.format());
}

Result<DomainRef> MockDomainDriver::lookup_by_id(int32_t id) {
    std::lock_guard lock(mu_);
    for (const auto& [name, d] : domains_)
        if (d.active() && d.id == id) return d.ref();
    return no_domain("id", std::to_string(id));
}

void MockDomainDriver::start_locked(Domain& d) {
    d.id = next_id_++;
    d.state = DomainState::Running;
    d.running_since = Clock::now();
}

void MockDomainDriver::stop_locked(Domain& d) {
    if (d.state == DomainState::Running) d.cpu_time += Clock::now() - d.running_since;
    if (!d.persistent) {
        domains_.erase(d.def.name);
        return;
    }
    d.id = -1;
    d.state = DomainState::Shutoff;
}

Result<DomainRef> MockDomainDriver::start(const DomainRef& dom, unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if ((*d)->active()) return invalid("domain is already running");
    start_locked(**d);
    int32_t detail = 0;
    if ((*d)->managed_save) {
        // Like libvirt, a start resumes from the managed save image and consumes it.
        (*d)->state = *(*d)->managed_save;
        (*d)->managed_save.reset();
        detail = domain_event::kStartedRestored;
    }
    emit((*d)->ref(), domain_event::kStarted, detail);
    return (*d)->ref();
}

Status MockDomainDriver::stop(const DomainRef& dom, int32_t detail) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return invalid("domain is not running");
    stop_with_event(**d, detail);
    return {};
}

void MockDomainDriver::stop_with_event(Domain& d, int32_t detail) {
    DomainRef stopped = d.ref();
    stopped.id = -1;
    stop_locked(d);
    emit(stopped, domain_event::kStopped, detail);
}

Status MockDomainDriver::destroy(const DomainRef& dom, unsigned) {
    return stop(dom, 1);
}

// The mock guest always agrees to power off, at once.
Status MockDomainDriver::shutdown(const DomainRef& dom, unsigned) {
    return stop(dom, 0);
}

Status MockDomainDriver::suspend(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return invalid("domain is not running");
    if ((*d)->state == DomainState::Running) {
        (*d)->cpu_time += Clock::now() - (*d)->running_since;
        (*d)->state = DomainState::Paused;
        emit((*d)->ref(), domain_event::kSuspended, 0);
    }
    return {};
}

Status MockDomainDriver::resume(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return invalid("domain is not running");
    if ((*d)->state != DomainState::Paused) return invalid("domain is not paused");
    (*d)->state = DomainState::Running;
    (*d)->running_since = Clock::now();
    emit((*d)->ref(), domain_event::kResumed, 0);
    return {};
}

Result<std::string> MockDomainDriver::get_xml(const DomainRef& dom, unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    conf::DomainDef def = (*d)->def;
    if ((*d)->active()) def.id = (*d)->id;
    return def.format();
}

Result<DomainInfo> MockDomainDriver::get_info(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    const conf::DomainDef& def = (*d)->def;
    DomainInfo info;
    info.state = (*d)->state;
    info.max_memory_kib = def.memory / 1024;
    info.memory_kib = def.current_memory.value_or(def.memory) / 1024;
    info.vcpus = static_cast<uint16_t>(def.vcpu.current.value_or(def.vcpu.max));
    std::chrono::nanoseconds cpu = (*d)->cpu_time;
    if ((*d)->state == DomainState::Running) cpu += Clock::now() - (*d)->running_since;
    info.cpu_time_ns = static_cast<uint64_t>(cpu.count());
    return info;
}

Result<bool> MockDomainDriver::is_active(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    return (*d)->active();
}

Result<bool> MockDomainDriver::get_autostart(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    return (*d)->autostart;
}

Status MockDomainDriver::set_autostart(const DomainRef& dom, bool autostart) {
    return change(dom, [autostart](Domain& d) -> Status {
        if (!d.persistent) return invalid("cannot set autostart for transient domain");
        d.autostart = autostart;
        return {};
    });
}

Result<bool> MockDomainDriver::is_persistent(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    return (*d)->persistent;
}

} // namespace virtd
