#include "client/auth_file.h"

#include <cstdlib>

#include <unistd.h>

#include "common/file.h"
#include "common/text.h"

namespace virtd::client {
namespace {

bool readable(const std::string& path) {
    return !path.empty() && ::access(path.c_str(), R_OK) == 0;
}

} // namespace

Result<AuthFile> AuthFile::parse(std::string_view text, std::string_view name) {
    AuthFile f;
    std::string section;
    int line_no = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        line_no++;
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']' || line.size() < 3)
                return make_error(ErrorCode::ConfSyntax, ErrorDomain::Conf,
                                  "{} line {}: expected [SECTION]", name, line_no);
            section = trim(line.substr(1, line.size() - 2));
            f.sections_[section];
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string_view::npos || section.empty())
            return make_error(ErrorCode::ConfSyntax, ErrorDomain::Conf,
                              "{} line {}: expected key=value inside a [section]", name, line_no);
        f.sections_[section][std::string(trim(line.substr(0, eq)))] =
            std::string(trim(line.substr(eq + 1)));
    }
    return f;
}

Result<AuthFile> AuthFile::load(const std::string& path) {
    Result<std::string> text = read_file(path, 1 << 20);
    if (!text)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "cannot read the credentials file '{}': {}", path,
                          text.error().message());
    return parse(*text, path);
}

std::string AuthFile::default_path() {
    if (const char* env = std::getenv("LIBVIRT_AUTH_FILE"); env && *env) return env;
    std::string config_home;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
        config_home = x;
    else if (const char* h = std::getenv("HOME"); h && *h)
        config_home = std::string(h) + "/.config";
    if (std::string p = config_home + "/libvirt/auth.conf"; !config_home.empty() && readable(p))
        return p;
    if (readable("/etc/libvirt/auth.conf")) return "/etc/libvirt/auth.conf";
    return {};
}

std::optional<std::string> AuthFile::lookup(std::string_view service, std::string_view host,
                                            std::string_view key) const {
    for (const std::string& group :
         {fmt::format("auth-{}-{}", service, host), fmt::format("auth-{}-default", service)}) {
        auto auth = sections_.find(group);
        if (auth == sections_.end()) continue;
        auto cred_name = auth->second.find("credentials");
        if (cred_name == auth->second.end()) continue;
        auto creds = sections_.find("credentials-" + cred_name->second);
        if (creds == sections_.end()) continue;
        auto value = creds->second.find(std::string(key));
        if (value != creds->second.end()) return value->second;
        return std::nullopt; // the host's set answers for it, even by lacking the key
    }
    return std::nullopt;
}

} // namespace virtd::client
