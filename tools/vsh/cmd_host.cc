// The "host and hypervisor" group: uri, hostname, version, nodeinfo, capabilities.
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

std::string version_text(uint64_t v) {
    return fmt::format("{}.{}.{}", v / 1000000, v / 1000 % 1000, v % 1000);
}

bool cmd_uri(Vsh& vsh, const Args&) {
    // Like libvirt's remote driver: the URI this client was opened with, as given.
    fmt::print("{}\n", vsh.conn()->uri());
    return true;
}

bool cmd_hostname(Vsh& vsh, const Args&) {
    Result<std::string> h = vsh.conn()->hostname();
    if (!h) return vsh.fail(h.error(), "failed to get hostname");
    fmt::print("{}\n", *h);
    return true;
}

bool cmd_version(Vsh& vsh, const Args&) {
    client::Connection* c = vsh.conn();
    Result<std::string> type = c->hypervisor_type();
    if (!type) return vsh.fail(type.error(), "failed to get hypervisor type");
    Result<uint64_t> lib = c->library_version();
    Result<uint64_t> hv = c->hypervisor_version();
    fmt::print("Compiled against library: virtd {}\n", VIRTD_VERSION);
    fmt::print("Using library: virtd {}\n", VIRTD_VERSION);
    if (lib) fmt::print("Using API: {} {}\n", *type, version_text(*lib));
    if (!hv) return vsh.fail(hv.error(), "failed to get the hypervisor version");
    if (*hv == 0)
        fmt::print("Cannot extract running {} hypervisor version\n", *type);
    else
        fmt::print("Running hypervisor: {} {}\n", *type, version_text(*hv));
    return true;
}

bool cmd_nodeinfo(Vsh& vsh, const Args&) {
    Result<client::NodeInfo> n = vsh.conn()->node_info();
    if (!n) return vsh.fail(n.error(), "failed to get node information");
    auto row = [](std::string_view k, const std::string& v) { fmt::print("{:<20} {}\n", k, v); };
    row("CPU model:", until_nul(n->model)); // the wire form is NUL-padded
    row("CPU(s):", std::to_string(n->cpus));
    if (n->mhz) row("CPU frequency:", fmt::format("{} MHz", n->mhz));
    row("CPU socket(s):", std::to_string(n->sockets));
    row("Core(s) per socket:", std::to_string(n->cores));
    row("Thread(s) per core:", std::to_string(n->threads));
    row("NUMA cell(s):", std::to_string(n->nodes));
    row("Memory size:", fmt::format("{} KiB", n->memory));
    return true;
}

bool cmd_capabilities(Vsh& vsh, const Args&) {
    Result<std::string> caps = vsh.conn()->capabilities();
    if (!caps) return vsh.fail(caps.error(), "failed to get capabilities");
    fmt::print("{}\n", *caps);
    return true;
}

} // namespace

std::vector<CommandDef> host_commands() {
    return {
        {"uri", "host", "print the hypervisor canonical URI", "", {}, cmd_uri},
        {"hostname", "host", "print the hypervisor hostname", "", {}, cmd_hostname},
        {"version",
         "host",
         "show version",
         "Display the system version information.",
         {},
         cmd_version},
        {"nodeinfo",
         "host",
         "node information",
         "Returns basic information about the node, like number and type of CPU, and size of "
         "the physical memory.",
         {},
         cmd_nodeinfo},
        {"capabilities",
         "host",
         "capabilities",
         "Returns capabilities of hypervisor/driver.",
         {},
         cmd_capabilities},
    };
}

} // namespace virtd::vsh
