// The "networking" group: net-define, net-create, net-start, net-destroy, net-undefine,
// net-list, net-info, net-dumpxml, net-autostart, net-dhcp-leases.
#include <algorithm>
#include <ctime>

#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// libvirt's virConnectListAllNetworksFlags.
constexpr unsigned kListInactive = 1;
constexpr unsigned kListActive = 2;

const OptDef kNetOpt{"network", OptType::String, kRequired | kPositional, "network name or uuid",
                     Complete::Network};

std::string yes_no(const Result<bool>& r) {
    return !r ? "unknown" : *r ? "yes" : "no";
}

template <typename Create>
bool net_from_file(Vsh& vsh, const Args& args, Create create, std::string_view verb) {
    std::string file = args.str("file");
    Result<std::string> xml = read_file_for(file);
    if (!xml) return vsh.fail(xml.error());
    Result<client::Network> n = create(*xml);
    if (!n) return vsh.fail(n.error(), "Failed to {} network from {}", verb, file);
    vsh.extra("Network {} {} from {}\n", n->name(), verb == "define" ? "defined" : "created", file);
    return true;
}

bool cmd_net_define(Vsh& vsh, const Args& args) {
    return net_from_file(
        vsh, args, [&](const std::string& x) { return vsh.conn()->define_network(x); }, "define");
}

bool cmd_net_create(Vsh& vsh, const Args& args) {
    return net_from_file(
        vsh, args, [&](const std::string& x) { return vsh.conn()->create_network(x); }, "create");
}

template <typename Op>
bool net_action(Vsh& vsh, const Args& args, Op op, std::string_view done, std::string_view fail) {
    auto n = vsh.network(args);
    if (!n) return false;
    if (Status s = op(*n); !s)
        return vsh.fail(s.error(), "Failed to {} network {}", fail, n->name());
    vsh.extra("Network {} {}\n", n->name(), done);
    return true;
}

bool cmd_net_start(Vsh& vsh, const Args& args) {
    return net_action(
        vsh, args, [](client::Network& n) { return n.create(); }, "started", "start");
}

bool cmd_net_destroy(Vsh& vsh, const Args& args) {
    return net_action(
        vsh, args, [](client::Network& n) { return n.destroy(); }, "destroyed", "destroy");
}

bool cmd_net_undefine(Vsh& vsh, const Args& args) {
    return net_action(
        vsh, args, [](client::Network& n) { return n.undefine(); }, "has been undefined",
        "undefine");
}

bool cmd_net_autostart(Vsh& vsh, const Args& args) {
    auto n = vsh.network(args);
    if (!n) return false;
    bool on = !args.has("disable");
    if (Status s = n->set_autostart(on); !s)
        return on ? vsh.fail(s.error(), "failed to mark network {} as autostarted", n->name())
                  : vsh.fail(s.error(), "failed to unmark network {} as autostarted", n->name());
    vsh.extra("Network {} {} as autostarted\n", n->name(), on ? "marked" : "unmarked");
    return true;
}

bool cmd_net_list(Vsh& vsh, const Args& args) {
    unsigned flags = kListActive;
    if (args.has("inactive")) flags = kListInactive;
    if (args.has("all")) flags = kListActive | kListInactive;
    auto nets = vsh.conn()->list_all_networks(flags);
    if (!nets) return vsh.fail(nets.error(), "Failed to list networks");
    std::sort(nets->begin(), nets->end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    if (args.has("name") || args.has("uuid")) {
        for (auto& n : *nets) {
            if (args.has("uuid") && args.has("name"))
                fmt::print("{}  {}\n", n.uuid().format(), n.name());
            else
                fmt::print("{}\n", args.has("uuid") ? n.uuid().format() : n.name());
        }
        return true;
    }
    Table t({"Name", "State", "Autostart", "Persistent"});
    for (auto& n : *nets) {
        auto active = n.is_active();
        t.add({n.name(),
               !active   ? "-"
               : *active ? "active"
                         : "inactive",
               yes_no(n.autostart()), yes_no(n.is_persistent())});
    }
    fmt::print("{}", t.render(!vsh.quiet));
    return true;
}

bool cmd_net_info(Vsh& vsh, const Args& args) {
    auto n = vsh.network(args);
    if (!n) return false;
    auto row = [](std::string_view k, const std::string& v) { fmt::print("{:<15} {}\n", k, v); };
    row("Name:", n->name());
    row("UUID:", n->uuid().format());
    if (auto a = n->is_active()) row("Active:", *a ? "yes" : "no");
    if (auto p = n->is_persistent()) row("Persistent:", *p ? "yes" : "no");
    auto autostart = n->autostart();
    row("Autostart:", !autostart ? "no autostart" : *autostart ? "yes" : "no");
    if (auto b = n->bridge_name()) row("Bridge:", *b);
    return true;
}

bool cmd_net_dumpxml(Vsh& vsh, const Args& args) {
    auto n = vsh.network(args);
    if (!n) return false;
    auto xml = n->xml_desc(args.has("inactive") ? 1 : 0);
    if (!xml) return vsh.fail(xml.error());
    fmt::print("{}", *xml);
    return true;
}

bool cmd_net_dhcp_leases(Vsh& vsh, const Args& args) {
    auto n = vsh.network(args);
    if (!n) return false;
    auto leases = n->dhcp_leases(args.str("mac"));
    if (!leases) return vsh.fail(leases.error(), "Failed to get leases info for {}", n->name());
    std::sort(leases->begin(), leases->end(),
              [](const auto& a, const auto& b) { return a.mac.value_or("") < b.mac.value_or(""); });
    Table t(
        {"Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID"});
    for (const client::DhcpLease& l : *leases) {
        time_t when = static_cast<time_t>(l.expiry_time);
        tm local{};
        localtime_r(&when, &local);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
        t.add({stamp, l.mac.value_or("-"), l.type == 1 ? "ipv6" : "ipv4",
               fmt::format("{}/{}", l.ipaddr, l.prefix), l.hostname.value_or("-"),
               l.clientid.value_or("-")});
    }
    fmt::print("{}", t.render(!vsh.quiet));
    return true;
}

} // namespace

std::vector<CommandDef> network_commands() {
    auto flag = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::Bool, 0, help};
    };
    const OptDef net = kNetOpt;
    const OptDef file{"file", OptType::String, kRequired | kPositional,
                      "file containing an XML network description", Complete::File};
    return {
        {"net-define",
         "network",
         "define an inactive persistent virtual network or modify an "
         "existing persistent one from an XML file",
         "Define or modify a persistent virtual network.",
         {file},
         cmd_net_define},
        {"net-create",
         "network",
         "create a network from an XML file",
         "Create a network.",
         {file},
         cmd_net_create},
        {"net-start",
         "network",
         "start a (previously defined) inactive network",
         "Start a network.",
         {net},
         cmd_net_start},
        {"net-destroy",
         "network",
         "destroy (stop) a network",
         "Forcefully stop a given network.",
         {net},
         cmd_net_destroy},
        {"net-undefine",
         "network",
         "undefine a persistent network",
         "Undefine the configuration for a persistent network.",
         {net},
         cmd_net_undefine},
        {"net-list",
         "network",
         "list networks",
         "Returns list of networks.",
         {flag("inactive", "list inactive networks"),
          flag("all", "list inactive & active networks"), flag("uuid", "list uuid's only"),
          flag("name", "list network names only")},
         cmd_net_list},
        {"net-info",
         "network",
         "network information",
         "Returns basic information about the "
         "network",
         {net},
         cmd_net_info},
        {"net-dumpxml",
         "network",
         "network information in XML",
         "Output the network "
         "information as an XML dump "
         "to stdout.",
         {net, flag("inactive", "show inactive defined XML")},
         cmd_net_dumpxml},
        {"net-autostart",
         "network",
         "autostart a network",
         "Configure a network to be "
         "automatically started at boot.",
         {net, flag("disable", "disable autostarting")},
         cmd_net_autostart},
        {"net-dhcp-leases",
         "network",
         "print lease info for a given network",
         "Print lease info for a given network",
         {net, {"mac", OptType::String, 0, "MAC address"}},
         cmd_net_dhcp_leases},
    };
}

} // namespace virtd::vsh
