#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain.h"
#include "conf/units.h"

namespace virtd::conf {
namespace {

using ::testing::HasSubstr;

constexpr const char* kFull = R"(<domain type='kvm'>
  <name>web1</name>
  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
  <title>shop</title>
  <metadata><a:x xmlns:a='urn:a'>1</a:x></metadata>
  <memory unit='MiB'>512</memory>
  <currentMemory unit='MiB'>384</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <cputune><vcpupin vcpu='1' cpuset='2-3'/></cputune>
  <os>
    <type arch='riscv64' machine='virt'>hvm</type>
    <kernel>/boot/Image</kernel>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <clock offset='utc'/>
  <on_crash>preserve</on_crash>
  <devices><emulator>/usr/bin/qemu-system-riscv64</emulator></devices>
</domain>)";

TEST(Domain, ParsesCoreFields) {
    Result<DomainDef> d = DomainDef::parse(kFull);
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d->type, DomainType::Kvm);
    EXPECT_EQ(d->name, "web1");
    EXPECT_EQ(d->uuid.format(), "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    EXPECT_EQ(d->title, "shop");
    EXPECT_EQ(d->metadata, "<a:x xmlns:a='urn:a'>1</a:x>");
    EXPECT_EQ(d->memory, 512 * kMiB);
    EXPECT_EQ(d->current_memory, 384 * kMiB);
    EXPECT_EQ(d->vcpu.max, 2u);
    EXPECT_EQ(d->vcpu.current, 1u);
    EXPECT_EQ(d->vcpu.placement, VcpuPlacement::Static);
    ASSERT_TRUE(d->cputune);
    ASSERT_EQ(d->cputune->vcpupins.size(), 1u);
    EXPECT_EQ(d->cputune->vcpupins[0].vcpu, 1u);
    EXPECT_EQ(d->cputune->vcpupins[0].cpuset, "2-3");
    EXPECT_EQ(d->os.arch, "riscv64");
    EXPECT_EQ(d->os.kernel, "/boot/Image");
    EXPECT_EQ(d->os.cmdline, "console=ttyS0");
    EXPECT_EQ(d->on_crash, LifecycleAction::Preserve);
    EXPECT_EQ(d->on_poweroff, std::nullopt);
    EXPECT_EQ(d->devices.emulator, "/usr/bin/qemu-system-riscv64");
}

TEST(Domain, FormatsLikeLibvirt) {
    Result<DomainDef> d = DomainDef::parse(kFull);
    ASSERT_TRUE(d.ok());
    std::string xml = d->format();
    // Sizes in KiB, fields in libvirt's order.
    EXPECT_THAT(xml, HasSubstr("  <memory unit='KiB'>524288</memory>\n"
                               "  <currentMemory unit='KiB'>393216</currentMemory>\n"
                               "  <vcpu placement='static' current='1'>2</vcpu>\n"));
    EXPECT_THAT(xml, HasSubstr("<metadata>\n    <a:x xmlns:a='urn:a'>1</a:x>\n  </metadata>"));
    Result<DomainDef> again = DomainDef::parse(xml);
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *d);
}

TEST(Domain, MinimalDefinitionGetsDefaults) {
    Result<DomainDef> d = DomainDef::parse("<domain type='kvm'><name>a</name><memory>1024</memory>"
                                           "<os><type>hvm</type></os></domain>");
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d->memory, 1024 * kKiB); // the default unit is KiB
    EXPECT_EQ(d->vcpu.max, 1u);
    EXPECT_TRUE(d->uuid.is_null());
    EXPECT_EQ(d->format(), "<domain type='kvm'>\n"
                           "  <name>a</name>\n"
                           "  <memory unit='KiB'>1024</memory>\n"
                           "  <vcpu>1</vcpu>\n"
                           "  <os>\n"
                           "    <type>hvm</type>\n"
                           "  </os>\n"
                           "  <devices />\n"
                           "</domain>\n");
}

TEST(Domain, EveryProblemIsReportedOnceWithItsLine) {
    Result<DomainDef> d = DomainDef::parse("<domain type='kvm'>\n"
                                           "  <name>web1</name>\n"
                                           "  <memory unit='MiBs'>512</memory>\n"
                                           "  <vcpu>0</vcpu>\n"
                                           "  <os><type arch='armv7l'>hvm</type></os>\n"
                                           "  <blkiotune/>\n"
                                           "</domain>\n");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code(), ErrorCode::XmlError);
    EXPECT_EQ(d.error().domain(), ErrorDomain::Domain);
    EXPECT_EQ(d.error().message(),
              "invalid domain definition\n"
              "line 3: memory: unknown unit 'MiBs'\n"
              "line 4: vcpu: 0 is out of range 1..512\n"
              "line 5: type: unsupported architecture 'armv7l' (expected riscv64)\n"
              "line 6: domain: unknown element 'blkiotune'");
}

TEST(Domain, SizesAreStoredInBytesWithOverflowChecks) {
    auto parse_memory = [](const std::string& mem) {
        return DomainDef::parse("<domain type='kvm'><name>a</name>" + mem +
                                "<os><type>hvm</type></os></domain>");
    };
    EXPECT_EQ(parse_memory("<memory unit='EiB'>15</memory>")->memory, 15ull << 60);
    EXPECT_EQ(parse_memory("<memory unit='b'>1</memory>")->memory, 1u);
    EXPECT_EQ(parse_memory("<memory unit='GB'>3</memory>")->memory, 3000000000u);
    Result<DomainDef> over = parse_memory("<memory>18014398509481984</memory>");
    ASSERT_FALSE(over.ok());
    EXPECT_THAT(over.error().message(), HasSubstr("is too large"));
    // A byte count that is not a whole KiB is written in bytes so nothing is rounded away.
    Result<DomainDef> odd = parse_memory("<memory unit='bytes'>1025</memory>");
    ASSERT_TRUE(odd.ok());
    EXPECT_THAT(odd->format(), HasSubstr("<memory unit='bytes'>1025</memory>"));
}

TEST(Domain, SchemaIsTheSecondLineOfDefence) {
    // Everything conf accepts must also satisfy the schema; an empty <metadata> child with text
    // only is fine for conf's verbatim copy and for the schema.
    Result<DomainDef> d = DomainDef::parse("<domain type='kvm'><name>a</name><memory>1</memory>"
                                           "<os><type>hvm</type></os><metadata/></domain>");
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d->metadata, "");
}

} // namespace
} // namespace virtd::conf
