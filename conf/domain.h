// DomainDef: a domain (virtual machine) definition, libvirt's <domain> document.
//
// This file composes the parts; each device kind lives in its own domain_*.h with its parse and
// format side by side. Sizes are bytes; enums are typed; optional fields are absent when the
// document did not give them, so a definition formats back as it was written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/enum_table.h"
#include "common/error.h"
#include "common/uuid.h"
#include "conf/domain_chardev.h"
#include "conf/domain_disk.h"
#include "conf/domain_memballoon.h"
#include "conf/domain_net.h"
#include "conf/domain_rng.h"
#include "conf/domain_watchdog.h"

namespace virtd::conf {

enum class DomainType { Kvm, Last = Kvm };
inline constexpr auto kDomainTypes = make_enum_table<DomainType>("kvm");

enum class VcpuPlacement { Static, Auto, Last = Auto };
inline constexpr auto kVcpuPlacements = make_enum_table<VcpuPlacement>("static", "auto");

// What happens when the guest powers off, reboots or crashes.
enum class LifecycleAction {
    Destroy,
    Restart,
    Preserve,
    RenameRestart,
    CoredumpDestroy,
    CoredumpRestart,
    Last = CoredumpRestart
};
inline constexpr auto kLifecycleActions = make_enum_table<LifecycleAction>(
    "destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart");

enum class ClockOffset { Utc, Localtime, Variable, Last = Variable };
inline constexpr auto kClockOffsets = make_enum_table<ClockOffset>("utc", "localtime", "variable");

enum class TimerName { Rtc, Pit, Hpet, Kvmclock, Platform, Last = Platform };
inline constexpr auto kTimerNames =
    make_enum_table<TimerName>("rtc", "pit", "hpet", "kvmclock", "platform");

enum class TickPolicy { Delay, Catchup, Merge, Discard, Last = Discard };
inline constexpr auto kTickPolicies =
    make_enum_table<TickPolicy>("delay", "catchup", "merge", "discard");

enum class MemorySource { Anonymous, File, Memfd, Last = Memfd };
inline constexpr auto kMemorySources = make_enum_table<MemorySource>("anonymous", "file", "memfd");

enum class MemoryAccess { Shared, Private, Last = Private };
inline constexpr auto kMemoryAccesses = make_enum_table<MemoryAccess>("shared", "private");

// Hypervisor features a definition may switch on. The engine has no use for the x86 ones; they
// are accepted so that existing definitions load.
enum class Feature { Acpi, Apic, Pae, Hap, Pmu, Last = Pmu };
inline constexpr auto kFeatures = make_enum_table<Feature>("acpi", "apic", "pae", "hap", "pmu");

struct VcpuDef {
    uint32_t max = 1; // the element's value: vCPUs the guest may have
    std::optional<uint32_t> current;
    std::optional<VcpuPlacement> placement;
    std::optional<std::string> cpuset; // host CPUs, libvirt syntax ("0-3,^2")

    bool operator==(const VcpuDef&) const = default;
};

struct VcpuPin {
    uint32_t vcpu = 0;
    std::string cpuset;

    bool operator==(const VcpuPin&) const = default;
};

struct CpuTune {
    std::optional<uint64_t> shares;
    std::optional<uint64_t> period; // microseconds
    std::optional<int64_t> quota;   // microseconds, -1 = unlimited
    std::vector<VcpuPin> vcpupins;

    bool operator==(const CpuTune&) const = default;
};

struct OsDef {
    std::optional<std::string> arch;    // riscv64
    std::optional<std::string> machine; // virt
    std::optional<std::string> kernel;
    std::optional<std::string> initrd;
    std::optional<std::string> cmdline;
    std::optional<std::string> dtb;
    std::vector<std::string> boot_devs; // <boot dev='hd'/>: kept; the engine boots the kernel

    bool operator==(const OsDef&) const = default;
};

struct FeatureDef {
    Feature name = Feature::Acpi;
    std::optional<bool> state; // <pmu state='on'/>

    bool operator==(const FeatureDef&) const = default;
};

struct TimerDef {
    TimerName name = TimerName::Rtc;
    std::optional<bool> present;
    std::optional<TickPolicy> tickpolicy;

    bool operator==(const TimerDef&) const = default;
};

struct ClockDef {
    ClockOffset offset = ClockOffset::Utc;
    std::optional<int64_t> adjustment; // seconds, for offset='variable'
    std::optional<std::string> basis;  // utc|localtime, for offset='variable'
    std::vector<TimerDef> timers;

    bool operator==(const ClockDef&) const = default;
};

struct HugePage {
    uint64_t size = 0; // bytes
    std::optional<std::string> nodeset;

    bool operator==(const HugePage&) const = default;
};

struct MemoryBacking {
    bool hugepages = false;
    std::vector<HugePage> pages;
    bool nosharepages = false;
    bool locked = false;
    std::optional<MemorySource> source;
    std::optional<MemoryAccess> access;

    bool operator==(const MemoryBacking&) const = default;
};

struct MaxMemory {
    uint64_t bytes = 0;
    uint32_t slots = 0;

    bool operator==(const MaxMemory&) const = default;
};

struct DomainDevices {
    // <emulator> names a QEMU binary; virtd runs its own VMM and ignores it (kept for round trip).
    std::optional<std::string> emulator;
    std::vector<DiskDef> disks;
    std::vector<InterfaceDef> interfaces;
    std::vector<ChardevDef> serials;
    std::vector<ChardevDef> consoles;
    std::vector<ChardevDef> channels;
    std::optional<WatchdogDef> watchdog;
    std::optional<MemballoonDef> memballoon;
    std::vector<RngDef> rngs;

    bool operator==(const DomainDevices&) const = default;
};

struct DomainDef {
    DomainType type = DomainType::Kvm;
    std::optional<int64_t> id; // only in the live XML of a running domain
    std::string name;
    Uuid uuid; // null if the document gave none (the registry assigns one)
    std::optional<std::string> title;
    std::optional<std::string> description;
    std::optional<std::string> metadata; // <metadata>'s children, verbatim

    uint64_t memory = 0; // bytes
    std::optional<uint64_t> current_memory;
    std::optional<MaxMemory> max_memory;
    std::optional<MemoryBacking> memory_backing;

    VcpuDef vcpu;
    std::optional<CpuTune> cputune;

    OsDef os;
    std::vector<FeatureDef> features;
    std::optional<ClockDef> clock;
    std::optional<LifecycleAction> on_poweroff;
    std::optional<LifecycleAction> on_reboot;
    std::optional<LifecycleAction> on_crash;

    DomainDevices devices;

    bool operator==(const DomainDef&) const = default;

    // Parses and validates a <domain> document; the error lists every problem with its line.
    static Result<DomainDef> parse(std::string_view xml);
    // The document as libvirt writes it; parse(format()) gives back an equal object.
    std::string format() const;
};

// Largest vCPU count a definition may ask for.
inline constexpr uint32_t kMaxVcpus = 512;

} // namespace virtd::conf
