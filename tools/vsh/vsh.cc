#include "tools/vsh/vsh.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tools/vsh/credentials.h"

namespace virtd::vsh {
namespace {

std::string_view type_word(OptType t) {
    return t == OptType::Number ? "<number>" : "<string>";
}

} // namespace

const std::vector<GroupDef>& groups() {
    static const std::vector<GroupDef> kGroups = {
        {"domain", "Domain Management"}, {"monitor", "Domain Monitoring"},
        {"events", "Domain Events"},     {"host", "Host and Hypervisor"},
        {"network", "Networking"},       {"snapshot", "Snapshot"},
        {"pool", "Storage Pool"},        {"volume", "Storage Volume"},
        {"virsh", "Virsh itself"},
    };
    return kGroups;
}

// One explicit list of every group's table (no static registration).
const std::vector<CommandDef>& commands() {
    static const std::vector<CommandDef> kAll = [] {
        std::vector<CommandDef> all;
        for (auto part :
             {virsh_commands, host_commands, domain_commands, resource_commands, save_commands,
              console_commands, monitor_commands, event_commands, pool_commands, volume_commands,
              network_commands, snapshot_commands, stats_commands}) {
            std::vector<CommandDef> more = part();
            all.insert(all.end(), more.begin(), more.end());
        }
        return all;
    }();
    return kAll;
}

const CommandDef* find_command(std::string_view name) {
    for (const CommandDef& c : commands())
        if (c.name == name) return &c;
    return nullptr;
}

std::optional<std::string> Args::get(std::string_view name) const {
    auto it = values_.find(std::string(name));
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

Result<Args> parse_args(const CommandDef& cmd, const std::vector<std::string>& words) {
    auto err = [](std::string text) {
        return Error(ErrorCode::InvalidArg, ErrorDomain::None, std::move(text));
    };
    Args args;
    bool options_done = false;
    auto find_opt = [&](std::string_view name) -> const OptDef* {
        for (const OptDef& o : cmd.opts)
            if (o.name == name) return &o;
        return nullptr;
    };
    for (size_t i = 0; i < words.size(); i++) {
        const std::string& w = words[i];
        if (!options_done && w == "--") {
            options_done = true;
            continue;
        }
        if (!options_done && w.size() > 2 && w.starts_with("--")) {
            std::string name = w.substr(2);
            std::optional<std::string> value;
            if (size_t eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            }
            const OptDef* o = find_opt(name);
            if (!o)
                return err(fmt::format("command '{}' doesn't support option --{}", cmd.name, name));
            if (args.has(name)) return err(fmt::format("option --{} already seen", name));
            if (o->type == OptType::Bool) {
                if (value) return err(fmt::format("invalid '=' after option --{}", name));
                args.set(name, "");
                continue;
            }
            if (!value) {
                if (i + 1 >= words.size())
                    return err(fmt::format("expected syntax: --{} {}", name, type_word(o->type)));
                value = words[++i];
            }
            args.set(name, *value);
            continue;
        }
        const OptDef* slot = nullptr;
        for (const OptDef& o : cmd.opts)
            if ((o.flags & kPositional) && !args.has(o.name)) {
                slot = &o;
                break;
            }
        if (!slot) return err(fmt::format("unexpected data '{}'", w));
        args.set(slot->name, w);
    }
    for (const OptDef& o : cmd.opts) {
        if (!(o.flags & kRequired) || args.has(o.name)) continue;
        if (o.flags & kPositional)
            return err(fmt::format("command '{}' requires <{}> option", cmd.name, o.name));
        return err(fmt::format("command '{}' requires --{} option", cmd.name, o.name));
    }
    return args;
}

std::string synopsis(const CommandDef& cmd) {
    std::string out(cmd.name);
    for (const OptDef& o : cmd.opts) {
        out += ' ';
        bool required = o.flags & kRequired;
        if (o.type == OptType::Bool)
            out += fmt::format("[--{}]", o.name);
        else if (required && (o.flags & kPositional))
            out += fmt::format("<{}>", o.name);
        else if (required)
            out += fmt::format("--{} {}", o.name, type_word(o.type));
        else
            out += fmt::format("[--{} {}]", o.name, type_word(o.type));
    }
    return out;
}

void print_command_help(const CommandDef& cmd) {
    fmt::print("  NAME\n    {} - {}\n\n  SYNOPSIS\n    {}\n\n", cmd.name, cmd.summary,
               synopsis(cmd));
    if (!cmd.description.empty()) fmt::print("  DESCRIPTION\n    {}\n\n", cmd.description);
    if (cmd.opts.empty()) return;
    fmt::print("  OPTIONS\n");
    for (const OptDef& o : cmd.opts) {
        std::string left;
        if (o.type == OptType::Bool)
            left = fmt::format("--{}", o.name);
        else if (o.flags & kPositional)
            left = fmt::format("[--{}] {}", o.name, type_word(o.type));
        else
            left = fmt::format("--{} {}", o.name, type_word(o.type));
        fmt::print("    {:<15}  {}\n", left, o.help);
    }
    fmt::print("\n");
}

std::string Vsh::effective_uri() const {
    if (!uri.empty()) return uri;
    for (const char* var : {"VIRTD_DEFAULT_URI", "LIBVIRT_DEFAULT_URI"})
        if (const char* v = std::getenv(var); v && *v) return v;
    return "mock:///default";
}

client::Connection* Vsh::conn() {
    if (conn_) return conn_.get();
    Result<std::unique_ptr<client::Connection>> c = client::Connection::open(
        effective_uri(), readonly ? client::kConnectReadOnly : 0, ask_credential);
    if (!c) {
        fail(c.error(), "failed to connect to the hypervisor");
        return nullptr;
    }
    conn_ = std::move(*c);
    return conn_.get();
}

bool Vsh::reconnect(const std::string& new_uri, bool read_only) {
    disconnect();
    uri = new_uri;
    readonly = read_only;
    return conn() != nullptr;
}

void Vsh::disconnect() {
    if (conn_) (void)conn_->close();
    conn_.reset();
}

void Vsh::error_line(std::string_view text) {
    std::fflush(stdout); // keep stdout and stderr in order on a terminal
    fmt::print(stderr, "error: {}\n", text);
}

bool Vsh::run(const std::vector<std::string>& words) {
    if (words.empty()) return true;
    const CommandDef* cmd = find_command(words[0]);
    if (!cmd) {
        error("unknown command: '{}'", words[0]);
        return false;
    }
    std::vector<std::string> rest(words.begin() + 1, words.end());
    for (const std::string& w : rest) {
        if (w == "--") break;
        if (w == "--help") {
            print_command_help(*cmd);
            return true;
        }
    }
    Result<Args> args = parse_args(*cmd, rest);
    if (!args) {
        error_line(args.error().message());
        return false;
    }
    if (cmd->needs_connection && !conn()) return false;
    bool ok = cmd->run(*this, *args);
    if (!quiet) fmt::print("\n");
    std::fflush(stdout);
    return ok;
}

std::optional<client::Domain> Vsh::domain(const Args& args, std::string_view opt, bool allow_id) {
    std::string text = args.str(opt);
    Result<client::Domain> d = conn()->find_domain(text, allow_id);
    if (!d) {
        error("failed to get domain '{}'", text);
        return std::nullopt;
    }
    return *d;
}

std::optional<client::StoragePool> Vsh::pool(const Args& args, std::string_view opt) {
    std::string text = args.str(opt);
    Result<client::StoragePool> p = conn()->find_pool(text);
    if (!p) {
        fail(p.error(), "failed to get pool '{}'", text);
        return std::nullopt;
    }
    return *p;
}

std::optional<client::StorageVol> Vsh::volume(const Args& args, std::string_view opt) {
    std::string text = args.str(opt);
    std::optional<Error> last;
    if (args.has("pool")) {
        std::optional<client::StoragePool> p = pool(args);
        if (!p) return std::nullopt;
        Result<client::StorageVol> v = p->volume_by_name(text);
        if (v) return *v;
        last = v.error();
    }
    Result<client::StorageVol> v = conn()->volume_by_key(text);
    if (v) return *v;
    v = conn()->volume_by_path(text);
    if (v) return *v;
    if (args.has("pool"))
        fail(v.error(), "failed to get vol '{}'", text);
    else
        fail(v.error(), "failed to get vol '{}', specifying --pool might help", text);
    return std::nullopt;
}

std::optional<client::Network> Vsh::network(const Args& args, std::string_view opt) {
    std::string text = args.str(opt);
    Result<client::Network> n = conn()->find_network(text);
    if (!n) {
        fail(n.error(), "failed to get network '{}'", text);
        return std::nullopt;
    }
    return *n;
}

Result<uint64_t> parse_scaled(std::string_view text, uint64_t default_scale) {
    auto bad = [&](const std::string& why) {
        return Error(ErrorCode::InvalidArg, ErrorDomain::None, "invalid argument: " + why);
    };
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        digits++;
    if (digits == 0) return bad(fmt::format("invalid number '{}'", text));
    uint64_t value = 0;
    for (size_t i = 0; i < digits; i++) {
        if (value > (UINT64_MAX - 9) / 10) return bad("value too large");
        value = value * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    std::string_view suffix = text.substr(digits);
    uint64_t scale = default_scale;
    if (!suffix.empty()) {
        static constexpr std::string_view kUnits = "bkmgtpe";
        char u = static_cast<char>(std::tolower(static_cast<unsigned char>(suffix[0])));
        size_t power = kUnits.find(u);
        std::string_view rest = suffix.substr(1);
        uint64_t base = 1024;
        if (power == std::string_view::npos || (power == 0 && !rest.empty()))
            return bad(fmt::format("unknown suffix '{}'", suffix));
        if (rest == "B" || rest == "b")
            base = 1000;
        else if (!rest.empty() && rest != "iB" && rest != "ib")
            return bad(fmt::format("unknown suffix '{}'", suffix));
        scale = 1;
        for (size_t i = 0; i < power; i++)
            scale *= base;
    }
    if (scale && value > UINT64_MAX / scale) return bad("value too large");
    return value * scale;
}

std::string pretty_size(uint64_t bytes) {
    static constexpr std::string_view kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes);
    size_t unit = 0;
    while (unit + 1 < std::size(kUnits) && v >= 1024) {
        v /= 1024;
        unit++;
    }
    return fmt::format("{:.2f} {}", v, kUnits[unit]);
}

Result<std::string> read_file_for(std::string_view path) {
    std::ifstream in{std::string(path), std::ios::binary};
    if (!in)
        return make_error(ErrorCode::SystemError, ErrorDomain::None, "Failed to open file '{}': {}",
                          path, std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string_view state_name(client::DomainState s) {
    switch (s) {
    case client::DomainState::NoState:
        return "no state";
    case client::DomainState::Running:
        return "running";
    case client::DomainState::Blocked:
        return "idle";
    case client::DomainState::Paused:
        return "paused";
    case client::DomainState::Shutdown:
        return "in shutdown";
    case client::DomainState::Shutoff:
        return "shut off";
    case client::DomainState::Crashed:
        return "crashed";
    case client::DomainState::PmSuspended:
        return "pmsuspended";
    }
    return "no state";
}

std::string_view state_reason_name(client::DomainState s, int reason) {
    static constexpr std::string_view kRunning[] = {
        "unknown",       "booted",   "migrated",           "restored",
        "from snapshot", "unpaused", "migration canceled", "save canceled",
        "event wakeup",  "crashed",  "post-copy",          "post-copy failed"};
    static constexpr std::string_view kPaused[] = {
        "unknown",   "user",        "migrating",     "saving",           "dumping",
        "I/O error", "watchdog",    "from snapshot", "shutting down",    "creating snapshot",
        "crashed",   "starting up", "post-copy",     "post-copy failed", "api error"};
    static constexpr std::string_view kShutoff[] = {"unknown", "shutdown",      "destroyed",
                                                    "crashed", "migrated",      "saved",
                                                    "failed",  "from snapshot", "daemon"};
    static constexpr std::string_view kShutdown[] = {"unknown", "user"};
    static constexpr std::string_view kCrashed[] = {"unknown", "panicked"};
    auto pick = [&](auto& table) -> std::string_view {
        if (reason < 0 || static_cast<size_t>(reason) >= std::size(table)) return "unknown";
        return table[reason];
    };
    switch (s) {
    case client::DomainState::Running:
        return pick(kRunning);
    case client::DomainState::Paused:
        return pick(kPaused);
    case client::DomainState::Shutoff:
        return pick(kShutoff);
    case client::DomainState::Shutdown:
        return pick(kShutdown);
    case client::DomainState::Crashed:
        return pick(kCrashed);
    default:
        return "unknown";
    }
}

} // namespace virtd::vsh
