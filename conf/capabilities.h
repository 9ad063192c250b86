// Capabilities: the host and guest description `virsh capabilities` prints (formatted only;
// nobody sends this document to the daemon). Tools read it to write valid definitions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/uuid.h"

namespace virtd::conf {

struct CapsHost {
    Uuid uuid;
    std::string arch; // the host's own architecture, e.g. x86_64
    uint32_t sockets = 1;
    uint32_t cores = 1;
    uint32_t threads = 1;
    bool live_migration = true;
    std::vector<std::string> uri_transports; // migration URI schemes: tcp
    std::string secmodel = "none";
};

struct CapsMachine {
    std::string name;
    uint32_t max_cpus = 0;
};

struct CapsGuest {
    std::string os_type = "hvm";
    std::string arch = "riscv64";
    uint32_t wordsize = 64;
    std::string emulator; // the VMM that runs this kind of guest
    std::vector<CapsMachine> machines;
    std::vector<std::string> domain_types; // kvm
};

struct Capabilities {
    CapsHost host;
    std::vector<CapsGuest> guests;

    // What this build offers on this host: a riscv64 'virt' guest of type kvm run by `vmm_path`.
    static Capabilities for_host(const Uuid& host_uuid, std::string_view vmm_path,
                                 uint32_t host_cpus);

    std::string format() const;
};

} // namespace virtd::conf
