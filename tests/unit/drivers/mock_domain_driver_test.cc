#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/file.h"
#include "drivers/mock/mock_domain_driver.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd {
namespace {

constexpr const char* kXml = "<domain type='kvm'><name>web1</name><memory unit='MiB'>64</memory>"
                             "<vcpu>2</vcpu><os><type>hvm</type></os></domain>";

TEST(MockDomainDriver, FollowsLibvirtsStateMachine) {
    MockDomainDriver d;
    Result<DomainRef> def = d.define_xml(kXml);
    ASSERT_TRUE(def.ok()) << def.error().message();
    EXPECT_EQ(def->id, -1);
    EXPECT_FALSE(def->uuid.is_null()); // generated when the XML has none
    EXPECT_FALSE(*d.is_active(*def));

    Result<DomainRef> run = d.start(*def, 0);
    ASSERT_TRUE(run.ok());
    EXPECT_GT(run->id, 0);
    EXPECT_EQ(d.lookup_by_id(run->id)->name, "web1");
    EXPECT_EQ(d.start(*def, 0).error().code(), ErrorCode::OperationInvalid);

    ASSERT_TRUE(d.suspend(*run).ok());
    EXPECT_EQ(d.get_info(*run)->state, DomainState::Paused);
    ASSERT_TRUE(d.resume(*run).ok());
    EXPECT_EQ(d.resume(*run).error().code(), ErrorCode::OperationInvalid);
    Result<DomainInfo> info = d.get_info(*run);
    EXPECT_EQ(info->state, DomainState::Running);
    EXPECT_EQ(info->max_memory_kib, 65536u);
    EXPECT_EQ(info->vcpus, 2);
    EXPECT_THAT(*d.get_xml(*run, 0), ::testing::HasSubstr("id='"));

    ASSERT_TRUE(d.destroy(*run, 0).ok());
    EXPECT_EQ(d.destroy(*run, 0).error().code(), ErrorCode::OperationInvalid);
    EXPECT_EQ(d.lookup_by_name("web1")->id, -1);
    ASSERT_TRUE(d.undefine(*def, 0).ok());
    Result<DomainRef> gone = d.lookup_by_name("web1");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code(), ErrorCode::NoDomain);
    EXPECT_EQ(gone.error().message(), "no domain with matching name 'web1'");
}

TEST(MockDomainDriver, TransientDomainsVanishWhenStopped) {
    MockDomainDriver d;
    Result<DomainRef> t = d.create_xml(kXml, 0);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(*d.is_persistent(*t));
    ASSERT_TRUE(d.destroy(*t, 0).ok());
    EXPECT_TRUE(d.list_all(0)->empty());

    // Undefining a running persistent domain makes it transient until it stops.
    Result<DomainRef> p = d.define_xml(kXml);
    Result<DomainRef> run = d.start(*p, 0);
    ASSERT_TRUE(d.undefine(*run, 0).ok());
    EXPECT_FALSE(*d.is_persistent(*run));
    ASSERT_TRUE(d.shutdown(*run, 0).ok());
    EXPECT_TRUE(d.list_all(0)->empty());
}

TEST(MockDomainDriver, NamesAndUuidsStayUnique) {
    MockDomainDriver d;
    ASSERT_TRUE(d.define_xml(kXml).ok());
    std::string other_uuid = std::string(kXml).insert(
        std::string(kXml).find("<memory"), "<uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>");
    Result<DomainRef> clash = d.define_xml(other_uuid);
    ASSERT_FALSE(clash.ok());
    EXPECT_THAT(clash.error().message(), ::testing::HasSubstr("already exists with uuid"));
    EXPECT_EQ(d.define_xml("<domain/>").error().code(), ErrorCode::XmlError);
}

TEST(MockDomainDriver, ListFiltersByStateAndPersistence) {
    MockDomainDriver d;
    for (const char* name : {"a", "b", "c"}) {
        std::string xml(kXml);
        xml.replace(xml.find("web1"), 4, name);
        ASSERT_TRUE(d.define_xml(xml).ok());
    }
    ASSERT_TRUE(d.start(*d.lookup_by_name("b"), 0).ok());
    EXPECT_EQ(d.list_all(0)->size(), 3u);
    ASSERT_EQ(d.list_all(kListActive)->size(), 1u);
    EXPECT_EQ(d.list_all(kListActive)->front().name, "b");
    EXPECT_EQ(d.list_all(kListInactive)->size(), 2u);
    EXPECT_EQ(d.list_all(kListTransient)->size(), 0u);
}

TEST(MockDomainDriver, DefinitionsSurviveInTheStateDirectory) {
    TempDir dir;
    {
        MockDomainDriver d(dir.path());
        ASSERT_TRUE(d.define_xml(kXml).ok());
        std::string other(kXml);
        other.replace(other.find("web1"), 4, "db1");
        Result<DomainRef> db = d.define_xml(other);
        ASSERT_TRUE(d.set_autostart(*db, true).ok());
        ASSERT_TRUE(d.start(*d.lookup_by_name("web1"), 0).ok());
    }
    // A definition that no longer parses is skipped, and left on disk.
    std::string broken = dir.path() + "/mock/domains/broken.xml";
    ASSERT_TRUE(write_file_atomic(broken, "<domain type='kvm'>").ok());

    MockDomainDriver again(dir.path());
    Result<DomainRef> web = again.lookup_by_name("web1");
    ASSERT_TRUE(web.ok());
    EXPECT_EQ(web->id, -1); // mock guests do not survive; their definitions do
    Result<DomainRef> db = again.lookup_by_name("db1");
    ASSERT_TRUE(db.ok());
    EXPECT_GT(db->id, 0); // autostarted
    EXPECT_TRUE(*again.get_autostart(*db));
    EXPECT_EQ(again.list_all(0)->size(), 2u);
    EXPECT_TRUE(read_file(broken).ok());

    ASSERT_TRUE(again.undefine(*web, 0).ok());
    EXPECT_FALSE(read_file(dir.path() + "/mock/domains/web1.xml").ok());
    EXPECT_EQ(MockDomainDriver(dir.path()).list_all(0)->size(), 1u);
}

TEST(MockDomainDriver, TransientDomainsHaveNoAutostart) {
    MockDomainDriver d;
    Result<DomainRef> t = d.create_xml(kXml, 0);
    EXPECT_EQ(d.set_autostart(*t, true).error().code(), ErrorCode::OperationInvalid);
}

TEST(MockDomainDriver, AFailedWriteDefinesNothing) {
    TempDir dir;
    MockDomainDriver d(dir.path());
    // The definitions directory turns into a file: every write into it fails.
    std::string domains = dir.path() + "/mock/domains";
    ASSERT_EQ(std::system(("rm -rf " + domains + " && touch " + domains).c_str()), 0);
    EXPECT_FALSE(d.define_xml(kXml).ok());
    EXPECT_EQ(d.lookup_by_name("web1").error().code(), ErrorCode::NoDomain);
    EXPECT_TRUE(d.list_all(0)->empty());
}

} // namespace
} // namespace virtd
