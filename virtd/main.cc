// virtd: the management daemon. This is its start-up: options, directories, sockets, signals,
// then the event loop until SIGTERM or SIGINT.
#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/event_loop.h"
#include "common/file.h"
#include "common/log.h"
#include "drivers/mock/mock_domain_driver.h"
#include "rpc/server.h"
#include "virtd/remote_procedures.h"

namespace {

struct Options {
    std::string state_dir; // empty: system mode
    std::string pid_file;
};

void usage(FILE* out) {
    fmt::print(out, "usage: virtd [--state DIR] [--pid-file FILE] [--foreground]\n"
                    "  --state DIR      keep everything (definitions, sockets) under DIR\n"
                    "  --pid-file FILE  write the daemon's pid to FILE\n"
                    "  --foreground     stay attached to the terminal (the default for now)\n");
}

bool parse_args(int argc, char** argv, Options* o) {
    for (int i = 1; i < argc; i++) {
        std::string_view a = argv[i];
        auto value = [&](std::string* out) {
            if (i + 1 >= argc) return false;
            *out = argv[++i];
            return true;
        };
        if (a == "--state") {
            if (!value(&o->state_dir)) return false;
        } else if (a == "--pid-file") {
            if (!value(&o->pid_file)) return false;
        } else if (a == "--foreground" || a == "-f") {
            continue;
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            std::exit(0);
        } else {
            fmt::print(stderr, "virtd: unknown option '{}'\n", a);
            return false;
        }
    }
    return true;
}

int fail(const virtd::Error& e) {
    fmt::print(stderr, "virtd: {}\n", e.text());
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
    std::string run_dir = opt.state_dir.empty() ? "/run/virtd" : path_join(opt.state_dir, "run");
    if (Status s = make_dirs(run_dir, 0755); !s) return fail(s.error());

    // Signals arrive through the event loop, not as asynchronous handlers.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

    EventLoop loop;
    MockDomainDriver mock_domains(opt.state_dir);
    // The server calls the procedures, which send events through the server: the dispatcher
    // learns the server once both exist.
    EventDispatcher events(nullptr);
    RemoteProcedures procedures(mock_domains, events);
    rpc::RpcServer server(loop, procedures);
    events.set_server(&server);
    procedures.set_server(&server);
    mock_domains.set_event_sink(&events);

    std::string rw = path_join(run_dir, "virtd-sock");
    std::string ro = path_join(run_dir, "virtd-sock-ro");
    if (Status s = server.listen_unix(rw, 0600, false); !s) return fail(s.error());
    if (Status s = server.listen_unix(ro, 0666, true); !s) return fail(s.error());

    (void)loop.add_fd(sigfd.get(), EPOLLIN, [&](uint32_t) {
        signalfd_siginfo si{};
        while (read(sigfd.get(), &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGHUP) {
                log::info("virtd", "SIGHUP: nothing to reload yet");
                continue;
            }
            log::info("virtd", "signal {}: shutting down", si.ssi_signo);
            loop.stop();
        }
    });
    if (!opt.pid_file.empty()) {
        if (Status s = write_file_atomic(opt.pid_file, fmt::format("{}\n", getpid()), 0644); !s)
            return fail(s.error());
    }
    log::info("virtd", "listening on {} and {}", rw, ro);
    fmt::print(stderr, "virtd: listening on {} (read-only: {})\n", rw, ro);
    loop.run();
    if (!opt.pid_file.empty()) unlink(opt.pid_file.c_str());
    return 0;
}
