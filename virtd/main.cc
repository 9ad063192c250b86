// virtd: the management daemon. This is its start-up: options, directories, sockets, signals,
// then the event loop until SIGTERM or SIGINT.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <grp.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/event_loop.h"
#include "common/file.h"
#include "common/log.h"
#include "drivers/kvm/kvm_domain_driver.h"
#include "drivers/mock/mock_domain_driver.h"
#include "drivers/mock/mock_network_driver.h"
#include "drivers/mock/mock_storage_driver.h"
#include "rpc/sasl.h"
#include "rpc/server.h"
#include "rpc/tls.h"
#include "virtd/access/policy.h"
#include "virtd/config.h"
#include "virtd/remote_procedures.h"

namespace {

struct Options {
    std::string state_dir; // empty: system mode
    std::string pid_file;
    std::string config;  // empty: STATE/virtd.conf or /etc/virtd/virtd.conf when present
    bool listen = false; // --listen: also listen on TCP (listen_tcp)
};

// An absolute path: the kvm driver's records name files by path, and must still find them when
// a restarted daemon runs from another working directory.
std::string absolute(const std::string& path) {
    if (path.empty() || path.front() == '/') return path;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return path;
    return virtd::path_join(cwd, path);
}

// A helper program: from the environment variable `env`, else where the build put it.
std::string helper_binary(const char* env, const char* built) {
    const char* v = std::getenv(env);
    return v && *v ? std::string(v) : std::string(built);
}

void usage(FILE* out) {
    fmt::print(out,
               "usage: virtd [--state DIR] [--config FILE] [--listen] [--pid-file FILE]\n"
               "             [--foreground]\n"
               "  --state DIR      keep everything (definitions, sockets) under DIR\n"
               "  --config FILE    settings in libvirtd.conf syntax (default: DIR/virtd.conf or\n"
               "                   /etc/virtd/virtd.conf, when present)\n"
               "  --listen         also accept TCP connections (listen_addr:tcp_port)\n"
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
        } else if (a == "--config") {
            if (!value(&o->config)) return false;
        } else if (a == "--listen" || a == "-l") {
            o->listen = true;
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

// What the configuration says about logging takes effect (at start and on SIGHUP).
virtd::Status apply_logging(const virtd::DaemonConfig& cfg) {
    using namespace virtd;
    log::set_level(static_cast<log::Level>(cfg.log_level));
    if (!cfg.log_filters.empty())
        if (Status s = log::set_filters(cfg.log_filters); !s) return s;
    if (!cfg.log_outputs.empty())
        if (Status s = log::set_output(cfg.log_outputs); !s) return s;
    return {};
}

virtd::rpc::ServerLimits server_limits(const virtd::DaemonConfig& cfg) {
    virtd::rpc::ServerLimits limits;
    limits.max_clients = cfg.max_clients;
    limits.workers = cfg.max_workers;
    limits.max_calls_per_client = cfg.max_client_requests;
    // keepalive_interval -1 turns pinging off: an interval of a day never comes due.
    limits.keepalive_interval =
        std::chrono::seconds(cfg.keepalive_interval > 0 ? cfg.keepalive_interval : 86400);
    limits.keepalive_count = cfg.keepalive_count;
    limits.max_anonymous_clients = cfg.max_anonymous_clients;
    return limits;
}

// The TLS listener's certificates, checked first: a wrong file stops the daemon with a message
// that names it and the fix.
virtd::Result<std::shared_ptr<virtd::rpc::TlsCredentials>>
load_tls(const virtd::DaemonConfig& cfg) {
    virtd::rpc::TlsServerOptions o;
    o.files = {cfg.ca_file, cfg.cert_file, cfg.key_file, cfg.crl_file};
    o.priority = cfg.tls_priority;
    o.verify_client = !cfg.tls_no_verify_certificate;
    o.allowed_dn = cfg.tls_allowed_dn_list;
    o.check_files = !cfg.tls_no_sanity_certificate;
    return virtd::rpc::TlsCredentials::load_server(o);
}

// The access rules file, if one is configured (nullptr: none, so authenticated remote clients
// may do everything, as with libvirt's default access driver).
virtd::Result<std::shared_ptr<const virtd::acl::AccessPolicy>>
load_access_policy(const virtd::DaemonConfig& cfg) {
    if (cfg.access_rules_file.empty()) return std::shared_ptr<const virtd::acl::AccessPolicy>();
    virtd::Result<virtd::acl::AccessPolicy> p =
        virtd::acl::AccessPolicy::load(cfg.access_rules_file);
    if (!p) return p.error();
    return std::make_shared<const virtd::acl::AccessPolicy>(std::move(*p));
}

virtd::rpc::AuthOptions auth_options(const virtd::DaemonConfig& cfg) {
    return {cfg.sasl_allowed_username_list};
}

virtd::rpc::AuthMethod auth_method(const std::string& name) {
    return name == "sasl" ? virtd::rpc::AuthMethod::Sasl : virtd::rpc::AuthMethod::None;
}

// unix_sock_group: the group (name or number) that owns the sockets, so its members may connect.
virtd::Status set_socket_group(const std::string& path, const std::string& group) {
    using namespace virtd;
    gid_t gid = 0;
    if (group.find_first_not_of("0123456789") == std::string::npos) {
        gid = static_cast<gid_t>(std::stoul(group));
    } else {
        std::vector<char> buf(16384);
        struct group entry {};
        struct group* found = nullptr;
        if (getgrnam_r(group.c_str(), &entry, buf.data(), buf.size(), &found) != 0 || !found)
            return make_error(ErrorCode::ConfSyntax, ErrorDomain::Conf,
                              "unix_sock_group: no group named '{}'", group);
        gid = found->gr_gid;
    }
    if (chown(path.c_str(), static_cast<uid_t>(-1), gid) < 0)
        return system_error(ErrorDomain::Rpc, errno,
                            fmt::format("giving '{}' to group '{}'", path, group));
    return {};
}

// SIGHUP: reads the configuration file again and applies what can change while running
// (logging, max_clients, keepalive); a file that no longer loads changes nothing.
void reload(const std::string& config_path, virtd::rpc::RpcServer& server,
            virtd::RemoteProcedures& procedures) {
    using namespace virtd;
    if (config_path.empty()) {
        fmt::print(stderr, "virtd: SIGHUP: no configuration file to reload\n");
        return;
    }
    Result<DaemonConfig> cfg = DaemonConfig::load(config_path);
    Status applied = cfg ? apply_logging(*cfg) : Status(cfg.error());
    if (!applied) {
        fmt::print(stderr, "virtd: reload failed, keeping the running configuration: {}\n",
                   applied.error().text());
        return;
    }
    server.set_limits(server_limits(*cfg));
    server.set_auth_options(auth_options(*cfg));
    if (Result<std::shared_ptr<const acl::AccessPolicy>> p = load_access_policy(*cfg); p)
        procedures.set_access_policy(*p);
    else
        fmt::print(stderr, "virtd: reload: keeping the access rules in use: {}\n",
                   p.error().message());
    if (cfg->listen_tls) {
        // New connections get the new certificates; a set that fails its check changes nothing.
        Result<std::shared_ptr<rpc::TlsCredentials>> tls = load_tls(*cfg);
        if (tls)
            server.set_tls_credentials(*tls);
        else
            fmt::print(stderr, "virtd: reload: keeping the TLS certificates in use: {}\n",
                       tls.error().message());
    }
    fmt::print(stderr, "virtd: reloaded configuration from {}\n", config_path);
}

} // namespace

int main(int argc, char** argv) {
    using namespace virtd;
    Options opt;
    if (!parse_args(argc, argv, &opt)) {
        usage(stderr);
        return 2;
    }
    std::string config_path = opt.config;
    if (config_path.empty()) {
        std::string guess = opt.state_dir.empty() ? "/etc/virtd/virtd.conf"
                                                  : path_join(opt.state_dir, "virtd.conf");
        if (access(guess.c_str(), F_OK) == 0) config_path = guess;
    }
    DaemonConfig cfg;
    if (!config_path.empty()) {
        Result<DaemonConfig> loaded = DaemonConfig::load(config_path);
        if (!loaded) return fail(loaded.error());
        cfg = *loaded;
    }
    if (Status s = apply_logging(cfg); !s) return fail(s.error());

    std::string run_dir = opt.state_dir.empty() ? "/run/virtd" : path_join(opt.state_dir, "run");
    std::string sock_dir = cfg.unix_sock_dir.empty() ? run_dir : cfg.unix_sock_dir;
    if (Status s = make_dirs(sock_dir, 0755); !s) return fail(s.error());

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
    std::string state = opt.state_dir.empty() ? "/var/lib/virtd" : absolute(opt.state_dir);
    MockStorageDriver mock_storage(opt.state_dir);
    MockNetworkDriver mock_networks(opt.state_dir);
    kvm::KvmDomainDriver kvm_domains({path_join(state, "kvm"), path_join(absolute(run_dir), "kvm"),
                                      helper_binary("VIRTD_VMM", VIRTD_BUILD_VMM),
                                      helper_binary("VIRTD_SWITCH", VIRTD_BUILD_SWITCH),
                                      &mock_networks});
    // The server calls the procedures, which send events through the server: the dispatcher
    // learns the server once both exist.
    EventDispatcher events(nullptr);
    std::vector<ConnectionDrivers> drivers;
    drivers.push_back({{"mock:///default"}, "Mock", &mock_domains, &mock_storage, &mock_networks});
    // Storage and networks of kvm:///system are definitions only, for now: the mock drivers.
    drivers.push_back(
        {{"kvm:///system", "qemu:///system"}, "KVM", &kvm_domains, &mock_storage, &mock_networks});
    RemoteProcedures procedures(std::move(drivers), events);
    rpc::RpcServer server(loop, procedures, server_limits(cfg));
    events.set_server(&server);
    procedures.set_server(&server);
    mock_domains.set_event_sink(&events);
    kvm_domains.set_event_sink(&events);
    if (cfg.guests_on_shutdown != "keep" && cfg.guests_on_shutdown != "managedsave") {
        fmt::print(stderr,
                   "virtd: guests_on_shutdown must be \"keep\" or \"managedsave\", not "
                   "\"{}\"\n",
                   cfg.guests_on_shutdown);
        return 1;
    }
    const bool save_guests = cfg.guests_on_shutdown == "managedsave";
    kvm_domains.start_up(save_guests);
    Result<std::shared_ptr<const acl::AccessPolicy>> policy = load_access_policy(cfg);
    if (!policy) return fail(policy.error());
    procedures.set_access_policy(*policy);
    server.set_auth_options(auth_options(cfg));
    for (const std::string* a :
         {&cfg.auth_unix_rw, &cfg.auth_unix_ro, &cfg.auth_tcp, &cfg.auth_tls})
        if (*a == "sasl") {
            if (Status s = rpc::sasl_server_setup({"virtd", cfg.sasl_config_dir}); !s)
                return fail(s.error());
            break;
        }

    std::string rw = path_join(sock_dir, "virtd-sock");
    std::string ro = path_join(sock_dir, "virtd-sock-ro");
    if (Status s =
            server.listen_unix(rw, cfg.unix_sock_rw_perms, false, auth_method(cfg.auth_unix_rw));
        !s)
        return fail(s.error());
    if (Status s =
            server.listen_unix(ro, cfg.unix_sock_ro_perms, true, auth_method(cfg.auth_unix_ro));
        !s)
        return fail(s.error());
    if (!cfg.unix_sock_group.empty())
        for (const std::string& path : {rw, ro})
            if (Status s = set_socket_group(path, cfg.unix_sock_group); !s) return fail(s.error());
    if (opt.listen || cfg.listen_tcp) {
        Result<uint16_t> port =
            server.listen_tcp(cfg.listen_addr, cfg.tcp_port, auth_method(cfg.auth_tcp));
        if (!port) return fail(port.error());
        fmt::print(stderr, "virtd: listening on tcp {}:{}\n", cfg.listen_addr, *port);
    }
    if (cfg.listen_tls) {
        Result<std::shared_ptr<rpc::TlsCredentials>> tls = load_tls(cfg);
        if (!tls) {
            fmt::print(stderr, "virtd: cannot listen for TLS: {}\n", tls.error().message());
            return 1;
        }
        server.set_tls_credentials(*tls);
        Result<uint16_t> port =
            server.listen_tls(cfg.listen_addr, cfg.tls_port, auth_method(cfg.auth_tls));
        if (!port) return fail(port.error());
        fmt::print(stderr, "virtd: listening on tls {}:{}\n", cfg.listen_addr, *port);
    }

    (void)loop.add_fd(sigfd.get(), EPOLLIN, [&](uint32_t) {
        signalfd_siginfo si{};
        while (read(sigfd.get(), &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGHUP) {
                reload(config_path, server, procedures);
                continue;
            }
            log::info("virtd", "signal {}: shutting down", si.ssi_signo);
            loop.stop();
        }
    });
    if (!opt.pid_file.empty()) {
        if (Status s = write_run_file(opt.pid_file, fmt::format("{}\n", getpid()), 0644); !s)
            return fail(s.error());
    }
    log::info("virtd", "listening on {} and {}", rw, ro);
    fmt::print(stderr, "virtd: listening on {} (read-only: {})\n", rw, ro);
    loop.run();
    if (save_guests) {
        int failed = kvm_domains.save_all();
        if (failed)
            fmt::print(stderr, "virtd: {} guests could not be saved (see the log)\n", failed);
    }
    if (!opt.pid_file.empty()) unlink(opt.pid_file.c_str());
    return 0;
}
