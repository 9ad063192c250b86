// Access control: who may do what to which object. AccessPolicy is a rules file (ACCESS.md has
// the syntax); decide() puts it together with the default policy (local root may do everything,
// a read-only connection may only read, remote clients get what the rules grant).
//
// Thread safety: an AccessPolicy is immutable once loaded; share it as shared_ptr<const>.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "common/error.h"
#include "rpc/call_context.h"
#include "rpc/client_info.h"

namespace virtd::acl {

using ObjectKind = rpc::AclObject;

// "domain", "storage_pool", ...: the names rules files and messages use.
std::string_view object_kind_name(ObjectKind kind);
std::optional<ObjectKind> parse_object_kind(std::string_view name);
// Whether `perm` is one of libvirt's permission names for `kind`.
bool is_known_permission(ObjectKind kind, std::string_view perm);
// getattr, read and search_*: what a read-only connection may hold.
bool is_read_permission(std::string_view perm);

class AccessPolicy {
public:
    // Reads a rules file; errors name the file, the line and the problem (ErrorCode::ConfSyntax).
    static Result<AccessPolicy> load(const std::string& path);
    // Parses rules text; `source` names it in messages.
    static Result<AccessPolicy> parse(std::string_view text, std::string_view source);

    // Whether the rules grant `perm` on the `kind` object called `object_name` (empty: the call
    // names no object; only rules without name= apply then). The first rule that matches the
    // client, the object and the permission decides; no match denies.
    bool check(const rpc::ClientInfo& client, ObjectKind kind, std::string_view perm,
               std::string_view object_name) const;

    size_t size() const { return rules_.size(); }

private:
    // Who a rule is about. User and Dn match a glob; Uid and Gid an id (unixuser= and group= are
    // resolved when the file is read).
    enum class Subject { Any, User, Dn, Uid, Gid };
    struct Rule {
        int line = 0;
        bool allow = false;
        Subject subject = Subject::Any;
        std::string pattern;             // User, Dn
        uint32_t id = 0;                 // Uid, Gid
        std::optional<ObjectKind> kind;  // nullopt: every kind ("*")
        std::vector<std::string> perms;  // empty: every permission ("*")
        std::optional<std::string> name; // name=GLOB
    };
    static Result<Rule> parse_rule(std::string_view line, std::string_view where);
    static bool subject_matches(const Rule& r, const rpc::ClientInfo& client);

    std::vector<Rule> rules_;
};

// What decide() needs besides the call.
struct Decider {
    const AccessPolicy* rules = nullptr; // the configured rules file; nullptr: none configured
    uid_t daemon_uid = 0;                // the daemon's own uid: its local clients are trusted
};

// The default policy, then the rules:
//   - a read-only connection (read-only socket or VIR_CONNECT_RO) holds read permissions only
//     (getattr, read, search_*), and of those what the rest of this list gives;
//   - a unix socket client whose uid is 0 or the daemon's uid holds everything;
//   - any other client: with a rules file, what the rules grant; without one, everything
//     (libvirt's default access driver, "none", allows all).
bool decide(const Decider& d, const rpc::ClientInfo& client, bool readonly, ObjectKind kind,
            std::string_view perm, std::string_view object_name);

// Whether the object's name can change decide()'s answer for this client (false: skip finding it).
bool name_matters(const Decider& d, const rpc::ClientInfo& client);

// The VIR_ERR_ACCESS_DENIED error for a denied permission: "access denied: 'domain' permission
// 'start' on 'web-1' is not granted to user 'ops'".
Error denied(const rpc::ClientInfo& client, ObjectKind kind, std::string_view perm,
             std::string_view object_name);

} // namespace virtd::acl
