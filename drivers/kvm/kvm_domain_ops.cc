// KvmDomainDriver: memory (the balloon), vCPUs, statistics and the serial console of guests.
#include <algorithm>

#include "common/file.h"
#include "common/mac.h"
#include "drivers/domain_errors.h"
#include "drivers/kvm/kvm_domain_driver.h"

namespace virtd::kvm {
using domain_errors::invalid;
using domain_errors::not_running;
using Json = nlohmann::json;

namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;

int64_t field(const Json& j, const char* name) {
    return j.contains(name) && j[name].is_number() ? j[name].get<int64_t>() : -1;
}

// A console client's end: what it types goes to the guest while it holds the console. The
// guest is looked up at each write, since a reboot moves the console to a new VMM.
class KvmConsole : public ConsoleChannel {
public:
    using Current = std::function<std::shared_ptr<Guest>()>;
    KvmConsole(Current current, std::shared_ptr<void> token)
        : current_(std::move(current))
        , token_(std::move(token)) {}
    ~KvmConsole() override {
        if (std::shared_ptr<Guest> g = current_()) g->detach_console(token_);
    }
    Status write(std::string_view data) override {
        std::shared_ptr<Guest> g = current_();
        if (!g) return not_running();
        return g->console_write(token_, data);
    }

private:
    Current current_;
    std::shared_ptr<void> token_;
};

} // namespace

Status KvmDomainDriver::set_memory(const DomainRef& dom, uint64_t kib, unsigned flags) {
    Result<DomainPtr> d = get(dom);
    if (!d) return d.error();
    std::lock_guard job((*d)->job);
    std::lock_guard write_lock(write_mu_);
    std::shared_ptr<Guest> g;
    uint64_t max_kib = 0;
    {
        std::lock_guard lock(mu_);
        Domain& x = **d;
        if (flags == 0) flags = x.active() ? kAffectLive : kAffectConfig; // "current"
        if ((flags & kAffectLive) && !x.active()) return not_running();
        if ((flags & kAffectConfig) && !x.persistent)
            return invalid("cannot change persistent config of a transient domain");
        if ((flags & kAffectLive) && (flags & kAffectMaximum))
            return make_error(ErrorCode::OperationInvalid, kDom,
                              "cannot resize the maximum memory on an active domain");
        const conf::DomainDef& def = (flags & kAffectLive) ? *x.live : x.def;
        max_kib = def.memory / 1024;
        if (!(flags & kAffectMaximum) && kib > max_kib)
            return make_error(ErrorCode::InvalidArg, kDom,
                              "cannot set memory higher than max memory ({} KiB > {} KiB)", kib,
                              max_kib);
        if (kib < uint64_t{16} * 1024 && (flags & kAffectMaximum))
            return make_error(ErrorCode::InvalidArg, kDom, "memory {} KiB is below 16 MiB", kib);
        g = x.guest;
    }
    if (flags & kAffectLive) {
        if (Result<Json> r = g->command("balloon", {{"value", kib * 1024}}); !r) {
            if (r.error().code() == ErrorCode::DeviceMissing)
                return make_error(ErrorCode::OperationInvalid, kDom,
                                  "Unable to change memory of active domain without the "
                                  "balloon device");
            return r.error();
        }
        std::lock_guard lock(mu_);
        if ((*d)->live) (*d)->live->current_memory = kib * 1024;
    }
    if (flags & kAffectConfig) {
        conf::DomainDef def;
        bool autostart;
        {
            std::lock_guard lock(mu_);
            def = (*d)->def;
            autostart = (*d)->autostart;
        }
        if (flags & kAffectMaximum) {
            def.memory = kib * 1024;
            if (def.current_memory && *def.current_memory > def.memory)
                def.current_memory = def.memory;
        } else {
            def.current_memory = kib * 1024;
        }
        if (Status s = store_.save(def.name, def.format(), autostart); !s) return s;
        std::lock_guard lock(mu_);
        (*d)->def = std::move(def);
    }
    return {};
}

Result<int32_t> KvmDomainDriver::get_vcpus_count(const DomainRef& dom, unsigned flags) {
    std::lock_guard lock(mu_);
    DomainPtr d = find_locked(dom);
    if (!d) return domain_errors::no_domain("uuid", dom.uuid.format());
    const bool live = (flags & kAffectLive) || (!(flags & kAffectConfig) && d->live);
    if ((flags & kAffectLive) && !d->live) return not_running();
    const conf::DomainDef& def = live && d->live ? *d->live : d->def;
    if (flags & kAffectMaximum) return static_cast<int32_t>(def.vcpu.max);
    return static_cast<int32_t>(def.vcpu.current.value_or(def.vcpu.max));
}

Result<std::vector<VcpuInfo>> KvmDomainDriver::get_vcpu_info(const DomainRef& dom) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::shared_ptr<Guest> g;
    uint32_t n = 0;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->live) return not_running();
        g = (*d)->guest;
        n = (*d)->live->vcpu.max;
    }
    // A vCPU whose thread is not found (paused before it first ran) reports no time.
    std::vector<VcpuInfo> out(n);
    for (uint32_t i = 0; i < n; ++i) {
        out[i].number = i;
        out[i].state = 1;
        out[i].cpu = -1;
    }
    for (const VcpuInfo& v : g->vcpu_threads())
        if (v.number < n) out[v.number] = v;
    return out;
}

Result<CpuTimes> KvmDomainDriver::cpu_times(const DomainRef& dom) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    Result<std::shared_ptr<Guest>> running = running_guest(*d);
    if (!running) return running.error();
    const std::shared_ptr<Guest>& g = *running;
    return g->cpu_times(); // the whole VMM process: vCPU threads and device emulation
}

Result<std::vector<MemoryStat>> KvmDomainDriver::memory_stats(const DomainRef& dom, unsigned) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    Result<std::shared_ptr<Guest>> running = running_guest(*d);
    if (!running) return running.error();
    const std::shared_ptr<Guest>& g = *running;
    std::vector<MemoryStat> out;
    Result<Json> b = g->command("query-balloon");
    if (b) {
        // The monitor reports bytes; libvirt reports KiB (and faults as counts).
        auto put = [&](int32_t tag, const char* name, bool bytes) {
            if (!b->contains("stats") || !(*b)["stats"].is_object()) return;
            int64_t v = field((*b)["stats"], name);
            if (v >= 0) out.push_back({tag, static_cast<uint64_t>(bytes ? v / 1024 : v)});
        };
        put(memory_stat::kSwapIn, "stat-swap-in", true);
        put(memory_stat::kSwapOut, "stat-swap-out", true);
        put(memory_stat::kMajorFault, "stat-major-faults", false);
        put(memory_stat::kMinorFault, "stat-minor-faults", false);
        put(memory_stat::kUnused, "stat-free-memory", true);
        put(memory_stat::kAvailable, "stat-total-memory", true);
        put(memory_stat::kUsable, "stat-available-memory", true);
        put(memory_stat::kDiskCaches, "stat-disk-caches", true);
        if (int64_t actual = field(*b, "actual"); actual >= 0)
            out.push_back({memory_stat::kActualBalloon, static_cast<uint64_t>(actual) / 1024});
        if (int64_t t = field(*b, "last-update"); t > 0)
            out.push_back({memory_stat::kLastUpdate, static_cast<uint64_t>(t)});
    } else if (b.error().code() != ErrorCode::DeviceMissing) {
        return b.error();
    }
    if (Result<uint64_t> rss = g->rss_kib()) out.push_back({memory_stat::kRss, *rss});
    std::sort(out.begin(), out.end(),
              [](const MemoryStat& a, const MemoryStat& b) { return a.tag < b.tag; });
    return out;
}

Result<BlockStats> KvmDomainDriver::block_stats(const DomainRef& dom, const std::string& disk) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::shared_ptr<Guest> g;
    std::string target = disk;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->live) return not_running();
        g = (*d)->guest;
        // The VMM names disks vda, vdb, ... in definition order; a source path names one too.
        const auto& disks = (*d)->live->devices.disks;
        for (size_t i = 0; i < disks.size(); ++i)
            if (disks[i].target_dev == disk || (disks[i].source && disks[i].source->path == disk))
                target = std::string("vd") + static_cast<char>('a' + i);
    }
    Result<Json> r = g->command("query-block");
    if (!r) return r.error();
    for (const Json& b : *r) {
        if (b.value("device", "") != target && b.value("file", "") != disk) continue;
        const Json& st = b.contains("stats") ? b["stats"] : Json::object();
        BlockStats out;
        out.rd_req = field(st, "rd_operations");
        out.rd_bytes = field(st, "rd_bytes");
        out.wr_req = field(st, "wr_operations");
        out.wr_bytes = field(st, "wr_bytes");
        out.errs = field(st, "failed_operations");
        return out;
    }
    return make_error(ErrorCode::InvalidArg, kDom, "invalid path: {}", disk);
}

Result<InterfaceStats> KvmDomainDriver::interface_stats(const DomainRef& dom,
                                                        const std::string& device) {
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    std::shared_ptr<Guest> g;
    std::string name = device;
    {
        std::lock_guard lock(mu_);
        if (!(*d)->live) return not_running();
        g = (*d)->guest;
        const auto& nics = (*d)->live->devices.interfaces;
        Result<MacAddress> mac = MacAddress::parse(device);
        for (size_t i = 0; i < nics.size(); ++i)
            if ((nics[i].target_dev && *nics[i].target_dev == device) ||
                (mac && nics[i].mac && *nics[i].mac == *mac))
                name = "net" + std::to_string(i);
    }
    Result<Json> r = g->command("query-net");
    if (!r) return r.error();
    for (const Json& n : *r) {
        if (n.value("name", "") != name) continue;
        InterfaceStats out;
        out.rx_bytes = field(n, "rx_bytes");
        out.rx_packets = field(n, "rx_packets");
        out.rx_drop = field(n, "rx_dropped");
        out.rx_errs = 0;
        out.tx_bytes = field(n, "tx_bytes");
        out.tx_packets = field(n, "tx_packets");
        out.tx_drop = field(n, "tx_dropped");
        out.tx_errs = 0;
        return out;
    }
    return make_error(ErrorCode::InvalidArg, kDom, "invalid path, '{}' is not a known interface",
                      device);
}

Result<std::unique_ptr<ConsoleChannel>>
KvmDomainDriver::open_console(const DomainRef& dom, const std::optional<std::string>& device,
                              unsigned flags, const ConsoleOutput& output) {
    constexpr unsigned kConsoleForce = 1;
    Result<DomainPtr> d = get_active(dom);
    if (!d) return d.error();
    Result<std::shared_ptr<Guest>> running = running_guest(*d);
    if (!running) return running.error();
    const std::shared_ptr<Guest>& g = *running;
    // The serial console is the one device; libvirt names it serial0 or console0.
    if (device && !device->empty() && *device != "serial0" && *device != "console0")
        return make_error(ErrorCode::OperationFailed, kDom, "cannot find character device {}",
                          *device);
    Result<std::shared_ptr<void>> token = g->attach_console(output, (flags & kConsoleForce) != 0);
    if (!token) return token.error();
    KvmConsole::Current current = [this, d = *d]() -> std::shared_ptr<Guest> {
        std::lock_guard lock(mu_);
        return d->guest;
    };
    return std::unique_ptr<ConsoleChannel>(new KvmConsole(std::move(current), std::move(*token)));
}

} // namespace virtd::kvm
