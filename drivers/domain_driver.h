// DomainDriver: what a hypervisor driver offers the daemon for domains. The RPC, D-Bus and CIM
// front doors all call this one interface; the mock driver (drivers/mock) and the kvm driver
// (drivers/kvm) implement it. Every method not overridden answers VIR_ERR_NO_SUPPORT.
//
// Thread safety: implementations are called from many worker threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/uuid.h"

namespace virtd {

// libvirt's virDomainState.
enum class DomainState : int32_t {
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PmSuspended = 7,
};

// How clients name a domain: the id is -1 while it is not running.
struct DomainRef {
    std::string name;
    Uuid uuid;
    int32_t id = -1;

    bool operator==(const DomainRef&) const = default;
};

struct DomainInfo {
    DomainState state = DomainState::Shutoff;
    uint64_t max_memory_kib = 0;
    uint64_t memory_kib = 0;
    uint16_t vcpus = 0;
    uint64_t cpu_time_ns = 0;
};

// A lifecycle event, in libvirt's numbers (virDomainEventType and its per-type detail).
struct DomainEvent {
    DomainRef dom;
    int32_t event = 0;
    int32_t detail = 0;
    const class DomainDriver* source = nullptr; // the driver that emitted it
};

// Event numbers the drivers emit.
namespace domain_event {
inline constexpr int32_t kDefined = 0;             // detail 0 added, 1 updated
inline constexpr int32_t kUndefined = 1;           // detail 0 removed
inline constexpr int32_t kStarted = 2;             // detail 0 booted
inline constexpr int32_t kSuspended = 3;           // detail 0 paused
inline constexpr int32_t kResumed = 4;             // detail 0 unpaused
inline constexpr int32_t kStopped = 5;             // detail 0 shutdown, 1 destroyed, 4 saved,
                                                   // 6 from snapshot
inline constexpr int32_t kStartedRestored = 2;     // kStarted's detail after a restore
inline constexpr int32_t kStartedFromSnapshot = 3; // ... and after reverting to a snapshot
inline constexpr int32_t kStoppedSaved = 4;
inline constexpr int32_t kStoppedFromSnapshot = 6;
inline constexpr int32_t kDefinedFromSnapshot = 2; // kDefined's detail after a revert
inline constexpr int32_t kShutdown = 6; // detail 0 finished: the guest powered itself off
inline constexpr int32_t kCrashed = 8;  // detail 0 panicked
inline constexpr int32_t kStoppedDestroyed = 1, kStoppedCrashed = 2, kStoppedFailed = 5;
inline constexpr int32_t kSuspendedPaused = 0, kSuspendedSaved = 3; // kSuspended's details
} // namespace domain_event

// Reasons virDomainGetState gives (virDomainRunningReason, virDomainPausedReason,
// virDomainShutoffReason), the ones the drivers use.
namespace state_reason {
inline constexpr int32_t kRunningBooted = 1, kRunningRestored = 3, kRunningUnpaused = 5;
inline constexpr int32_t kPausedUser = 1, kPausedSave = 3;
inline constexpr int32_t kShutoffUnknown = 0, kShutoffShutdown = 1, kShutoffDestroyed = 2,
                         kShutoffCrashed = 3, kShutoffSaved = 5, kShutoffFailed = 6;
} // namespace state_reason

// virDomainModificationImpact, and the flags setmem/setvcpus add to it.
inline constexpr unsigned kAffectLive = 1;
inline constexpr unsigned kAffectConfig = 2;
inline constexpr unsigned kAffectMaximum = 4; // VIR_DOMAIN_MEM_MAXIMUM, VIR_DOMAIN_VCPU_MAXIMUM

// virDomainMetadataType.
enum class MetadataType : int32_t { Description = 0, Title = 1, Element = 2 };

// One vCPU of a running domain, as virVcpuInfo has it.
struct VcpuInfo {
    uint32_t number = 0;
    int32_t state = 1; // VIR_VCPU_RUNNING
    uint64_t cpu_time_ns = 0;
    int32_t cpu = 0; // the host CPU it last ran on
};

// One figure of virDomainMemoryStats: libvirt's tag (VIR_DOMAIN_MEMORY_STAT_*) and its value
// (KiB for sizes, as libvirt reports them).
struct MemoryStat {
    int32_t tag = 0;
    uint64_t value = 0;
};
namespace memory_stat {
inline constexpr int32_t kSwapIn = 0, kSwapOut = 1, kMajorFault = 2, kMinorFault = 3, kUnused = 4,
                         kAvailable = 5, kActualBalloon = 6, kRss = 7, kUsable = 8, kLastUpdate = 9,
                         kDiskCaches = 10;
} // namespace memory_stat

// Counters of one disk (virDomainBlockStatsStruct); -1 = not known.
struct BlockStats {
    int64_t rd_req = -1, rd_bytes = -1, wr_req = -1, wr_bytes = -1, errs = -1;
};

// Counters of one network interface (virDomainInterfaceStatsStruct); -1 = not known.
struct InterfaceStats {
    int64_t rx_bytes = -1, rx_packets = -1, rx_errs = -1, rx_drop = -1;
    int64_t tx_bytes = -1, tx_packets = -1, tx_errs = -1, tx_drop = -1;
};

// CPU time a running domain has used (virDomainGetCPUStats' total), split into user and system
// time when the driver can tell them apart (-1 when it cannot).
struct CpuTimes {
    uint64_t total_ns = 0;
    int64_t user_ns = -1, system_ns = -1;
};

// The state with libvirt's reason (virDomain{Running,Paused,Shutoff,...}Reason).
struct DomainStateReason {
    DomainState state = DomainState::Shutoff;
    int32_t reason = 0;
};

// Where a driver reports events. Called from the driver's threads; must be thread-safe.
class DomainEventSink {
public:
    virtual ~DomainEventSink() = default;
    virtual void domain_event(const DomainEvent& e) = 0;
};

// A guest console a client opened: bytes typed go in through write(); what the guest prints
// arrives through the output function given to open_console().
class ConsoleChannel {
public:
    virtual ~ConsoleChannel() = default;
    virtual Status write(std::string_view data) = 0;
};
// Where a console's output goes: `data` gets what the guest prints; `closed` (may be empty) is
// called once when the console ends on the driver's side (the guest stopped, or another client
// took the console over).
struct ConsoleOutput {
    std::function<void(std::string_view)> data;
    std::function<void()> closed;
};

// libvirt's virConnectListAllDomainsFlags that drivers filter on (0 = all).
inline constexpr unsigned kListActive = 1;
inline constexpr unsigned kListInactive = 2;
inline constexpr unsigned kListPersistent = 4;
inline constexpr unsigned kListTransient = 8;

class DomainDriver {
public:
    virtual ~DomainDriver() = default;

    virtual Result<DomainRef> define_xml(std::string_view xml);
    virtual Result<DomainRef> create_xml(std::string_view xml, unsigned flags);
    virtual Status undefine(const DomainRef& dom, unsigned flags);
    virtual Result<std::vector<DomainRef>> list_all(unsigned flags);
    virtual Result<DomainRef> lookup_by_name(std::string_view name);
    virtual Result<DomainRef> lookup_by_uuid(const Uuid& uuid);
    virtual Result<DomainRef> lookup_by_id(int32_t id);

    virtual Result<DomainRef> start(const DomainRef& dom, unsigned flags);
    virtual Status destroy(const DomainRef& dom, unsigned flags);
    virtual Status shutdown(const DomainRef& dom, unsigned flags);
    virtual Status suspend(const DomainRef& dom);
    virtual Status resume(const DomainRef& dom);

    virtual Result<std::string> get_xml(const DomainRef& dom, unsigned flags);
    virtual Result<DomainInfo> get_info(const DomainRef& dom);
    virtual Result<bool> is_active(const DomainRef& dom);
    virtual Result<bool> is_persistent(const DomainRef& dom);
    virtual Result<bool> get_autostart(const DomainRef& dom);
    virtual Status set_autostart(const DomainRef& dom, bool autostart);

    virtual Status reboot(const DomainRef& dom, unsigned flags);
    virtual Status reset(const DomainRef& dom, unsigned flags);
    // Flags: kAffect*. Memory in KiB.
    virtual Status set_memory(const DomainRef& dom, uint64_t kib, unsigned flags);
    virtual Status set_vcpus(const DomainRef& dom, uint32_t count, unsigned flags);
    virtual Result<int32_t> get_vcpus_count(const DomainRef& dom, unsigned flags);
    virtual Result<std::vector<VcpuInfo>> get_vcpu_info(const DomainRef& dom);
    virtual Result<std::string> get_metadata(const DomainRef& dom, MetadataType type,
                                             const std::optional<std::string>& uri, unsigned flags);
    // `value` absent: remove it. `key` and `uri`: the namespace prefix and URI of an element.
    virtual Status set_metadata(const DomainRef& dom, MetadataType type,
                                const std::optional<std::string>& value,
                                const std::optional<std::string>& key,
                                const std::optional<std::string>& uri, unsigned flags);

    // Save stops the domain into a file at `path` (on the daemon's host); restore starts it from
    // one. A managed save is kept by the driver and used by the next start.
    virtual Status save(const DomainRef& dom, const std::string& path, unsigned flags);
    virtual Status restore(const std::string& path, unsigned flags);
    virtual Status managed_save(const DomainRef& dom, unsigned flags);
    virtual Result<bool> has_managed_save(const DomainRef& dom);
    virtual Status managed_save_remove(const DomainRef& dom);

    // Snapshots, by name within their domain.
    virtual Result<std::string> snapshot_create(const DomainRef& dom, std::string_view xml,
                                                unsigned flags);
    virtual Result<std::vector<std::string>> snapshot_list(const DomainRef& dom, unsigned flags);
    virtual Result<std::string> snapshot_xml(const DomainRef& dom, const std::string& name,
                                             unsigned flags);
    virtual Result<std::optional<std::string>> snapshot_current(const DomainRef& dom);
    virtual Status snapshot_revert(const DomainRef& dom, const std::string& name, unsigned flags);
    virtual Status snapshot_delete(const DomainRef& dom, const std::string& name, unsigned flags);

    // Statistics of a running domain. `disk`: the target (vda) or the source path;
    // `device`: the interface's target dev, its MAC, or its alias.
    virtual Result<DomainStateReason> get_state(const DomainRef& dom);
    // Default: get_info's CPU time, not split.
    virtual Result<CpuTimes> cpu_times(const DomainRef& dom);
    virtual Result<std::vector<MemoryStat>> memory_stats(const DomainRef& dom, unsigned flags);
    virtual Result<BlockStats> block_stats(const DomainRef& dom, const std::string& disk);
    virtual Result<InterfaceStats> interface_stats(const DomainRef& dom, const std::string& device);

    // The host's capabilities XML, and domcapabilities for the given emulator/arch/machine/
    // virttype (each may be empty: the driver's default).
    virtual Result<std::string> capabilities();
    virtual Result<std::string> domain_capabilities(const std::string& emulator,
                                                    const std::string& arch,
                                                    const std::string& machine,
                                                    const std::string& virttype, unsigned flags);

    // A console: output comes through `output` until the channel is destroyed.
    virtual Result<std::unique_ptr<ConsoleChannel>>
    open_console(const DomainRef& dom, const std::optional<std::string>& device, unsigned flags,
                 const ConsoleOutput& output);

    // Where lifecycle events go; set once before the driver is used.
    void set_event_sink(DomainEventSink* sink) { sink_ = sink; }

protected:
    void emit(const DomainRef& dom, int32_t event, int32_t detail) {
        if (sink_) sink_->domain_event({dom, event, detail, this});
    }

private:
    DomainEventSink* sink_ = nullptr;
};

// The "this driver does not do that" error (VIR_ERR_NO_SUPPORT).
Error driver_unsupported(std::string_view what);

} // namespace virtd
