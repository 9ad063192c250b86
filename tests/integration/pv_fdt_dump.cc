// Test tool: writes the device tree build_fdt makes for a machine to stdout, so a test can hand
// it to another emulator. usage: pv-fdt-dump HARTS MEMORY_MIB [BOOTARGS]
#include <cstdio>
#include <cstdlib>

#include "drivers/pv/fdt_builder.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s HARTS MEMORY_MIB [BOOTARGS]\n", argv[0]);
        return 2;
    }
    virtd::pv::MachineDescription m;
    m.harts = static_cast<unsigned>(std::strtoul(argv[1], nullptr, 10));
    m.ram_size = std::strtoull(argv[2], nullptr, 10) << 20;
    if (argc > 3) m.bootargs = argv[3];
    auto blob = virtd::pv::build_fdt(m);
    if (!blob) {
        std::fprintf(stderr, "%s\n", blob.error().message().c_str());
        return 1;
    }
    return std::fwrite(blob->data(), 1, blob->size(), stdout) == blob->size() ? 0 : 1;
}
