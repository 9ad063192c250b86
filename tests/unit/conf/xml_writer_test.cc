#include <gtest/gtest.h>

#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

TEST(XmlWriter, LibvirtLayout) {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("domain");
    set_attr(root, "type", "kvm");
    set_attr(root, "id", 5);
    set_attr(root, "absent", std::optional<int>());
    set_yes_no(root, "on", true);
    set_on_off(root, "off", false);
    add_text(root, "name", "a&b<c>");
    add_size(root, "memory", 512 * 1024);
    add_size(root, "odd", 1025);
    add_size(root, "capacity", 2048, true);
    append_fragment(root.append_child("metadata"), "<x:a xmlns:x='urn:x'>t</x:a>");
    EXPECT_EQ(format_xml(doc), "<domain type='kvm' id='5' on='yes' off='off'>\n"
                               "  <name>a&amp;b&lt;c&gt;</name>\n"
                               "  <memory unit='KiB'>512</memory>\n"
                               "  <odd unit='bytes'>1025</odd>\n"
                               "  <capacity unit='bytes'>2048</capacity>\n"
                               "  <metadata>\n"
                               "    <x:a xmlns:x='urn:x'>t</x:a>\n"
                               "  </metadata>\n"
                               "</domain>\n");
}

} // namespace
} // namespace virtd::conf
