// vsh: a virsh-compatible command line client for virtd. Runs one command given on the command
// line, or an interactive shell when none is.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tools/vsh/shell.h"
#include "tools/vsh/vsh.h"

namespace {

void usage() {
    fmt::print("\n"
               "vsh [options]... [<command_string>]\n"
               "vsh [options]... <command> [args...]\n"
               "\n"
               "  options:\n"
               "    -c | --connect=URI      hypervisor connection URI\n"
               "    -h | --help             this help\n"
               "    -q | --quiet            quiet mode\n"
               "    -r | --readonly         connect readonly\n"
               "    -v | --version          program version\n"
               "\n"
               "  commands (non interactive mode):\n\n");
    for (const virtd::vsh::CommandDef& c : virtd::vsh::commands())
        fmt::print("    {:<30} {}\n", c.name, c.summary);
    fmt::print("\n  (specify help <command> for details about the command)\n\n");
}

int run(int argc, char** argv) {
    using namespace virtd::vsh;
    Vsh vsh;
    int i = 1;
    for (; i < argc; i++) {
        std::string_view a = argv[i];
        if (a == "-c" || a == "--connect") {
            if (i + 1 >= argc) {
                fmt::print(stderr, "error: option '{}' requires an argument\n", a);
                return 1;
            }
            vsh.uri = argv[++i];
        } else if (a.starts_with("--connect=")) {
            vsh.uri = a.substr(10);
        } else if (a == "-r" || a == "--readonly") {
            vsh.readonly = true;
        } else if (a == "-q" || a == "--quiet") {
            vsh.quiet = true;
        } else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (a == "-v" || a == "--version") {
            fmt::print("{}\n", VIRTD_VERSION);
            return 0;
        } else if (a.starts_with("-") && a != "-") {
            fmt::print(stderr, "error: unsupported option '{}'. See --help.\n", a);
            return 1;
        } else {
            break;
        }
    }
    bool ok = true;
    if (i >= argc) {
        ok = run_shell(vsh);
    } else if (i + 1 == argc) {
        // One argument may hold several commands ("list; uri"), as with virsh.
        auto cmds = split_line(argv[i]);
        if (!cmds) {
            vsh.error_line(cmds.error().message());
            return 1;
        }
        for (const auto& words : *cmds)
            if (!(ok = vsh.run(words))) break;
    } else {
        ok = vsh.run(std::vector<std::string>(argv + i, argv + argc));
    }
    vsh.disconnect();
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 1;
    }
}
