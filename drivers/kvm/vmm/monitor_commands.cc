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
    mon.add_command("query-block", [&m](const Json&) -> Result<Json> {
        Json out = Json::array();
        for (const Machine::Disk& d : m.disks())
            out.push_back(block_of(d));
        return out;
    });
}

} // namespace virtd::vmm
