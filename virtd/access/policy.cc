// The rules file parser, the rule matcher and the default policy (see policy.h and ACCESS.md).
#include "virtd/access/policy.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>

#include "common/file.h"
#include "common/text.h"

namespace virtd::acl {

namespace {

struct KindInfo {
    ObjectKind kind;
    std::string_view name;
    std::vector<std::string_view> perms;
};

// libvirt's object types and permission names (the ones virtd has objects for).
const std::array<KindInfo, 5>& kinds() {
    static const std::array<KindInfo, 5> k = {{
        {ObjectKind::Connect,
         "connect",
         {"getattr", "read", "write", "search_domains", "search_networks", "search_storage_pools",
          "search_node_devices", "search_interfaces", "search_secrets", "search_nwfilters",
          "detect_storage_pools", "pm_control", "interface_transaction"}},
        {ObjectKind::Domain,
         "domain",
         {"getattr",      "read",       "write",          "read_secure", "start",
          "stop",         "reset",      "save",           "delete",      "migrate",
          "snapshot",     "suspend",    "hibernate",      "core_dump",   "pm_control",
          "init_control", "inject_nmi", "send_input",     "send_signal", "fs_trim",
          "fs_freeze",    "block_read", "block_write",    "mem_read",    "open_graphics",
          "open_device",  "screenshot", "open_namespace", "set_time",    "set_password"}},
        {ObjectKind::Network,
         "network",
         {"getattr", "read", "write", "save", "delete", "start", "stop", "search_ports"}},
        {ObjectKind::StoragePool,
         "storage_pool",
         {"getattr", "read", "write", "save", "delete", "start", "stop", "refresh",
          "search_storage_vols", "format"}},
        {ObjectKind::StorageVol,
         "storage_vol",
         {"getattr", "read", "create", "delete", "format", "resize", "data_read", "data_write"}},
    }};
    return k;
}

const KindInfo& info(ObjectKind kind) {
    for (const KindInfo& k : kinds())
        if (k.kind == kind) return k;
    return kinds()[0];
}

// Splits a line into words at white space; "double quotes" keep spaces in a word (dn="O=A B")
// and are dropped; a word starting with '#' ends the line.
Result<std::vector<std::string>> split_words(std::string_view line) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        if (i == line.size() || line[i] == '#') break;
        std::string word;
        bool quoted = false;
        for (; i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t')); ++i) {
            if (line[i] == '"')
                quoted = !quoted;
            else
                word += line[i];
        }
        if (quoted) return Error(ErrorCode::ConfSyntax, ErrorDomain::Access, "unterminated quote");
        words.push_back(std::move(word));
    }
    return words;
}

Result<uint32_t> parse_id(std::string_view key, std::string_view value) {
    uint32_t id = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size())
        return make_error(ErrorCode::ConfSyntax, ErrorDomain::Access, "{} '{}' is not a number",
                          key, value);
    return id;
}

bool in_group(const rpc::ClientInfo& client, gid_t gid) {
    if (client.gid == gid) return true;
    if (client.uid == static_cast<uid_t>(-1)) return false;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (getpwuid_r(client.uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<size_t>(n));
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) return false;
    }
    groups.resize(static_cast<size_t>(n));
    return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

} // namespace

std::string_view object_kind_name(ObjectKind kind) {
    return info(kind).name;
}

std::optional<ObjectKind> parse_object_kind(std::string_view name) {
    for (const KindInfo& k : kinds())
        if (k.name == name) return k.kind;
    return std::nullopt;
}

bool is_known_permission(ObjectKind kind, std::string_view perm) {
    const auto& perms = info(kind).perms;
    return std::find(perms.begin(), perms.end(), perm) != perms.end();
}

bool is_read_permission(std::string_view perm) {
    return perm == "getattr" || perm == "read" || perm.starts_with("search_");
}

// ---- the rules file ----------------------------------------------------------------------------

Result<AccessPolicy::Rule> AccessPolicy::parse_rule(std::string_view line, std::string_view where) {
    auto fail = [&](std::string problem) {
        return Error(ErrorCode::ConfSyntax, ErrorDomain::Access,
                     fmt::format("{}: {}", where, problem));
    };
    Result<std::vector<std::string>> words = split_words(line);
    if (!words) return fail(words.error().message());
    const std::vector<std::string>& w = *words;
    Rule r;
    if (w[0] != "allow" && w[0] != "deny")
        return fail(fmt::format("unknown action '{}' (want allow or deny)", w[0]));
    r.allow = w[0] == "allow";
    if (w.size() < 3) return fail("want: allow|deny SUBJECT OBJECT:PERMISSIONS [name=GLOB]");

    // subject
    const std::string& subject = w[1];
    size_t eq = subject.find('=');
    std::string key = subject.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : subject.substr(eq + 1);
    if (subject == "any") {
        r.subject = Subject::Any;
    } else if (eq == std::string::npos || value.empty()) {
        return fail(fmt::format("cannot read subject '{}' (want any, user=, dn=, uid=, "
                                "unixuser=, gid= or group=)",
                                subject));
    } else if (key == "user" || key == "dn") {
        r.subject = key == "user" ? Subject::User : Subject::Dn;
        r.pattern = value;
    } else if (key == "uid" || key == "gid") {
        Result<uint32_t> id = parse_id(key, value);
        if (!id) return fail(id.error().message());
        r.subject = key == "uid" ? Subject::Uid : Subject::Gid;
        r.id = *id;
    } else if (key == "unixuser") {
        passwd* pw = getpwnam(value.c_str());
        if (!pw) return fail(fmt::format("unknown unix user '{}'", value));
        r.subject = Subject::Uid;
        r.id = pw->pw_uid;
    } else if (key == "group") {
        group* gr = getgrnam(value.c_str());
        if (!gr) return fail(fmt::format("unknown group '{}'", value));
        r.subject = Subject::Gid;
        r.id = gr->gr_gid;
    } else {
        return fail(fmt::format("unknown subject '{}' (want any, user=, dn=, uid=, unixuser=, "
                                "gid= or group=)",
                                key));
    }

    // object and permissions
    const std::string& object = w[2];
    size_t colon = object.find(':');
    if (colon == std::string::npos)
        return fail(fmt::format("cannot read '{}' (want OBJECT:PERMISSIONS)", object));
    std::string kind = object.substr(0, colon);
    if (kind != "*") {
        r.kind = parse_object_kind(kind);
        if (!r.kind)
            return fail(fmt::format("unknown object '{}' (want connect, domain, network, "
                                    "storage_pool, storage_vol or *)",
                                    kind));
    }
    std::string_view perms = std::string_view(object).substr(colon + 1);
    if (perms.empty()) return fail(fmt::format("no permissions after '{}:'", kind));
    if (perms != "*") {
        while (!perms.empty()) {
            size_t comma = perms.find(',');
            std::string perm(perms.substr(0, comma));
            perms = comma == std::string_view::npos ? "" : perms.substr(comma + 1);
            bool known = false;
            if (r.kind) {
                known = is_known_permission(*r.kind, perm);
            } else {
                for (const KindInfo& k : kinds())
                    known = known || is_known_permission(k.kind, perm);
            }
            if (perm == "*") return fail("'*' cannot be mixed with other permissions");
            if (!known && r.kind)
                return fail(fmt::format("unknown '{}' permission '{}'", kind, perm));
            if (!known) return fail(fmt::format("unknown permission '{}'", perm));
            r.perms.push_back(std::move(perm));
        }
    }

    // name=GLOB
    for (size_t i = 3; i < w.size(); ++i) {
        if (!w[i].starts_with("name=") || r.name)
            return fail(fmt::format("unexpected '{}' (only name=GLOB may follow the "
                                    "permissions)",
                                    w[i]));
        if (r.kind == ObjectKind::Connect) return fail("name= does not apply to 'connect'");
        r.name = w[i].substr(5);
        if (r.name->empty()) return fail("empty name=");
    }
    return r;
}

Result<AccessPolicy> AccessPolicy::parse(std::string_view text, std::string_view source) {
    AccessPolicy policy;
    int n = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? "" : text.substr(nl + 1);
        ++n;
        Result<std::vector<std::string>> words = split_words(line);
        if (words && words->empty()) continue; // blank or comment
        Result<Rule> rule = parse_rule(line, fmt::format("{} line {}", source, n));
        if (!rule) return rule.error();
        rule->line = n;
        policy.rules_.push_back(std::move(*rule));
    }
    return policy;
}

Result<AccessPolicy> AccessPolicy::load(const std::string& path) {
    Result<std::string> text = read_file(path);
    if (!text) return text.error();
    return parse(*text, path);
}

// ---- matching ----------------------------------------------------------------------------------

bool AccessPolicy::subject_matches(const Rule& r, const rpc::ClientInfo& client) {
    bool unix_peer = client.transport == rpc::Transport::Unix;
    switch (r.subject) {
    case Subject::Any:
        return true;
    case Subject::User:
        return !client.sasl_user.empty() && glob_matches(r.pattern, client.sasl_user);
    case Subject::Dn:
        return !client.x509_dn.empty() && glob_matches(r.pattern, client.x509_dn);
    case Subject::Uid:
        return unix_peer && client.uid == static_cast<uid_t>(r.id);
    case Subject::Gid:
        return unix_peer && in_group(client, static_cast<gid_t>(r.id));
    }
    return false;
}

bool AccessPolicy::check(const rpc::ClientInfo& client, ObjectKind kind, std::string_view perm,
                         std::string_view object_name) const {
    for (const Rule& r : rules_) {
        if (r.kind && *r.kind != kind) continue;
        if (!r.perms.empty() && std::find(r.perms.begin(), r.perms.end(), perm) == r.perms.end())
            continue;
        if (r.name && (object_name.empty() || !glob_matches(*r.name, object_name))) continue;
        if (!subject_matches(r, client)) continue;
        return r.allow;
    }
    return false;
}

// ---- the default policy ------------------------------------------------------------------------

namespace {

bool trusted_local(const Decider& d, const rpc::ClientInfo& client) {
    return client.transport == rpc::Transport::Unix &&
           (client.uid == 0 || client.uid == d.daemon_uid);
}

} // namespace

bool decide(const Decider& d, const rpc::ClientInfo& client, bool readonly, ObjectKind kind,
            std::string_view perm, std::string_view object_name) {
    if ((readonly || client.readonly_socket) && !is_read_permission(perm)) return false;
    if (trusted_local(d, client) || !d.rules) return true;
    return d.rules->check(client, kind, perm, object_name);
}

bool name_matters(const Decider& d, const rpc::ClientInfo& client) {
    return d.rules && !trusted_local(d, client);
}

Error denied(const rpc::ClientInfo& client, ObjectKind kind, std::string_view perm,
             std::string_view object_name) {
    std::string who;
    if (!client.sasl_user.empty())
        who = fmt::format("user '{}'", client.sasl_user);
    else if (!client.x509_dn.empty())
        who = fmt::format("client '{}'", client.x509_dn);
    else if (client.transport == rpc::Transport::Unix && client.uid != static_cast<uid_t>(-1))
        who = fmt::format("uid {}", client.uid);
    else
        who = "this client";
    std::string on = object_name.empty() ? "" : fmt::format(" on '{}'", object_name);
    return make_error(ErrorCode::AccessDenied, ErrorDomain::Access,
                      "access denied: '{}' permission '{}'{} is not granted to {}",
                      object_kind_name(kind), perm, on, who);
}

} // namespace virtd::acl
