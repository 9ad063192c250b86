#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_address.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

using ::testing::ElementsAre;

TEST(DeviceAddress, KeptAsGiven) {
    XmlReader r("<disk><address type='pci' domain='0x0000' bus='0x00' slot='0x04' "
                "function='0x0' multifunction='on'/></disk>");
    XmlElement disk = r.root("disk");
    std::optional<DeviceAddress> a = DeviceAddress::read(disk);
    EXPECT_TRUE(r.finish().empty());
    ASSERT_TRUE(a);
    EXPECT_EQ(a->type, AddressType::Pci);
    ASSERT_EQ(a->attrs.size(), 5u);
    EXPECT_EQ(a->attrs[2], (std::pair<std::string, std::string>("slot", "0x04")));

    pugi::xml_document doc;
    a->write(doc.append_child("disk"));
    EXPECT_EQ(format_xml(doc), "<disk>\n  <address type='pci' domain='0x0000' bus='0x00' "
                               "slot='0x04' function='0x0' multifunction='on' />\n</disk>\n");
}

TEST(DeviceAddress, AbsentIsNullopt) {
    XmlReader r("<disk/>");
    EXPECT_FALSE(DeviceAddress::read(r.root("disk")));
}

TEST(DeviceAddress, WrongAttributesAreReported) {
    XmlReader r("<disk>\n<address type='drive' controller='zero' slot='1'/>\n</disk>");
    DeviceAddress::read(r.root("disk"));
    EXPECT_THAT(r.finish(),
                ElementsAre("line 2: address: attribute 'controller': invalid value 'zero'",
                            "line 2: address: unknown attribute 'slot'"));
    XmlReader t("<disk><address type='isa'/></disk>");
    DeviceAddress::read(t.root("disk"));
    EXPECT_EQ(t.finish().size(), 1u);
}

} // namespace
} // namespace virtd::conf
