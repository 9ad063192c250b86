// Console: the host end of the guest's serial console: the VMM's own stdin/stdout (in raw mode
// when it is a terminal), a new pseudo-terminal, or a unix socket a client connects to. A reader
// thread hands what the user types to the UART; the UART's output goes out through write().
//
// Thread safety: write() may be called from any thread (vCPU threads); on_input runs on the
// console's own reader thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <termios.h>

#include "common/error.h"
#include "common/fd.h"
#include "drivers/kvm/vmm/vmm_options.h"

namespace virtd::vmm {

class Console {
public:
    using InputFn = std::function<void(std::string_view)>;
    // Called on Ctrl-A x typed on a stdio console: the user wants the VMM to stop.
    using QuitFn = std::function<void()>;

    static Result<std::unique_ptr<Console>> open(const ConsoleSpec& spec, InputFn on_input,
                                                 QuitFn on_quit = {});
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Guest output. Dropped while a unix console has no client.
    void write(std::string_view bytes);
    // For a pty console: the slave's path (/dev/pts/N) a user opens; empty otherwise.
    const std::string& path() const { return path_; }

private:
    Console(ConsoleSpec::Kind kind, InputFn on_input, QuitFn on_quit);
    void reader();
    void handle_input(std::string_view bytes);

    ConsoleSpec::Kind kind_;
    InputFn on_input_;
    QuitFn on_quit_;
    UniqueFd in_;     // stdio: 0 (not owned); pty: the master; unix: the listening socket
    UniqueFd client_; // unix: the connected client; guarded by mu_
    UniqueFd slave_;  // pty: held open so the master keeps working with no user attached
    int out_fd_ = -1; // stdio: 1; pty: the master; unix: client_
    UniqueFd stop_;   // an eventfd that ends the reader thread
    std::string path_;
    std::mutex mu_;
    bool raw_ = false; // stdio on a terminal: saved_ is restored on exit
    termios saved_{};
    bool escape_ = false; // the last byte typed was Ctrl-A
    std::thread thread_;
};

} // namespace virtd::vmm
