// domain_stats: the per-domain statistics of virConnectGetAllDomainStats (virsh domstats),
// composed from the core DomainDriver calls (state, info, vCPUs, memory, disk and interface
// counters) under libvirt's field names. It lives beside the drivers, not in a front door, so the
// RPC, D-Bus and CIM doors report the same figures; each of them only translates the result.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "drivers/domain_driver.h"

namespace virtd {

// libvirt's virDomainStatsTypes: the groups a caller asks for (0 = every group we have).
namespace stats_group {
inline constexpr unsigned kState = 1, kCpuTotal = 2, kBalloon = 4, kVcpu = 8, kInterface = 16,
                          kBlock = 32;
inline constexpr unsigned kSupported = kState | kCpuTotal | kBalloon | kVcpu | kInterface | kBlock;
} // namespace stats_group

// libvirt's virConnectGetAllDomainStatsFlags.
namespace stats_flag {
inline constexpr unsigned kActive = 1, kInactive = 2, kPersistent = 4, kTransient = 8;
inline constexpr unsigned kRunning = 16, kPaused = 32, kShutoff = 64, kOther = 128;
inline constexpr unsigned kNoWait = 1u << 29, kBacking = 1u << 30, kEnforceStats = 1u << 31;
} // namespace stats_flag

// A typed parameter (virTypedParameter) without its wire form. The alternatives are in the
// order of libvirt's type numbers 1..7: int, uint, llong, ullong, double, boolean, string.
using TypedValue = std::variant<int32_t, uint32_t, int64_t, uint64_t, double, bool, std::string>;

struct StatParam {
    std::string field;
    TypedValue value;

    bool operator==(const StatParam&) const = default;
};

struct DomainStats {
    DomainRef dom;
    std::vector<StatParam> params;
};

// One domain's statistics in the groups asked for (0: all supported). Figures a driver cannot
// give (not running, no balloon, unsupported) are left out, as libvirt does.
std::vector<StatParam> collect_domain_stats(DomainDriver& driver, const DomainRef& dom,
                                            unsigned groups);

// virConnectGetAllDomainStats (`doms` empty: every domain `flags` selects that `visible` lets
// through) and virDomainListGetStats (`doms` given). A domain that vanishes meanwhile is left
// out. With kEnforceStats, asking for a group we do not have is an error.
Result<std::vector<DomainStats>>
get_all_domain_stats(DomainDriver& driver, const std::vector<DomainRef>& doms, unsigned groups,
                     unsigned flags, const std::function<bool(const DomainRef&)>& visible = {});

// The interface name domstats and domiflist show and interface_stats accepts: the host device
// (target dev) when there is one, else the MAC (guests on the userspace switch have no tap).
std::string interface_stats_name(const std::optional<std::string>& target_dev,
                                 const std::string& mac);

} // namespace virtd
