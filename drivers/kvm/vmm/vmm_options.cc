#include "drivers/kvm/vmm/vmm_options.h"

#include <charconv>

#include <fmt/format.h>

namespace virtd::vmm {
namespace {

Error bad(std::string_view option, std::string_view problem) {
    return make_error(ErrorCode::InvalidArg, ErrorDomain::None, "{}: {}", option, problem);
}

} // namespace

std::string vmm_usage() {
    return "usage: virtd-vmm --kernel IMAGE [--initrd FILE] [--append CMDLINE] [--memory SIZE]\n"
           "                 [--smp N] [--console stdio|pty|unix:PATH] [--rng]\n"
           "  --memory  guest RAM, e.g. 256M or 1G (default 256M)\n"
           "  --smp     number of vCPUs (default 1)\n"
           "  --console where the serial console goes (default stdio)\n"
           "  --rng     a virtio-rng device fed from the host's getrandom\n";
}

Result<uint64_t> parse_memory_size(const std::string& text) {
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [rest, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || rest == text.data())
        return bad("--memory", fmt::format("'{}' is not a size (try 256M or 1G)", text));
    std::string_view unit(rest, static_cast<size_t>(end - rest));
    unsigned shift = 0;
    if (unit.empty() || unit == "B") {
        shift = 0;
    } else if (unit == "K" || unit == "k" || unit == "KiB") {
        shift = 10;
    } else if (unit == "M" || unit == "MiB") {
        shift = 20;
    } else if (unit == "G" || unit == "GiB") {
        shift = 30;
    } else if (unit == "T" || unit == "TiB") {
        shift = 40;
    } else {
        return bad("--memory",
                   fmt::format("unknown unit '{}' in '{}' (use K, M, G or T)", unit, text));
    }
    if (shift && value > (UINT64_MAX >> shift))
        return bad("--memory", fmt::format("'{}' is too large", text));
    return value << shift;
}

Result<VmmOptions> parse_vmm_options(const std::vector<std::string>& args) {
    VmmOptions o;
    bool have_memory = false;
    for (size_t i = 0; i < args.size(); i++) {
        const std::string& a = args[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= args.size()) return bad(a, "needs a value");
            return args[++i];
        };
        if (a == "--rng") {
            o.rng = true;
        } else if (a == "--kernel" || a == "--initrd" || a == "--append" || a == "--memory" ||
                   a == "--smp" || a == "--console") {
            Result<std::string> v = value();
            if (!v) return v.error();
            if (a == "--kernel") {
                o.kernel = *v;
            } else if (a == "--initrd") {
                o.initrd = *v;
            } else if (a == "--append") {
                o.append = *v;
            } else if (a == "--memory") {
                Result<uint64_t> m = parse_memory_size(*v);
                if (!m) return m.error();
                o.memory = *m;
                have_memory = true;
            } else if (a == "--smp") {
                uint32_t n = 0;
                auto [rest, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
                if (ec != std::errc() || rest != v->data() + v->size() || n == 0 || n > kMaxHarts)
                    return bad("--smp",
                               fmt::format("'{}' is not a vCPU count from 1 to {}", *v, kMaxHarts));
                o.smp = n;
            } else {
                if (*v == "stdio") {
                    o.console.kind = ConsoleSpec::Kind::Stdio;
                } else if (*v == "pty") {
                    o.console.kind = ConsoleSpec::Kind::Pty;
                } else if (v->starts_with("unix:") && v->size() > 5) {
                    o.console.kind = ConsoleSpec::Kind::Unix;
                    o.console.path = v->substr(5);
                } else {
                    return bad("--console", fmt::format("'{}' is not stdio, pty or unix:PATH", *v));
                }
            }
        } else {
            return bad(a, "unknown option");
        }
    }
    if (o.kernel.empty()) return bad("--kernel", "a kernel image is required");
    if (have_memory && (o.memory < (16ull << 20) || o.memory > kMaxMemory))
        return bad("--memory",
                   fmt::format("{} bytes is outside 16M..{}G", o.memory, kMaxMemory >> 30));
    if (o.memory % 4096 != 0) return bad("--memory", "must be a whole number of 4 KiB pages");
    return o;
}

} // namespace virtd::vmm
