// Where a RISC-V Linux boot puts things in guest RAM: the kernel Image (at the offset its header
// asks for), the initrd and the device tree, as QEMU's virt machine lays them out: the device
// tree on a 2 MiB boundary near the top of RAM, the initrd just below it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::vmm {

// What the 64-byte header of a RISC-V Linux Image says (Documentation/riscv/boot-image-header).
struct LinuxImage {
    uint64_t text_offset = 0; // load address offset from the start of RAM
    uint64_t image_size = 0;  // bytes the kernel occupies once running (bss included)
};

// Reads and checks the header; errors name `path` and what is wrong.
Result<LinuxImage> parse_linux_image(std::string_view bytes, const std::string& path);

struct BootLayout {
    uint64_t kernel_addr = 0;
    uint64_t kernel_end = 0; // first byte past what the kernel may use
    uint64_t initrd_addr = 0;
    uint64_t initrd_size = 0; // 0: no initrd
    uint64_t fdt_addr = 0;
};

// Room kept for the device tree.
inline constexpr uint64_t kFdtMaxSize = 64 << 10;

// Places kernel, initrd and device tree in [ram_base, ram_base + ram_size). `file_size` is the
// Image file's size; an initrd_size of 0 means none.
Result<BootLayout> plan_boot(uint64_t ram_base, uint64_t ram_size, const LinuxImage& kernel,
                             uint64_t file_size, uint64_t initrd_size);

} // namespace virtd::vmm
