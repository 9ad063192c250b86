// Access control through RemoteProcedures::handle_call, the way calls arrive from the server.
#include <type_traits>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/mock/mock_domain_driver.h"
#include "drivers/mock/mock_network_driver.h"
#include "drivers/mock/mock_storage_driver.h"
#include "rpc/remote_protocol.h"
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {
namespace {

using rpc::RemoteProc;

std::string domain_xml(std::string_view name) {
    return fmt::format("<domain type='kvm'><name>{}</name><memory unit='MiB'>64</memory>"
                       "<vcpu>1</vcpu><os><type>hvm</type></os></domain>",
                       name);
}

class RemoteAccess : public ::testing::Test {
protected:
    RemoteAccess()
        : events_(nullptr)
        , rp_({{{"mock:///default"}, "Mock", &domains_, &storage_, &networks_}}, events_) {
        rp_.set_daemon_uid(4242);
        root_.id = 1;
        root_.transport = rpc::Transport::Unix;
        root_.uid = 0;
        root_.gid = 0;
        ops_.id = 2;
        ops_.transport = rpc::Transport::Tls;
        ops_.sasl_user = "ops";
        tcp_.id = 3;
        tcp_.transport = rpc::Transport::Tcp;
    }

    template <typename Ret = void, typename Args>
    Result<Ret> call(const rpc::ClientInfo& who, RemoteProc proc, const Args& args) {
        rpc::XdrWriter w;
        encode(w, args);
        return call<Ret>(who, proc, w.take());
    }

    template <typename Ret = void>
    Result<Ret> call(const rpc::ClientInfo& who, RemoteProc proc, std::string payload = {}) {
        rpc::MessageHeader h;
        h.program = rpc::kRemoteProgram;
        h.proc = static_cast<int32_t>(proc);
        h.serial = ++serial_;
        Result<std::string> reply = rp_.handle_call(who, h, payload);
        if (!reply) return reply.error();
        if constexpr (std::is_void_v<Ret>) {
            return {};
        } else {
            Ret ret;
            rpc::XdrReader r(*reply);
            EXPECT_TRUE(decode(r, ret));
            return ret;
        }
    }

    Status open(const rpc::ClientInfo& who, uint32_t flags = 0) {
        return call(who, RemoteProc::ConnectOpen,
                    rpc::ConnectOpenArgs{std::string("mock:///default"), flags});
    }

    rpc::NonnullDomain define(const rpc::ClientInfo& who, std::string_view name) {
        Result<rpc::DomainDefineXmlRet> r = call<rpc::DomainDefineXmlRet>(
            who, RemoteProc::DomainDefineXml, rpc::DomainDefineXmlArgs{domain_xml(name)});
        EXPECT_TRUE(r.ok()) << r.error().message();
        return r ? r->dom : rpc::NonnullDomain{};
    }

    std::vector<std::string> listed(const rpc::ClientInfo& who) {
        Result<rpc::ConnectListAllDomainsRet> r = call<rpc::ConnectListAllDomainsRet>(
            who, RemoteProc::ConnectListAllDomains, rpc::ConnectListAllDomainsArgs{1, 0});
        EXPECT_TRUE(r.ok()) << r.error().message();
        std::vector<std::string> names;
        if (r) {
            EXPECT_EQ(r->ret, r->domains.size());
            for (const auto& d : r->domains)
                names.push_back(d.name);
        }
        return names;
    }

    void use_rules(std::string_view text) {
        Result<acl::AccessPolicy> p = acl::AccessPolicy::parse(text, "test.rules");
        ASSERT_TRUE(p.ok()) << p.error().message();
        rp_.set_access_policy(std::make_shared<const acl::AccessPolicy>(std::move(*p)));
    }

    MockDomainDriver domains_;
    MockStorageDriver storage_;
    MockNetworkDriver networks_;
    EventDispatcher events_;
    RemoteProcedures rp_;
    rpc::ClientInfo root_, ops_, tcp_;
    uint32_t serial_ = 0;
};

constexpr std::string_view kOpsRules = R"(
allow user=ops connect:getattr,read,write,search_domains
allow user=ops domain:getattr,read,start,stop name=web-*
)";

TEST_F(RemoteAccess, WithoutRulesEverythingIsAllowed) {
    ASSERT_TRUE(open(ops_).ok());
    define(ops_, "db-1");
    ASSERT_TRUE(open(tcp_).ok());
    EXPECT_THAT(listed(tcp_), ::testing::ElementsAre("db-1"));
}

TEST_F(RemoteAccess, OpsMayStartWebDomainsButNotDefineOrUndefineThem) {
    use_rules(kOpsRules);
    ASSERT_TRUE(open(root_).ok());
    rpc::NonnullDomain web1 = define(root_, "web-1");
    define(root_, "web-2");
    rpc::NonnullDomain db1 = define(root_, "db-1");

    ASSERT_TRUE(open(ops_).ok());
    EXPECT_THAT(listed(ops_), ::testing::UnorderedElementsAre("web-1", "web-2"));
    EXPECT_THAT(listed(root_), ::testing::UnorderedElementsAre("web-1", "web-2", "db-1"));

    // lookup and start
    Result<rpc::DomainLookupByNameRet> look = call<rpc::DomainLookupByNameRet>(
        ops_, RemoteProc::DomainLookupByName, rpc::DomainLookupByNameArgs{"web-1"});
    ASSERT_TRUE(look.ok()) << look.error().message();
    EXPECT_TRUE(call(ops_, RemoteProc::DomainCreate, rpc::DomainCreateArgs{web1}).ok());
    EXPECT_TRUE(*domains_.is_active(to_ref(web1)));
    EXPECT_TRUE(call(ops_, RemoteProc::DomainDestroy, rpc::DomainDestroyArgs{web1}).ok());

    // define and undefine: denied, naming the permission; nothing happened
    Status def =
        call(ops_, RemoteProc::DomainDefineXml, rpc::DomainDefineXmlArgs{domain_xml("web-3")});
    ASSERT_FALSE(def.ok());
    EXPECT_EQ(def.error().code(), ErrorCode::AccessDenied);
    EXPECT_EQ(def.error().message(),
              "access denied: 'domain' permission 'write' on 'web-3' is not granted to user 'ops'");
    EXPECT_FALSE(domains_.lookup_by_name("web-3").ok());
    Status undef = call(ops_, RemoteProc::DomainUndefine, rpc::DomainUndefineArgs{web1});
    ASSERT_FALSE(undef.ok());
    EXPECT_EQ(
        undef.error().message(),
        "access denied: 'domain' permission 'delete' on 'web-1' is not granted to user 'ops'");
    EXPECT_TRUE(domains_.lookup_by_name("web-1").ok());

    // other domains: not even their existence
    Status other = call(ops_, RemoteProc::DomainCreate, rpc::DomainCreateArgs{db1});
    EXPECT_EQ(other.error().code(), ErrorCode::AccessDenied);
    Status hidden = call(ops_, RemoteProc::DomainLookupByName, rpc::DomainLookupByNameArgs{"db-1"});
    EXPECT_EQ(hidden.error().message(), "access denied: 'domain' permission 'getattr' on 'db-1' "
                                        "is not granted to user 'ops'");

    // a rules file swapped in later (SIGHUP) applies to the next call
    use_rules("allow user=ops *:*");
    EXPECT_TRUE(call(ops_, RemoteProc::DomainUndefine, rpc::DomainUndefineArgs{web1}).ok());
}

TEST_F(RemoteAccess, SomeFlagsNeedMorePermissions) {
    use_rules(R"(
allow user=ops connect:getattr,read,write,search_domains
allow user=ops domain:getattr,read,write name=web-*
)");
    ASSERT_TRUE(open(root_).ok());
    rpc::NonnullDomain web1 = define(root_, "web-1");
    ASSERT_TRUE(open(ops_).ok());
    EXPECT_TRUE(call(ops_, RemoteProc::DomainGetXmlDesc, rpc::DomainGetXmlDescArgs{web1, 0}).ok());
    Status secure =
        call(ops_, RemoteProc::DomainGetXmlDesc, rpc::DomainGetXmlDescArgs{web1, 1}); // SECURE
    ASSERT_FALSE(secure.ok());
    EXPECT_EQ(secure.error().message(), "access denied: 'domain' permission 'read_secure' on "
                                        "'web-1' is not granted to user 'ops'");
    Status config = call(ops_, RemoteProc::DomainSetMemoryFlags,
                         rpc::DomainSetMemoryFlagsArgs{web1, 32768, 2}); // AFFECT_CONFIG
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().code(), ErrorCode::AccessDenied);
    EXPECT_NE(config.error().message().find("'save'"), std::string::npos);
}

TEST_F(RemoteAccess, RemoteClientsTheRulesDoNotNameAreDenied) {
    use_rules(kOpsRules);
    Status s = open(tcp_);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), ErrorCode::AccessDenied);
    EXPECT_EQ(s.error().message(),
              "access denied: 'connect' permission 'getattr' is not granted to this client");
}

TEST_F(RemoteAccess, ReadWriteOpenNeedsConnectWrite) {
    use_rules("allow user=ops connect:getattr,read,search_domains\nallow user=ops domain:getattr");
    Status rw = open(ops_);
    ASSERT_FALSE(rw.ok());
    EXPECT_EQ(rw.error().message(),
              "access denied: 'connect' permission 'write' is not granted to user 'ops'");
    ASSERT_TRUE(open(ops_, 1).ok()); // VIR_CONNECT_RO
    EXPECT_TRUE(listed(ops_).empty());
}

} // namespace
} // namespace virtd
