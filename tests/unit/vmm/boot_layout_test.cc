#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/file.h"
#include "drivers/kvm/vmm/boot_layout.h"

namespace virtd::vmm {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRam = 0x80000000;

// A 64-byte RISC-V Image header with the given fields.
std::string header(uint64_t text_offset, uint64_t image_size, uint64_t flags = 0) {
    std::string h(64, '\0');
    auto put = [&h](size_t at, uint64_t v) {
        for (int i = 0; i < 8; i++)
            h[at + i] = static_cast<char>(v >> (8 * i));
    };
    put(8, text_offset);
    put(16, image_size);
    put(24, flags);
    h.replace(48, 8, std::string("RISCV\0\0\0", 8));
    h.replace(56, 4, "RSC\x05");
    return h;
}

TEST(BootLayout, ReadsTheImageHeader) {
    Result<LinuxImage> k = parse_linux_image(header(0x200000, 0x558000), "Image");
    ASSERT_TRUE(k.ok()) << k.error().message();
    EXPECT_EQ(k->text_offset, 0x200000u);
    EXPECT_EQ(k->image_size, 0x558000u);
}

TEST(BootLayout, RefusesWhatIsNotAnImageNamingTheFile) {
    EXPECT_THAT(parse_linux_image("short", "k").error().message(),
                HasSubstr("kernel 'k': 5 bytes is too short"));
    std::string elf = "\x7f"
                      "ELF" +
                      std::string(60, '\0');
    EXPECT_THAT(parse_linux_image(elf, "vmlinux").error().message(),
                HasSubstr("kernel 'vmlinux': not a RISC-V Linux Image"));
    EXPECT_THAT(parse_linux_image(header(0x200000, 1, 1), "be").error().message(),
                HasSubstr("big-endian"));
    EXPECT_THAT(parse_linux_image(header(0x123, 1), "odd").error().message(),
                HasSubstr("text offset 0x123"));
}

TEST(BootLayout, KernelAtItsOffsetDeviceTreeOnTopInitrdBelowIt) {
    LinuxImage k{0x200000, 0x558000};
    Result<BootLayout> l = plan_boot(kRam, 256ull << 20, k, 0x500000, 957353);
    ASSERT_TRUE(l.ok()) << l.error().message();
    EXPECT_EQ(l->kernel_addr, 0x80200000u);
    EXPECT_EQ(l->kernel_end, 0x80758000u);
    EXPECT_EQ(l->fdt_addr % (2 << 20), 0u);
    EXPECT_LE(l->fdt_addr + kFdtMaxSize, kRam + (256ull << 20));
    EXPECT_EQ(l->initrd_addr % 4096, 0u);
    EXPECT_LE(l->initrd_addr + l->initrd_size, l->fdt_addr);
    EXPECT_GE(l->initrd_addr, l->kernel_end);
}

TEST(BootLayout, TooLittleRamIsAClearError) {
    LinuxImage k{0x200000, 0x558000};
    Result<BootLayout> l = plan_boot(kRam, 8ull << 20, k, 0x500000, 4ull << 20);
    ASSERT_FALSE(l.ok());
    EXPECT_THAT(l.error().message(),
                HasSubstr("--memory: 8 MiB of RAM is too small for the kernel (6 MiB"));
    EXPECT_THAT(l.error().message(), HasSubstr("and the initrd (4 MiB)"));
}

TEST(BootLayout, TheSharedGuestKernelParses) {
    const char* dir = std::getenv("VIRTD_GUEST_DIR");
    const std::string path = std::string(dir ? dir : "") + "/Image";
    Result<std::string> bytes = read_file(path, 64 << 20);
    if (!dir || !bytes) GTEST_SKIP() << "no shared guest kernel at " << path;
    Result<LinuxImage> k = parse_linux_image(*bytes, path);
    ASSERT_TRUE(k.ok()) << k.error().message();
    EXPECT_EQ(k->text_offset, 0x200000u);
    EXPECT_GE(k->image_size, bytes->size());
}

} // namespace
} // namespace virtd::vmm
