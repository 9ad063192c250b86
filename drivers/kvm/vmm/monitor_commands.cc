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
    mon.add_command("query-block", [&m](const Json&) -> Result<Json> {
        Json out = Json::array();
        for (const Machine::Disk& d : m.disks())
            out.push_back(block_of(d));
        return out;
    });
}

} // namespace virtd::vmm
