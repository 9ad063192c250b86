// MockDomainDriver: the domain half of mock:///default, an in-memory hypervisor with libvirt's
// state machine (defined, running, paused, shut off; persistent and transient) and no guests
// behind it. Tests and benchmarks use it to exercise the management plane alone.
//
// With a state directory, persistent definitions and autostart marks are kept under
// STATE/mock/domains (written atomically) and reloaded, and autostarted, at construction; the
// mock guests themselves do not survive a restart.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "conf/domain.h"
#include "conf/domain_snapshot.h"
#include "drivers/definition_store.h"
#include "drivers/domain_driver.h"

namespace virtd {

class MockDomainDriver : public DomainDriver {
public:
    // `state_dir` empty: nothing is written anywhere.
    explicit MockDomainDriver(const std::string& state_dir = "");

    Result<DomainRef> define_xml(std::string_view xml) override;
    Result<DomainRef> create_xml(std::string_view xml, unsigned flags) override;
    Status undefine(const DomainRef& dom, unsigned flags) override;
    Result<std::vector<DomainRef>> list_all(unsigned flags) override;
    Result<DomainRef> lookup_by_name(std::string_view name) override;
    Result<DomainRef> lookup_by_uuid(const Uuid& uuid) override;
    Result<DomainRef> lookup_by_id(int32_t id) override;
    Result<DomainRef> start(const DomainRef& dom, unsigned flags) override;
    Status destroy(const DomainRef& dom, unsigned flags) override;
    Status shutdown(const DomainRef& dom, unsigned flags) override;
    Status suspend(const DomainRef& dom) override;
    Status resume(const DomainRef& dom) override;
    Result<std::string> get_xml(const DomainRef& dom, unsigned flags) override;
    Result<DomainInfo> get_info(const DomainRef& dom) override;
    Result<bool> is_active(const DomainRef& dom) override;
    Result<bool> is_persistent(const DomainRef& dom) override;
    Result<bool> get_autostart(const DomainRef& dom) override;
    Status set_autostart(const DomainRef& dom, bool autostart) override;

    // mock_domain_tuning.cc
    Status reboot(const DomainRef& dom, unsigned flags) override;
    Status reset(const DomainRef& dom, unsigned flags) override;
    Status set_memory(const DomainRef& dom, uint64_t kib, unsigned flags) override;
    Status set_vcpus(const DomainRef& dom, uint32_t count, unsigned flags) override;
    Result<int32_t> get_vcpus_count(const DomainRef& dom, unsigned flags) override;
    Result<std::vector<VcpuInfo>> get_vcpu_info(const DomainRef& dom) override;
    Result<std::string> get_metadata(const DomainRef& dom, MetadataType type,
                                     const std::optional<std::string>& uri,
                                     unsigned flags) override;
    Status set_metadata(const DomainRef& dom, MetadataType type,
                        const std::optional<std::string>& value,
                        const std::optional<std::string>& key,
                        const std::optional<std::string>& uri, unsigned flags) override;
    Result<std::unique_ptr<ConsoleChannel>> open_console(const DomainRef& dom,
                                                         const std::optional<std::string>& device,
                                                         unsigned flags,
                                                         const ConsoleOutput& output) override;

    // mock_domain_saves.cc
    Status save(const DomainRef& dom, const std::string& path, unsigned flags) override;
    Status restore(const std::string& path, unsigned flags) override;
    Status managed_save(const DomainRef& dom, unsigned flags) override;
    Result<bool> has_managed_save(const DomainRef& dom) override;
    Status managed_save_remove(const DomainRef& dom) override;
    Result<std::string> snapshot_create(const DomainRef& dom, std::string_view xml,
                                        unsigned flags) override;
    Result<std::vector<std::string>> snapshot_list(const DomainRef& dom, unsigned flags) override;
    Result<std::string> snapshot_xml(const DomainRef& dom, const std::string& name,
                                     unsigned flags) override;
    Result<std::optional<std::string>> snapshot_current(const DomainRef& dom) override;
    Status snapshot_revert(const DomainRef& dom, const std::string& name, unsigned flags) override;
    Status snapshot_delete(const DomainRef& dom, const std::string& name, unsigned flags) override;

    // mock_domain_stats.cc
    Result<std::vector<MemoryStat>> memory_stats(const DomainRef& dom, unsigned flags) override;
    Result<BlockStats> block_stats(const DomainRef& dom, const std::string& disk) override;
    Result<InterfaceStats> interface_stats(const DomainRef& dom,
                                           const std::string& device) override;
    Result<std::string> capabilities() override;
    Result<std::string> domain_capabilities(const std::string& emulator, const std::string& arch,
                                            const std::string& machine, const std::string& virttype,
                                            unsigned flags) override;

private:
    using Clock = std::chrono::steady_clock;
    // A snapshot: its document (name, state, parent, time) and the definition it restores.
    struct Snapshot {
        conf::DomainSnapshotDef def;
        conf::DomainDef domain;
    };
    struct Domain {
        conf::DomainDef def;
        bool persistent = true;
        bool autostart = false;
        DomainState state = DomainState::Shutoff;
        int32_t id = -1;
        std::chrono::nanoseconds cpu_time{0}; // accumulated while running
        Clock::time_point running_since;
        std::optional<DomainState> managed_save; // the state a managed save holds
        std::vector<Snapshot> snapshots;         // in creation order
        std::optional<std::string> current_snapshot;
        std::weak_ptr<void> console; // the open console session, if any

        bool active() const { return id >= 0; }
        DomainRef ref() const { return {def.name, def.uuid, id}; }
    };

    // destroy and shutdown: `detail` is the STOPPED event's (0 shutdown, 1 destroyed).
    Status stop(const DomainRef& dom, int32_t detail);

    // All below: mu_ held.
    Domain* find(const DomainRef& dom);
    Result<Domain*> find_or_error(const DomainRef& dom);
    // Whether `def` may be added (fills in a missing uuid); add() checks, then adds.
    Status check_add(conf::DomainDef& def, bool persistent);
    Result<Domain*> add(conf::DomainDef def, bool persistent);
    void start_locked(Domain& d);
    void stop_locked(Domain& d);
    // Stops `d` with a STOPPED event; `d` is gone afterwards if it was transient.
    void stop_with_event(Domain& d, int32_t detail);
    Snapshot* find_snapshot(Domain& d, const std::string& name);
    void load();
    DefinitionStore::Write write_of(const Domain& d) const;
    // Runs `fn` on the domain under mu_, then writes its definition (when persistent) after mu_
    // is released. Takes both locks itself.
    Status change(const DomainRef& dom, const std::function<Status(Domain&)>& fn);
    void forget(const std::string& name);

    DefinitionStore store_;
    std::mutex write_mu_; // taken before mu_ by calls that add or remove definitions
    std::mutex mu_;
    std::map<std::string, Domain> domains_; // by name; guarded by mu_
    int32_t next_id_ = 1;                   // guarded by mu_
};

} // namespace virtd
