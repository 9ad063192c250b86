#include "drivers/kvm/vmm/monitor_commands.h"

namespace virtd::vmm {
namespace {

using Json = Monitor::Json;

Json status_of(const Machine& m) {
    bool paused = m.paused();
    return Json{{"status", paused ? "paused" : "running"}, {"running", !paused}};
}

Json block_of(const Machine::Disk& d) {
    pv::virtio::BlockCounters c = d.device->counters();
    return Json{{"device", d.name},
                {"file", d.spec.path},
                {"format", d.spec.format},
                {"read_only", d.spec.read_only},
                {"serial", d.spec.serial},
                {"size", d.device->info().size_bytes},
                {"stats",
                 {{"rd_operations", c.rd_req},
                  {"rd_bytes", c.rd_bytes},
                  {"wr_operations", c.wr_req},
                  {"wr_bytes", c.wr_bytes},
                  {"flush_operations", c.flush_req},
                  {"discard_operations", c.discard_req},
                  {"failed_operations", c.errors}}}};
}

Json nic_of(const Machine::Nic& n) {
    pv::virtio::NetCounters c = n.device->counters();
    return Json{{"name", n.name},
                {"mac", n.spec.mac.format()},
                {"backend", n.device->describe()},
                {"link", n.device->link_up()},
                {"rx_packets", c.rx_packets},
                {"rx_bytes", c.rx_bytes},
                {"rx_dropped", c.rx_dropped},
                {"tx_packets", c.tx_packets},
                {"tx_bytes", c.tx_bytes},
                {"tx_dropped", c.tx_dropped}};
}

void put_stat(Json& out, const char* name, const std::optional<uint64_t>& v) {
    if (v) out[name] = *v;
}

// QEMU's convention: sizes are the guest's memory, not the balloon's.
Json balloon_of(const Machine& m, pv::virtio::VirtioBalloon& b) {
    pv::virtio::BalloonStats st = b.stats();
    Json stats = Json::object();
    put_stat(stats, "stat-swap-in", st.swap_in);
    put_stat(stats, "stat-swap-out", st.swap_out);
    put_stat(stats, "stat-major-faults", st.major_faults);
    put_stat(stats, "stat-minor-faults", st.minor_faults);
    put_stat(stats, "stat-free-memory", st.free_memory);
    put_stat(stats, "stat-total-memory", st.total_memory);
    put_stat(stats, "stat-available-memory", st.available_memory);
    put_stat(stats, "stat-disk-caches", st.disk_caches);
    put_stat(stats, "stat-htlb-pgalloc", st.hugetlb_allocations);
    put_stat(stats, "stat-htlb-pgfail", st.hugetlb_failures);
    int64_t updated = 0;
    if (st.updated)
        updated = std::chrono::duration_cast<std::chrono::seconds>(st.updated->time_since_epoch())
                      .count();
    return Json{{"actual", m.ram_size() - b.actual()},
                {"target", m.ram_size() - b.target()},
                {"balloon", b.actual()},
                {"last-update", updated},
                {"stats", stats}};
}

Result<pv::virtio::VirtioBalloon*> need_balloon(const Machine& m) {
    if (m.balloon() == nullptr)
        return make_error(ErrorCode::NoDevice, ErrorDomain::None,
                          "this guest has no balloon (start virtd-vmm with --balloon)");
    return m.balloon();
}

} // namespace

const char* ending_reason(Ending ending) {
    switch (ending) {
    case Ending::Poweroff:
        return "poweroff";
    case Ending::Reset:
        return "reset";
    case Ending::Failure:
        return "guest-panic";
    case Ending::Quit:
        return "host-quit";
    }
    return "unknown";
}

void add_machine_commands(Monitor& mon, Machine& m) {
    mon.add_command("query-status", [&m](const Json&) -> Result<Json> { return status_of(m); });
    mon.add_command("stop", [&m, &mon](const Json&) -> Result<Json> {
        if (!m.paused()) {
            m.pause();
            mon.emit("STOP");
        }
        return Json::object();
    });
    mon.add_command("cont", [&m, &mon](const Json&) -> Result<Json> {
        if (m.paused()) {
            m.resume();
            mon.emit("RESUME");
        }
        return Json::object();
    });
    mon.add_command("save-state", [&m, &mon](const Json& args) -> Result<Json> {
        if (!args.contains("path") || !args["path"].is_string() ||
            !args["path"].get<std::string>().starts_with("/"))
            return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                              "save-state: 'path' (an absolute file name) is required");
        std::string note;
        if (args.contains("note")) {
            if (!args["note"].is_string() || args["note"].get<std::string>().size() > (1u << 20))
                return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                                  "save-state: 'note' must be a string of at most 1 MiB");
            note = args["note"].get<std::string>();
        }
        bool was_paused = m.paused();
        Result<uint64_t> bytes = m.save_state(args["path"].get<std::string>(), note);
        if (!was_paused && m.paused()) mon.emit("STOP");
        if (!bytes) return bytes.error();
        return Json{{"bytes", *bytes}};
    });
    mon.add_command("system_reset", [&m](const Json&) -> Result<Json> {
        m.end(Ending::Reset);
        return Json::object();
    });
    mon.add_command("quit", [&m](const Json&) -> Result<Json> {
        m.end(Ending::Quit);
        return Json::object();
    });
    mon.add_command("balloon", [&m](const Json& args) -> Result<Json> {
        Result<pv::virtio::VirtioBalloon*> b = need_balloon(m);
        if (!b) return b.error();
        if (!args.contains("value") || !args["value"].is_number_unsigned())
            return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                              "balloon: 'value' (the guest's memory size in bytes) is required");
        uint64_t value = args["value"].get<uint64_t>();
        if (value == 0 || value > m.ram_size())
            return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                              "balloon: {} bytes is outside 1..{} (the guest's RAM)", value,
                              m.ram_size());
        if (Status s = (*b)->set_target(m.ram_size() - value); !s) return s.error();
        return Json::object();
    });
    mon.add_command("query-balloon", [&m](const Json&) -> Result<Json> {
        Result<pv::virtio::VirtioBalloon*> b = need_balloon(m);
        if (!b) return b.error();
        return balloon_of(m, **b);
    });
    mon.add_command("query-net", [&m](const Json&) -> Result<Json> {
        Json out = Json::array();
        for (const Machine::Nic& n : m.nics())
            out.push_back(nic_of(n));
        return out;
    });
    mon.add_command("set_link", [&m](const Json& args) -> Result<Json> {
        if (!args.contains("name") || !args["name"].is_string() || !args.contains("up") ||
            !args["up"].is_boolean())
            return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                              "set_link: 'name' (a string) and 'up' (a boolean) are required");
        for (const Machine::Nic& n : m.nics()) {
            if (n.name == args["name"].get<std::string>() ||
                n.spec.mac.format() == args["name"].get<std::string>()) {
                n.device->set_link(args["up"].get<bool>());
                return Json::object();
            }
        }
        return make_error(ErrorCode::NoDevice, ErrorDomain::None, "set_link: no NIC '{}'",
                          args["name"].get<std::string>());
    });
    mon.add_command("query-block", [&m](const Json&) -> Result<Json> {
        Json out = Json::array();
        for (const Machine::Disk& d : m.disks())
            out.push_back(block_of(d));
        return out;
    });
}

} // namespace virtd::vmm
