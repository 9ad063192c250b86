#include "drivers/kvm/switches.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/file.h"

namespace virtd::kvm {
namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;

// Whether the pid in `pid_file` is a live virtd-switch.
bool switch_alive(const std::string& pid_file) {
    Result<std::string> text = read_file(pid_file, 64);
    if (!text) return false;
    long pid = std::strtol(text->c_str(), nullptr, 10);
    if (pid <= 1 || ::kill(static_cast<pid_t>(pid), 0) != 0) return false;
    Result<std::string> comm = read_file(fmt::format("/proc/{}/comm", pid), 64);
    return comm && comm->rfind("virtd-switch", 0) == 0;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

} // namespace

Status Switches::ensure(const std::string& name) {
    if (name.empty() || name.size() > 64 || name.find('/') != std::string::npos || name[0] == '.')
        return make_error(ErrorCode::InvalidArg, kDom, "network name '{}' cannot name a switch",
                          name);
    const std::string socket = path_join(dir_, name + ".sock");
    const std::string pid_file = path_join(dir_, name + ".pid");
    std::lock_guard lock(mu_);
    if (switch_alive(pid_file) && exists(socket)) return {};
    if (Status s = make_dirs(dir_, 0755); !s) return s;
    ::unlink(pid_file.c_str());

    const std::string log = path_join(dir_, name + ".log");
    UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    UniqueFd log_fd(::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!null_fd || !log_fd)
        return system_error(kDom, errno, fmt::format("opening '{}' for the switch", log));
    std::vector<std::string> args = {binary_, "--socket", socket, "--pid-file", pid_file};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // Twice forked so the switch is nobody's child here: it outlives the daemon, and its end
    // leaves no zombie behind.
    pid_t child = ::fork();
    if (child < 0) return system_error(kDom, errno, "forking for the switch");
    if (child == 0) {
        ::setsid();
        if (::fork() != 0) _exit(0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        if (dup2(null_fd.get(), 0) < 0 || dup2(log_fd.get(), 1) < 0 || dup2(log_fd.get(), 2) < 0)
            _exit(127);
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    for (int i = 0; i < 200; ++i) {
        if (exists(socket) && switch_alive(pid_file)) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return make_error(ErrorCode::OperationFailed, kDom,
                      "the switch of network '{}' ({}) did not start; see '{}'", name, binary_,
                      log);
}

} // namespace virtd::kvm
