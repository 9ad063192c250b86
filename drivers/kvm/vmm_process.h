// The daemon's handle on one running virtd-vmm (one per guest), and a client for its monitor.
//
// VmmProcess::start() turns a planned VmmLaunch into a process: it forks and execs virtd-vmm with
// the launch's arguments, its output going to the launch's log file (the VMM writes its own pid
// file), and returns once the monitor socket accepts connections (or fails with the end of the log,
// so the VMM's own complaint reaches the user). A pidfd is kept so an event loop can notice the
// exit; reap() then tells a normal end (exit status) from a crash or a kill (signal).
//
// VmmMonitorClient speaks the monitor protocol (drivers/kvm/vmm/MONITOR.md) synchronously: one
// request, wait for its reply, queue the events that arrive in between.
//
// Thread safety: neither class is thread-safe; use each object from one thread at a time.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "common/error.h"
#include "common/fd.h"
#include "drivers/kvm/launch.h"

namespace virtd::kvm {

// How a VMM process ended, or that it has not yet.
struct ExitInfo {
    // Gone: an adopted VMM (not this process's child) ended; only its parent learns how.
    enum class State { Running, Exited, Killed, Gone };
    State state = State::Running;
    int code = 0;   // the exit status, when Exited
    int signal = 0; // the signal number, when Killed

    bool running() const { return state == State::Running; }
    bool exited() const { return state == State::Exited; }
    bool killed() const { return state == State::Killed; }
    bool gone() const { return state == State::Gone; }
    // "running", "exited with status 4", "killed by signal 9 (SIGKILL)".
    std::string describe() const;
};

// Connects a stream socket to the unix socket at `path` (the VMM's monitor, console, channels).
Result<UniqueFd> connect_unix(const std::string& path);

class VmmProcess {
public:
    static constexpr std::chrono::milliseconds kStartTimeout{5000};

    // Starts `vmm_binary` with `launch.argv`. stdin is /dev/null; stdout and stderr append to
    // launch.log_file (created 0600); the child gets its own process group, default signal
    // handling and no other descriptor. launch.pid_file is written atomically. Returns when the
    // monitor socket accepts a connection and greets with this child's pid; if the VMM exits first
    // or `timeout` passes, the child is killed and reaped, the pid file removed, and the error
    // quotes the end of the log. The folders of the launch's files must exist.
    static Result<std::unique_ptr<VmmProcess>>
    start(const std::string& vmm_binary, const VmmLaunch& launch,
          std::chrono::milliseconds timeout = kStartTimeout);

    // Takes over a VMM an earlier daemon started (after a restart): reads launch.pid_file and
    // succeeds only if that process is alive and its monitor greets with the same pid, so a
    // reused pid is never mistaken for the guest. A VMM still starting (no pid file or monitor
    // yet) is waited for until `timeout`, while it lives. Such a VMM is not this process's
    // child: reap() reports its end as Gone.
    static Result<std::unique_ptr<VmmProcess>>
    adopt(const VmmLaunch& launch, std::chrono::milliseconds timeout = kStartTimeout);

    // Kills every process on this host whose command line holds `--monitor monitor_socket`:
    // what is left of a launch that no daemon can take over (one killed before the VMM answered
    // its monitor, or whose monitor no longer answers). Matching the command line rather than
    // trusting a pid file also finds a VMM that had not written its pid file yet. Returns how
    // many were killed; each is gone when this returns (or after 5 s, logged).
    static int kill_strays(const std::string& monitor_socket);

    // Does not kill the VMM (a guest may outlive the daemon's handle on it); closes the pidfd.
    // A child never reaped stays a zombie until the daemon exits, so call kill_now() or reap()
    // when the guest is to go.
    ~VmmProcess() = default;
    VmmProcess(const VmmProcess&) = delete;
    VmmProcess& operator=(const VmmProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Becomes readable (EPOLLIN) when the process exits. Owned by this object.
    int pidfd() const { return pidfd_.get(); }
    const VmmLaunch& launch() const { return launch_; }

    // Non-blocking: Running while the process lives, else how it ended (the process is reaped on
    // the first call that sees it gone; later calls return the same answer).
    Result<ExitInfo> reap();
    // Sends SIGKILL (unless already reaped) and waits for the process to be gone. Idempotent.
    void kill_now();

private:
    VmmProcess(pid_t pid, UniqueFd pidfd, VmmLaunch launch, bool child = true)
        : pid_(pid)
        , pidfd_(std::move(pidfd))
        , launch_(std::move(launch))
        , child_(child) {}
    Result<ExitInfo> wait(bool block);

    pid_t pid_;
    UniqueFd pidfd_;
    VmmLaunch launch_;
    bool child_ = true;
    std::optional<ExitInfo> ended_;
};

class VmmMonitorClient {
public:
    using Json = nlohmann::json;
    static constexpr std::chrono::milliseconds kTimeout{5000};

    // Connects and reads the greeting ({"virtd-vmm":{...},"capabilities":[]}). `timeout` bounds
    // every later wait for a reply or event too.
    static Result<std::unique_ptr<VmmMonitorClient>>
    connect(const std::string& socket_path, std::chrono::milliseconds timeout = kTimeout);

    VmmMonitorClient(const VmmMonitorClient&) = delete;
    VmmMonitorClient& operator=(const VmmMonitorClient&) = delete;

    // Runs one command: sends {"execute":NAME,"arguments":ARGS,"id":N} ("arguments" left out when
    // `args` is null) and returns the reply's "return". An error reply becomes an Error quoting
    // its class and desc; events read meanwhile are queued for take_events().
    // `timeout` zero: the client's own.
    Result<Json> command(std::string_view name, const Json& args = Json(),
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

    // The events received so far, oldest first; the queue is emptied.
    std::vector<Json> take_events();
    // Returns (and removes from the queue) the first event named `name`, reading more lines until
    // it comes, the connection closes or the timeout passes. Other events stay queued.
    Result<Json> wait_event(std::string_view name);

    // Reads until the VMM closes the connection (it does right after its last event when it
    // ends) or `timeout` passes, and returns every event queued; the queue is emptied.
    std::vector<Json> drain_events(std::chrono::milliseconds timeout);

    const Json& greeting() const { return greeting_; }
    const std::string& path() const { return path_; }

private:
    VmmMonitorClient(UniqueFd fd, std::string path, std::chrono::milliseconds timeout)
        : fd_(std::move(fd))
        , path_(std::move(path))
        , timeout_(timeout) {}
    // The next non-blank line as JSON, waiting at most until `deadline`.
    Result<Json> read_message(std::chrono::steady_clock::time_point deadline,
                              std::string_view waiting_for);

    UniqueFd fd_;
    std::string path_;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
    std::deque<Json> events_;
    Json greeting_;
    uint64_t next_id_ = 1;
    bool closed_ = false;
};

} // namespace virtd::kvm
