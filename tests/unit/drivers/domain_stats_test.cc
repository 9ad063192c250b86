// drivers/domain_stats composed over the mock driver, whose figures are fixed functions of the
// definition, so every field can be checked exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/domain_stats.h"
#include "drivers/mock/mock_domain_driver.h"

namespace virtd {
namespace {

using ::testing::Contains;
using ::testing::Not;

constexpr const char* kXml =
    "<domain type='kvm'><name>web1</name><memory unit='MiB'>64</memory>"
    "<currentMemory unit='MiB'>32</currentMemory><vcpu current='1'>2</vcpu>"
    "<os><type arch='riscv64' machine='virt'>hvm</type></os><devices>"
    "<disk type='file' device='disk'><source file='/img/a.raw'/><target dev='vda' bus='virtio'/>"
    "</disk><disk type='file' device='disk'><source file='/img/b.raw'/>"
    "<target dev='vdb' bus='virtio'/></disk>"
    "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/>"
    "<target dev='vnet0'/></interface>"
    "<interface type='network'><mac address='52:54:00:00:00:02'/><source network='default'/>"
    "</interface></devices></domain>";

StatParam p(std::string f, TypedValue v) {
    return {std::move(f), std::move(v)};
}

class DomainStatsTest : public ::testing::Test {
protected:
    void SetUp() override {
        Result<DomainRef> r = d.define_xml(kXml);
        ASSERT_TRUE(r.ok()) << r.error().message();
        dom = *r;
    }
    MockDomainDriver d;
    DomainRef dom;
};

TEST_F(DomainStatsTest, InactiveDomainHasStateBalloonVcpusAndDiskNames) {
    std::vector<StatParam> s = collect_domain_stats(d, dom, 0);
    EXPECT_EQ(s, (std::vector<StatParam>{
                     p("state.state", int32_t{5}),
                     p("state.reason", int32_t{0}),
                     p("balloon.current", uint64_t{32768}),
                     p("balloon.maximum", uint64_t{65536}),
                     p("vcpu.current", uint32_t{1}),
                     p("vcpu.maximum", uint32_t{2}),
                     p("block.count", uint32_t{2}),
                     p("block.0.name", std::string("vda")),
                     p("block.0.path", std::string("/img/a.raw")),
                     p("block.1.name", std::string("vdb")),
                     p("block.1.path", std::string("/img/b.raw")),
                 }));
}

TEST_F(DomainStatsTest, RunningDomainHasEveryGroup) {
    Result<DomainRef> run = d.start(dom, 0);
    ASSERT_TRUE(run.ok());
    std::vector<StatParam> s = collect_domain_stats(d, *run, 0);
    auto find = [&](const std::string& f) -> const TypedValue* {
        for (const StatParam& x : s)
            if (x.field == f) return &x.value;
        return nullptr;
    };
    EXPECT_EQ(*find("state.state"), TypedValue(int32_t{1}));
    EXPECT_EQ(*find("state.reason"), TypedValue(int32_t{1}));
    ASSERT_NE(find("cpu.time"), nullptr);
    EXPECT_TRUE(std::holds_alternative<uint64_t>(*find("cpu.time")));
    EXPECT_EQ(*find("balloon.current"), TypedValue(uint64_t{32768}));
    EXPECT_EQ(*find("balloon.unused"), TypedValue(uint64_t{16384}));
    EXPECT_EQ(*find("balloon.available"), TypedValue(uint64_t{32768}));
    EXPECT_EQ(*find("balloon.rss"), TypedValue(uint64_t{8192}));
    EXPECT_EQ(*find("balloon.usable"), TypedValue(uint64_t{24576}));
    EXPECT_EQ(*find("balloon.disk_caches"), TypedValue(uint64_t{4096}));
    EXPECT_EQ(*find("vcpu.0.state"), TypedValue(int32_t{1}));
    EXPECT_NE(find("vcpu.0.time"), nullptr);
    EXPECT_EQ(find("vcpu.1.state"), nullptr); // only one of two is online
    EXPECT_EQ(*find("net.count"), TypedValue(uint32_t{2}));
    EXPECT_EQ(*find("net.0.name"), TypedValue(std::string("vnet0")));
    // No host device: the MAC names it, and interface_stats accepts that name.
    EXPECT_EQ(*find("net.1.name"), TypedValue(std::string("52:54:00:00:00:02")));
    EXPECT_EQ(*find("net.0.rx.bytes"), TypedValue(uint64_t{2000}));
    EXPECT_EQ(*find("net.1.rx.pkts"), TypedValue(uint64_t{40}));
    EXPECT_EQ(*find("net.1.tx.bytes"), TypedValue(uint64_t{2000}));
    EXPECT_EQ(*find("net.0.tx.drop"), TypedValue(uint64_t{0}));
    EXPECT_EQ(*find("block.count"), TypedValue(uint32_t{2}));
    EXPECT_EQ(*find("block.0.rd.reqs"), TypedValue(uint64_t{100}));
    EXPECT_EQ(*find("block.1.rd.bytes"), TypedValue(uint64_t{200 * 4096}));
    EXPECT_EQ(*find("block.1.wr.reqs"), TypedValue(uint64_t{20}));
    EXPECT_EQ(*find("block.0.wr.bytes"), TypedValue(uint64_t{10 * 4096}));
}

// A driver that tells user and system time apart, as the kvm driver does.
class SplitCpuDriver : public MockDomainDriver {
public:
    Result<CpuTimes> cpu_times(const DomainRef&) override { return CpuTimes{100, 60, 40}; }
};

TEST(DomainStats, CpuTotalHasTheUserSystemSplitWhenKnown) {
    SplitCpuDriver d;
    Result<DomainRef> r = d.define_xml(kXml);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(d.start(*r, 0).ok());
    EXPECT_EQ(collect_domain_stats(d, *r, stats_group::kCpuTotal),
              (std::vector<StatParam>{p("cpu.time", uint64_t{100}), p("cpu.user", uint64_t{60}),
                                      p("cpu.system", uint64_t{40})}));
    // The mock does not split: only the total.
    MockDomainDriver m;
    Result<DomainRef> r2 = m.define_xml(kXml);
    ASSERT_TRUE(m.start(*r2, 0).ok());
    std::vector<StatParam> s = collect_domain_stats(m, *r2, stats_group::kCpuTotal);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].field, "cpu.time");
}

TEST_F(DomainStatsTest, GroupsSelectTheFields) {
    ASSERT_TRUE(d.start(dom, 0).ok());
    std::vector<StatParam> s = collect_domain_stats(d, dom, stats_group::kState);
    ASSERT_EQ(s.size(), 2u);
    s = collect_domain_stats(d, dom, stats_group::kInterface);
    EXPECT_EQ(s.front().field, "net.count");
    for (const StatParam& x : s)
        EXPECT_EQ(x.field.rfind("net.", 0), 0u) << x.field;
}

TEST_F(DomainStatsTest, AllDomainsFollowsTheListFlags) {
    ASSERT_TRUE(d.define_xml("<domain type='kvm'><name>db</name><memory unit='MiB'>16</memory>"
                             "<vcpu>1</vcpu><os><type>hvm</type></os></domain>")
                    .ok());
    ASSERT_TRUE(d.start(dom, 0).ok());
    Result<std::vector<DomainStats>> all = get_all_domain_stats(d, {}, stats_group::kState, 0);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    all = get_all_domain_stats(d, {}, stats_group::kState, stats_flag::kRunning);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().dom.name, "web1");
    EXPECT_GT(all->front().dom.id, 0); // the handle as it is now
    all = get_all_domain_stats(d, {}, stats_group::kState, stats_flag::kInactive);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().dom.name, "db");
    // The caller's filter (access control) hides domains.
    all = get_all_domain_stats(d, {}, stats_group::kState, 0,
                               [](const DomainRef& r) { return r.name != "web1"; });
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().dom.name, "db");
}

TEST_F(DomainStatsTest, EnforceRefusesGroupsWeLack) {
    constexpr unsigned kPerf = 64;
    Result<std::vector<DomainStats>> r =
        get_all_domain_stats(d, {dom}, kPerf, stats_flag::kEnforceStats);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::ArgumentUnsupported);
    // Without enforcement the unknown group is ignored.
    r = get_all_domain_stats(d, {dom}, kPerf | stats_group::kState, 0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->front().params.size(), 2u);
    EXPECT_THAT(r->front().params, Not(Contains(p("cpu.time", uint64_t{0}))));
}

TEST_F(DomainStatsTest, MockStatsNeedARunningDomainAndAKnownDevice) {
    EXPECT_EQ(d.memory_stats(dom, 0).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(d.start(dom, 0).ok());
    EXPECT_EQ(d.block_stats(dom, "/img/b.raw")->rd_req, 200);
    EXPECT_EQ(d.block_stats(dom, "vdz").error().code(), ErrorCode::InvalidArg);
    EXPECT_EQ(d.interface_stats(dom, "52:54:00:00:00:01")->tx_packets, 10);
    EXPECT_EQ(d.interface_stats(dom, "vnet9").error().code(), ErrorCode::InvalidArg);
}

} // namespace
} // namespace virtd
