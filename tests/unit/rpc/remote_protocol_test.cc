// The generated protocol code checked against wire captures (research/libvirt-rpc.md) and
// exercised through its dispatch table and client stubs.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rpc/remote_protocol.h"
#include "rpc/wire_error.h"
#include "tests/unit/rpc/hex.h"

namespace virtd::rpc {
namespace {

using testing::from_hex;
using ::testing::HasSubstr;
using testing::to_hex;

template <typename T>
std::string encoded(const T& v) {
    XdrWriter w;
    encode(w, v);
    return w.take();
}

TEST(RemoteProtocol, ErrorPayloadMatchesTheCapture) {
    // DOMAIN_LOOKUP_BY_NAME("nosuch") answered by libvirtd's test driver.
    std::string capture = from_hex("0000002a 0000000c 00000001 00000010 446f6d61 696e206e "
                                   "6f742066 6f756e64 00000002 00000000 00000001 00000010 "
                                   "446f6d61 696e206e 6f742066 6f756e64 00000000 00000000 "
                                   "ffffffff ffffffff 00000000");
    RemoteError e;
    XdrReader r(capture);
    ASSERT_TRUE(decode(r, e) && r.finish()) << r.error();
    EXPECT_EQ(e.code, 42);
    EXPECT_EQ(e.domain, 12);
    EXPECT_EQ(e.message, "Domain not found");
    EXPECT_EQ(e.level, 2);
    EXPECT_FALSE(e.dom);
    EXPECT_EQ(e.str1, "Domain not found");
    EXPECT_FALSE(e.str2);
    EXPECT_EQ(e.int1, -1);
    EXPECT_EQ(encoded(e), capture);
}

TEST(RemoteProtocol, WireErrorsKeepLibvirtNumbers) {
    RemoteError w = to_remote_error(
        make_error(ErrorCode::NoDomain, ErrorDomain::Qemu, "no domain with matching name 'x'"));
    EXPECT_EQ(w.code, 42);
    EXPECT_EQ(w.domain, 10);
    EXPECT_EQ(w.level, 2);
    EXPECT_EQ(w.message, "Domain not found: no domain with matching name 'x'");
    EXPECT_EQ(w.int1, -1);
    EXPECT_EQ(w.int2, -1);
    Error back = from_remote_error(w);
    EXPECT_EQ(back.code(), ErrorCode::NoDomain);
    EXPECT_EQ(back.domain(), ErrorDomain::Qemu);

    // Clients recognise "unknown procedure" only if it arrives exactly like this.
    RemoteError u = to_remote_error(unknown_procedure(9999));
    EXPECT_EQ(u.code, 39);
    EXPECT_EQ(u.domain, 7);
    EXPECT_EQ(u.message, "unknown procedure: 9999");
    EXPECT_EQ(u.str1, "%s");
    EXPECT_EQ(u.str2, "unknown procedure: 9999");
}

TEST(RemoteProtocol, NodeInfoModelIsThirtyTwoFourByteChars) {
    NodeGetInfoRet info{"i686", 3000000, 16, 1400, 2, 4, 2, 2};
    std::string bytes = encoded(info);
    EXPECT_EQ(bytes.size(), 32 * 4 + 8 + 6 * 4);
    EXPECT_EQ(to_hex(bytes.substr(0, 20)), "00000069 00000036 00000038 00000036 00000000");
    NodeGetInfoRet back;
    XdrReader r(bytes);
    ASSERT_TRUE(decode(r, back) && r.finish());
    EXPECT_EQ(back, info);
}

TEST(RemoteProtocol, TypedParamsMatchTheMigrationCapture) {
    DomainMigrateBegin3ParamsArgs args;
    args.dom = {"vm", {}, -1};
    TypedParam uri;
    uri.field = "migrate_uri";
    uri.value.type = 7;
    uri.value.s = "tcp://127.0.0.1";
    TypedParam listen;
    listen.field = "listen_address";
    listen.value.type = 7;
    listen.value.s = "127.0.0.1";
    args.params = {uri, listen};
    std::string bytes = encoded(args);
    std::string params = from_hex("00000002 0000000b 6d696772 6174655f 75726900 00000007 "
                                  "0000000f 7463703a 2f2f3132 372e302e 302e3100 0000000e "
                                  "6c697374 656e5f61 64647265 73730000 00000007 00000009 "
                                  "3132372e 302e302e 31000000");
    EXPECT_NE(bytes.find(params), std::string::npos) << to_hex(bytes);
    DomainMigrateBegin3ParamsArgs back;
    XdrReader r(bytes);
    ASSERT_TRUE(decode(r, back) && r.finish());
    EXPECT_EQ(back, args);
    TypedParamValue bad;
    std::string u_bytes = from_hex("00000009 00000000");
    XdrReader u(u_bytes);
    EXPECT_FALSE(decode(u, bad));
    EXPECT_THAT(u.error(), HasSubstr("unknown TypedParamValue type 9"));
}

TEST(RemoteProtocol, ProcedureTableCarriesAttributes) {
    const ProcedureInfo* open = remote_procedure(1);
    ASSERT_NE(open, nullptr);
    EXPECT_STREQ(open->name, "connect_open");
    EXPECT_TRUE(open->flags & kProcPreOpen);
    const ProcedureInfo* define = remote_procedure(11);
    ASSERT_NE(define, nullptr);
    EXPECT_FALSE(define->flags & kProcReadOnly);
    EXPECT_TRUE(remote_procedure(23)->flags & kProcReadOnly);
    EXPECT_EQ(remote_procedure(9999), nullptr);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::ConnectListAllDomains), 273);
}

TEST(RemoteProtocol, StatisticsProceduresKeepLibvirtsNumbersAndAttributes) {
    // Numbers as stock virsh sends them (proc=N in its rpc trace).
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::DomainBlockStats), 64);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::DomainInterfaceStats), 65);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::DomainMemoryStats), 159);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::DomainBlockStatsFlags), 243);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::DomainGetCpuStats), 262);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::ConnectGetDomainCapabilities), 342);
    EXPECT_EQ(static_cast<int32_t>(RemoteProc::ConnectGetAllDomainStats), 344);
    for (int32_t proc : {64, 65, 159, 243, 262, 344})
        EXPECT_TRUE(remote_procedure(proc)->flags & kProcReadOnly) << proc;
    // domcapabilities may run an emulator: libvirt refuses it to read-only connections.
    EXPECT_FALSE(remote_procedure(342)->flags & kProcReadOnly);
}

TEST(RemoteProtocol, StatisticsLayouts) {
    // Memory stats: a counted array of (int tag, unsigned hyper value).
    DomainMemoryStatsRet mem;
    mem.stats = {{6, 65536}, {7, 0x100000001}};
    EXPECT_EQ(to_hex(encoded(mem)), "00000002 00000006 00000000 00010000 00000007 00000001 "
                                    "00000001");
    // Block stats: five signed hypers, -1 for an unknown counter.
    DomainBlockStatsRet blk{1, 2, 3, 4, -1};
    EXPECT_EQ(encoded(blk).size(), 5u * 8);
    EXPECT_EQ(to_hex(encoded(blk).substr(32)), "ffffffff ffffffff");
    // domstats: per domain its handle and typed parameters.
    ConnectGetAllDomainStatsRet all;
    DomainStatsRecord rec;
    rec.dom = {"a", {}, 3};
    TypedParam st;
    st.field = "state.state";
    st.value.type = 1;
    st.value.i = 1;
    rec.params = {st};
    all.ret_stats = {rec};
    EXPECT_EQ(to_hex(encoded(all)), "00000001 00000001 61000000 00000000 00000000 00000000 "
                                    "00000000 00000003 00000001 0000000b 73746174 652e7374 "
                                    "61746500 00000001 00000001");
    ConnectGetAllDomainStatsRet back;
    std::string bytes = encoded(all);
    XdrReader r(bytes);
    ASSERT_TRUE(decode(r, back) && r.finish());
    EXPECT_EQ(back, all);
    // domcapabilities: four optional strings and the flags.
    ConnectGetDomainCapabilitiesArgs caps{std::nullopt, "riscv64", std::nullopt, std::nullopt, 0};
    EXPECT_EQ(to_hex(encoded(caps)), "00000000 00000001 00000007 72697363 76363400 00000000 "
                                     "00000000 00000000");
}

// A server that knows one domain.
class OneDomain : public RemoteHandlers {
public:
    Result<DomainLookupByNameRet> domain_lookup_by_name(const CallContext& ctx,
                                                        const DomainLookupByNameArgs& a) override {
        last_client = ctx.client_id;
        if (a.name != "web1")
            return make_error(ErrorCode::NoDomain, ErrorDomain::Dom, "no domain '{}'", a.name);
        return DomainLookupByNameRet{{"web1", {1, 2, 3}, 7}};
    }
    Status connect_close(const CallContext&) override {
        closed = true;
        return {};
    }
    uint64_t last_client = 0;
    bool closed = false;
};

// Records the permission checks dispatch asks for; refuses `refuse`.
class Checks : public OneDomain {
public:
    Status authorize(const CallContext&, const AclCheck& c) override {
        std::string what = fmt::format("{}:{} name={} parent={} xml={}", static_cast<int>(c.object),
                                       c.perm, c.name, c.parent, c.xml.empty() ? "no" : "yes");
        seen.push_back(what);
        if (what == refuse)
            return make_error(ErrorCode::AccessDenied, ErrorDomain::Access, "no {}", c.perm);
        return {};
    }
    std::vector<std::string> seen;
    std::string refuse;
};

TEST(RemoteProtocol, DispatchChecksThePermissionsOnTheObject) {
    auto run = [](Checks& h, int32_t proc, const std::string& payload) {
        XdrReader in(payload);
        XdrWriter out;
        return dispatch_remote(h, CallContext{}, proc, in, out);
    };
    auto payload = [](const auto& args) {
        XdrWriter w;
        encode(w, args);
        return w.take();
    };
    NonnullDomain web1{"web1", {}, -1};
    {
        Checks h; // domain_create: domain:start on the argument
        EXPECT_FALSE(run(h, 9, payload(DomainCreateArgs{web1})).ok()); // not implemented here
        EXPECT_THAT(h.seen, ::testing::ElementsAre("1:start name=web1 parent= xml=no"));
    }
    {
        Checks h; // define: write and save on the domain the XML describes
        h.refuse = "1:save name= parent= xml=yes";
        Status s = run(h, 11, payload(DomainDefineXmlArgs{"<domain/>"}));
        EXPECT_EQ(s.error().code(), ErrorCode::AccessDenied);
        EXPECT_THAT(h.seen, ::testing::ElementsAre("1:write name= parent= xml=yes",
                                                   "1:save name= parent= xml=yes"));
    }
    {
        Checks h; // lookup: getattr on the domain found, after the handler ran
        h.refuse = "1:getattr name=web1 parent= xml=no";
        Status s = run(h, 23, payload(DomainLookupByNameArgs{"web1"}));
        EXPECT_EQ(s.error().code(), ErrorCode::AccessDenied);
    }
    {
        Checks h; // volumes carry their pool; snapshots are checked as their domain
        (void)run(h, 94, payload(StorageVolDeleteArgs{{"images", "a.img", "/k"}, 0}));
        (void)run(h, 193, payload(DomainSnapshotDeleteArgs{{"s1", web1}, 0}));
        (void)run(h, 3, "");
        EXPECT_THAT(h.seen, ::testing::ElementsAre("4:delete name=a.img parent=images xml=no",
                                                   "1:snapshot name=web1 parent= xml=no",
                                                   "0:getattr name= parent= xml=no"));
    }
}

TEST(RemoteProtocol, DispatchDecodesCallsAndEncodesReplies) {
    OneDomain server;
    CallContext ctx{42, false};
    XdrWriter args;
    encode(args, DomainLookupByNameArgs{"web1"});
    XdrReader in(args.data());
    XdrWriter out;
    ASSERT_TRUE(dispatch_remote(server, ctx, 23, in, out).ok());
    EXPECT_EQ(server.last_client, 42u);
    EXPECT_EQ(to_hex(out.data()), "00000004 77656231 01020300 00000000 00000000 00000000 "
                                  "00000007");

    XdrReader none(std::string_view{});
    XdrWriter ignored;
    EXPECT_TRUE(dispatch_remote(server, ctx, 2, none, ignored).ok());
    EXPECT_TRUE(server.closed);
}

TEST(RemoteProtocol, DispatchRefusesUnknownAndMalformedCalls) {
    OneDomain server;
    CallContext ctx;
    XdrReader empty(std::string_view{});
    XdrWriter out;
    Status unknown = dispatch_remote(server, ctx, 9999, empty, out);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().message(), "unknown procedure: 9999");

    // Implemented by nobody: the default is "unknown procedure" too, so clients fall back.
    std::string feature_bytes = from_hex("0000000a");
    XdrReader feature(feature_bytes);
    EXPECT_EQ(dispatch_remote(server, ctx, 60, feature, out).error().message(),
              "unknown procedure: 60");

    std::string truncated_bytes = from_hex("00000010 7765");
    XdrReader truncated(truncated_bytes);
    Status bad = dispatch_remote(server, ctx, 23, truncated, out);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code(), ErrorCode::Rpc);
    EXPECT_THAT(bad.error().message(), HasSubstr("malformed arguments to domain_lookup_by_name"));

    std::string trailing_bytes = from_hex("00000000 00000001");
    XdrReader trailing(trailing_bytes);
    EXPECT_FALSE(dispatch_remote(server, ctx, 2, trailing, out).ok());
}

// Client stubs talking straight to the dispatch table.
class Loopback : public RpcCaller {
public:
    explicit Loopback(RemoteHandlers& h)
        : handlers_(h) {}
    Result<std::string> call(uint32_t program, uint32_t version, int32_t proc,
                             std::string args) override {
        EXPECT_EQ(program, kRemoteProgram);
        EXPECT_EQ(version, 1u);
        XdrReader in(args);
        XdrWriter out;
        Status s = dispatch_remote(handlers_, CallContext{}, proc, in, out);
        if (!s) return s.error();
        return out.take();
    }

private:
    RemoteHandlers& handlers_;
};

TEST(RemoteProtocol, ClientStubsRoundTrip) {
    OneDomain server;
    Loopback loop(server);
    RemoteClient client(loop);
    Result<DomainLookupByNameRet> found = client.domain_lookup_by_name({"web1"});
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->dom.name, "web1");
    EXPECT_EQ(found->dom.id, 7);
    Result<DomainLookupByNameRet> missing = client.domain_lookup_by_name({"nope"});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code(), ErrorCode::NoDomain);
    EXPECT_TRUE(client.connect_close().ok());
    EXPECT_EQ(client.connect_get_hostname().error().message(), "unknown procedure: 59");
}

} // namespace
} // namespace virtd::rpc
