// DomainCapabilities: the document `virsh domcapabilities` prints (libvirt's domainCapabilities
// format, formatted only). It tells tools such as virt-install which devices and values one
// emulator/arch/machine/virttype combination accepts, so they write definitions that load.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace virtd::conf {

// One <enum name='...'> and its values.
struct CapsEnum {
    std::string name;
    std::vector<std::string> values;
};

// An element with supported='yes|no' and the enums that say what is supported.
struct CapsFeature {
    std::string name;
    bool supported = false;
    std::vector<CapsEnum> enums;
};

struct DomainCapabilities {
    std::string path; // the emulator (VMM) binary
    std::string domain_type = "kvm";
    std::string machine = "virt";
    std::string arch = "riscv64";
    uint32_t max_vcpus = 1;
    bool iothreads = false;
    std::vector<CapsEnum> os_enums; // <os>'s enums (firmware); the loader is separate
    bool loader = false;            // direct kernel boot: no firmware loader
    std::vector<std::string> memory_sources;
    std::vector<CapsFeature> devices;  // in the schema's order
    std::vector<CapsFeature> features; // in the schema's order

    // What the embedded engine runs: riscv64 'virt' guests of type kvm, booted straight into the
    // kernel, with virtio disk, net, rng, console and balloon devices.
    static DomainCapabilities for_engine(std::string path, uint32_t max_vcpus);

    std::string format() const;
};

} // namespace virtd::conf
