#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/storage_vol.h"

namespace virtd::conf {
namespace {

using ::testing::HasSubstr;

TEST(StorageVol, ParsesEveryField) {
    Result<StorageVolDef> v = StorageVolDef::parse(R"(<volume type='file'>
  <name>disk1.qcow2</name>
  <key>/var/lib/virtd/images/disk1.qcow2</key>
  <capacity unit='G'>10</capacity>
  <allocation>4096</allocation>
  <target>
    <path>/var/lib/virtd/images/disk1.qcow2</path>
    <format type='qcow2'/>
    <permissions><mode>0644</mode><owner>107</owner><group>-1</group><label>x</label></permissions>
    <compat>1.1</compat>
  </target>
  <backingStore>
    <path>/var/lib/virtd/images/base.raw</path>
    <format type='raw'/>
  </backingStore>
</volume>)");
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_EQ(v->type, VolumeType::File);
    EXPECT_EQ(v->name, "disk1.qcow2");
    EXPECT_EQ(v->capacity, 10ull << 30);
    EXPECT_EQ(v->allocation, 4096u);
    EXPECT_EQ(v->target_format, VolumeFormat::Qcow2);
    EXPECT_EQ(v->permissions->mode, 0644u);
    EXPECT_EQ(v->permissions->owner, 107);
    EXPECT_EQ(v->permissions->group, -1);
    EXPECT_EQ(v->compat, "1.1");
    ASSERT_TRUE(v->backing);
    EXPECT_EQ(v->backing->path, "/var/lib/virtd/images/base.raw");
    EXPECT_EQ(v->backing->format, VolumeFormat::Raw);
}

TEST(StorageVol, FormatsInBytesAndRoundTrips) {
    StorageVolDef v;
    v.name = "a.raw";
    v.capacity = 1000;
    v.target_format = VolumeFormat::Raw;
    v.target_path = "/images/a.raw";
    std::string xml = v.format();
    EXPECT_EQ(xml, "<volume>\n"
                   "  <name>a.raw</name>\n"
                   "  <capacity unit='bytes'>1000</capacity>\n"
                   "  <target>\n"
                   "    <path>/images/a.raw</path>\n"
                   "    <format type='raw' />\n"
                   "  </target>\n"
                   "</volume>\n");
    Result<StorageVolDef> again = StorageVolDef::parse(xml);
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, v);
}

TEST(StorageVol, ReportsEveryProblemWithItsLine) {
    Result<StorageVolDef> v = StorageVolDef::parse("<volume type='tape'>\n"
                                                   "  <name>a/b</name>\n"
                                                   "  <capacity unit='GiBs'>1</capacity>\n"
                                                   "  <target><format type='vmdk'/></target>\n"
                                                   "</volume>\n");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code(), ErrorCode::XmlError);
    EXPECT_EQ(v.error().domain(), ErrorDomain::Storage);
    EXPECT_EQ(v.error().message(),
              "invalid volume definition\n"
              "line 1: volume: attribute 'type': unknown value 'tape' (expected one of: file, "
              "block, dir, network)\n"
              "line 2: name: name 'a/b' must not contain '/'\n"
              "line 3: capacity: unknown unit 'GiBs'\n"
              "line 4: format: attribute 'type': unknown value 'vmdk' (expected one of: raw, "
              "qcow2)");
}

TEST(StorageVol, SchemaCatchesWhatConfLeavesToIt) {
    // conf reads <mode> as octal digits; the schema is the second line of defence and must agree
    // with conf on every valid document (the corpus test) while rejecting its own findings.
    Result<StorageVolDef> v =
        StorageVolDef::parse("<volume><name>x</name><capacity>1</capacity></volume>");
    ASSERT_TRUE(v.ok()) << v.error().message();
    Result<StorageVolDef> missing = StorageVolDef::parse("<volume><name>x</name></volume>");
    ASSERT_FALSE(missing.ok());
    EXPECT_THAT(missing.error().message(), HasSubstr("line 1: volume: missing element 'capacity'"));
}

} // namespace
} // namespace virtd::conf
