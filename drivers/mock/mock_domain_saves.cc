// MockDomainDriver: save/restore (to a file and managed) and snapshots of mock domains. A mock
// guest has no memory to keep, so an image holds its definition and its run state, and a
// snapshot holds the definition and state to go back to.
#include <ctime>
#include <set>

#include "common/file.h"
#include "drivers/domain_errors.h"
#include "drivers/mock/mock_domain_driver.h"

namespace virtd {
using domain_errors::invalid;
using domain_errors::not_running;

namespace {

constexpr std::string_view kSaveMagic = "virtd-mock-save 1";

Error no_snapshot(std::string_view name) {
    return make_error(ErrorCode::NoDomainSnapshot, ErrorDomain::DomainSnapshot,
                      "no domain snapshot with matching name '{}'", name);
}

// virDomainSnapshotCreateFlags, virDomainSnapshotListFlags, virDomainSnapshotRevertFlags and
// virDomainSnapshotDeleteFlags that the mock acts on.
constexpr unsigned kCreateRedefine = 1, kCreateNoMetadata = 4, kCreateHalt = 8,
                   kCreateDiskOnly = 16;
constexpr unsigned kSnapListRoots = 1, kSnapListLeaves = 4, kSnapListNoLeaves = 8,
                   kSnapListNoMetadata = 16, kSnapListInactive = 32, kSnapListActive = 64,
                   kSnapListDiskOnly = 128, kSnapListInternal = 256, kSnapListExternal = 512;
constexpr unsigned kRevertRunning = 1, kRevertPaused = 2;
constexpr unsigned kDeleteChildren = 1, kDeleteChildrenOnly = 4;

conf::SnapshotState snapshot_state(DomainState s) {
    switch (s) {
    case DomainState::Running:
        return conf::SnapshotState::Running;
    case DomainState::Paused:
        return conf::SnapshotState::Paused;
    default:
        return conf::SnapshotState::Shutoff;
    }
}

} // namespace

// ---- save and restore --------------------------------------------------------------------------

Status MockDomainDriver::save(const DomainRef& dom, const std::string& path, unsigned) {
    // The image is written with no lock held; the domain stops only if it is still the same
    // running instance afterwards.
    std::string image;
    int32_t id = -1;
    {
        std::lock_guard lock(mu_);
        Result<Domain*> d = find_or_error(dom);
        if (!d) return d.error();
        if (!(*d)->active()) return not_running();
        std::string state = (*d)->state == DomainState::Paused ? "paused" : "running";
        image = fmt::format("{} {}\n{}", kSaveMagic, state, (*d)->def.format());
        id = (*d)->id;
    }
    if (Status s = write_file_atomic(path, image); !s) return s;
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if ((*d)->id != id) return invalid("domain changed state while it was being saved");
    stop_with_event(**d, domain_event::kStoppedSaved);
    return {};
}

Status MockDomainDriver::restore(const std::string& path, unsigned) {
    Result<std::string> image = read_file(path);
    if (!image) return image.error();
    size_t eol = image->find('\n');
    std::string_view head = std::string_view(*image).substr(0, eol);
    if (eol == std::string::npos || !head.starts_with(kSaveMagic))
        return make_error(ErrorCode::OperationFailed, ErrorDomain::Dom,
                          "'{}' is not a mock domain save image", path);
    bool paused = head.ends_with(" paused");
    Result<conf::DomainDef> def = conf::DomainDef::parse(std::string_view(*image).substr(eol + 1));
    if (!def) return def.error().with_context(fmt::format("save image '{}'", path));
    std::lock_guard lock(mu_);
    if (auto it = domains_.find(def->name); it != domains_.end() && it->second.active())
        return invalid(fmt::format("domain '{}' is already active", def->name));
    Result<Domain*> d = add(std::move(*def), false);
    if (!d) return d.error();
    start_locked(**d);
    if (paused) (*d)->state = DomainState::Paused;
    emit((*d)->ref(), domain_event::kStarted, domain_event::kStartedRestored);
    return {};
}

Status MockDomainDriver::managed_save(const DomainRef& dom, unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    if (!(*d)->persistent) return invalid("cannot do managed save for transient domain");
    (*d)->managed_save = (*d)->state;
    stop_with_event(**d, domain_event::kStoppedSaved);
    return {};
}

Result<bool> MockDomainDriver::has_managed_save(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    return (*d)->managed_save.has_value();
}

Status MockDomainDriver::managed_save_remove(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    (*d)->managed_save.reset();
    return {};
}

// ---- snapshots ---------------------------------------------------------------------------------

MockDomainDriver::Snapshot* MockDomainDriver::find_snapshot(Domain& d, const std::string& name) {
    for (Snapshot& s : d.snapshots)
        if (s.def.name == name) return &s;
    return nullptr;
}

Result<std::string> MockDomainDriver::snapshot_create(const DomainRef& dom, std::string_view xml,
                                                      unsigned flags) {
    if (flags & (kCreateRedefine | kCreateNoMetadata))
        return make_error(ErrorCode::ArgumentUnsupported, ErrorDomain::DomainSnapshot,
                          "the mock driver keeps snapshot metadata itself: flags {:#x} are not "
                          "supported",
                          flags & (kCreateRedefine | kCreateNoMetadata));
    Result<conf::DomainSnapshotDef> def = conf::DomainSnapshotDef::parse(xml);
    if (!def) return def.error();
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    Snapshot snap;
    snap.def = std::move(*def);
    snap.def.creation_time = static_cast<int64_t>(time(nullptr));
    if (!snap.def.name) snap.def.name = std::to_string(*snap.def.creation_time);
    if (find_snapshot(**d, *snap.def.name))
        return invalid(fmt::format("snapshot '{}' already exists", *snap.def.name));
    snap.def.state =
        (flags & kCreateDiskOnly) ? conf::SnapshotState::DiskSnapshot : snapshot_state((*d)->state);
    if (!snap.def.memory)
        snap.def.memory = (*d)->active() && !(flags & kCreateDiskOnly)
                              ? conf::SnapshotMemory::Internal
                              : conf::SnapshotMemory::No;
    snap.def.parent = (*d)->current_snapshot;
    snap.domain = (*d)->def;
    std::string name = *snap.def.name;
    (*d)->snapshots.push_back(std::move(snap));
    (*d)->current_snapshot = name;
    if ((flags & kCreateHalt) && (*d)->active())
        stop_with_event(**d, domain_event::kStoppedFromSnapshot);
    return name;
}

Result<std::vector<std::string>> MockDomainDriver::snapshot_list(const DomainRef& dom,
                                                                 unsigned flags) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    std::vector<std::string> out;
    if (flags & kSnapListNoMetadata) return out; // every mock snapshot has metadata
    std::set<std::string> parents;
    for (const Snapshot& s : (*d)->snapshots)
        if (s.def.parent) parents.insert(*s.def.parent);
    for (const Snapshot& s : (*d)->snapshots) {
        bool leaf = !parents.count(*s.def.name);
        bool active = s.def.state != conf::SnapshotState::Shutoff;
        bool disk_only = s.def.state == conf::SnapshotState::DiskSnapshot;
        if ((flags & kSnapListRoots) && s.def.parent) continue;
        if ((flags & (kSnapListLeaves | kSnapListNoLeaves)) &&
            !((flags & kSnapListLeaves && leaf) || (flags & kSnapListNoLeaves && !leaf)))
            continue;
        if ((flags & (kSnapListInactive | kSnapListActive | kSnapListDiskOnly)) &&
            !((flags & kSnapListInactive && !active) ||
              (flags & kSnapListActive && active && !disk_only) ||
              (flags & kSnapListDiskOnly && disk_only)))
            continue;
        if ((flags & (kSnapListInternal | kSnapListExternal)) && !(flags & kSnapListInternal))
            continue;
        out.push_back(*s.def.name);
    }
    return out;
}

Result<std::string> MockDomainDriver::snapshot_xml(const DomainRef& dom, const std::string& name,
                                                   unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    Snapshot* s = find_snapshot(**d, name);
    if (!s) return no_snapshot(name);
    conf::DomainSnapshotDef out = s->def;
    out.domain_xml = s->domain.format();
    return out.format();
}

Result<std::optional<std::string>> MockDomainDriver::snapshot_current(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    return (*d)->current_snapshot;
}

Status MockDomainDriver::snapshot_revert(const DomainRef& dom, const std::string& name,
                                         unsigned flags) {
    return change(dom, [&](Domain& dm) -> Status {
        Snapshot* s = find_snapshot(dm, name);
        if (!s) return no_snapshot(name);
        conf::SnapshotState target = *s->def.state;
        if (flags & kRevertRunning) target = conf::SnapshotState::Running;
        if (flags & kRevertPaused) target = conf::SnapshotState::Paused;
        dm.def = s->domain;
        dm.current_snapshot = name;
        bool run = target == conf::SnapshotState::Running || target == conf::SnapshotState::Paused;
        if (run) {
            if (!dm.active()) {
                start_locked(dm);
                emit(dm.ref(), domain_event::kStarted, domain_event::kStartedFromSnapshot);
            }
            if (target == conf::SnapshotState::Paused && dm.state == DomainState::Running) {
                dm.cpu_time += Clock::now() - dm.running_since;
                dm.state = DomainState::Paused;
            } else if (target == conf::SnapshotState::Running && dm.state == DomainState::Paused) {
                dm.state = DomainState::Running;
                dm.running_since = Clock::now();
            }
        } else if (dm.active()) {
            stop_with_event(dm, domain_event::kStoppedFromSnapshot); // may erase a transient dm
        }
        return {};
    });
}

Status MockDomainDriver::snapshot_delete(const DomainRef& dom, const std::string& name,
                                         unsigned flags) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    Domain& dm = **d;
    Snapshot* s = find_snapshot(dm, name);
    if (!s) return no_snapshot(name);
    std::optional<std::string> parent = s->def.parent;
    // The names to remove: the snapshot, its descendants, or both.
    std::set<std::string> descendants;
    for (bool grew = true; grew;) {
        grew = false;
        for (const Snapshot& x : dm.snapshots)
            if (x.def.parent && (*x.def.parent == name || descendants.count(*x.def.parent)) &&
                descendants.insert(*x.def.name).second)
                grew = true;
    }
    std::set<std::string> gone;
    if (!(flags & kDeleteChildrenOnly)) gone.insert(name);
    if (flags & (kDeleteChildren | kDeleteChildrenOnly))
        gone.insert(descendants.begin(), descendants.end());
    std::vector<Snapshot> kept;
    for (Snapshot& x : dm.snapshots) {
        if (gone.count(*x.def.name)) continue;
        if (x.def.parent && gone.count(*x.def.parent)) x.def.parent = parent; // reparented
        kept.push_back(std::move(x));
    }
    dm.snapshots = std::move(kept);
    if (dm.current_snapshot && gone.count(*dm.current_snapshot))
        dm.current_snapshot = gone.count(name) ? parent : std::optional<std::string>(name);
    return {};
}

} // namespace virtd
