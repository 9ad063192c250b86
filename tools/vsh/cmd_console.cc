// console: the guest's console over the RPC stream. On a terminal the terminal goes raw and
// Ctrl+] leaves; from a pipe, the input is sent and output copied until the input ends.
#include <atomic>
#include <thread>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

constexpr char kEscape = 0x1d; // Ctrl+]

// Puts the terminal in raw mode for its lifetime.
class RawTerminal {
public:
    explicit RawTerminal(int fd)
        : fd_(fd) {
        if (tcgetattr(fd_, &saved_) != 0) return;
        termios raw = saved_;
        cfmakeraw(&raw);
        active_ = tcsetattr(fd_, TCSAFLUSH, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = write(fd, data.data(), data.size());
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

bool cmd_console(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    auto stream = d->open_console(args.str("devname"), args.has("force") ? 1 : 0);
    if (!stream) return vsh.fail(stream.error());
    bool tty = isatty(STDIN_FILENO) != 0;
    vsh.extra("Connected to domain '{}'\nEscape character is ^] (Ctrl + ])\n", d->name());
    std::fflush(stdout);
    std::optional<RawTerminal> raw;
    if (tty) raw.emplace(STDIN_FILENO);

    std::atomic<bool> done{false};
    std::optional<Error> failure;     // the input side's (main thread)
    std::optional<Error> out_failure; // the output thread's
    rpc::RpcStream& s = **stream;
    std::thread output([&] {
        while (!done.load()) {
            auto chunk = s.recv_for(std::chrono::milliseconds(100));
            if (!chunk) {
                if (!done.load()) out_failure = chunk.error();
                break;
            }
            if (!*chunk) continue;
            if ((*chunk)->empty()) break; // the guest side closed
            write_all(STDOUT_FILENO, **chunk);
        }
        done = true;
    });
    char buf[4096];
    while (!done.load()) {
        pollfd p{STDIN_FILENO, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) {
            // Input ended (a pipe): give the guest a moment to answer what it was sent.
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            break;
        }
        std::string_view in(buf, static_cast<size_t>(n));
        size_t esc = in.find(kEscape);
        if (Status st = s.send(in.substr(0, esc)); !st) {
            failure = st.error();
            break;
        }
        if (esc != std::string_view::npos) break;
    }
    done = true;
    output.join();
    s.abort();
    raw.reset();
    if (tty) fmt::print("\n");
    if (failure) return vsh.fail(*failure);
    if (out_failure) return vsh.fail(*out_failure);
    return true;
}

} // namespace

std::vector<CommandDef> console_commands() {
    return {
        {"console",
         "domain",
         "connect to the guest console",
         "Connect the virtual serial console "
         "for the guest",
         {{"domain", OptType::String, kRequired | kPositional, "domain name, id or uuid",
           Complete::Domain},
          {"devname", OptType::String, 0, "character device name"},
          {"force", OptType::Bool, 0,
           "force console connection (disconnect already connected "
           "sessions)"},
          {"safe", OptType::Bool, 0, "only connect if safe console handling is supported"}},
         cmd_console},
    };
}

} // namespace virtd::vsh
