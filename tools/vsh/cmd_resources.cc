// Domain memory and vCPU commands: setmem, setmaxmem, setvcpus, vcpucount.
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// libvirt's virDomainModificationImpact and the per-call extras.
constexpr unsigned kAffectLive = 1;
constexpr unsigned kAffectConfig = 2;
constexpr unsigned kMemMaximum = 4;
constexpr unsigned kVcpuMaximum = 4;
constexpr unsigned kVcpuGuest = 8;
constexpr unsigned kVcpuHotpluggable = 16;

// --config/--live/--current, refusing --current with either of the others as virsh does.
std::optional<unsigned> impact(Vsh& vsh, const Args& args) {
    if (args.has("current") && (args.has("live") || args.has("config"))) {
        vsh.error("Options --current and --live are mutually exclusive");
        return std::nullopt;
    }
    return (args.has("live") ? kAffectLive : 0) | (args.has("config") ? kAffectConfig : 0);
}

// A memory size in KiB from a scaled value whose bare numbers mean KiB.
std::optional<uint64_t> size_kib(Vsh& vsh, const Args& args) {
    std::string text = args.str("size");
    Result<uint64_t> bytes = parse_scaled(text, 1024);
    if (!bytes) {
        vsh.fail(bytes.error(),
                 "Scaled numeric value '{}' for <size> option is malformed or out "
                 "of range",
                 text);
        return std::nullopt;
    }
    return *bytes / 1024;
}

bool cmd_setmem(Vsh& vsh, const Args& args) {
    auto flags = impact(vsh, args);
    if (!flags) return false;
    auto d = vsh.domain(args);
    if (!d) return false;
    auto kib = size_kib(vsh, args);
    if (!kib) return false;
    Status s = *flags ? d->set_memory_flags(*kib, *flags) : d->set_memory(*kib);
    if (!s) return vsh.fail(s.error());
    return true;
}

bool cmd_setmaxmem(Vsh& vsh, const Args& args) {
    auto flags = impact(vsh, args);
    if (!flags) return false;
    auto d = vsh.domain(args);
    if (!d) return false;
    auto kib = size_kib(vsh, args);
    if (!kib) return false;
    Status s = *flags ? d->set_memory_flags(*kib, *flags | kMemMaximum) : d->set_max_memory(*kib);
    if (!s) {
        vsh.error("Unable to change MaxMemorySize");
        return vsh.fail(s.error());
    }
    return true;
}

bool cmd_setvcpus(Vsh& vsh, const Args& args) {
    auto flags = impact(vsh, args);
    if (!flags) return false;
    auto d = vsh.domain(args);
    if (!d) return false;
    std::string text = args.str("count");
    char* end = nullptr;
    long count = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end || count < 0) {
        vsh.error("Numeric value '{}' for <count> option is malformed or out of range", text);
        return false;
    }
    unsigned f = *flags | (args.has("maximum") ? kVcpuMaximum : 0) |
                 (args.has("guest") ? kVcpuGuest : 0) |
                 (args.has("hotpluggable") ? kVcpuHotpluggable : 0);
    Status s = f ? d->set_vcpus_flags(static_cast<unsigned>(count), f)
                 : d->set_vcpus(static_cast<unsigned>(count));
    if (!s) return vsh.fail(s.error());
    return true;
}

bool cmd_vcpucount(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    bool any_filter = args.has("maximum") || args.has("active") || args.has("live") ||
                      args.has("config") || args.has("current");
    if (any_filter) {
        // One number, as virsh prints it for a single selection.
        unsigned f =
            (args.has("maximum") ? kVcpuMaximum : 0) | (args.has("live") ? kAffectLive : 0) |
            (args.has("config") ? kAffectConfig : 0) | (args.has("guest") ? kVcpuGuest : 0);
        Result<int> n = d->vcpus_flags(f);
        if (!n) return vsh.fail(n.error());
        fmt::print("{}\n", *n);
        return true;
    }
    bool printed = false;
    for (auto [what, max_bit] : {std::pair{"maximum", kVcpuMaximum}, std::pair{"current", 0u}})
        for (auto [where, bit] :
             {std::pair{"config", kAffectConfig}, std::pair{"live", kAffectLive}}) {
            Result<int> n = d->vcpus_flags(max_bit | bit);
            if (!n) continue; // "live" of an inactive domain
            fmt::print("{:<12} {:<12} {:>3}\n", what, where, *n);
            printed = true;
        }
    if (!printed) {
        vsh.error("failed to query vcpu counts of domain '{}'", d->name());
        return false;
    }
    return true;
}

} // namespace

std::vector<CommandDef> resource_commands() {
    const OptDef dom{"domain", OptType::String, kRequired | kPositional, "domain name, id or uuid",
                     Complete::Domain};
    const OptDef config{"config", OptType::Bool, 0, "affect next boot"};
    const OptDef live{"live", OptType::Bool, 0, "affect running domain"};
    const OptDef current{"current", OptType::Bool, 0, "affect current domain"};
    return {
        {"setmem",
         "domain",
         "change memory allocation",
         "Change the current memory allocation in the guest domain.",
         {dom,
          {"size", OptType::String, kRequired | kPositional,
           "new memory size, as scaled integer (default KiB)"},
          config,
          live,
          current},
         cmd_setmem},
        {"setmaxmem",
         "domain",
         "change maximum memory limit",
         "Change the maximum memory allocation limit in the guest domain.",
         {dom,
          {"size", OptType::String, kRequired | kPositional,
           "new maximum memory size, as scaled integer (default KiB)"},
          config,
          live,
          current},
         cmd_setmaxmem},
        {"setvcpus",
         "domain",
         "change number of virtual CPUs",
         "Change the number of virtual CPUs in the guest domain.",
         {dom,
          {"count", OptType::Number, kRequired | kPositional, "number of virtual CPUs"},
          {"maximum", OptType::Bool, 0, "set maximum limit on next boot"},
          config,
          live,
          current,
          {"guest", OptType::Bool, 0, "modify cpu state in the guest"},
          {"hotpluggable", OptType::Bool, 0, "make added vcpus hot(un)pluggable"}},
         cmd_setvcpus},
        {"vcpucount",
         "domain",
         "domain vcpu counts",
         "Returns the number of virtual CPUs used by "
         "the domain.",
         {dom,
          {"maximum", OptType::Bool, 0, "get maximum count of vcpus"},
          {"active", OptType::Bool, 0, "get number of currently active vcpus"},
          live,
          config,
          current,
          {"guest", OptType::Bool, 0,
           "retrieve vcpu count from the guest instead of the "
           "hypervisor"}},
         cmd_vcpucount},
    };
}

} // namespace virtd::vsh
