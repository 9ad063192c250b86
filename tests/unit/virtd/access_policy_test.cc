#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/file.h"
#include "rpc/remote_protocol.h"
#include "virtd/access/policy.h"

namespace virtd::acl {
namespace {

using rpc::ClientInfo;
using rpc::Transport;
using K = ObjectKind;

constexpr std::string_view kRules = R"(# who may do what
allow user=ops connect:getattr,read,search_domains
allow user=ops domain:getattr,read,start,stop name=web-*
deny  user=ops domain:*              # first match wins: ops gets nothing else on domains
allow dn="CN=backup,O=Example Corp" storage_vol:data_read name=images/*
allow dn=CN=monitor*,O=Example* *:getattr,read
allow uid=1234 network:*
allow gid=4321 storage_pool:refresh name=default
allow any connect:getattr
)";

ClientInfo sasl(std::string user) {
    ClientInfo c;
    c.transport = Transport::Tls;
    c.sasl_user = std::move(user);
    return c;
}

ClientInfo tls_dn(std::string dn) {
    ClientInfo c;
    c.transport = Transport::Tls;
    c.x509_dn = std::move(dn);
    return c;
}

ClientInfo unix_peer(uid_t uid, gid_t gid) {
    ClientInfo c;
    c.transport = Transport::Unix;
    c.local = true;
    c.uid = uid;
    c.gid = gid;
    return c;
}

AccessPolicy rules() {
    Result<AccessPolicy> p = AccessPolicy::parse(kRules, "test.rules");
    EXPECT_TRUE(p.ok()) << p.error().message();
    return std::move(*p);
}

TEST(AccessPolicy, ParsesTheRules) {
    EXPECT_EQ(rules().size(), 8u);
    Result<AccessPolicy> empty = AccessPolicy::parse("\n  # nothing\n\n", "x");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->size(), 0u);
}

TEST(AccessPolicy, ErrorsNameFileLineAndProblem) {
    auto error = [](std::string_view text) {
        Result<AccessPolicy> p = AccessPolicy::parse(text, "a.rules");
        EXPECT_FALSE(p.ok()) << text;
        if (p.ok()) return std::string();
        EXPECT_EQ(p.error().code(), ErrorCode::ConfSyntax);
        return p.error().message();
    };
    EXPECT_EQ(error("# ok\npermit any connect:getattr"),
              "a.rules line 2: unknown action 'permit' (want allow or deny)");
    EXPECT_EQ(error("allow any"),
              "a.rules line 1: want: allow|deny SUBJECT OBJECT:PERMISSIONS [name=GLOB]");
    EXPECT_EQ(error("allow who=x connect:getattr"),
              "a.rules line 1: unknown subject 'who' (want any, user=, dn=, uid=, unixuser=, gid= "
              "or group=)");
    EXPECT_EQ(error("allow user= connect:getattr"),
              "a.rules line 1: cannot read subject 'user=' (want any, user=, dn=, uid=, "
              "unixuser=, gid= or group=)");
    EXPECT_EQ(error("allow uid=12x connect:getattr"), "a.rules line 1: uid '12x' is not a number");
    EXPECT_EQ(error("allow unixuser=no-such-user-here connect:getattr"),
              "a.rules line 1: unknown unix user 'no-such-user-here'");
    EXPECT_EQ(error("allow group=no-such-group-here connect:getattr"),
              "a.rules line 1: unknown group 'no-such-group-here'");
    EXPECT_EQ(error("allow any domain"),
              "a.rules line 1: cannot read 'domain' (want OBJECT:PERMISSIONS)");
    EXPECT_EQ(error("allow any dom:start"),
              "a.rules line 1: unknown object 'dom' (want connect, domain, network, "
              "storage_pool, storage_vol or *)");
    EXPECT_EQ(error("allow any domain:"), "a.rules line 1: no permissions after 'domain:'");
    EXPECT_EQ(error("allow any domain:strat"),
              "a.rules line 1: unknown 'domain' permission 'strat'");
    EXPECT_EQ(error("allow any *:nope"), "a.rules line 1: unknown permission 'nope'");
    EXPECT_EQ(error("allow any domain:start,*"),
              "a.rules line 1: '*' cannot be mixed with other permissions");
    EXPECT_EQ(error("allow any connect:read name=x"),
              "a.rules line 1: name= does not apply to 'connect'");
    EXPECT_EQ(error("allow any domain:read name="), "a.rules line 1: empty name=");
    EXPECT_EQ(error("allow any domain:read extra"),
              "a.rules line 1: unexpected 'extra' (only name=GLOB may follow the permissions)");
    EXPECT_EQ(error("\n\nallow dn=\"CN=x connect:read"), "a.rules line 3: unterminated quote");
}

TEST(AccessPolicy, TheDocumentedExampleLoads) {
    Result<AccessPolicy> p = AccessPolicy::load(VIRTD_ACCESS_EXAMPLE);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_TRUE(p->check(sasl("ops"), K::Domain, "start", "web-1"));
    EXPECT_FALSE(p->check(sasl("ops"), K::Domain, "delete", "web-1"));
    EXPECT_FALSE(p->check(sasl("ops"), K::Domain, "getattr", "db-1"));
    EXPECT_TRUE(p->check(tls_dn("C=GB,O=Example Corp,OU=Admins,CN=ann"), K::Domain, "delete", "x"));
    EXPECT_TRUE(p->check(tls_dn("C=GB,O=Example Corp,CN=backup"), K::StorageVol, "data_read",
                         "images/a.qcow2"));
}

TEST(AccessPolicy, LoadNamesTheFile) {
    Result<AccessPolicy> missing = AccessPolicy::load("/nonexistent/virtd.rules");
    ASSERT_FALSE(missing.ok());
    EXPECT_THAT(missing.error().message(), ::testing::HasSubstr("/nonexistent/virtd.rules"));
}

TEST(AccessPolicy, TheIssuesExample) {
    AccessPolicy p = rules();
    ClientInfo ops = sasl("ops");
    EXPECT_TRUE(p.check(ops, K::Domain, "start", "web-1"));
    EXPECT_TRUE(p.check(ops, K::Domain, "stop", "web-1"));
    EXPECT_TRUE(p.check(ops, K::Domain, "getattr", "web-2"));
    EXPECT_FALSE(p.check(ops, K::Domain, "write", "web-1"));  // define
    EXPECT_FALSE(p.check(ops, K::Domain, "delete", "web-1")); // undefine
    EXPECT_FALSE(p.check(ops, K::Domain, "start", "db-1"));
    EXPECT_FALSE(p.check(ops, K::Domain, "getattr", "db-1"));
    EXPECT_FALSE(p.check(ops, K::Domain, "start", "")); // no name: name= rules do not apply
    EXPECT_TRUE(p.check(ops, K::Connect, "search_domains", ""));
    EXPECT_FALSE(p.check(ops, K::Connect, "write", ""));
    EXPECT_FALSE(p.check(sasl("ops2"), K::Domain, "start", "web-1"));
}

TEST(AccessPolicy, MatchesDnUidAndGroup) {
    AccessPolicy p = rules();
    EXPECT_TRUE(
        p.check(tls_dn("CN=backup,O=Example Corp"), K::StorageVol, "data_read", "images/a.qcow2"));
    EXPECT_FALSE(
        p.check(tls_dn("CN=backup,O=Example Corp"), K::StorageVol, "data_read", "other/a.qcow2"));
    EXPECT_FALSE(p.check(tls_dn("CN=backup,O=Example"), K::StorageVol, "data_read", "images/a"));
    EXPECT_TRUE(p.check(tls_dn("CN=monitor-3,O=Example Corp"), K::Network, "read", "default"));
    EXPECT_TRUE(p.check(tls_dn("CN=monitor-3,O=Example Corp"), K::Domain, "getattr", "x"));
    EXPECT_FALSE(p.check(tls_dn("CN=monitor-3,O=Example Corp"), K::Domain, "start", "x"));

    EXPECT_TRUE(p.check(unix_peer(1234, 100), K::Network, "start", "default"));
    EXPECT_FALSE(p.check(unix_peer(1235, 100), K::Network, "start", "default"));
    ClientInfo tcp_1234 = unix_peer(1234, 100);
    tcp_1234.transport = Transport::Tcp; // uid= only means unix socket peers
    EXPECT_FALSE(p.check(tcp_1234, K::Network, "start", "default"));
    EXPECT_TRUE(p.check(unix_peer(1, 4321), K::StoragePool, "refresh", "default"));
    EXPECT_FALSE(p.check(unix_peer(1, 4321), K::StoragePool, "refresh", "other"));

    // the catch-all at the end, then default deny
    EXPECT_TRUE(p.check(sasl("nobody"), K::Connect, "getattr", ""));
    EXPECT_FALSE(p.check(sasl("nobody"), K::Connect, "read", ""));
}

TEST(AccessPolicy, NamedUsersAndGroupsResolveWhenRead) {
    Result<AccessPolicy> p =
        AccessPolicy::parse("allow unixuser=root domain:read\nallow group=root network:read", "x");
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_TRUE(p->check(unix_peer(0, 1), K::Domain, "read", "a"));
    EXPECT_FALSE(p->check(unix_peer(5, 5), K::Domain, "read", "a"));
    EXPECT_TRUE(p->check(unix_peer(5, 0), K::Network, "read", "a"));
}

TEST(AccessPolicy, DefaultPolicy) {
    AccessPolicy p = rules();
    Decider none{nullptr, 1000};
    Decider with{&p, 1000};
    ClientInfo root = unix_peer(0, 0);
    ClientInfo self = unix_peer(1000, 1000);
    ClientInfo other = unix_peer(2000, 2000);
    ClientInfo ops = sasl("ops");
    ClientInfo tcp;
    tcp.transport = Transport::Tcp;

    // local root and the daemon's own user: everything, rules or not
    for (const Decider& d : {none, with}) {
        EXPECT_TRUE(decide(d, root, false, K::Domain, "delete", "db-1"));
        EXPECT_TRUE(decide(d, self, false, K::Domain, "delete", "db-1"));
        EXPECT_FALSE(name_matters(d, root));
    }
    // read-only: reads only, even for root
    EXPECT_TRUE(decide(none, root, true, K::Domain, "getattr", "db-1"));
    EXPECT_TRUE(decide(none, root, true, K::Connect, "search_domains", ""));
    EXPECT_FALSE(decide(none, root, true, K::Domain, "start", "db-1"));
    ClientInfo ro_socket = root;
    ro_socket.readonly_socket = true;
    EXPECT_FALSE(decide(none, ro_socket, false, K::Domain, "start", "db-1"));

    // no rules file: everything for everyone (libvirt's "none" access driver)
    EXPECT_TRUE(decide(none, tcp, false, K::Domain, "delete", "x"));
    EXPECT_TRUE(decide(none, other, false, K::Domain, "delete", "x"));
    EXPECT_FALSE(name_matters(none, tcp));
    // a rules file: remote and other local clients get what it grants
    EXPECT_TRUE(decide(with, ops, false, K::Domain, "start", "web-1"));
    EXPECT_FALSE(decide(with, ops, false, K::Domain, "write", "web-1"));
    EXPECT_FALSE(decide(with, ops, true, K::Domain, "start", "web-1"));
    EXPECT_FALSE(decide(with, tcp, false, K::Domain, "getattr", "web-1"));
    EXPECT_FALSE(decide(with, other, false, K::Domain, "getattr", "web-1"));
    EXPECT_TRUE(name_matters(with, ops));
}

TEST(AccessPolicy, DeniedNamesThePermission) {
    Error e = denied(sasl("ops"), K::Domain, "start", "web-1");
    EXPECT_EQ(e.code(), ErrorCode::AccessDenied);
    EXPECT_EQ(e.domain(), ErrorDomain::Access);
    EXPECT_EQ(e.message(),
              "access denied: 'domain' permission 'start' on 'web-1' is not granted to user 'ops'");
    EXPECT_EQ(denied(unix_peer(7, 7), K::Connect, "write", "").message(),
              "access denied: 'connect' permission 'write' is not granted to uid 7");
    EXPECT_EQ(denied(tls_dn("CN=a"), K::Network, "read", "n").message(),
              "access denied: 'network' permission 'read' on 'n' is not granted to client 'CN=a'");
}

// Every procedure names its permissions, and they are libvirt's names.
TEST(AccessPolicy, EveryProcedureNamesKnownPermissions) {
    int procs = 0;
    for (int32_t n = 0; n < 1000; ++n) {
        const rpc::ProcedureInfo* info = rpc::remote_procedure(n);
        if (!info) continue;
        ++procs;
        for (const rpc::AclPermission& p : info->acl) {
            EXPECT_TRUE(is_known_permission(p.object, p.perm)) << info->name << " " << p.perm;
        }
        for (const rpc::AclPermission& p : info->filter) {
            EXPECT_TRUE(is_known_permission(p.object, p.perm)) << info->name << " " << p.perm;
            EXPECT_TRUE(is_read_permission(p.perm)) << info->name;
        }
        // calls allowed on read-only connections need only read permissions
        if (info->flags & rpc::kProcReadOnly) {
            for (const rpc::AclPermission& p : info->acl) {
                EXPECT_TRUE(is_read_permission(p.perm)) << info->name << " " << p.perm;
            }
        }
    }
    EXPECT_GT(procs, 100);
    const rpc::ProcedureInfo* define = rpc::remote_procedure(11);
    ASSERT_EQ(define->acl.size(), 2u);
    EXPECT_EQ(define->acl[0].object, K::Domain);
    EXPECT_STREQ(define->acl[0].perm, "write");
    EXPECT_STREQ(define->acl[1].perm, "save");
    const rpc::ProcedureInfo* list = rpc::remote_procedure(273);
    ASSERT_EQ(list->filter.size(), 1u);
    EXPECT_STREQ(list->filter[0].perm, "getattr");
    EXPECT_TRUE(rpc::remote_procedure(66)->acl.empty()); // auth_list: acl=none
}

} // namespace
} // namespace virtd::acl
