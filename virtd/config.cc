#include "virtd/config.h"

#include <charconv>
#include <functional>
#include <map>

#include "common/file.h"
#include "common/text.h"

namespace virtd {
namespace {

struct Value {
    enum class Kind { Int, String, List } kind = Kind::Int;
    int64_t i = 0;
    std::string s;
    std::vector<std::string> list;
};

// Reads a "quoted" string at the start of `s`; advances past it.
bool read_string(std::string_view& s, std::string* out) {
    if (s.empty() || s.front() != '"') return false;
    size_t end = s.find('"', 1);
    if (end == std::string_view::npos) return false;
    *out = std::string(s.substr(1, end - 1));
    s.remove_prefix(end + 1);
    return true;
}

bool parse_value(std::string_view text, Value* v) {
    text = trim(text);
    if (text.starts_with('"')) {
        v->kind = Value::Kind::String;
        return read_string(text, &v->s) && trim(text).empty();
    }
    if (text.starts_with('[')) {
        v->kind = Value::Kind::List;
        text.remove_prefix(1);
        for (;;) {
            text = trim(text);
            if (text.starts_with(']')) return trim(text.substr(1)).empty();
            std::string item;
            if (!read_string(text, &item)) return false;
            v->list.push_back(item);
            text = trim(text);
            if (text.starts_with(',')) text.remove_prefix(1);
        }
    }
    v->kind = Value::Kind::Int;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v->i);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

} // namespace

Result<DaemonConfig> DaemonConfig::parse(std::string_view text, std::string_view name) {
    DaemonConfig c;
    int line_no = 0;
    auto fail = [&](std::string_view key, std::string_view problem) {
        return make_error(ErrorCode::ConfSyntax, ErrorDomain::Conf, "{} line {}: {}: {}", name,
                          line_no, key, problem);
    };
    // What each key accepts; each setter returns false for a value of the wrong kind or range.
    auto boolean = [](bool* out) {
        return [out](const Value& v) {
            if (v.kind != Value::Kind::Int || (v.i != 0 && v.i != 1)) return false;
            *out = v.i == 1;
            return true;
        };
    };
    auto string = [](std::string* out) {
        return [out](const Value& v) {
            if (v.kind != Value::Kind::String) return false;
            *out = v.s;
            return true;
        };
    };
    auto number = [](auto* out, int64_t min, int64_t max) {
        return [out, min, max](const Value& v) {
            if (v.kind != Value::Kind::Int || v.i < min || v.i > max) return false;
            *out = static_cast<std::remove_pointer_t<decltype(out)>>(v.i);
            return true;
        };
    };
    auto perms = [](uint32_t* out) {
        return [out](const Value& v) {
            uint32_t m = 0;
            auto [end, ec] = std::from_chars(v.s.data(), v.s.data() + v.s.size(), m, 8);
            if (v.kind != Value::Kind::String || v.s.empty() || ec != std::errc() ||
                end != v.s.data() + v.s.size() || m > 0777)
                return false;
            *out = m;
            return true;
        };
    };
    auto auth = [](std::string* out) {
        return [out](const Value& v) {
            if (v.kind != Value::Kind::String || (v.s != "none" && v.s != "sasl")) return false;
            *out = v.s;
            return true;
        };
    };
    auto list = [](std::vector<std::string>* out) {
        return [out](const Value& v) {
            if (v.kind != Value::Kind::List) return false;
            *out = v.list;
            return true;
        };
    };
    const std::map<std::string_view, std::function<bool(const Value&)>> keys = {
        {"listen_tcp", boolean(&c.listen_tcp)},
        {"tcp_port", string(&c.tcp_port)},
        {"listen_addr", string(&c.listen_addr)},
        {"unix_sock_dir", string(&c.unix_sock_dir)},
        {"unix_sock_group", string(&c.unix_sock_group)},
        {"unix_sock_ro_perms", perms(&c.unix_sock_ro_perms)},
        {"unix_sock_rw_perms", perms(&c.unix_sock_rw_perms)},
        {"max_clients", number(&c.max_clients, 1, 1000000)},
        {"max_workers", number(&c.max_workers, 1, 1024)},
        {"max_client_requests", number(&c.max_client_requests, 1, 10000)},
        {"keepalive_interval", number(&c.keepalive_interval, -1, 86400)},
        {"keepalive_count", number(&c.keepalive_count, 0, 1000)},
        {"log_level", number(&c.log_level, 1, 4)},
        {"log_filters", string(&c.log_filters)},
        {"log_outputs", string(&c.log_outputs)},
        {"listen_tls", boolean(&c.listen_tls)},
        {"tls_port", string(&c.tls_port)},
        {"auth_unix_rw", auth(&c.auth_unix_rw)},
        {"auth_unix_ro", auth(&c.auth_unix_ro)},
        {"auth_tcp", auth(&c.auth_tcp)},
        {"auth_tls", auth(&c.auth_tls)},
        {"ca_file", string(&c.ca_file)},
        {"cert_file", string(&c.cert_file)},
        {"key_file", string(&c.key_file)},
        {"crl_file", string(&c.crl_file)},
        {"tls_no_verify_certificate", boolean(&c.tls_no_verify_certificate)},
        {"tls_no_sanity_certificate", boolean(&c.tls_no_sanity_certificate)},
        {"tls_allowed_dn_list", list(&c.tls_allowed_dn_list)},
        {"tls_priority", string(&c.tls_priority)},
        {"sasl_allowed_username_list", list(&c.sasl_allowed_username_list)},
        {"sasl_config_dir", string(&c.sasl_config_dir)},
        {"max_anonymous_clients", number(&c.max_anonymous_clients, 1, 1000000)},
        {"access_rules_file", string(&c.access_rules_file)},
        {"guests_on_shutdown", string(&c.guests_on_shutdown)},
    };
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        line_no++;
        if (size_t hash = line.find('#'); hash != std::string_view::npos) {
            // A '#' inside a quoted string is not a comment.
            size_t quotes = 0;
            for (size_t i = 0; i < hash; i++)
                quotes += line[i] == '"';
            if (quotes % 2 == 0) line = line.substr(0, hash);
        }
        line = trim(line);
        if (line.empty()) continue;
        size_t eq = line.find('=');
        if (eq == std::string_view::npos) return fail(line, "expected 'key = value'");
        std::string_view key = trim(line.substr(0, eq));
        auto it = keys.find(key);
        if (it == keys.end()) return fail(key, "unknown setting");
        Value v;
        if (!parse_value(line.substr(eq + 1), &v)) return fail(key, "cannot read the value");
        if (!it->second(v)) return fail(key, "value of the wrong kind or out of range");
    }
    return c;
}

Result<DaemonConfig> DaemonConfig::load(const std::string& path) {
    Result<std::string> text = read_file(path, 1 << 20);
    if (!text) return text.error();
    return parse(*text, path);
}

} // namespace virtd
