// vsh: the virsh-like command line tool. This header holds what every command group shares:
// the command table types (each option described once, for parsing, `--help` and completion),
// the parsed arguments, and Vsh, the session (connection, settings, output and errors in virsh's
// wording).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "client/connection.h"
#include "common/error.h"

namespace virtd::vsh {

enum class OptType { Bool, String, Number };

// Option flags.
inline constexpr unsigned kRequired = 1;   // the command fails without it
inline constexpr unsigned kPositional = 2; // may be given without its --name, in table order

// What the interactive shell offers when completing an option's value.
enum class Complete { None, Domain, Pool, Volume, Network, Snapshot, File };

struct OptDef {
    std::string_view name;
    OptType type = OptType::Bool;
    unsigned flags = 0;
    std::string_view help;
    Complete complete = Complete::None;
};

class Vsh;

// The options a command line gave, by name.
class Args {
public:
    bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
    // The value of a String or Number option, if given.
    std::optional<std::string> get(std::string_view name) const;
    // The value, or "" when absent (for required options the parser already checked).
    std::string str(std::string_view name) const { return get(name).value_or(""); }
    void set(std::string_view name, std::string value) {
        values_[std::string(name)] = std::move(value);
    }

private:
    std::map<std::string, std::string> values_;
};

// A command's body: true on success (the exit status follows it).
using Handler = bool (*)(Vsh&, const Args&);

struct CommandDef {
    std::string_view name;
    std::string_view group; // a keyword of kGroups
    std::string_view summary;
    std::string_view description;
    std::vector<OptDef> opts;
    Handler run = nullptr;
    bool needs_connection = true;
};

struct GroupDef {
    std::string_view keyword;
    std::string_view title;
};

// The groups, in `vsh help` order.
const std::vector<GroupDef>& groups();
// Every command, from every group file.
const std::vector<CommandDef>& commands();
const CommandDef* find_command(std::string_view name);

// virsh's grammar: "--opt value", "--opt=value", bare words fill the positional options in
// order, "--" ends options. Errors are worded as virsh words them.
Result<Args> parse_args(const CommandDef& cmd, const std::vector<std::string>& words);
// "list [--inactive] [--all] ...", the SYNOPSIS line.
std::string synopsis(const CommandDef& cmd);
void print_command_help(const CommandDef& cmd);

// The command groups' tables (one file each).
std::vector<CommandDef> virsh_commands();
std::vector<CommandDef> host_commands();
std::vector<CommandDef> domain_commands();
std::vector<CommandDef> monitor_commands();
std::vector<CommandDef> event_commands();

// One session: the settings from the command line, the connection (opened on first use), and
// the output helpers every command uses so wording and layout match virsh.
class Vsh {
public:
    std::string uri;       // empty: the default URI
    bool readonly = false; // -r
    bool quiet = false;    // -q: no table headers, no blank line after each command
    bool interactive = false;
    bool quit_requested = false; // quit/exit ran in the shell

    // The connection, opening it first if needed; on failure prints virsh's two error lines.
    client::Connection* conn();
    // Replaces the connection (the connect command).
    bool reconnect(const std::string& new_uri, bool read_only);
    void disconnect();
    bool connected() const { return conn_ != nullptr; }
    // The URI in use: the one given, or the default.
    std::string effective_uri() const;

    // Runs one command line already split into words; false when it failed.
    bool run(const std::vector<std::string>& words);

    // Confirmations ("Domain 'x' started"): stdout, unless quiet.
    template <typename... A>
    void extra(fmt::format_string<A...> f, A&&... a) {
        if (!quiet) fmt::print(f, std::forward<A>(a)...);
    }
    // "error: TEXT" on stderr.
    template <typename... A>
    void error(fmt::format_string<A...> f, A&&... a) {
        error_line(fmt::format(f, std::forward<A>(a)...));
    }
    void error_line(std::string_view text);
    // The failure as virsh reports a failed API call: "error: WHAT" then "error: MESSAGE".
    template <typename... A>
    bool fail(const Error& e, fmt::format_string<A...> f, A&&... a) {
        error_line(fmt::format(f, std::forward<A>(a)...));
        error_line(e.message());
        return false;
    }
    // Only the daemon's message.
    bool fail(const Error& e) {
        error_line(e.message());
        return false;
    }

    // The pool, volume or network an option names; print virsh's two error lines themselves.
    std::optional<client::StoragePool> pool(const Args& args, std::string_view opt = "pool");
    // A volume by name within --pool when given, else by key, then by path.
    std::optional<client::StorageVol> volume(const Args& args, std::string_view opt = "vol");
    std::optional<client::Network> network(const Args& args, std::string_view opt = "network");

    // The domain an option names (by id, UUID or name); prints "failed to get domain" itself.
    std::optional<client::Domain> domain(const Args& args, std::string_view opt = "domain",
                                         bool allow_id = true);

private:
    std::unique_ptr<client::Connection> conn_;
};

// Reads a whole file for define/create; the error is worded as virsh's.
Result<std::string> read_file_for(std::string_view path);

// virsh's scaled integers ("10M" is 10 MiB, "1KB" is 1000): bytes, with `default_scale`
// applied to a bare number. The error names the problem ("unknown suffix 'x'").
Result<uint64_t> parse_scaled(std::string_view text, uint64_t default_scale);
// "1.46 MiB": two decimals in the largest binary unit the value reaches.
std::string pretty_size(uint64_t bytes);
// Declared by the command group files added with the storage, network and snapshot procedures.
std::vector<CommandDef> resource_commands();
std::vector<CommandDef> save_commands();
std::vector<CommandDef> console_commands();
std::vector<CommandDef> pool_commands();
std::vector<CommandDef> volume_commands();
std::vector<CommandDef> network_commands();
std::vector<CommandDef> snapshot_commands();
std::vector<CommandDef> stats_commands();

// A string the wire carries NUL-padded (char arrays), up to its first NUL.
inline std::string until_nul(const std::string& s) {
    return s.substr(0, s.find('\0'));
}

// virsh's words for states and reasons.
std::string_view state_name(client::DomainState s);
std::string_view state_reason_name(client::DomainState s, int reason);

} // namespace virtd::vsh
