// build_fdt: the flattened device tree a riscv64 Linux guest boots with, generated from the
// machine description so that what the guest is told matches what the VMM built.
//
// The tree follows QEMU virt's node names and properties for the devices we have (compare
// /work/shared/guest/dtb), so a stock kernel needs nothing special. Choices that differ:
//  * PLIC contexts are laid out as QEMU's: hart h owns context 2h (M-mode) and 2h+1 (S-mode).
//    There is no M-mode software here, so each M-mode context is described as not connected
//    (interrupt 0xffffffff: exactly what OpenSBI hands Linux under QEMU); Linux 6.1's PLIC
//    driver uses only the contexts wired to the S-mode external interrupt (9). The
//    accelerator's PLIC must route S-mode hart h to context 2h+1 (see plic_s_context()).
//  * The CLINT node is optional (MachineDescription::clint, default on for parity with QEMU):
//    an S-mode Linux 6.1 never binds a driver to it, because timer ticks come from Sstc
//    (stimecmp) or the SBI TIME extension and IPIs from SBI IPI.
//  * No fw-cfg, flash, PCI, PMU or platform-bus nodes: those devices do not exist here.
//
// Thread safety: a pure function of its argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "drivers/pv/memory_map.h"

namespace virtd::pv {

// The PLIC context that delivers S-mode external interrupts to hart h (QEMU's layout).
constexpr uint32_t plic_s_context(uint32_t hart) {
    return 2 * hart + 1;
}

struct MachineDescription {
    uint64_t ram_base = kRamBase;
    uint64_t ram_size = 0;
    unsigned harts = 1;
    // Every hart's riscv,isa. Linux 6.1 reads the single letters and the _z*/_s* extensions.
    std::string isa = "rv64imafdc_zicsr_zifencei_sstc";
    std::string mmu_type = "riscv,sv48"; // riscv,sv39 | riscv,sv48 | riscv,sv57
    uint32_t timebase_hz = kTimebaseHz;
    bool clint = true;
    uint32_t plic_sources = kPlicSources;
    // Present virtio-mmio slots (0 .. kVirtioSlots-1); slot n sits at virtio_slot_base(n)
    // with PLIC source virtio_slot_irq(n).
    std::vector<unsigned> virtio_slots;
    std::string bootargs;
    struct Range {
        uint64_t start = 0;
        uint64_t end = 0; // one past the last byte, as Linux's linux,initrd-end means it
    };
    std::optional<Range> initrd;
    // Entropy for the guest's early random pool (/chosen/rng-seed); empty to leave it out.
    std::vector<uint8_t> rng_seed;
};

// The largest tree build_fdt makes unless told otherwise; a typical one is about 3 KiB, and
// Linux refuses trees over 2 MiB.
inline constexpr size_t kFdtMaxSize = 64 * 1024;

// Builds the tree. Fails with InvalidArg naming the field when the description is unusable
// (no RAM, no harts or more than 512, an ISA that is not rv64, an unknown MMU type, an initrd
// outside RAM, a virtio slot out of range or repeated) and with InternalError when the tree
// does not fit in max_size.
Result<std::vector<uint8_t>> build_fdt(const MachineDescription& machine,
                                       size_t max_size = kFdtMaxSize);

} // namespace virtd::pv
