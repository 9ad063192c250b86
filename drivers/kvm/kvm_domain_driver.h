// KvmDomainDriver: the domain half of kvm:///system. Definitions are kept on disk
// (STATE/domains, written atomically); each running guest is a virtd-vmm process
// (drivers/kvm/guest.h) with its files in RUN/NAME/ (sockets, pid file, logs, and the live
// definition and launch, so a restarted daemon re-attaches to every guest that still runs).
// A start or save under way also leaves a JobRecord there, so a daemon killed in the middle of
// one is followed by a daemon that finishes or undoes it rather than guessing.
//
// One I/O thread watches every guest: its pidfd (the VMM's end is noticed at once) and its
// serial console. What an end means (power off, reboot, crash, and the on_* actions) is decided
// on a worker thread, under the domain's job lock, which every lifecycle operation holds so
// that they never interleave on one domain.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/event_loop.h"
#include "common/thread_pool.h"
#include "conf/domain.h"
#include "drivers/definition_store.h"
#include "drivers/domain_driver.h"
#include "drivers/kvm/guest.h"
#include "drivers/kvm/job_record.h"
#include "drivers/kvm/switches.h"
#include "drivers/network_driver.h"

namespace virtd::kvm {

struct KvmDriverConfig {
    std::string state_dir;     // definitions in STATE/domains, managed saves in STATE/save
    std::string run_dir;       // RUN/NAME/ per running guest, RUN/switch/ for switches
    std::string vmm_binary;    // virtd-vmm
    std::string switch_binary; // virtd-switch, started for each virtual network guests use
    // The virtual networks guests may join (by name, when defined and active); not owned.
    NetworkDriver* networks = nullptr;
};

class KvmDomainDriver : public DomainDriver {
public:
    explicit KvmDomainDriver(KvmDriverConfig config);
    // Stops watching; running guests keep running (a restarted daemon re-attaches).
    ~KvmDomainDriver() override;
    KvmDomainDriver(const KvmDomainDriver&) = delete;
    KvmDomainDriver& operator=(const KvmDomainDriver&) = delete;

    // Re-attaches to the guests an earlier daemon left running, then starts the autostart
    // domains that are not running, and with `resume_saved` also every domain that has a
    // managed save image (restoring it). Call once, after set_event_sink().
    void start_up(bool resume_saved = false);
    // Host shutdown: a managed save of every running persistent guest. Returns how many failed.
    int save_all();

    // kvm_domain_driver.cc: definitions and lookups
    Result<DomainRef> define_xml(std::string_view xml) override;
    Result<DomainRef> create_xml(std::string_view xml, unsigned flags) override;
    Status undefine(const DomainRef& dom, unsigned flags) override;
    Result<std::vector<DomainRef>> list_all(unsigned flags) override;
    Result<DomainRef> lookup_by_name(std::string_view name) override;
    Result<DomainRef> lookup_by_uuid(const Uuid& uuid) override;
    Result<DomainRef> lookup_by_id(int32_t id) override;
    Result<std::string> get_xml(const DomainRef& dom, unsigned flags) override;
    Result<DomainInfo> get_info(const DomainRef& dom) override;
    Result<DomainStateReason> get_state(const DomainRef& dom) override;
    Result<bool> is_active(const DomainRef& dom) override;
    Result<bool> is_persistent(const DomainRef& dom) override;
    Result<bool> get_autostart(const DomainRef& dom) override;
    Status set_autostart(const DomainRef& dom, bool autostart) override;

    // kvm_lifecycle.cc
    Result<DomainRef> start(const DomainRef& dom, unsigned flags) override;
    Status destroy(const DomainRef& dom, unsigned flags) override;
    Status shutdown(const DomainRef& dom, unsigned flags) override;
    Status reboot(const DomainRef& dom, unsigned flags) override;
    Status reset(const DomainRef& dom, unsigned flags) override;
    Status suspend(const DomainRef& dom) override;
    Status resume(const DomainRef& dom) override;

    // kvm_saves.cc
    Status save(const DomainRef& dom, const std::string& path, unsigned flags) override;
    Status restore(const std::string& path, unsigned flags) override;
    Status managed_save(const DomainRef& dom, unsigned flags) override;
    Result<bool> has_managed_save(const DomainRef& dom) override;
    Status managed_save_remove(const DomainRef& dom) override;

    // kvm_domain_ops.cc
    Status set_memory(const DomainRef& dom, uint64_t kib, unsigned flags) override;
    Result<int32_t> get_vcpus_count(const DomainRef& dom, unsigned flags) override;
    Result<std::vector<VcpuInfo>> get_vcpu_info(const DomainRef& dom) override;
    Result<CpuTimes> cpu_times(const DomainRef& dom) override;
    Result<std::vector<MemoryStat>> memory_stats(const DomainRef& dom, unsigned flags) override;
    Result<BlockStats> block_stats(const DomainRef& dom, const std::string& disk) override;
    Result<InterfaceStats> interface_stats(const DomainRef& dom,
                                           const std::string& device) override;
    Result<std::unique_ptr<ConsoleChannel>> open_console(const DomainRef& dom,
                                                         const std::optional<std::string>& device,
                                                         unsigned flags,
                                                         const ConsoleOutput& output) override;

    // kvm_capabilities.cc
    Result<std::string> capabilities() override;
    Result<std::string> domain_capabilities(const std::string& emulator, const std::string& arch,
                                            const std::string& machine, const std::string& virttype,
                                            unsigned flags) override;

private:
    struct Domain {
        conf::DomainDef def; // the persistent definition, or the transient one
        bool persistent = true;
        bool autostart = false;
        // While running: the definition it runs with, its id and its VMM.
        std::optional<conf::DomainDef> live;
        int32_t id = -1;
        std::shared_ptr<Guest> guest;
        DomainState state = DomainState::Shutoff;
        int32_t reason = 0;   // libvirt's reason for `state`
        bool removed = false; // undefined (or a transient one stopped): no longer in domains_
        std::mutex job;       // held by every lifecycle operation on this domain

        bool active() const { return id >= 0; }
        DomainRef ref() const { return {def.name, def.uuid, id}; }
    };
    using DomainPtr = std::shared_ptr<Domain>;

    // All under mu_.
    DomainPtr find_locked(const DomainRef& dom) const;
    Status check_new(conf::DomainDef& def) const;
    // Not under mu_.
    Result<DomainPtr> get(const DomainRef& dom) const;
    Result<DomainPtr> get_active(const DomainRef& dom) const;

    // kvm_lifecycle.cc. Under d.job, not mu_.
    // How launch() starts a guest: booting, or from a saved state; running or paused.
    struct LaunchMode {
        std::string incoming;      // a state file to restore instead of booting
        std::string consume_image; // a managed save image, removed once the guest runs from it
        bool paused = false;
        int32_t reason = state_reason::kRunningBooted; // for the running state
    };
    // Plans and starts the VMM for `live`, then records it as running (or paused) with `id`.
    Status launch(const DomainPtr& d, conf::DomainDef live, int32_t id, const LaunchMode& mode);
    // Records that `d` stopped: run files removed, state shut off with `reason`, a transient
    // domain forgotten, a STOPPED event with `detail`.
    void stopped(const DomainPtr& d, int32_t detail, int32_t reason);
    void watch(const DomainPtr& d, const std::shared_ptr<Guest>& g);
    void on_exit(const DomainPtr& d, const std::shared_ptr<Guest>& g);
    void reattach(const std::string& name);
    // The VMM of the running `d`, or VIR_ERR_OPERATION_INVALID ("domain is not running").
    Result<std::shared_ptr<Guest>> running_guest(const DomainPtr& d) const;
    // shutdown and reboot: asks the guest's agent to power off or reboot (`mode`).
    Status ask_agent(const DomainRef& dom, unsigned flags, std::string_view what,
                     std::string_view mode);
    std::string run_dir_of(const std::string& name) const;
    std::string managed_save_path(const std::string& name) const;
    // Writing a large guest's RAM takes a while; the monitor's usual 5 s is too short.
    static constexpr std::chrono::milliseconds kSaveTimeout{600000};
    // kvm_saves.cc: saves the running `d` into `path` and stops it (under d.job).
    Status save_locked(const DomainPtr& d, const std::string& path, unsigned flags);
    // Whether the save `job` describes reached its file (the file's note holds its token).
    static bool save_finished(const JobRecord& job);
    // Starts `d` (or a new transient domain) from the state file at `path` (under d.job); with
    // `consume`, the file is removed once the guest runs from it.
    Status restore_into(const DomainPtr& d, conf::DomainDef live, const std::string& path,
                        unsigned flags, bool saved_paused, bool consume = false);
    // Starts `d` from its managed save image, which is removed once the guest runs from it.
    Status restore_managed(const DomainPtr& d, const std::string& image, bool paused);
    void remove_run_files(const std::string& name) const;
    HostFacts host_facts(const std::string& except) const;

    KvmDriverConfig config_;
    DefinitionStore store_;
    Switches switches_;
    mutable std::mutex write_mu_; // taken before mu_ by calls that write definitions
    mutable std::mutex mu_;
    std::map<std::string, DomainPtr> domains_; // by name; guarded by mu_
    int32_t next_id_ = 1;                      // guarded by mu_
    EventLoop io_;                             // pidfds and consoles of running guests
    std::thread io_thread_;
    ThreadPool workers_{2}; // decides what each VMM's end means; destroyed first
};

} // namespace virtd::kvm
