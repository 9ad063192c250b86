// KvmDomainDriver: save and restore (virsh save / restore) and managed save. A save image is the
// VMM's own state file (drivers/kvm/vmm/STATE.md: versioned, every section checksummed) with the
// domain's live definition in its "note" section, so `restore FILE` needs nothing else.
#include <cerrno>
#include <ctime>

#include <nlohmann/json.hpp>
#include <sys/random.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "drivers/domain_errors.h"
#include "drivers/kvm/kvm_domain_driver.h"
#include "drivers/kvm/vmm/state_file.h"

namespace virtd::kvm {
using domain_errors::invalid;
using domain_errors::not_running;
using Json = nlohmann::json;
namespace reason = state_reason;

namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;
constexpr unsigned kSaveRunning = 2, kSavePaused = 4; // virDomainSaveRestoreFlags

// What the daemon keeps in a save image's note.
struct SaveNote {
    std::string xml; // the live definition
    bool paused = false;
    std::string token; // the save's JobRecord token
};

Result<SaveNote> read_note(const std::string& path) {
    Result<std::string> text = vmm::read_state_note(path);
    if (!text) return text.error();
    Json j = Json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("domain") || !j["domain"].is_string())
        return make_error(ErrorCode::OperationFailed, kDom,
                          "'{}' is a VMM state file but not a virtd save image (no domain in it)",
                          path);
    return SaveNote{j["domain"].get<std::string>(), j.value("state", "") == "paused",
                    j.value("token", "")};
}

// A token no earlier save of this host used.
std::string new_token() {
    uint64_t r[2] = {0, 0};
    if (getrandom(r, sizeof r, 0) != sizeof r) r[0] = static_cast<uint64_t>(::time(nullptr));
    return fmt::format("{:016x}{:016x}", r[0], r[1]);
}

} // namespace

std::string KvmDomainDriver::managed_save_path(const std::string& name) const {
    return path_join(path_join(config_.state_dir, "save"), name + ".save");
}

bool KvmDomainDriver::save_finished(const JobRecord& job) {
    Result<SaveNote> note = read_note(job.path);
    return note && note->token == job.token;
}

Status KvmDomainDriver::save_locked(const DomainPtr& d, const std::string& path, unsigned flags) {
    if (path.empty() || path.front() != '/')
        return make_error(ErrorCode::InvalidArg, kDom, "save file '{}' is not an absolute path",
                          path);
    std::shared_ptr<Guest> g;
    Json note;
    JobRecord job;
    job.kind = JobRecord::Kind::Save;
    job.path = path;
    job.token = new_token();
    note["token"] = job.token;
    std::string dir;
    {
        std::lock_guard lock(mu_);
        if (!d->active()) return not_running();
        g = d->guest;
        dir = run_dir_of(d->def.name);
        conf::DomainDef live = *d->live;
        note["domain"] = live.format();
        bool paused = d->state == DomainState::Paused;
        if (flags & kSaveRunning) paused = false;
        if (flags & kSavePaused) paused = true;
        note["state"] = paused ? "paused" : "running";
    }
    // A daemon killed during the save learns from this whether the save reached its file.
    if (Status s = write_job_record(dir, job); !s) return s;
    Result<Json> r =
        g->command("save-state", {{"path", path}, {"note", note.dump()}}, kSaveTimeout);
    if (!r) {
        remove_job_record(dir); // the VMM resumed the guest if it was running
        return r.error();
    }
    // Everything is on disk (the VMM fsynced the file and drained the disks), so the VMM may go.
    g->kill();
    stopped(d, domain_event::kStoppedSaved, reason::kShutoffSaved);
    return {};
}

Status KvmDomainDriver::save(const DomainRef& dom, const std::string& path, unsigned flags) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    return save_locked(*d, path, flags);
}

Status KvmDomainDriver::restore_into(const DomainPtr& d, conf::DomainDef live,
                                     const std::string& path, unsigned flags, bool saved_paused,
                                     bool consume) {
    int32_t id;
    {
        std::lock_guard lock(mu_);
        if (d->active()) return invalid(fmt::format("domain '{}' is already active", live.name));
        id = next_id_++;
    }
    LaunchMode mode;
    mode.incoming = path;
    if (consume) mode.consume_image = path;
    mode.paused = (flags & kSavePaused) || (saved_paused && !(flags & kSaveRunning));
    mode.reason = reason::kRunningRestored;
    if (Status s = launch(d, std::move(live), id, mode); !s) return s;
    DomainRef ref;
    {
        std::lock_guard lock(mu_);
        ref = d->ref();
    }
    emit(ref, domain_event::kStarted, domain_event::kStartedRestored);
    if (mode.paused) emit(ref, domain_event::kSuspended, domain_event::kSuspendedPaused);
    return {};
}

Status KvmDomainDriver::restore(const std::string& path, unsigned flags) {
    Result<SaveNote> note = read_note(path);
    if (!note) return note.error();
    Result<conf::DomainDef> live = conf::DomainDef::parse(note->xml);
    if (!live) return live.error().with_context(fmt::format("the definition in '{}'", path));
    DomainPtr d;
    bool added = false;
    {
        std::lock_guard lock(mu_);
        auto it = domains_.find(live->name);
        if (it != domains_.end()) {
            if (it->second->def.uuid != live->uuid)
                return make_error(ErrorCode::OperationFailed, kDom,
                                  "domain '{}' already exists with uuid {}", live->name,
                                  it->second->def.uuid.format());
            d = it->second;
        } else {
            for (const auto& [name, other] : domains_)
                if (other->def.uuid == live->uuid)
                    return make_error(ErrorCode::OperationFailed, kDom,
                                      "domain '{}' is already defined with uuid {}", name,
                                      live->uuid.format());
            // Not defined here: it comes back as a transient domain, as in libvirt.
            d = std::make_shared<Domain>();
            d->def = *live;
            d->persistent = false;
            domains_[live->name] = d;
            added = true;
        }
    }
    std::lock_guard job(d->job);
    Status s = restore_into(d, std::move(*live), path, flags, note->paused);
    if (!s && added) {
        std::lock_guard lock(mu_);
        d->removed = true;
        if (auto it = domains_.find(d->def.name); it != domains_.end() && it->second == d)
            domains_.erase(it);
    }
    return s;
}

Status KvmDomainDriver::restore_managed(const DomainPtr& d, const std::string& image, bool paused) {
    Result<SaveNote> note = read_note(image);
    if (!note) return note.error();
    Result<conf::DomainDef> live = conf::DomainDef::parse(note->xml);
    if (!live) return live.error().with_context(fmt::format("the definition in '{}'", image));
    {
        std::lock_guard lock(mu_);
        if (live->uuid != d->def.uuid)
            return make_error(ErrorCode::OperationFailed, kDom,
                              "managed save image '{}' belongs to another domain (uuid {})", image,
                              live->uuid.format());
    }
    return restore_into(d, std::move(*live), image, paused ? kSavePaused : 0, note->paused, true);
}

Status KvmDomainDriver::managed_save(const DomainRef& dom, unsigned flags) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::string name;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->persistent) return invalid("cannot do managed save for transient domain");
        name = (*d)->def.name;
    }
    if (Status s = make_dirs(path_join(config_.state_dir, "save"), 0700); !s) return s;
    return save_locked(*d, managed_save_path(name), flags);
}

Result<bool> KvmDomainDriver::has_managed_save(const DomainRef& dom) {
    Result<DomainPtr> d = get(dom);
    if (!d) return d.error();
    std::string name;
    {
        std::lock_guard lock(mu_);
        name = (*d)->def.name;
    }
    return ::access(managed_save_path(name).c_str(), F_OK) == 0;
}

Status KvmDomainDriver::managed_save_remove(const DomainRef& dom) {
    Result<DomainPtr> d = get(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::string path;
    {
        std::lock_guard lock(mu_);
        path = managed_save_path((*d)->def.name);
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return system_error(kDom, errno, fmt::format("removing the managed save image '{}'", path));
    return {};
}

} // namespace virtd::kvm
