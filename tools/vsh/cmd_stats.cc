// The "domain monitoring" statistics commands (dommemstat, domblkstat, domifstat, domstats,
// domblklist, domiflist) and domcapabilities, printed the way virsh prints them.
#include <pugixml.hpp>

#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// virsh's name for a VIR_DOMAIN_MEMORY_STAT_* tag.
std::string_view memory_stat_name(int32_t tag) {
    static constexpr std::string_view kNames[] = {
        "swap_in",     "swap_out",        "major_fault",   "minor_fault", "unused",
        "available",   "actual",          "rss",           "usable",      "last_update",
        "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail"};
    if (tag < 0 || static_cast<size_t>(tag) >= std::size(kNames)) return {};
    return kNames[tag];
}

// A typed parameter's value as virsh writes it (virTypedParameterToString).
std::string param_text(const rpc::TypedParamValue& v) {
    switch (v.type) {
    case 1:
        return std::to_string(v.i);
    case 2:
        return std::to_string(v.ui);
    case 3:
        return std::to_string(v.l);
    case 4:
        return std::to_string(v.ul);
    case 5:
        return fmt::format("{:f}", v.d);
    case 6:
        return v.b ? "yes" : "no";
    case 7:
        return v.s;
    default:
        return "?";
    }
}

bool cmd_dommemstat(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    constexpr uint32_t kStatsNr = 13; // VIR_DOMAIN_MEMORY_STAT_NR
    auto r = d->connection().remote().domain_memory_stats({d->ref(), kStatsNr, 0});
    if (!r) return vsh.fail(r.error(), "Failed to get memory statistics for domain {}", d->name());
    for (const rpc::DomainMemoryStat& s : r->stats)
        if (std::string_view n = memory_stat_name(s.tag); !n.empty())
            fmt::print("{} {}\n", n, s.val);
    return true;
}

bool cmd_domblkstat(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    std::string dev = args.str("device");
    auto r = d->connection().remote().domain_block_stats({d->ref(), dev});
    if (!r) return vsh.fail(r.error()); // virsh adds no line of its own here
    const std::pair<const char*, int64_t> rows[] = {{"rd_req", r->rd_req},
                                                    {"rd_bytes", r->rd_bytes},
                                                    {"wr_req", r->wr_req},
                                                    {"wr_bytes", r->wr_bytes},
                                                    {"errs", r->errs}};
    for (auto [name, v] : rows)
        if (v >= 0) fmt::print("{} {} {}\n", dev, name, v);
    return true;
}

bool cmd_domifstat(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    std::string dev = args.str("interface");
    auto r = d->connection().remote().domain_interface_stats({d->ref(), dev});
    if (!r) return vsh.fail(r.error(), "Failed to get interface stats {} {}", d->name(), dev);
    const std::pair<const char*, int64_t> rows[] = {
        {"rx_bytes", r->rx_bytes}, {"rx_packets", r->rx_packets}, {"rx_errs", r->rx_errs},
        {"rx_drop", r->rx_drop},   {"tx_bytes", r->tx_bytes},     {"tx_packets", r->tx_packets},
        {"tx_errs", r->tx_errs},   {"tx_drop", r->tx_drop}};
    for (auto [name, v] : rows)
        if (v >= 0) fmt::print("{} {} {}\n", dev, name, v);
    return true;
}

bool cmd_domstats(Vsh& vsh, const Args& args) {
    // virDomainStatsTypes bits, by virsh's option names.
    static constexpr std::pair<std::string_view, unsigned> kGroups[] = {
        {"state", 1}, {"cpu-total", 2},  {"balloon", 4},
        {"vcpu", 8},  {"interface", 16}, {"block", 32}};
    unsigned stats = 0;
    for (auto [opt, bit] : kGroups)
        if (args.has(opt)) stats |= bit;
    unsigned flags = 0;
    if (args.has("enforce")) flags |= 1u << 31;
    std::vector<rpc::NonnullDomain> doms;
    if (args.has("domain")) {
        auto d = vsh.domain(args);
        if (!d) return false;
        doms.push_back(d->ref());
    } else {
        if (args.has("list-active")) flags |= 1;
        if (args.has("list-inactive")) flags |= 2;
        if (args.has("list-persistent")) flags |= 4;
        if (args.has("list-transient")) flags |= 8;
        if (args.has("list-running")) flags |= 16;
        if (args.has("list-paused")) flags |= 32;
        if (args.has("list-shutoff")) flags |= 64;
        if (args.has("list-other")) flags |= 128;
    }
    auto r = vsh.conn()->remote().connect_get_all_domain_stats({doms, stats, flags});
    if (!r) return vsh.fail(r.error(), "Failed to get stats of domains");
    // Records are separated by a blank line; the one after the last is the command's own.
    for (size_t i = 0; i < r->ret_stats.size(); ++i) {
        const rpc::DomainStatsRecord& rec = r->ret_stats[i];
        if (i > 0) fmt::print("\n");
        fmt::print("Domain: '{}'\n", rec.dom.name);
        for (const rpc::TypedParam& p : rec.params)
            fmt::print("  {}={}\n", p.field, param_text(p.value));
    }
    return true;
}

// The live definition (or the inactive one with --inactive) of the domain named.
std::optional<pugi::xml_document> domain_xml(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return std::nullopt;
    constexpr unsigned kXmlInactive = 2;
    Result<std::string> xml = d->xml_desc(args.has("inactive") ? kXmlInactive : 0);
    if (!xml) {
        vsh.fail(xml.error());
        return std::nullopt;
    }
    std::optional<pugi::xml_document> doc(std::in_place);
    if (!doc->load_string(xml->c_str())) {
        vsh.error("Failed to parse domain XML");
        return std::nullopt;
    }
    return doc;
}

bool cmd_domblklist(Vsh& vsh, const Args& args) {
    auto doc = domain_xml(vsh, args);
    if (!doc) return false;
    bool details = args.has("details");
    Table table(details ? std::vector<std::string>{"Type", "Device", "Target", "Source"}
                        : std::vector<std::string>{"Target", "Source"});
    for (pugi::xml_node disk : doc->child("domain").child("devices").children("disk")) {
        pugi::xml_node src = disk.child("source");
        std::string source;
        for (const char* a : {"file", "dev", "dir", "name", "volume"})
            if (source.empty()) source = src.attribute(a).as_string();
        if (source.empty()) source = "-";
        std::string target = disk.child("target").attribute("dev").as_string();
        if (details)
            table.add({disk.attribute("type").as_string(),
                       disk.attribute("device").as_string("disk"), target, source});
        else
            table.add({target, source});
    }
    fmt::print("{}", table.render(!vsh.quiet));
    return true;
}

bool cmd_domiflist(Vsh& vsh, const Args& args) {
    auto doc = domain_xml(vsh, args);
    if (!doc) return false;
    Table table({"Interface", "Type", "Source", "Model", "MAC"});
    for (pugi::xml_node nic : doc->child("domain").child("devices").children("interface")) {
        std::string type = nic.attribute("type").as_string();
        pugi::xml_node src = nic.child("source");
        std::string source = src.attribute("network").as_string();
        if (source.empty()) source = src.attribute("bridge").as_string();
        if (source.empty()) source = src.attribute("dev").as_string();
        auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
        table.add({or_dash(nic.child("target").attribute("dev").as_string()), type, or_dash(source),
                   or_dash(nic.child("model").attribute("type").as_string()),
                   or_dash(nic.child("mac").attribute("address").as_string())});
    }
    fmt::print("{}", table.render(!vsh.quiet));
    return true;
}

bool cmd_domcapabilities(Vsh& vsh, const Args& args) {
    auto opt = [&](std::string_view name) { return args.get(name); };
    auto r = vsh.conn()->remote().connect_get_domain_capabilities(
        {opt("emulatorbin"), opt("arch"), opt("machine"), opt("virttype"), 0});
    if (!r) return vsh.fail(r.error(), "failed to get emulator capabilities");
    fmt::print("{}\n", r->capabilities);
    return true;
}

} // namespace

std::vector<CommandDef> stats_commands() {
    auto flag = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::Bool, 0, help};
    };
    auto str = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::String, 0, help};
    };
    const OptDef dom{"domain", OptType::String, kRequired | kPositional, "domain name, id or uuid",
                     Complete::Domain};
    const OptDef opt_dom{"domain", OptType::String, kPositional, "list of domains to get stats for",
                         Complete::Domain};
    return {
        {"dommemstat",
         "monitor",
         "get memory statistics for a domain",
         "Get memory statistics for a running domain.",
         {dom},
         cmd_dommemstat},
        {"domblkstat",
         "monitor",
         "get device block stats for a domain",
         "Get device block stats for a running domain.",
         {dom, OptDef{"device", OptType::String, kRequired | kPositional, "block device"}},
         cmd_domblkstat},
        {"domifstat",
         "monitor",
         "get network interface stats for a domain",
         "Get network interface stats for a running domain.",
         {dom, OptDef{"interface", OptType::String, kRequired | kPositional, "interface device"}},
         cmd_domifstat},
        {"domstats",
         "monitor",
         "get statistics about one or multiple domains",
         "Gets statistics about one or more (or all) domains.",
         {flag("state", "report domain state"),
          flag("cpu-total", "report domain physical cpu usage"),
          flag("balloon", "report domain balloon statistics"),
          flag("vcpu", "report domain virtual cpu information"),
          flag("interface", "report domain network interface information"),
          flag("block", "report domain block device statistics"),
          flag("list-active", "list only active domains"),
          flag("list-inactive", "list only inactive domains"),
          flag("list-persistent", "list only persistent domains"),
          flag("list-transient", "list only transient domains"),
          flag("list-running", "list only running domains"),
          flag("list-paused", "list only paused domains"),
          flag("list-shutoff", "list only shutoff domains"),
          flag("list-other", "list only domains in other states"),
          flag("enforce", "enforce requested stats parameters"), opt_dom},
         cmd_domstats},
        {"domblklist",
         "monitor",
         "list all domain blocks",
         "Get the summary of block devices for a domain.",
         {dom, flag("inactive", "get inactive rather than running configuration"),
          flag("details", "additionally display the type and device value")},
         cmd_domblklist},
        {"domiflist",
         "monitor",
         "list all domain virtual interfaces",
         "Get the summary of virtual interfaces for a domain.",
         {dom, flag("inactive", "get inactive rather than running configuration")},
         cmd_domiflist},
        {"domcapabilities",
         "host",
         "domain capabilities",
         "Returns capabilities of emulator with respect to host and libvirt.",
         {str("virttype", "virtualization type (/domain/@type)"),
          str("emulatorbin", "path to emulator binary (/domain/devices/emulator)"),
          str("arch", "domain architecture (/domain/os/type/@arch)"),
          str("machine", "machine type (/domain/os/type/@machine)")},
         cmd_domcapabilities},
    };
}

} // namespace virtd::vsh
