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
#include <map>
#include <mutex>
#include <string>

#include "conf/domain.h"
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

private:
    using Clock = std::chrono::steady_clock;
    struct Domain {
        conf::DomainDef def;
        bool persistent = true;
        bool autostart = false;
        DomainState state = DomainState::Shutoff;
        int32_t id = -1;
        std::chrono::nanoseconds cpu_time{0}; // accumulated while running
        Clock::time_point running_since;

        bool active() const { return id >= 0; }
        DomainRef ref() const { return {def.name, def.uuid, id}; }
    };

    // destroy and shutdown: `detail` is the STOPPED event's (0 shutdown, 1 destroyed).
    Status stop(const DomainRef& dom, int32_t detail);

    // All below: mu_ held.
    Domain* find(const DomainRef& dom);
    Result<Domain*> find_or_error(const DomainRef& dom);
    Result<Domain*> add(conf::DomainDef def, bool persistent);
    void start_locked(Domain& d);
    void stop_locked(Domain& d);
    void load();
    Status save(const Domain& d);
    void forget(const std::string& name);
    std::string file_of(const std::string& name, const char* suffix) const;

    const std::string dir_; // where definitions live; empty when nothing is kept
    std::mutex mu_;
    std::map<std::string, Domain> domains_; // by name; guarded by mu_
    int32_t next_id_ = 1;                   // guarded by mu_
};

} // namespace virtd
