#include "drivers/kvm/vmm/console.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace virtd::vmm {
namespace {

constexpr char kCtrlA = 0x01;

// Writes everything, retrying short writes; a closed peer just loses the output.
void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty() && fd >= 0) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

} // namespace

Console::Console(ConsoleSpec::Kind kind, InputFn on_input, QuitFn on_quit)
    : kind_(kind)
    , on_input_(std::move(on_input))
    , on_quit_(std::move(on_quit)) {}

Result<std::unique_ptr<Console>> Console::open(const ConsoleSpec& spec, InputFn on_input,
                                               QuitFn on_quit) {
    std::unique_ptr<Console> c(new Console(spec.kind, std::move(on_input), std::move(on_quit)));
    c->stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!c->stop_) return system_error(ErrorDomain::None, errno, "creating the console's eventfd");
    switch (spec.kind) {
    case ConsoleSpec::Kind::Stdio:
        c->out_fd_ = STDOUT_FILENO;
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->saved_) == 0) {
            // Raw, so Ctrl-C and friends reach the guest; Ctrl-A x leaves, as with QEMU.
            termios raw = c->saved_;
            cfmakeraw(&raw);
            raw.c_oflag |= OPOST | ONLCR;
            tcsetattr(STDIN_FILENO, TCSANOW, &raw);
            c->raw_ = true;
        }
        break;
    case ConsoleSpec::Kind::Pty: {
        c->in_ = UniqueFd(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!c->in_ || grantpt(c->in_.get()) < 0 || unlockpt(c->in_.get()) < 0)
            return system_error(ErrorDomain::None, errno, "--console pty: opening a pty");
        c->path_ = ptsname(c->in_.get());
        // The slave stays open here so the master never reads EIO while no user is attached,
        // and the master never blocks: output nobody reads is dropped once the pty is full.
        c->slave_ = UniqueFd(::open(c->path_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!c->slave_)
            return system_error(ErrorDomain::None, errno,
                                fmt::format("--console pty: opening {}", c->path_));
        // The guest's own tty echoes and cooks; the pty passes bytes through untouched.
        termios t{};
        if (tcgetattr(c->slave_.get(), &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(c->slave_.get(), TCSANOW, &t);
        }
        fcntl(c->in_.get(), F_SETFL, fcntl(c->in_.get(), F_GETFL) | O_NONBLOCK);
        c->out_fd_ = c->in_.get();
        break;
    }
    case ConsoleSpec::Kind::Unix: {
        sockaddr_un addr{};
        if (spec.path.size() >= sizeof addr.sun_path)
            return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                              "--console unix:{}: the path is longer than {} bytes", spec.path,
                              sizeof addr.sun_path - 1);
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, spec.path.c_str(), spec.path.size() + 1);
        c->in_ = UniqueFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ::unlink(spec.path.c_str());
        if (!c->in_ || bind(c->in_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
            listen(c->in_.get(), 1) < 0)
            return system_error(ErrorDomain::None, errno,
                                fmt::format("--console unix:{}: listening", spec.path));
        c->path_ = spec.path;
        break;
    }
    }
    c->thread_ = std::thread([raw = c.get()] { raw->reader(); });
    return c;
}

Console::~Console() {
    uint64_t one = 1;
    if (stop_) (void)::write(stop_.get(), &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    if (raw_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    if (kind_ == ConsoleSpec::Kind::Unix) ::unlink(path_.c_str());
}

void Console::write(std::string_view bytes) {
    std::lock_guard lock(mu_);
    int fd = kind_ == ConsoleSpec::Kind::Unix ? client_.get() : out_fd_;
    write_all(fd, bytes);
}

void Console::handle_input(std::string_view bytes) {
    std::string pass;
    for (char ch : bytes) {
        if (kind_ == ConsoleSpec::Kind::Stdio && raw_) {
            if (escape_) {
                escape_ = false;
                if (ch == 'x') {
                    if (on_quit_) on_quit_();
                    continue;
                }
                if (ch != kCtrlA) pass += kCtrlA; // Ctrl-A Ctrl-A sends one Ctrl-A
            } else if (ch == kCtrlA) {
                escape_ = true;
                continue;
            }
        }
        pass += ch;
    }
    if (!pass.empty()) on_input_(pass);
}

void Console::reader() {
    char buf[4096];
    for (;;) {
        int input = kind_ == ConsoleSpec::Kind::Stdio ? STDIN_FILENO : in_.get();
        int client = -1;
        if (kind_ == ConsoleSpec::Kind::Unix) {
            std::lock_guard lock(mu_);
            client = client_.get();
        }
        pollfd fds[3] = {{stop_.get(), POLLIN, 0}, {input, POLLIN, 0}, {client, POLLIN, 0}};
        if (poll(fds, client >= 0 ? 3 : 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[0].revents) return;
        if (fds[1].revents) {
            if (kind_ == ConsoleSpec::Kind::Unix) {
                // One client at a time: a new one replaces the old.
                UniqueFd fresh(accept4(in_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                std::lock_guard lock(mu_);
                if (fresh) client_ = std::move(fresh);
            } else {
                ssize_t n = ::read(input, buf, sizeof buf);
                if (n > 0) {
                    handle_input(std::string_view(buf, static_cast<size_t>(n)));
                } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                    return; // stdin closed: the guest keeps running without input
                }
            }
        }
        if (client >= 0 && fds[2].revents) {
            ssize_t n = ::read(client, buf, sizeof buf);
            if (n > 0) {
                handle_input(std::string_view(buf, static_cast<size_t>(n)));
            } else {
                std::lock_guard lock(mu_);
                if (client_.get() == client) client_.reset();
            }
        }
    }
}

} // namespace virtd::vmm
