#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/mock/mock_network_driver.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd {
namespace {

std::string net_xml(const std::string& name, const std::string& extra = "") {
    return "<network><name>" + name + "</name>" + extra + "</network>";
}

TEST(MockNetworkDriver, FollowsLibvirtsStateMachine) {
    MockNetworkDriver n;
    Result<NetworkRef> net = n.define_xml(net_xml("default", "<forward mode='nat'/>"));
    ASSERT_TRUE(net.ok()) << net.error().message();
    EXPECT_FALSE(*n.is_active(*net));
    EXPECT_EQ(*n.get_bridge_name(*net), "virbr0"); // named like libvirt names it
    ASSERT_TRUE(n.start(*net).ok());
    EXPECT_EQ(n.start(*net).error().code(), ErrorCode::OperationInvalid);
    EXPECT_TRUE(n.dhcp_leases(*net, std::nullopt)->empty());
    // Undefining an active network makes it transient; it goes when it stops.
    ASSERT_TRUE(n.undefine(*net).ok());
    EXPECT_FALSE(*n.is_persistent(*net));
    ASSERT_TRUE(n.destroy(*net).ok());
    EXPECT_EQ(n.lookup_by_name("default").error().code(), ErrorCode::NoNetwork);
}

TEST(MockNetworkDriver, BridgeNamesAreNotReused) {
    MockNetworkDriver n;
    ASSERT_TRUE(n.define_xml(net_xml("a", "<bridge name='virbr0'/>")).ok());
    Result<NetworkRef> b = n.define_xml(net_xml("b"));
    EXPECT_EQ(*n.get_bridge_name(*b), "virbr1");
    // A redefinition (same name and uuid) keeps its bridge.
    Result<NetworkRef> again = n.define_xml(net_xml("b", "<uuid>" + b->uuid.format() + "</uuid>"));
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*n.get_bridge_name(*again), "virbr1");
    EXPECT_EQ(n.define_xml(net_xml("c", "<uuid>" + b->uuid.format() + "</uuid>")).error().code(),
              ErrorCode::OperationFailed);
}

TEST(MockNetworkDriver, ListFiltersAndPersistence) {
    TempDir dir;
    {
        MockNetworkDriver n(dir.path());
        Result<NetworkRef> a = n.define_xml(net_xml("a"));
        ASSERT_TRUE(n.set_autostart(*a, true).ok());
        ASSERT_TRUE(n.define_xml(net_xml("b")).ok());
        Result<NetworkRef> t = n.create_xml(net_xml("t"));
        EXPECT_EQ(n.set_autostart(*t, true).error().code(), ErrorCode::OperationInvalid);
        EXPECT_EQ(n.list_all(object_list::kActive)->size(), 1u);
        EXPECT_EQ(n.list_all(object_list::kTransient)->front().name, "t");
        EXPECT_EQ(n.list_all(object_list::kAutostart)->front().name, "a");
    }
    MockNetworkDriver again(dir.path());
    EXPECT_EQ(again.list_all(0)->size(), 2u);
    EXPECT_TRUE(*again.is_active(*again.lookup_by_name("a"))); // autostarted
    EXPECT_FALSE(*again.is_active(*again.lookup_by_name("b")));
}

// As in libvirt, a network started by hand is still active after a daemon restart (its guests
// keep their port), one stopped is not, and an undefined one leaves nothing behind.
TEST(MockNetworkDriver, ActiveStateOutlivesARestart) {
    TempDir dir;
    {
        MockNetworkDriver n(dir.path());
        for (const char* name : {"up", "down", "gone"}) {
            Result<NetworkRef> r = n.define_xml(net_xml(name));
            ASSERT_TRUE(r.ok() && n.start(*r).ok());
        }
        ASSERT_TRUE(n.destroy(*n.lookup_by_name("down")).ok());
        ASSERT_TRUE(n.undefine(*n.lookup_by_name("gone")).ok()); // running on, transient
    }
    {
        MockNetworkDriver again(dir.path());
        EXPECT_TRUE(*again.is_active(*again.lookup_by_name("up")));
        EXPECT_FALSE(*again.is_active(*again.lookup_by_name("down")));
        EXPECT_FALSE(again.lookup_by_name("gone").ok());
        ASSERT_TRUE(again.define_xml(net_xml("gone")).ok());
    }
    MockNetworkDriver third(dir.path());
    EXPECT_FALSE(*third.is_active(*third.lookup_by_name("gone")));
}

} // namespace
} // namespace virtd
