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
           "                 [--smp N] [--console stdio|pty|unix:PATH] [--rng] "
           "[--balloon[=deflate-on-oom]]\n"
           "                 [--disk PATH[,format=raw][,readonly][,serial=S][,direct]]...\n"
           "                 [--net tap=IFNAME[,mac=M] | "
           "switch=SOCKET[,mac=M][,vlan=N|trunk=N,M]]...\n"
           "                 [--channel NAME=unix:PATH]... [--hvc unix:PATH] [--monitor PATH]\n"
           "                 [--incoming STATEFILE] [--start-paused] [--pid-file PATH]\n"
           "  --memory  guest RAM, e.g. 256M or 1G (default 256M)\n"
           "  --smp     number of vCPUs (default 1)\n"
           "  --console where the serial console goes (default stdio)\n"
           "  --rng     a virtio-rng device fed from the host's getrandom\n"
           "  --balloon a virtio-balloon device (target and stats through the monitor); with\n"
           "            =deflate-on-oom the guest may take memory back when it runs out\n"
           "  --disk    a virtio-blk disk\n"
           "  --net     a virtio-net NIC on a tap device or a port of a virtd-switch\n"
           "  --channel a named virtio-console port; --hvc the console port's host socket\n"
           "  --monitor the JSON-lines monitor socket (drivers/kvm/vmm/MONITOR.md)\n"
           "  --incoming restore a state file written by the monitor's save-state (same options\n"
           "            as the saved guest) instead of booting the kernel\n"
           "  --start-paused  vCPUs wait for the monitor's cont\n"
           "  --pid-file written with this process's pid before anything else\n";
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

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(sep, start);
        out.push_back(text.substr(start, end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

bool all_digits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

Result<uint16_t> parse_vlan(const std::string& text) {
    unsigned n = 0;
    auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || rest != text.data() + text.size() || n < 1 || n > 4094)
        return bad("--net", fmt::format("'{}' is not a VLAN id from 1 to 4094", text));
    return static_cast<uint16_t>(n);
}

Result<DiskSpec> parse_disk(const std::string& text) {
    std::vector<std::string> items = split(text, ',');
    DiskSpec d;
    d.path = items[0];
    if (d.path.empty()) return bad("--disk", "needs a path first");
    for (size_t i = 1; i < items.size(); ++i) {
        const std::string& it = items[i];
        if (it == "readonly") {
            d.read_only = true;
        } else if (it == "direct") {
            d.direct = true;
        } else if (it.starts_with("format=")) {
            d.format = it.substr(7);
            if (d.format != "raw")
                return bad("--disk", fmt::format("{}: format '{}' is not supported (raw is)",
                                                 d.path, d.format));
        } else if (it.starts_with("serial=")) {
            d.serial = it.substr(7);
            if (d.serial.size() > 20)
                return bad("--disk", fmt::format("{}: serial '{}' is longer than 20 bytes", d.path,
                                                 d.serial));
        } else {
            return bad("--disk", fmt::format("{}: unknown setting '{}'", d.path, it));
        }
    }
    return d;
}

Result<NetSpec> parse_net(const std::string& text) {
    std::vector<std::string> items = split(text, ',');
    NetSpec n;
    bool have_mac = false, have_vlan = false;
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string& it = items[i];
        if (i == 0 && it.starts_with("tap=") && it.size() > 4) {
            n.kind = NetSpec::Kind::Tap;
            n.target = it.substr(4);
        } else if (i == 0 && it.starts_with("switch=") && it.size() > 7) {
            n.kind = NetSpec::Kind::Switch;
            n.target = it.substr(7);
        } else if (i == 0) {
            return bad("--net",
                       fmt::format("'{}' does not start with tap=IFNAME or switch=SOCKET", text));
        } else if (it.starts_with("mac=")) {
            Result<MacAddress> mac = MacAddress::parse(it.substr(4));
            if (!mac) return bad("--net", mac.error().message());
            if (mac->is_multicast())
                return bad("--net", fmt::format("{} is a multicast address", it.substr(4)));
            n.mac = *mac;
            have_mac = true;
        } else if (it.starts_with("vlan=") || it.starts_with("trunk=")) {
            if (n.kind != NetSpec::Kind::Switch)
                return bad("--net", "VLANs are set on switch ports (switch=SOCKET)");
            if (have_vlan) return bad("--net", "give either vlan=N or trunk=N,M once");
            have_vlan = true;
            if (it.starts_with("vlan=")) {
                Result<uint16_t> v = parse_vlan(it.substr(5));
                if (!v) return v.error();
                n.vlan = *v;
                continue;
            }
            // trunk=N,M,...: the ids after trunk= are the items that are bare numbers.
            std::vector<std::string> ids{it.substr(6)};
            while (i + 1 < items.size() && all_digits(items[i + 1]))
                ids.push_back(items[++i]);
            for (const std::string& id : ids) {
                Result<uint16_t> v = parse_vlan(id);
                if (!v) return v.error();
                n.trunk.push_back(*v);
            }
        } else {
            return bad("--net", fmt::format("unknown setting '{}' in '{}'", it, text));
        }
    }
    if (!have_mac) n.mac = MacAddress::generate();
    return n;
}

} // namespace

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
        } else if (a == "--start-paused") {
            o.start_paused = true;
        } else if (a == "--balloon" || a == "--balloon=deflate-on-oom") {
            o.balloon = true;
            o.balloon_deflate_on_oom = a != "--balloon";
        } else if (a == "--incoming") {
            Result<std::string> v = value();
            if (!v) return v.error();
            if (v->empty()) return bad("--incoming", "needs a state file");
            o.incoming = *v;
        } else if (a == "--pid-file") {
            Result<std::string> v = value();
            if (!v) return v.error();
            if (v->empty()) return bad("--pid-file", "needs a path");
            o.pid_file = *v;
        } else if (a == "--disk" || a == "--net" || a == "--channel" || a == "--hvc" ||
                   a == "--monitor") {
            Result<std::string> v = value();
            if (!v) return v.error();
            if (a == "--disk") {
                Result<DiskSpec> d = parse_disk(*v);
                if (!d) return d.error();
                o.disks.push_back(std::move(*d));
            } else if (a == "--net") {
                Result<NetSpec> n = parse_net(*v);
                if (!n) return n.error();
                for (const NetSpec& other : o.nets)
                    if (other.mac == n->mac)
                        return bad("--net", fmt::format("MAC {} is used twice", n->mac.format()));
                o.nets.push_back(std::move(*n));
            } else if (a == "--channel") {
                size_t eq = v->find('=');
                if (eq == 0 || eq == std::string::npos || !v->substr(eq + 1).starts_with("unix:") ||
                    v->size() <= eq + 6)
                    return bad("--channel", fmt::format("'{}' is not NAME=unix:PATH", *v));
                ChannelSpec c{v->substr(0, eq), v->substr(eq + 6)};
                for (const ChannelSpec& other : o.channels)
                    if (other.name == c.name)
                        return bad("--channel", fmt::format("channel '{}' is given twice", c.name));
                o.channels.push_back(std::move(c));
            } else if (a == "--hvc") {
                if (!v->starts_with("unix:") || v->size() <= 5)
                    return bad("--hvc", fmt::format("'{}' is not unix:PATH", *v));
                o.hvc = v->substr(5);
            } else {
                o.monitor = *v;
            }
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
