#include "tools/vsh/shell.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <editline/readline.h>
#include <sys/stat.h>
#include <unistd.h>

namespace virtd::vsh {
namespace {

Vsh* g_vsh = nullptr;                  // the session completion asks
std::vector<std::string> g_candidates; // what the current completion offers

std::string history_path() {
    const char* cache = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    std::string dir;
    if (cache && *cache)
        dir = std::string(cache) + "/vsh";
    else if (home && *home)
        dir = std::string(home) + "/.cache/vsh";
    else
        return "";
    // Best effort: without the folder there is simply no saved history.
    std::string parent = dir.substr(0, dir.rfind('/'));
    mkdir(parent.c_str(), 0700);
    mkdir(dir.c_str(), 0700);
    return dir + "/history";
}

char* next_candidate(const char* text, int state) {
    static size_t index = 0;
    if (state == 0) index = 0;
    size_t len = std::strlen(text);
    while (index < g_candidates.size()) {
        const std::string& c = g_candidates[index++];
        if (c.compare(0, len, text) == 0) return strdup(c.c_str());
    }
    return nullptr;
}

// Domain names for completing a value: only on a connection that is already open, so a Tab
// never blocks on connecting or prints a connection error into the prompt.
void add_domain_names() {
    if (!g_vsh || !g_vsh->connected()) return;
    auto list = g_vsh->conn()->list_all_domains(0);
    if (!list) return;
    for (const client::Domain& d : *list)
        g_candidates.push_back(d.name());
}

char** complete(const char* text, int start, int /*end*/) {
    g_candidates.clear();
    std::string before(rl_line_buffer, static_cast<size_t>(start));
    // The command is the first word after the last ';'.
    size_t semi = before.rfind(';');
    std::string segment = semi == std::string::npos ? before : before.substr(semi + 1);
    auto words = split_line(segment);
    const std::vector<std::string>* cmd_words = words && !words->empty() ? &words->back() : nullptr;
    if (!cmd_words || cmd_words->empty()) {
        for (const CommandDef& c : commands())
            g_candidates.emplace_back(c.name);
    } else if (const CommandDef* cmd = find_command((*cmd_words)[0])) {
        if (std::strncmp(text, "--", 2) == 0) {
            for (const OptDef& o : cmd->opts)
                g_candidates.push_back("--" + std::string(o.name));
        } else {
            bool file = false;
            for (const OptDef& o : cmd->opts) {
                if (o.complete == Complete::Domain) add_domain_names();
                file = file || o.complete == Complete::File;
            }
            if (file && g_candidates.empty()) return nullptr; // libedit completes file names
        }
    }
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, next_candidate);
}

bool run_line(Vsh& vsh, const std::string& line, bool& ok) {
    auto cmds = split_line(line);
    if (!cmds) {
        vsh.error_line(cmds.error().message());
        ok = false;
        return true;
    }
    for (const auto& words : *cmds) {
        ok = vsh.run(words);
        if (vsh.quit_requested) return false;
    }
    return true;
}

} // namespace

Result<std::vector<std::vector<std::string>>> split_line(std::string_view line) {
    std::vector<std::vector<std::string>> cmds(1);
    std::string word;
    bool in_word = false;
    auto end_word = [&] {
        if (in_word) cmds.back().push_back(word);
        word.clear();
        in_word = false;
    };
    for (size_t i = 0; i < line.size(); i++) {
        char c = line[i];
        if (c == '\'' || c == '"') {
            in_word = true;
            size_t j = i + 1;
            for (; j < line.size() && line[j] != c; j++) {
                if (c == '"' && line[j] == '\\' && j + 1 < line.size()) j++;
                word += line[j];
            }
            if (j >= line.size())
                return Error(ErrorCode::InvalidArg, ErrorDomain::None, "missing \"");
            i = j;
        } else if (c == '\\' && i + 1 < line.size()) {
            word += line[++i];
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            end_word();
        } else if (c == ';') {
            end_word();
            cmds.emplace_back();
        } else if (c == '#' && !in_word) {
            break;
        } else {
            word += c;
            in_word = true;
        }
    }
    end_word();
    std::erase_if(cmds, [](const auto& c) { return c.empty(); });
    return cmds;
}

bool run_shell(Vsh& vsh) {
    vsh.interactive = true;
    bool ok = true;
    if (!isatty(STDIN_FILENO)) {
        // Commands from a pipe or file: no prompt, no line editing.
        std::string line;
        while (std::getline(std::cin, line))
            if (!run_line(vsh, line, ok)) break;
        return ok;
    }
    g_vsh = &vsh;
    rl_readline_name = "vsh";
    rl_attempted_completion_function = complete;
    using_history();
    std::string hist = history_path();
    if (!hist.empty()) read_history(hist.c_str());
    if (!vsh.quiet)
        fmt::print("Welcome to vsh, the virtd interactive terminal.\n\n"
                   "Type:  'help' for help with commands\n"
                   "       'quit' to quit\n\n");
    for (;;) {
        char* raw = readline(vsh.readonly ? "vsh > " : "vsh # ");
        if (!raw) {
            fmt::print("\n");
            break;
        }
        std::string line = raw;
        std::free(raw);
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        add_history(line.c_str());
        if (!run_line(vsh, line, ok)) break;
    }
    if (!hist.empty()) write_history(hist.c_str());
    g_vsh = nullptr;
    return ok;
}

} // namespace virtd::vsh
