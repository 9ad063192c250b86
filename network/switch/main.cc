// virtd-switch: the userspace VLAN switch as its own process, serving one socket on one thread
// until SIGTERM or SIGINT, then removing the socket (and the pid file).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/event_loop.h"
#include "common/file.h"
#include "common/log.h"
#include "network/switch/switch_server.h"

namespace {

struct Options {
    std::string socket;
    std::string pid_file;
    bool verbose = false;
};

void usage(FILE* out) {
    fmt::print(out, "usage: virtd-switch --socket PATH [--pid-file FILE] [--verbose]\n"
                    "  --socket PATH    listen for ports on this unix SOCK_SEQPACKET socket\n"
                    "  --pid-file FILE  write the switch's pid to FILE (removed at exit)\n"
                    "  --verbose        log every port and MAC move (debug level)\n");
}

bool parse_args(int argc, char** argv, Options* o) {
    for (int i = 1; i < argc; i++) {
        std::string_view a = argv[i];
        auto value = [&](std::string* out) {
            if (i + 1 >= argc) return false;
            *out = argv[++i];
            return true;
        };
        if (a == "--socket") {
            if (!value(&o->socket)) return false;
        } else if (a == "--pid-file") {
            if (!value(&o->pid_file)) return false;
        } else if (a == "--verbose" || a == "-v") {
            o->verbose = true;
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            std::exit(0);
        } else {
            fmt::print(stderr, "virtd-switch: unknown option '{}'\n", a);
            return false;
        }
    }
    return !o->socket.empty();
}

int fail(const virtd::Error& e) {
    fmt::print(stderr, "virtd-switch: {}\n", e.text());
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    using namespace virtd;
    Options opt;
    if (!parse_args(argc, argv, &opt)) {
        usage(stderr);
        return 2;
    }
    log::set_level(opt.verbose ? log::Level::Debug : log::Level::Info);

    // Signals arrive through the event loop, not as asynchronous handlers.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd) return fail(system_error(ErrorDomain::Network, errno, "signalfd"));

    EventLoop loop;
    network::SwitchServer server(loop);
    if (Status s = server.listen(opt.socket); !s) return fail(s.error());
    if (Status s = loop.add_fd(sigfd.get(), EPOLLIN,
                               [&](uint32_t) {
                                   signalfd_siginfo si{};
                                   while (read(sigfd.get(), &si, sizeof si) == sizeof si) {
                                       log::info("network.switch", "signal {}: stopping",
                                                 si.ssi_signo);
                                       loop.stop();
                                   }
                               });
        !s)
        return fail(s.error());
    if (!opt.pid_file.empty()) {
        if (Status s = write_run_file(opt.pid_file, fmt::format("{}\n", getpid()), 0644); !s)
            return fail(s.error());
    }
    loop.run();
    server.shutdown();
    if (!opt.pid_file.empty()) unlink(opt.pid_file.c_str());
    return 0;
}
