#include "drivers/kvm/vmm/boot_layout.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace virtd::vmm {
namespace {

constexpr size_t kHeaderSize = 64;
constexpr char kMagic2[4] = {'R', 'S', 'C', 0x05};
constexpr char kMagic[8] = {'R', 'I', 'S', 'C', 'V', 0, 0, 0}; // deprecated, still written

uint64_t le64(std::string_view b, size_t at) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
    return v;
}

constexpr uint64_t align_down(uint64_t v, uint64_t a) {
    return v & ~(a - 1);
}
constexpr uint64_t mib(uint64_t bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
}

Error bad_image(const std::string& path, std::string_view problem) {
    return make_error(ErrorCode::InvalidArg, ErrorDomain::None, "kernel '{}': {}", path, problem);
}

} // namespace

Result<LinuxImage> parse_linux_image(std::string_view bytes, const std::string& path) {
    if (bytes.size() < kHeaderSize)
        return bad_image(path, fmt::format("{} bytes is too short for a RISC-V Linux Image header",
                                           bytes.size()));
    bool magic2 = std::memcmp(bytes.data() + 56, kMagic2, sizeof kMagic2) == 0;
    bool magic = std::memcmp(bytes.data() + 48, kMagic, sizeof kMagic) == 0;
    if (!magic2 && !magic)
        return bad_image(path, "not a RISC-V Linux Image (no 'RSC\\x05' magic at offset 56; "
                               "an ELF vmlinux or a compressed Image.gz will not do)");
    LinuxImage k;
    k.text_offset = le64(bytes, 8);
    k.image_size = le64(bytes, 16);
    uint64_t flags = le64(bytes, 24);
    if (flags & 1) return bad_image(path, "a big-endian kernel cannot run on this machine");
    if (k.text_offset % 4096 != 0 || k.text_offset >= (1ull << 30))
        return bad_image(path, fmt::format("text offset {:#x} is not a page offset in the first "
                                           "GiB of RAM",
                                           k.text_offset));
    if (k.image_size == 0) k.image_size = bytes.size(); // very old kernels leave it 0
    return k;
}

Result<BootLayout> plan_boot(uint64_t ram_base, uint64_t ram_size, const LinuxImage& kernel,
                             uint64_t file_size, uint64_t initrd_size) {
    BootLayout l;
    l.kernel_addr = ram_base + kernel.text_offset;
    l.kernel_end = l.kernel_addr + std::max(kernel.image_size, file_size);
    uint64_t ram_end = ram_base + ram_size;
    auto too_small = [&] {
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                          "--memory: {} MiB of RAM is too small for the kernel ({} MiB from "
                          "{:#x}){}",
                          ram_size >> 20, mib(l.kernel_end - l.kernel_addr), l.kernel_addr,
                          initrd_size ? fmt::format(" and the initrd ({} MiB)", mib(initrd_size))
                                      : "");
    };
    if (ram_size < kFdtMaxSize || l.kernel_end > ram_end - kFdtMaxSize) return too_small();
    l.fdt_addr = align_down(ram_end - kFdtMaxSize, 2 << 20);
    if (l.fdt_addr < l.kernel_end) l.fdt_addr = align_down(ram_end - kFdtMaxSize, 4096);
    l.initrd_size = initrd_size;
    if (initrd_size) {
        if (initrd_size > l.fdt_addr - l.kernel_end) return too_small();
        l.initrd_addr = align_down(l.fdt_addr - initrd_size, 4096);
        if (l.initrd_addr < l.kernel_end) return too_small();
    }
    return l;
}

} // namespace virtd::vmm
