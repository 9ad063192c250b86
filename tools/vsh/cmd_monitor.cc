// The "domain monitoring" group: list, dominfo, domstate.
#include <algorithm>

#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

namespace ld = client::list_domains;

bool cmd_list(Vsh& vsh, const Args& args) {
    unsigned flags = ld::kActive;
    if (args.has("inactive")) flags = ld::kInactive;
    if (args.has("all")) flags = ld::kActive | ld::kInactive;
    static constexpr std::pair<std::string_view, unsigned> kFilters[] = {
        {"transient", ld::kTransient},   {"persistent", ld::kPersistent},
        {"state-running", ld::kRunning}, {"state-paused", ld::kPaused},
        {"state-shutoff", ld::kShutoff}, {"state-other", ld::kOther},
        {"autostart", ld::kAutostart},   {"no-autostart", ld::kNoAutostart}};
    for (auto [opt, bit] : kFilters)
        if (args.has(opt)) flags |= bit;
    Result<std::vector<client::Domain>> list = vsh.conn()->list_all_domains(flags);
    if (!list) return vsh.fail(list.error(), "Failed to list domains");
    // virsh's order: running domains by id, then the inactive ones by name.
    std::sort(list->begin(), list->end(), [](const client::Domain& a, const client::Domain& b) {
        unsigned ia = a.id() < 0 ? UINT32_MAX : static_cast<unsigned>(a.id());
        unsigned ib = b.id() < 0 ? UINT32_MAX : static_cast<unsigned>(b.id());
        if (ia != ib) return ia < ib;
        return a.name() < b.name();
    });
    bool names = args.has("name"), uuids = args.has("uuid"), ids = args.has("id");
    if (names || uuids || ids) {
        for (client::Domain& d : *list) {
            std::vector<std::string> parts;
            if (ids && d.id() >= 0) parts.push_back(std::to_string(d.id()));
            if (ids && d.id() < 0 && !names && !uuids) continue; // --id alone: active ones
            if (uuids) parts.push_back(d.uuid().format());
            if (names) parts.push_back(d.name());
            std::string line;
            for (const std::string& p : parts)
                line += (line.empty() ? "" : " ") + p;
            fmt::print("{}\n", line);
        }
        return true;
    }
    Table table({"Id", "Name", "State"});
    for (client::Domain& d : *list) {
        auto st = d.state();
        std::string state = st ? std::string(state_name(st->first)) : "-";
        table.add({d.id() < 0 ? "-" : std::to_string(d.id()), d.name(), state});
    }
    fmt::print("{}", table.render(!vsh.quiet));
    return true;
}

bool cmd_dominfo(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto row = [](std::string_view k, const std::string& v) { fmt::print("{:<15} {}\n", k, v); };
    row("Id:", d->id() < 0 ? "-" : std::to_string(d->id()));
    row("Name:", d->name());
    row("UUID:", d->uuid().format());
    if (auto os = d->os_type()) row("OS Type:", *os);
    if (auto info = d->info()) {
        row("State:", std::string(state_name(info->state)));
        row("CPU(s):", std::to_string(info->vcpus));
        if (info->cpu_time_ns != 0)
            row("CPU time:", fmt::format("{:.1f}s", static_cast<double>(info->cpu_time_ns) / 1e9));
        row("Max memory:", fmt::format("{} KiB", info->max_mem_kib));
        row("Used memory:", fmt::format("{} KiB", info->memory_kib));
    }
    auto persistent = d->is_persistent();
    row("Persistent:", !persistent ? "unknown" : *persistent ? "yes" : "no");
    if (auto autostart = d->autostart()) row("Autostart:", *autostart ? "enable" : "disable");
    auto saved = d->has_managed_save();
    row("Managed save:", !saved ? "unknown" : *saved ? "yes" : "no");
    auto model = d->connection().remote().node_get_security_model();
    if (model && !model->model.empty() && model->model[0] != '\0') {
        row("Security model:", until_nul(model->model));
        row("Security DOI:", until_nul(model->doi));
    }
    return true;
}

bool cmd_domstate(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto st = d->state();
    if (!st) return vsh.fail(st.error());
    if (args.has("reason"))
        fmt::print("{} ({})\n", state_name(st->first), state_reason_name(st->first, st->second));
    else
        fmt::print("{}\n", state_name(st->first));
    return true;
}

} // namespace

std::vector<CommandDef> monitor_commands() {
    auto flag = [](std::string_view name, std::string_view help) {
        return OptDef{name, OptType::Bool, 0, help};
    };
    const OptDef dom{"domain", OptType::String, kRequired | kPositional, "domain name, id or uuid",
                     Complete::Domain};
    return {
        {"list",
         "monitor",
         "list domains",
         "Returns list of domains.",
         {flag("inactive", "list inactive domains"), flag("all", "list inactive & active domains"),
          flag("transient", "list transient domains"),
          flag("persistent", "list persistent domains"),
          flag("state-running", "list domains in running state"),
          flag("state-paused", "list domains in paused state"),
          flag("state-shutoff", "list domains in shutoff state"),
          flag("state-other", "list domains in other states"),
          flag("autostart", "list domains with autostart enabled"),
          flag("no-autostart", "list domains with autostart disabled"),
          flag("uuid", "list uuid's only"), flag("name", "list domain names only"),
          flag("id", "list domain IDs only"), flag("table", "list table (default)")},
         cmd_list},
        {"dominfo",
         "monitor",
         "domain information",
         "Returns basic information about the domain.",
         {dom},
         cmd_dominfo},
        {"domstate",
         "monitor",
         "domain state",
         "Returns state about a domain.",
         {dom, flag("reason", "also print reason for the state")},
         cmd_domstate},
    };
}

} // namespace virtd::vsh
