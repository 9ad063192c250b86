#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/storage_pool.h"

namespace virtd::conf {
namespace {

using ::testing::HasSubstr;

TEST(StoragePool, ParsesIscsiPool) {
    Result<StoragePoolDef> p = StoragePoolDef::parse(R"(<pool type='iscsi'>
  <name>san</name>
  <source>
    <host name='127.0.0.1' port='3260'/>
    <device path='iqn.2026-11.org.example:store'/>
    <initiator><iqn name='iqn.2026-11.org.example:host1'/></initiator>
    <auth type='chap' username='virtd'><secret usage='san-chap'/></auth>
  </source>
  <target><path>/dev/disk/by-path</path></target>
</pool>)");
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(p->type, PoolType::Iscsi);
    ASSERT_TRUE(p->source);
    EXPECT_EQ(p->source->host->name, "127.0.0.1");
    EXPECT_EQ(p->source->host->port, 3260u);
    EXPECT_EQ(p->source->devices, std::vector<std::string>{"iqn.2026-11.org.example:store"});
    EXPECT_EQ(p->source->initiator_iqn, "iqn.2026-11.org.example:host1");
    EXPECT_EQ(p->source->auth->username, "virtd");
    EXPECT_EQ(p->source->auth->secret_usage, "san-chap");
    EXPECT_EQ(p->target_path, "/dev/disk/by-path");
    Result<StoragePoolDef> again = StoragePoolDef::parse(p->format());
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *p);
}

TEST(StoragePool, FormatsSizesInBytes) {
    Result<StoragePoolDef> p =
        StoragePoolDef::parse("<pool type='dir'><name>d</name><capacity unit='KiB'>4</capacity>"
                              "<target><path>/srv/d</path></target></pool>");
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(p->capacity, 4096u);
    EXPECT_EQ(p->format(), "<pool type='dir'>\n  <name>d</name>\n"
                           "  <capacity unit='bytes'>4096</capacity>\n"
                           "  <target>\n    <path>/srv/d</path>\n  </target>\n</pool>\n");
}

TEST(StoragePool, EachTypeNamesWhatItMisses) {
    Result<StoragePoolDef> p =
        StoragePoolDef::parse("<pool type='netfs'><name>n</name><source/></pool>");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().domain(), ErrorDomain::Storage);
    EXPECT_THAT(p.error().message(), HasSubstr("line 1: pool: a pool of type 'netfs' needs a "
                                               "source host\n"));
    EXPECT_THAT(p.error().message(), HasSubstr("needs a source dir"));
    EXPECT_THAT(p.error().message(), HasSubstr("needs a target path"));
}

TEST(StoragePool, SourcePartsOfOtherTypesAreRefused) {
    Result<StoragePoolDef> p = StoragePoolDef::parse(
        "<pool type='netfs'><name>n</name><source><host name='h'/><dir path='/e'/>"
        "<name>vg</name><device path='/dev/sdb'/></source>"
        "<target><path>/mnt</path></target></pool>");
    ASSERT_FALSE(p.ok());
    EXPECT_THAT(p.error().message(), HasSubstr("name: not used by a pool of type 'netfs'"));
    EXPECT_THAT(p.error().message(), HasSubstr("device: not used by a pool of type 'netfs'"));
}

} // namespace
} // namespace virtd::conf
