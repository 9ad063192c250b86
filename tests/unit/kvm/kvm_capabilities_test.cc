// The kvm driver's capabilities and domcapabilities documents: what they say about the engine,
// and that libvirt's own RelaxNG schemas accept them (stock tools parse them with those).
#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>
#include <unistd.h>

#include "drivers/kvm/kvm_domain_driver.h"
#include "drivers/kvm/vmm/vmm_options.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd::kvm {
namespace {

constexpr const char* kSchemaDir = "/usr/share/libvirt/schemas";
constexpr const char* kVmm = "/opt/virtd/bin/virtd-vmm";

class KvmCapabilities : public ::testing::Test {
protected:
    KvmCapabilities()
        : driver({dir.path() + "/state", dir.path() + "/run", kVmm, "/opt/virtd/bin/switch"}) {}

    // xmllint's verdict against libvirt's schema `rng`; skips when the schema is absent.
    void expect_valid(const std::string& xml, const std::string& rng) {
        std::string schema = std::string(kSchemaDir) + "/" + rng;
        if (access(schema.c_str(), R_OK) != 0 || access("/usr/bin/xmllint", X_OK) != 0)
            GTEST_SKIP() << schema << " or xmllint missing (Debian libvirt0, libxml2-utils)";
        std::string path = dir.path() + "/doc.xml";
        std::ofstream(path) << xml;
        std::string cmd = "xmllint --noout --relaxng " + schema + " " + path + " 2>&1";
        FILE* p = popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        std::string out;
        char buf[512];
        while (size_t n = fread(buf, 1, sizeof buf, p))
            out.append(buf, n);
        EXPECT_EQ(pclose(p), 0) << out << xml;
    }

    TempDir dir;
    KvmDomainDriver driver;
};

TEST_F(KvmCapabilities, DescribeTheRiscvEngine) {
    Result<std::string> caps = driver.capabilities();
    ASSERT_TRUE(caps.ok()) << caps.error().message();
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(caps->c_str()));
    pugi::xml_node guest = doc.child("capabilities").child("guest");
    EXPECT_STREQ(guest.child_value("os_type"), "hvm");
    pugi::xml_node arch = guest.child("arch");
    EXPECT_STREQ(arch.attribute("name").value(), "riscv64");
    EXPECT_STREQ(arch.child_value("wordsize"), "64");
    EXPECT_STREQ(arch.child_value("emulator"), kVmm);
    EXPECT_STREQ(arch.child_value("machine"), "virt");
    EXPECT_EQ(arch.child("machine").attribute("maxCpus").as_uint(), vmm::kMaxHarts);
    EXPECT_STREQ(arch.child("domain").attribute("type").value(), "kvm");
    expect_valid(*caps, "capability.rng");
}

TEST_F(KvmCapabilities, DomainCapabilitiesFollowLibvirtsSchema) {
    Result<std::string> xml = driver.domain_capabilities("", "", "", "", 0);
    ASSERT_TRUE(xml.ok()) << xml.error().message();
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml->c_str()));
    pugi::xml_node root = doc.child("domainCapabilities");
    EXPECT_STREQ(root.child_value("path"), kVmm);
    EXPECT_STREQ(root.child_value("domain"), "kvm");
    EXPECT_STREQ(root.child_value("machine"), "virt");
    EXPECT_STREQ(root.child_value("arch"), "riscv64");
    EXPECT_EQ(root.child("vcpu").attribute("max").as_uint(), vmm::kMaxHarts);
    EXPECT_STREQ(root.child("os").child("loader").attribute("supported").value(), "no");
    pugi::xml_node devs = root.child("devices");
    EXPECT_STREQ(devs.child("disk").attribute("supported").value(), "yes");
    EXPECT_STREQ(
        devs.child("disk").find_child_by_attribute("enum", "name", "bus").child_value("value"),
        "virtio");
    EXPECT_STREQ(devs.child("graphics").attribute("supported").value(), "no");
    EXPECT_STREQ(devs.child("video").attribute("supported").value(), "no");
    EXPECT_STREQ(devs.child("hostdev").attribute("supported").value(), "no");
    pugi::xml_node rng = devs.child("rng");
    EXPECT_STREQ(rng.find_child_by_attribute("enum", "name", "model").child_value("value"),
                 "virtio");
    EXPECT_STREQ(rng.find_child_by_attribute("enum", "name", "backendModel").child_value("value"),
                 "random");
    expect_valid(*xml, "domaincaps.rng");
}

TEST_F(KvmCapabilities, DomainCapabilitiesAcceptTheEngineAndRefuseOthers) {
    EXPECT_TRUE(driver.domain_capabilities(kVmm, "riscv64", "virt", "kvm", 0).ok());
    for (auto [emu, arch, machine, type] :
         {std::tuple{"", "x86_64", "", ""}, std::tuple{"", "", "pc", ""},
          std::tuple{"", "", "", "qemu"}, std::tuple{"/usr/bin/qemu-system-riscv64", "", "", ""}}) {
        Result<std::string> r = driver.domain_capabilities(emu, arch, machine, type, 0);
        ASSERT_FALSE(r.ok()) << arch << machine << type;
        EXPECT_EQ(r.error().code(), ErrorCode::InvalidArg);
        EXPECT_THAT(r.error().message(), ::testing::HasSubstr("not supported"));
    }
}

} // namespace
} // namespace virtd::kvm
