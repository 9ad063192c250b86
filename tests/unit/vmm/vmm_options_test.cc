#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/kvm/vmm/vmm_options.h"

namespace virtd::vmm {
namespace {

using ::testing::HasSubstr;

TEST(VmmOptions, ParsesEverythingItKnows) {
    Result<VmmOptions> o = parse_vmm_options(
        {"--kernel", "Image", "--initrd", "initrd.gz", "--append", "console=ttyS0 halt=1",
         "--memory", "512M", "--smp", "2", "--console", "unix:/tmp/c.sock"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->kernel, "Image");
    EXPECT_EQ(o->initrd, "initrd.gz");
    EXPECT_EQ(o->append, "console=ttyS0 halt=1");
    EXPECT_EQ(o->memory, 512ull << 20);
    EXPECT_EQ(o->smp, 2u);
    EXPECT_EQ(o->console.kind, ConsoleSpec::Kind::Unix);
    EXPECT_EQ(o->console.path, "/tmp/c.sock");
}

TEST(VmmOptions, DefaultsAreOneVcpu256MAndStdio) {
    Result<VmmOptions> o = parse_vmm_options({"--kernel", "Image"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->memory, 256ull << 20);
    EXPECT_EQ(o->smp, 1u);
    EXPECT_EQ(o->console.kind, ConsoleSpec::Kind::Stdio);
}

TEST(VmmOptions, ErrorsNameTheOptionAndTheProblem) {
    auto error_of = [](std::vector<std::string> args) {
        Result<VmmOptions> o = parse_vmm_options(args);
        return o ? std::string("no error") : o.error().message();
    };
    EXPECT_THAT(error_of({}), HasSubstr("--kernel: a kernel image is required"));
    EXPECT_THAT(error_of({"--kernel"}), HasSubstr("--kernel: needs a value"));
    EXPECT_THAT(error_of({"--kernel", "I", "--smp", "0"}), HasSubstr("--smp: '0' is not"));
    EXPECT_THAT(error_of({"--kernel", "I", "--smp", "2x"}), HasSubstr("--smp: '2x' is not"));
    EXPECT_THAT(error_of({"--kernel", "I", "--memory", "lots"}), HasSubstr("'lots' is not a size"));
    EXPECT_THAT(error_of({"--kernel", "I", "--memory", "12Q"}), HasSubstr("unknown unit 'Q'"));
    EXPECT_THAT(error_of({"--kernel", "I", "--memory", "1M"}), HasSubstr("outside 16M"));
    EXPECT_THAT(error_of({"--kernel", "I", "--console", "tcp:1"}),
                HasSubstr("--console: 'tcp:1' is not stdio, pty or unix:PATH"));
    EXPECT_THAT(error_of({"--kernel", "I", "--bogus"}), HasSubstr("--bogus: unknown option"));
}

TEST(VmmOptions, DevicesAreParsed) {
    Result<VmmOptions> o = parse_vmm_options({"--kernel",  "I",
                                              "--rng",     "--balloon",
                                              "--disk",    "/d.img,readonly,serial=S1",
                                              "--disk",    "/e.img,format=raw,direct",
                                              "--net",     "tap=vnet0,mac=52:54:00:00:00:01",
                                              "--net",     "switch=/s.sock,trunk=10,20,30",
                                              "--net",     "switch=/s.sock,vlan=7",
                                              "--channel", "org.virtd.agent=unix:/a.sock",
                                              "--hvc",     "unix:/h.sock",
                                              "--monitor", "/m.sock"});
    ASSERT_TRUE(o) << o.error().message();
    EXPECT_TRUE(o->rng);
    EXPECT_TRUE(o->balloon);
    EXPECT_FALSE(o->balloon_deflate_on_oom);
    EXPECT_TRUE(
        parse_vmm_options({"--kernel", "I", "--balloon=deflate-on-oom"})->balloon_deflate_on_oom);
    ASSERT_EQ(o->disks.size(), 2u);
    EXPECT_EQ(o->disks[0].path, "/d.img");
    EXPECT_TRUE(o->disks[0].read_only);
    EXPECT_EQ(o->disks[0].serial, "S1");
    EXPECT_TRUE(o->disks[1].direct);
    ASSERT_EQ(o->nets.size(), 3u);
    EXPECT_EQ(o->nets[0].kind, NetSpec::Kind::Tap);
    EXPECT_EQ(o->nets[0].target, "vnet0");
    EXPECT_EQ(o->nets[0].mac.format(), "52:54:00:00:00:01");
    EXPECT_EQ(o->nets[1].kind, NetSpec::Kind::Switch);
    EXPECT_EQ(o->nets[1].trunk, (std::vector<uint16_t>{10, 20, 30}));
    EXPECT_EQ(o->nets[2].vlan, 7);
    EXPECT_TRUE(o->nets[2].trunk.empty());
    EXPECT_FALSE(o->nets[1].mac == o->nets[2].mac); // generated, distinct
    ASSERT_EQ(o->channels.size(), 1u);
    EXPECT_EQ(o->channels[0].name, "org.virtd.agent");
    EXPECT_EQ(o->channels[0].path, "/a.sock");
    EXPECT_EQ(o->hvc, "/h.sock");
    EXPECT_EQ(o->monitor, "/m.sock");
}

TEST(VmmOptions, BadDevicesAreRefusedClearly) {
    auto error_of = [](std::vector<std::string> args) {
        args.insert(args.begin(), {"--kernel", "I"});
        Result<VmmOptions> o = parse_vmm_options(args);
        return o ? std::string("no error") : o.error().message();
    };
    EXPECT_THAT(error_of({"--disk", "/d,format=qcow3"}), HasSubstr("format 'qcow3'"));
    EXPECT_THAT(error_of({"--disk", "/d,serial=123456789012345678901"}),
                HasSubstr("longer than 20"));
    EXPECT_THAT(error_of({"--disk", "/d,bogus"}), HasSubstr("unknown setting 'bogus'"));
    EXPECT_THAT(error_of({"--net", "user"}), HasSubstr("tap=IFNAME or switch=SOCKET"));
    EXPECT_THAT(error_of({"--net", "switch=/s,vlan=4095"}), HasSubstr("VLAN id from 1 to 4094"));
    EXPECT_THAT(error_of({"--net", "tap=t0,vlan=5"}), HasSubstr("switch ports"));
    EXPECT_THAT(error_of({"--net", "tap=t0,mac=01:00:00:00:00:01"}), HasSubstr("multicast"));
    EXPECT_THAT(error_of({"--net", "tap=t0,mac=52:54:00:00:00:01", "--net",
                          "tap=t1,mac=52:54:00:00:00:01"}),
                HasSubstr("used twice"));
    EXPECT_THAT(error_of({"--channel", "agent"}), HasSubstr("NAME=unix:PATH"));
    EXPECT_THAT(error_of({"--channel", "a=unix:/x", "--channel", "a=unix:/y"}),
                HasSubstr("given twice"));
    EXPECT_THAT(error_of({"--hvc", "/x"}), HasSubstr("unix:PATH"));
}

TEST(VmmOptions, IncomingAndStartPaused) {
    Result<VmmOptions> o = parse_vmm_options(
        {"--kernel", "Image", "--incoming", "/var/lib/vm1.state", "--start-paused"});
    ASSERT_TRUE(o.ok()) << o.error().message();
    EXPECT_EQ(o->incoming, "/var/lib/vm1.state");
    EXPECT_TRUE(o->start_paused);
    Result<VmmOptions> plain = parse_vmm_options({"--kernel", "Image"});
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->incoming, "");
    EXPECT_FALSE(plain->start_paused);
    Result<VmmOptions> bad = parse_vmm_options({"--kernel", "Image", "--incoming"});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "--incoming: needs a value");
    Result<VmmOptions> empty = parse_vmm_options({"--kernel", "Image", "--incoming", ""});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().message(), "--incoming: needs a state file");
    EXPECT_THAT(vmm_usage(), HasSubstr("--incoming STATEFILE"));
}

TEST(VmmOptions, MemorySizesUseBinarySuffixes) {
    EXPECT_EQ(*parse_memory_size("1G"), 1ull << 30);
    EXPECT_EQ(*parse_memory_size("65536K"), 64ull << 20);
    EXPECT_EQ(*parse_memory_size("256MiB"), 256ull << 20);
    EXPECT_EQ(*parse_memory_size("268435456"), 256ull << 20);
    EXPECT_FALSE(parse_memory_size("99999999999999999999T").ok());
    EXPECT_FALSE(parse_memory_size("-1M").ok());
}

} // namespace
} // namespace virtd::vmm
