#include "drivers/kvm/launch.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mac.h"
#include "drivers/kvm/vmm/vmm_options.h"

namespace virtd::kvm {
namespace {

// The kvm driver's errors carry libvirt's hypervisor-driver domain, as qemu's do.
constexpr ErrorDomain kDom = ErrorDomain::Qemu;
// A unix socket's path, with its terminating NUL.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path);

// A planner that stops at the first problem: each check returns a Status the caller passes on.
class Planner {
public:
    Planner(const conf::DomainDef& def, const LaunchPaths& paths, const HostFacts& host)
        : def_(def)
        , paths_(paths)
        , host_(host) {}

    Result<VmmLaunch> run();

private:
    template <typename... Args>
    Error fail(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) const {
        return make_error(code, kDom, "domain '{}': {}", def_.name,
                          fmt::format(format, std::forward<Args>(args)...));
    }

    Status check_host();
    Status check_file(const std::string& what, const std::string& path, bool writable) const;
    Status check_no_comma(const std::string& what, const std::string& value) const;
    Status boot();
    Status memory_and_cpus();
    Status disks();
    Status interfaces();
    Status chardevs();
    Status other_devices();
    void add(std::string option, std::string value = {});

    const conf::DomainDef& def_;
    const LaunchPaths& paths_;
    const HostFacts& host_;
    VmmLaunch out_;
};

void Planner::add(std::string option, std::string value) {
    out_.argv.push_back(std::move(option));
    if (!value.empty()) out_.argv.push_back(std::move(value));
}

// The VMM splits --disk and --net values at commas, so a comma inside a value would be read as a
// setting of its own; refuse it rather than start a guest with the wrong device.
Status Planner::check_no_comma(const std::string& what, const std::string& value) const {
    if (value.find(',') != std::string::npos)
        return fail(ErrorCode::ConfigUnsupported,
                    "{} '{}' contains a comma, which virtd-vmm cannot take", what, value);
    return {};
}

// `what` names the thing in the message ("kernel", "disk 'vda'"). Only regular files: a
// directory passes access() but the VMM cannot boot from or serve a disk out of it.
Status Planner::check_file(const std::string& what, const std::string& path, bool writable) const {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return system_error(kDom, errno,
                            fmt::format("domain '{}': {} '{}'", def_.name, what, path));
    if (!S_ISREG(st.st_mode))
        return fail(ErrorCode::OperationInvalid, "{} '{}' is not a regular file", what, path);
    if (access(path.c_str(), writable ? R_OK | W_OK : R_OK) != 0)
        return system_error(kDom, errno,
                            fmt::format("domain '{}': {} '{}' is not {}", def_.name, what, path,
                                        writable ? "readable and writable" : "readable"));
    return {};
}

Status Planner::check_host() {
    if (host_.names_running.contains(def_.name))
        return make_error(ErrorCode::OperationInvalid, kDom, "domain '{}' is already running",
                          def_.name);
    if (def_.os.arch && *def_.os.arch != "riscv64")
        return fail(ErrorCode::ConfigUnsupported, "architecture {} is not supported (riscv64 is)",
                    *def_.os.arch);
    return {};
}

Status Planner::boot() {
    // There is no firmware: the VMM enters the kernel directly, so a kernel is required.
    if (!def_.os.kernel || def_.os.kernel->empty())
        return fail(ErrorCode::NoKernel, "no <kernel> in <os>; the kvm driver boots a kernel "
                                         "image directly");
    if (Status s = check_file("kernel", *def_.os.kernel, false); !s) return s;
    add("--kernel", *def_.os.kernel);
    if (def_.os.initrd && !def_.os.initrd->empty()) {
        if (Status s = check_file("initrd", *def_.os.initrd, false); !s) return s;
        add("--initrd", *def_.os.initrd);
    }
    if (def_.os.cmdline && !def_.os.cmdline->empty()) add("--append", *def_.os.cmdline);
    return {};
}

Status Planner::memory_and_cpus() {
    // DomainDef keeps bytes; the VMM takes K/M/G suffixes, and KiB always divides a definition's
    // size exactly (libvirt's smallest unit is the KiB).
    const uint64_t bytes = def_.memory;
    if (bytes == 0) return fail(ErrorCode::InvalidArg, "memory size is 0");
    if (bytes % 4096 != 0)
        return fail(ErrorCode::InvalidArg, "memory {} KiB is not a whole number of 4 KiB pages",
                    bytes >> 10);
    if (bytes < (16ull << 20) || bytes > vmm::kMaxMemory)
        return fail(ErrorCode::ConfigUnsupported, "memory {} KiB is outside 16 MiB..{} GiB",
                    bytes >> 10, vmm::kMaxMemory >> 30);
    if (bytes > host_.memory_kib * 1024)
        return fail(ErrorCode::InvalidArg, "memory {} KiB is more than the host's {} KiB",
                    bytes >> 10, host_.memory_kib);
    add("--memory", fmt::format("{}K", bytes >> 10));

    // Overcommitting vCPUs fourfold still runs; beyond that a guest only thrashes the host.
    const uint32_t limit =
        std::min<uint64_t>(static_cast<uint64_t>(host_.cpus) * 4, vmm::kMaxHarts);
    const uint32_t vcpus = def_.vcpu.max;
    if (vcpus < 1 || vcpus > limit)
        return fail(ErrorCode::InvalidArg,
                    "{} vCPUs is outside 1..{} (4 per host CPU, at most {} for virtd-vmm)", vcpus,
                    limit, vmm::kMaxHarts);
    add("--smp", std::to_string(vcpus));
    return {};
}

Status Planner::disks() {
    for (const conf::DiskDef& d : def_.devices.disks) {
        const std::string what = fmt::format("disk '{}'", d.target_dev);
        if (d.type != conf::DiskType::File)
            return fail(ErrorCode::ConfigUnsupported,
                        "{}: type {} is not supported by the kvm "
                        "driver yet",
                        what, conf::kDiskTypes.name(d.type));
        conf::DiskFormat format = conf::DiskFormat::Raw;
        if (d.driver && d.driver->format) format = *d.driver->format;
        if (format != conf::DiskFormat::Raw)
            return fail(ErrorCode::ConfigUnsupported,
                        "{}: format {} is not supported by the kvm driver yet", what,
                        conf::kDiskFormats.name(format));
        if (!d.backing_chain.empty())
            return fail(ErrorCode::ConfigUnsupported,
                        "{}: backing chains are not supported by the kvm driver yet", what);
        if (!d.source || d.source->path.empty())
            return fail(ErrorCode::ConfigUnsupported, "{}: an empty drive is not supported", what);
        const std::string& path = d.source->path;
        if (Status s = check_no_comma(what + " path", path); !s) return s;
        if (Status s = check_file(what, path, !d.is_readonly()); !s) return s;

        std::string arg = path + ",format=raw";
        if (d.is_readonly()) arg += ",readonly";
        if (d.serial && !d.serial->empty()) {
            if (Status s = check_no_comma(what + " serial", *d.serial); !s) return s;
            if (d.serial->size() > 20)
                return fail(ErrorCode::ConfigUnsupported, "{}: serial '{}' is longer than 20 bytes",
                            what, *d.serial);
            arg += ",serial=" + *d.serial;
        }
        // cache='none' and 'directsync' mean "bypass the host page cache", which is O_DIRECT.
        if (d.driver && (d.driver->cache == conf::DiskCache::None ||
                         d.driver->cache == conf::DiskCache::Directsync))
            arg += ",direct";
        add("--disk", std::move(arg));
    }
    return {};
}

Status Planner::interfaces() {
    std::set<MacAddress> in_use;
    for (const std::string& text : host_.macs_in_use)
        if (Result<MacAddress> m = MacAddress::parse(text)) in_use.insert(*m);
    std::set<MacAddress> seen;

    for (size_t i = 0; i < def_.devices.interfaces.size(); ++i) {
        const conf::InterfaceDef& n = def_.devices.interfaces[i];
        // A NIC without a MAC gets one now, so the uniqueness checks below cover it too.
        const MacAddress mac = n.mac ? *n.mac : MacAddress::generate();
        const std::string what = fmt::format("interface {} ({})", i, mac.format());
        if (!seen.insert(mac).second)
            return fail(ErrorCode::InvalidArg, "MAC {} is used by two interfaces", mac.format());
        if (in_use.contains(mac))
            return fail(ErrorCode::OperationInvalid, "MAC {} is already used by another guest",
                        mac.format());

        std::string arg;
        switch (n.type) {
        case conf::InterfaceType::Network: {
            // As in libvirt: a guest joins only a network that is defined and started.
            auto net = host_.networks.find(n.network);
            if (net == host_.networks.end())
                return make_error(ErrorCode::NoNetwork, kDom, "no network with matching name '{}'",
                                  n.network);
            if (!net->second)
                return make_error(ErrorCode::OperationInvalid, kDom, "network '{}' is not active",
                                  n.network);
            const std::string socket = path_join(paths_.switch_socket_dir, n.network + ".sock");
            if (Status s = check_no_comma(what + " switch socket", socket); !s) return s;
            arg = "switch=" + socket;
            break;
        }
        case conf::InterfaceType::Ethernet:
            if (!n.target_dev || n.target_dev->empty())
                return fail(ErrorCode::ConfigUnsupported,
                            "{}: type ethernet needs <target dev='TAP'/>", what);
            if (Status s = check_no_comma(what + " target", *n.target_dev); !s) return s;
            if (n.vlan)
                return fail(ErrorCode::ConfigUnsupported,
                            "{}: VLANs are only supported on network interfaces", what);
            arg = "tap=" + *n.target_dev;
            break;
        case conf::InterfaceType::Bridge:
            return fail(ErrorCode::ConfigUnsupported,
                        "{}: type bridge is not supported by the kvm driver yet", what);
        }
        arg += ",mac=" + mac.format();

        if (n.vlan && !n.vlan->tags.empty()) {
            std::vector<std::string> ids;
            for (const conf::VlanTag& t : n.vlan->tags) {
                if (t.id < 1 || t.id > 4094)
                    return fail(ErrorCode::ConfigUnsupported, "{}: VLAN {} is outside 1..4094",
                                what, t.id);
                if (t.native_mode)
                    return fail(ErrorCode::ConfigUnsupported,
                                "{}: a native VLAN is not supported by the kvm driver yet", what);
                ids.push_back(std::to_string(t.id));
            }
            if (n.vlan->trunk.value_or(false))
                arg += fmt::format(",trunk={}", fmt::join(ids, ","));
            else
                arg += ",vlan=" + ids.front();
        }
        add("--net", std::move(arg));
    }
    return {};
}

Status Planner::chardevs() {
    // The UART is the serial console; libvirt's <console> with a serial (or no) target is the
    // same device as the first <serial>, and a virtio <console> is the hvc port.
    bool uart = false, hvc = false;
    auto host_end = [&](const conf::ChardevDef& c, const char* element) -> Status {
        if (c.type == conf::ChardevType::File)
            return fail(ErrorCode::ConfigUnsupported,
                        "<{} type='file'> is not supported by the kvm driver yet", element);
        if (c.type == conf::ChardevType::Unix && c.source_mode == conf::UnixMode::Connect)
            return fail(ErrorCode::ConfigUnsupported,
                        "<{} type='unix'> in connect mode is not supported by the kvm driver yet",
                        element);
        return {};
    };
    for (const conf::ChardevDef& c : def_.devices.serials) {
        if (Status s = host_end(c, "serial"); !s) return s;
        uart = true;
    }
    for (const conf::ChardevDef& c : def_.devices.consoles) {
        if (Status s = host_end(c, "console"); !s) return s;
        (c.target_type == conf::ChardevTarget::Virtio ? hvc : uart) = true;
    }
    // Sockets the daemon serves to `console` clients live in the run dir whatever the definition's
    // host end was: a pty would need the daemon to relay it anyway.
    if (uart) {
        out_.console_socket = path_join(paths_.run_dir, "console.sock");
        add("--console", "unix:" + out_.console_socket);
    }
    if (hvc) {
        out_.hvc_socket = path_join(paths_.run_dir, "hvc.sock");
        add("--hvc", "unix:" + out_.hvc_socket);
    }

    for (const conf::ChardevDef& c : def_.devices.channels) {
        if (Status s = host_end(c, "channel"); !s) return s;
        if (!c.target_name || c.target_name->empty())
            return fail(ErrorCode::ConfigUnsupported, "a <channel> needs <target name='...'/>");
        const std::string& name = *c.target_name;
        // The VMM reads NAME=unix:PATH, and the name becomes part of a file name here.
        if (name.find_first_of("=/") != std::string::npos)
            return fail(ErrorCode::ConfigUnsupported,
                        "channel name '{}' may not contain '=' or '/'", name);
        if (out_.channel_sockets.contains(name))
            return fail(ErrorCode::InvalidArg, "channel '{}' is given twice", name);
        // The definition's path when it has one (a socket another program expects there),
        // else one in the run dir.
        const std::string path =
            c.source_path ? *c.source_path
                          : path_join(paths_.run_dir, fmt::format("channel-{}.sock", name));
        if (c.source_path) {
            const std::string folder = path_dirname(path);
            struct stat st {};
            if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                return fail(ErrorCode::OperationFailed,
                            "channel '{}': the folder of its socket '{}' does not exist", name,
                            path);
            if (path.size() >= kMaxSocketPath)
                return fail(ErrorCode::ConfigUnsupported,
                            "channel '{}': socket path '{}' is longer than {} bytes", name, path,
                            kMaxSocketPath - 1);
        }
        out_.channel_sockets[name] = path;
        add("--channel", fmt::format("{}=unix:{}", name, path));
    }
    return {};
}

Status Planner::other_devices() {
    if (def_.devices.rngs.size() > 1)
        return fail(ErrorCode::ConfigUnsupported, "the kvm driver supports one <rng>, not {}",
                    def_.devices.rngs.size());
    if (!def_.devices.rngs.empty()) add("--rng");
    if (def_.devices.memballoon && def_.devices.memballoon->model == conf::BalloonModel::Virtio)
        add(def_.devices.memballoon->autodeflate.value_or(false) ? "--balloon=deflate-on-oom"
                                                                 : "--balloon");
    if (def_.devices.watchdog)
        return fail(ErrorCode::ConfigUnsupported,
                    "a <watchdog> is not supported by the kvm driver yet");
    return {};
}

Result<VmmLaunch> Planner::run() {
    for (Status (Planner::*step)() :
         {&Planner::check_host, &Planner::boot, &Planner::memory_and_cpus, &Planner::disks,
          &Planner::interfaces, &Planner::chardevs, &Planner::other_devices}) {
        if (Status s = (this->*step)(); !s) return s.error();
    }
    out_.monitor_socket = path_join(paths_.run_dir, "monitor.sock");
    add("--monitor", out_.monitor_socket);
    out_.pid_file = path_join(paths_.run_dir, "vmm.pid");
    add("--pid-file", out_.pid_file);
    out_.log_file = path_join(paths_.run_dir, "vmm.log");
    return std::move(out_);
}

} // namespace

Result<VmmLaunch> plan_launch(const conf::DomainDef& def, const LaunchPaths& paths,
                              const HostFacts& host) {
    return Planner(def, paths, host).run();
}

std::string launch_to_json(const VmmLaunch& l) {
    nlohmann::json j = {{"argv", l.argv},
                        {"monitor_socket", l.monitor_socket},
                        {"console_socket", l.console_socket},
                        {"hvc_socket", l.hvc_socket},
                        {"pid_file", l.pid_file},
                        {"log_file", l.log_file},
                        {"channel_sockets", l.channel_sockets}};
    return j.dump(1) + "\n";
}

Result<VmmLaunch> launch_from_json(std::string_view text) {
    auto bad = [](std::string_view why) {
        return make_error(ErrorCode::InternalError, kDom, "launch record: {}", why);
    };
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return bad("not a JSON object");
    VmmLaunch l;
    try {
        l.argv = j.at("argv").get<std::vector<std::string>>();
        l.monitor_socket = j.at("monitor_socket").get<std::string>();
        l.console_socket = j.at("console_socket").get<std::string>();
        l.hvc_socket = j.at("hvc_socket").get<std::string>();
        l.pid_file = j.at("pid_file").get<std::string>();
        l.log_file = j.at("log_file").get<std::string>();
        l.channel_sockets = j.at("channel_sockets").get<std::map<std::string, std::string>>();
    } catch (const nlohmann::json::exception& e) {
        return bad(e.what());
    }
    for (const std::string* p : {&l.monitor_socket, &l.pid_file, &l.log_file})
        if (p->empty() || p->front() != '/')
            return bad(fmt::format("path '{}' is not absolute", *p));
    return l;
}

} // namespace virtd::kvm
