// virtd-pki: makes the CA, server and client certificates for TLS in one command each.
// Exit 0 on success, 1 when the work fails, 2 on usage errors.
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "common/file.h"
#include "tools/pki/layout.h"
#include "tools/pki/pki.h"

namespace {

using namespace virtd::pki;

void usage(FILE* out) {
    fmt::print(out,
               "usage: virtd-pki ca     [--cn NAME] [--org ORG] [WHERE] [--days N] [--force]\n"
               "       virtd-pki server --host NAME[,NAME|IP...] [--org ORG] [WHERE] [--days N] "
               "[--force]\n"
               "       virtd-pki client --cn NAME [--org ORG] [WHERE] [--days N] [--force]\n"
               "  WHERE: --dir DIR      every file in DIR (default: the current directory);\n"
               "                        a client uses it as kvm+tls://HOST/system?pkipath=DIR\n"
               "         --layout system  libvirt's default paths under /etc/pki\n"
               "  --days N   validity in days (default 3650, at most {})\n"
               "  --force    replace existing files\n"
               "  Keys are ECDSA P-256, written mode 0600.\n",
               kMaxDays);
}

// The parsed command line.
struct Args {
    std::string command;
    std::string dir = ".";
    bool system = false;
    bool dir_given = false;
    std::string cn;
    std::string org;
    std::vector<std::string> hosts;
    int days = 3650;
    bool force = false;
};

void split_hosts(std::string_view list, std::vector<std::string>& out) {
    while (true) {
        size_t comma = list.find(',');
        out.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) {
            return;
        }
        list.remove_prefix(comma + 1);
    }
}

// Returns an error message, or nullopt when `args` is complete.
std::optional<std::string> parse(int argc, char** argv, Args& args) {
    if (argc < 2) {
        return "missing command (ca, server or client)";
    }
    args.command = argv[1];
    for (int i = 2; i < argc; i++) {
        std::string_view a = argv[i];
        if (a == "--force") {
            args.force = true;
            continue;
        }
        if (i + 1 >= argc) {
            return fmt::format("unknown option or missing value: '{}'", a);
        }
        std::string_view v = argv[++i];
        if (a == "--dir") {
            args.dir = v;
            args.dir_given = true;
        } else if (a == "--layout") {
            if (v != "system") {
                return fmt::format(
                    "unknown layout '{}': the only layout is 'system' (use --dir DIR "
                    "for a directory)",
                    v);
            }
            args.system = true;
        } else if (a == "--cn") {
            args.cn = v;
        } else if (a == "--org") {
            args.org = v;
        } else if (a == "--host") {
            split_hosts(v, args.hosts);
        } else if (a == "--days") {
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), args.days);
            if (ec != std::errc() || end != v.data() + v.size()) {
                return fmt::format("--days wants a whole number of days, not '{}'", v);
            }
        } else {
            return fmt::format("unknown option '{}'", a);
        }
    }
    if (args.system && args.dir_given) {
        return "--dir and --layout system are alternatives: give one";
    }
    return std::nullopt;
}

std::string absolute_dir(const std::string& dir) {
    if (!dir.empty() && dir[0] == '/') {
        return dir;
    }
    std::vector<char> buf(4096);
    if (!getcwd(buf.data(), buf.size())) {
        return dir;
    }
    return dir == "." ? std::string(buf.data()) : virtd::path_join(buf.data(), dir);
}

Paths where(const Args& args, Kind kind) {
    return args.system ? system_paths(kind) : flat_paths(absolute_dir(args.dir), kind);
}

std::string where_option(const Args& args) {
    return args.system ? "--layout system" : "--dir " + absolute_dir(args.dir);
}

void print_wrote(const Paths& paths) {
    fmt::print("wrote {}\nwrote {} (private key, mode 0600)\n", paths.cert, paths.key);
}

virtd::Status run(const Args& args) {
    if (args.command == "ca") {
        CaOptions o;
        if (!args.cn.empty()) {
            o.common_name = args.cn;
        }
        o.organization = args.org;
        o.days = args.days;
        virtd::Result<Credential> ca = create_ca(o);
        if (!ca) {
            return ca.error();
        }
        Paths paths = where(args, Kind::Ca);
        if (virtd::Status s = write_credential(paths, *ca, args.force); !s) {
            return s;
        }
        print_wrote(paths);
        fmt::print("next: virtd-pki server --host $(hostname -f) {0}\n"
                   "      virtd-pki client --cn $(whoami) {0}\n"
                   "keep {1} secret: it can issue certificates every server and client trusts\n",
                   where_option(args), paths.key);
        return {};
    }
    if (args.command != "server" && args.command != "client") {
        return virtd::make_error(virtd::ErrorCode::InvalidArg, virtd::ErrorDomain::Rpc,
                                 "unknown command '{}': use ca, server or client", args.command);
    }
    virtd::Result<Credential> ca = load_ca(where(args, Kind::Ca));
    if (!ca) {
        return ca.error();
    }
    bool server = args.command == "server";
    virtd::Result<Credential> cred = server ? issue_server(*ca, {args.hosts, args.org, args.days})
                                            : issue_client(*ca, {args.cn, args.org, args.days});
    if (!cred) {
        return cred.error();
    }
    Paths paths = where(args, server ? Kind::Server : Kind::Client);
    if (virtd::Status s = write_credential(paths, *cred, args.force); !s) {
        return s;
    }
    print_wrote(paths);
    virtd::Result<std::string> dn = subject_dn(cred->cert_pem);
    if (dn) {
        fmt::print("subject (as tls_allowed_dn_list sees it): {}\n", *dn);
    }
    if (server) {
        fmt::print("next: the server listens for TLS on port 16514 with CA {}, certificate {} "
                   "and key {}\n",
                   where(args, Kind::Ca).cert, paths.cert, paths.key);
        fmt::print("      clients need the CA certificate and their own: virtd-pki client --cn "
                   "NAME {}\n",
                   where_option(args));
    } else if (args.system) {
        fmt::print("next: virsh -c kvm+tls://SERVER/system list\n");
    } else {
        fmt::print("next: virsh -c 'kvm+tls://SERVER/system?pkipath={}' list\n",
                   absolute_dir(args.dir));
    }
    return {};
}

} // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help")) {
        usage(stdout);
        return 0;
    }
    Args args;
    if (std::optional<std::string> problem = parse(argc, argv, args)) {
        fmt::print(stderr, "virtd-pki: {}\n", *problem);
        usage(stderr);
        return 2;
    }
    virtd::Status s = run(args);
    if (!s) {
        fmt::print(stderr, "virtd-pki: {}\n", s.error().message());
        return s.error().code() == virtd::ErrorCode::InvalidArg ? 2 : 1;
    }
    return 0;
}
