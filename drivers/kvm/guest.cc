#include "drivers/kvm/guest.h"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"

namespace virtd::kvm {
namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;
// The console log is for looking back a little, not an archive: past this it starts over.
constexpr off_t kConsoleLogMax = off_t{8} << 20;

// The directory part of `path` ("" for a bare name).
std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

} // namespace

std::string_view ending_name(Ending e) {
    switch (e) {
    case Ending::Poweroff:
        return "poweroff";
    case Ending::Reset:
        return "reset";
    case Ending::Panic:
        return "guest-panic";
    case Ending::Quit:
        return "host-quit";
    case Ending::Crashed:
        return "crashed";
    }
    return "?";
}

Result<std::shared_ptr<Guest>> Guest::start(const std::string& vmm_binary,
                                            const VmmLaunch& launch) {
    Result<std::unique_ptr<VmmProcess>> p = VmmProcess::start(vmm_binary, launch);
    if (!p) return p.error();
    std::shared_ptr<Guest> g(new Guest(std::move(*p)));
    if (Status s = g->connect(VmmProcess::kStartTimeout); !s) {
        g->kill();
        ::unlink(launch.pid_file.c_str());
        return s.error();
    }
    return g;
}

Result<std::shared_ptr<Guest>> Guest::adopt(const VmmLaunch& launch,
                                            std::chrono::milliseconds timeout) {
    Result<std::unique_ptr<VmmProcess>> p = VmmProcess::adopt(launch, timeout);
    if (!p) return p.error();
    std::shared_ptr<Guest> g(new Guest(std::move(*p)));
    // The monitor greeted, so it is free now: the usual bound holds for every later command.
    if (Status s = g->connect(VmmProcess::kStartTimeout); !s) return s.error();
    return g;
}

Guest::~Guest() = default;

Status Guest::connect(std::chrono::milliseconds timeout) {
    const VmmLaunch& l = launch();
    Result<std::unique_ptr<VmmMonitorClient>> m =
        VmmMonitorClient::connect(l.monitor_socket, timeout);
    if (!m) return m.error();
    {
        std::lock_guard lock(monitor_mu_);
        monitor_ = std::move(*m);
    }
    if (l.console_socket.empty()) return {};
    Result<UniqueFd> c = connect_unix(l.console_socket);
    if (!c) return c.error().with_context("the guest's serial console");
    if (fcntl(c->get(), F_SETFL, O_NONBLOCK) != 0)
        return system_error(kDom, errno, "making the console connection non-blocking");
    console_ = std::move(*c);
    console_log_path_ = dir_of(l.log_file) + "/console.log";
    console_log_.reset(::open(console_log_path_.c_str(),
                              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
    if (!console_log_)
        log::warning("kvm", "cannot open the console log '{}': {}", console_log_path_,
                     strerror(errno));
    return {};
}

Result<nlohmann::json> Guest::command(std::string_view name, const nlohmann::json& args,
                                      std::chrono::milliseconds timeout) {
    std::lock_guard lock(monitor_mu_);
    if (!monitor_)
        return make_error(ErrorCode::OperationFailed, kDom, "the VMM's monitor is not connected");
    Result<nlohmann::json> r = monitor_->command(name, args, timeout);
    (void)monitor_->take_events(); // the driver learns of state changes from the replies
    return r;
}

Ending Guest::ending() {
    std::lock_guard exit_lock(exit_mu_);
    std::string reason;
    {
        std::lock_guard lock(monitor_mu_);
        if (monitor_)
            for (const nlohmann::json& e : monitor_->drain_events(std::chrono::milliseconds(500)))
                if (e.value("event", "") == "SHUTDOWN" && e.contains("data") &&
                    e["data"].is_object())
                    reason = e["data"].value("reason", "");
    }
    Result<ExitInfo> exit = process_->reap();
    if (reason == "poweroff") return Ending::Poweroff;
    if (reason == "reset") return Ending::Reset;
    if (reason == "guest-panic") return Ending::Panic;
    if (reason == "host-quit") return Ending::Quit;
    if (exit && exit->exited()) {
        switch (exit->code) {
        case 0:
            return Ending::Poweroff;
        case 2:
            return Ending::Reset;
        case 3:
            return Ending::Panic;
        case 4:
            return Ending::Quit;
        default:
            break;
        }
    }
    if (exit) log::warning("kvm", "VMM pid {} {}", pid(), exit->describe());
    return Ending::Crashed;
}

void Guest::kill() {
    std::lock_guard exit_lock(exit_mu_);
    process_->kill_now();
}

bool Guest::on_console_readable() {
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(console_.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (n <= 0) return false;
        std::string_view bytes(buf, static_cast<size_t>(n));
        if (console_log_) {
            struct stat st {};
            if (fstat(console_log_.get(), &st) == 0 && st.st_size > kConsoleLogMax)
                (void)!ftruncate(console_log_.get(), 0);
            (void)!::write(console_log_.get(), bytes.data(), bytes.size());
        }
        std::lock_guard lock(console_mu_);
        if (attached_ && attached_->client.data) attached_->client.data(bytes);
    }
}

Result<std::shared_ptr<void>> Guest::attach_console(ConsoleClient client, bool force) {
    if (!console_)
        return make_error(ErrorCode::OperationFailed, kDom,
                          "the guest has no serial console (add <serial> or <console>)");
    std::shared_ptr<Attachment> old;
    auto fresh = std::make_shared<Attachment>(Attachment{std::move(client)});
    {
        std::lock_guard lock(console_mu_);
        if (attached_ && !force)
            return make_error(ErrorCode::OperationFailed, kDom,
                              "Active console session exists for this domain");
        old = std::exchange(attached_, fresh);
    }
    if (old && old->client.closed) old->client.closed();
    return std::shared_ptr<void>(fresh);
}

void Guest::hand_console_to(Guest& other) {
    std::shared_ptr<Attachment> moving;
    {
        std::lock_guard lock(console_mu_);
        moving = std::move(attached_);
    }
    if (!moving) return;
    std::lock_guard lock(other.console_mu_);
    other.attached_ = std::move(moving);
}

void Guest::close_console() {
    std::shared_ptr<Attachment> old;
    {
        std::lock_guard lock(console_mu_);
        old = std::move(attached_);
    }
    if (old && old->client.closed) old->client.closed();
}

void Guest::detach_console(const std::shared_ptr<void>& token) {
    std::shared_ptr<Attachment> old;
    std::lock_guard lock(console_mu_);
    if (attached_ && attached_.get() == token.get()) old = std::move(attached_);
}

Status Guest::console_write(const std::shared_ptr<void>& token, std::string_view bytes) {
    {
        std::lock_guard lock(console_mu_);
        if (!attached_ || attached_.get() != token.get())
            return make_error(ErrorCode::OperationFailed, kDom,
                              "the console session was closed or taken over");
    }
    while (!bytes.empty()) {
        ssize_t n = ::send(console_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // The guest reads slowly: typed input is small, so waiting briefly is fine.
            pollfd p{console_.get(), POLLOUT, 0};
            ::poll(&p, 1, 100);
            continue;
        }
        if (n < 0) return system_error(kDom, errno, "writing to the guest's console");
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

namespace {

// CPU times and last CPU from a /proc stat file: the fields after the command name (which may
// hold spaces) start at the state, field 3; utime and stime are 14 and 15, processor 39.
struct StatTimes {
    uint64_t user_ns = 0, system_ns = 0;
    int32_t cpu = -1;
};
std::optional<StatTimes> read_stat(const std::string& path) {
    Result<std::string> stat = read_file(path, 4096);
    if (!stat) return std::nullopt;
    size_t close = stat->rfind(')');
    if (close == std::string::npos || close + 2 > stat->size()) return std::nullopt;
    std::istringstream in(stat->substr(close + 2));
    std::string field;
    uint64_t utime = 0, stime = 0;
    int32_t cpu = -1;
    for (int i = 3; i <= 39 && in >> field; ++i) {
        if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 39) cpu = static_cast<int32_t>(std::strtol(field.c_str(), nullptr, 10));
    }
    const long hz = sysconf(_SC_CLK_TCK);
    const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(hz > 0 ? hz : 100);
    return StatTimes{utime * tick_ns, stime * tick_ns, cpu};
}

} // namespace

Result<CpuTimes> Guest::cpu_times() const {
    auto t = read_stat(fmt::format("/proc/{}/stat", pid()));
    if (!t) return make_error(ErrorCode::InternalError, kDom, "cannot read /proc/{}/stat", pid());
    CpuTimes out;
    out.user_ns = static_cast<int64_t>(t->user_ns);
    out.system_ns = static_cast<int64_t>(t->system_ns);
    out.total_ns = t->user_ns + t->system_ns;
    return out;
}

Result<uint64_t> Guest::cpu_time_ns() const {
    Result<CpuTimes> t = cpu_times();
    if (!t) return t.error();
    return t->total_ns;
}

std::vector<VcpuInfo> Guest::vcpu_threads() const {
    std::vector<VcpuInfo> out;
    const std::string tasks = fmt::format("/proc/{}/task", pid());
    DIR* dir = opendir(tasks.c_str());
    if (!dir) return out;
    while (dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;
        const std::string task = tasks + "/" + e->d_name;
        Result<std::string> comm = read_file(task + "/comm", 64);
        if (!comm || comm->rfind("vcpu", 0) != 0) continue;
        auto t = read_stat(task + "/stat");
        if (!t) continue;
        VcpuInfo v;
        v.number = static_cast<uint32_t>(std::strtoul(comm->c_str() + 4, nullptr, 10));
        v.cpu_time_ns = t->user_ns + t->system_ns;
        v.cpu = t->cpu;
        out.push_back(v);
    }
    closedir(dir);
    std::sort(out.begin(), out.end(),
              [](const VcpuInfo& a, const VcpuInfo& b) { return a.number < b.number; });
    return out;
}

Result<uint64_t> Guest::rss_kib() const {
    Result<std::string> status = read_file(fmt::format("/proc/{}/status", pid()));
    if (!status) return status.error();
    size_t at = status->find("VmRSS:");
    if (at == std::string::npos) return uint64_t{0};
    return std::strtoull(status->c_str() + at + 6, nullptr, 10);
}

} // namespace virtd::kvm
