// KvmDomainDriver: starting and stopping guests, watching their VMMs, acting on how they end
// (on_poweroff / on_reboot / on_crash), and re-attaching after a daemon restart.
#include <cerrno>

#include <dirent.h>
#include <unistd.h>

#include "common/file.h"
#include "common/host.h"
#include "common/log.h"
#include "drivers/domain_errors.h"
#include "drivers/kvm/guest_agent.h"
#include "drivers/kvm/job_record.h"
#include "drivers/kvm/kvm_domain_driver.h"

namespace virtd::kvm {
using domain_errors::invalid;
using domain_errors::not_running;
namespace reason = state_reason;

namespace {

constexpr const char* kLiveXml = "domain.xml";
constexpr const char* kLaunchJson = "launch.json";

} // namespace

std::string KvmDomainDriver::run_dir_of(const std::string& name) const {
    return path_join(config_.run_dir, name);
}

// The sockets, pid file and records of a guest that no longer runs; its logs stay for a look
// afterwards (they are appended to by the next run).
void KvmDomainDriver::remove_run_files(const std::string& name) const {
    const std::string dir = run_dir_of(name);
    // The records first: without them a restarted daemon looks for nothing here, whatever else
    // a crash in the middle of this left behind.
    for (const char* record : {kLaunchJson, kLiveXml})
        ::unlink(path_join(dir, record).c_str());
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == ".." || (n.size() > 4 && n.ends_with(".log"))) continue;
        ::unlink(path_join(dir, n).c_str());
    }
    closedir(d);
}

HostFacts KvmDomainDriver::host_facts(const std::string& except) const {
    HostFacts h;
    if (Result<HostMemory> m = host_memory()) h.memory_kib = m->total_kib;
    h.cpus = host_cpus();
    if (config_.networks)
        if (Result<std::vector<NetworkRef>> nets = config_.networks->list_all(0))
            for (const NetworkRef& n : *nets) {
                Result<bool> active = config_.networks->is_active(n);
                h.networks[n.name] = active && *active;
            }
    std::lock_guard lock(mu_);
    for (const auto& [name, d] : domains_) {
        if (name == except || !d->live) continue;
        for (const conf::InterfaceDef& n : d->live->devices.interfaces)
            if (n.mac) h.macs_in_use.insert(n.mac->format());
    }
    return h;
}

Status KvmDomainDriver::launch(const DomainPtr& d, conf::DomainDef live, int32_t id,
                               const LaunchMode& mode) {
    const std::string& name = live.name;
    const std::string dir = run_dir_of(name);
    Result<VmmLaunch> plan = plan_launch(live, {dir, switches_.dir()}, host_facts(name));
    if (!plan) return plan.error();
    // Like libvirt, the running definition shows the socket chosen for a channel without a path.
    for (conf::ChardevDef& c : live.devices.channels)
        if (c.type == conf::ChardevType::Unix && !c.source_path && c.target_name)
            if (auto it = plan->channel_sockets.find(*c.target_name);
                it != plan->channel_sockets.end()) {
                c.source_path = it->second;
                c.source_mode = conf::UnixMode::Bind;
            }
    // Always paused at first: the daemon connects to the console before the guest prints.
    plan->argv.push_back("--start-paused");
    if (!mode.incoming.empty()) {
        plan->argv.push_back("--incoming");
        plan->argv.push_back(mode.incoming);
    }
    for (const conf::InterfaceDef& n : live.devices.interfaces)
        if (n.type == conf::InterfaceType::Network)
            if (Status s = switches_.ensure(n.network); !s) return s;
    if (Status s = make_dirs(dir, 0700); !s) return s;
    remove_run_files(name);

    // The records come before the VMM: a daemon killed at any instant after this finds the VMM,
    // or what is left of it, and knows what was being done (reattach()).
    JobRecord job;
    job.paused = mode.paused;
    job.consume_image = mode.consume_image;
    live.id = id;
    Status saved = write_run_file(path_join(dir, kLiveXml), live.format(), 0600);
    if (saved) saved = write_run_file(path_join(dir, kLaunchJson), launch_to_json(*plan), 0600);
    if (saved) saved = write_job_record(dir, job);
    live.id.reset();
    if (!saved) {
        remove_run_files(name);
        return saved;
    }
    Result<std::shared_ptr<Guest>> g = Guest::start(config_.vmm_binary, *plan);
    if (!g) {
        remove_run_files(name);
        return g.error();
    }
    if (!mode.paused)
        if (Result<nlohmann::json> r = (*g)->command("cont"); !r) {
            (*g)->kill();
            remove_run_files(name);
            return r.error();
        }
    // The guest runs from the image now: left behind, it would roll the guest back next start.
    if (!mode.consume_image.empty()) ::unlink(mode.consume_image.c_str());
    remove_job_record(dir);
    {
        std::lock_guard lock(mu_);
        d->live = std::move(live);
        d->id = id;
        d->guest = *g;
        d->state = mode.paused ? DomainState::Paused : DomainState::Running;
        d->reason = mode.paused ? reason::kPausedUser : mode.reason;
    }
    watch(d, *g);
    return {};
}

void KvmDomainDriver::watch(const DomainPtr& d, const std::shared_ptr<Guest>& g) {
    io_.post([this, d, g] {
        const int pidfd = g->pidfd();
        const int console = g->console_fd();
        if (console >= 0)
            (void)io_.add_fd(console, EPOLLIN, [this, g, console](uint32_t) {
                if (!g->on_console_readable()) io_.remove_fd(console);
            });
        (void)io_.add_fd(pidfd, EPOLLIN, [this, d, g, pidfd, console](uint32_t) {
            if (console >= 0) {
                (void)g->on_console_readable(); // the guest's last words
                io_.remove_fd(console);
            }
            io_.remove_fd(pidfd);
            workers_.submit([this, d, g] { on_exit(d, g); });
        });
    });
}

void KvmDomainDriver::stopped(const DomainPtr& d, int32_t detail, int32_t why) {
    std::shared_ptr<Guest> g;
    DomainRef ref;
    {
        std::lock_guard lock(mu_);
        g = std::move(d->guest);
        ref = d->ref();
        ref.id = -1;
        d->live.reset();
        d->id = -1;
        d->state = DomainState::Shutoff;
        d->reason = why;
        if (!d->persistent) {
            d->removed = true;
            if (auto it = domains_.find(d->def.name); it != domains_.end() && it->second == d)
                domains_.erase(it);
        }
    }
    if (g) g->close_console();
    remove_run_files(ref.name);
    emit(ref, domain_event::kStopped, detail);
}

void KvmDomainDriver::on_exit(const DomainPtr& d, const std::shared_ptr<Guest>& g) {
    std::lock_guard job(d->job);
    conf::DomainDef live;
    int32_t id;
    {
        std::lock_guard lock(mu_);
        if (d->guest != g) return; // destroyed, saved or replaced: already dealt with
        live = *d->live;
        id = d->id;
    }
    const Ending ending = g->ending();
    log::info("kvm", "domain '{}': VMM pid {} ended: {}", live.name, g->pid(), ending_name(ending));

    using conf::LifecycleAction;
    auto restarts = [](LifecycleAction a) {
        return a == LifecycleAction::Restart || a == LifecycleAction::RenameRestart ||
               a == LifecycleAction::CoredumpRestart;
    };
    // Starts the guest again in a new VMM; the console client, if any, follows it.
    auto relaunch = [&](bool announce) {
        if (Status s = launch(d, live, id, LaunchMode{}); !s) {
            log::error("kvm", "domain '{}': restarting failed: {}", live.name, s.error().message());
            stopped(d, domain_event::kStoppedFailed, reason::kShutoffFailed);
            return;
        }
        std::shared_ptr<Guest> fresh;
        DomainRef ref;
        {
            std::lock_guard lock(mu_);
            fresh = d->guest;
            ref = d->ref();
        }
        g->hand_console_to(*fresh);
        if (announce) emit(ref, domain_event::kStarted, 0);
    };

    switch (ending) {
    case Ending::Poweroff: {
        DomainRef ref;
        {
            std::lock_guard lock(mu_);
            ref = d->ref();
        }
        emit(ref, domain_event::kShutdown, 0);
        if (restarts(live.on_poweroff.value_or(LifecycleAction::Destroy))) {
            emit(ref, domain_event::kStopped, 0);
            relaunch(true);
        } else {
            stopped(d, 0, reason::kShutoffShutdown);
        }
        return;
    }
    case Ending::Reset:
        if (restarts(live.on_reboot.value_or(LifecycleAction::Restart)))
            relaunch(false);
        else
            stopped(d, 0, reason::kShutoffShutdown);
        return;
    case Ending::Quit:
        stopped(d, domain_event::kStoppedDestroyed, reason::kShutoffDestroyed);
        return;
    case Ending::Panic:
    case Ending::Crashed: {
        if (ending == Ending::Panic) {
            std::lock_guard lock(mu_);
            emit(d->ref(), domain_event::kCrashed, 0);
        }
        if (restarts(live.on_crash.value_or(LifecycleAction::Destroy))) {
            DomainRef ref;
            {
                std::lock_guard lock(mu_);
                ref = d->ref();
                ref.id = -1;
            }
            emit(ref, domain_event::kStopped, domain_event::kStoppedCrashed);
            relaunch(true);
        } else {
            stopped(d, domain_event::kStoppedCrashed, reason::kShutoffCrashed);
        }
        return;
    }
    }
}

void KvmDomainDriver::reattach(const std::string& name) {
    const std::string dir = run_dir_of(name);
    Result<std::string> xml = read_file(path_join(dir, kLiveXml));
    Result<std::string> record = read_file(path_join(dir, kLaunchJson));
    if (!xml || !record) return; // never started, or cleaned up after it stopped
    Result<conf::DomainDef> live = conf::DomainDef::parse(*xml);
    Result<VmmLaunch> plan = launch_from_json(*record);
    if (!live || !plan || !live->id) {
        log::error("kvm", "'{}': unreadable run records ({}); the guest is not re-attached", dir,
                   !live   ? live.error().message()
                   : !plan ? plan.error().message()
                           : "no id");
        return;
    }
    const int32_t id = static_cast<int32_t>(*live->id);
    live->id.reset();

    DomainPtr d;
    {
        std::lock_guard lock(mu_);
        if (auto it = domains_.find(name);
            it != domains_.end() && it->second->def.uuid == live->uuid)
            d = it->second;
    }
    // A job the earlier daemon did not finish (see launch() and save_locked()).
    Result<std::optional<JobRecord>> job = read_job_record(dir);
    if (!job) {
        log::error("kvm", "'{}': {}; carrying on as if no operation was under way", name,
                   job.error().message());
        job = std::optional<JobRecord>{};
    }
    const bool saving = *job && (*job)->kind == JobRecord::Kind::Save;
    // A save that was under way holds the monitor until it ends; the greeting waits for it.
    Result<std::shared_ptr<Guest>> g =
        Guest::adopt(*plan, saving ? kSaveTimeout : VmmProcess::kStartTimeout);
    // The save finished (its file carries this job's token), even if its VMM was not stopped.
    const bool saved = saving && save_finished(**job);
    if (!g || saved) {
        // Nothing a daemon can take over: the VMM ended while the daemon was away, never answered
        // its monitor (killed during a start) or was saved. Anything of it still running goes.
        if (g) {
            log::warning("kvm", "domain '{}': the save to '{}' had finished; its VMM is stopped",
                         name, (*job)->path);
            (*g)->kill();
        }
        const std::string why = g ? "saved" : g.error().message();
        if (int n = VmmProcess::kill_strays(plan->monitor_socket); n > 0)
            log::warning("kvm", "domain '{}': killed {} VMM(s) that could not be taken over ({})",
                         name, n, why);
        else if (!g)
            log::warning("kvm", "domain '{}' stopped while virtd was not running ({})", name, why);
        remove_run_files(name);
        if (d) {
            std::lock_guard lock(mu_);
            d->state = DomainState::Shutoff;
            d->reason = saved                                            ? reason::kShutoffSaved
                        : *job && (*job)->kind == JobRecord::Kind::Start ? reason::kShutoffFailed
                                                                         : reason::kShutoffUnknown;
        }
        return;
    }
    bool paused = false;
    if (Result<nlohmann::json> st = (*g)->command("query-status"))
        paused = st->value("status", "") == "paused";
    if (*job && (*job)->kind == JobRecord::Kind::Start) {
        // The VMM answers its monitor, so it has loaded any saved state: finish the start.
        if (paused && !(*job)->paused && (*g)->command("cont")) paused = false;
        if (!(*job)->consume_image.empty()) ::unlink((*job)->consume_image.c_str());
        log::warning("kvm", "domain '{}': finished the start an earlier virtd left half done",
                     name);
    }
    remove_job_record(dir);
    std::lock_guard lock(mu_);
    if (!d) {
        // A transient domain, or one undefined while it ran: known only by its live definition.
        d = std::make_shared<Domain>();
        d->def = *live;
        d->persistent = false;
        domains_[name] = d;
    }
    d->live = std::move(*live);
    d->id = id;
    d->guest = *g;
    d->state = paused ? DomainState::Paused : DomainState::Running;
    d->reason = paused ? reason::kPausedUser : reason::kRunningBooted;
    next_id_ = std::max(next_id_, id + 1);
    log::info("kvm", "re-attached to domain '{}' (id {}, VMM pid {})", name, id, (*g)->pid());
    watch(d, *g);
}

// ---- the operations
// ------------------------------------------------------------------------------

Result<DomainRef> KvmDomainDriver::start(const DomainRef& dom, unsigned flags) {
    constexpr unsigned kStartPaused = 1;
    Result<DomainPtr> d = get(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    constexpr unsigned kStartForceBoot = 2;
    conf::DomainDef def;
    int32_t id;
    {
        std::lock_guard lock(mu_);
        if ((*d)->removed) return domain_errors::no_domain("uuid", dom.uuid.format());
        if ((*d)->active()) return invalid("domain is already running");
        def = (*d)->def;
    }
    // Like libvirt, a start resumes from the managed save image and consumes it.
    const std::string image = managed_save_path(def.name);
    if (::access(image.c_str(), F_OK) == 0) {
        if (flags & kStartForceBoot) {
            ::unlink(image.c_str());
        } else {
            if (Status s = restore_managed(*d, image, flags & kStartPaused); !s) return s.error();
            std::lock_guard lock(mu_);
            return (*d)->ref();
        }
    }
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
    }
    LaunchMode mode;
    mode.paused = flags & kStartPaused;
    if (Status s = launch(*d, def, id, mode); !s) return s.error();
    DomainRef ref;
    {
        std::lock_guard lock(mu_);
        ref = (*d)->ref();
    }
    emit(ref, domain_event::kStarted, 0);
    if (mode.paused) emit(ref, domain_event::kSuspended, domain_event::kSuspendedPaused);
    return ref;
}

Result<std::shared_ptr<Guest>> KvmDomainDriver::running_guest(const DomainPtr& d) const {
    std::lock_guard lock(mu_);
    if (!d->active()) return not_running();
    return d->guest;
}

Status KvmDomainDriver::destroy(const DomainRef& dom, unsigned) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    Result<std::shared_ptr<Guest>> g = running_guest(*d);
    if (!g) return g.error();
    (*g)->kill();
    stopped(*d, domain_event::kStoppedDestroyed, reason::kShutoffDestroyed);
    return {};
}

namespace {

// virDomainShutdownFlagValues / virDomainRebootFlagValues: the same bits.
constexpr unsigned kModeAcpi = 1, kModeAgent = 2, kModeInitctl = 4, kModeSignal = 8,
                   kModeParavirt = 16;

// The guest is asked through its agent, the one mechanism the kvm driver has: a request that
// allows the agent gets it; one that names only other mechanisms is refused.
Status check_mode(unsigned flags, std::string_view what) {
    if (flags == 0 || (flags & kModeAgent)) return {};
    const unsigned known = kModeAcpi | kModeInitctl | kModeSignal | kModeParavirt;
    if (flags & ~known)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu, "unsupported flags (0x{:x})",
                          flags & ~known);
    return make_error(ErrorCode::ArgumentUnsupported, ErrorDomain::Qemu,
                      "{} mode not supported by the kvm driver: it asks the guest agent "
                      "(--mode agent, with a <channel> named {})",
                      what, kGuestAgentChannel);
}

} // namespace

Status KvmDomainDriver::ask_agent(const DomainRef& dom, unsigned flags, std::string_view what,
                                  std::string_view mode) {
    if (Status s = check_mode(flags, what); !s) return s;
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::string socket;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->active()) return not_running();
        if ((*d)->state != DomainState::Running) return invalid("domain is not running");
        auto& chans = (*d)->guest->launch().channel_sockets;
        if (auto it = chans.find(std::string(kGuestAgentChannel)); it != chans.end())
            socket = it->second;
    }
    if (socket.empty())
        return make_error(ErrorCode::ArgumentUnsupported, ErrorDomain::Qemu,
                          "QEMU guest agent is not configured (add <channel type='unix'> with "
                          "<target type='virtio' name='{}'/>)",
                          kGuestAgentChannel);
    return agent_shutdown(socket, mode);
}

Status KvmDomainDriver::shutdown(const DomainRef& dom, unsigned flags) {
    return ask_agent(dom, flags, "shutdown", "powerdown");
}

Status KvmDomainDriver::reboot(const DomainRef& dom, unsigned flags) {
    return ask_agent(dom, flags, "reboot", "reboot");
}

Status KvmDomainDriver::reset(const DomainRef& dom, unsigned) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    Result<std::shared_ptr<Guest>> g = running_guest(*d);
    if (!g) return g.error();
    // The VMM ends its run as a guest reboot does; on_exit starts the new one (on_reboot).
    Result<nlohmann::json> r = (*g)->command("system_reset");
    return r ? Status{} : Status(r.error());
}

Status KvmDomainDriver::suspend(const DomainRef& dom) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::shared_ptr<Guest> g;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->active()) return not_running();
        if ((*d)->state == DomainState::Paused) return {};
        g = (*d)->guest;
    }
    if (Result<nlohmann::json> r = g->command("stop"); !r) return r.error();
    std::lock_guard lock(mu_);
    (*d)->state = DomainState::Paused;
    (*d)->reason = reason::kPausedUser;
    emit((*d)->ref(), domain_event::kSuspended, domain_event::kSuspendedPaused);
    return {};
}

Status KvmDomainDriver::resume(const DomainRef& dom) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::shared_ptr<Guest> g;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->active()) return not_running();
        if ((*d)->state != DomainState::Paused) return invalid("domain is not paused");
        g = (*d)->guest;
    }
    if (Result<nlohmann::json> r = g->command("cont"); !r) return r.error();
    std::lock_guard lock(mu_);
    (*d)->state = DomainState::Running;
    (*d)->reason = reason::kRunningUnpaused;
    emit((*d)->ref(), domain_event::kResumed, 0);
    return {};
}

} // namespace virtd::kvm
