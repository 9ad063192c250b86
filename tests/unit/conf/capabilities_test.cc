#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <pugixml.hpp>
#include <unistd.h>

#include "conf/capabilities.h"

namespace virtd::conf {
namespace {

Capabilities sample() {
    return Capabilities::for_host(*Uuid::parse("c7a5fdbd-cdaf-9455-926a-d65c16db1809"),
                                  "/usr/libexec/virtd-vmm", 2);
}

TEST(Capabilities, DescribesTheRiscvGuest) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(sample().format().c_str()));
    pugi::xml_node caps = doc.child("capabilities");
    EXPECT_STREQ(caps.child("host").child_value("uuid"), "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    EXPECT_EQ(caps.child("host").child("cpu").child("topology").attribute("cores").as_int(), 2);
    EXPECT_TRUE(caps.child("host").child("migration_features").child("live"));
    pugi::xml_node guest = caps.child("guest");
    EXPECT_STREQ(guest.child_value("os_type"), "hvm");
    pugi::xml_node arch = guest.child("arch");
    EXPECT_STREQ(arch.attribute("name").value(), "riscv64");
    EXPECT_STREQ(arch.child_value("wordsize"), "64");
    EXPECT_STREQ(arch.child_value("emulator"), "/usr/libexec/virtd-vmm");
    EXPECT_STREQ(arch.child_value("machine"), "virt");
    EXPECT_EQ(arch.child("machine").attribute("maxCpus").as_int(), 512);
    EXPECT_STREQ(arch.child("domain").attribute("type").value(), "kvm");
}

// libvirt's own schema is the judge of whether stock tools can read it.
TEST(Capabilities, LibvirtSchemaAcceptsIt) {
    if (access("/usr/bin/virt-xml-validate", X_OK) != 0)
        GTEST_SKIP() << "virt-xml-validate not installed (Debian package libvirt-clients)";
    char path[] = "/tmp/virtd-caps-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << sample().format();
    std::string cmd = std::string("virt-xml-validate ") + path + " capability >/dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    unlink(path);
    EXPECT_EQ(rc, 0) << sample().format();
}

} // namespace
} // namespace virtd::conf
