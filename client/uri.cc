#include "client/uri.h"

#include <cstdlib>
#include <vector>

namespace virtd::client {
namespace {

constexpr std::string_view kDefaultTcpPort = "16509";
constexpr std::string_view kDefaultTlsPort = "16514";

// Query parameters that steer the client and are never passed to the daemon (libvirt's list).
bool client_only_param(std::string_view key) {
    static constexpr std::string_view kKeys[] = {
        "name",         "command", "socket",  "auth",        "sshauth",
        "netcat",       "keyfile", "pkipath", "known_hosts", "known_hosts_verify",
        "tls_priority", "mode",    "proxy",   "no_sanity",   "no_verify",
        "no_tty",       "authfile"};
    for (std::string_view k : kKeys)
        if (k == key) return true;
    return false;
}

Error uri_error(std::string_view uri, std::string_view problem) {
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Uri, "invalid URI '{}': {}", uri,
                      problem);
}

} // namespace

std::string default_socket_path(bool readonly) {
    const char* env = std::getenv("VIRTD_SOCK");
    std::string path = env && *env ? env : "/run/virtd/virtd-sock";
    return readonly ? path + "-ro" : path;
}

Result<ConnectUri> ConnectUri::parse(std::string_view uri, const std::string& default_socket) {
    size_t colon = uri.find("://");
    if (colon == std::string_view::npos || colon == 0)
        return uri_error(uri, "expected SCHEME://[HOST[:PORT]]/PATH");
    std::string_view scheme = uri.substr(0, colon);
    std::string_view rest = uri.substr(colon + 3);
    std::string_view transport;
    if (size_t plus = scheme.find('+'); plus != std::string_view::npos) {
        transport = scheme.substr(plus + 1);
        scheme = scheme.substr(0, plus);
    }
    size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    std::string_view path_query = slash == std::string_view::npos ? "" : rest.substr(slash);
    std::string user;
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
        user = authority.substr(0, at);
        authority = authority.substr(at + 1);
    }
    std::string_view path = path_query.substr(0, path_query.find('?'));
    std::string_view query =
        path.size() < path_query.size() ? path_query.substr(path.size() + 1) : "";

    ConnectUri out;
    std::string kept_query;
    std::string name_override;
    bool has_name_override = false;
    while (!query.empty()) {
        std::string_view param = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(query.size(), param.size() + 1));
        std::string_view key = param.substr(0, param.find('='));
        std::string_view value = key.size() < param.size() ? param.substr(key.size() + 1) : "";
        if (key == "socket") out.socket_path = value;
        if (key == "pkipath") out.pkipath = value;
        if (key == "no_verify") out.no_verify = value != "0" && !value.empty();
        if (key == "tls_priority") out.tls_priority = value;
        if (key == "authfile") out.authfile = value;
        if (key == "auth") out.auth = value;
        if (key == "name") {
            name_override = value;
            has_name_override = true;
        }
        if (client_only_param(key) || param.empty()) continue;
        if (!kept_query.empty()) kept_query += '&';
        kept_query += param;
    }

    if (transport.empty()) transport = authority.empty() ? "unix" : "tls";
    if (transport == "unix") {
        if (!authority.empty())
            return uri_error(uri, "a unix socket connection cannot name a host");
        out.transport = Transport::Unix;
        if (out.socket_path.empty()) out.socket_path = default_socket;
    } else if (transport == "tcp" || transport == "tls") {
        out.transport = transport == "tcp" ? Transport::Tcp : Transport::Tls;
        std::string_view default_port = transport == "tcp" ? kDefaultTcpPort : kDefaultTlsPort;
        std::string_view host = authority;
        std::string_view port = default_port;
        if (host.starts_with('[')) { // [v6]:port
            size_t close = host.find(']');
            if (close == std::string_view::npos) return uri_error(uri, "unterminated '['");
            if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
            host = host.substr(1, close - 1);
        } else if (size_t c = host.rfind(':'); c != std::string_view::npos) {
            port = host.substr(c + 1);
            host = host.substr(0, c);
        }
        if (host.empty())
            return uri_error(uri, fmt::format("a {} connection needs a host", transport));
        if (port.empty()) port = default_port;
        out.host = host;
        out.port = port;
    } else {
        return make_error(ErrorCode::NoSupport, ErrorDomain::Remote,
                          "transport '{}' in URI '{}' is not supported (use +unix, +tcp or +tls)",
                          transport, uri);
    }
    out.user = user;
    if (has_name_override) {
        out.name = name_override;
    } else if (scheme == "remote") {
        out.name = ""; // "daemon, pick your default"
    } else {
        out.name = fmt::format("{}://{}", scheme, path.empty() ? "/" : path);
        if (!kept_query.empty()) out.name += "?" + kept_query;
    }
    return out;
}

} // namespace virtd::client
