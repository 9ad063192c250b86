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
