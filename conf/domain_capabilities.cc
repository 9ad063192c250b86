#include "conf/domain_capabilities.h"

#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

void add_enums(pugi::xml_node n, const std::vector<CapsEnum>& enums) {
    for (const CapsEnum& e : enums) {
        pugi::xml_node en = n.append_child("enum");
        set_attr(en, "name", e.name);
        for (const std::string& v : e.values)
            add_text(en, "value", v);
    }
}

pugi::xml_node add_feature(pugi::xml_node parent, const CapsFeature& f) {
    pugi::xml_node n = parent.append_child(f.name.c_str());
    set_attr(n, "supported", f.supported ? "yes" : "no");
    add_enums(n, f.enums);
    return n;
}

} // namespace

DomainCapabilities DomainCapabilities::for_engine(std::string path, uint32_t max_vcpus) {
    DomainCapabilities c;
    c.path = std::move(path);
    c.max_vcpus = max_vcpus;
    c.memory_sources = {"anonymous", "file", "memfd"};
    // libvirt's schema orders <devices> as disk, graphics, video, hostdev, rng, filesystem, tpm,
    // redirdev, channel; network interfaces, consoles and the balloon have no element in it.
    c.devices = {
        {"disk", true, {{"diskDevice", {"disk"}}, {"bus", {"virtio"}}, {"model", {"virtio"}}}},
        {"graphics", false, {}},
        {"video", false, {}},
        {"hostdev", false, {}},
        {"rng", true, {{"model", {"virtio"}}, {"backendModel", {"random"}}}},
        {"filesystem", false, {}},
        {"tpm", false, {}},
        {"redirdev", false, {}},
        {"channel", true, {{"type", {"unix"}}}},
    };
    c.features = {
        {"vmcoreinfo", false, {}}, {"genid", false, {}}, {"backingStoreInput", true, {}},
        {"backup", false, {}},     {"sev", false, {}},   {"sgx", false, {}},
    };
    return c;
}

std::string DomainCapabilities::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("domainCapabilities");
    add_text(root, "path", path);
    add_text(root, "domain", domain_type);
    add_text(root, "machine", machine);
    add_text(root, "arch", arch);
    set_attr(root.append_child("vcpu"), "max", max_vcpus);
    set_attr(root.append_child("iothreads"), "supported", iothreads ? "yes" : "no");

    pugi::xml_node os = root.append_child("os");
    set_attr(os, "supported", "yes");
    add_enums(os, os_enums);
    set_attr(os.append_child("loader"), "supported", loader ? "yes" : "no");

    // The soft RV64GC CPU has no host to pass through and no named models.
    pugi::xml_node cpu = root.append_child("cpu");
    for (const char* mode : {"host-passthrough", "maximum", "host-model", "custom"}) {
        pugi::xml_node m = cpu.append_child("mode");
        set_attr(m, "name", mode);
        set_attr(m, "supported", "no");
    }

    pugi::xml_node mem = root.append_child("memoryBacking");
    set_attr(mem, "supported", memory_sources.empty() ? "no" : "yes");
    add_enums(mem, {{"sourceType", memory_sources}});

    pugi::xml_node devs = root.append_child("devices");
    for (const CapsFeature& d : devices)
        add_feature(devs, d);
    pugi::xml_node feats = root.append_child("features");
    for (const CapsFeature& f : features)
        add_feature(feats, f);
    return format_xml(doc);
}

} // namespace virtd::conf
