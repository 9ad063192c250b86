// The "snapshot" group: snapshot-create-as, snapshot-list, snapshot-revert, snapshot-delete,
// snapshot-current.
#include <algorithm>
#include <ctime>

#include <pugixml.hpp>

#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// libvirt's virDomainSnapshotCreateFlags, RevertFlags and DeleteFlags.
constexpr unsigned kCreateNoMetadata = 4;
constexpr unsigned kCreateHalt = 8;
constexpr unsigned kCreateDiskOnly = 16;
constexpr unsigned kCreateAtomic = 128;
constexpr unsigned kCreateLive = 256;
constexpr unsigned kRevertRunning = 1;
constexpr unsigned kRevertPaused = 2;
constexpr unsigned kRevertForce = 4;
constexpr unsigned kDeleteChildren = 1;
constexpr unsigned kDeleteMetadataOnly = 2;
constexpr unsigned kDeleteChildrenOnly = 4;

const OptDef kDomOpt{"domain", OptType::String, kRequired | kPositional, "domain name, id or uuid",
                     Complete::Domain};

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}

// What snapshot-list shows of one snapshot, read from its XML.
struct SnapshotRow {
    std::string name;
    std::string created;
    std::string state;
    std::string parent;
};

SnapshotRow describe(client::DomainSnapshot& s) {
    SnapshotRow row{s.name(), "", "", ""};
    auto xml = s.xml_desc();
    pugi::xml_document doc;
    if (!xml || !doc.load_string(xml->c_str())) return row;
    pugi::xml_node root = doc.child("domainsnapshot");
    time_t when = static_cast<time_t>(root.child("creationTime").text().as_llong());
    tm t{};
    localtime_r(&when, &t);
    char stamp[40];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S %z", &t);
    row.created = stamp;
    row.state = root.child_value("state");
    row.parent = root.child("parent").child_value("name");
    return row;
}

// The snapshot named by --snapshotname (or the positional), or the current one with --current.
std::optional<client::DomainSnapshot> pick(Vsh& vsh, client::Domain& d, const Args& args) {
    if (auto name = args.get("snapshotname")) {
        auto s = d.snapshot_by_name(*name);
        if (s) return *s;
        vsh.fail(s.error());
        return std::nullopt;
    }
    auto s = d.current_snapshot();
    if (s) return *s;
    if (args.has("current") || s.error().code() == ErrorCode::NoDomainSnapshot)
        vsh.error("domain '{}' has no current snapshot", d.name());
    else
        vsh.fail(s.error());
    return std::nullopt;
}

bool cmd_snapshot_create_as(Vsh& vsh, const Args& args) {
    std::string xml = "<domainsnapshot>\n";
    if (auto n = args.get("name")) xml += fmt::format("  <name>{}</name>\n", xml_escape(*n));
    if (auto d = args.get("description"))
        xml += fmt::format("  <description>{}</description>\n", xml_escape(*d));
    xml += "</domainsnapshot>\n";
    if (args.has("print-xml")) {
        fmt::print("{}\n", xml);
        return true;
    }
    auto d = vsh.domain(args);
    if (!d) return false;
    unsigned flags =
        (args.has("no-metadata") ? kCreateNoMetadata : 0) | (args.has("halt") ? kCreateHalt : 0) |
        (args.has("disk-only") ? kCreateDiskOnly : 0) | (args.has("atomic") ? kCreateAtomic : 0) |
        (args.has("live") ? kCreateLive : 0);
    auto s = d->create_snapshot(xml, flags);
    if (!s) return vsh.fail(s.error());
    // virsh writes this line without its newline; the blank line after every command ends it.
    vsh.extra("Domain snapshot {} created", s->name());
    return true;
}

bool cmd_snapshot_list(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto list = d->list_snapshots();
    if (!list) return vsh.fail(list.error());
    std::sort(list->begin(), list->end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    if (args.has("name")) {
        for (auto& s : *list)
            fmt::print("{}\n", s.name());
        return true;
    }
    bool parent = args.has("parent");
    Table t(parent ? std::vector<std::string>{"Name", "Creation Time", "State", "Parent"}
                   : std::vector<std::string>{"Name", "Creation Time", "State"});
    for (auto& s : *list) {
        SnapshotRow r = describe(s);
        if (parent)
            t.add({r.name, r.created, r.state, r.parent});
        else
            t.add({r.name, r.created, r.state});
    }
    fmt::print("{}", t.render(!vsh.quiet));
    return true;
}

bool cmd_snapshot_current(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto s = d->current_snapshot();
    if (!s) {
        if (s.error().code() == ErrorCode::NoDomainSnapshot) {
            vsh.error("domain '{}' has no current snapshot", d->name());
            return false;
        }
        return vsh.fail(s.error());
    }
    if (args.has("name")) {
        fmt::print("{}", s->name()); // no newline, as virsh
        return true;
    }
    auto xml = s->xml_desc(args.has("security-info") ? 1 : 0);
    if (!xml) return vsh.fail(xml.error());
    fmt::print("{}", *xml);
    return true;
}

bool cmd_snapshot_revert(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto s = pick(vsh, *d, args);
    if (!s) return false;
    unsigned flags = (args.has("running") ? kRevertRunning : 0) |
                     (args.has("paused") ? kRevertPaused : 0) |
                     (args.has("force") ? kRevertForce : 0);
    if (Status st = s->revert(flags); !st) return vsh.fail(st.error());
    vsh.extra("Domain snapshot {} reverted\n", s->name());
    return true;
}

bool cmd_snapshot_delete(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto s = pick(vsh, *d, args);
    if (!s) return false;
    unsigned flags = (args.has("children") ? kDeleteChildren : 0) |
                     (args.has("metadata") ? kDeleteMetadataOnly : 0) |
                     (args.has("children-only") ? kDeleteChildrenOnly : 0);
    if (Status st = s->remove(flags); !st)
        return vsh.fail(st.error(), "Failed to delete snapshot {}", s->name());
    if (args.has("children-only"))
        vsh.extra("Domain snapshot {} children deleted\n", s->name());
    else
        vsh.extra("Domain snapshot {} deleted\n", s->name());
    return true;
}

} // namespace

std::vector<CommandDef> snapshot_commands() {
    auto flag = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::Bool, 0, help};
    };
    const OptDef dom = kDomOpt;
    const OptDef snapname{"snapshotname", OptType::String, kPositional, "snapshot name",
                          Complete::Snapshot};
    return {
        {"snapshot-create-as",
         "snapshot",
         "Create a snapshot from a set of args",
         "Create a snapshot (disk and RAM) from arguments",
         {dom,
          {"name", OptType::String, kPositional, "name of snapshot"},
          {"description", OptType::String, kPositional, "description of snapshot"},
          flag("print-xml", "print XML document rather than create"),
          flag("no-metadata", "take snapshot but create no metadata"),
          flag("halt", "halt domain after snapshot is created"),
          flag("disk-only", "capture disk state but not vm state"),
          flag("atomic", "require atomic operation"),
          flag("live", "take a live snapshot")},
         cmd_snapshot_create_as},
        {"snapshot-list",
         "snapshot",
         "List snapshots for a domain",
         "Snapshot List",
         {dom, flag("parent", "add a column showing parent snapshot"),
          flag("name", "list snapshot names only")},
         cmd_snapshot_list},
        {"snapshot-current",
         "snapshot",
         "Get or set the current snapshot",
         "Get or set the current snapshot",
         {dom, flag("name", "list the name, rather than the full xml"),
          flag("security-info", "include security sensitive information in XML dump")},
         cmd_snapshot_current},
        {"snapshot-revert",
         "snapshot",
         "Revert a domain to a snapshot",
         "Revert domain to snapshot",
         {dom, snapname, flag("current", "revert to current snapshot"),
          flag("running", "after reverting, change state to running"),
          flag("paused", "after reverting, change state to paused"),
          flag("force", "try harder on risky reverts")},
         cmd_snapshot_revert},
        {"snapshot-delete",
         "snapshot",
         "Delete a domain snapshot",
         "Snapshot Delete",
         {dom, snapname, flag("current", "delete current snapshot"),
          flag("children", "delete snapshot and all children"),
          flag("children-only", "delete children but not snapshot"),
          flag("metadata", "delete only libvirt metadata, leaving snapshot contents behind")},
         cmd_snapshot_delete},
    };
}

} // namespace virtd::vsh
