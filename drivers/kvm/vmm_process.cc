#include "drivers/kvm/vmm_process.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"

namespace virtd::kvm {
namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;
constexpr size_t kLogTailBytes = 2048;
constexpr size_t kMaxLineBytes = (size_t{1} << 20) + 2; // the monitor's limit, plus "\r\n"

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

int ms_until(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, int64_t{3600} * 1000));
}

// What the VMM wrote to its log since `from` (the log's size before the start), at most the last
// kLogTailBytes of it, or a note when there is nothing to show.
std::string log_tail(const std::string& path, off_t from) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) != 0) return fmt::format("(cannot read the log '{}')", path);
    off_t start = std::max<off_t>(from, st.st_size - static_cast<off_t>(kLogTailBytes));
    if (start >= st.st_size) return fmt::format("(the log '{}' is empty)", path);
    std::string text(static_cast<size_t>(st.st_size - start), '\0');
    ssize_t n = pread(fd.get(), text.data(), text.size(), start);
    if (n < 0) return fmt::format("(cannot read the log '{}')", path);
    text.resize(static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return fmt::format("its log '{}' ends:\n{}{}", path, start > from ? "...\n" : "", text);
}

ExitInfo exit_info(const siginfo_t& info) {
    ExitInfo e;
    if (info.si_code == CLD_EXITED) {
        e.state = ExitInfo::State::Exited;
        e.code = info.si_status;
    } else {
        e.state = ExitInfo::State::Killed; // CLD_KILLED or CLD_DUMPED
        e.signal = info.si_status;
    }
    return e;
}

// Runs in the child between fork and exec: async-signal-safe calls only, no allocation.
[[noreturn]] void exec_child(const char* binary, char* const* argv, int null_fd, int log_fd) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s)
        sigaction(s, &dfl, nullptr); // fails harmlessly for some
    if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) _exit(127);
    syscall(SYS_close_range, 3u, ~0u, 0u); // belt and braces: everything else is CLOEXEC
    execv(binary, argv);
    const char* what = strerrordesc_np(errno); // a constant string: no locale, no malloc
    if (!what) what = "unknown error";
    const char prefix[] = "virtd: cannot execute the VMM: ";
    (void)!write(2, prefix, sizeof(prefix) - 1);
    (void)!write(2, what, strlen(what));
    (void)!write(2, "\n", 1);
    _exit(127);
}

} // namespace

Result<UniqueFd> connect_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path))
        return make_error(ErrorCode::InternalError, kDom, "socket path '{}' is too long", path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return system_error(kDom, errno, "creating a unix socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0)
        return system_error(kDom, errno, fmt::format("connecting to '{}'", path));
    return fd;
}

std::string ExitInfo::describe() const {
    switch (state) {
    case State::Running:
        return "running";
    case State::Exited:
        return fmt::format("exited with status {}", code);
    case State::Gone:
        return "ended (not the daemon's child, so how is not known)";
    case State::Killed: {
        const char* name = sigabbrev_np(signal);
        return name ? fmt::format("killed by signal {} (SIG{})", signal, name)
                    : fmt::format("killed by signal {}", signal);
    }
    }
    return "unknown";
}

Result<std::unique_ptr<VmmProcess>> VmmProcess::start(const std::string& vmm_binary,
                                                      const VmmLaunch& launch,
                                                      std::chrono::milliseconds timeout) {
    UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_fd) return system_error(kDom, errno, "opening /dev/null");
    UniqueFd log_fd(::open(launch.log_file.c_str(),
                           O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
    if (!log_fd)
        return system_error(kDom, errno, fmt::format("opening the VMM log '{}'", launch.log_file));
    struct stat st {};
    off_t log_start = fstat(log_fd.get(), &st) == 0 ? st.st_size : 0;

    // Everything the child needs is built before fork: it may not allocate.
    std::vector<std::string> args;
    args.reserve(launch.argv.size() + 1);
    args.push_back(vmm_binary);
    args.insert(args.end(), launch.argv.begin(), launch.argv.end());
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) return system_error(kDom, errno, "forking the VMM");
    if (pid == 0) exec_child(vmm_binary.c_str(), argv.data(), null_fd.get(), log_fd.get());
    setpgid(pid, pid); // also here, so the group exists whichever side runs first
    null_fd.reset();
    log_fd.reset();

    auto abandon = [&](std::unique_ptr<VmmProcess>& p) {
        p->kill_now();
        ::unlink(launch.pid_file.c_str());
    };

    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        int err = errno;
        ::kill(pid, SIGKILL);
        siginfo_t info{};
        waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED);
        return system_error(kDom, err, fmt::format("pidfd_open of the VMM (pid {})", pid));
    }
    std::unique_ptr<VmmProcess> proc(new VmmProcess(pid, std::move(pidfd), launch));

    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
        // Ready when the monitor greets as this very process (not a VMM left over from before
        // that still holds the socket: ours then fails and exits, which is reported below).
        auto budget = std::chrono::milliseconds(std::max(ms_until(deadline), 100));
        if (auto c = VmmMonitorClient::connect(launch.monitor_socket, budget); c) {
            const Json& who = (*c)->greeting()["virtd-vmm"];
            if (who.is_object() && who.value("pid", int64_t{-1}) == int64_t{pid}) return proc;
        }
        Result<ExitInfo> e = proc->reap();
        if (!e) {
            abandon(proc);
            return e.error();
        }
        if (!e->running()) {
            ::unlink(launch.pid_file.c_str());
            return make_error(ErrorCode::OperationFailed, kDom,
                              "the VMM (pid {}) {} before its monitor socket '{}' was ready; {}",
                              pid, e->describe(), launch.monitor_socket,
                              log_tail(launch.log_file, log_start));
        }
        int left = ms_until(deadline);
        if (left == 0) {
            abandon(proc);
            return make_error(ErrorCode::OperationTimeout, kDom,
                              "the VMM (pid {}) did not open its monitor socket '{}' within {} ms, "
                              "so it was killed; {}",
                              pid, launch.monitor_socket, timeout.count(),
                              log_tail(launch.log_file, log_start));
        }
        // Wakes at once when the child exits; otherwise retries the socket every 20 ms.
        pollfd p{proc->pidfd(), POLLIN, 0};
        ::poll(&p, 1, std::min(left, 20));
    }
}

Result<std::unique_ptr<VmmProcess>> VmmProcess::adopt(const VmmLaunch& launch,
                                                      std::chrono::milliseconds timeout) {
    // A VMM whose start was cut short with the daemon may still be on its way to writing its
    // pid file or opening its monitor, and gets until the deadline as long as it lives. It
    // writes the pid file first thing, so that wait is only the start's own budget; a longer
    // `timeout` is for a monitor busy with a save.
    const Clock::time_point deadline = Clock::now() + timeout;
    const Clock::time_point pid_deadline = Clock::now() + std::min(timeout, kStartTimeout);
    auto retry = [&](Clock::time_point until) {
        if (ms_until(until) == 0) return false;
        ::usleep(20000);
        return true;
    };
    for (;;) {
        Result<std::string> text = read_file(launch.pid_file);
        if (!text) {
            if (retry(pid_deadline)) continue;
            return text.error().with_context("reading the VMM's pid file");
        }
        char* end = nullptr;
        long pid = std::strtol(text->c_str(), &end, 10);
        if (pid <= 1 || (end && *end != '\n' && *end != '\0'))
            return make_error(ErrorCode::InternalError, kDom, "VMM pid file '{}' holds no pid",
                              launch.pid_file);
        UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
        if (!pidfd)
            return system_error(kDom, errno,
                                fmt::format("the VMM (pid {}) of '{}'", pid, launch.pid_file));
        Result<std::unique_ptr<VmmMonitorClient>> c = VmmMonitorClient::connect(
            launch.monitor_socket, std::chrono::milliseconds(std::max(ms_until(deadline), 100)));
        if (!c) {
            pollfd p{pidfd.get(), POLLIN, 0};
            const bool alive = ::poll(&p, 1, 0) == 0;
            if (alive && retry(deadline)) continue;
            return c.error();
        }
        const Json& who = (*c)->greeting()["virtd-vmm"];
        if (!who.is_object() || who.value("pid", int64_t{-1}) != int64_t{pid})
            return make_error(ErrorCode::OperationFailed, kDom,
                              "the monitor '{}' belongs to another process than pid {} of '{}'",
                              launch.monitor_socket, pid, launch.pid_file);
        return std::unique_ptr<VmmProcess>(
            new VmmProcess(static_cast<pid_t>(pid), std::move(pidfd), launch, false));
    }
}

namespace {

// Whether the NUL-separated `cmdline` holds the argument pair `--monitor socket`.
bool names_monitor(const std::string& cmdline, const std::string& socket) {
    const std::string pair = "--monitor" + std::string(1, '\0') + socket + std::string(1, '\0');
    for (size_t at = cmdline.find(pair); at != std::string::npos; at = cmdline.find(pair, at + 1))
        if (at == 0 || cmdline[at - 1] == '\0') return true;
    return false;
}

Result<std::string> cmdline_of(const std::string& pid) {
    return read_file("/proc/" + pid + "/cmdline", 1 << 20);
}

} // namespace

int VmmProcess::kill_strays(const std::string& monitor_socket) {
    DIR* proc = opendir("/proc");
    if (!proc) return 0;
    std::vector<std::string> pids;
    while (dirent* e = readdir(proc)) {
        std::string name = e->d_name;
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        if (Result<std::string> c = cmdline_of(name); c && names_monitor(*c, monitor_socket))
            pids.push_back(name);
    }
    closedir(proc);
    int killed = 0;
    for (const std::string& pid : pids) {
        UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, std::stoi(pid), 0)));
        if (!fd) continue; // gone already
        // Read again now that the pidfd pins the process: had the pid been reused since the scan,
        // the new process's command line would not match.
        if (Result<std::string> c = cmdline_of(pid); !c || !names_monitor(*c, monitor_socket))
            continue;
        if (syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0) != 0) continue;
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0)
            log::warning("kvm", "stray VMM pid {} did not end within 5 s of SIGKILL", pid);
        log::info("kvm", "killed stray VMM pid {} (monitor '{}')", pid, monitor_socket);
        ++killed;
    }
    return killed;
}

Result<ExitInfo> VmmProcess::wait(bool block) {
    if (ended_) return *ended_;
    if (!child_) {
        // Not ours to reap: the pidfd turns readable when the process is gone.
        pollfd p{pidfd_.get(), POLLIN, 0};
        while (::poll(&p, 1, block ? -1 : 0) < 0)
            if (errno != EINTR) return system_error(kDom, errno, "polling the VMM's pidfd");
        if (!(p.revents & POLLIN)) return ExitInfo{};
        ended_ = ExitInfo{ExitInfo::State::Gone, 0, 0};
        return *ended_;
    }
    siginfo_t info{};
    int flags = WEXITED | (block ? 0 : WNOHANG);
    for (;;) {
        if (waitid(P_PID, static_cast<id_t>(pid_), &info, flags) == 0) break;
        if (errno == EINTR) continue;
        return system_error(kDom, errno, fmt::format("waiting for the VMM (pid {})", pid_));
    }
    if (info.si_pid == 0) return ExitInfo{}; // WNOHANG, still running
    ended_ = exit_info(info);
    return *ended_;
}

Result<ExitInfo> VmmProcess::reap() {
    return wait(false);
}

void VmmProcess::kill_now() {
    if (ended_) return;
    // A child not reaped yet still owns its pid; for an adopted VMM the pidfd is the safe way.
    if (child_)
        ::kill(pid_, SIGKILL);
    else
        syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    (void)wait(true);
}

Result<std::unique_ptr<VmmMonitorClient>>
VmmMonitorClient::connect(const std::string& socket_path, std::chrono::milliseconds timeout) {
    Result<UniqueFd> fd = connect_unix(socket_path);
    if (!fd) return fd.error().with_context("VMM monitor");
    std::unique_ptr<VmmMonitorClient> c(new VmmMonitorClient(std::move(*fd), socket_path, timeout));
    Result<Json> hello = c->read_message(Clock::now() + timeout, "the greeting");
    if (!hello) return hello.error();
    if (!hello->is_object() || !hello->contains("virtd-vmm")) {
        const Json& j = *hello;
        std::string desc = j.is_object() && j.contains("error") && j["error"].is_object()
                               ? j["error"].value("desc", j.dump())
                               : j.dump();
        return make_error(ErrorCode::OperationFailed, kDom,
                          "VMM monitor '{}' did not greet as virtd-vmm: {}", socket_path, desc);
    }
    c->greeting_ = std::move(*hello);
    return c;
}

Result<VmmMonitorClient::Json> VmmMonitorClient::read_message(Clock::time_point deadline,
                                                              std::string_view waiting_for) {
    for (;;) {
        size_t nl;
        while ((nl = buffer_.find('\n')) != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            Json j = Json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.is_object())
                return make_error(ErrorCode::InternalError, kDom,
                                  "VMM monitor '{}' sent a line that is not a JSON object: {:.200}",
                                  path_, line);
            return j;
        }
        if (buffer_.size() > kMaxLineBytes)
            return make_error(ErrorCode::InternalError, kDom,
                              "VMM monitor '{}' sent a line longer than {} bytes", path_,
                              kMaxLineBytes);
        if (closed_)
            return make_error(ErrorCode::OperationFailed, kDom,
                              "VMM monitor '{}' closed the connection while waiting for {}", path_,
                              waiting_for);
        pollfd p{fd_.get(), POLLIN, 0};
        int r = ::poll(&p, 1, ms_until(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return system_error(kDom, errno, "polling the VMM monitor");
        if (r == 0)
            return make_error(ErrorCode::OperationTimeout, kDom,
                              "VMM monitor '{}': no {} within {} ms", path_, waiting_for,
                              timeout_.count());
        char chunk[65536];
        ssize_t n = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) {
            if (errno != ECONNRESET)
                return system_error(kDom, errno,
                                    fmt::format("reading the VMM monitor '{}'", path_));
            n = 0;
        }
        if (n == 0) {
            closed_ = true;
            continue; // a last complete line may still be buffered
        }
        buffer_.append(chunk, static_cast<size_t>(n));
    }
}

Result<VmmMonitorClient::Json> VmmMonitorClient::command(std::string_view name, const Json& args,
                                                         std::chrono::milliseconds timeout) {
    const uint64_t id = next_id_++;
    Json req = {{"execute", std::string(name)}, {"id", id}};
    if (!args.is_null()) req["arguments"] = args;
    std::string line = req.dump() + "\n";
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::send(fd_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return system_error(kDom, errno,
                                fmt::format("sending '{}' to the VMM monitor '{}'", name, path_));
        rest.remove_prefix(static_cast<size_t>(n));
    }

    const std::string waiting_for = fmt::format("reply to '{}'", name);
    const Clock::time_point deadline = Clock::now() + (timeout.count() > 0 ? timeout : timeout_);
    for (;;) {
        Result<Json> msg = read_message(deadline, waiting_for);
        if (!msg) return msg.error();
        Json& m = *msg;
        if (m.contains("event")) {
            events_.push_back(std::move(m));
            continue;
        }
        // A reply without our id (an error for a line the server could not read) is ours too:
        // replies come in order and only one request is outstanding.
        if (m.contains("id") && m["id"] != Json(id)) continue;
        if (m.contains("return")) return std::move(m["return"]);
        if (m.contains("error")) {
            const Json& e = m["error"];
            std::string cls = e.is_object() ? e.value("class", "GenericError") : "GenericError";
            std::string desc = e.is_object() ? e.value("desc", e.dump()) : e.dump();
            ErrorCode code = cls == "CommandNotFound"   ? ErrorCode::OperationUnsupported
                             : cls == "InvalidArgument" ? ErrorCode::InvalidArg
                             : cls == "DeviceNotFound"  ? ErrorCode::DeviceMissing
                                                        : ErrorCode::OperationFailed;
            return make_error(code, kDom, "VMM monitor command '{}' failed: {}: {}", name, cls,
                              desc);
        }
        return make_error(ErrorCode::InternalError, kDom,
                          "VMM monitor '{}' sent an unexpected message: {:.200}", path_, m.dump());
    }
}

std::vector<VmmMonitorClient::Json> VmmMonitorClient::take_events() {
    std::vector<Json> out(std::make_move_iterator(events_.begin()),
                          std::make_move_iterator(events_.end()));
    events_.clear();
    return out;
}

std::vector<VmmMonitorClient::Json>
VmmMonitorClient::drain_events(std::chrono::milliseconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
        Result<Json> msg = read_message(deadline, "the end of the connection");
        if (!msg) break; // closed, timed out or garbled: what was read is all there is
        if (msg->contains("event")) events_.push_back(std::move(*msg));
    }
    return take_events();
}

Result<VmmMonitorClient::Json> VmmMonitorClient::wait_event(std::string_view name) {
    auto is_it = [&](const Json& e) { return e.value("event", "") == name; };
    if (auto it = std::find_if(events_.begin(), events_.end(), is_it); it != events_.end()) {
        Json e = std::move(*it);
        events_.erase(it);
        return e;
    }
    const std::string waiting_for = fmt::format("event '{}'", name);
    const Clock::time_point deadline = Clock::now() + timeout_;
    for (;;) {
        Result<Json> msg = read_message(deadline, waiting_for);
        if (!msg) return msg.error();
        if (!msg->contains("event")) continue; // a stray reply: no request is outstanding
        if (is_it(*msg)) return std::move(*msg);
        events_.push_back(std::move(*msg));
    }
}

} // namespace virtd::kvm
