// The "storage pool" group: pool-define, pool-define-as, pool-build, pool-start, pool-destroy,
// pool-delete, pool-undefine, pool-list, pool-info, pool-dumpxml, pool-refresh, pool-autostart.
#include <algorithm>

#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// libvirt's virConnectListAllStoragePoolsFlags.
constexpr unsigned kListInactive = 1;
constexpr unsigned kListActive = 2;
constexpr unsigned kBuildOverwrite = 4;
constexpr unsigned kBuildNoOverwrite = 8;

const OptDef kPoolOpt{"pool", OptType::String, kRequired | kPositional, "pool name or uuid",
                      Complete::Pool};

std::string_view pool_state_name(client::PoolState s) {
    switch (s) {
    case client::PoolState::Inactive:
        return "inactive";
    case client::PoolState::Building:
        return "building";
    case client::PoolState::Running:
        return "running";
    case client::PoolState::Degraded:
        return "degraded";
    case client::PoolState::Inaccessible:
        return "inaccessible";
    }
    return "unknown";
}

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '\'':
            out += "&apos;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// The pool document pool-define-as writes from its options.
std::string pool_xml(const Args& args) {
    std::string src;
    if (auto h = args.get("source-host"))
        src += fmt::format("    <host name='{}'/>\n", xml_escape(*h));
    if (auto p = args.get("source-path"))
        src += fmt::format("    <dir path='{}'/>\n", xml_escape(*p));
    if (auto d = args.get("source-dev"))
        src += fmt::format("    <device path='{}'/>\n", xml_escape(*d));
    if (auto f = args.get("source-format"))
        src += fmt::format("    <format type='{}'/>\n", xml_escape(*f));
    if (auto n = args.get("source-name"))
        src += fmt::format("    <name>{}</name>\n", xml_escape(*n));
    std::string xml = fmt::format("<pool type='{}'>\n  <name>{}</name>\n",
                                  xml_escape(args.str("type")), xml_escape(args.str("name")));
    if (!src.empty()) xml += "  <source>\n" + src + "  </source>\n";
    if (auto t = args.get("target"))
        xml += fmt::format("  <target>\n    <path>{}</path>\n  </target>\n", xml_escape(*t));
    return xml + "</pool>\n";
}

bool cmd_pool_define(Vsh& vsh, const Args& args) {
    std::string file = args.str("file");
    Result<std::string> xml = read_file_for(file);
    if (!xml) return vsh.fail(xml.error());
    Result<client::StoragePool> p = vsh.conn()->define_pool(*xml);
    if (!p) return vsh.fail(p.error(), "Failed to define pool from {}", file);
    vsh.extra("Pool {} defined from {}\n", p->name(), file);
    return true;
}

bool cmd_pool_define_as(Vsh& vsh, const Args& args) {
    std::string xml = pool_xml(args);
    if (args.has("print-xml")) {
        fmt::print("{}", xml);
        return true;
    }
    Result<client::StoragePool> p = vsh.conn()->define_pool(xml);
    if (!p) return vsh.fail(p.error(), "Failed to define pool {}", args.str("name"));
    vsh.extra("Pool {} defined\n", p->name());
    return true;
}

// The simple pool commands: look the pool up, do one thing, say so.
template <typename Op>
bool pool_action(Vsh& vsh, const Args& args, Op op, std::string_view done, std::string_view fail) {
    auto p = vsh.pool(args);
    if (!p) return false;
    if (Status s = op(*p); !s) return vsh.fail(s.error(), "Failed to {} pool {}", fail, p->name());
    vsh.extra("Pool {} {}\n", p->name(), done);
    return true;
}

bool cmd_pool_build(Vsh& vsh, const Args& args) {
    unsigned flags = (args.has("overwrite") ? kBuildOverwrite : 0) |
                     (args.has("no-overwrite") ? kBuildNoOverwrite : 0);
    return pool_action(
        vsh, args, [&](client::StoragePool& p) { return p.build(flags); }, "built", "build");
}

bool cmd_pool_start(Vsh& vsh, const Args& args) {
    return pool_action(
        vsh, args, [](client::StoragePool& p) { return p.create(); }, "started", "start");
}

bool cmd_pool_destroy(Vsh& vsh, const Args& args) {
    return pool_action(
        vsh, args, [](client::StoragePool& p) { return p.destroy(); }, "destroyed", "destroy");
}

bool cmd_pool_delete(Vsh& vsh, const Args& args) {
    return pool_action(
        vsh, args, [](client::StoragePool& p) { return p.remove(); }, "deleted", "delete");
}

bool cmd_pool_undefine(Vsh& vsh, const Args& args) {
    return pool_action(
        vsh, args, [](client::StoragePool& p) { return p.undefine(); }, "has been undefined",
        "undefine");
}

bool cmd_pool_refresh(Vsh& vsh, const Args& args) {
    return pool_action(
        vsh, args, [](client::StoragePool& p) { return p.refresh(); }, "refreshed", "refresh");
}

bool cmd_pool_autostart(Vsh& vsh, const Args& args) {
    auto p = vsh.pool(args);
    if (!p) return false;
    bool on = !args.has("disable");
    if (Status s = p->set_autostart(on); !s)
        return on ? vsh.fail(s.error(), "failed to mark pool {} as autostarted", p->name())
                  : vsh.fail(s.error(), "failed to unmark pool {} as autostarted", p->name());
    vsh.extra("Pool {} {} as autostarted\n", p->name(), on ? "marked" : "unmarked");
    return true;
}

bool cmd_pool_list(Vsh& vsh, const Args& args) {
    unsigned flags = kListActive;
    if (args.has("inactive")) flags = kListInactive;
    if (args.has("all")) flags = kListActive | kListInactive;
    auto pools = vsh.conn()->list_all_storage_pools(flags);
    if (!pools) return vsh.fail(pools.error(), "Failed to list pools");
    std::sort(pools->begin(), pools->end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    if (args.has("name")) {
        for (auto& p : *pools)
            fmt::print("{}\n", p.name());
        return true;
    }
    bool details = args.has("details");
    Table t(details ? std::vector<std::string>{"Name", "State", "Autostart", "Persistent",
                                               "Capacity", "Allocation", "Available"}
                    : std::vector<std::string>{"Name", "State", "Autostart"});
    for (auto& p : *pools) {
        auto autostart = p.autostart();
        std::string auto_text = !autostart ? "-" : *autostart ? "yes" : "no";
        if (!details) {
            auto active = p.is_active();
            t.add({p.name(), !active ? "-" : *active ? "active" : "inactive", auto_text});
            continue;
        }
        auto info = p.info();
        auto persistent = p.is_persistent();
        std::vector<std::string> row{
            p.name(), info ? std::string(pool_state_name(info->state)) : "-", auto_text,
            !persistent   ? "-"
            : *persistent ? "yes"
                          : "no"};
        bool sizes = info && info->state == client::PoolState::Running;
        row.push_back(sizes ? pretty_size(info->capacity) : "-");
        row.push_back(sizes ? pretty_size(info->allocation) : "-");
        row.push_back(sizes ? pretty_size(info->available) : "-");
        t.add(row);
    }
    fmt::print("{}", t.render(!vsh.quiet));
    return true;
}

bool cmd_pool_info(Vsh& vsh, const Args& args) {
    auto p = vsh.pool(args);
    if (!p) return false;
    auto row = [](std::string_view k, const std::string& v) { fmt::print("{:<15} {}\n", k, v); };
    row("Name:", p->name());
    row("UUID:", p->uuid().format());
    auto info = p->info();
    if (!info) return vsh.fail(info.error());
    row("State:", std::string(pool_state_name(info->state)));
    auto persistent = p->is_persistent();
    row("Persistent:", !persistent ? "unknown" : *persistent ? "yes" : "no");
    auto autostart = p->autostart();
    row("Autostart:", !autostart ? "no autostart" : *autostart ? "yes" : "no");
    if (info->state == client::PoolState::Running || info->state == client::PoolState::Degraded) {
        row("Capacity:", pretty_size(info->capacity));
        row("Allocation:", pretty_size(info->allocation));
        row("Available:", pretty_size(info->available));
    }
    return true;
}

bool cmd_pool_dumpxml(Vsh& vsh, const Args& args) {
    auto p = vsh.pool(args);
    if (!p) return false;
    auto xml = p->xml_desc(args.has("inactive") ? 1 : 0);
    if (!xml) return vsh.fail(xml.error());
    fmt::print("{}", *xml);
    return true;
}

} // namespace

std::vector<CommandDef> pool_commands() {
    auto str = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::String, 0, help};
    };
    auto flag = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::Bool, 0, help};
    };
    const OptDef pool = kPoolOpt;
    return {
        {"pool-define",
         "pool",
         "define an inactive persistent storage pool or modify an existing "
         "persistent one from an XML file",
         "Define or modify a persistent storage pool.",
         {{"file", OptType::String, kRequired | kPositional,
           "file containing an XML pool description", Complete::File}},
         cmd_pool_define},
        {"pool-define-as",
         "pool",
         "define a pool from a set of args",
         "Define a pool.",
         {{"name", OptType::String, kRequired | kPositional, "name of the pool"},
          {"type", OptType::String, kRequired | kPositional, "type of the pool"},
          flag("print-xml", "print XML document, but don't define/create"),
          str("source-host", "source-host for underlying storage"),
          str("source-path", "source path for underlying storage"),
          str("source-dev", "source device for underlying storage"),
          str("source-name", "source name for underlying storage"),
          str("target", "target for underlying storage"),
          str("source-format", "format for underlying storage")},
         cmd_pool_define_as},
        {"pool-build",
         "pool",
         "build a pool",
         "Build a given pool.",
         {pool, flag("no-overwrite", "do not overwrite any existing data"),
          flag("overwrite", "overwrite any existing data")},
         cmd_pool_build},
        {"pool-start",
         "pool",
         "start a (previously defined) inactive pool",
         "Start a pool.",
         {pool},
         cmd_pool_start},
        {"pool-destroy",
         "pool",
         "destroy (stop) a pool",
         "Forcefully stop a given pool. Raw data "
         "in the pool is untouched",
         {pool},
         cmd_pool_destroy},
        {"pool-delete", "pool", "delete a pool", "Delete a given pool.", {pool}, cmd_pool_delete},
        {"pool-undefine",
         "pool",
         "undefine an inactive pool",
         "Undefine the configuration for an "
         "inactive pool.",
         {pool},
         cmd_pool_undefine},
        {"pool-list",
         "pool",
         "list pools",
         "Returns list of pools.",
         {flag("inactive", "list inactive pools"), flag("all", "list inactive & active pools"),
          flag("details", "display extended details for pools"),
          flag("name", "list pool names only")},
         cmd_pool_list},
        {"pool-info",
         "pool",
         "storage pool information",
         "Returns basic information about the "
         "storage pool.",
         {pool},
         cmd_pool_info},
        {"pool-dumpxml",
         "pool",
         "pool information in XML",
         "Output the pool information as an "
         "XML dump to stdout.",
         {pool, flag("inactive", "show inactive defined XML")},
         cmd_pool_dumpxml},
        {"pool-refresh",
         "pool",
         "refresh a pool",
         "Refresh a given pool.",
         {pool},
         cmd_pool_refresh},
        {"pool-autostart",
         "pool",
         "autostart a pool",
         "Configure a pool to be automatically "
         "started at boot.",
         {pool, flag("disable", "disable autostarting")},
         cmd_pool_autostart},
    };
}

} // namespace virtd::vsh
