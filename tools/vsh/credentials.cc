#include "tools/vsh/credentials.h"

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

namespace virtd::vsh {

Result<std::string> ask_credential(client::CredentialKind kind, std::string_view prompt) {
    (void)prompt; // SASL's own prompt text names the mechanism's field, not the person's words
    bool password = kind == client::CredentialKind::Password;
    fmt::print(stderr, "{}",
               password ? "Please enter your password: "
                        : "Please enter your authentication name: ");
    std::fflush(stderr);
    termios saved{};
    bool hide = password && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (hide) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    bool got = static_cast<bool>(std::getline(std::cin, line));
    if (hide) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fmt::print(stderr, "\n");
    }
    if (!got)
        return make_error(ErrorCode::AuthCancelled, ErrorDomain::Auth,
                          "authentication cancelled: no {} was typed",
                          password ? "password" : "user name");
    return line;
}

} // namespace virtd::vsh
