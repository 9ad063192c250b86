// The "virsh itself" group: help, connect, quit, exit.
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

void print_group(const GroupDef& g) {
    fmt::print(" {} (help keyword '{}'):\n", g.title, g.keyword);
    for (const CommandDef& c : commands())
        if (c.group == g.keyword) fmt::print("    {:<30} {}\n", c.name, c.summary);
}

bool cmd_help(Vsh&, const Args& args) {
    std::optional<std::string> topic = args.get("command");
    if (!topic) {
        fmt::print("Grouped commands:\n\n");
        bool first = true;
        for (const GroupDef& g : groups()) {
            bool any = false;
            for (const CommandDef& c : commands())
                any = any || c.group == g.keyword;
            if (!any) continue;
            if (!first) fmt::print("\n");
            first = false;
            print_group(g);
        }
        return true;
    }
    if (const CommandDef* c = find_command(*topic)) {
        print_command_help(*c);
        return true;
    }
    for (const GroupDef& g : groups())
        if (g.keyword == *topic) {
            print_group(g);
            return true;
        }
    fmt::print(stderr, "error: command or command group '{}' doesn't exist\n", *topic);
    return false;
}

bool cmd_connect(Vsh& vsh, const Args& args) {
    return vsh.reconnect(args.get("name").value_or(vsh.uri), args.has("readonly"));
}

bool cmd_quit(Vsh& vsh, const Args&) {
    vsh.quit_requested = true;
    return true;
}

} // namespace

std::vector<CommandDef> virsh_commands() {
    return {
        {"help",
         "virsh",
         "print help",
         "Prints global help, command specific help, or help for a\n"
         "    group of related commands",
         {{"command", OptType::String, kPositional,
           "Prints global help, command specific help, "
           "or help for a group of related commands"}},
         cmd_help,
         false},
        {"connect",
         "virsh",
         "(re)connect to hypervisor",
         "Connect to local hypervisor. This is built-in command after shell start up.",
         {{"name", OptType::String, kPositional, "hypervisor connection URI"},
          {"readonly", OptType::Bool, 0, "read-only connection"}},
         cmd_connect,
         false},
        {"quit", "virsh", "quit this interactive terminal", "", {}, cmd_quit, false},
        {"exit", "virsh", "quit this interactive terminal", "", {}, cmd_quit, false},
    };
}

} // namespace virtd::vsh
