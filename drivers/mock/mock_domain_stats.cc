// MockDomainDriver: statistics and capabilities of the simulated hypervisor. The figures are
// fixed functions of the definition (memory size, device order), never of time, so tests can
// check exact values end to end, the way libvirt's test driver simulates its guests.
#include "common/host.h"
#include "common/mac.h"
#include "conf/capabilities.h"
#include "conf/domain_capabilities.h"
#include "drivers/domain_errors.h"
#include "drivers/mock/mock_domain_driver.h"

namespace virtd {
using domain_errors::not_running;

namespace {
// What the mock says runs its guests: the engine's VMM, as the daemon always reported.
constexpr const char* kMockEmulator = "/usr/libexec/virtd-vmm";
} // namespace

Result<std::vector<MemoryStat>> MockDomainDriver::memory_stats(const DomainRef& dom, unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    const conf::DomainDef& def = (*d)->def;
    const uint64_t cur = def.current_memory.value_or(def.memory) / 1024;
    // A guest that uses a quarter of its memory and keeps an eighth as page cache.
    return std::vector<MemoryStat>{
        {memory_stat::kSwapIn, 0},           {memory_stat::kSwapOut, 0},
        {memory_stat::kUnused, cur / 2},     {memory_stat::kAvailable, cur},
        {memory_stat::kActualBalloon, cur},  {memory_stat::kRss, cur / 4},
        {memory_stat::kUsable, cur * 3 / 4}, {memory_stat::kDiskCaches, cur / 8},
    };
}

Result<BlockStats> MockDomainDriver::block_stats(const DomainRef& dom, const std::string& disk) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    const auto& disks = (*d)->def.devices.disks;
    for (size_t i = 0; i < disks.size(); ++i) {
        if (disks[i].target_dev != disk && !(disks[i].source && disks[i].source->path == disk))
            continue;
        // Disk n (from 1) has read 100n requests and written 10n, of 4 KiB each.
        const int64_t n = static_cast<int64_t>(i) + 1;
        return BlockStats{100 * n, 100 * n * 4096, 10 * n, 10 * n * 4096, 0};
    }
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom, "invalid path: {}", disk);
}

Result<InterfaceStats> MockDomainDriver::interface_stats(const DomainRef& dom,
                                                         const std::string& device) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    const auto& nics = (*d)->def.devices.interfaces;
    Result<MacAddress> mac = MacAddress::parse(device);
    for (size_t i = 0; i < nics.size(); ++i) {
        bool match = (nics[i].target_dev && *nics[i].target_dev == device) ||
                     (mac && nics[i].mac && *nics[i].mac == *mac);
        if (!match) continue;
        // Interface n (from 1) has received 20n packets of 100 bytes and sent 10n.
        const int64_t n = static_cast<int64_t>(i) + 1;
        return InterfaceStats{2000 * n, 20 * n, 0, 0, 1000 * n, 10 * n, 0, 0};
    }
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                      "invalid path, '{}' is not a known interface", device);
}

Result<std::string> MockDomainDriver::capabilities() {
    static const Uuid host_uuid = Uuid::generate(); // stable for the daemon's lifetime
    return conf::Capabilities::for_host(host_uuid, kMockEmulator, host_cpus()).format();
}

Result<std::string> MockDomainDriver::domain_capabilities(const std::string& emulator,
                                                          const std::string& arch,
                                                          const std::string& machine,
                                                          const std::string& virttype, unsigned) {
    // The mock accepts what the engine accepts (the same definitions load on both).
    auto refuse = [](std::string_view what, const std::string& value) {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                          "{} '{}' is not supported by emulator '{}'", what, value, kMockEmulator);
    };
    if (!emulator.empty() && emulator != kMockEmulator) return refuse("emulator", emulator);
    if (!arch.empty() && arch != "riscv64") return refuse("architecture", arch);
    if (!machine.empty() && machine != "virt") return refuse("machine", machine);
    if (!virttype.empty() && virttype != "kvm") return refuse("virttype", virttype);
    return conf::DomainCapabilities::for_engine(kMockEmulator, conf::kMaxVcpus).format();
}

} // namespace virtd
