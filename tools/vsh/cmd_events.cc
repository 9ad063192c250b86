// The "domain events" group: event (lifecycle events, printed as virsh prints them).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <mutex>

#include <sys/time.h>

#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// virsh's words for lifecycle events and their details, indexed by libvirt's numbers.
struct EventWords {
    std::string_view event;
    std::vector<std::string_view> details;
};

const std::vector<EventWords>& lifecycle_words() {
    static const std::vector<EventWords> kWords = {
        {"Defined", {"Added", "Updated", "Renamed", "Snapshot"}},
        {"Undefined", {"Removed", "Renamed"}},
        {"Started", {"Booted", "Migrated", "Restored", "Snapshot", "Event wakeup", "Recreated"}},
        {"Suspended",
         {"Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot", "API error",
          "Post-copy", "Post-copy Error"}},
        {"Resumed", {"Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"}},
        {"Stopped",
         {"Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot",
          "Recreated"}},
        {"Shutdown", {"Finished", "Finished after guest request", "Finished after host request"}},
        {"PMSuspended", {"Memory", "Disk"}},
        {"Crashed", {"Core Dumped"}},
    };
    return kWords;
}

std::string describe(int event, int detail) {
    const auto& words = lifecycle_words();
    if (event < 0 || static_cast<size_t>(event) >= words.size()) return "unknown unknown";
    const EventWords& w = words[event];
    std::string_view d = detail >= 0 && static_cast<size_t>(detail) < w.details.size()
                             ? w.details[detail]
                             : "unknown";
    return fmt::format("{} {}", w.event, d);
}

// "2024-05-01 12:00:00.123+0000: ", virsh's --timestamp prefix.
std::string timestamp() {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm t{};
    gmtime_r(&tv.tv_sec, &t);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &t);
    return fmt::format("{}.{:03}+0000: ", buf, tv.tv_usec / 1000);
}

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) {
    g_interrupted = true;
}

// The event types virsh knows; only lifecycle is delivered by this client so far.
constexpr std::string_view kEventNames[] = {"lifecycle",
                                            "reboot",
                                            "rtc-change",
                                            "watchdog",
                                            "io-error",
                                            "graphics",
                                            "io-error-reason",
                                            "control-error",
                                            "block-job",
                                            "disk-change",
                                            "tray-change",
                                            "pm-wakeup",
                                            "pm-suspend",
                                            "balloon-change",
                                            "pm-suspend-disk",
                                            "device-removed",
                                            "block-job-2",
                                            "tunable",
                                            "agent-lifecycle",
                                            "device-added",
                                            "migration-iteration",
                                            "job-completed",
                                            "device-removal-failed",
                                            "metadata-change",
                                            "block-threshold",
                                            "memory-failure",
                                            "memory-device-size-change"};

bool cmd_event(Vsh& vsh, const Args& args) {
    if (args.has("list")) {
        for (std::string_view n : kEventNames)
            fmt::print("{}\n", n);
        return true;
    }
    std::optional<std::string> type = args.get("event");
    if (!type && !args.has("all")) {
        vsh.error("one of --list, --all, or --event <type> is required");
        return false;
    }
    if (type && *type != "lifecycle") {
        bool known = false;
        for (std::string_view n : kEventNames)
            known = known || n == *type;
        if (!known)
            vsh.error("unknown event type {}", *type);
        else
            vsh.error("event type '{}' is not supported by vsh yet (only 'lifecycle')", *type);
        return false;
    }
    long timeout_s = 0;
    if (auto t = args.get("timeout")) {
        char* end = nullptr;
        timeout_s = std::strtol(t->c_str(), &end, 10);
        if (t->empty() || *end || timeout_s < 1) {
            vsh.error("invalid timeout");
            return false;
        }
    }
    long count_limit = args.has("loop") ? 0 : 1;
    if (auto c = args.get("count")) {
        char* end = nullptr;
        count_limit = std::strtol(c->c_str(), &end, 10);
        if (c->empty() || *end || count_limit < 1) {
            vsh.error("Numeric value '{}' for <count> option is malformed or out of range", *c);
            return false;
        }
    }
    std::optional<client::Domain> only;
    if (args.has("domain")) {
        only = vsh.domain(args);
        if (!only) return false;
    }
    bool stamp = args.has("timestamp");

    std::mutex mu;
    std::condition_variable cv;
    long received = 0;
    bool link_lost = false;
    client::Connection* conn = vsh.conn();
    conn->set_close_handler([&](const Error&) {
        std::lock_guard lock(mu);
        link_lost = true;
        cv.notify_all();
    });
    Result<int> id = conn->add_lifecycle_handler(
        [&](const client::Domain& d, int event, int detail) {
            std::lock_guard lock(mu);
            if (count_limit && received >= count_limit) return;
            fmt::print("{}event 'lifecycle' for domain '{}': {}\n", stamp ? timestamp() : "",
                       d.name(), describe(event, detail));
            std::fflush(stdout);
            received++;
            cv.notify_all();
        },
        only);
    if (!id) return vsh.fail(id.error(), "failed to register event");

    g_interrupted = false;
    struct sigaction sa {
    }, old{};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    bool timed_out = false;
    {
        std::unique_lock lock(mu);
        while (!(count_limit && received >= count_limit) && !link_lost && !g_interrupted) {
            cv.wait_for(lock, std::chrono::milliseconds(100));
            if (timeout_s && std::chrono::steady_clock::now() >= deadline) {
                timed_out = true;
                break;
            }
        }
    }
    sigaction(SIGINT, &old, nullptr);
    if (!link_lost) (void)conn->remove_event_handler(*id);
    conn->set_close_handler(nullptr);
    std::lock_guard lock(mu);
    if (timed_out) fmt::print("event loop timed out\n");
    fmt::print("events received: {}\n", received);
    if (link_lost) {
        vsh.error("the connection to the daemon was lost");
        vsh.disconnect();
        return false;
    }
    // As virsh: waiting in vain until the timeout counts as a failure.
    return !(timed_out && received == 0);
}

} // namespace

std::vector<CommandDef> event_commands() {
    return {
        {"event",
         "events",
         "Domain Events",
         "List event types, or wait for domain events to occur",
         {{"domain", OptType::String, 0, "filter by domain name, id or uuid", Complete::Domain},
          {"event", OptType::String, 0, "which event type to wait for"},
          {"all", OptType::Bool, 0, "wait for all events instead of just one type"},
          {"loop", OptType::Bool, 0, "loop until timeout or interrupt, rather than one-shot"},
          {"timeout", OptType::Number, 0, "timeout seconds"},
          {"count", OptType::Number, 0, "stop after this many events (vsh only)"},
          {"list", OptType::Bool, 0, "list valid event types"},
          {"timestamp", OptType::Bool, 0, "show timestamp for each printed event"}},
         cmd_event},
    };
}

} // namespace virtd::vsh
