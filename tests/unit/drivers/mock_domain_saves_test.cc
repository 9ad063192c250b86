#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/mock/mock_domain_driver.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd {
namespace {

constexpr const char* kXml = "<domain type='kvm'><name>web1</name><memory unit='MiB'>64</memory>"
                             "<vcpu>4</vcpu><os><type>hvm</type></os></domain>";

// Records every lifecycle event as (event, detail).
struct Events : DomainEventSink {
    std::vector<std::pair<int32_t, int32_t>> seen;
    void domain_event(const DomainEvent& e) override { seen.emplace_back(e.event, e.detail); }
};

std::string snap(const std::string& name) {
    return "<domainsnapshot><name>" + name + "</name></domainsnapshot>";
}

TEST(MockDomainDriver, SaveAndRestoreThroughAFile) {
    TempDir dir;
    MockDomainDriver d;
    Events events;
    d.set_event_sink(&events);
    DomainRef dom = *d.define_xml(kXml);
    EXPECT_EQ(d.save(dom, dir.path() + "/web1.save", 0).error().code(),
              ErrorCode::OperationInvalid); // not running
    dom = *d.start(dom, 0);
    ASSERT_TRUE(d.suspend(dom).ok());
    ASSERT_TRUE(d.save(dom, dir.path() + "/web1.save", 0).ok());
    EXPECT_FALSE(*d.is_active(dom));
    ASSERT_TRUE(d.restore(dir.path() + "/web1.save", 0).ok());
    EXPECT_EQ(d.get_info(dom)->state, DomainState::Paused); // as it was saved
    EXPECT_EQ(d.restore(dir.path() + "/web1.save", 0).error().code(),
              ErrorCode::OperationInvalid); // already running
    EXPECT_EQ(d.restore(dir.path() + "/nothing", 0).error().code(), ErrorCode::SystemError);
    using namespace domain_event;
    EXPECT_EQ(events.seen.back(), std::make_pair(kStarted, kStartedRestored));
    EXPECT_THAT(events.seen, ::testing::Contains(std::make_pair(kStopped, kStoppedSaved)));
}

TEST(MockDomainDriver, ManagedSaveIsConsumedByTheNextStart) {
    MockDomainDriver d;
    DomainRef dom = *d.start(*d.define_xml(kXml), 0);
    ASSERT_TRUE(d.managed_save(dom, 0).ok());
    EXPECT_TRUE(*d.has_managed_save(dom));
    EXPECT_EQ(d.undefine(dom, 0).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(d.start(dom, 0).ok());
    EXPECT_FALSE(*d.has_managed_save(dom));
}

TEST(MockDomainDriver, SnapshotsFormATreeAndRevert) {
    MockDomainDriver d;
    DomainRef dom = *d.start(*d.define_xml(kXml), 0);
    ASSERT_EQ(*d.snapshot_create(dom, snap("s1"), 0), "s1");
    ASSERT_TRUE(d.set_memory(dom, 32 * 1024, 0).ok());
    ASSERT_EQ(*d.snapshot_create(dom, snap("s2"), 0), "s2");
    EXPECT_EQ(d.snapshot_create(dom, snap("s2"), 0).error().code(), ErrorCode::OperationInvalid);
    EXPECT_EQ(**d.snapshot_current(dom), "s2");
    EXPECT_THAT(*d.snapshot_xml(dom, "s2", 0),
                ::testing::AllOf(::testing::HasSubstr("<parent>"), ::testing::HasSubstr("<domain"),
                                 ::testing::HasSubstr("<state>running</state>")));
    EXPECT_EQ(*d.snapshot_list(dom, 1 /* roots */), std::vector<std::string>{"s1"});
    EXPECT_EQ(*d.snapshot_list(dom, 4 /* leaves */), std::vector<std::string>{"s2"});

    // Back to s1: its memory setting returns, and a stopped domain runs again.
    ASSERT_TRUE(d.destroy(dom, 0).ok());
    ASSERT_TRUE(d.snapshot_revert(dom, "s1", 0).ok());
    EXPECT_TRUE(*d.is_active(dom));
    EXPECT_EQ(d.get_info(dom)->memory_kib, 65536u);
    EXPECT_EQ(**d.snapshot_current(dom), "s1");

    // Deleting s1 reparents s2 to the root; the current snapshot follows its parent (none).
    EXPECT_EQ(d.undefine(dom, 0).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(d.snapshot_delete(dom, "s1", 0).ok());
    EXPECT_EQ(*d.snapshot_list(dom, 1), std::vector<std::string>{"s2"});
    EXPECT_FALSE(d.snapshot_current(dom)->has_value());
    EXPECT_EQ(d.snapshot_delete(dom, "s1", 0).error().code(), ErrorCode::NoDomainSnapshot);
    ASSERT_TRUE(d.snapshot_revert(dom, "s2", 0).ok());
    ASSERT_TRUE(d.snapshot_create(dom, snap("s3"), 0).ok()); // a child of s2
    ASSERT_TRUE(d.snapshot_delete(dom, "s2", 1 /* children */).ok());
    EXPECT_TRUE(d.snapshot_list(dom, 0)->empty());
}

TEST(MockDomainDriver, MemoryAndVcpusWithinTheirLimits) {
    MockDomainDriver d;
    DomainRef dom = *d.define_xml(kXml);
    EXPECT_EQ(d.set_memory(dom, 32768, kAffectLive).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(d.set_memory(dom, 32768, 0).ok()); // current = config while shut off
    EXPECT_EQ(d.get_info(dom)->memory_kib, 32768u);
    EXPECT_EQ(d.set_memory(dom, 1 << 20, 0).error().code(), ErrorCode::InvalidArg);
    dom = *d.start(dom, 0);
    EXPECT_EQ(d.set_memory(dom, 1 << 20, kAffectMaximum).error().code(),
              ErrorCode::OperationInvalid);
    ASSERT_TRUE(d.set_memory(dom, 1 << 20, kAffectMaximum | kAffectConfig).ok());
    EXPECT_EQ(d.get_info(dom)->max_memory_kib, 1u << 20);

    EXPECT_EQ(*d.get_vcpus_count(dom, kAffectMaximum), 4);
    ASSERT_TRUE(d.set_vcpus(dom, 2, 0).ok());
    EXPECT_EQ(*d.get_vcpus_count(dom, 0), 2);
    EXPECT_EQ(d.get_vcpu_info(dom)->size(), 2u);
    EXPECT_EQ(d.set_vcpus(dom, 5, 0).error().code(), ErrorCode::InvalidArg);
    EXPECT_EQ(d.set_vcpus(dom, 0, 0).error().code(), ErrorCode::InvalidArg);
}

TEST(MockDomainDriver, MetadataByTypeAndNamespace) {
    MockDomainDriver d;
    DomainRef dom = *d.define_xml(kXml);
    EXPECT_EQ(d.get_metadata(dom, MetadataType::Title, std::nullopt, 0).error().code(),
              ErrorCode::NoDomainMetadata);
    ASSERT_TRUE(
        d.set_metadata(dom, MetadataType::Title, "Web", std::nullopt, std::nullopt, 0).ok());
    EXPECT_EQ(*d.get_metadata(dom, MetadataType::Title, std::nullopt, 0), "Web");
    ASSERT_TRUE(d.set_metadata(dom, MetadataType::Element, "<owner>ops</owner>", "app",
                               "http://example.org/app", 0)
                    .ok());
    EXPECT_THAT(*d.get_metadata(dom, MetadataType::Element, "http://example.org/app", 0),
                ::testing::HasSubstr("<app:owner"));
    EXPECT_THAT(*d.get_xml(dom, 0), ::testing::HasSubstr("ops</app:owner>"));
    ASSERT_TRUE(d.set_metadata(dom, MetadataType::Element, std::nullopt, std::nullopt,
                               "http://example.org/app", 0)
                    .ok());
    EXPECT_EQ(
        d.get_metadata(dom, MetadataType::Element, "http://example.org/app", 0).error().code(),
        ErrorCode::NoDomainMetadata);
}

TEST(MockDomainDriver, TheConsoleEchoesAndIsExclusive) {
    MockDomainDriver d;
    DomainRef dom = *d.define_xml(kXml);
    std::string seen;
    ConsoleOutput out{[&seen](std::string_view s) { seen += s; }, {}};
    EXPECT_EQ(d.open_console(dom, std::nullopt, 0, out).error().code(),
              ErrorCode::OperationInvalid);
    dom = *d.start(dom, 0);
    Result<std::unique_ptr<ConsoleChannel>> c = d.open_console(dom, std::nullopt, 0, out);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->write("ls\n").ok());
    EXPECT_EQ(seen, "ls\n");
    EXPECT_EQ(d.open_console(dom, std::nullopt, 0, out).error().code(), ErrorCode::OperationFailed);
    c->reset();
    EXPECT_TRUE(d.open_console(dom, std::nullopt, 0, out).ok()); // free again once closed
}

} // namespace
} // namespace virtd
