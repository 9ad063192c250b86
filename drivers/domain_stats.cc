#include "drivers/domain_stats.h"

#include <fmt/format.h>

#include "conf/domain.h"

namespace virtd {
namespace {

// Appends libvirt's named figures; a counter below zero is one the driver does not know.
class Params {
public:
    explicit Params(std::vector<StatParam>& out)
        : out_(out) {}
    template <typename T>
    void add(std::string field, T value) {
        out_.push_back({std::move(field), TypedValue(value)});
    }
    void counter(std::string field, int64_t value) {
        if (value >= 0) add(std::move(field), static_cast<uint64_t>(value));
    }

private:
    std::vector<StatParam>& out_;
};

// libvirt's balloon.* name for a memory_stat tag; empty for tags reported otherwise.
const char* balloon_field(int32_t tag) {
    switch (tag) {
    case memory_stat::kSwapIn:
        return "balloon.swap_in";
    case memory_stat::kSwapOut:
        return "balloon.swap_out";
    case memory_stat::kMajorFault:
        return "balloon.major_fault";
    case memory_stat::kMinorFault:
        return "balloon.minor_fault";
    case memory_stat::kUnused:
        return "balloon.unused";
    case memory_stat::kAvailable:
        return "balloon.available";
    case memory_stat::kRss:
        return "balloon.rss";
    case memory_stat::kUsable:
        return "balloon.usable";
    case memory_stat::kLastUpdate:
        return "balloon.last-update";
    case memory_stat::kDiskCaches:
        return "balloon.disk_caches";
    default:
        return "";
    }
}

void add_state(Params& p, const DomainStateReason& st) {
    p.add("state.state", static_cast<int32_t>(st.state));
    p.add("state.reason", st.reason);
}

void add_balloon(Params& p, DomainDriver& driver, const DomainRef& dom, const DomainInfo& info,
                 bool running) {
    uint64_t current = info.memory_kib;
    std::vector<MemoryStat> stats;
    if (running) {
        if (Result<std::vector<MemoryStat>> r = driver.memory_stats(dom, 0)) stats = std::move(*r);
    }
    for (const MemoryStat& s : stats)
        if (s.tag == memory_stat::kActualBalloon) current = s.value;
    p.add("balloon.current", current);
    p.add("balloon.maximum", info.max_memory_kib);
    for (const MemoryStat& s : stats)
        if (const char* f = balloon_field(s.tag); *f) p.add(f, s.value);
}

void add_vcpus(Params& p, DomainDriver& driver, const DomainRef& dom, const DomainInfo& info,
               bool running) {
    p.add("vcpu.current", static_cast<uint32_t>(info.vcpus));
    Result<int32_t> max = driver.get_vcpus_count(dom, kAffectMaximum);
    p.add("vcpu.maximum", static_cast<uint32_t>(max ? *max : info.vcpus));
    if (!running) return;
    Result<std::vector<VcpuInfo>> vcpus = driver.get_vcpu_info(dom);
    if (!vcpus) return;
    for (const VcpuInfo& v : *vcpus) {
        p.add(fmt::format("vcpu.{}.state", v.number), v.state);
        p.add(fmt::format("vcpu.{}.time", v.number), v.cpu_time_ns);
    }
}

void add_interfaces(Params& p, DomainDriver& driver, const DomainRef& dom,
                    const conf::DomainDef& def) {
    const auto& nics = def.devices.interfaces;
    p.add("net.count", static_cast<uint32_t>(nics.size()));
    for (size_t i = 0; i < nics.size(); ++i) {
        std::string name =
            interface_stats_name(nics[i].target_dev, nics[i].mac ? nics[i].mac->format() : "");
        p.add(fmt::format("net.{}.name", i), name);
        Result<InterfaceStats> s = driver.interface_stats(dom, name);
        if (!s) continue;
        auto put = [&](const char* what, int64_t v) {
            p.counter(fmt::format("net.{}.{}", i, what), v);
        };
        put("rx.bytes", s->rx_bytes);
        put("rx.pkts", s->rx_packets);
        put("rx.errs", s->rx_errs);
        put("rx.drop", s->rx_drop);
        put("tx.bytes", s->tx_bytes);
        put("tx.pkts", s->tx_packets);
        put("tx.errs", s->tx_errs);
        put("tx.drop", s->tx_drop);
    }
}

void add_disks(Params& p, DomainDriver& driver, const DomainRef& dom, const conf::DomainDef& def,
               bool running) {
    const auto& disks = def.devices.disks;
    p.add("block.count", static_cast<uint32_t>(disks.size()));
    for (size_t i = 0; i < disks.size(); ++i) {
        const conf::DiskDef& d = disks[i];
        p.add(fmt::format("block.{}.name", i), d.target_dev);
        if (d.source && !d.source->path.empty())
            p.add(fmt::format("block.{}.path", i), d.source->path);
        if (!running) continue;
        Result<BlockStats> s = driver.block_stats(dom, d.target_dev);
        if (!s) continue;
        auto put = [&](const char* what, int64_t v) {
            p.counter(fmt::format("block.{}.{}", i, what), v);
        };
        put("rd.reqs", s->rd_req);
        put("rd.bytes", s->rd_bytes);
        put("wr.reqs", s->wr_req);
        put("wr.bytes", s->wr_bytes);
    }
}

// Whether the domain's state passes the kRunning/kPaused/kShutoff/kOther filter.
bool state_selected(DomainState s, unsigned flags) {
    constexpr unsigned kStates =
        stats_flag::kRunning | stats_flag::kPaused | stats_flag::kShutoff | stats_flag::kOther;
    if (!(flags & kStates)) return true;
    switch (s) {
    case DomainState::Running:
        return flags & stats_flag::kRunning;
    case DomainState::Paused:
        return flags & stats_flag::kPaused;
    case DomainState::Shutoff:
        return flags & stats_flag::kShutoff;
    default:
        return flags & stats_flag::kOther;
    }
}

} // namespace

std::string interface_stats_name(const std::optional<std::string>& target_dev,
                                 const std::string& mac) {
    if (target_dev && !target_dev->empty()) return *target_dev;
    return mac;
}

std::vector<StatParam> collect_domain_stats(DomainDriver& driver, const DomainRef& dom,
                                            unsigned groups) {
    if (groups == 0) groups = stats_group::kSupported;
    std::vector<StatParam> out;
    Params p(out);
    Result<DomainStateReason> st = driver.get_state(dom);
    Result<DomainInfo> info = driver.get_info(dom);
    if (!st || !info) return out;
    // Paused guests still have their VMM, counters and balloon.
    const bool running = st->state != DomainState::Shutoff && st->state != DomainState::NoState &&
                         st->state != DomainState::Crashed;
    if (groups & stats_group::kState) add_state(p, *st);
    if ((groups & stats_group::kCpuTotal) && running) {
        if (Result<CpuTimes> t = driver.cpu_times(dom)) {
            p.add("cpu.time", t->total_ns);
            p.counter("cpu.user", t->user_ns);
            p.counter("cpu.system", t->system_ns);
        }
    }
    if (groups & stats_group::kBalloon) add_balloon(p, driver, dom, *info, running);
    if (groups & stats_group::kVcpu) add_vcpus(p, driver, dom, *info, running);
    if (groups & (stats_group::kInterface | stats_group::kBlock)) {
        // Disk and NIC names come from the definition the domain runs with.
        Result<std::string> xml = driver.get_xml(dom, 0);
        Result<conf::DomainDef> def =
            xml ? conf::DomainDef::parse(*xml) : Result<conf::DomainDef>(xml.error());
        if (def) {
            if ((groups & stats_group::kInterface) && running) add_interfaces(p, driver, dom, *def);
            if (groups & stats_group::kBlock) add_disks(p, driver, dom, *def, running);
        }
    }
    return out;
}

Result<std::vector<DomainStats>>
get_all_domain_stats(DomainDriver& driver, const std::vector<DomainRef>& doms, unsigned groups,
                     unsigned flags, const std::function<bool(const DomainRef&)>& visible) {
    if ((flags & stats_flag::kEnforceStats) && (groups & ~stats_group::kSupported))
        return make_error(ErrorCode::ArgumentUnsupported, ErrorDomain::Dom,
                          "Stats types bits 0x{:x} are not supported by this daemon",
                          groups & ~stats_group::kSupported);
    std::vector<DomainRef> selected = doms;
    if (doms.empty()) {
        constexpr unsigned kListBits =
            kListActive | kListInactive | kListPersistent | kListTransient;
        Result<std::vector<DomainRef>> all = driver.list_all(flags & kListBits);
        if (!all) return all.error();
        for (const DomainRef& d : *all)
            if (!visible || visible(d)) selected.push_back(d);
    }
    std::vector<DomainStats> out;
    for (const DomainRef& d : selected) {
        Result<DomainStateReason> st = driver.get_state(d);
        if (!st) {
            if (!doms.empty()) return st.error(); // a domain the caller named must exist
            continue;
        }
        if (doms.empty() && !state_selected(st->state, flags)) continue;
        // The handle as it is now (an id assigned or dropped since the caller looked).
        Result<DomainRef> now = driver.lookup_by_uuid(d.uuid);
        const DomainRef& ref = now ? *now : d;
        out.push_back({ref, collect_domain_stats(driver, ref, groups)});
    }
    return out;
}

} // namespace virtd
